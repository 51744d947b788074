/* progress: the one-line progress bar of the long commands (export,
 * import) on stderr, drawn only when stderr is a terminal, so that logs and
 * pipes get the commands' summary lines and nothing else. */
#ifndef VIGIL_CLI_PROGRESS_H
#define VIGIL_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
    FILE *f;          /* stderr; NULL = no bar (not a terminal) */
    const char *what; /* "exporting", "importing" (borrowed) */
    size_t total;     /* 0 = unknown: a count without a bar */
    bool showing;     /* a bar is on the line: clear before other output */
    int64_t drawn_ms; /* when it was last drawn */
};

/* A bar on f when f is a terminal (isatty), else none. */
void progress_init(struct progress *p, FILE *f, const char *what, size_t total);

/* Shows done of total, at most every 100 ms (and always the last step). */
void progress_update(struct progress *p, size_t done);

/* Clears the bar's line, before printing anything else on the terminal. */
void progress_clear(struct progress *p);

/* The bar's text for done of total into buf (width: of the bar itself):
 * "importing  120/400 [######..............]  30%". Pure, for tests. */
void progress_format(const char *what, size_t done, size_t total, int width, char *buf, size_t cap);

#endif
