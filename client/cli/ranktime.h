/* ranktime: the embargo time of `vigil publish`, as typed, to what the
 * contract wants: UTC RFC 3339. Accepts RFC 3339 with any offset
 * ("2026-04-01T09:00:00+02:00", "...Z"; fractions of a second are dropped)
 * or "YYYY-MM-DD HH:MM[:SS]" in local time (the TZ environment variable, as
 * libc reads it). Pure apart from the time zone. */
#ifndef VIGIL_CLI_RANKTIME_H
#define VIGIL_CLI_RANKTIME_H

#include <stdbool.h>
#include <stddef.h>

#define RANKTIME_SIZE 21 /* "2026-03-29T07:00:00Z" and its NUL */

/* Writes text as "YYYY-MM-DDTHH:MM:SSZ" to out. Returns false with the
 * reason in err for anything else, an impossible date or time, or a local
 * time that does not exist (skipped by a daylight saving change). */
bool ranktime_parse(const char *text, char out[RANKTIME_SIZE], char *err, size_t cap)
    __attribute__((warn_unused_result));

#endif
