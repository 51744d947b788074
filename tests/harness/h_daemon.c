/* h_daemon: vigild processes for the tests (see h_daemon.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_daemon.h"
#include "h_env.h"
#include "h_run.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS  15000
#define MAX_EXTRA_ARGS   32

static void kill_at_exit(const char *dir, const char *unused, long pid)
{
    (void)dir;
    (void)unused;
    kill((pid_t)pid, SIGKILL);
    waitpid((pid_t)pid, NULL, 0);
}

/* "host:port" -> port; 0 when malformed. */
static int port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    int port = colon ? atoi(colon + 1) : 0;
    return port > 0 && port < 65536 ? port : 0;
}

static void set_listener(char *addr, size_t cap, int *port, const char *value)
{
    snprintf(addr, cap, "%s", value);
    *port = port_of(addr);
}

/* Parses the ready file: "listen=H:P" and optionally "public_listen=H:P". */
static bool read_ready(struct h_daemon *d)
{
    char *text = h_read_file(d->ready_path, NULL);
    bool ok;

    if (text == NULL)
        return false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "listen=", 7) == 0)
            set_listener(d->address, sizeof(d->address), &d->port, line + 7);
        else if (strncmp(line, "public_listen=", 14) == 0)
            set_listener(d->public_address, sizeof(d->public_address), &d->public_port, line + 14);
    }
    free(text);
    ok = d->port > 0;
    return ok;
}

static void reaped(struct h_daemon *d, int status)
{
    d->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    d->pid = 0;
    h_cleanup_remove(d->cleanup);
    d->cleanup = -1;
}

static bool start_external(struct h_daemon *d, const struct h_db *db, const char *const *extra_args)
{
    const char *addr = getenv("VIGIL_TEST_ADDR");
    const char *pub = getenv("VIGIL_TEST_PUBLIC_ADDR");

    if (addr == NULL || *addr == '\0')
        return false;
    if (db && db->pg && db->pg->is_private)
        cr_skip_test("VIGIL_TEST_ADDR is set: this test needs a daemon on its own cluster");
    d->external = true;
    set_listener(d->address, sizeof(d->address), &d->port, addr);
    cr_assert(d->port > 0, "VIGIL_TEST_ADDR=%s is not host:port", addr);
    if (pub && *pub)
        set_listener(d->public_address, sizeof(d->public_address), &d->public_port, pub);
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (strcmp(extra_args[i], H_PUBLIC_LISTENER) == 0 && d->public_port == 0)
            cr_skip_test("VIGIL_TEST_ADDR is set without VIGIL_TEST_PUBLIC_ADDR");
        cr_log_warn("VIGIL_TEST_ADDR is set: %s is not applied", extra_args[i]);
    }
    h_path(d->ca_file, sizeof(d->ca_file), h_certs_dir(), "ca.crt");
    return true;
}

static void write_pid_file(const struct h_daemon *d)
{
    char path[PATH_MAX + 16], text[32];
    int n = snprintf(text, sizeof(text), "%d\n", (int)d->pid);

    /* For pg.sh's sweep, should this process die without cleaning up. */
    snprintf(path, sizeof(path), "%s/vigild.pid", d->dir);
    h_write_file(path, text, (size_t)n);
}

static void wait_ready(struct h_daemon *d)
{
    long long deadline = h_now_ms() + START_TIMEOUT_MS;

    for (;;) {
        int status;
        if (read_ready(d))
            return;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            reaped(d, status);
            cr_assert_fail("vigild exited (status %d) before it was ready; %s:\n%s", d->exit_code,
                           d->log_path, h_file_tail(d->log_path, 40));
        }
        if (h_now_ms() > deadline) {
            h_daemon_kill(d);
            cr_assert_fail("vigild not ready within %d ms (no %s); %s:\n%s", START_TIMEOUT_MS,
                           d->ready_path, d->log_path, h_file_tail(d->log_path, 40));
        }
        h_sleep_ms(10);
    }
}

