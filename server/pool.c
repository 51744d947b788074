/* pool: libpq's asynchronous API on the event loop. Each connection is a small
 * state machine (conn_set_state is the only place its state changes); queries
 * wait in one FIFO and run on the first idle connection. */
#include "pool.h"

#include "log.h"

#include <event2/event_struct.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#define POOL_MSG_MAX 256
#define MUST_CHECK   __attribute__((warn_unused_result))

enum conn_state {
    CONN_DOWN,       /* no libpq connection; pool_tick reconnects after deadline_us */
    CONN_CONNECTING, /* PQconnectPoll in progress, until deadline_us */
    CONN_IDLE,       /* established, watching for the server closing it */
    CONN_BUSY,       /* running q */
    CONN_NSTATES
};

static const char *const conn_state_names[] = {"down", "connecting", "idle", "busy"};

struct pool_conn {
    struct pool *pool;
    int index;                /* for logs */
    enum conn_state state;    /* changed by conn_set_state only */
    PGconn *pg;               /* NULL when down */
    struct event ev;          /* on PQsocket(pg), assigned again each time it is armed */
    bool ev_assigned;         /* ev may be pending and must be deleted first */
    struct pool_query *q;     /* the statement running when busy */
    PGresult *res;            /* its result, kept until libpq says the statement is over */
    bool flushing;            /* PQflush returned 1: also wait for writability */
    bool failing;             /* the last attempt failed or the link was lost; logged once */
    bool ever_up;             /* an establishment after this one is a reconnect */
    int attempts;             /* failed attempts since the last success */
    int backoff_ms;           /* delay used after the last failure */
    uint64_t deadline_us;     /* down: reconnect time; connecting: give-up time */
    char fatal[POOL_MSG_MAX]; /* last FATAL notice, a better reason than "closed" */
};

enum query_state { Q_QUEUED, Q_RUNNING, Q_DONE };

struct pool_query {
    TAILQ_ENTRY(pool_query) link; /* in pool->queue while queued */
    struct pool *pool;            /* owner, for pool_cancel */
    struct pool_conn *conn;       /* while running */
    enum query_state state;       /* queued, running, or in its callback */
    uint64_t seq;                 /* submission order, bounds pool_fail_queued */
    pool_cb cb;                   /* called once, unless cancelled */
    void *arg;                    /* the caller's, passed to cb */
    int nparams;                  /* entries of params */
    const char **params;          /* points into the same allocation */
    char *sql;                    /* likewise */
};

TAILQ_HEAD(query_list, pool_query);

struct pool {
    struct event_base *base; /* borrowed; outlives the pool */
    const char *keywords[4]; /* PQconnectStartParams arguments, built once */
    const char *values[4];   /* their values, pointing at the fields below */
    char *conninfo;          /* owned; values[0] */
    char *options;           /* owned; values[2] */
    int min_ms, max_ms;      /* backoff bounds */
    struct pool_conn *conns; /* nconns of them, fixed for the pool's life */
    int nconns;              /* cfg->size */
    int count[CONN_NSTATES]; /* connections per state */
    struct query_list queue; /* waiting for an idle connection */
    int nqueued;             /* length of queue, for stats */
    uint64_t next_seq;       /* seq of the next query */
    struct event *kick;      /* zero-timeout: dispatch and deliver failures from the loop */
    long reconnects;         /* establishments after a connection's first */
    uint32_t rng;            /* backoff jitter */
    char last_error[POOL_MSG_MAX + 32]; /* why the database is unavailable */
};

static void conn_event_cb(evutil_socket_t fd, short what, void *arg);

