/* rankfmt: text and rows of rankings (see rankfmt.h). */
#include "rankfmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UP   "\xe2\x96\xb2" /* U+25B2 BLACK UP-POINTING TRIANGLE */
#define DOWN "\xe2\x96\xbc" /* U+25BC BLACK DOWN-POINTING TRIANGLE */

#define CELL 48 /* bytes of a number's cell */

void rankfmt_rank(int rank, bool tied, char *buf, size_t cap)
{
    if (rank <= 0)
        snprintf(buf, cap, "%s", "");
    else
        snprintf(buf, cap, "%s%d", tied ? "=" : "", rank);
}

/* "▲3", "▼1", "=" */
static void delta(int d, char *buf, size_t cap)
{
    if (d > 0)
        snprintf(buf, cap, UP "%d", d);
    else if (d < 0)
        snprintf(buf, cap, DOWN "%ld", -(long)d);
    else
        snprintf(buf, cap, "=");
}

void rankfmt_movement(const Vigil__V1__Movement *m, char *buf, size_t cap)
{
    char r[24], b[24];

    snprintf(buf, cap, "%s", "");
    if (m == NULL)
        return;
    switch (m->kind) {
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA:
        delta(m->rank_delta, r, sizeof(r));
        delta(m->band_delta, b, sizeof(b));
        if (m->band_delta != 0)
            snprintf(buf, cap, "%s (band %s)", r, b);
        else
            snprintf(buf, cap, "%s", r);
        break;
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW:
        snprintf(buf, cap, "new");
        break;
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE:
        snprintf(buf, cap, "n/c");
        break;
    default:
        break;
    }
}

const char *rankfmt_movement_kind(const Vigil__V1__Movement *m)
{
    switch (m != NULL ? m->kind : VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NONE) {
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA:
        return "delta";
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW:
        return "new";
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE:
        return "not_comparable";
    default:
        return "";
    }
}

const char *rankfmt_figure(const Vigil__V1__Figure *f)
{
    return f != NULL && f->text != NULL ? f->text : "";
}

void rankfmt_percent(const char *decimal, char *buf, size_t cap)
{
    const char *dot = strchr(decimal, '.');
    size_t ilen = dot != NULL ? (size_t)(dot - decimal) : strlen(decimal);
    const char *frac = dot != NULL ? dot + 1 : "";
    char digits[64];
    size_t n = 0;

    if (decimal[0] == '\0') {
        snprintf(buf, cap, "100");
        return;
    }
    for (const char *p = decimal; *p; p++) {
        if (!isdigit((unsigned char)*p) && p != dot) {
            snprintf(buf, cap, "?");
            return;
        }
    }
    if (ilen + strlen(frac) + 4 > sizeof(digits) || (dot != NULL && (ilen == 0 || !*frac))) {
        snprintf(buf, cap, "?");
        return;
    }
    /* The integer part, then two decimals moved before the point. */
    for (size_t i = 0; i < ilen; i++)
        digits[n++] = decimal[i];
    for (size_t i = 0; i < 2; i++)
        digits[n++] = frac[0] != '\0' ? *frac++ : '0';
    size_t point = n;
    while (*frac)
        digits[n++] = *frac++;
    while (n > point && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    size_t lead = 0;
    while (lead + 1 < point && digits[lead] == '0')
        lead++;
    snprintf(buf, cap, "%.*s%s%s", (int)(point - lead), digits + lead, n > point ? "." : "",
             digits + point);
}

static const char *area_name(const Vigil__V1__Methodology *m, const char *code)
{
    for (size_t a = 0; m != NULL && a < m->n_areas; a++) {
        if (strcmp(m->areas[a]->code, code) == 0 && m->areas[a]->name[0] != '\0')
            return m->areas[a]->name;
    }
    return code;
}

/* Appends to buf (holding used bytes), truncating at cap. */
static size_t append(char *buf, size_t cap, size_t used, const char *fmt, const char *a,
                     const char *b)
{
    if (used >= cap)
        return used;
    int n = snprintf(buf + used, cap - used, fmt, a, b);
    return n > 0 ? used + (size_t)n : used;
}

void rankfmt_reasons(const Vigil__V1__UnrankedState *u, const Vigil__V1__Methodology *m, char *buf,
                     size_t cap)
{
    size_t used = 0;
    char min[32];

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < u->n_reasons; i++) {
        const char *sep = i > 0 ? "; " : "";
        switch (u->reasons[i]->reason) {
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_NOT_APPROVED:
            used = append(buf, cap, used, "%s%s", sep, "not approved");
            break;
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_AREA_UNRATED:
            used = append(buf, cap, used, "%sno rated indicator in %s", sep,
                          area_name(m, u->reasons[i]->area));
            break;
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_COVERAGE:
            used = append(buf, cap, used, "%scoverage%s", sep, u->coverage != NULL ? " " : "");
            if (u->coverage != NULL)
                used = append(buf, cap, used, "%s%s", rankfmt_figure(u->coverage), "%");
            if (m != NULL) {
                rankfmt_percent(m->min_coverage, min, sizeof(min));
                used = append(buf, cap, used, " below %s%s", min, "%");
            } else {
                used = append(buf, cap, used, "%s%s", " below the minimum", "");
            }
            break;
        default:
            used = append(buf, cap, used, "%s%s", sep, "not ranked");
            break;
        }
    }
}