void h_daemon_start(struct h_daemon *d, const struct h_db *db, const char *const *extra_args)
{
    const char *certs = h_certs_dir();
    char *own[8];
    const char *argv[16 + MAX_EXTRA_ARGS];
    size_t n = 0, nown = 0;
    char **envp;
    int logfd;

    memset(d, 0, sizeof(*d));
    d->cleanup = -1;
    if (start_external(d, db, extra_args))
        return;

    h_workdir(d->dir, "vigild");
    h_path(d->log_path, sizeof(d->log_path), d->dir, "vigild.log");
    h_path(d->ready_path, sizeof(d->ready_path), d->dir, "ready");
    h_path(d->cert_file, sizeof(d->cert_file), d->dir, "server.crt");
    h_path(d->key_file, sizeof(d->key_file), d->dir, "server.key");
    h_path(d->ca_file, sizeof(d->ca_file), certs, "ca.crt");
    char from[PATH_MAX + 16];
    snprintf(from, sizeof(from), "%s/server.crt", certs);
    h_copy_file(from, d->cert_file);
    snprintf(from, sizeof(from), "%s/server.key", certs);
    h_copy_file(from, d->key_file);

    own[nown++] = h_strdupf("--tls_cert_file=%s", d->cert_file);
    own[nown++] = h_strdupf("--tls_key_file=%s", d->key_file);
    own[nown++] = h_strdupf("--tls_ca_file=%s", d->ca_file);
    own[nown++] = h_strdupf("--db=%s", db->app);
    own[nown++] = h_strdupf("--db_owner=%s", db->owner);
    argv[n++] = h_vigild_path();
    argv[n++] = "--listen=127.0.0.1:0";
    for (size_t i = 0; i < nown; i++)
        argv[n++] = own[i];
    argv[n++] = "--ready-file";
    argv[n++] = d->ready_path;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        cr_assert(i < MAX_EXTRA_ARGS, "more than %d extra arguments", MAX_EXTRA_ARGS);
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;

    logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(logfd >= 0, "open %s: %s", d->log_path, strerror(errno));
    envp = h_envp_build(NULL);
    cr_assert(envp != NULL, "out of memory");
    d->pid = fork();
    if (d->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        h_child_setup();
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execve(argv[0], (char *const *)argv, envp);
        dprintf(2, "h_daemon: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int fork_errno = errno;
    close(logfd);
    h_envp_free(envp);
    for (size_t i = 0; i < nown; i++)
        free(own[i]);
    cr_assert(d->pid > 0, "fork: %s", strerror(fork_errno));
    d->cleanup = h_cleanup_add(kill_at_exit, d->dir, NULL, d->pid);
    write_pid_file(d);
    wait_ready(d);
}

void h_daemon_replace_cert(struct h_daemon *d, const char *name)
{
    char *crt, *key;

    if (d->external)
        cr_skip_test("VIGIL_TEST_ADDR is set: the daemon's certificate is not ours to replace");
    crt = h_strdupf("%s/%s.crt", h_certs_dir(), name);
    key = h_strdupf("%s/%s.key", h_certs_dir(), name);
    /* The key first: a reload between the two copies fails and keeps the old pair. */
    h_copy_file(key, d->key_file);
    h_copy_file(crt, d->cert_file);
    free(crt);
    free(key);
}

int h_daemon_wait(struct h_daemon *d, int timeout_ms)
{
    long long deadline = h_now_ms() + timeout_ms;

    if (d->external)
        return -1;
    if (d->pid == 0)
        return d->exit_code;
    for (;;) {
        int status;
        pid_t w = waitpid(d->pid, &status, WNOHANG);
        if (w == d->pid) {
            reaped(d, status);
            return d->exit_code;
        }
        if (w < 0 && errno != EINTR) {
            d->pid = 0;
            d->exit_code = -1;
            return -1;
        }
        if (h_now_ms() >= deadline)
            return -1;
        h_sleep_ms(10);
    }
}

bool h_daemon_running(struct h_daemon *d)
{
    int status;

    if (d->external || d->pid == 0)
        return false;
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
        reaped(d, status);
        return false;
    }
    return true;
}

void h_daemon_kill(struct h_daemon *d)
{
    int status;

    if (d->external || d->pid == 0)
        return;
    kill(d->pid, SIGKILL);
    if (waitpid(d->pid, &status, 0) == d->pid)
        reaped(d, status);
    else
        d->pid = 0;
}

void h_daemon_signal(struct h_daemon *d, int sig)
{
    if (d->external)
        cr_skip_test("VIGIL_TEST_ADDR is set: the test would signal a daemon it did not start");
    cr_assert(d->pid > 0, "vigild is not running (exit status %d); log:\n%s", d->exit_code,
              h_daemon_log_tail(d));
    cr_assert(kill(d->pid, sig) == 0, "kill(%d, %d): %s", (int)d->pid, sig, strerror(errno));
}

void h_daemon_stop(struct h_daemon *d)
{
    int rc;

    if (d->external || d->pid == 0)
        return;
    h_daemon_signal(d, SIGTERM);
    rc = h_daemon_wait(d, STOP_TIMEOUT_MS);
    if (rc == -1 && d->pid > 0) {
        h_daemon_kill(d);
        cr_assert_fail("vigild did not exit within %d ms of SIGTERM; %s:\n%s", STOP_TIMEOUT_MS,
                       d->log_path, h_daemon_log_tail(d));
    }
    cr_assert(rc == 0, "vigild exited with status %d after SIGTERM (expected 0); %s:\n%s", rc,
              d->log_path, h_daemon_log_tail(d));
}

char *h_daemon_log(const struct h_daemon *d)
{
    char *text;

    if (d->external)
        return strdup("");
    text = h_read_file(d->log_path, NULL);
    return text ? text : strdup("");
}

bool h_daemon_log_wait(const struct h_daemon *d, const char *text, int timeout_ms)
{
    long long deadline = h_now_ms() + timeout_ms;

    if (d->external)
        cr_skip_test("VIGIL_TEST_ADDR is set: the daemon's log is not ours to read");
    for (;;) {
        char *log = h_read_file(d->log_path, NULL);
        bool found = log && strstr(log, text);
        free(log);
        if (found)
            return true;
        if (h_now_ms() >= deadline)
            return false;
        h_sleep_ms(20);
    }
}

const char *h_daemon_log_tail(const struct h_daemon *d)
{
    if (d->external)
        return "(external daemon: no log)";
    return h_file_tail(d->log_path, 40);
}
