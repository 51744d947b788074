/* cmd_import: `vigil import FILE... [--dry-run]`: the files of `vigil
 * submit` (read and checked the same way, sheetset.h) sent as one
 * Exchange/Import stream, one ImportRequest per state and cycle, each
 * answered with a result of its own: a bad record is reported with where
 * it starts in its file (and the row of the entry the server names) while
 * the others go on. Request ids are kept in FILE.pending as submit keeps
 * them, written before anything is sent, and kept once stored too, so that
 * importing the same file again replays the very same requests: the server
 * answers each with its first result and stores nothing new. A stream cut
 * by a bad link is opened again and the records without a result resent. */
#include "args.h"
#include "cmd.h"
#include "importrep.h"
#include "pending.h"
#include "progress.h"
#include "remote.h"
#include "reqid.h"
#include "sheetset.h"

#include "grpcwire.h"
#include "pbjson.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/exchange.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMPORT_PATH "/vigil.v1.Exchange/Import"
#define LIST_PATH   "/vigil.v1.Assessments/List"

enum outcome { OUT_STORED, OUT_REFUSED, OUT_INVALID, OUT_NOT_SENT };

/* One state and cycle of one file: one record of the stream. */
struct rec {
    size_t file, group;    /* in run.set */
    struct submission sub; /* built when the group is valid */
    enum outcome outcome;
    bool to_send;  /* built, with its request id recorded */
    bool fresh;    /* a new request: its base revision comes from the server */
    bool replay;   /* the request id of an earlier run */
    bool answered; /* a result came */
    char ref[300]; /* "FILE:LINE" */
    char id[REQID_SIZE];
    int base;
    int revision, status; /* the result's */
    char detail[700];     /* why, when refused or not sent */
};

/* The latest revisions of one cycle's assessments, for new requests. */
struct bases {
    const char *cycle;      /* borrowed from a sheet */
    ProtobufCMessage *list; /* ListResponse (owned); NULL when it could not be read */
};

struct run {
    const struct opts *o;
    const struct args *a;
    struct remote r;
    struct sheetset set;
    struct rec *recs;
    size_t nrecs;
    struct bases *bases;
    size_t nbases;
    size_t *sent; /* recs in the order of the current stream (index of a result) */
    size_t nsent;
    struct progress bar;
    size_t answered;
    char proto_err[300]; /* the server broke the stream's rules ("" = no) */
    bool stop;           /* the link or the disk failed: send nothing more */
    int stop_rc;
};

static struct sheet *rec_sheet(const struct run *run, const struct rec *rc)
{
    return &run->set.files[rc->file].sheet;
}

static struct sheet_group *rec_group(const struct run *run, const struct rec *rc)
{
    return &rec_sheet(run, rc)->groups[rc->group];
}

static void stop(struct run *run, int rc)
{
    progress_clear(&run->bar);
    run->stop = true;
    run->stop_rc = rc;
}

/* ---- reading and checking ---- */

static bool make_recs(struct run *run)
{
    const struct sheetset *ss = &run->set;

    if ((run->recs = calloc(sheetset_ngroups(ss) + 1, sizeof(*run->recs))) == NULL ||
        (run->sent = calloc(sheetset_ngroups(ss) + 1, sizeof(*run->sent))) == NULL)
        return false;
    for (size_t i = 0; i < ss->nfiles; i++) {
        for (size_t g = 0; ss->files[i].usable && g < ss->files[i].sheet.ngroups; g++) {
            struct rec *rc = &run->recs[run->nrecs++];
            *rc = (struct rec){.file = i, .group = g, .outcome = OUT_NOT_SENT};
            importrep_ref(&ss->files[i].sheet, &ss->files[i].sheet.groups[g], rc->ref,
                          sizeof(rc->ref));
        }
    }
    return true;
}

