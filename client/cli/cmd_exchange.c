/* cmd_exchange: the partners' exchange read from the command line: `vigil
 * export` (Exchange/Export: one published version of a cycle written to a
 * directory as it arrives, see snapshot.h) and `vigil changes`
 * (Exchange/Changes: the feed of changes to published data, one line each).
 * `vigil import` is in cmd_import.c. */
#include "args.h"
#include "cmd.h"
#include "pbjson.h"
#include "progress.h"
#include "remote.h"
#include "snapshot.h"

#include "vigil/v1/exchange.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_PATH  "/vigil.v1.Exchange/Export"
#define CHANGES_PATH "/vigil.v1.Exchange/Changes"

/* Opens a server-streaming call and sends its one request. bounded: each
 * wait for the server is limited by --timeout (the call as a whole is not:
 * an export takes as long as it takes while the server keeps sending).
 * Returns NULL after printing the failure, with the exit code in *rc. */
static struct vigil_stream *start(struct vigil_client *c, const struct opts *o, const char *path,
                                  const ProtobufCMessage *req, bool bounded, int *rc)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(c, path, 0, &st);

    if (s != NULL) {
        vigil_stream_set_wait(s, bounded ? o->timeout_ms : 0);
        if ((st = vigil_stream_send(s, req)) == VIGIL_OK)
            st = vigil_stream_close_send(s);
    }
    if (s != NULL && st == VIGIL_OK)
        return s;
    if (st == VIGIL_END) /* ended at once, with nothing: recv says so */
        return s;
    *rc = remote_report(o, c, st);
    vigil_stream_free(s);
    return NULL;
}

/* ---- export ---- */

struct export_run {
    const struct opts *o;
    const struct args *a;
    enum snapshot_format format;
    struct vigil_client *c;
    struct vigil_stream *s;
    struct snapshot snap;
    bool began; /* snap was begun: the first record came */
    struct progress bar;
    Vigil__V1__ExportRecord *end; /* the END record, owned */
};

/* The records up to END, each written as it arrives. */
static int export_receive(struct export_run *x)
{
    char err[600];
    ProtobufCMessage *m;
    enum vigil_status st;

    while ((st = vigil_stream_recv(x->s, &vigil__v1__export_record__descriptor, &m)) == VIGIL_OK) {
        Vigil__V1__ExportRecord *r = (Vigil__V1__ExportRecord *)m;
        if (x->end != NULL) {
            protobuf_c_message_free_unpacked(m, NULL);
            progress_clear(&x->bar);
            fprintf(stderr, "error: the server sent records after END\n");
            return CLI_EXIT_CONNECT;
        }
        if (r->kind == VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_END) {
            x->end = r;
            continue; /* the call's status is still to come */
        }
        if (r->kind == VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_HEADER &&
            r->header != NULL)
            x->bar.total = r->header->assessments > 0 ? (size_t)r->header->assessments : 0;
        /* DIR is touched only once the server answers with a record. */
        if (!x->began &&
            !(x->began = snapshot_begin(&x->snap, x->a->out, x->format, err, sizeof(err)))) {
            protobuf_c_message_free_unpacked(m, NULL);
            progress_clear(&x->bar);
            fprintf(stderr, "error: cannot write the snapshot: %s\n", err);
            return CLI_EXIT_FAILURE;
        }
        if (!snapshot_add(&x->snap, r, err, sizeof(err))) {
            progress_clear(&x->bar);
            fprintf(stderr, "error: %s\n", err);
            return CLI_EXIT_CONNECT; /* the server broke the contract */
        }
        progress_update(&x->bar, x->snap.assessments);
    }
    progress_clear(&x->bar);
    if (st != VIGIL_END)
        return remote_report(x->o, x->c, st);
    if (x->end == NULL || x->end->header == NULL || !x->began) {
        fprintf(stderr, "error: the export ended without its END record\n");
        return CLI_EXIT_CONNECT;
    }
    return CLI_EXIT_OK;
}

