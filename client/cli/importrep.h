/* importrep: what `vigil import` says about its records, kept pure so that
 * it can be tested: the ref sent with each record (where it starts in its
 * file), the line reporting a refused record, which also points at the row
 * of the entry the server's message names, and the summary line. */
#ifndef VIGIL_CLI_IMPORTREP_H
#define VIGIL_CLI_IMPORTREP_H

#include "sheet.h"
#include "submission.h"

#include <stdbool.h>
#include <stddef.h>

/* The ref of group g of s: "FILE:LINE" for CSV (the line where the state's
 * first row starts), "FILE:assessments[2]" for JSON. */
void importrep_ref(const struct sheet *s, const struct sheet_group *g, char *buf, size_t cap);

/* The report of a refused record, without a line break:
 *   "REF: STATE CYCLE: CODE_NAME: MESSAGE"
 * and, when MESSAGE names an entry of sub ("entries[3].level: ...") whose
 * row the sheet knows, where that row is: " (at FILE:17: level)" for CSV,
 * " (at FILE: assessments[0].entries[5].level)" for JSON. sub may be NULL. */
void importrep_refusal(const struct sheet *s, const struct sheet_group *g,
                       const struct submission *sub, const char *ref, int code, const char *message,
                       char *buf, size_t cap);

struct importrep_counts {
    size_t stored;   /* answered OK (dry run: valid) */
    size_t replayed; /* of those, sent with an earlier run's request id */
    size_t refused;  /* answered with an error */
    size_t invalid;  /* errors found in the file: not sent */
    size_t not_sent; /* no answer: the link failed first */
};

/* "40 stored, 2 refused" (dry run: "40 valid, 2 refused (dry run: nothing
 * stored)"), then ", 1 invalid (not sent)" and ", 3 not sent" when there are
 * such, and "; 40 replayed with their first request ids, answered with
 * their first result" when any was. */
void importrep_summary(const struct importrep_counts *n, bool dry_run, char *buf, size_t cap);

#endif
