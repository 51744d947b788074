/* log: one line per event on stderr, "ts=… level=… msg=… key=value …".
 * Lines are buffered and written in batches (by log_flush, called from the
 * janitor's tick and on exit) so that access lines stay cheap under load;
 * warnings and errors are flushed at once. Single-threaded, like the daemon. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOGL_ERROR = 0, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* Sets the threshold; lines above it are not even formatted. */
void log_set_level(enum log_level level);

/* Parses "error", "warn", "info" or "debug". Returns false on anything else. */
bool log_level_parse(const char *name, enum log_level *out);

/* Whether a line of this level would be written; the macros check it first. */
bool log_enabled(enum log_level level);

/* Formats one line: fmt carries the msg and the key=value fields, e.g.
 * log_info("msg=listening addr=%s", a). Values that may hold spaces must be
 * quoted by the caller with log_quote(). */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes everything buffered to stderr. Safe to call at any time. */
void log_flush(void);

/* Quotes s for a key=value field when it holds spaces, quotes or controls:
 * returns a pointer into one of a few rotating static buffers, valid until
 * the fourth-next call; values longer than 200 bytes are cut. */
const char *log_quote(const char *s);

#define log_error(...) log_write(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOGL_WARN, __VA_ARGS__)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_enabled(LOGL_INFO))                                                                \
            log_write(LOGL_INFO, __VA_ARGS__);                                                     \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOGL_DEBUG))                                                               \
            log_write(LOGL_DEBUG, __VA_ARGS__);                                                    \
    } while (0)

/* Out of memory is not a condition the daemon tries to survive: these abort
 * with a message instead of returning NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
