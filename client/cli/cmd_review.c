/* cmd_review: `vigil approve|return|unlock STATE... --cycle C`, the central
 * office's review. Each state's review names the revision it judges (the
 * latest unless --revision) and carries a request id derived from what was
 * judged (state, cycle, action, revision, the assessment's last change,
 * comment): a resend after a cut link is the same request, answered with the
 * first result, while a later, different review of the same revision (an
 * approval after an unlock) is a new one. A review found already done (say,
 * by the run that lost its answer) is reported as such, not refused. */
#include "args.h"
#include "cmd.h"
#include "pbjson.h"
#include "remote.h"
#include "reqid.h"

#include "vigil/v1/assessments.pb-c.h"

#include <stdio.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

static const struct output_column review_cols[] = {
    {"state", OUTPUT_STRING},          {"cycle", OUTPUT_STRING},  {"action", OUTPUT_STRING},
    {"revision", OUTPUT_INT},          {"result", OUTPUT_STRING}, {"status", OUTPUT_STRING},
    {"approved_revision", OUTPUT_INT},
};

/* One action: its enum value and the status that shows it done. */
struct action {
    const char *name; /* as typed: the command name */
    int value;        /* ReviewAction */
    int done_status;  /* AssessmentStatus after it */
    bool comment;     /* needs --comment */
};

static const struct action actions[] = {
    {"approve", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE,
     VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED, false},
    {"return", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_RETURN,
     VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_RETURNED, true},
    {"unlock", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK,
     VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_UNLOCKED, true},
};

static bool add_result(struct output *out, const char *state, const char *cycle,
                       const struct action *act, int revision, const char *result, int status,
                       int approved)
{
    char rev[16], st[32] = "", appr[16];

    snprintf(rev, sizeof(rev), "%d", revision);
    snprintf(appr, sizeof(appr), "%d", approved);
    pbjson_enum_name(&vigil__v1__assessment_status__descriptor, status, st, sizeof(st));
    const char *row[] = {state, cycle, act->name, rev, result, st, appr};
    return output_add(out, row);
}

/* Whether the assessment already shows act done on revision. */
static bool already_done(const struct action *act, const Vigil__V1__Assessment *as, int revision)
{
    if ((int)as->status != act->done_status)
        return false;
    if (act->value == VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_RETURN)
        return as->latest_revision == revision;
    return as->approved_revision == revision;
}

static int send_review(struct remote *r, const struct args *a, const struct action *act,
                       const Vigil__V1__Assessment *as, int revision, struct output *out)
{
    Vigil__V1__ReviewRequest req = VIGIL__V1__REVIEW_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char id[REQID_SIZE], rev[16];
    const char *comment = a->comment != NULL ? a->comment : "";

    snprintf(rev, sizeof(rev), "%d", revision);
    const char *const parts[] = {as->state, as->cycle, act->name, rev, as->updated_at, comment};
    reqid_derived(id, "review", parts, NCOLS(parts));
    req.request_id = id;
    req.state = as->state;
    req.cycle = as->cycle;
    req.action = act->value;
    req.comment = (char *)comment;
    req.revision = revision;
    if (remote_call(r, "/vigil.v1.Assessments/Review", &req.base,
                    &vigil__v1__review_response__descriptor, &resp) != VIGIL_OK) {
        fprintf(stderr, "%s %s: ", as->state, as->cycle);
        return remote_fail(r);
    }
    const Vigil__V1__ReviewResponse *rr = (Vigil__V1__ReviewResponse *)resp;
    bool ok = add_result(out, as->state, as->cycle, act, revision, "done", rr->status,
                         rr->approved_revision);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int review_one(struct remote *r, const struct args *a, const struct action *act,
                      const char *state, struct output *out)
{
    Vigil__V1__GetRequest req = VIGIL__V1__GET_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    req.state = (char *)state;
    req.cycle = (char *)a->cycle;
    if (remote_call(r, "/vigil.v1.Assessments/Get", &req.base, &vigil__v1__get_response__descriptor,
                    &resp) != VIGIL_OK) {
        fprintf(stderr, "%s %s: ", state, a->cycle);
        return remote_fail(r);
    }
    const Vigil__V1__Assessment *as = ((Vigil__V1__GetResponse *)resp)->assessment;
    int revision = a->revision > 0 ? a->revision : as != NULL ? as->latest_revision : 0;
    if (as == NULL) {
        fprintf(stderr, "%s %s: error: the server sent no assessment\n", state, a->cycle);
        rc = CLI_EXIT_FAILURE;
    } else if (already_done(act, as, revision)) {
        rc = add_result(out, as->state, as->cycle, act, revision, "already", as->status,
                        as->approved_revision)
                 ? CLI_EXIT_OK
                 : CLI_EXIT_FAILURE;
    } else {
        rc = send_review(r, a, act, as, revision, out);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

int cmd_review(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    const struct action *act = NULL;
    struct output *out = NULL;
    struct remote r = {0};
    struct args a;
    int rc, first, worst = CLI_EXIT_OK;

    for (size_t i = 0; i < NCOLS(actions); i++)
        act = strcmp(self->name, actions[i].name) == 0 ? &actions[i] : act;
    args_init(&a, self->name);
    if (!args_parse(self, o, argc, argv, &a, 1, &first, &rc))
        goto out;
    if (a.cycle == NULL || (act->comment && (a.comment == NULL || a.comment[0] == '\0')) ||
        (a.revision > 0 && argc - first > 1)) {
        rc = args_usage(&a, a.cycle == NULL ? "--cycle CYCLE is required"
                            : a.revision > 0
                                ? "--revision goes with a single STATE"
                                : "--comment TEXT is required (it tells the office why)");
        goto out;
    }
    if (!remote_open(&r, o, &rc))
        goto out;
    if ((out = output_new(o->format, review_cols, NCOLS(review_cols))) == NULL) {
        rc = CLI_EXIT_FAILURE;
        goto out;
    }
    for (int i = first; i < argc; i++) {
        rc = review_one(&r, &a, act, argv[i], out);
        worst = rc > worst ? rc : worst;
        if (rc != CLI_EXIT_OK && rc != CLI_EXIT_RPC)
            break; /* the link or the output failed: the rest would too */
    }
    rc = cmd_emit(out, false);
    out = NULL;
    rc = worst != CLI_EXIT_OK ? worst : rc;
out:
    output_free(out);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
