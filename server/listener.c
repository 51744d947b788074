/* listener: evconnlistener per listening address (see listener.h). */
#include "listener.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct listener {
    struct server *srv;
    struct evconnlistener *evl;
    bool is_public;
    char address[80];             /* bound address, real port */
    uint64_t last_refusal_log_us; /* rate limit of "too many connections" lines */
};

static void accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    struct listener *l = arg;
    const struct config *cfg = server_config(l->srv);
    int one = 1;

    if (server_conn_count(l->srv) >= cfg->max_connections) {
        uint64_t now = conn_now_us();
        if (now - l->last_refusal_log_us > 1000000u) {
            log_warn("msg=\"connection refused: max_connections reached\" max_connections=%d",
                     cfg->max_connections);
            l->last_refusal_log_us = now;
        }
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* A followed feed may stay silent for hours: let the kernel find a peer
     * that vanished (no FIN, no RST) within about 90 s, so that its call, and
     * the database connection the call holds, end. The kernel answers the
     * probes itself, so a client that is merely slow to read is not cut. */
    int idle = 60, interval = 10, count = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
    SSL *ssl = SSL_new(server_ssl_ctx(l->srv, l->is_public));
    if (ssl == NULL) {
        log_error("msg=\"cannot create TLS session\"");
        close(fd);
        return;
    }
    conn_new(l->srv, fd, ssl, sa, l->is_public);
}

static void error_cb(struct evconnlistener *evl, void *arg)
{
    struct listener *l = arg;
    /* EMFILE and friends: the listener keeps going; the condition is logged
     * so an operator can raise the file limit or lower max_connections. */
    log_error("msg=\"accept failed\" listener=%s error=%s", l->address,
              log_quote(strerror(EVUTIL_SOCKET_ERROR())));
}

static void record_address(struct listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    int fd = evconnlistener_get_fd(l->evl);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(l->address, sizeof(l->address), "[%s]:%d", host, ntohs(in6->sin6_port));
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(l->address, sizeof(l->address), "%s:%d", host, ntohs(in->sin_port));
    }
}

/* libevent's parser refuses port 0, which we use for "any free port" (tests,
 * benchmarks): parse with a placeholder port and zero it afterwards. */
static bool parse_address(const char *addr, struct sockaddr_storage *ss, int *sslen)
{
    char buf[128];
    size_t len = strlen(addr);
    bool any_port = len >= 2 && strcmp(addr + len - 2, ":0") == 0;

    if (len >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%.*s%s", (int)(any_port ? len - 1 : len), addr,
             any_port ? "1" : "");
    memset(ss, 0, sizeof(*ss));
    if (evutil_parse_sockaddr_port(buf, (struct sockaddr *)ss, sslen) != 0)
        return false;
    if (any_port) {
        if (ss->ss_family == AF_INET6)
            ((struct sockaddr_in6 *)ss)->sin6_port = 0;
        else
            ((struct sockaddr_in *)ss)->sin_port = 0;
    }
    return true;
}

struct listener *listener_new(struct server *srv, const char *addr, bool is_public)
{
    struct sockaddr_storage ss;
    int sslen = sizeof(ss);
    struct listener *l;

    if (!parse_address(addr, &ss, &sslen)) {
        log_error("msg=\"invalid listen address (expected host:port)\" setting=%s value=%s",
                  is_public ? "public_listen" : "listen", log_quote(addr));
        return NULL;
    }
    l = xcalloc(1, sizeof(*l));
    l->srv = srv;
    l->is_public = is_public;
    l->evl =
        evconnlistener_new_bind(server_base(srv), accept_cb, l,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                1024, (struct sockaddr *)&ss, sslen);
    if (l->evl == NULL) {
        log_error("msg=\"cannot listen\" setting=%s address=%s error=%s",
                  is_public ? "public_listen" : "listen", addr, log_quote(strerror(errno)));
        free(l);
        return NULL;
    }
    evconnlistener_set_error_cb(l->evl, error_cb);
    record_address(l);
    log_info("msg=listening listener=%s address=%s", is_public ? "public" : "mtls", l->address);
    return l;
}

void listener_free(struct listener *l)
{
    if (l == NULL)
        return;
    evconnlistener_free(l->evl);
    free(l);
}

const char *listener_address(const struct listener *l)
{
    return l->address;
}
