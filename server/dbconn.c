/* dbconn: a long call's own PostgreSQL connection (see dbconn.h). */
#include "dbconn.h"
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum dbconn_state {
    DB_CONNECTING, /* PQconnectPoll in progress */
    DB_IDLE,       /* connected, no statement */
    DB_BUSY,       /* a statement runs */
    DB_FAILED,     /* connection lost or never made: every statement fails */
};

struct dbconn {
    struct event_base *base;
    struct dbconn_limit *limit;
    PGconn *pg;
    struct event *ev;    /* on PQsocket; re-created whenever the socket may change */
    struct event *later; /* zero-timeout: failures and queued starts, from the loop */
    struct event *timer; /* gives up a connection attempt */
    enum dbconn_state state;
    /* the statement waiting for the connection, or running */
    char *sql;
    char **params;
    int nparams;
    bool pending; /* sql set, not yet sent */
    dbconn_cb cb;
    void *cb_arg;
    PGresult *res; /* kept until libpq says the statement is over */
    dbconn_notify_cb notify_cb;
    void *notify_arg;
    bool in_callback; /* dbconn_free inside a callback is deferred to its end */
    bool dead;
    char msg[256];
};

static void on_socket(evutil_socket_t fd, short what, void *arg);

static void destroy(struct dbconn *d)
{
    if (d->ev)
        event_free(d->ev);
    if (d->later)
        event_free(d->later);
    if (d->timer)
        event_free(d->timer);
    if (d->pg)
        PQfinish(d->pg);
    PQclear(d->res);
    free(d->sql);
    for (int i = 0; i < d->nparams; i++)
        free(d->params[i]);
    free(d->params);
    d->limit->open--;
    free(d);
}

static void arm(struct dbconn *d, short what)
{
    if (d->ev)
        event_free(d->ev);
    d->ev = event_new(d->base, PQsocket(d->pg), what, on_socket, d);
    if (d->ev == NULL || event_add(d->ev, NULL) != 0)
        log_error("msg=\"cannot watch a stream's database connection\"");
}

/* Delivers the statement's outcome; returns false when the callback freed d. */
static bool deliver(struct dbconn *d, enum pool_result result, const PGresult *res)
{
    dbconn_cb cb = d->cb;
    d->cb = NULL;
    if (cb == NULL)
        return true;
    d->in_callback = true;
    cb(d->cb_arg, result, res, d->msg);
    d->in_callback = false;
    if (d->dead) {
        destroy(d);
        return false;
    }
    return true;
}

