/* h_run: child processes with captured output and a timeout (see h_run.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_run.h"
#include "h_env.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static size_t key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool overridden(const char *kv, const char *const extra[])
{
    for (size_t i = 0; extra && extra[i]; i++) {
        size_t k = key_len(extra[i]);
        if (key_len(kv) == k && strncmp(kv, extra[i], k) == 0)
            return true;
    }
    return false;
}

char **h_envp_build(const char *const envp_extra[])
{
    size_t n = 0, m = 0, o = 0;
    char **envp;

    while (environ[n])
        n++;
    while (envp_extra && envp_extra[m])
        m++;
    envp = calloc(n + m + 1, sizeof(*envp));
    if (envp == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!overridden(environ[i], envp_extra) && (envp[o] = strdup(environ[i])) != NULL)
            o++;
    }
    for (size_t i = 0; i < m; i++) {
        if (strchr(envp_extra[i], '=') && (envp[o] = strdup(envp_extra[i])) != NULL)
            o++;
    }
    return envp;
}

void h_envp_free(char **envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        free(envp[i]);
    free(envp);
}

void h_child_setup(void)
{
    static const int sigs[] = {SIGPIPE, SIGTERM, SIGINT,  SIGHUP, SIGQUIT,
                               SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM};
    struct sigaction sa;
    sigset_t none;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* No stray processes when a test crashes or times out. The test body runs
     * in the main thread of Criterion's worker, so "parent" is the test. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

struct sink {
    int fd;    /* read end, -1 when closed or not captured */
    char *buf; /* what was read so far */
    size_t len, cap;
};

static void sink_read(struct sink *s)
{
    char chunk[4096];
    ssize_t r = read(s->fd, chunk, sizeof(chunk));

    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    if (s->len + (size_t)r + 1 > s->cap) {
        size_t cap = (s->cap ? s->cap * 2 : 8192) + (size_t)r;
        char *nb = realloc(s->buf, cap);
        if (nb == NULL)
            return; /* dropped; the test will see truncated output */
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, chunk, (size_t)r);
    s->len += (size_t)r;
    s->buf[s->len] = '\0';
}

static char *sink_take(struct sink *s, const char *note)
{
    char *r;
    if (note) {
        r = NULL;
        if (asprintf(&r, "%s%s", s->buf ? s->buf : "", note) < 0)
            r = NULL;
        free(s->buf);
        return r;
    }
    return s->buf ? s->buf : strdup("");
}

int h_run_timeout(const char *const argv[], const char *const envp_extra[], char **out, char **err,
                  int timeout_ms)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    struct sink so = {-1, NULL, 0, 0}, se = {-1, NULL, 0, 0};
    char **envp = h_envp_build(envp_extra);
    const char *note = NULL;
    int status = 0, devnull;
    bool timed_out = false;
    long long deadline = timeout_ms > 0 ? h_now_ms() + timeout_ms : 0;
    pid_t pid;

    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (envp == NULL || (out && pipe2(po, O_CLOEXEC) != 0) || (err && pipe2(pe, O_CLOEXEC) != 0))
        goto fail;
    pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        h_child_setup();
        devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        if (out)
            dup2(po[1], 1);
        if (err)
            dup2(pe[1], 2);
        execvpe(argv[0], (char *const *)argv, envp);
        dprintf(2, "h_run: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    h_envp_free(envp);
    envp = NULL;
    if (out) {
        close(po[1]);
        so.fd = po[0];
    }
    if (err) {
        close(pe[1]);
        se.fd = pe[0];
    }
    while (so.fd >= 0 || se.fd >= 0) {
        struct pollfd p[2] = {{so.fd, POLLIN, 0}, {se.fd, POLLIN, 0}};
        int wait_ms = 1000;
        if (deadline) {
            long long left = deadline - h_now_ms();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            wait_ms = left < 1000 ? (int)left : 1000;
        }
        if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
            break;
        if (so.fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            sink_read(&so);
        if (se.fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            sink_read(&se);
    }
    /* Output closed (or not captured): wait for the exit, still bounded. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (timed_out || (deadline && h_now_ms() >= deadline)) {
            timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        h_sleep_ms(5);
    }
    if (so.fd >= 0)
        close(so.fd);
    if (se.fd >= 0)
        close(se.fd);
    if (timed_out)
        note = "\n[h_run: timed out, killed]\n";
    if (out)
        *out = sink_take(&so, NULL);
    else
        free(so.buf);
    if (err)
        *err = sink_take(&se, note);
    else
        free(se.buf);
    if (timed_out || status == -1)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;

fail:
    note = strerror(errno);
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    h_envp_free(envp);
    if (err && asprintf(err, "h_run: cannot start %s: %s\n", argv[0], note) < 0)
        *err = NULL;
    return -1;
}

int h_run(const char *const argv[], const char *const envp_extra[], char **out, char **err)
{
    return h_run_timeout(argv, envp_extra, out, err, 120000);
}
