/* h_env: where this test run keeps its things (the shared cluster's pg.env,
 * the certificates, per-test work directories), small file and time helpers,
 * and the registry that ends daemons, databases and clusters at exit. */
#ifndef H_ENV_H
#define H_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* The run's directory: $VIGIL_TEST_TMP, else the one compiled in (the build's
 * tests/tmp), where `pg.sh start` wrote pg.env, certs/ and work/. */
const char *h_tmp_dir(void);

/* The value of KEY in the shared cluster's TMPDIR/pg.env, read once; borrowed
 * for the life of the process. Fails the test when pg.env is missing (the CTest
 * fixture "pg" did not run) or KEY is not in it. */
const char *h_env(const char *key);

/* Reads KEY from a KEY='value' file written by pg.sh or pgcluster.sh (sh
 * single quoting undone) into buf (cap bytes). Returns false when the file or
 * the key is missing, or the value does not fit. */
bool h_envfile_get(const char *path, const char *key, char *buf, size_t cap);

/* Paths the tests need; borrowed, static. */
const char *h_certs_dir(void);   /* TMPDIR/certs (or VIGIL_TEST_CERTS of pg.env) */
const char *h_vigild_path(void); /* the vigild under test */
const char *h_cli_path(void);    /* the vigil CLI under test */
const char *h_source_dir(void);  /* the repository (proto/, tests/interop/, ...) */
const char *h_python(void);      /* /usr/bin/python3 (Debian's, with grpcio) */

/* Makes a new empty directory TMPDIR/work/KIND-PID-N and writes its path into
 * out (PATH_MAX bytes). It is kept after the test for post-mortems and wiped
 * by the next `pg.sh start`. Fails the test when it cannot. */
void h_workdir(char *out, const char *kind);

/* out = dir + "/" + name; fails the test when it does not fit in cap. */
void h_path(char *out, size_t cap, const char *dir, const char *name);

/* malloc'd printf; aborts the test on out-of-memory. The caller frees. */
char *h_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole file, NUL-terminated, malloc'd (the caller frees); *len (if not NULL)
 * gets its length. NULL when it cannot be read. */
char *h_read_file(const char *path, size_t *len);

/* Writes data to path atomically (temporary file + rename), mode 0600.
 * Fails the test on error. */
void h_write_file(const char *path, const void *data, size_t len);

/* Copies from to to atomically (a daemon reloading never sees half a file).
 * Fails the test on error. */
void h_copy_file(const char *from, const char *to);

/* The last `lines` lines of a file (or a note that it cannot be read), in a
 * static buffer overwritten by the next call: for failure messages. */
const char *h_file_tail(const char *path, int lines);

long long h_now_ms(void); /* CLOCK_MONOTONIC, milliseconds */
void h_sleep_ms(int ms);

/* Cleanup registry: fn(a, b, n) runs at process exit (after Criterion's
 * fini, also when an assertion failed), newest first, unless removed. The
 * strings are copied (a: up to PATH_MAX, b: up to 1024 bytes). fn must not
 * assert. Returns a handle for h_cleanup_remove. At most 64 at once. */
typedef void h_cleanup_fn(const char *a, const char *b, long n);
int h_cleanup_add(h_cleanup_fn *fn, const char *a, const char *b, long n);
void h_cleanup_remove(int handle); /* -1 is a no-op */

#endif
