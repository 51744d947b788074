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
#include "submission.h"

#include "grpcwire.h"
#include "pbjson.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
    size_t file, group;    /* indexes in run.files and its sheet's groups */
    struct submission sub; /* built when the group is valid */
    bool built;
    bool to_send; /* built, and its file's pending requests are at hand: to send */
    enum outcome outcome;
    int revision, status; /* the answer's, when there is one */
    char detail[600];     /* why, for refused and not sent */
};

struct file {
    struct sheet sheet;
    struct pending pending;
    bool usable; /* read, and its pending file loaded and locked */
    int lock_fd; /* flock on the input file; -1 = none */
};

/* The methodology of one cycle, asked once. */
struct method {
    const char *cycle;      /* borrowed from a sheet */
    ProtobufCMessage *resp; /* GetMethodologyResponse (owned); NULL when refused */
    char error[600];        /* why not, when refused */
};

struct run {
    const struct opts *o;
    const struct args *a;
    struct remote r;
    struct file *files;
    size_t nfiles;
    struct job *jobs;
    size_t njobs;
    struct method *methods;
    size_t nmethods;
    bool file_error;  /* a file could not be used at all */
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

static void read_files(struct run *run, char *const paths[], size_t n)
{
    char err[600];

    run->files = calloc(n, sizeof(*run->files));
    run->nfiles = run->files != NULL ? n : 0;
    for (size_t i = 0; i < run->nfiles; i++) {
        struct file *f = &run->files[i];
        f->lock_fd = -1;
        sheet_init(&f->sheet, paths[i]);
        f->usable = sheet_read(&f->sheet, err, sizeof(err));
        if (!f->usable) {
            fprintf(stderr, "%s: %s\n", paths[i], err);
            run->file_error = true;
        }
    }
}

/* The same state and cycle in two files would be two revisions racing:
 * the later file's copy is refused. */
static void cross_check(struct run *run)
{
    for (size_t i = 1; i < run->nfiles; i++) {
        struct sheet *s = &run->files[i].sheet;
        for (size_t g = 0; run->files[i].usable && g < s->ngroups; g++) {
            for (size_t j = 0; j < i; j++) {
                const struct sheet *t = &run->files[j].sheet;
                for (size_t h = 0; run->files[j].usable && h < t->ngroups; h++) {
                    if (strcmp(s->groups[g].state, t->groups[h].state) == 0 &&
                        strcmp(s->groups[g].cycle, t->groups[h].cycle) == 0)
                        sheet_issue(s, (int)g, s->groups[g].line, s->groups[g].path, NULL,
                                    "%s %s is also in %s: give each state once", s->groups[g].state,
                                    s->groups[g].cycle, t->file);
                }
            }
        }
    }
}

static bool make_jobs(struct run *run)
{
    size_t n = 0;

    for (size_t i = 0; i < run->nfiles; i++)
        n += run->files[i].usable ? run->files[i].sheet.ngroups : 0;
    if ((run->jobs = calloc(n + 1, sizeof(*run->jobs))) == NULL)
        return false;
    for (size_t i = 0; i < run->nfiles; i++) {
        for (size_t g = 0; run->files[i].usable && g < run->files[i].sheet.ngroups; g++)
            run->jobs[run->njobs++] = (struct job){.file = i, .group = g};
    }
    return true;
}

static struct sheet_group *job_group(const struct run *run, const struct job *j)
{
    return &run->files[j->file].sheet.groups[j->group];
}

/* ---- methodologies ---- */

static struct method *method_for(struct run *run, const char *cycle)
{
    for (size_t i = 0; i < run->nmethods; i++) {
        if (strcmp(run->methods[i].cycle, cycle) == 0)
            return &run->methods[i];
    }
    return NULL;
}

/* Asks the methodology of cycle; false when the link failed. */
static bool fetch_method(struct run *run, struct method *m)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;

    req.cycle = (char *)m->cycle;
    if (remote_call(&run->r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                    &vigil__v1__get_methodology_response__descriptor, &m->resp) == VIGIL_OK) {
        if (((Vigil__V1__GetMethodologyResponse *)m->resp)->methodology != NULL)
            return true;
        snprintf(m->error, sizeof(m->error), "the server sent no methodology");
        protobuf_c_message_free_unpacked(m->resp, NULL);
        m->resp = NULL;
        return true;
    }
    if (remote_outcome_unknown(&run->r) || run->r.st != VIGIL_E_RPC) {
        progress_clear(run);
        run->stop_rc = remote_fail(&run->r);
        run->stop = true;
        return false;
    }
    snprintf(m->error, sizeof(m->error), "%s: %.500s", vigil_code_name(run->r.rpc_code),
             run->r.msg);
    return true;
}

