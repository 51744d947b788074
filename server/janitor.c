/* janitor: the periodic timer (see janitor.h for the full list of duties). */
#include "janitor.h"
#include "conn.h"
#include "log.h"
#include "server.h"

#include <event2/event.h>
#include <stdlib.h>

#define TICK_US 100000

struct janitor {
    struct server *srv;
    struct event *tick;
};

static void check_conn(struct conn *c, void *arg)
{
    conn_check_timeouts(c, *(const uint64_t *)arg);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct janitor *j = arg;
    uint64_t now = conn_now_us();

    server_conn_foreach(j->srv, check_conn, &now);
    server_tick_db(j->srv, now);
    server_tick(j->srv, now);
    log_flush();
}

struct janitor *janitor_new(struct server *srv)
{
    struct janitor *j = xcalloc(1, sizeof(*j));
    struct timeval tv = {0, TICK_US};

    j->srv = srv;
    j->tick = event_new(server_base(srv), -1, EV_PERSIST, tick_cb, j);
    if (j->tick == NULL || event_add(j->tick, &tv) != 0) {
        log_error("msg=\"cannot start the janitor timer\"");
        janitor_free(j);
        return NULL;
    }
    return j;
}

void janitor_free(struct janitor *j)
{
    if (j == NULL)
        return;
    if (j->tick)
        event_free(j->tick);
    free(j);
}
