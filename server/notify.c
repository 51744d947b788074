/* notify: the LISTEN connection feeding cache invalidations (see notify.h). */
#include "notify.h"
#include "cache.h"
#include "conn.h"
#include "log.h"
#include "sql.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

enum notify_state {
    NOTIFY_DOWN,        /* waiting for next_attempt_us */
    NOTIFY_CONNECTING,  /* PQconnectPoll in progress */
    NOTIFY_SUBSCRIBING, /* LISTEN sent, waiting for its result */
    NOTIFY_LISTENING,   /* notifications arrive */
};

struct notify {
    struct event_base *base;
    struct cache *cache; /* borrowed */
    char *conninfo;
    PGconn *pg;              /* NULL when down */
    struct event *ev;        /* on PQsocket; re-created whenever the socket may change */
    enum notify_state state; /* changed only by set_state */
    int backoff_ms, min_ms, max_ms;
    uint64_t next_attempt_us;
};

static void on_socket(evutil_socket_t fd, short what, void *arg);

static void set_state(struct notify *n, enum notify_state s)
{
    bool was = n->state == NOTIFY_LISTENING;
    n->state = s;
    if (was != (s == NOTIFY_LISTENING)) {
        cache_set_listening(n->cache, s == NOTIFY_LISTENING);
        if (s == NOTIFY_LISTENING)
            log_info("msg=\"listening for cache invalidations\" channel=vigil_cache");
        else
            log_warn("msg=\"cache invalidation channel lost; caching off until it is back\"");
    }
}

static void arm(struct notify *n, short what)
{
    if (n->ev)
        event_free(n->ev);
    n->ev = event_new(n->base, PQsocket(n->pg), what, on_socket, n);
    if (n->ev == NULL || event_add(n->ev, NULL) != 0)
        log_error("msg=\"cannot watch the LISTEN connection\"");
}

static void go_down(struct notify *n, const char *why)
{
    if (n->ev) {
        event_free(n->ev);
        n->ev = NULL;
    }
    if (n->pg) {
        log_debug("msg=\"LISTEN connection down\" reason=%s", log_quote(why));
        PQfinish(n->pg);
        n->pg = NULL;
    }
    n->next_attempt_us = conn_now_us() + (uint64_t)n->backoff_ms * 1000u;
    n->backoff_ms = n->backoff_ms * 2 > n->max_ms ? n->max_ms : n->backoff_ms * 2;
    set_state(n, NOTIFY_DOWN);
}

static void start(struct notify *n)
{
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {n->conninfo, "vigild-listen", NULL};
    n->pg = PQconnectStartParams(keys, values, 1);
    if (n->pg == NULL || PQstatus(n->pg) == CONNECTION_BAD) {
        go_down(n, n->pg ? PQerrorMessage(n->pg) : "out of memory");
        return;
    }
    set_state(n, NOTIFY_CONNECTING);
    arm(n, EV_WRITE);
}

static void connect_step(struct notify *n)
{
    switch (PQconnectPoll(n->pg)) {
    case PGRES_POLLING_READING:
        arm(n, EV_READ);
        return;
    case PGRES_POLLING_WRITING:
        arm(n, EV_WRITE);
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(n->pg, 1) != 0 || !PQsendQuery(n->pg, SQL_LISTEN_CACHE)) {
            go_down(n, PQerrorMessage(n->pg));
            return;
        }
        set_state(n, NOTIFY_SUBSCRIBING);
        arm(n, EV_READ | EV_PERSIST);
        return;
    default:
        go_down(n, PQerrorMessage(n->pg));
    }
}

/* Reads results (of LISTEN) and notifications. */
static void read_step(struct notify *n)
{
    PGnotify *msg;
    PGresult *res;

    if (!PQconsumeInput(n->pg) || PQstatus(n->pg) == CONNECTION_BAD) {
        go_down(n, PQerrorMessage(n->pg));
        return;
    }
    while (!PQisBusy(n->pg) && (res = PQgetResult(n->pg)) != NULL) {
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (!ok) {
            go_down(n, "LISTEN failed");
            return;
        }
        if (n->state == NOTIFY_SUBSCRIBING) {
            n->backoff_ms = n->min_ms;
            set_state(n, NOTIFY_LISTENING);
        }
    }
    while ((msg = PQnotifies(n->pg)) != NULL) {
        log_debug("msg=\"cache invalidation\" cycle=%s", log_quote(msg->extra));
        cache_invalidate(n->cache, msg->extra[0] ? msg->extra : NULL);
        PQfreemem(msg);
    }
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct notify *n = arg;
    if (n->state == NOTIFY_CONNECTING)
        connect_step(n);
    else
        read_step(n);
}

struct notify *notify_new(struct event_base *base, const char *conninfo, struct cache *cache,
                          int backoff_min_ms, int backoff_max_ms)
{
    struct notify *n = xcalloc(1, sizeof(*n));
    n->base = base;
    n->cache = cache;
    n->conninfo = xstrdup(conninfo);
    n->min_ms = n->backoff_ms = backoff_min_ms;
    n->max_ms = backoff_max_ms;
    n->state = NOTIFY_DOWN;
    start(n);
    return n;
}

void notify_free(struct notify *n)
{
    if (n == NULL)
        return;
    if (n->ev)
        event_free(n->ev);
    if (n->pg)
        PQfinish(n->pg);
    free(n->conninfo);
    free(n);
}

void notify_tick(struct notify *n, uint64_t now_us)
{
    if (n->state == NOTIFY_DOWN && now_us >= n->next_attempt_us)
        start(n);
}

bool notify_is_listening(const struct notify *n)
{
    return n->state == NOTIFY_LISTENING;
}
