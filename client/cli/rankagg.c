/* rankagg: conditional arguments, aggregate rows and the facts' sentence
 * (see rankagg.h). */
#include "rankagg.h"
#include "methodology.h"
#include "rankfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FACT_GIVEN  "CA.1"
#define FACT_TARGET "CA.2"
#define FACT_NONE   "no"                  /* CA.1: no services */
#define FACT_POOR   "woefully_inadequate" /* CA.2 */

/* ---- parsing ---- */

/* A copy of s[0..len) without the white space around it. */
static char *trimmed(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return strndup(s, len);
}

/* Fills *ind (code) and levels from "IND=L1,L2" (side[0..len)). */
static bool parse_side(const char *side, size_t len, const Vigil__V1__Methodology *m, char **ind,
                       char ***levels, size_t *nlevels, char *err, size_t cap)
{
    const char *eq = memchr(side, '=', len);
    const Vigil__V1__Indicator *found = NULL;
    const Vigil__V1__Scale *scale = NULL;

    if (eq == NULL || (*ind = trimmed(side, (size_t)(eq - side))) == NULL || (*ind)[0] == '\0') {
        snprintf(err, cap, "expected INDICATOR=LEVELS in \"%.*s\"", (int)len, side);
        return false;
    }
    if (m != NULL) {
        if ((found = methodology_indicator(m, *ind)) == NULL) {
            snprintf(err, cap, "unknown indicator \"%s\"", *ind);
            return false;
        }
        free(*ind);
        if ((*ind = strdup(found->code)) == NULL)
            goto nomem;
        scale = methodology_scale(m, found->scale);
    }
    const char *p = eq + 1, *end = side + len;
    size_t n = 1;
    for (const char *q = p; q < end; q++)
        n += *q == ',';
    if ((*levels = calloc(n, sizeof(char *))) == NULL)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma != NULL ? comma : end;
        char *text = trimmed(p, (size_t)(stop - p));
        if (text == NULL)
            goto nomem;
        (*levels)[(*nlevels)++] = text;
        p = stop + 1;
        if (text[0] == '\0') {
            snprintf(err, cap, "%s: an empty level", *ind);
            return false;
        }
        if (m == NULL)
            continue;
        const Vigil__V1__Level *l = methodology_level(scale, text);
        if (l == NULL || !l->has_value) {
            char all[256];
            methodology_levels_text(scale, false, all, sizeof(all));
            snprintf(err, cap, "%s: \"%s\" is not %s (%s)", *ind, text,
                     l == NULL ? "one of its levels" : "a valued level", all);
            return false;
        }
        char *code = strdup(l->code);
        if (code == NULL)
            goto nomem;
        free(text);
        (*levels)[i] = code;
    }
    return true;
nomem:
    snprintf(err, cap, "out of memory");
    return false;
}

static Vigil__V1__ConditionalQuery *query_new(void)
{
    Vigil__V1__ConditionalQuery *q = malloc(sizeof(*q));

    if (q != NULL)
        vigil__v1__conditional_query__init(q);
    return q;
}

