/* cmd_assess: reading assessments: show (one revision with its entries),
 * revisions, queue (the List of a cycle, by status and region) and audit.
 * `vigil show --format csv` prints the very columns and cell syntax that
 * `vigil submit` reads, so that what was submitted comes back unchanged. */
#include "args.h"
#include "cmd.h"
#include "methodology.h"
#include "pbjson.h"
#include "remote.h"
#include "sheet.h"

#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))
#define AUDIT_PAGE  1000 /* the server's largest page */
#define AUDIT_LIMIT 100  /* entries shown without --limit */

static void free_msg(ProtobufCMessage *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
}

static void status_name(int status, char *buf, size_t cap)
{
    if (!pbjson_enum_name(&vigil__v1__assessment_status__descriptor, status, buf, cap))
        snprintf(buf, cap, "%d", status);
}

/* Parses the args, requiring --cycle; false with the exit code in *rc. */
static bool start(const struct cmd *self, struct opts *o, int argc, char *argv[], struct args *a,
                  int min_args, int *first, int *rc)
{
    args_init(a, self->name);
    if (!args_parse(self, o, argc, argv, a, min_args, first, rc))
        return false;
    if (a->cycle == NULL) {
        *rc = args_usage(a, "--cycle CYCLE is required");
        return false;
    }
    return true;
}

/* ---- show ---- */

static int show_csv(const struct opts *o, const Vigil__V1__Assessment *as,
                    const Vigil__V1__Revision *rev, const Vigil__V1__Methodology *m)
{
    static const struct output_column cols[] = {
        {"state", OUTPUT_STRING}, {"cycle", OUTPUT_STRING},         {"indicator", OUTPUT_STRING},
        {"level", OUTPUT_STRING}, {"justification", OUTPUT_STRING}, {"evidence", OUTPUT_STRING},
    };
    struct output *out = output_new(o->format, cols, NCOLS(cols));

    for (size_t i = 0; out != NULL && rev != NULL && i < rev->n_entries; i++) {
        const Vigil__V1__Entry *e = rev->entries[i];
        char *ev = sheet_evidence_format(e->evidence, e->n_evidence);
        const char *label = methodology_label(m, methodology_indicator(m, e->indicator), e->level);
        const char *row[] = {as->state, as->cycle, e->indicator, label, e->justification, ev};
        for (size_t k = 0; k < e->n_evidence; k++) {
            if (strpbrk(e->evidence[k]->citation, "|\r\n") != NULL)
                fprintf(stderr,
                        "warning: %s: citation %zu holds \"|\" or a line break, which "
                        "the CSV evidence cell cannot carry; use --format json\n",
                        e->indicator, k + 1);
        }
        if (ev == NULL || !output_add(out, row)) {
            output_free(out);
            out = NULL;
        }
        free(ev);
    }
    return cmd_emit(out, false);
}

static int show_header(const struct opts *o, const Vigil__V1__Assessment *as,
                       const Vigil__V1__Revision *rev)
{
    static const struct output_column cols[] = {
        {"state", OUTPUT_STRING},          {"state_name", OUTPUT_STRING},
        {"cycle", OUTPUT_STRING},          {"status", OUTPUT_STRING},
        {"latest_revision", OUTPUT_INT},   {"approved_revision", OUTPUT_INT},
        {"review_comment", OUTPUT_STRING}, {"updated_at", OUTPUT_STRING},
        {"revision", OUTPUT_INT},          {"draft", OUTPUT_BOOL},
        {"office", OUTPUT_STRING},         {"created_at", OUTPUT_STRING},
        {"base_revision", OUTPUT_INT},
    };
    char status[32], latest[16], approved[16], num[16], base[16];

    status_name(as->status, status, sizeof(status));
    snprintf(latest, sizeof(latest), "%d", as->latest_revision);
    snprintf(approved, sizeof(approved), "%d", as->approved_revision);
    snprintf(num, sizeof(num), "%d", rev ? rev->number : 0);
    snprintf(base, sizeof(base), "%d", rev ? rev->base_revision : 0);
    const char *row[] = {as->state,
                         as->state_name,
                         as->cycle,
                         status,
                         latest,
                         approved,
                         as->review_comment,
                         as->updated_at,
                         rev ? num : NULL,
                         rev ? (rev->draft ? "true" : "false") : NULL,
                         rev ? rev->office : NULL,
                         rev ? rev->created_at : NULL,
                         rev ? base : NULL};
    return cmd_emit_row(o->format, cols, NCOLS(cols), row);
}

/* The entries for people: code and level, then the text indented below. */
static void show_entries(const Vigil__V1__Revision *rev, const Vigil__V1__Methodology *m)
{
    for (size_t i = 0; rev != NULL && i < rev->n_entries; i++) {
        const Vigil__V1__Entry *e = rev->entries[i];
        const char *label = methodology_label(m, methodology_indicator(m, e->indicator), e->level);
        printf("\n");
        output_put_text(stdout, e->indicator, 0);
        printf("  ");
        output_put_text(stdout, label, 0);
        if (e->justification[0] != '\0') {
            printf("\n      ");
            output_put_text(stdout, e->justification, 6);
        }
        for (size_t k = 0; k < e->n_evidence; k++) {
            char *ev = sheet_evidence_format(&e->evidence[k], 1);
            printf("\n      evidence: ");
            output_put_text(stdout, ev != NULL ? ev : "?", 16);
            free(ev);
        }
    }
    printf("\n");
}

