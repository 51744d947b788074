/* methodology: what the client asks of a methodology (GetMethodology's
 * answer) to read and write assessment files: which indicator a code names,
 * which level a label means, whether an indicator applies given the other
 * answers of the same revision, and the text that shows a scale or a rule to
 * people. Pure: no I/O. Every pointer returned is borrowed from m. */
#ifndef VIGIL_CLI_METHODOLOGY_H
#define VIGIL_CLI_METHODOLOGY_H

#include "vigil/v1/catalog.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* The indicator with this code (exact match first, then ignoring ASCII case,
 * so that "pr.1" from a spreadsheet finds "PR.1"), or NULL. */
const Vigil__V1__Indicator *methodology_indicator(const Vigil__V1__Methodology *m,
                                                  const char *code);

/* Index of ind in m->indicators; -1 when it is not one of them. */
int methodology_index(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind);

/* The scale with this code, or NULL. */
const Vigil__V1__Scale *methodology_scale(const Vigil__V1__Methodology *m, const char *code);

/* The level written as text: a label ("no data") or a code ("no_data"),
 * ignoring ASCII case and surrounding white space. NULL when neither. */
const Vigil__V1__Level *methodology_level(const Vigil__V1__Scale *s, const char *text);

/* The level with exactly this code, or NULL. */
const Vigil__V1__Level *methodology_level_code(const Vigil__V1__Scale *s, const char *code);

/* The label of a level code of ind's scale; the code itself when unknown. */
const char *methodology_label(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                              const char *code);

/* "yes; partial; no; no data; not assessed": the labels of s, in its order.
 * With values, "yes=2; partial=1; no=0; no data; not assessed". Truncated to
 * cap bytes. */
void methodology_levels_text(const Vigil__V1__Scale *s, bool values, char *buf, size_t cap);

/* "CA.1 is yes or partial" for an indicator with a rule; "" without one. */
void methodology_rule_text(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                           char *buf, size_t cap);

/* The level code given for an indicator in the revision being checked, or
 * NULL when it has none. */
typedef const char *(*methodology_answer_fn)(void *ctx, const Vigil__V1__Indicator *ind);

/* Whether ind applies: it has no rule, or the indicator its rule looks at
 * applies itself and has one of the rule's levels. A rule naming an unknown
 * indicator never holds. */
bool methodology_applies(const Vigil__V1__Methodology *m, const Vigil__V1__Indicator *ind,
                         methodology_answer_fn answer, void *ctx);

#endif