static uint64_t pool_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Copies a libpq message onto one line: they end in newlines and may hold
 * several lines with tabs, which would break the key=value log format. For
 * a lost link only the first line says anything ("server closed the
 * connection unexpectedly"); the rest is libpq's advice to people. */
static void msg_copy(char *out, size_t cap, const char *in, bool first_line)
{
    size_t n = 0;
    for (; in != NULL && *in != '\0' && n + 1 < cap; in++) {
        if (first_line && *in == '\n')
            break;
        char ch = (*in == '\n' || *in == '\t' || *in == '\r') ? ' ' : *in;
        if (ch == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = ch;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static void pool_schedule(struct pool *p)
{
    event_active(p->kick, EV_TIMEOUT, 1);
}

static void conn_set_state(struct pool_conn *c, enum conn_state state)
{
    if (c->state == state)
        return;
    log_debug("msg=\"database connection state\" conn=%d from=%s to=%s", c->index,
              conn_state_names[c->state], conn_state_names[state]);
    c->pool->count[c->state]--;
    c->pool->count[state]++;
    c->state = state;
}

/* Watches the connection's current socket: libpq may switch sockets while
 * connecting (another address, SSL retry), so the fd is read every time. */
static MUST_CHECK bool conn_arm(struct pool_conn *c, short what)
{
    int fd = PQsocket(c->pg);
    if (c->ev_assigned)
        event_del(&c->ev);
    c->ev_assigned = false;
    if (fd < 0)
        return false;
    if (event_assign(&c->ev, c->pool->base, fd, what, conn_event_cb, c) != 0)
        return false;
    c->ev_assigned = true;
    return event_add(&c->ev, NULL) == 0;
}

static void conn_close_pg(struct pool_conn *c)
{
    if (c->ev_assigned)
        event_del(&c->ev);
    c->ev_assigned = false;
    PQclear(c->res);
    c->res = NULL;
    PQfinish(c->pg);
    c->pg = NULL;
    c->flushing = false;
    c->fatal[0] = '\0';
}

static void query_deliver(struct pool_query *q, enum pool_result result, const PGresult *res,
                          const char *msg)
{
    q->state = Q_DONE;
    q->cb(q->arg, result, res, msg != NULL ? msg : "");
    free(q);
}

/* Exponential backoff with a little jitter, so that daemons restarted
 * together do not reconnect in lockstep. */
static int conn_next_backoff(struct pool_conn *c)
{
    struct pool *p = c->pool;
    long d = c->backoff_ms == 0 ? p->min_ms : (long)c->backoff_ms * 2;
    if (d > p->max_ms)
        d = p->max_ms;
    if (d < p->min_ms)
        d = p->min_ms;
    c->backoff_ms = (int)d;
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 17;
    p->rng ^= p->rng << 5;
    return (int)(d - (long)(p->rng % (uint32_t)(d / 4 + 1)));
}

/* The connection failed to connect or was lost: close it, log the first
 * failure only, and schedule the retry. Returns the statement it was running,
 * detached, for the caller to fail. Never invokes a callback. */
static struct pool_query *conn_down(struct pool_conn *c, const char *what, const char *reason)
{
    struct pool *p = c->pool;
    struct pool_query *q = c->q;
    char msg[POOL_MSG_MAX];

    msg_copy(msg, sizeof(msg), c->fatal[0] != '\0' ? c->fatal : reason, true);
    c->q = NULL;
    conn_close_pg(c);
    c->attempts++;
    int delay = conn_next_backoff(c);
    if (!c->failing)
        log_warn("msg=\"%s\" conn=%d error=%s retry_ms=%d", what, c->index, log_quote(msg), delay);
    else
        log_debug("msg=\"%s\" conn=%d attempt=%d error=%s retry_ms=%d", what, c->index, c->attempts,
                  log_quote(msg), delay);
    c->failing = true;
    snprintf(p->last_error, sizeof(p->last_error), "database unavailable: %s", msg);
    c->deadline_us = pool_now_us() + (uint64_t)delay * 1000u;
    conn_set_state(c, CONN_DOWN);
    pool_schedule(p); /* queued statements may now have to fail */
    return q;
}

/* Lost while established: the running statement, if any, fails now. */
static void conn_lost(struct pool_conn *c, const char *reason)
{
    struct pool_query *q = conn_down(c, "database connection lost", reason);
    if (q != NULL) {
        char msg[sizeof(c->pool->last_error)]; /* the callback may change last_error */
        memcpy(msg, c->pool->last_error, sizeof(msg));
        query_deliver(q, POOL_UNAVAILABLE, NULL, msg);
    }
}

static void conn_notice(void *arg, const PGresult *res)
{
    struct pool_conn *c = arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        msg_copy(c->fatal, sizeof(c->fatal), text, true);
    log_debug("msg=\"database notice\" conn=%d severity=%s text=%s", c->index,
              sev != NULL ? sev : "?", log_quote(text != NULL ? text : ""));
}

/* Starts an attempt; failures that libpq reports at once go to conn_down. */
static void conn_connect(struct pool_conn *c)
{
    struct pool *p = c->pool;
    c->pg = PQconnectStartParams(p->keywords, p->values, 1);
    if (c->pg == NULL) {
        conn_down(c, "database connect failed", "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_down(c, "database connect failed", PQerrorMessage(c->pg));
        return;
    }
    PQsetNoticeReceiver(c->pg, conn_notice, c);
    c->deadline_us = pool_now_us() + (uint64_t)POOL_CONNECT_TIMEOUT_MS * 1000u;
    conn_set_state(c, CONN_CONNECTING);
    /* PQconnectPoll is first called as if it had returned PGRES_POLLING_WRITING. */
    if (!conn_arm(c, EV_WRITE))
        conn_down(c, "database connect failed", PQerrorMessage(c->pg));
}

static void conn_on_connected(struct pool_conn *c)
{
    struct pool *p = c->pool;
    if (PQsetnonblocking(c->pg, 1) != 0 || !conn_arm(c, EV_READ)) {
        conn_down(c, "database connect failed", PQerrorMessage(c->pg));
        return;
    }
    if (c->failing)
        log_info("msg=\"database connection restored\" conn=%d attempts=%d", c->index, c->attempts);
    else
        log_debug("msg=\"database connection up\" conn=%d", c->index);
    if (c->ever_up)
        p->reconnects++;
    c->ever_up = true;
    c->failing = false;
    c->attempts = 0;
    c->backoff_ms = 0;
    conn_set_state(c, CONN_IDLE);
    pool_schedule(p);
}

static void conn_on_connect_poll(struct pool_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (!conn_arm(c, EV_READ))
            conn_down(c, "database connect failed", "no socket");
        break;
    case PGRES_POLLING_WRITING:
        if (!conn_arm(c, EV_WRITE))
            conn_down(c, "database connect failed", "no socket");
        break;
    case PGRES_POLLING_OK:
        conn_on_connected(c);
        break;
    default:
        conn_down(c, "database connect failed", PQerrorMessage(c->pg));
        break;
    }
}

/* An idle connection became readable: usually the server closing it
 * (shutdown, restart, pg_terminate_backend), sometimes a notification. */
static void conn_on_idle(struct pool_conn *c)
{
    if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n); /* nobody LISTENs on pool connections */
    if (!conn_arm(c, EV_READ))
        conn_lost(c, "no socket");
}

/* Sends what libpq has buffered; true unless the connection broke. */
static MUST_CHECK bool conn_flush(struct pool_conn *c)
{
    int r = PQflush(c->pg);
    c->flushing = r == 1;
    return r >= 0;
}

enum collect { COLLECT_MORE, COLLECT_DONE, COLLECT_LOST };

/* Takes every result libpq has parsed. The statement is over when
 * PQgetResult returns NULL; the first error, or else the last result, is
 * kept for the callback. */
static enum collect conn_collect(struct pool_conn *c)
{
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r == NULL)
            return COLLECT_DONE;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            PQclear(r); /* the pool does not speak COPY: only dropping the link ends it */
            return COLLECT_LOST;
        }
        if (c->res == NULL ||
            (PQresultStatus(c->res) != PGRES_FATAL_ERROR && st == PGRES_FATAL_ERROR)) {
            PQclear(c->res);
            c->res = r;
        } else {
            PQclear(r);
        }
    }
    return PQstatus(c->pg) == CONNECTION_BAD ? COLLECT_LOST : COLLECT_MORE;
}