static int get_methodology(struct remote *r, const char *cycle, ProtobufCMessage **resp)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;

    req.cycle = (char *)cycle;
    return remote_run(r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                      &vigil__v1__get_methodology_response__descriptor, resp);
}

static int show_print(const struct opts *o, const Vigil__V1__GetResponse *g,
                      const Vigil__V1__Methodology *m)
{
    int rc;

    if (g->assessment == NULL) {
        fprintf(stderr, "error: the server sent no assessment\n");
        return CLI_EXIT_FAILURE;
    }
    if (o->format == OUTPUT_JSON)
        return cmd_emit_json(pbjson_encode(&g->base));
    if (o->format == OUTPUT_CSV)
        return show_csv(o, g->assessment, g->revision, m);
    if ((rc = show_header(o, g->assessment, g->revision)) == CLI_EXIT_OK) {
        show_entries(g->revision, m);
        if (fflush(stdout) != 0)
            rc = CLI_EXIT_FAILURE;
    }
    return rc;
}

int cmd_show(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__GetRequest req = VIGIL__V1__GET_REQUEST__INIT;
    ProtobufCMessage *resp = NULL, *mresp = NULL;
    struct remote r = {0};
    struct args a;
    int rc, first;

    if (start(self, o, argc, argv, &a, 1, &first, &rc) && remote_open(&r, o, &rc)) {
        req.state = argv[first];
        req.cycle = (char *)a.cycle;
        req.revision = a.revision;
        rc = remote_run(&r, "/vigil.v1.Assessments/Get", &req.base,
                        &vigil__v1__get_response__descriptor, &resp);
        if (rc == CLI_EXIT_OK && o->format != OUTPUT_JSON)
            rc = get_methodology(&r, a.cycle, &mresp);
        if (rc == CLI_EXIT_OK) {
            const Vigil__V1__Methodology *m =
                mresp ? ((Vigil__V1__GetMethodologyResponse *)mresp)->methodology : NULL;
            Vigil__V1__Methodology empty = VIGIL__V1__METHODOLOGY__INIT;
            rc = show_print(o, (Vigil__V1__GetResponse *)resp, m != NULL ? m : &empty);
        }
    }
    free_msg(resp);
    free_msg(mresp);
    remote_close(&r);
    args_clear(&a);
    return rc;
}

/* ---- revisions, queue ---- */

static bool add_revision(struct output *out, const Vigil__V1__Revision *v)
{
    char num[16], base[16];

    snprintf(num, sizeof(num), "%d", v->number);
    snprintf(base, sizeof(base), "%d", v->base_revision);
    const char *row[] = {num, v->draft ? "true" : "false", v->office, v->created_at, base};
    return output_add(out, row);
}

int cmd_revisions(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column cols[] = {
        {"revision", OUTPUT_INT},      {"draft", OUTPUT_BOOL},        {"office", OUTPUT_STRING},
        {"created_at", OUTPUT_STRING}, {"base_revision", OUTPUT_INT},
    };
    Vigil__V1__ListRevisionsRequest req = VIGIL__V1__LIST_REVISIONS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct remote r = {0};
    struct args a;
    int rc, first;

    if (start(self, o, argc, argv, &a, 1, &first, &rc) && remote_open(&r, o, &rc)) {
        req.state = argv[first];
        req.cycle = (char *)a.cycle;
        rc = remote_run(&r, "/vigil.v1.Assessments/ListRevisions", &req.base,
                        &vigil__v1__list_revisions_response__descriptor, &resp);
    }
    if (resp != NULL) {
        Vigil__V1__ListRevisionsResponse *lr = (Vigil__V1__ListRevisionsResponse *)resp;
        struct output *out = output_new(o->format, cols, NCOLS(cols));
        for (size_t i = 0; out != NULL && i < lr->n_revisions; i++) {
            out = output_checked(out, add_revision(out, lr->revisions[i]));
        }
        rc = cmd_emit(out, false);
    }
    free_msg(resp);
    remote_close(&r);
    args_clear(&a);
    return rc;
}

static bool add_assessment(struct output *out, const Vigil__V1__Assessment *as)
{
    char status[32], latest[16], approved[16];

    status_name(as->status, status, sizeof(status));
    snprintf(latest, sizeof(latest), "%d", as->latest_revision);
    snprintf(approved, sizeof(approved), "%d", as->approved_revision);
    const char *row[] = {as->state, as->state_name, as->cycle,      status,
                         latest,    approved,       as->updated_at, as->review_comment};
    return output_add(out, row);
}

