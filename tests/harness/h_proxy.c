/* h_proxy: a TCP relay that cuts connections on demand (see h_proxy.h). One
 * thread polls the listening socket, a wake-up pipe and every relayed pair;
 * the arming call and the thread share the pairs under a mutex. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_proxy.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 16

struct pair {
    int client;       /* accepted socket; -1 when the slot is free */
    int server;       /* socket to the target */
    bool armed;       /* cut at the first server bytes after client bytes */
    bool client_sent; /* armed, and the client has sent bytes since */
};

struct h_proxy {
    int listen_fd;
    int wake[2]; /* pipe: a byte stops the thread */
    struct sockaddr_in target;
    char address[64];
    pthread_t thread;
    pthread_mutex_t lock; /* guards pairs and cuts */
    struct pair pairs[MAX_PAIRS];
    int cuts;
};

static void pair_close(struct pair *pr)
{
    if (pr->client >= 0) {
        close(pr->client);
        close(pr->server);
    }
    pr->client = pr->server = -1;
    pr->armed = pr->client_sent = false;
}

/* Writes all of buf; false when the peer is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

static void accept_one(struct h_proxy *p)
{
    int c = accept(p->listen_fd, NULL, NULL);
    if (c < 0)
        return;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (const struct sockaddr *)&p->target, sizeof(p->target)) != 0) {
        close(c);
        if (s >= 0)
            close(s);
        return;
    }
    for (int i = 0; i < MAX_PAIRS; i++) {
        if (p->pairs[i].client < 0) {
            p->pairs[i] = (struct pair){.client = c, .server = s};
            return;
        }
    }
    close(c);
    close(s);
}

/* Relays what fd (one side of pr) has to read; closes the pair at EOF, on
 * error, or when it is the armed cut. */
static void relay(struct h_proxy *p, struct pair *pr, bool from_client)
{
    char buf[16384];
    ssize_t n = recv(from_client ? pr->client : pr->server, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        pair_close(pr);
        return;
    }
    if (from_client) {
        if (pr->armed)
            pr->client_sent = true;
        if (!write_all(pr->server, buf, (size_t)n))
            pair_close(pr);
        return;
    }
    if (pr->client_sent) {
        p->cuts++;
        pair_close(pr);
        return;
    }
    if (!write_all(pr->client, buf, (size_t)n))
        pair_close(pr);
}

static void *run(void *arg)
{
    struct h_proxy *p = arg;
    for (;;) {
        struct pollfd fds[2 + 2 * MAX_PAIRS];
        int map[2 + 2 * MAX_PAIRS], n = 0;

        pthread_mutex_lock(&p->lock);
        fds[n++] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        for (int i = 0; i < MAX_PAIRS; i++) {
            if (p->pairs[i].client < 0)
                continue;
            map[n] = i;
            fds[n++] = (struct pollfd){.fd = p->pairs[i].client, .events = POLLIN};
            map[n] = i;
            fds[n++] = (struct pollfd){.fd = p->pairs[i].server, .events = POLLIN};
        }
        pthread_mutex_unlock(&p->lock);

        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (fds[0].revents)
            return NULL;
        pthread_mutex_lock(&p->lock);
        if (fds[1].revents & POLLIN)
            accept_one(p);
        for (int k = 2; k < n; k++) {
            struct pair *pr = &p->pairs[map[k]];
            /* A pair closed earlier in this round, or its slot reused. */
            if (fds[k].revents == 0 || (pr->client != fds[k].fd && pr->server != fds[k].fd))
                continue;
            relay(p, pr, fds[k].fd == pr->client);
        }
        pthread_mutex_unlock(&p->lock);
    }
}

struct h_proxy *h_proxy_new(const char *target)
{
    struct h_proxy *p = calloc(1, sizeof(*p));
    cr_assert_not_null(p);
    char host[64];
    int port = 0;
    const char *colon = strrchr(target, ':');
    cr_assert(colon && (size_t)(colon - target) < sizeof(host), "bad target %s", target);
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = '\0';
    port = atoi(colon + 1);
    p->target.sin_family = AF_INET;
    p->target.sin_port = htons((uint16_t)port);
    cr_assert_eq(inet_pton(AF_INET, host, &p->target.sin_addr), 1, "bad target %s", target);

    for (int i = 0; i < MAX_PAIRS; i++)
        p->pairs[i].client = p->pairs[i].server = -1;
    pthread_mutex_init(&p->lock, NULL);
    cr_assert_eq(pipe(p->wake), 0, "pipe: %s", strerror(errno));

    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t alen = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(p->listen_fd >= 0, "socket: %s", strerror(errno));
    cr_assert_eq(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s",
                 strerror(errno));
    cr_assert_eq(listen(p->listen_fd, 16), 0, "listen: %s", strerror(errno));
    cr_assert_eq(getsockname(p->listen_fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(p->address, sizeof(p->address), "127.0.0.1:%d", ntohs(a.sin_port));
    cr_assert_eq(pthread_create(&p->thread, NULL, run, p), 0);
    return p;
}

const char *h_proxy_address(const struct h_proxy *p)
{
    return p->address;
}

void h_proxy_arm_cut(struct h_proxy *p)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < MAX_PAIRS; i++) {
        if (p->pairs[i].client >= 0) {
            p->pairs[i].armed = true;
            p->pairs[i].client_sent = false;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

int h_proxy_cuts(struct h_proxy *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->cuts;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void h_proxy_free(struct h_proxy *p)
{
    if (p == NULL)
        return;
    ssize_t w;
    do
        w = write(p->wake[1], "q", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < MAX_PAIRS; i++)
        pair_close(&p->pairs[i]);
    close(p->listen_fd);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
