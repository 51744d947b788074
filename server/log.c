/* log: buffered key=value lines on stderr, and the allocation wrappers that
 * abort on out-of-memory (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUF_SIZE 65536
#define LOG_LINE_MAX 4096
#define QUOTE_BUFS   4
#define QUOTE_MAX    200

static enum log_level threshold = LOGL_INFO;
static char buf[LOG_BUF_SIZE]; /* pending lines, written by log_flush */
static size_t buf_len;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    threshold = level;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    for (int i = 0; i <= LOGL_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_enabled(enum log_level level)
{
    return level <= threshold;
}

void log_flush(void)
{
    size_t off = 0;
    while (off < buf_len) {
        ssize_t n = write(STDERR_FILENO, buf + off, buf_len - off);
        if (n <= 0)
            break; /* stderr gone: nothing better to do than drop the lines */
        off += (size_t)n;
    }
    buf_len = 0;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (!log_enabled(level))
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(tv.tv_usec / 1000), level_names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';

    if (buf_len + len > sizeof(buf))
        log_flush();
    memcpy(buf + buf_len, line, len);
    buf_len += len;
    if (level <= LOGL_WARN)
        log_flush();
}

const char *log_quote(const char *s)
{
    static char bufs[QUOTE_BUFS][QUOTE_MAX * 2 + 4];
    static int next;
    bool plain = *s != '\0';

    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20) {
            plain = false;
            break;
        }
    }
    if (plain && strlen(s) <= QUOTE_MAX)
        return s;
    char *out = bufs[next];
    next = (next + 1) % QUOTE_BUFS;
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; s[i] && i < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            out[o++] = '?';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

static void oom(size_t n)
{
    log_flush();
    fprintf(stderr, "level=error msg=\"out of memory\" bytes=%zu\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}