static bool parse_status(const struct args *a, int *status, int *rc)
{
    *status = 0;
    if (a->status == NULL)
        return true;
    if (pbjson_enum_value(&vigil__v1__assessment_status__descriptor, a->status, status) &&
        *status != 0)
        return true;
    *rc = args_usage(a, "--status: \"%s\" is not draft, submitted, returned, approved or unlocked",
                     a->status);
    return false;
}

int cmd_queue(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column cols[] = {
        {"state", OUTPUT_STRING},        {"state_name", OUTPUT_STRING},
        {"cycle", OUTPUT_STRING},        {"status", OUTPUT_STRING},
        {"latest_revision", OUTPUT_INT}, {"approved_revision", OUTPUT_INT},
        {"updated_at", OUTPUT_STRING},   {"review_comment", OUTPUT_STRING},
    };
    Vigil__V1__ListRequest req = VIGIL__V1__LIST_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct remote r = {0};
    struct args a;
    int rc, first, status;

    if (start(self, o, argc, argv, &a, 0, &first, &rc) && parse_status(&a, &status, &rc) &&
        remote_open(&r, o, &rc)) {
        req.cycle = (char *)a.cycle;
        req.region = (char *)(a.region ? a.region : "");
        req.status = status;
        rc = remote_run(&r, "/vigil.v1.Assessments/List", &req.base,
                        &vigil__v1__list_response__descriptor, &resp);
    }
    if (resp != NULL) {
        Vigil__V1__ListResponse *lr = (Vigil__V1__ListResponse *)resp;
        struct output *out = output_new(o->format, cols, NCOLS(cols));
        for (size_t i = 0; out != NULL && i < lr->n_assessments; i++) {
            out = output_checked(out, add_assessment(out, lr->assessments[i]));
        }
        rc = cmd_emit(out, false);
    }
    free_msg(resp);
    remote_close(&r);
    args_clear(&a);
    return rc;
}

/* ---- audit ---- */

static bool add_audit(struct output *out, const Vigil__V1__AuditEntry *e)
{
    char id[24];

    snprintf(id, sizeof(id), "%lld", (long long)e->id);
    const char *row[] = {id,       e->at,         e->office, e->certificate_sha256,
                         e->peer,  e->request_id, e->action, e->object,
                         e->detail};
    return output_add(out, row);
}

/* "2026-03-29" means its midnight UTC; anything else goes as given. */
static void since_time(const char *since, char *buf, size_t cap)
{
    if (since != NULL && strlen(since) == 10 && since[4] == '-' && since[7] == '-')
        snprintf(buf, cap, "%sT00:00:00Z", since);
    else
        snprintf(buf, cap, "%s", since != NULL ? since : "");
}

/* Fetches pages until want entries or the end, adding them to out. */
static int audit_fetch(struct remote *r, const struct args *a, struct output *out)
{
    Vigil__V1__ListAuditRequest req = VIGIL__V1__LIST_AUDIT_REQUEST__INIT;
    char since[64];
    int want = a->limit > 0 ? a->limit : AUDIT_LIMIT, got = 0;

    since_time(a->since, since, sizeof(since));
    req.since = since;
    req.after_id = a->after_id;
    while (got < want) {
        ProtobufCMessage *resp = NULL;
        req.limit = want - got < AUDIT_PAGE ? want - got : AUDIT_PAGE;
        int rc = remote_run(r, "/vigil.v1.Assessments/ListAudit", &req.base,
                            &vigil__v1__list_audit_response__descriptor, &resp);
        if (rc != CLI_EXIT_OK)
            return rc;
        Vigil__V1__ListAuditResponse *la = (Vigil__V1__ListAuditResponse *)resp;
        bool ok = true;
        for (size_t i = 0; ok && i < la->n_entries; i++) {
            ok = add_audit(out, la->entries[i]);
            req.after_id = la->entries[i]->id;
        }
        got += (int)la->n_entries;
        bool last = la->n_entries < (size_t)req.limit || la->n_entries == 0;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!ok) {
            fprintf(stderr, "error: out of memory\n");
            return CLI_EXIT_FAILURE;
        }
        if (last)
            break;
    }
    return CLI_EXIT_OK;
}

int cmd_audit(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column cols[] = {
        {"id", OUTPUT_INT},        {"at", OUTPUT_STRING},
        {"office", OUTPUT_STRING}, {"certificate_sha256", OUTPUT_STRING},
        {"peer", OUTPUT_STRING},   {"request_id", OUTPUT_STRING},
        {"action", OUTPUT_STRING}, {"object", OUTPUT_STRING},
        {"detail", OUTPUT_STRING},
    };
    struct output *out = NULL;
    struct remote r = {0};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (args_parse(self, o, argc, argv, &a, 0, &first, &rc) && remote_open(&r, o, &rc)) {
        if ((out = output_new(o->format, cols, NCOLS(cols))) == NULL) {
            fprintf(stderr, "error: out of memory\n");
            rc = CLI_EXIT_FAILURE;
        } else if ((rc = audit_fetch(&r, &a, out)) == CLI_EXIT_OK) {
            rc = cmd_emit(out, false);
            out = NULL;
        }
    }
    output_free(out);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
