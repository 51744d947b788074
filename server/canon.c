/* canon: canonical bytes, digest, and reading of a ranking's inputs document
 * (see canon.h for the format). */
#include "canon.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *canon_bytes(const json_t *doc, size_t *len)
{
    /* jansson writes sorted keys, compact separators and raw UTF-8; its
     * \u escapes are upper-case, RFC 8785 wants lower-case hex. */
    char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    if (s == NULL)
        return NULL;
    for (char *p = s; *p; p++) {
        if (*p != '\\')
            continue;
        p++;
        if (*p == 'u') {
            for (int k = 1; k <= 4 && p[k]; k++) {
                if (p[k] >= 'A' && p[k] <= 'F')
                    p[k] = (char)(p[k] - 'A' + 'a');
            }
        }
        if (*p == '\0')
            break;
    }
    *len = strlen(s);
    return s;
}

void canon_digest(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* --- reading --- */

struct rd {
    char *err;
    size_t cap;
};

static bool fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->cap, fmt, ap);
    va_end(ap);
    return false;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : NULL;
}

int canon_indicator(const struct canon_inputs *in, const char *code)
{
    for (size_t i = 0; i < in->m.n_indicators; i++) {
        if (strcmp(in->indicators[i].code, code) == 0)
            return (int)i;
    }
    return -1;
}

int canon_area(const struct canon_inputs *in, const char *code)
{
    for (size_t a = 0; a < in->m.n_areas; a++) {
        if (strcmp(in->areas[a].code, code) == 0)
            return (int)a;
    }
    return -1;
}

int canon_level(const struct canon_inputs *in, int indicator, const char *code)
{
    for (int l = 0; l < in->n_levels[indicator]; l++) {
        if (strcmp(in->levels[indicator][l].code, code) == 0)
            return l;
    }
    return -1;
}

static bool read_areas(struct rd *r, const json_t *m, struct canon_inputs *in)
{
    const json_t *areas = json_object_get(m, "areas");
    size_t n = json_array_size(areas);
    in->areas = calloc(n + 1, sizeof(*in->areas));
    if (in->areas == NULL)
        return fail(r, "out of memory");
    for (size_t a = 0; a < n; a++) {
        const json_t *o = json_array_get(areas, a);
        in->areas[a] =
            (struct rank_area){str(o, "code"), json_integer_value(json_object_get(o, "weight"))};
        if (in->areas[a].code == NULL || in->areas[a].weight <= 0)
            return fail(r, "methodology.areas[%zu]: code and positive weight required", a);
    }
    in->m.areas = in->areas;
    in->m.n_areas = n;
    return n > 0 || fail(r, "methodology.areas: empty");
}

static const json_t *find_scale(const json_t *m, const char *code)
{
    const json_t *scales = json_object_get(m, "scales");
    for (size_t s = 0; s < json_array_size(scales); s++) {
        const char *c = str(json_array_get(scales, s), "code");
        if (c && strcmp(c, code) == 0)
            return json_array_get(scales, s);
    }
    return NULL;
}

/* The levels of indicator i's scale, and the scale's largest value. */
static bool read_levels(struct rd *r, const json_t *scale, struct canon_inputs *in, size_t i)
{
    const json_t *levels = json_object_get(scale, "levels");
    size_t n = json_array_size(levels);
    in->levels[i] = calloc(n + 1, sizeof(struct canon_level));
    if (in->levels[i] == NULL)
        return fail(r, "out of memory");
    in->n_levels[i] = (int)n;
    for (size_t l = 0; l < n; l++) {
        const json_t *o = json_array_get(levels, l);
        struct canon_level *lv = &in->levels[i][l];
        lv->code = str(o, "code");
        lv->label = str(o, "label");
        lv->has_value = json_is_true(json_object_get(o, "has_value"));
        lv->value = (int)json_integer_value(json_object_get(o, "value"));
        if (lv->code == NULL)
            return fail(r, "methodology.scales: a level of %s has no code", in->indicators[i].code);
        if (lv->has_value && lv->value > in->indicators[i].scale_max)
            in->indicators[i].scale_max = lv->value;
    }
    return in->indicators[i].scale_max > 0 ||
           fail(r, "methodology: scale of %s has no value above 0", in->indicators[i].code);
}

static bool read_indicators(struct rd *r, const json_t *m, struct canon_inputs *in)
{
    const json_t *inds = json_object_get(m, "indicators");
    size_t n = json_array_size(inds);
    in->indicators = calloc(n + 1, sizeof(*in->indicators));
    in->indicator_questions = calloc(n + 1, sizeof(char *));
    in->levels = calloc(n + 1, sizeof(*in->levels));
    in->n_levels = calloc(n + 1, sizeof(int));
    if (!in->indicators || !in->indicator_questions || !in->levels || !in->n_levels)
        return fail(r, "out of memory");
    in->m.indicators = in->indicators;
    in->m.n_indicators = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(inds, i);
        const char *area = str(o, "area"), *scale = str(o, "scale");
        struct rank_indicator *ind = &in->indicators[i];
        ind->code = str(o, "code");
        ind->weight = json_integer_value(json_object_get(o, "weight"));
        ind->call_to_action = str(o, "call_to_action");
        in->indicator_questions[i] = str(o, "question");
        ind->area = area ? canon_area(in, area) : -1;
        const json_t *sc = scale ? find_scale(m, scale) : NULL;
        if (ind->code == NULL || ind->area < 0 || sc == NULL || ind->weight <= 0)
            return fail(r,
                        "methodology.indicators[%zu]: code, known area and scale, and a "
                        "positive weight required",
                        i);
        if (!read_levels(r, sc, in, i))
            return false;
    }
    return n > 0 || fail(r, "methodology.indicators: empty");
}