static void build_recs(struct run *run)
{
    for (size_t i = 0; i < run->nrecs; i++) {
        struct rec *rc = &run->recs[i];
        switch (sheetset_build(&run->set, rc->file, rc->group, &rc->sub, false)) {
        case SHEETSET_BUILT:
            rc->to_send = true;
            break;
        case SHEETSET_UNCHECKED:
            snprintf(rc->detail, sizeof(rc->detail), "not checked: the connection failed");
            break;
        case SHEETSET_INVALID:
            rc->outcome = OUT_INVALID;
            snprintf(rc->detail, sizeof(rc->detail), "errors in the file (reported above)");
            break;
        }
    }
}

/* ---- request ids and base revisions ---- */

static struct bases *bases_for(struct run *run, const char *cycle)
{
    for (size_t i = 0; i < run->nbases; i++) {
        if (strcmp(run->bases[i].cycle, cycle) == 0)
            return &run->bases[i];
    }
    return NULL;
}

/* Lists the assessments of b's cycle; false when the link failed. */
static bool fetch_bases(struct run *run, struct bases *b)
{
    Vigil__V1__ListRequest req = VIGIL__V1__LIST_REQUEST__INIT;

    req.cycle = (char *)b->cycle;
    if (remote_call(&run->r, LIST_PATH, &req.base, &vigil__v1__list_response__descriptor,
                    &b->list) == VIGIL_OK)
        return true;
    if (remote_outcome_unknown(&run->r) || run->r.st != VIGIL_E_RPC) {
        stop(run, remote_fail(&run->r));
        return false;
    }
    /* A partner may import but not read assessments: new records go as
     * first revisions, and the server refuses those that are not. */
    fprintf(stderr,
            "note: %s: the current revisions cannot be read (%s: %.300s); new records are sent "
            "as first revisions (base_revision 0)\n",
            b->cycle, vigil_code_name(run->r.rpc_code), run->r.msg);
    return true;
}

static int latest_revision(const struct bases *b, const char *state)
{
    const Vigil__V1__ListResponse *l = (const Vigil__V1__ListResponse *)b->list;

    for (size_t i = 0; l != NULL && i < l->n_assessments; i++) {
        if (strcmp(l->assessments[i]->state, state) == 0)
            return l->assessments[i]->latest_revision;
    }
    return 0;
}