/* Errors that mean "this connection is gone", not "your statement is wrong":
 * libpq's own (no SQLSTATE), connection exceptions, and the server shutting
 * down or starting up. */
static bool result_is_disconnect(const PGresult *res)
{
    if (res == NULL || PQresultStatus(res) != PGRES_FATAL_ERROR)
        return false;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == NULL)
        return true;
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

static void query_deliver_result(struct pool_query *q, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        query_deliver(q, POOL_OK, res, "");
    } else {
        char msg[POOL_MSG_MAX];
        const char *text = PQresultErrorMessage(res);
        msg_copy(msg, sizeof(msg), text[0] != '\0' ? text : PQresStatus(st), false);
        query_deliver(q, POOL_SQL_ERROR, res, msg);
    }
    PQclear(res);
}

/* The statement is over: the connection is made idle and the query detached
 * before the callback runs, so that the callback may queue or cancel freely. */
static void conn_complete(struct pool_conn *c)
{
    struct pool_query *q = c->q;
    PGresult *res = c->res;
    c->res = NULL;
    if (res == NULL || result_is_disconnect(res)) {
        char msg[POOL_MSG_MAX];
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        msg_copy(msg, sizeof(msg),
                 primary != NULL ? primary
                 : res != NULL   ? PQresultErrorMessage(res)
                                 : PQerrorMessage(c->pg),
                 true);
        PQclear(res);
        conn_lost(c, msg);
        return;
    }
    /* The whole answer arrived: it is delivered even if the link broke just
     * after, since the statement did run (a COMMIT reported lost would be
     * retried for nothing). */
    c->q = NULL;
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_down(c, "database connection lost", PQerrorMessage(c->pg));
    } else {
        conn_set_state(c, CONN_IDLE);
        if (!conn_arm(c, EV_READ))
            conn_down(c, "database connection lost", "no socket");
    }
    pool_schedule(c->pool); /* the next queued statement may run */
    query_deliver_result(q, res);
}