void rankfmt_title(const Vigil__V1__Ranking *r, char *buf, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return;
    buf[0] = '\0';
    used = append(buf, cap, used, "Ranking of %s (%s)", r->cycle, r->methodology);
    if (r->view == VIGIL__V1__VIEW__VIEW_LIVE) {
        used = append(buf, cap, used, "%s%s", " (live)", "");
    } else {
        char version[16];
        snprintf(version, sizeof(version), "%d", r->version);
        used = append(buf, cap, used, ", version %s, published %s", version, r->published_at);
        used = append(buf, cap, used, ", digest %.12s%s", r->digest, "");
    }
    if (r->area[0] != '\0')
        used = append(buf, cap, used, ", ranked on area %s%s", r->area, "");
    if (r->region[0] != '\0')
        used = append(buf, cap, used, ", region %s%s", r->region, "");
    if (r->embargo_until[0] != '\0')
        used = append(buf, cap, used, ", embargoed until %s%s", r->embargo_until, "");
    if (r->superseded)
        append(buf, cap, used, "%s%s", ", superseded by a newer version", "");
}

/* ---- rows ---- */

/* The area codes of the columns: m's, else the first ranked state's. */
static const char **area_codes(const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                               size_t *n)
{
    const Vigil__V1__RankedState *first = r->n_ranked > 0 ? r->ranked[0] : NULL;
    size_t count = m != NULL ? m->n_areas : first != NULL ? first->n_areas : 0;
    const char **codes = calloc(count + 1, sizeof(*codes));

    if (codes == NULL)
        return NULL;
    for (size_t a = 0; a < count; a++)
        codes[a] = m != NULL ? m->areas[a]->code : first->areas[a]->area;
    *n = count;
    return codes;
}

static const Vigil__V1__AreaResult *area_result(const Vigil__V1__RankedState *s, const char *code)
{
    for (size_t a = 0; a < s->n_areas; a++) {
        if (strcmp(s->areas[a]->area, code) == 0)
            return s->areas[a];
    }
    return NULL;
}

static const char *const table_head[] = {"rank", "state", "name", "band", "overall"};
static const char *const table_tail[] = {"movement", "in region"};
static const char *const csv_head[] = {"rank", "tied",    "state",       "state_name", "region",
                                       "band", "overall", "overall_num", "overall_den"};
