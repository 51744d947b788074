/* importrep: refs, refusal lines and the summary of vigil import (see
 * importrep.h). */
#include "importrep.h"

#include "grpcwire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void importrep_ref(const struct sheet *s, const struct sheet_group *g, char *buf, size_t cap)
{
    if (g->line > 0)
        snprintf(buf, cap, "%s:%d", s->file, g->line);
    else
        snprintf(buf, cap, "%s:%s", s->file, g->path != NULL ? g->path : "?");
}

void importrep_refusal(const struct sheet *s, const struct sheet_group *g,
                       const struct submission *sub, const char *ref, int code, const char *message,
                       char *buf, size_t cap)
{
    char field[64] = "", where[600] = "";
    const struct sheet_row *row = sub != NULL && sub->rows != NULL
                                      ? submission_locate(sub, message, field, sizeof(field))
                                      : NULL;

    if (row != NULL) {
        char at[560];
        sheet_where(s, row->line, row->path, field[0] != '\0' ? field : NULL, at, sizeof(at));
        snprintf(where, sizeof(where), " (at %s)", at);
    }
    snprintf(buf, cap, "%s: %s %s: %s: %s%s", ref, g->state, g->cycle, grpcwire_code_name(code),
             message, where);
}

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

void importrep_summary(const struct importrep_counts *n, bool dry_run, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    append(buf, cap, "%zu %s, %zu refused%s", n->stored, dry_run ? "valid" : "stored", n->refused,
           dry_run ? " (dry run: nothing stored)" : "");
    if (n->invalid > 0)
        append(buf, cap, ", %zu invalid (not sent)", n->invalid);
    if (n->not_sent > 0)
        append(buf, cap, ", %zu not sent", n->not_sent);
    if (n->replayed > 0)
        append(buf, cap,
               "; %zu replayed with their first request ids, answered with their first result",
               n->replayed);
}