static void conn_on_busy(struct pool_conn *c, short what)
{
    if ((what & EV_READ) && !PQconsumeInput(c->pg)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->flushing && !conn_flush(c)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    switch (conn_collect(c)) {
    case COLLECT_DONE:
        conn_complete(c);
        break;
    case COLLECT_LOST:
        conn_lost(c, PQerrorMessage(c->pg));
        break;
    case COLLECT_MORE:
        if (!conn_arm(c, EV_READ | (c->flushing ? EV_WRITE : 0)))
            conn_lost(c, "no socket");
        break;
    }
}

static void conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct pool_conn *c = arg;
    c->ev_assigned = false; /* not persistent: no longer pending */
    switch (c->state) {
    case CONN_CONNECTING:
        conn_on_connect_poll(c);
        break;
    case CONN_IDLE:
        conn_on_idle(c);
        break;
    case CONN_BUSY:
        conn_on_busy(c, what);
        break;
    default:
        break;
    }
}

/* Sends q on the idle connection c. A send failure means the link is gone:
 * q then fails with POOL_UNAVAILABLE (called from the loop only). */
static void conn_start(struct pool_conn *c, struct pool_query *q)
{
    q->state = Q_RUNNING;
    q->conn = c;
    c->q = q;
    conn_set_state(c, CONN_BUSY);
    if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, q->params, NULL, NULL, 0) ||
        !conn_flush(c)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    if (!conn_arm(c, EV_READ | (c->flushing ? EV_WRITE : 0)))
        conn_lost(c, "no socket");
}

/* Whether a queued statement should wait: some connection is up, or one is
 * on its way that has not failed yet (start-up, or after a cancel). */
static bool pool_can_wait(const struct pool *p)
{
    if (p->count[CONN_IDLE] + p->count[CONN_BUSY] > 0)
        return true;
    for (int i = 0; i < p->nconns; i++) {
        if (p->conns[i].state == CONN_CONNECTING && !p->conns[i].failing)
            return true;
    }
    return false;
}

