/* h_daemon: a real vigild for a test: started on port 0 with the run's
 * certificates and a test database, its stderr in a log file, ready when it
 * writes its ready file; stopped with SIGTERM and checked to exit 0.
 *
 * Debugging: with VIGIL_TEST_ADDR=host:port (and VIGIL_TEST_PUBLIC_ADDR for
 * the public listener, VIGIL_TEST_DB for the database it serves) no daemon is
 * started: the tests talk to the one you run, e.g. under gdb. `pg.sh debug`
 * prints a matching command line. Tests that signal or restart the daemon, or
 * use a private cluster, are skipped then. */
#ifndef H_DAEMON_H
#define H_DAEMON_H

#include "h_db.h"

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* Put in extra_args to turn the public (certificate-less) listener on. */
#define H_PUBLIC_LISTENER "--public_listen=127.0.0.1:0"

struct h_daemon {
    pid_t pid;                 /* 0 when not running (or external) */
    bool external;             /* VIGIL_TEST_ADDR: not ours to signal or stop */
    char dir[PATH_MAX];        /* its work directory: log, ready file, certificates */
    char log_path[PATH_MAX];   /* dir/vigild.log: its stdout and stderr */
    char ready_path[PATH_MAX]; /* dir/ready, written by vigild once serving */
    char cert_file[PATH_MAX];  /* dir/server.crt, its tls_cert_file: a copy of
                                  certs/server.crt that a test may overwrite
                                  (h_copy_file) before SIGHUP */
    char key_file[PATH_MAX];   /* dir/server.key, its tls_key_file */
    char ca_file[PATH_MAX];    /* its tls_ca_file (certs/ca.crt) */
    char address[80];          /* "127.0.0.1:PORT" of the mutual-TLS listener */
    char public_address[80];   /* of the public listener; "" when off */
    int port;
    int public_port; /* 0 when off */
    int exit_code;   /* after h_daemon_wait/stop: exit status, 128+signal */
    int cleanup;     /* h_cleanup handle, -1 when none */
};

/* Starts VIGILD_PATH --listen=127.0.0.1:0 --tls_cert_file= --tls_key_file=
 * --tls_ca_file= --db=<db->app> --db_owner=<db->owner> --ready-file <dir>/ready,
 * then extra_args (NULL-terminated, may be NULL; later flags win, e.g.
 * "--max_message_size=2048" or H_PUBLIC_LISTENER). Waits up to 20 s for the
 * ready file and reads the ports from it. Fails the test, with the tail of
 * the log, when vigild exits first or is not ready in time. The daemon is
 * killed at exit if still running, and when the test process dies. Call from
 * the test's main thread. */
void h_daemon_start(struct h_daemon *d, const struct h_db *db, const char *const *extra_args);

/* SIGTERM, then waits up to 15 s; fails the test unless it exits 0 (a leak
 * found by LeakSanitizer or a crash fails it too). SIGKILL when stuck. */
void h_daemon_stop(struct h_daemon *d);

/* SIGKILL and reap; never asserts. */
void h_daemon_kill(struct h_daemon *d);

/* Sends sig (SIGHUP to reload, SIGTERM to start a graceful exit). */
void h_daemon_signal(struct h_daemon *d, int sig);

/* Overwrites the daemon's certificate and key (d->cert_file, d->key_file)
 * with certs/NAME.crt and certs/NAME.key (e.g. "server2"), atomically; send
 * SIGHUP next to make it reload them. Skips the test for an external daemon. */
void h_daemon_replace_cert(struct h_daemon *d, const char *name);

/* Waits up to timeout_ms for the daemon to exit; returns its exit status
 * (128+N for signal N), also kept in d->exit_code, or -1 on timeout (it is
 * left running). */
int h_daemon_wait(struct h_daemon *d, int timeout_ms);

/* Whether the process still runs (false for an external daemon). */
bool h_daemon_running(struct h_daemon *d);

/* Its whole log so far, malloc'd (the caller frees); "" for an external one. */
char *h_daemon_log(const struct h_daemon *d);

/* Waits up to timeout_ms for text to appear in the log. */
bool h_daemon_log_wait(const struct h_daemon *d, const char *text, int timeout_ms);

/* The last lines of its log, static buffer, for failure messages. */
const char *h_daemon_log_tail(const struct h_daemon *d);

#endif