static bool read_bands(struct rd *r, const json_t *m, struct canon_inputs *in)
{
    const json_t *bands = json_object_get(m, "bands");
    size_t n = json_array_size(bands);
    in->bands = calloc(n + 1, sizeof(*in->bands));
    if (in->bands == NULL)
        return fail(r, "out of memory");
    for (size_t b = 0; b < n; b++) {
        const json_t *o = json_array_get(bands, b);
        const char *min = str(o, "min_score");
        in->bands[b].name = str(o, "name");
        if (in->bands[b].name == NULL || min == NULL ||
            !rank_parse_hundredths(min, &in->bands[b].min_hundredths))
            return fail(r, "methodology.bands[%zu]: name and min_score required", b);
    }
    in->m.bands = in->bands;
    in->m.n_bands = n;
    const char *cov = str(m, "min_coverage");
    if (cov == NULL || !rank_parse_fraction(cov, &in->m.min_coverage))
        return fail(r, "methodology.min_coverage: not a decimal in (0, 1]");
    return n > 0 || fail(r, "methodology.bands: empty");
}

/* One state's levels into its entries row. */
static bool read_state_levels(struct rd *r, const json_t *levels, struct canon_inputs *in, size_t s)
{
    struct rank_entry *row = &in->entries[s * in->m.n_indicators];
    const char *key;
    json_t *v;
    for (size_t i = 0; i < in->m.n_indicators; i++)
        row[i] = (struct rank_entry){RANK_NOT_APPLICABLE, 0, -1};
    json_object_foreach((json_t *)levels, key, v)
    {
        int i = canon_indicator(in, key);
        int l = i >= 0 && json_is_string(v) ? canon_level(in, i, json_string_value(v)) : -1;
        if (l < 0)
            return fail(r, "states[%zu].levels.%s: unknown indicator or level", s, key);
        const struct canon_level *lv = &in->levels[i][l];
        bool no_data = strcmp(lv->code, "no_data") == 0;
        row[i] = (struct rank_entry){lv->has_value ? RANK_VALUED
                                     : no_data     ? RANK_NO_DATA
                                                   : RANK_NOT_ASSESSED,
                                     lv->value, l};
    }
    return true;
}

static bool read_states(struct rd *r, const json_t *doc, struct canon_inputs *in)
{
    const json_t *states = json_object_get(doc, "states");
    size_t n = json_array_size(states);
    in->states = calloc(n + 1, sizeof(*in->states));
    in->revisions = calloc(n + 1, sizeof(int));
    in->entries = calloc(n * in->m.n_indicators + 1, sizeof(*in->entries));
    if (!in->states || !in->revisions || !in->entries)
        return fail(r, "out of memory");
    in->n_states = n;
    for (size_t s = 0; s < n; s++) {
        const json_t *o = json_array_get(states, s);
        struct rank_state *st = &in->states[s];
        in->revisions[s] = (int)json_integer_value(json_object_get(o, "revision"));
        *st = (struct rank_state){str(o, "code"), str(o, "name"), str(o, "region"),
                                  in->revisions[s] > 0, &in->entries[s * in->m.n_indicators]};
        if (!st->code || !st->name || !st->region)
            return fail(r, "states[%zu]: code, name and region required", s);
        if (s > 0 && strcmp(in->states[s - 1].code, st->code) >= 0)
            return fail(r, "states[%zu]: not sorted by code", s);
        if (!read_state_levels(r, json_object_get(o, "levels"), in, s))
            return false;
    }
    return true;
}

bool canon_read(const json_t *doc, struct canon_inputs *in, char *err, size_t cap)
{
    struct rd r = {err, cap};
    const json_t *m = json_object_get(doc, "methodology");
    const json_t *pred = json_object_get(doc, "predecessor");
    const char *format = str(doc, "format");
    bool ok;

    memset(in, 0, sizeof(*in));
    in->cycle = str(doc, "cycle");
    in->methodology_code = str(m, "code");
    if (format == NULL || strcmp(format, "vigil-ranking-inputs/1") != 0)
        ok = fail(&r, "format: expected \"vigil-ranking-inputs/1\"");
    else if (in->cycle == NULL || !json_is_object(m) || in->methodology_code == NULL)
        ok = fail(&r, "cycle and methodology required");
    else
        ok = read_areas(&r, m, in) && read_indicators(&r, m, in) && read_bands(&r, m, in) &&
             read_states(&r, doc, in);
    if (ok && json_is_object(pred)) {
        in->has_predecessor = true;
        in->predecessor_cycle = str(pred, "cycle");
        in->predecessor_digest = str(pred, "digest");
        in->predecessor_version = (int)json_integer_value(json_object_get(pred, "version"));
    }
    if (!ok)
        canon_clear(in);
    return ok;
}

void canon_clear(struct canon_inputs *in)
{
    if (in->levels) {
        for (size_t i = 0; i < in->m.n_indicators; i++)
            free(in->levels[i]);
    }
    free(in->levels);
    free(in->n_levels);
    free(in->areas);
    free(in->indicators);
    free(in->indicator_questions);
    free(in->bands);
    free(in->states);
    free(in->entries);
    free(in->revisions);
    memset(in, 0, sizeof(*in));
}