static const char *const csv_tail[] = {"coverage",    "movement",    "rank_delta", "band_delta",
                                       "region_rank", "region_tied", "reasons"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Column count: head + areas + tail (the table's "in region" only with a
 * region filter). */
static size_t column_count(const Vigil__V1__Ranking *r, bool csv, size_t nareas)
{
    if (csv)
        return N(csv_head) + nareas + N(csv_tail);
    return N(table_head) + nareas + N(table_tail) - (r->region[0] != '\0' ? 0 : 1);
}

struct output_column *rankfmt_columns(const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                                      bool csv, size_t *ncols)
{
    size_t nareas = 0, n = 0;
    const char **codes = area_codes(r, m, &nareas);
    size_t total = column_count(r, csv, nareas);
    struct output_column *cols = codes != NULL ? calloc(total, sizeof(*cols)) : NULL;
    const char *const *head = csv ? csv_head : table_head;
    const char *const *tail = csv ? csv_tail : table_tail;
    size_t nhead = csv ? N(csv_head) : N(table_head);

    if (cols == NULL) {
        free(codes);
        return NULL;
    }
    for (size_t i = 0; i < nhead; i++)
        cols[n++] = (struct output_column){head[i], OUTPUT_STRING};
    for (size_t a = 0; a < nareas; a++)
        cols[n++] = (struct output_column){codes[a], OUTPUT_STRING};
    while (n < total) {
        const char *name = tail[n - nhead - nareas];
        cols[n++] = (struct output_column){name, OUTPUT_STRING};
    }
    free(codes);
    *ncols = total;
    return cols;
}

/* One row being filled: values, and room for the numbers. */
struct row {
    const char **v;
    char (*num)[CELL];
    size_t n, ncols;
};

static bool row_init(struct row *w, size_t ncols)
{
    w->v = calloc(ncols, sizeof(*w->v));
    w->num = calloc(ncols, sizeof(*w->num));
    w->n = 0;
    w->ncols = ncols;
    return w->v != NULL && w->num != NULL;
}

static void row_clear(struct row *w)
{
    free(w->v);
    free(w->num);
}

static void put(struct row *w, const char *s)
{
    if (w->n < w->ncols)
        w->v[w->n++] = s;
}

static void put_int(struct row *w, long long v, bool blank_zero)
{
    if (w->n >= w->ncols)
        return;
    if (blank_zero && v == 0)
        snprintf(w->num[w->n], CELL, "%s", "");
    else
        snprintf(w->num[w->n], CELL, "%lld", v);
    put(w, w->num[w->n]);
}

static void put_rank(struct row *w, int rank, bool tied)
{
    if (w->n >= w->ncols)
        return;
    rankfmt_rank(rank, tied, w->num[w->n], CELL);
    put(w, w->num[w->n]);
}

static void put_ranked(struct row *w, const Vigil__V1__Ranking *r, const Vigil__V1__RankedState *s,
                       const char **codes, size_t nareas, bool csv)
{
    const Vigil__V1__Movement *mv = s->movement;
    bool d = mv != NULL && mv->kind == VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA;

    if (csv) {
        put_int(w, s->rank, false);
        put(w, s->tied ? "true" : "false");
    } else {
        put_rank(w, s->rank, s->tied);
    }
    put(w, s->state);
    put(w, s->state_name);
    if (csv)
        put(w, s->region);
    put(w, s->band);
    put(w, rankfmt_figure(s->overall));
    if (csv) {
        put_int(w, s->overall ? s->overall->num : 0, s->overall == NULL);
        put_int(w, s->overall ? s->overall->den : 0, s->overall == NULL);
    }
    for (size_t a = 0; a < nareas; a++) {
        const Vigil__V1__AreaResult *ar = area_result(s, codes[a]);
        put(w, ar != NULL ? rankfmt_figure(ar->score) : "");
    }
    if (!csv) {
        if (w->n < w->ncols) {
            rankfmt_movement(mv, w->num[w->n], CELL);
            put(w, w->num[w->n]);
        }
        if (r->region[0] != '\0')
            put_rank(w, s->region_rank, s->region_tied);
        return;
    }
    put(w, rankfmt_figure(s->coverage));
    put(w, rankfmt_movement_kind(mv));
    if (d) {
        put_int(w, mv->rank_delta, false);
        put_int(w, mv->band_delta, false);
    } else {
        put(w, "");
        put(w, "");
    }
    put_int(w, s->region_rank, true);
    put(w, r->region[0] != '\0' ? (s->region_tied ? "true" : "false") : "");
    put(w, "");
}

static void put_unranked(struct row *w, const Vigil__V1__UnrankedState *u,
                         const Vigil__V1__Methodology *m, size_t nareas, char *reasons, size_t cap)
{
    put(w, "");
    put(w, "");
    put(w, u->state);
    put(w, u->state_name);
    put(w, u->region);
    for (size_t i = 0; i < 4 + nareas; i++)
        put(w, ""); /* band, overall, num, den, areas */
    put(w, rankfmt_figure(u->coverage));
    for (size_t i = 0; i < 5; i++)
        put(w, ""); /* movement, deltas, region rank, tied */
    rankfmt_reasons(u, m, reasons, cap);
    put(w, reasons);
}

bool rankfmt_rows(struct output *out, const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                  bool csv)
{
    size_t nareas = 0;
    const char **codes = area_codes(r, m, &nareas);
    size_t ncols = column_count(r, csv, nareas);
    char reasons[1024];
    struct row w;
    bool ok = codes != NULL && row_init(&w, ncols);

    for (size_t i = 0; ok && i < r->n_ranked; i++) {
        w.n = 0;
        put_ranked(&w, r, r->ranked[i], codes, nareas, csv);
        ok = output_add(out, w.v);
    }
    for (size_t i = 0; ok && csv && i < r->n_not_ranked; i++) {
        w.n = 0;
        put_unranked(&w, r->not_ranked[i], m, nareas, reasons, sizeof(reasons));
        ok = output_add(out, w.v);
    }
    if (codes != NULL)
        row_clear(&w);
    free(codes);
    return ok;
}

const struct output_column rankfmt_unranked_columns[3] = {
    {"state", OUTPUT_STRING}, {"name", OUTPUT_STRING}, {"reasons", OUTPUT_STRING}};

bool rankfmt_unranked_rows(struct output *out, const Vigil__V1__Ranking *r,
                           const Vigil__V1__Methodology *m)
{
    char reasons[1024];

    for (size_t i = 0; i < r->n_not_ranked; i++) {
        const Vigil__V1__UnrankedState *u = r->not_ranked[i];
        rankfmt_reasons(u, m, reasons, sizeof(reasons));
        const char *row[] = {u->state, u->state_name, reasons};
        if (!output_add(out, row))
            return false;
    }
    return true;
}