static struct pool_conn *pool_idle_conn(struct pool *p)
{
    if (p->count[CONN_IDLE] == 0)
        return NULL;
    for (int i = 0; i < p->nconns; i++) {
        if (p->conns[i].state == CONN_IDLE)
            return &p->conns[i];
    }
    return NULL;
}

static struct pool_query *pool_dequeue(struct pool *p)
{
    struct pool_query *q = TAILQ_FIRST(&p->queue);
    if (q != NULL) {
        TAILQ_REMOVE(&p->queue, q, link);
        p->nqueued--;
    }
    return q;
}

/* Fails what was queued when this started; statements queued by the
 * callbacks wait for the next round, so a retrying caller cannot spin here. */
static void pool_fail_queued(struct pool *p)
{
    uint64_t stop = p->next_seq;
    char msg[sizeof(p->last_error)]; /* callbacks may change last_error */
    struct pool_query *q;
    memcpy(msg, p->last_error, sizeof(msg));
    while ((q = TAILQ_FIRST(&p->queue)) != NULL && q->seq < stop) {
        pool_dequeue(p);
        query_deliver(q, POOL_UNAVAILABLE, NULL, msg);
    }
}

static void pool_kick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct pool *p = arg;
    struct pool_conn *c;
    while (!TAILQ_EMPTY(&p->queue) && (c = pool_idle_conn(p)) != NULL)
        conn_start(c, pool_dequeue(p));
    if (!TAILQ_EMPTY(&p->queue) && !pool_can_wait(p))
        pool_fail_queued(p);
}

/* Builds the PQconnectStartParams arguments: the conninfo expanded as
 * dbname, "vigild" as the default application_name, and the client check
 * placed before the user's own options so that theirs win. */
static MUST_CHECK bool pool_build_params(struct pool *p, const char *conninfo)
{
    const char *user_options = getenv("PGOPTIONS");
    PQconninfoOption *opts = NULL;
    char *err = NULL;
    bool is_conninfo = strchr(conninfo, '=') != NULL || strncmp(conninfo, "postgres://", 11) == 0 ||
                       strncmp(conninfo, "postgresql://", 13) == 0;

    if (is_conninfo && (opts = PQconninfoParse(conninfo, &err)) == NULL) {
        log_error("msg=\"invalid database conninfo\" error=%s",
                  log_quote(err != NULL ? err : "out of memory"));
        PQfreemem(err);
        return false;
    }
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL)
            user_options = o->val;
    }
    size_t n = strlen(user_options != NULL ? user_options : "") + 64;
    p->options = xmalloc(n);
    snprintf(p->options, n, "-c client_connection_check_interval=%d %s", POOL_CLIENT_CHECK_MS,
             user_options != NULL ? user_options : "");
    PQconninfoFree(opts);
    p->conninfo = xstrdup(conninfo);
    const char *kw[] = {"dbname", "fallback_application_name", "options", NULL};
    const char *val[] = {p->conninfo, "vigild", p->options, NULL};
    memcpy(p->keywords, kw, sizeof(kw));
    memcpy(p->values, val, sizeof(val));
    return true;
}

struct pool *pool_new(struct event_base *base, const struct pool_config *cfg)
{
    if (cfg->size < 1 || cfg->conninfo == NULL) {
        log_error("msg=\"invalid database pool settings\" size=%d", cfg->size);
        return NULL;
    }
    struct pool *p = xcalloc(1, sizeof(*p));
    p->base = base;
    TAILQ_INIT(&p->queue);
    snprintf(p->last_error, sizeof(p->last_error), "database unavailable");
    if (!pool_build_params(p, cfg->conninfo)) {
        free(p);
        return NULL;
    }
    pool_set_backoff(p, cfg->reconnect_min_ms, cfg->reconnect_max_ms);
    p->rng = (uint32_t)pool_now_us() ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
    p->kick = event_new(base, -1, 0, pool_kick_cb, p);
    if (p->kick == NULL) {
        log_error("msg=\"cannot create the database pool event\"");
        free(p->options);
        free(p->conninfo);
        free(p);
        return NULL;
    }
    p->nconns = cfg->size;
    p->conns = xcalloc((size_t)cfg->size, sizeof(*p->conns));
    p->count[CONN_DOWN] = cfg->size;
    for (int i = 0; i < cfg->size; i++) {
        p->conns[i].pool = p;
        p->conns[i].index = i;
        p->conns[i].state = CONN_DOWN;
        conn_connect(&p->conns[i]);
    }
    return p;
}

