/* cmd_submit: `vigil submit FILE...`, sending assessment files (sheet.h) as
 * one Submit per state and cycle. Everything is checked against the cycles'
 * methodologies before anything is sent, and mistakes are reported with
 * their file and line. Each request's id and base revision are written next
 * to its file (pending.h) before it is sent and dropped once answered, so a
 * run cut short and started again resends the very same requests and nothing
 * is stored twice. A state whose latest revision already holds the same
 * content is skipped as unchanged, so running a file again is harmless. */
#include "args.h"
#include "cmd.h"
#include "pending.h"
#include "remote.h"
#include "reqid.h"
#include "sheet.h"
#include "sheetset.h"
#include "submission.h"

#include "grpcwire.h"
#include "pbjson.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

enum outcome {
    OUT_SUBMITTED,
    OUT_UNCHANGED,
    OUT_INVALID,  /* errors in the file: not sent */
    OUT_REFUSED,  /* the server said no */
    OUT_NOT_SENT, /* the link (or the disk) failed first; the pending file keeps it */
    NOUTCOMES,
};

static const char *const outcome_names[NOUTCOMES] = {"submitted", "unchanged", "invalid", "refused",
                                                     "not sent"};

/* One state and cycle of one file. */
struct job {
    size_t file, group;    /* indexes in run.set.files and its sheet's groups */
    struct submission sub; /* built when the group is valid */
    bool built;
    bool to_send; /* built, and its file's pending requests are at hand: to send */
    enum outcome outcome;
    int revision, status; /* the answer's, when there is one */
    char detail[600];     /* why, for refused and not sent */
};

struct run {
    const struct opts *o;
    const struct args *a;
    struct remote r;
    struct sheetset set; /* the files, their methodologies and pending requests */
    struct job *jobs;
    size_t njobs;
    bool stop;        /* the link or the disk failed: send nothing more */
    int stop_rc;      /* the exit code of that failure */
    bool progress;    /* stderr is a terminal */
    bool progress_on; /* a progress line is showing */
};

static void progress_clear(struct run *run)
{
    if (run->progress_on) {
        fputs("\r\033[K", stderr);
        run->progress_on = false;
    }
}

/* ---- reading ---- */

static bool make_jobs(struct run *run)
{
    const struct sheetset *ss = &run->set;

    if ((run->jobs = calloc(sheetset_ngroups(ss) + 1, sizeof(*run->jobs))) == NULL)
        return false;
    for (size_t i = 0; i < ss->nfiles; i++) {
        for (size_t g = 0; ss->files[i].usable && g < ss->files[i].sheet.ngroups; g++)
            run->jobs[run->njobs++] = (struct job){.file = i, .group = g};
    }
    return true;
}

static struct sheet_group *job_group(const struct run *run, const struct job *j)
{
    return &run->set.files[j->file].sheet.groups[j->group];
}

/* ---- checking ---- */

/* Asks the methodologies; false when the link failed (the run stops). */
static bool fetch_methods(struct run *run)
{
    if (sheetset_fetch_methods(&run->set, &run->r))
        return true;
    if (!run->set.nomem) {
        progress_clear(run);
        run->stop_rc = remote_fail(&run->r);
        run->stop = true;
    }
    return false;
}

/* Checks every group and builds its request; problems become issues. */
static void build_jobs(struct run *run, bool draft)
{
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *j = &run->jobs[i];
        switch (sheetset_build(&run->set, j->file, j->group, &j->sub, draft)) {
        case SHEETSET_BUILT:
            j->built = true;
            j->outcome = OUT_NOT_SENT;
            break;
        case SHEETSET_UNCHECKED: /* the link failed before its cycle was asked */
            j->outcome = OUT_NOT_SENT;
            snprintf(j->detail, sizeof(j->detail), "not checked: the connection failed");
            break;
        case SHEETSET_INVALID:
            j->outcome = OUT_INVALID;
            snprintf(j->detail, sizeof(j->detail), "errors in the file (reported above)");
            break;
        }
    }
}

/* ---- pending files ---- */

static void open_pendings(struct run *run)
{
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *j = &run->jobs[i];
        bool usable = j->built && sheetset_open_pending(&run->set, j->file);
        j->to_send = j->built && usable;
        if (j->built && !usable) {
            j->outcome = OUT_NOT_SENT;
            snprintf(j->detail, sizeof(j->detail), "its pending file could not be used");
        }
    }
}