static int export_done(struct export_run *x)
{
    const Vigil__V1__ExportHeader *h = x->end->header;
    char err[600];

    if (!snapshot_finish(&x->snap, h, err, sizeof(err))) {
        fprintf(stderr, "error: %s\n", err);
        return CLI_EXIT_FAILURE;
    }
    fprintf(stderr,
            "exported %s version %d (published %s, digest %.12s): %lld assessments, %lld "
            "evidence items, to %s\n",
            h->cycle, h->version, h->published_at, h->digest, (long long)h->assessments,
            (long long)h->evidence, x->a->out);
    printf("cursor: %s\n", h->cursor);
    if (h->cursor[0] != '\0')
        printf("hint: the feed continues from this snapshot: vigil changes --after %s\n",
               h->cursor);
    else
        printf("hint: the feed holds nothing before this snapshot: vigil changes follows it "
               "from the start\n");
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int export_run(struct export_run *x)
{
    Vigil__V1__ExportRequest req = VIGIL__V1__EXPORT_REQUEST__INIT;
    int rc;

    if ((x->c = remote_connect(x->o, &rc)) == NULL)
        return rc;
    req.cycle = (char *)x->a->cycle;
    req.version = x->a->version;
    if ((x->s = start(x->c, x->o, EXPORT_PATH, &req.base, true, &rc)) == NULL)
        return rc;
    progress_init(&x->bar, stderr, "exporting", 0);
    if ((rc = export_receive(x)) != CLI_EXIT_OK) {
        fprintf(stderr, "nothing was changed in %s\n", x->a->out);
        return rc;
    }
    return export_done(x);
}

int cmd_export(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct args a;
    struct export_run x = {.o = o, .a = &a, .format = SNAPSHOT_CSV};
    int rc, first;

    args_init(&a, self->name);
    if (args_parse(self, o, argc, argv, &a, 0, &first, &rc)) {
        if (a.cycle == NULL || a.out == NULL)
            rc = args_usage(&a, "--cycle and --out are required");
        else if (a.file_format != NULL && !snapshot_format_parse(a.file_format, &x.format))
            rc = args_usage(&a, "--format: \"%s\" is not csv or jsonl", a.file_format);
        else
            rc = export_run(&x);
    }
    snapshot_clear(&x.snap); /* an export given up leaves nothing behind */
    if (x.end != NULL)
        protobuf_c_message_free_unpacked(&x.end->base, NULL);
    vigil_stream_free(x.s);
    vigil_client_free(x.c);
    args_clear(&a);
    return rc;
}

/* ---- changes ---- */

static const struct output_column change_cols[] = {
    {"cursor", OUTPUT_STRING},     {"kind", OUTPUT_STRING},  {"committed_at", OUTPUT_STRING},
    {"cycle", OUTPUT_STRING},      {"version", OUTPUT_INT},  {"state", OUTPUT_STRING},
    {"state_name", OUTPUT_STRING}, {"revision", OUTPUT_INT},
};
#define NCHANGE_COLS (sizeof(change_cols) / sizeof(change_cols[0]))

/* One change as a line: the table's "CURSOR KIND CYCLE VERSION STATE", a
 * CSV record, or the Change message as one JSON line. */
static bool print_change(enum output_format f, const Vigil__V1__Change *ch)
{
    char kind[40], version[16], revision[16];

    if (!pbjson_enum_name(&vigil__v1__change_kind__descriptor, ch->kind, kind, sizeof(kind)))
        snprintf(kind, sizeof(kind), "%d", ch->kind);
    snprintf(version, sizeof(version), "%d", ch->version);
    snprintf(revision, sizeof(revision), "%d", ch->revision != NULL ? ch->revision->number : 0);
    if (f == OUTPUT_JSON) {
        json_t *j = pbjson_encode(&ch->base);
        int rc = j != NULL ? json_dumpf(j, stdout, JSON_COMPACT) : -1;
        json_decref(j);
        return rc == 0 && putchar('\n') != EOF && fflush(stdout) == 0;
    }
    if (f == OUTPUT_CSV) {
        const char *row[NCHANGE_COLS] = {
            ch->cursor, kind,      ch->committed_at, ch->cycle,
            version,    ch->state, ch->state_name,   ch->revision != NULL ? revision : ""};
        output_csv_record(stdout, row, NCHANGE_COLS);
    } else {
        printf("%s  %-18s  %s  %s  %s\n", ch->cursor, kind, ch->cycle, version,
               ch->state[0] != '\0' ? ch->state : "-");
    }
    return fflush(stdout) == 0;
}

static int changes_receive(const struct opts *o, struct vigil_client *c, struct vigil_stream *s)
{
    ProtobufCMessage *m;
    enum vigil_status st;

    if (o->format == OUTPUT_CSV) {
        const char *head[NCHANGE_COLS];
        for (size_t i = 0; i < NCHANGE_COLS; i++)
            head[i] = change_cols[i].name;
        output_csv_record(stdout, head, NCHANGE_COLS);
    }
    while ((st = vigil_stream_recv(s, &vigil__v1__change__descriptor, &m)) == VIGIL_OK) {
        const Vigil__V1__Change *ch = (const Vigil__V1__Change *)m;
        bool ok = true;
        if (ch->kind == VIGIL__V1__CHANGE_KIND__CHANGE_KIND_CAUGHT_UP) {
            fflush(stdout);
            fprintf(stderr, "caught up at %s\n", ch->cursor[0] != '\0' ? ch->cursor : "\"\"");
        } else {
            ok = print_change(o->format, ch);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (!ok) {
            fprintf(stderr, "error: cannot write output\n");
            return CLI_EXIT_FAILURE;
        }
    }
    return st == VIGIL_END ? CLI_EXIT_OK : remote_report(o, c, st);
}

int cmd_changes(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__ChangesRequest req = VIGIL__V1__CHANGES_REQUEST__INIT;
    struct vigil_client *c = NULL;
    struct vigil_stream *s = NULL;
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (args_parse(self, o, argc, argv, &a, 0, &first, &rc) && (c = remote_connect(o, &rc))) {
        req.after = (char *)(a.after != NULL ? a.after : "");
        req.follow = a.follow;
        req.include_approvals = a.approvals;
        /* Following waits for changes as long as it takes. */
        if ((s = start(c, o, CHANGES_PATH, &req.base, !a.follow, &rc)) != NULL)
            rc = changes_receive(o, c, s);
    }
    vigil_stream_free(s);
    vigil_client_free(c);
    args_clear(&a);
    return rc;
}