static void now_rfc3339(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;

    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* Takes the request id of an earlier run when the content is the same. */
static void reuse_ids(struct run *run)
{
    for (size_t i = 0; i < run->nrecs; i++) {
        struct rec *rc = &run->recs[i];
        if (!rc->to_send)
            continue;
        if (!sheetset_open_pending(&run->set, rc->file)) {
            rc->to_send = false;
            snprintf(rc->detail, sizeof(rc->detail), "its pending file could not be used");
            continue;
        }
        const struct sheet_group *g = rec_group(run, rc);
        const struct pending_entry *pe =
            pending_find(&run->set.files[rc->file].pending, run->o->address, g->state, g->cycle);
        rc->replay = pe != NULL && strcmp(pe->content_sha256, rc->sub.sha256) == 0;
        rc->fresh = !rc->replay;
        if (rc->replay) {
            snprintf(rc->id, sizeof(rc->id), "%s", pe->request_id);
            rc->base = pe->base_revision;
        }
    }
}

/* New requests: a random id on the latest revision, recorded (unless a
 * dry run) before anything is sent. */
static bool new_ids(struct run *run)
{
    char at[32];

    now_rfc3339(at, sizeof(at));
    for (size_t i = 0; i < run->nrecs && !run->stop; i++) {
        struct rec *rc = &run->recs[i];
        const struct sheet_group *g = rec_group(run, rc);
        if (!rc->to_send || !rc->fresh)
            continue;
        struct bases *b = bases_for(run, g->cycle);
        if (b == NULL) {
            b = &run->bases[run->nbases++];
            b->cycle = g->cycle;
            if (!fetch_bases(run, b))
                return true;
        }
        rc->base = latest_revision(b, g->state);
        reqid_random(rc->id);
        struct pending_entry e = {(char *)run->o->address, g->state, g->cycle, rc->id, rc->base,
                                  rc->sub.sha256,          at};
        if (!run->a->dry_run && !pending_set(&run->set.files[rc->file].pending, &e))
            return false;
    }
    return true;
}

/* Writes the pending files that gained requests; a file that cannot be
 * written stops the run before anything is sent. */
static void save_pendings(struct run *run)
{
    char err[600];

    for (size_t f = 0; f < run->set.nfiles && !run->stop && !run->a->dry_run; f++) {
        bool fresh = false;
        for (size_t i = 0; i < run->nrecs; i++)
            fresh = fresh || (run->recs[i].file == f && run->recs[i].to_send && run->recs[i].fresh);
        if (fresh && !pending_save(&run->set.files[f].pending, err, sizeof(err))) {
            fprintf(stderr, "error: %s\n", err);
            stop(run, CLI_EXIT_FAILURE);
        }
    }
}

static bool assign_ids(struct run *run)
{
    reuse_ids(run);
    if ((run->bases = calloc(run->nrecs + 1, sizeof(*run->bases))) == NULL || !new_ids(run))
        return false;
    save_pendings(run);
    return true;
}

/* ---- the stream ---- */

static enum vigil_status broke(struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum vigil_status broke(struct run *run, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(run->proto_err, sizeof(run->proto_err), fmt, ap);
    va_end(ap);
    return VIGIL_E_PROTOCOL;
}

static void apply(struct run *run, struct rec *rc, const Vigil__V1__ImportResult *res)
{
    char line[1800];

    rc->answered = true;
    run->answered++;
    if (res->code == GRPC_OK) {
        rc->outcome = OUT_STORED;
        rc->revision = res->revision;
        rc->status = res->status;
    } else {
        rc->outcome = OUT_REFUSED;
        snprintf(rc->detail, sizeof(rc->detail), "%s: %.600s", vigil_code_name(res->code),
                 res->message);
        importrep_refusal(rec_sheet(run, rc), rec_group(run, rc), &rc->sub, rc->ref, res->code,
                          res->message, line, sizeof(line));
        progress_clear(&run->bar);
        fprintf(stderr, "%s\n", line);
    }
    progress_update(&run->bar, run->answered);
}

/* Receives one result; VIGIL_END when the stream is over. */
static enum vigil_status receive(struct run *run, struct vigil_stream *s)
{
    ProtobufCMessage *m;
    enum vigil_status st = vigil_stream_recv(s, &vigil__v1__import_result__descriptor, &m);

    if (st != VIGIL_OK)
        return st;
    const Vigil__V1__ImportResult *res = (const Vigil__V1__ImportResult *)m;
    if (res->index < 0 || (uint64_t)res->index >= run->nsent)
        st = broke(run, "a result for record %lld, of %zu sent", (long long)res->index, run->nsent);
    else if (run->recs[run->sent[res->index]].answered)
        st = broke(run, "a second result for record %lld", (long long)res->index);
    else
        apply(run, &run->recs[run->sent[res->index]], res);
    protobuf_c_message_free_unpacked(m, NULL);
    return st;
}

static enum vigil_status send_rec(struct run *run, struct vigil_stream *s, size_t i)
{
    struct rec *rc = &run->recs[i];
    Vigil__V1__ImportRequest req = VIGIL__V1__IMPORT_REQUEST__INIT;
    Vigil__V1__SubmitRequest *record = submission_request(&rc->sub, rc->id, rc->base);
    enum vigil_status st;

    if (record == NULL)
        return broke(run, "out of memory");
    req.record = record;
    req.dry_run = run->a->dry_run;
    req.ref = rc->ref;
    /* The server waits for its results to be read: read one, then again. */
    while ((st = vigil_stream_send(s, &req.base)) == VIGIL_AGAIN) {
        if ((st = receive(run, s)) != VIGIL_OK)
            break;
    }
    protobuf_c_message_free_unpacked(&record->base, NULL);
    if (st == VIGIL_OK)
        run->sent[run->nsent++] = i;
    return st;
}

/* One stream: every record without a result, then every result. Returns
 * VIGIL_END when the server ended it normally. */
static enum vigil_status stream_once(struct run *run)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(run->r.c, IMPORT_PATH, 0, &st);

    run->nsent = 0;
    run->proto_err[0] = '\0';
    if (s == NULL) {
        remote_note(&run->r, st);
        return st;
    }
    vigil_stream_set_wait(s, run->o->timeout_ms);
    for (size_t i = 0; i < run->nrecs && st == VIGIL_OK; i++) {
        if (!run->recs[i].to_send || run->recs[i].answered)
            continue;
        st = send_rec(run, s, i);
        while (st == VIGIL_OK && vigil_stream_ready(s) > 0)
            st = receive(run, s);
    }
    if (st == VIGIL_OK)
        st = vigil_stream_close_send(s);
    while (st == VIGIL_OK)
        st = receive(run, s);
    if (run->proto_err[0] == '\0')
        remote_note(&run->r, st);
    vigil_stream_free(s);
    return st;
}

static void send_all(struct run *run)
{
    size_t total = 0;

    for (size_t i = 0; i < run->nrecs; i++)
        total += run->recs[i].to_send;
    if (total == 0 || run->stop)
        return;
    progress_init(&run->bar, stderr, run->a->dry_run ? "checking" : "importing", total);
    for (int attempt = 1;; attempt++) {
        enum vigil_status st = remote_connected(&run->r) ? stream_once(run) : run->r.st;
        if (st == VIGIL_END)
            break;
        if (run->proto_err[0] != '\0') {
            progress_clear(&run->bar);
            fprintf(stderr, "error: the server broke the Import stream: %s\n", run->proto_err);
            stop(run, CLI_EXIT_CONNECT);
            break;
        }
        if (!remote_retry(&run->r, attempt)) {
            stop(run, CLI_EXIT_OK);
            run->stop_rc = remote_fail(&run->r);
            break;
        }
    }
    progress_clear(&run->bar);
    for (size_t i = 0; i < run->nrecs; i++) {
        struct rec *rc = &run->recs[i];
        if (rc->to_send && !rc->answered && rc->detail[0] == '\0')
            snprintf(rc->detail, sizeof(rc->detail),
                     "no result (run again: the same request is resent)");
    }
}

/* ---- the end ---- */

/* A refused record stored nothing: its id is done with. Stored ones keep
 * theirs, so that the same file imported again replays them. */
static void finish_pendings(struct run *run)
{
    char err[600];

    for (size_t f = 0; f < run->set.nfiles && !run->a->dry_run; f++) {
        bool changed = false;
        for (size_t i = 0; i < run->nrecs; i++) {
            struct rec *rc = &run->recs[i];
            if (rc->file != f || rc->outcome != OUT_REFUSED)
                continue;
            const struct sheet_group *g = rec_group(run, rc);
            pending_unset(&run->set.files[f].pending, run->o->address, g->state, g->cycle);
            changed = true;
        }
        if (changed && !pending_save(&run->set.files[f].pending, err, sizeof(err)))
            fprintf(stderr, "warning: %s\n", err); /* a resent refusal is refused again */
    }
}

static int print_results(const struct run *run)
{
    static const struct output_column cols[] = {
        {"ref", OUTPUT_STRING},    {"state", OUTPUT_STRING}, {"cycle", OUTPUT_STRING},
        {"result", OUTPUT_STRING}, {"revision", OUTPUT_INT}, {"status", OUTPUT_STRING},
        {"detail", OUTPUT_STRING},
    };
    const char *names[] = {run->a->dry_run ? "valid" : "stored", "refused", "invalid", "not sent"};
    struct output *out = output_new(run->o->format, cols, sizeof(cols) / sizeof(cols[0]));

    for (size_t i = 0; out != NULL && i < run->nrecs; i++) {
        const struct rec *rc = &run->recs[i];
        const struct sheet_group *g = rec_group(run, rc);
        char rev[16], status[32] = "";
        bool ok = rc->outcome == OUT_STORED;
        snprintf(rev, sizeof(rev), "%d", rc->revision);
        if (ok)
            pbjson_enum_name(&vigil__v1__assessment_status__descriptor, rc->status, status,
                             sizeof(status));
        const char *detail = rc->detail[0]      ? rc->detail
                             : rc->replay && ok ? "replayed: answered with its first result"
                             : rc->outcome == OUT_NOT_SENT ? "not sent: stopped after a failure"
                                                           : "";
        const char *row[] = {rc->ref,         g->state,           g->cycle, names[rc->outcome],
                             ok ? rev : NULL, ok ? status : NULL, detail};
        out = output_checked(out, output_add(out, row));
    }
    return cmd_emit(out, false);
}

static int summary(const struct run *run)
{
    struct importrep_counts n = {0};
    char line[400];

    for (size_t i = 0; i < run->nrecs; i++) {
        const struct rec *rc = &run->recs[i];
        n.stored += rc->outcome == OUT_STORED;
        n.replayed += rc->outcome == OUT_STORED && rc->replay;
        n.refused += rc->outcome == OUT_REFUSED;
        n.invalid += rc->outcome == OUT_INVALID;
        n.not_sent += rc->outcome == OUT_NOT_SENT;
    }
    importrep_summary(&n, run->a->dry_run, line, sizeof(line));
    fprintf(stderr, "%s\n", line);
    if (n.not_sent > 0 && !run->a->dry_run)
        fprintf(stderr, "hint: run the same command again to send the rest; records already "
                        "sent are resent with the same ids (FILE.pending)\n");
    if (run->set.file_error || n.invalid > 0)
        return CLI_EXIT_USAGE;
    if (n.refused > 0)
        return CLI_EXIT_RPC;
    if (run->stop)
        return run->stop_rc != CLI_EXIT_OK ? run->stop_rc : CLI_EXIT_FAILURE;
    return n.not_sent > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int run_all(struct run *run, char *const files[], size_t nfiles)
{
    int rc;

    if (!sheetset_read(&run->set, files, nfiles) || !make_recs(run))
        goto nomem;
    if (run->nrecs > 0) {
        if (!remote_open(&run->r, run->o, &rc))
            return rc;
        if (!sheetset_fetch_methods(&run->set, &run->r)) {
            if (run->set.nomem)
                goto nomem;
            stop(run, remote_fail(&run->r));
        }
        build_recs(run);
    }
    sheetset_print_issues(&run->set);
    if (!run->stop && !assign_ids(run))
        goto nomem;
    send_all(run);
    finish_pendings(run);
    rc = print_results(run);
    int sum = summary(run);
    return sum != CLI_EXIT_OK ? sum : rc;
nomem:
    fprintf(stderr, "error: out of memory\n");
    return CLI_EXIT_FAILURE;
}

int cmd_import(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct run run = {.o = o};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    run.a = &a;
    if (args_parse(self, o, argc, argv, &a, 1, &first, &rc))
        rc = run_all(&run, argv + first, (size_t)(argc - first));
    for (size_t i = 0; i < run.nrecs; i++)
        submission_clear(&run.recs[i].sub);
    for (size_t i = 0; i < run.nbases; i++) {
        if (run.bases[i].list != NULL)
            protobuf_c_message_free_unpacked(run.bases[i].list, NULL);
    }
    free(run.recs);
    free(run.sent);
    free(run.bases);
    sheetset_clear(&run.set);
    remote_close(&run.r);
    args_clear(&a);
    return rc;
}
