/* methodology: lookups and applicability on a methodology (see methodology.h). */
#include "methodology.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const Vigil__V1__Indicator *methodology_indicator(const Vigil__V1__Methodology *m, const char *code)
{
    for (size_t i = 0; i < m->n_indicators; i++) {
        if (strcmp(m->indicators[i]->code, code) == 0)
            return m->indicators[i];
    }
    for (size_t i = 0; i < m->n_indicators; i++) {
        if (strcasecmp(m->indicators[i]->code, code) == 0)
            return m->indicators[i];
    }
    return NULL;
}

int methodology_index(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind)
{
    for (size_t i = 0; i < m->n_indicators; i++) {
        if (m->indicators[i] == ind)
            return (int)i;
    }
    return -1;
}

const Vigil__V1__Scale *methodology_scale(const Vigil__V1__Methodology *m, const char *code)
{
    for (size_t i = 0; i < m->n_scales; i++) {
        if (strcmp(m->scales[i]->code, code) == 0)
            return m->scales[i];
    }
    return NULL;
}

/* text equals want, ignoring ASCII case and white space around text. */
static bool same_text(const char *text, const char *want)
{
    size_t len, wlen = strlen(want);

    while (*text == ' ' || *text == '\t')
        text++;
    len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    return len == wlen && len > 0 && strncasecmp(text, want, len) == 0;
}

const Vigil__V1__Level *methodology_level(const Vigil__V1__Scale *s, const char *text)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < s->n_levels; i++) {
        if (same_text(text, s->levels[i]->label))
            return s->levels[i];
    }
    for (size_t i = 0; i < s->n_levels; i++) {
        if (same_text(text, s->levels[i]->code))
            return s->levels[i];
    }
    return NULL;
}

const Vigil__V1__Level *methodology_level_code(const Vigil__V1__Scale *s, const char *code)
{
    for (size_t i = 0; s != NULL && i < s->n_levels; i++) {
        if (strcmp(s->levels[i]->code, code) == 0)
            return s->levels[i];
    }
    return NULL;
}

const char *methodology_label(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                              const char *code)
{
    const Vigil__V1__Level *l =
        ind != NULL ? methodology_level_code(methodology_scale(m, ind->scale), code) : NULL;

    return l != NULL ? l->label : code;
}

void methodology_levels_text(const Vigil__V1__Scale *s, bool values, char *buf, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; s != NULL && i < s->n_levels && used < cap; i++) {
        const Vigil__V1__Level *l = s->levels[i];
        int n = values && l->has_value
                    ? snprintf(buf + used, cap - used, "%s%s=%d", i ? "; " : "", l->label, l->value)
                    : snprintf(buf + used, cap - used, "%s%s", i ? "; " : "", l->label);
        used += n > 0 ? (size_t)n : 0;
    }
}

void methodology_rule_text(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                           char *buf, size_t cap)
{
    const Vigil__V1__Applicability *r = ind->applies_when;
    size_t used;

    if (cap == 0)
        return;
    buf[0] = '\0';
    if (r == NULL || r->indicator[0] == '\0')
        return;
    const Vigil__V1__Indicator *ref = methodology_indicator(m, r->indicator);
    used = (size_t)snprintf(buf, cap, "%s is ", r->indicator);
    for (size_t i = 0; i < r->n_levels && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == r->n_levels ? " or " : ", ";
        int n =
            snprintf(buf + used, cap - used, "%s%s", sep, methodology_label(m, ref, r->levels[i]));
        used += n > 0 ? (size_t)n : 0;
    }
}

/* depth bounds a chain of rules, in case a methodology loops. */
static bool applies(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                    methodology_answer_fn answer, void *ctx, size_t depth)
{
    const Vigil__V1__Applicability *r = ind->applies_when;

    if (r == NULL || r->indicator[0] == '\0')
        return true;
    const Vigil__V1__Indicator *ref = methodology_indicator(m, r->indicator);
    if (ref == NULL || depth > m->n_indicators || !applies(m, ref, answer, ctx, depth + 1))
        return false;
    const char *code = answer(ctx, ref);
    for (size_t i = 0; code != NULL && i < r->n_levels; i++) {
        if (strcmp(code, r->levels[i]) == 0)
            return true;
    }
    return false;
}

bool methodology_applies(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                         methodology_answer_fn answer, void *ctx)
{
    return applies(m, ind, answer, ctx, 0);
}
