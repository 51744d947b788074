/* h_env: the test run's directories and pg.env, file and time helpers, and
 * the at-exit cleanup registry (see h_env.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_env.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef VIGIL_TEST_TMP
#error                                                                                             \
    "VIGIL_TEST_TMP, VIGILD_PATH, VIGIL_CLI_PATH and VIGIL_SOURCE_DIR come from tests/CMakeLists.txt"
#endif

const char *h_tmp_dir(void)
{
    const char *t = getenv("VIGIL_TEST_TMP");
    return t && *t ? t : VIGIL_TEST_TMP;
}

/* Undoes sh single quoting: 'abc'\''def' -> abc'def; bare words are kept. */
static bool unquote(const char *v, char *buf, size_t cap)
{
    size_t o = 0;
    while (*v && *v != '\n') {
        char c;
        if (*v == '\'') {
            for (v++; *v && *v != '\''; v++) {
                if (o + 1 >= cap)
                    return false;
                buf[o++] = *v;
            }
            if (*v == '\'')
                v++;
            continue;
        }
        c = *v++;
        if (c == '\\' && *v)
            c = *v++;
        if (o + 1 >= cap)
            return false;
        buf[o++] = c;
    }
    buf[o] = '\0';
    return true;
}

bool h_envfile_get(const char *path, const char *key, char *buf, size_t cap)
{
    char *text = h_read_file(path, NULL);
    size_t klen = strlen(key);
    bool found = false;

    if (text == NULL)
        return false;
    for (char *line = text; line != NULL && !found;) {
        char *next = strchr(line, '\n');
        if (strncmp(line, "export ", 7) == 0)
            line += 7;
        if (strncmp(line, key, klen) == 0 && line[klen] == '=')
            found = unquote(line + klen + 1, buf, cap);
        line = next ? next + 1 : NULL;
    }
    free(text);
    return found;
}

const char *h_env(const char *key)
{
    /* A handful of keys, each read once and kept. */
    static struct {
        char key[64];
        char value[PATH_MAX];
    } cache[32];
    static int used;
    char path[PATH_MAX];

    for (int i = 0; i < used; i++) {
        if (strcmp(cache[i].key, key) == 0)
            return cache[i].value;
    }
    cr_assert(used < 32 && strlen(key) < sizeof(cache[0].key), "h_env: too many keys");
    snprintf(path, sizeof(path), "%s/pg.env", h_tmp_dir());
    cr_assert(access(path, R_OK) == 0,
              "%s: %s. The integration tests need the CTest fixture: run them with ctest, or "
              "run `tests/harness/pg.sh start %s path/to/vigild` first",
              path, strerror(errno), h_tmp_dir());
    cr_assert(h_envfile_get(path, key, cache[used].value, sizeof(cache[used].value)),
              "%s: no %s (written by an older pg.sh? run pg.sh start again)", path, key);
    snprintf(cache[used].key, sizeof(cache[used].key), "%s", key);
    return cache[used++].value;
}

const char *h_certs_dir(void)
{
    return h_env("VIGIL_TEST_CERTS");
}

const char *h_vigild_path(void)
{
    /* A test may run another build of the daemon (the memory test runs the
     * one without sanitizers, VIGILD_PLAIN_PATH). */
    const char *p = getenv("VIGIL_TEST_VIGILD");
    return p && *p ? p : VIGILD_PATH;
}

const char *h_cli_path(void)
{
    return VIGIL_CLI_PATH;
}

const char *h_source_dir(void)
{
    return VIGIL_SOURCE_DIR;
}

const char *h_python(void)
{
    /* Debian's interpreter: another python3 earlier on PATH may lack grpcio. */
    return "/usr/bin/python3";
}

