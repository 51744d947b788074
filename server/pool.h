/* pool: a small set of asynchronous PostgreSQL connections (libpq's
 * non-blocking API, sockets watched by libevent) shared by every call on the
 * event loop, with reconnect and exponential backoff when PostgreSQL goes away.
 * All SQL text comes from sql.h; parameters always travel separately.
 *
 * Timing: the pool owns no periodic timer. The janitor calls pool_tick() on
 * every tick, which starts the reconnects whose backoff has expired and
 * abandons connection attempts older than POOL_CONNECT_TIMEOUT_MS; backoff
 * delays are therefore rounded up to the janitor's tick. Everything else is
 * driven by socket events and one internal zero-timeout event that delivers
 * failures and starts queued statements from the loop. */
#ifndef VIGIL_POOL_H
#define VIGIL_POOL_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* A connection attempt still unfinished after this long is abandoned (libpq
 * enforces connect_timeout only in its blocking calls). */
#define POOL_CONNECT_TIMEOUT_MS 5000

/* How often PostgreSQL checks that the client is still there while a
 * statement runs, so that a cancelled statement stops soon after its
 * connection is closed. Sent as "-c client_connection_check_interval=..."
 * ahead of the conninfo's own options (which win): needs PostgreSQL 14+. */
#define POOL_CLIENT_CHECK_MS 1000

struct pool;
struct pool_query;

struct pool_config {
    const char *conninfo; /* borrowed during pool_new only (copied) */
    int size;             /* connections kept open */
    int reconnect_min_ms; /* first backoff delay */
    int reconnect_max_ms; /* backoff cap */
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
 * The callback may start new queries, cancel other queries (or, harmlessly,
 * its own) and may free the object behind arg; it must not call pool_free. */
typedef void (*pool_cb)(void *arg, enum pool_result result, const PGresult *res, const char *msg);

/* Creates the pool and starts connecting in the background (never blocks,
 * except that libpq resolves host names synchronously: use hostaddr or a
 * socket directory to avoid DNS on the loop). application_name defaults to
 * "vigild". Returns NULL only on an invalid conninfo or size (logged). */
struct pool *pool_new(struct event_base *base, const struct pool_config *cfg)
    __attribute__((warn_unused_result));

/* Closes every connection; pending queries are dropped without callback.
 * pool_free(NULL) is a no-op. Not from within a pool callback. */
void pool_free(struct pool *p);

/* Updates the reloadable backoff settings; delays already scheduled stay. */
void pool_set_backoff(struct pool *p, int min_ms, int max_ms);

/* The janitor's periodic work: reconnects lost connections whose backoff
 * delay has passed and times out stalled connection attempts. Never calls a
 * query callback itself. */
void pool_tick(struct pool *p);

/* Queues one parameterised statement (text parameters, NULL for SQL NULL,
 * text results; sql, params and their strings copied before return). It runs
 * on the first idle connection. Statements queued while the pool is still
 * making its first connections (start-up, or just after a cancel) wait for
 * them. When no connection is up and none is expected soon (every one failed
 * its last attempt), the callback is invoked with POOL_UNAVAILABLE from the
 * loop (never from within this call), promptly, so calls fail fast while
 * PostgreSQL is down instead of hanging. Never returns NULL.
 * Returns a handle valid until the callback has returned or pool_cancel(). */
struct pool_query *pool_query(struct pool *p, const char *sql, int nparams,
                              const char *const *params, pool_cb cb, void *arg);

/* Abandons a query: its callback will not be called. When the statement is
 * already running, its connection is closed (libpq 15's PQcancel blocks, so
 * it is not used on the loop) and reconnected at once in the background;
 * PostgreSQL notices the closed client within POOL_CLIENT_CHECK_MS and stops
 * the backend's work. The handle is invalid after this. NULL is a no-op. */
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