static void now_rfc3339(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;

    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* Records the request before it is sent; false (and the run stops) when the
 * disk refuses, since sending without the record could double it later. */
static bool remember(struct run *run, struct job *j, const char *id, int base)
{
    struct sheetset_file *f = &run->set.files[j->file];
    const struct sheet_group *g = job_group(run, j);
    char at[32], err[600];
    struct pending_entry e = {(char *)run->o->address, g->state, g->cycle, (char *)id, base,
                              j->sub.sha256,           at};

    now_rfc3339(at, sizeof(at));
    if (pending_put(&f->pending, &e, err, sizeof(err)))
        return true;
    snprintf(j->detail, sizeof(j->detail), "%s", err);
    j->outcome = OUT_NOT_SENT;
    run->stop = true;
    run->stop_rc = CLI_EXIT_FAILURE;
    progress_clear(run);
    fprintf(stderr, "error: %s\n", err);
    return false;
}

static void forget(struct run *run, const struct job *j)
{
    struct sheetset_file *f = &run->set.files[j->file];
    const struct sheet_group *g = job_group(run, j);
    char err[600];

    if (!pending_remove(&f->pending, run->o->address, g->state, g->cycle, err, sizeof(err))) {
        /* Harmless: resending an answered request only gets its answer back. */
        progress_clear(run);
        fprintf(stderr, "warning: %s\n", err);
    }
}

/* ---- sending ---- */

/* The link failed: this job waits in the pending file for the next run. */
static void link_failed(struct run *run, struct job *j)
{
    j->outcome = OUT_NOT_SENT;
    snprintf(j->detail, sizeof(j->detail), "%s%s%.500s",
             run->r.st == VIGIL_E_RPC ? vigil_code_name(run->r.rpc_code)
                                      : vigil_strerror(run->r.st),
             run->r.msg[0] ? ": " : "", run->r.msg);
    progress_clear(run);
    run->stop_rc = remote_fail(&run->r);
    run->stop = true;
}

/* Prints a refusal at the row the server's message points to. */
static void refused(struct run *run, struct job *j, const char *what)
{
    const struct sheet *s = &run->set.files[j->file].sheet;
    const struct sheet_group *g = job_group(run, j);
    char field[64], where[1200];
    const struct sheet_row *row = submission_locate(&j->sub, run->r.msg, field, sizeof(field));

    j->outcome = OUT_REFUSED;
    snprintf(j->detail, sizeof(j->detail), "%s: %.500s", vigil_code_name(run->r.rpc_code),
             run->r.msg);
    sheet_where(s, row ? row->line : g->line, row ? row->path : g->path, field[0] ? field : NULL,
                where, sizeof(where));
    progress_clear(run);
    fprintf(stderr, "%s: %s %s %s: %s\n", where, g->state, g->cycle, what, j->detail);
}

/* A skipped state: the stored revision holds this very content and needs
 * nothing from us (a returned or unlocked one is sent again). */
static bool unchanged(const struct job *j, const Vigil__V1__GetResponse *g)
{
    const Vigil__V1__Assessment *as = g->assessment;

    return as != NULL && g->revision != NULL && as->latest_revision > 0 &&
           (as->status == VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_DRAFT ||
            as->status == VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED ||
            as->status == VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED) &&
           submission_same(&j->sub, g->revision);
}

/* The base revision of a new request: the latest stored one (0 for none).
 * Returns false when the job ended here (unchanged, refused, link failed). */
static bool fetch_base(struct run *run, struct job *j, int *base)
{
    Vigil__V1__GetRequest req = VIGIL__V1__GET_REQUEST__INIT;
    const struct sheet_group *g = job_group(run, j);
    ProtobufCMessage *resp = NULL;

    req.state = g->state;
    req.cycle = g->cycle;
    *base = 0;
    if (remote_call(&run->r, "/vigil.v1.Assessments/Get", &req.base,
                    &vigil__v1__get_response__descriptor, &resp) != VIGIL_OK) {
        if (run->r.st == VIGIL_E_RPC && run->r.rpc_code == GRPC_NOT_FOUND)
            return true;
        if (remote_outcome_unknown(&run->r) || run->r.st != VIGIL_E_RPC)
            link_failed(run, j);
        else
            refused(run, j, "cannot be read");
        return false;
    }
    const Vigil__V1__GetResponse *gr = (Vigil__V1__GetResponse *)resp;
    *base = gr->assessment != NULL ? gr->assessment->latest_revision : 0;
    bool same = unchanged(j, gr);
    if (same) {
        j->outcome = OUT_UNCHANGED;
        j->revision = gr->assessment->latest_revision;
        j->status = gr->assessment->status;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return !same;
}

/* stored: the latest revision already holds this content; then ABORTED
 * (a pending request that never made it, overtaken by another that did)
 * means unchanged, not refused. */
static void submit(struct run *run, struct job *j, const char *id, int base, bool stored)
{
    Vigil__V1__SubmitRequest *req = submission_request(&j->sub, id, base);
    ProtobufCMessage *resp = NULL;

    if (req == NULL) {
        j->outcome = OUT_NOT_SENT;
        snprintf(j->detail, sizeof(j->detail), "out of memory");
        run->stop = true;
        run->stop_rc = CLI_EXIT_FAILURE;
        return;
    }
    if (remote_call(&run->r, "/vigil.v1.Assessments/Submit", &req->base,
                    &vigil__v1__submit_response__descriptor, &resp) == VIGIL_OK) {
        j->outcome = OUT_SUBMITTED;
        j->revision = ((Vigil__V1__SubmitResponse *)resp)->revision;
        j->status = ((Vigil__V1__SubmitResponse *)resp)->status;
        forget(run, j);
        protobuf_c_message_free_unpacked(resp, NULL);
    } else if (remote_outcome_unknown(&run->r) || run->r.st != VIGIL_E_RPC) {
        link_failed(run, j); /* kept in the pending file: resent as is next time */
    } else if (stored && run->r.rpc_code == GRPC_ABORTED) {
        j->outcome = OUT_UNCHANGED;
        forget(run, j);
    } else {
        forget(run, j); /* a definite no: nothing was stored */
        refused(run, j, "refused");
    }
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void send_job(struct run *run, struct job *j)
{
    const struct sheet_group *g = job_group(run, j);
    const struct pending_entry *pe =
        pending_find(&run->set.files[j->file].pending, run->o->address, g->state, g->cycle);
    char id[REQID_SIZE];
    int base;

    /* Look first, even with a request pending: the content may be stored
     * already, by that request (its answer was lost: resending it gets the
     * answer back) or by another (sent through another spelling of the
     * address: then nothing must be sent). */
    bool fresh = fetch_base(run, j, &base), stored = j->outcome == OUT_UNCHANGED;
    if (!fresh && !stored)
        return; /* refused or link failed */
    if (pe != NULL && strcmp(pe->content_sha256, j->sub.sha256) == 0) {
        /* Sent before and never answered: the very same request again. */
        snprintf(id, sizeof(id), "%s", pe->request_id);
        submit(run, j, id, pe->base_revision, stored);
        return;
    }
    if (stored) {
        if (pe != NULL)
            forget(run, j);
        return;
    }
    /* New, or the file changed since: a new request on a fresh base. */
    reqid_random(id);
    if (remember(run, j, id, base))
        submit(run, j, id, base, false);
}

static void send_all(struct run *run)
{
    size_t total = 0, done = 0;

    for (size_t i = 0; i < run->njobs; i++)
        total += run->jobs[i].to_send;
    for (size_t i = 0; i < run->njobs && !run->stop; i++) {
        struct job *j = &run->jobs[i];
        if (!j->to_send)
            continue;
        if (run->progress) {
            fprintf(stderr, "\r\033[Ksubmitting %zu/%zu %s %s ...", ++done, total,
                    job_group(run, j)->state, job_group(run, j)->cycle);
            run->progress_on = true;
        }
        send_job(run, j);
    }
    progress_clear(run);
}

/* ---- report ---- */

static int print_results(const struct run *run)
{
    static const struct output_column cols[] = {
        {"file", OUTPUT_STRING},   {"state", OUTPUT_STRING}, {"cycle", OUTPUT_STRING},
        {"result", OUTPUT_STRING}, {"revision", OUTPUT_INT}, {"status", OUTPUT_STRING},
        {"detail", OUTPUT_STRING},
    };
    struct output *out = output_new(run->o->format, cols, NCOLS(cols));

    for (size_t i = 0; out != NULL && i < run->njobs; i++) {
        const struct job *j = &run->jobs[i];
        const struct sheet_group *g = job_group(run, j);
        char rev[16], status[32] = "";
        bool answered = j->outcome == OUT_SUBMITTED || j->outcome == OUT_UNCHANGED;
        snprintf(rev, sizeof(rev), "%d", j->revision);
        if (answered)
            pbjson_enum_name(&vigil__v1__assessment_status__descriptor, j->status, status,
                             sizeof(status));
        const char *row[] = {run->set.files[j->file].sheet.file,
                             g->state,
                             g->cycle,
                             outcome_names[j->outcome],
                             answered ? rev : NULL,
                             answered ? status : NULL,
                             j->detail[0]                 ? j->detail
                             : j->outcome == OUT_NOT_SENT ? "not sent: stopped after a failure"
                                                          : ""};
        out = output_checked(out, output_add(out, row));
    }
    return cmd_emit(out, false);
}

/* "40 submitted, 2 refused" on stderr; returns the exit code. */
static int summary(const struct run *run, bool check)
{
    size_t count[NOUTCOMES] = {0};

    for (size_t i = 0; i < run->njobs; i++)
        count[run->jobs[i].outcome]++;
    if (check) {
        fprintf(stderr, "%zu valid, %zu with errors (nothing sent: --check)\n", count[OUT_NOT_SENT],
                count[OUT_INVALID]);
    } else {
        fprintf(stderr, "%zu submitted", count[OUT_SUBMITTED]);
        for (int k = OUT_UNCHANGED; k < NOUTCOMES; k++) {
            if (count[k] > 0)
                fprintf(stderr, ", %zu %s", count[k], outcome_names[k]);
        }
        fprintf(stderr, "\n");
        if (count[OUT_NOT_SENT] > 0)
            fprintf(stderr, "hint: run the same command again to send the rest; requests "
                            "already sent are resent with the same ids (FILE.pending)\n");
    }
    if (run->set.file_error || count[OUT_INVALID] > 0)
        return CLI_EXIT_USAGE;
    if (count[OUT_REFUSED] > 0)
        return CLI_EXIT_RPC;
    if (run->stop)
        return run->stop_rc != CLI_EXIT_OK ? run->stop_rc : CLI_EXIT_FAILURE;
    if (count[OUT_NOT_SENT] > 0 && !check)
        return CLI_EXIT_FAILURE;
    return CLI_EXIT_OK;
}

static void run_clear(struct run *run)
{
    for (size_t i = 0; i < run->njobs; i++)
        submission_clear(&run->jobs[i].sub);
    free(run->jobs);
    sheetset_clear(&run->set);
    remote_close(&run->r);
}

/* Reads, checks and sends; returns the exit code. */
static int run_all(struct run *run, char *const files[], size_t nfiles)
{
    int rc;

    if (!sheetset_read(&run->set, files, nfiles) || !make_jobs(run)) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    if (run->njobs > 0) {
        if (!remote_open(&run->r, run->o, &rc))
            return rc;
        if (!fetch_methods(run) && run->set.nomem) {
            fprintf(stderr, "error: out of memory\n");
            return CLI_EXIT_FAILURE;
        }
        build_jobs(run, run->a->draft);
    }
    sheetset_print_issues(&run->set);
    if (!run->a->check && !run->stop) {
        open_pendings(run);
        send_all(run);
    }
    rc = run->a->check ? CLI_EXIT_OK : print_results(run);
    int sum = summary(run, run->a->check);
    return sum != CLI_EXIT_OK ? sum : rc;
}

int cmd_submit(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct run run = {.o = o, .progress = isatty(STDERR_FILENO) == 1};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    run.a = &a;
    if (args_parse(self, o, argc, argv, &a, 1, &first, &rc))
        rc = run_all(&run, argv + first, (size_t)(argc - first));
    run_clear(&run);
    args_clear(&a);
    return rc;
}