void h_workdir(char *out, const char *kind)
{
    static int counter;
    char work[PATH_MAX];

    snprintf(work, sizeof(work), "%s/work", h_tmp_dir());
    if (mkdir(work, 0755) != 0 && errno != EEXIST)
        cr_assert_fail("mkdir %s: %s", work, strerror(errno));
    for (;;) {
        int n = snprintf(out, PATH_MAX, "%s/%s-%d-%d", work, kind, (int)getpid(), ++counter);
        cr_assert(n > 0 && n < PATH_MAX, "work directory path too long");
        if (mkdir(out, 0755) == 0)
            return;
        if (errno != EEXIST)
            cr_assert_fail("mkdir %s: %s", out, strerror(errno));
    }
}

void h_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < cap, "path too long: %s/%s", dir, name);
}

char *h_strdupf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0, "out of memory");
    return s;
}

char *h_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap ? cap * 2 : 8192);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = cap ? cap * 2 : 8192;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void h_write_file(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX + 16];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0, "open %s: %s", tmp, strerror(errno));
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            cr_assert_fail("write %s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    cr_assert(close(fd) == 0, "close %s: %s", tmp, strerror(errno));
    cr_assert(rename(tmp, path) == 0, "rename %s: %s", path, strerror(errno));
}

void h_copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = h_read_file(from, &len);

    cr_assert(data != NULL, "read %s: %s", from, strerror(errno));
    h_write_file(to, data, len);
    free(data);
}

const char *h_file_tail(const char *path, int lines)
{
    static char out[8192];
    char *text = h_read_file(path, NULL);
    const char *p;
    int seen = 0;

    if (text == NULL) {
        snprintf(out, sizeof(out), "(cannot read %s: %s)", path, strerror(errno));
        return out;
    }
    p = text + strlen(text);
    if (p > text && p[-1] == '\n')
        p--;
    while (p > text && seen < lines) {
        p--;
        if (*p == '\n')
            seen++;
    }
    if (*p == '\n')
        p++;
    if (strlen(p) >= sizeof(out))
        p += strlen(p) - (sizeof(out) - 1);
    snprintf(out, sizeof(out), "%s", p);
    free(text);
    return out;
}

long long h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The registry holds copies, never pointers into a test's stack frame, which
 * is gone by the time exit handlers run. */
static struct cleanup {
    h_cleanup_fn *fn; /* NULL = free slot */
    char a[PATH_MAX];
    char b[1024];
    long n;
    unsigned long seq; /* order of registration; the newest runs first */
} cleanups[64];
static pid_t cleanup_owner; /* the process that registered them (not a forked child) */
static unsigned long cleanup_seq;

static void run_cleanups(void)
{
    if (getpid() != cleanup_owner)
        return;
    for (;;) {
        struct cleanup *c = NULL;
        for (int i = 0; i < 64; i++) {
            if (cleanups[i].fn && (c == NULL || cleanups[i].seq > c->seq))
                c = &cleanups[i];
        }
        if (c == NULL)
            return;
        h_cleanup_fn *fn = c->fn;
        c->fn = NULL;
        fn(c->a, c->b, c->n);
    }
}

int h_cleanup_add(h_cleanup_fn *fn, const char *a, const char *b, long n)
{
    if (cleanup_owner != getpid()) {
        memset(cleanups, 0, sizeof(cleanups));
        cleanup_owner = getpid();
        atexit(run_cleanups);
    }
    for (int i = 0; i < 64; i++) {
        if (cleanups[i].fn == NULL) {
            cleanups[i].fn = fn;
            snprintf(cleanups[i].a, sizeof(cleanups[i].a), "%s", a ? a : "");
            snprintf(cleanups[i].b, sizeof(cleanups[i].b), "%s", b ? b : "");
            cleanups[i].n = n;
            cleanups[i].seq = ++cleanup_seq;
            return i;
        }
    }
    cr_assert_fail("h_cleanup_add: more than 64 live daemons, databases and clusters");
    return -1;
}

void h_cleanup_remove(int handle)
{
    if (handle >= 0 && handle < 64 && cleanup_owner == getpid())
        cleanups[handle].fn = NULL;
}
