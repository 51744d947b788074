/* client_sock: address parsing, TCP connect with a deadline, and poll-based waits
 * (see client_sock.h). */
#include "client_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t client_sock_now_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux; a zero time only shortens waits. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t client_sock_deadline(int timeout_ms)
{
    if (timeout_ms <= 0)
        return CLIENT_SOCK_NO_DEADLINE;
    return client_sock_now_ms() + timeout_ms;
}

static bool copy_part(const char *s, size_t len, char *out, size_t cap)
{
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

bool client_sock_split_address(const char *address, char *host, size_t hcap, char *port,
                               size_t pcap)
{
    const char *colon;

    if (address == NULL)
        return false;
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (close == NULL || close[1] != ':')
            return false;
        if (!copy_part(address + 1, (size_t)(close - address - 1), host, hcap))
            return false;
        colon = close + 1;
    } else {
        colon = strrchr(address, ':');
        /* A bare IPv6 literal has several colons: it must be bracketed. */
        if (colon == NULL || memchr(address, ':', (size_t)(colon - address)) != NULL)
            return false;
        if (!copy_part(address, (size_t)(colon - address), host, hcap))
            return false;
    }
    if (strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return false;
    return copy_part(colon + 1, strlen(colon + 1), port, pcap);
}

bool client_sock_is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

enum vigil_status client_sock_wait(int fd, short events, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};

    for (;;) {
        int wait_ms = -1;
        if (deadline != CLIENT_SOCK_NO_DEADLINE) {
            int64_t left = deadline - client_sock_now_ms();
            if (left <= 0)
                return VIGIL_E_DEADLINE;
            wait_ms = left > 60000 ? 60000 : (int)left;
        }
        int n = poll(&p, 1, wait_ms);
        if (n > 0)
            return VIGIL_OK;
        if (n < 0 && errno != EINTR)
            return VIGIL_E_CONNECT;
        /* n == 0: time out of this slice; the loop rechecks the deadline. */
    }
}

/* Connects one resolved address. Returns the socket, or -1 with errno set
 * (ETIMEDOUT when the deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, soerr = 0;
    socklen_t len = sizeof(soerr);

    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        enum vigil_status st = client_sock_wait(fd, POLLOUT, deadline);
        if (st != VIGIL_OK) {
            errno = st == VIGIL_E_DEADLINE ? ETIMEDOUT : errno;
            goto fail;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
            goto fail;
        if (soerr != 0) {
            errno = soerr;
            goto fail;
        }
    }
    /* Small gRPC frames must not wait for Nagle; failure only costs latency. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
fail : {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}
}

enum vigil_status client_sock_connect(const char *host, const char *port, int64_t deadline, int *fd,
                                      char *err, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    int last_errno = ECONNREFUSED;

    if (rc != 0) {
        snprintf(err, cap, "cannot resolve %s: %s", host, gai_strerror(rc));
        return VIGIL_E_CONNECT;
    }
    for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        int s = connect_one(ai, deadline);
        if (s >= 0) {
            freeaddrinfo(list);
            *fd = s;
            return VIGIL_OK;
        }
        last_errno = errno;
        if (last_errno == ETIMEDOUT && client_sock_now_ms() >= deadline)
            break;
    }
    freeaddrinfo(list);
    if (last_errno == ETIMEDOUT) {
        snprintf(err, cap, "connect to %s port %s timed out", host, port);
        return VIGIL_E_CONNECT;
    }
    snprintf(err, cap, "cannot connect to %s port %s: %s", host, port, strerror(last_errno));
    return VIGIL_E_CONNECT;
}