/* The methodology of every cycle named in a usable file. */
static bool fetch_methods(struct run *run)
{
    if ((run->methods = calloc(run->njobs + 1, sizeof(*run->methods))) == NULL)
        return false;
    for (size_t i = 0; i < run->njobs && !run->stop; i++) {
        const char *cycle = job_group(run, &run->jobs[i])->cycle;
        if (method_for(run, cycle) != NULL)
            continue;
        struct method *m = &run->methods[run->nmethods++];
        m->cycle = cycle;
        fetch_method(run, m);
    }
    return true;
}

/* Checks every group and builds its request; problems become issues. */
static void build_jobs(struct run *run, bool draft)
{
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *j = &run->jobs[i];
        struct sheet *s = &run->files[j->file].sheet;
        struct sheet_group *g = job_group(run, j);
        const struct method *m = method_for(run, g->cycle);
        if (m == NULL) { /* the link failed before its cycle was asked */
            j->outcome = OUT_NOT_SENT;
            snprintf(j->detail, sizeof(j->detail), "not checked: the connection failed");
            continue;
        }
        if (m->resp == NULL) {
            sheet_issue(s, (int)j->group, g->line, g->path, "cycle", "%s %s: %s", g->state,
                        g->cycle, m->error);
        } else {
            const Vigil__V1__Methodology *meth =
                ((Vigil__V1__GetMethodologyResponse *)m->resp)->methodology;
            j->built = submission_build(&j->sub, s, j->group, meth, draft);
        }
        j->outcome = j->built ? OUT_NOT_SENT : OUT_INVALID;
        if (!j->built)
            snprintf(j->detail, sizeof(j->detail), "errors in the file (reported above)");
    }
}

/* ---- pending files ---- */

/* Locks the input file against a second vigil submit and loads its pending
 * requests; a file that fails this sends nothing. */
static bool open_pending(struct run *run, struct file *f)
{
    char err[600];

    f->lock_fd = open(f->sheet.file, O_RDONLY | O_CLOEXEC);
    if (f->lock_fd < 0 || flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, sizeof(err), "%s",
                 errno == EWOULDBLOCK ? "another vigil submit is sending this file"
                                      : strerror(errno));
    } else if (pending_load(&f->pending, f->sheet.file, err, sizeof(err))) {
        return true;
    }
    fprintf(stderr, "%s: %s\n", f->sheet.file, err);
    run->file_error = true;
    f->usable = false;
    return false;
}

static void open_pendings(struct run *run)
{
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *j = &run->jobs[i];
        struct file *f = &run->files[j->file];
        if (j->built && f->lock_fd < 0 && f->usable)
            open_pending(run, f);
        j->to_send = j->built && f->usable;
        if (j->built && !f->usable) {
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
    struct file *f = &run->files[j->file];
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
    struct file *f = &run->files[j->file];
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
    const struct sheet *s = &run->files[j->file].sheet;
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
        pending_find(&run->files[j->file].pending, run->o->address, g->state, g->cycle);
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
        const char *row[] = {run->files[j->file].sheet.file,
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
    if (run->file_error || count[OUT_INVALID] > 0)
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
    for (size_t i = 0; i < run->nmethods; i++) {
        if (run->methods[i].resp != NULL)
            protobuf_c_message_free_unpacked(run->methods[i].resp, NULL);
    }
    for (size_t i = 0; i < run->nfiles; i++) {
        sheet_clear(&run->files[i].sheet);
        pending_clear(&run->files[i].pending);
        if (run->files[i].lock_fd >= 0)
            close(run->files[i].lock_fd);
    }
    free(run->jobs);
    free(run->methods);
    free(run->files);
    remote_close(&run->r);
}

static void print_issues(const struct run *run)
{
    for (size_t i = 0; i < run->nfiles; i++)
        sheet_print_issues(&run->files[i].sheet, stderr);
}

/* Reads, checks and sends; returns the exit code. */
static int run_all(struct run *run, char *const files[], size_t nfiles)
{
    int rc;

    read_files(run, files, nfiles);
    cross_check(run);
    if (run->files == NULL || !make_jobs(run)) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    if (run->njobs > 0) {
        if (!remote_open(&run->r, run->o, &rc))
            return rc;
        if (!fetch_methods(run)) {
            fprintf(stderr, "error: out of memory\n");
            return CLI_EXIT_FAILURE;
        }
        build_jobs(run, run->a->draft);
    }
    print_issues(run);
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