Vigil__V1__ConditionalQuery *rankagg_parse(const char *text, const Vigil__V1__Methodology *m,
                                           char *err, size_t cap)
{
    const char *bar = strchr(text, '|');
    Vigil__V1__ConditionalQuery *q = query_new();
    char why[700] = "";

    if (q == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    if (bar == NULL || strchr(bar + 1, '|') != NULL)
        snprintf(why, sizeof(why), "expected TARGET=LEVELS|GIVEN=LEVELS");
    else if (parse_side(text, (size_t)(bar - text), m, &q->target, &q->target_levels,
                        &q->n_target_levels, why, sizeof(why)) &&
             parse_side(bar + 1, strlen(bar + 1), m, &q->given, &q->given_levels,
                        &q->n_given_levels, why, sizeof(why)))
        return q;
    snprintf(err, cap,
             "--conditional \"%s\": %s (e.g. 'CA.2=woefully inadequate|CA.1=yes,partial')", text,
             why);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return NULL;
}

Vigil__V1__ConditionalQuery *rankagg_facts_query(void)
{
    char err[64];
    return rankagg_parse(FACT_TARGET "=" FACT_POOR "|" FACT_GIVEN "=yes,partial", NULL, err,
                         sizeof(err));
}

static bool scale_has(const Vigil__V1__Methodology *m, const char *indicator, const char *code)
{
    const Vigil__V1__Indicator *ind = methodology_indicator(m, indicator);

    return ind != NULL && strcmp(ind->code, indicator) == 0 &&
           methodology_level_code(methodology_scale(m, ind->scale), code) != NULL;
}

bool rankagg_has_facts(const Vigil__V1__Methodology *m)
{
    return m != NULL && scale_has(m, FACT_GIVEN, "yes") && scale_has(m, FACT_GIVEN, "partial") &&
           scale_has(m, FACT_GIVEN, FACT_NONE) && scale_has(m, FACT_TARGET, FACT_POOR);
}

static const Vigil__V1__IndicatorAggregate *
find_indicator(const Vigil__V1__GetAggregatesResponse *r, const char *code)
{
    for (size_t i = 0; i < r->n_indicators; i++) {
        if (strcmp(r->indicators[i]->indicator, code) == 0)
            return r->indicators[i];
    }
    return NULL;
}

static const Vigil__V1__LevelCount *find_level(const Vigil__V1__IndicatorAggregate *a,
                                               const char *code)
{
    for (size_t l = 0; a != NULL && l < a->n_levels; l++) {
        if (strcmp(a->levels[l]->level, code) == 0)
            return a->levels[l];
    }
    return NULL;
}

bool rankagg_answer_has_facts(const Vigil__V1__GetAggregatesResponse *r)
{
    const Vigil__V1__IndicatorAggregate *g = find_indicator(r, FACT_GIVEN);

    return find_level(g, "yes") != NULL && find_level(g, "partial") != NULL &&
           find_level(g, FACT_NONE) != NULL &&
           find_level(find_indicator(r, FACT_TARGET), FACT_POOR) != NULL;
}

/* Every level of a is in b (and the other way round: see below). */
static bool subset(char **a, size_t na, char **b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        bool found = false;
        for (size_t j = 0; j < nb && !found; j++)
            found = strcmp(a[i], b[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool same_set(char **a, size_t na, char **b, size_t nb)
{
    return subset(a, na, b, nb) && subset(b, nb, a, na);
}

bool rankagg_same_query(const Vigil__V1__ConditionalQuery *a, const Vigil__V1__ConditionalQuery *b)
{
    return a != NULL && b != NULL && strcmp(a->target, b->target) == 0 &&
           strcmp(a->given, b->given) == 0 &&
           same_set(a->target_levels, a->n_target_levels, b->target_levels, b->n_target_levels) &&
           same_set(a->given_levels, a->n_given_levels, b->given_levels, b->n_given_levels);
}

/* ---- the sentence ---- */

bool rankagg_sentence(const Vigil__V1__GetAggregatesResponse *r, char *buf, size_t cap)
{
    const Vigil__V1__IndicatorAggregate *g = find_indicator(r, FACT_GIVEN);
    const Vigil__V1__LevelCount *none = find_level(g, FACT_NONE);
    Vigil__V1__ConditionalQuery *want = rankagg_facts_query();
    const Vigil__V1__ConditionalShare *c = NULL;
    char first[200], second[200];

    for (size_t i = 0; want != NULL && i < r->n_conditionals; i++) {
        if (c == NULL && rankagg_same_query(r->conditionals[i]->query, want))
            c = r->conditionals[i];
    }
    if (want != NULL)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    snprintf(buf, cap, "%s", "");
    if (none == NULL || c == NULL)
        return false;
    if (g->n > 0)
        snprintf(first, sizeof(first),
                 "%s%% of states with data have no services (" FACT_GIVEN " = no; N = %lld)",
                 rankfmt_figure(none->share), (long long)g->n);
    else
        snprintf(first, sizeof(first), "no state has data on services (" FACT_GIVEN "; N = 0)");
    if (c->n > 0)
        snprintf(second, sizeof(second),
                 "of those that do, %s%% are woefully inadequate (" FACT_TARGET "; N = %lld)",
                 rankfmt_figure(c->share), (long long)c->n);
    else
        snprintf(second, sizeof(second),
                 "of those that do, none has a rated " FACT_TARGET " (N = 0)");
    snprintf(buf, cap, "%s; %s", first, second);
    return true;
}

/* ---- rows ---- */

const struct output_column rankagg_columns[8] = {
    {"indicator", OUTPUT_STRING},    {"levels", OUTPUT_STRING}, {"given", OUTPUT_STRING},
    {"given_levels", OUTPUT_STRING}, {"count", OUTPUT_INT},     {"n", OUTPUT_INT},
    {"share", OUTPUT_STRING},        {"counted", OUTPUT_INT},
};

/* "a,b,c" into buf. */
static void joined(char **items, size_t n, const char *sep, char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i > 0 ? sep : "", items[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

static bool add_count(struct output *out, const char *ind, const char *level, long long count,
                      long long n, const char *share, long long counted)
{
    char c[24], nn[24], k[24];

    snprintf(c, sizeof(c), "%lld", count);
    snprintf(nn, sizeof(nn), "%lld", n);
    snprintf(k, sizeof(k), "%lld", counted);
    const char *row[] = {ind, level, "", "", c, n >= 0 ? nn : "", share, k};
    return output_add(out, row);
}

bool rankagg_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r)
{
    char levels[512], given[512], c[24], n[24];

    for (size_t i = 0; i < r->n_indicators; i++) {
        const Vigil__V1__IndicatorAggregate *a = r->indicators[i];
        bool ok = true;
        for (size_t l = 0; ok && l < a->n_levels; l++)
            ok = add_count(out, a->indicator, a->levels[l]->level, a->levels[l]->count, a->n,
                           rankfmt_figure(a->levels[l]->share), a->counted);
        if (!ok || !add_count(out, a->indicator, "no_data", a->no_data, -1, "", a->counted) ||
            !add_count(out, a->indicator, "not_assessed", a->not_assessed, -1, "", a->counted) ||
            !add_count(out, a->indicator, "not_applicable", a->not_applicable, -1, "", a->counted))
            return false;
    }
    for (size_t i = 0; i < r->n_conditionals; i++) {
        const Vigil__V1__ConditionalShare *s = r->conditionals[i];
        const Vigil__V1__ConditionalQuery *q = s->query;
        if (q == NULL)
            continue;
        joined(q->target_levels, q->n_target_levels, ",", levels, sizeof(levels));
        joined(q->given_levels, q->n_given_levels, ",", given, sizeof(given));
        snprintf(c, sizeof(c), "%lld", (long long)s->count);
        snprintf(n, sizeof(n), "%lld", (long long)s->n);
        const char *row[] = {q->target, levels, q->given, given, c, n, rankfmt_figure(s->share),
                             ""};
        if (!output_add(out, row))
            return false;
    }
    return true;
}

const struct output_column rankagg_table_columns[7] = {
    {"indicator", OUTPUT_STRING}, {"N", OUTPUT_INT},
    {"levels", OUTPUT_STRING},    {"no data", OUTPUT_INT},
    {"not assessed", OUTPUT_INT}, {"not applicable", OUTPUT_INT},
    {"counted", OUTPUT_INT},
};

static const char *label(const Vigil__V1__Methodology *m, const char *indicator, const char *code)
{
    return m != NULL ? methodology_label(m, methodology_indicator(m, indicator), code) : code;
}

bool rankagg_table_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r,
                        const Vigil__V1__Methodology *m)
{
    char levels[1024], n[24], nd[24], na[24], nap[24], k[24];

    for (size_t i = 0; i < r->n_indicators; i++) {
        const Vigil__V1__IndicatorAggregate *a = r->indicators[i];
        size_t used = 0;
        levels[0] = '\0';
        for (size_t l = 0; l < a->n_levels && used < sizeof(levels); l++) {
            const Vigil__V1__LevelCount *c = a->levels[l];
            int w = snprintf(levels + used, sizeof(levels) - used, "%s%s %lld%s%s%s",
                             l > 0 ? ", " : "", label(m, a->indicator, c->level),
                             (long long)c->count, c->share != NULL ? " (" : "",
                             rankfmt_figure(c->share), c->share != NULL ? "%)" : "");
            used += w > 0 ? (size_t)w : 0;
        }
        snprintf(n, sizeof(n), "%lld", (long long)a->n);
        snprintf(nd, sizeof(nd), "%lld", (long long)a->no_data);
        snprintf(na, sizeof(na), "%lld", (long long)a->not_assessed);
        snprintf(nap, sizeof(nap), "%lld", (long long)a->not_applicable);
        snprintf(k, sizeof(k), "%lld", (long long)a->counted);
        const char *row[] = {a->indicator, n, levels, nd, na, nap, k};
        if (!output_add(out, row))
            return false;
    }
    return true;
}

const struct output_column rankagg_conditional_columns[7] = {
    {"share of", OUTPUT_STRING},     {"levels", OUTPUT_STRING}, {"among", OUTPUT_STRING},
    {"given levels", OUTPUT_STRING}, {"count", OUTPUT_INT},     {"N", OUTPUT_INT},
    {"share", OUTPUT_STRING},
};

/* The labels of levels, "a or b". */
static void labels(const Vigil__V1__Methodology *m, const char *indicator, char **codes, size_t n,
                   char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, cap - used, "%s%s", sep, label(m, indicator, codes[i]));
        used += w > 0 ? (size_t)w : 0;
    }
}

bool rankagg_conditional_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r,
                              const Vigil__V1__Methodology *m)
{
    char at[512], given[512], c[24], n[24], share[32];

    for (size_t i = 0; i < r->n_conditionals; i++) {
        const Vigil__V1__ConditionalShare *s = r->conditionals[i];
        const Vigil__V1__ConditionalQuery *q = s->query;
        if (q == NULL)
            continue;
        labels(m, q->target, q->target_levels, q->n_target_levels, at, sizeof(at));
        labels(m, q->given, q->given_levels, q->n_given_levels, given, sizeof(given));
        snprintf(c, sizeof(c), "%lld", (long long)s->count);
        snprintf(n, sizeof(n), "%lld", (long long)s->n);
        snprintf(share, sizeof(share), "%s%s", rankfmt_figure(s->share), s->share ? "%" : "");
        const char *row[] = {q->target, at, q->given, given, c, n, share};
        if (!output_add(out, row))
            return false;
    }
    return true;
}
