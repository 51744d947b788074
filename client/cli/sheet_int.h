/* sheet_int: what sheet.c shares with its two readers, sheet_csv.c and
 * sheet_json.c. Not for other modules: they use sheet.h. Allocation failures
 * set s->nomem, checked once at the end of a read. */
#ifndef VIGIL_CLI_SHEET_INT_H
#define VIGIL_CLI_SHEET_INT_H

#include "sheet.h"

/* A NUL-terminated copy of len bytes of str; NULL (and s->nomem) when out of
 * memory. sheet_strdup(s, NULL) is NULL. */
char *sheet_dup(struct sheet *s, const char *str, size_t len);
char *sheet_strdup(struct sheet *s, const char *str);

/* The group of (state, cycle), created (with line and path) when new;
 * -1 when out of memory. */
int sheet_group_for(struct sheet *s, const char *state, const char *cycle, int line,
                    const char *path);

/* A new zeroed row at the end of group; NULL when out of memory. */
struct sheet_row *sheet_row_add(struct sheet *s, int group);

#endif