void pool_free(struct pool *p)
{
    if (p == NULL)
        return;
    struct pool_query *q;
    while ((q = pool_dequeue(p)) != NULL)
        free(q);
    for (int i = 0; i < p->nconns; i++) {
        free(p->conns[i].q);
        conn_close_pg(&p->conns[i]);
    }
    event_free(p->kick);
    free(p->conns);
    free(p->options);
    free(p->conninfo);
    free(p);
}

void pool_set_backoff(struct pool *p, int min_ms, int max_ms)
{
    p->min_ms = min_ms > 0 ? min_ms : 1;
    p->max_ms = max_ms >= p->min_ms ? max_ms : p->min_ms;
}

void pool_tick(struct pool *p)
{
    uint64_t now = pool_now_us();
    for (int i = 0; i < p->nconns; i++) {
        struct pool_conn *c = &p->conns[i];
        if (c->state == CONN_DOWN && now >= c->deadline_us) {
            log_debug("msg=\"database reconnecting\" conn=%d attempt=%d", c->index,
                      c->attempts + 1);
            conn_connect(c);
        } else if (c->state == CONN_CONNECTING && now >= c->deadline_us) {
            conn_down(c, "database connect failed", "timed out");
        }
    }
}

struct pool_query *pool_query(struct pool *p, const char *sql, int nparams,
                              const char *const *params, pool_cb cb, void *arg)
{
    size_t sql_len = strlen(sql) + 1;
    size_t need = sizeof(struct pool_query) + (size_t)nparams * sizeof(char *) + sql_len;
    for (int i = 0; i < nparams; i++)
        need += params[i] != NULL ? strlen(params[i]) + 1 : 0;

    struct pool_query *q = xcalloc(1, need);
    q->params = (const char **)(q + 1);
    char *text = (char *)(q->params + nparams);
    q->sql = memcpy(text, sql, sql_len);
    text += sql_len;
    for (int i = 0; i < nparams; i++) {
        if (params[i] == NULL)
            continue;
        size_t len = strlen(params[i]) + 1;
        q->params[i] = memcpy(text, params[i], len);
        text += len;
    }
    q->pool = p;
    q->nparams = nparams;
    q->cb = cb;
    q->arg = arg;
    q->state = Q_QUEUED;
    q->seq = p->next_seq++;
    TAILQ_INSERT_TAIL(&p->queue, q, link);
    p->nqueued++;
    pool_schedule(p);
    return q;
}

void pool_cancel(struct pool_query *q)
{
    if (q == NULL)
        return;
    struct pool *p = q->pool;
    struct pool_conn *c = q->conn;
    switch (q->state) {
    case Q_QUEUED:
        TAILQ_REMOVE(&p->queue, q, link);
        p->nqueued--;
        free(q);
        break;
    case Q_RUNNING:
        /* Only closing the link stops the statement without blocking; the
         * connection comes back at once, not after a backoff: nothing failed. */
        log_debug("msg=\"database statement cancelled\" conn=%d", c->index);
        c->q = NULL;
        free(q);
        conn_close_pg(c);
        conn_connect(c);
        break;
    case Q_DONE:
        break; /* inside its own callback: freed when that returns */
    }
}

bool pool_is_up(const struct pool *p)
{
    return p->count[CONN_IDLE] + p->count[CONN_BUSY] > 0;
}

void pool_get_stats(const struct pool *p, struct pool_stats *out)
{
    out->connected = p->count[CONN_IDLE] + p->count[CONN_BUSY];
    out->busy = p->count[CONN_BUSY];
    out->queued = p->nqueued;
    out->reconnects = p->reconnects;
}
