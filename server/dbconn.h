/* dbconn: one PostgreSQL connection of a long call's own (an export, a
 * followed change feed), outside the request pool, so that a consumer
 * reading slowly holds only its own connection and never starves the other
 * calls. How many may exist at once is capped by the caller's counter
 * (config exchange_max_streams): dbconn_open refuses beyond it. libpq's
 * asynchronous API on the event loop, one statement at a time, and LISTEN
 * notifications for the caller. No reconnect: a lost connection fails the
 * call, and the client resumes (from its cursor, for a feed). */
#ifndef VIGIL_DBCONN_H
#define VIGIL_DBCONN_H

#include "pool.h"

#include <event2/event.h>
#include <libpq-fe.h>

struct dbconn;

/* The cap shared by every dbconn of the daemon (owned by the server). */
struct dbconn_limit {
    int open; /* dbconns alive */
    int max;  /* refused beyond this (read at each open: reloadable) */
};

/* Like pool_cb: called once per statement, from the loop, with res owned by
 * the dbconn and valid during the callback only. The callback may free the
 * dbconn (dbconn_free is safe inside it). */
typedef void (*dbconn_cb)(void *arg, enum pool_result result, const PGresult *res, const char *msg);

/* A notification arrived on a channel this connection LISTENs on. */
typedef void (*dbconn_notify_cb)(void *arg);

/* Starts connecting (conninfo copied; application_name given). Returns NULL
 * when limit->open has reached limit->max, or on an invalid conninfo
 * (logged). base and limit are borrowed for the dbconn's life. */
struct dbconn *dbconn_open(struct event_base *base, const char *conninfo, const char *app_name,
                           struct dbconn_limit *limit);

/* Runs one statement (copied; text parameters and results) once connected
 * and idle. One at a time: the caller waits for cb before the next. */
void dbconn_query(struct dbconn *d, const char *sql, int nparams, const char *const *params,
                  dbconn_cb cb, void *arg);

/* Calls cb(arg) from the loop for each notification received (after
 * LISTEN, which the caller runs with dbconn_query). */
void dbconn_on_notify(struct dbconn *d, dbconn_notify_cb cb, void *arg);

/* Closes the connection (a statement in flight is abandoned: PostgreSQL
 * notices the closed client and stops it). Safe inside the dbconn's own
 * callbacks. NULL is a no-op. */
void dbconn_free(struct dbconn *d);

#endif
