/* pool: a small set of asynchronous PostgreSQL connections (libpq's
 * non-blocking API, sockets watched by libevent) shared by every call on the
 * event loop, with reconnect and exponential backoff when PostgreSQL goes away.
 * All SQL text comes from sql.h; parameters always travel separately. */
#ifndef VIGIL_POOL_H
#define VIGIL_POOL_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

struct pool;
struct pool_query;

struct pool_config {
    const char *conninfo;  /* borrowed during pool_new only (copied) */
    int size;              /* connections kept open */
    int reconnect_min_ms;  /* first backoff delay */
    int reconnect_max_ms;  /* backoff cap */
};

enum pool_result {
    POOL_OK = 0,      /* the statement ran; res holds its result (tuples or command) */
    POOL_SQL_ERROR,   /* PostgreSQL refused it; res holds the error (PQresultErrorField) */
    POOL_UNAVAILABLE, /* no connection could run it (database down, or connection lost
                         while it ran); res is NULL */
};

/* Called exactly once per query, on the loop, unless pool_cancel() came first.
 * res is owned by the pool and valid only during the callback. msg is a short
 * human reason for POOL_SQL_ERROR / POOL_UNAVAILABLE (borrowed, may be "").
 * The callback may start new queries and may free the object behind arg. */
typedef void (*pool_cb)(void *arg, enum pool_result result, const PGresult *res,
                        const char *msg);

/* Creates the pool and starts connecting in the background (never blocks).
 * Returns NULL only on an invalid conninfo (logged). */
struct pool *pool_new(struct event_base *base, const struct pool_config *cfg);

/* Closes every connection; pending queries are dropped without callback.
 * pool_free(NULL) is a no-op. */
void pool_free(struct pool *p);

/* Updates the reloadable backoff settings. */
void pool_set_backoff(struct pool *p, int min_ms, int max_ms);

/* Queues one parameterised statement (text parameters, NULL for SQL NULL,
 * params and their strings copied before return). It runs on the first idle
 * connection. When no connection is up at all, the callback is invoked with
 * POOL_UNAVAILABLE from the loop (not from within this call), promptly, so
 * calls fail fast while PostgreSQL is down instead of hanging.
 * Returns a handle valid until the callback has returned or pool_cancel(). */
struct pool_query *pool_query(struct pool *p, const char *sql, int nparams,
                              const char *const *params, pool_cb cb, void *arg);

/* Abandons a query: its callback will not be called. When the statement is
 * already running, its connection is closed (libpq 15's PQcancel blocks, so
 * it is not used on the loop) and reconnected in the background; PostgreSQL
 * then stops the backend's work. The handle is invalid after this. */
void pool_cancel(struct pool_query *q);

/* True when at least one connection is established. */
bool pool_is_up(const struct pool *p);

/* Counts for logs and metrics. */
struct pool_stats {
    int connected;   /* established connections */
    int busy;        /* running a statement */
    int queued;      /* statements waiting for a connection */
    long reconnects; /* connections re-established since start */
};
void pool_get_stats(const struct pool *p, struct pool_stats *out);

#endif