static void fail(struct dbconn *d, const char *why)
{
    snprintf(d->msg, sizeof(d->msg), "%s", why && *why ? why : "connection lost");
    for (char *p = d->msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (d->ev) {
        event_free(d->ev);
        d->ev = NULL;
    }
    d->state = DB_FAILED;
    log_info("msg=\"stream database connection failed\" error=%s", log_quote(d->msg));
    if (d->cb != NULL) {
        deliver(d, POOL_UNAVAILABLE, NULL);
    } else if (d->notify_cb != NULL) {
        /* Idle, waiting for notifications: wake the owner, whose next
         * statement then fails. */
        d->in_callback = true;
        d->notify_cb(d->notify_arg);
        d->in_callback = false;
        if (d->dead)
            destroy(d);
    }
}

static void start_statement(struct dbconn *d)
{
    if (!d->pending || d->state != DB_IDLE)
        return;
    d->pending = false;
    if (!PQsendQueryParams(d->pg, d->sql, d->nparams, NULL, (const char *const *)d->params, NULL,
                           NULL, 0)) {
        fail(d, PQerrorMessage(d->pg));
        return;
    }
    d->state = DB_BUSY;
    int f = PQflush(d->pg);
    if (f < 0)
        fail(d, PQerrorMessage(d->pg));
    else
        arm(d, f == 1 ? EV_READ | EV_WRITE | EV_PERSIST : EV_READ | EV_PERSIST);
}

static void connect_step(struct dbconn *d)
{
    switch (PQconnectPoll(d->pg)) {
    case PGRES_POLLING_READING:
        arm(d, EV_READ);
        return;
    case PGRES_POLLING_WRITING:
        arm(d, EV_WRITE);
        return;
    case PGRES_POLLING_OK:
        event_del(d->timer);
        if (PQsetnonblocking(d->pg, 1) != 0) {
            fail(d, PQerrorMessage(d->pg));
            return;
        }
        d->state = DB_IDLE;
        arm(d, EV_READ | EV_PERSIST); /* notices the server closing, and notifications */
        start_statement(d);
        return;
    default:
        fail(d, PQerrorMessage(d->pg));
    }
}

static void read_step(struct dbconn *d, short what)
{
    if (what & EV_WRITE) {
        int f = PQflush(d->pg);
        if (f < 0) {
            fail(d, PQerrorMessage(d->pg));
            return;
        }
        if (f == 0)
            arm(d, EV_READ | EV_PERSIST);
    }
    if (!(what & EV_READ))
        return;
    if (!PQconsumeInput(d->pg) || PQstatus(d->pg) == CONNECTION_BAD) {
        fail(d, PQerrorMessage(d->pg));
        return;
    }
    PGnotify *n;
    bool notified = false;
    while ((n = PQnotifies(d->pg)) != NULL) {
        notified = true;
        PQfreemem(n);
    }
    if (d->state == DB_BUSY) {
        PGresult *r;
        while (!PQisBusy(d->pg) && (r = PQgetResult(d->pg)) != NULL) {
            PQclear(d->res);
            d->res = r;
        }
        if (!PQisBusy(d->pg)) {
            PGresult *res = d->res;
            d->res = NULL;
            d->state = DB_IDLE;
            ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
            bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
            if (!ok)
                snprintf(d->msg, sizeof(d->msg), "%s",
                         res ? PQresultErrorMessage(res) : PQerrorMessage(d->pg));
            bool alive = deliver(d, ok ? POOL_OK : POOL_SQL_ERROR, res);
            PQclear(res);
            if (!alive)
                return;
        }
    }
    if (notified && d->notify_cb != NULL) {
        d->in_callback = true;
        d->notify_cb(d->notify_arg);
        d->in_callback = false;
        if (d->dead)
            destroy(d);
    }
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct dbconn *d = arg;
    if (d->state == DB_CONNECTING)
        connect_step(d);
    else
        read_step(d, what);
}

static void on_later(evutil_socket_t fd, short what, void *arg)
{
    struct dbconn *d = arg;
    if (d->state == DB_FAILED)
        deliver(d, POOL_UNAVAILABLE, NULL);
    else
        start_statement(d);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct dbconn *d = arg;
    if (d->state == DB_CONNECTING)
        fail(d, "connection attempt timed out");
}

struct dbconn *dbconn_open(struct event_base *base, const char *conninfo, const char *app_name,
                           struct dbconn_limit *limit)
{
    if (limit->open >= limit->max)
        return NULL;
    struct dbconn *d = xcalloc(1, sizeof(*d));
    d->base = base;
    d->limit = limit;
    limit->open++;
    d->later = event_new(base, -1, 0, on_later, d);
    d->timer = evtimer_new(base, on_timeout, d);
    char options[64];
    snprintf(options, sizeof(options), "-c client_connection_check_interval=%d",
             POOL_CLIENT_CHECK_MS);
    const char *keys[] = {"dbname", "application_name", "options", NULL};
    const char *values[] = {conninfo, app_name, options, NULL};
    d->pg = PQconnectStartParams(keys, values, 1);
    struct timeval tv = {POOL_CONNECT_TIMEOUT_MS / 1000, (POOL_CONNECT_TIMEOUT_MS % 1000) * 1000};
    if (d->later == NULL || d->timer == NULL || d->pg == NULL) {
        log_error("msg=\"cannot start a stream's database connection\"");
        destroy(d);
        return NULL;
    }
    if (PQstatus(d->pg) == CONNECTION_BAD) {
        snprintf(d->msg, sizeof(d->msg), "%s", PQerrorMessage(d->pg));
        d->state = DB_FAILED; /* reported to the first statement */
        return d;
    }
    d->state = DB_CONNECTING;
    evtimer_add(d->timer, &tv);
    arm(d, EV_WRITE);
    return d;
}

void dbconn_query(struct dbconn *d, const char *sql, int nparams, const char *const *params,
                  dbconn_cb cb, void *arg)
{
    free(d->sql);
    for (int i = 0; i < d->nparams; i++)
        free(d->params[i]);
    free(d->params);
    d->sql = xstrdup(sql);
    d->nparams = nparams;
    d->params = nparams ? xcalloc((size_t)nparams, sizeof(char *)) : NULL;
    for (int i = 0; i < nparams; i++)
        d->params[i] = params[i] ? xstrdup(params[i]) : NULL;
    d->cb = cb;
    d->cb_arg = arg;
    d->pending = true;
    /* Started from the loop: the caller may be inside one of our callbacks. */
    event_active(d->later, EV_TIMEOUT, 1);
}

void dbconn_on_notify(struct dbconn *d, dbconn_notify_cb cb, void *arg)
{
    d->notify_cb = cb;
    d->notify_arg = arg;
}

void dbconn_free(struct dbconn *d)
{
    if (d == NULL)
        return;
    if (d->in_callback) {
        d->dead = true;
        d->cb = NULL;
        d->notify_cb = NULL;
        return;
    }
    destroy(d);
}
