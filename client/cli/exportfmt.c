/* exportfmt: the rows and lines of `vigil export`'s files (see exportfmt.h). */
#include "exportfmt.h"
#include "output.h"
#include "pbjson.h"
#include "rankagg.h"
#include "rankfmt.h"

#include <stdlib.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

const char *const exportfmt_assessment_columns[EXPORTFMT_ASSESSMENT_NCOLS] = {
    "state", "state_name", "revision", "indicator", "level", "justification", "evidence_count",
};

const char *const exportfmt_evidence_columns[EXPORTFMT_EVIDENCE_NCOLS] = {
    "state", "indicator", "n", "citation", "url", "date",
};

size_t exportfmt_evidence_count(const Vigil__V1__ExportRecord *r)
{
    size_t n = 0;

    for (size_t i = 0; r->revision != NULL && i < r->revision->n_entries; i++)
        n += r->revision->entries[i]->n_evidence;
    return n;
}

static bool check_record(const Vigil__V1__ExportRecord *r, char *err, size_t cap)
{
    if (r->state == NULL || r->state[0] == '\0') {
        snprintf(err, cap, "an ASSESSMENT record names no state");
        return false;
    }
    return true;
}

static void evidence_rows(FILE *f, const char *state, const Vigil__V1__Entry *e)
{
    char n[24];

    for (size_t k = 0; k < e->n_evidence; k++) {
        const Vigil__V1__Evidence *ev = e->evidence[k];
        snprintf(n, sizeof(n), "%zu", k + 1);
        const char *row[EXPORTFMT_EVIDENCE_NCOLS] = {state,        e->indicator, n,
                                                     ev->citation, ev->url,      ev->date};
        output_csv_record(f, row, NCOLS(row));
    }
}

bool exportfmt_assessment_csv(FILE *assessments, FILE *evidence, const Vigil__V1__ExportRecord *r,
                              size_t *nevidence, char *err, size_t cap)
{
    const Vigil__V1__Revision *rev = r->revision;
    char number[24], count[24];

    *nevidence = 0;
    if (!check_record(r, err, cap))
        return false;
    if (rev == NULL || rev->n_entries == 0) {
        /* Listed all the same, so that every state the publication counts
         * has a row. */
        snprintf(number, sizeof(number), "%d", rev != NULL ? rev->number : 0);
        const char *row[EXPORTFMT_ASSESSMENT_NCOLS] = {r->state, r->state_name,
                                                       rev != NULL ? number : NULL};
        output_csv_record(assessments, row, NCOLS(row));
        return true;
    }
    snprintf(number, sizeof(number), "%d", rev->number);
    for (size_t i = 0; i < rev->n_entries; i++) {
        const Vigil__V1__Entry *e = rev->entries[i];
        snprintf(count, sizeof(count), "%zu", e->n_evidence);
        const char *row[EXPORTFMT_ASSESSMENT_NCOLS] = {
            r->state, r->state_name, number, e->indicator, e->level, e->justification, count,
        };
        output_csv_record(assessments, row, NCOLS(row));
        evidence_rows(evidence, r->state, e);
        *nevidence += e->n_evidence;
    }
    return true;
}

/* One compact JSON object and a line feed; consumes j. */
static bool put_line(FILE *f, json_t *j, char *err, size_t cap)
{
    int rc = j != NULL ? json_dumpf(j, f, JSON_COMPACT) : -1;

    json_decref(j);
    if (rc != 0) {
        snprintf(err, cap, j == NULL ? "out of memory" : "cannot write a JSON line");
        return false;
    }
    fputc('\n', f);
    return true;
}

bool exportfmt_assessment_jsonl(FILE *f, const Vigil__V1__ExportRecord *r, size_t *nevidence,
                                char *err, size_t cap)
{
    json_t *rev = NULL;

    *nevidence = 0;
    if (!check_record(r, err, cap))
        return false;
    if (r->revision != NULL && (rev = pbjson_encode(&r->revision->base)) == NULL) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    *nevidence = exportfmt_evidence_count(r);
    return put_line(f,
                    json_pack("{s:s, s:s, s:o}", "state", r->state, "state_name",
                              r->state_name != NULL ? r->state_name : "", "revision",
                              rev != NULL ? rev : json_null()),
                    err, cap);
}

bool exportfmt_message_jsonl(FILE *f, const ProtobufCMessage *m, char *err, size_t cap)
{
    return put_line(f, pbjson_encode(m), err, cap);
}

/* Prints out (consumed) as CSV on f. */
static bool put_output(FILE *f, struct output *out, char *err, size_t cap)
{
    bool ok = out != NULL && output_print_list(out, f, err, cap);

    if (out == NULL)
        snprintf(err, cap, "out of memory");
    output_free(out);
    return ok;
}

bool exportfmt_ranking_csv(FILE *f, const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                           char *err, size_t cap)
{
    size_t ncols = 0;
    struct output_column *cols = rankfmt_columns(r, m, true, &ncols);
    struct output *out = cols != NULL ? output_new(OUTPUT_CSV, cols, ncols) : NULL;

    out = output_checked(out, out != NULL && rankfmt_rows(out, r, m, true));
    bool ok = put_output(f, out, err, cap);
    free(cols);
    return ok;
}

bool exportfmt_aggregates_csv(FILE *f, const Vigil__V1__GetAggregatesResponse *a, char *err,
                              size_t cap)
{
    struct output *out = output_new(OUTPUT_CSV, rankagg_columns, NCOLS(rankagg_columns));

    out = output_checked(out, out != NULL && rankagg_rows(out, a));
    return put_output(f, out, err, cap);
}

json_t *exportfmt_snapshot_json(const Vigil__V1__ExportHeader *h, const char *format,
                                const char *const files[], size_t n)
{
    json_t *j = pbjson_encode(&h->base);
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(list, json_string(files[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (j == NULL || list == NULL) {
        json_decref(j);
        json_decref(list);
        return NULL;
    }
    /* The _new setters take their value even when they fail. */
    if (json_object_set_new(j, "format", json_string(format)) != 0 ||
        json_object_set_new(j, "files", list) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}
