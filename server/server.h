/* server: the running daemon as one object: the event base, the current
 * configuration and TLS contexts, the listeners, the database pool, the list
 * of connections, the signal handling (SIGTERM/SIGINT graceful shutdown,
 * SIGHUP reload) and the reaper that frees closed connections at a safe point. */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include "config.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct conn;
struct dbconn;
struct pool;
struct event_base;

/* Command-line settings re-applied on top of the file at every reload. */
struct server_args {
    const char *config_path;      /* -c FILE, or NULL */
    const char *const *overrides; /* "key=value" strings, borrowed for the server's life */
    int noverrides;
    const char *ready_file; /* written once listening, or NULL */
};

/* Builds the daemon from a validated configuration (copied). Builds TLS,
 * binds the listeners, starts the pool. Returns NULL after logging why. */
struct server *server_new(struct event_base *base, const struct config *cfg,
                          const struct server_args *args);

/* Frees everything; the loop must have stopped. NULL is a no-op. */
void server_free(struct server *s);

/* Reads the configuration again and rebuilds the TLS contexts; swaps only if
 * all of it succeeds, else logs and keeps the old. Open connections stay. */
void server_reload(struct server *s);

/* Stops accepting, sends GOAWAY on every connection, and ends the loop once
 * no call is in flight or shutdown_timeout_ms has passed. */
void server_shutdown(struct server *s);

/* The janitor's tick for the database side: pool reconnects, the LISTEN
 * connection's reconnect, embargo releases. */
void server_tick_db(struct server *s, uint64_t now_us);

/* The janitor's tick: ends a graceful shutdown whose bound has passed. */
void server_tick(struct server *s, uint64_t now_us);

/* --- for the connection layer --- */
const struct config *server_config(const struct server *s);
struct pool *server_pool(const struct server *s);
struct event_base *server_base(const struct server *s);
SSL_CTX *server_ssl_ctx(const struct server *s, bool is_public);
struct cache *server_cache(const struct server *s);

/* A database connection of its own for a long call (dbconn.h), or NULL when
 * exchange_max_streams of them are open. Free it with dbconn_free. */
struct dbconn *server_stream_db(struct server *s, const char *app_name);

/* Connection bookkeeping: conn_new registers, conn_close moves the
 * connection to the reaper's list. */
void server_conn_add(struct server *s, struct conn *c);
void server_conn_closed(struct server *s, struct conn *c);
int server_conn_count(const struct server *s);

/* Walks the live connections (the janitor's timeouts); fn may close c. */
void server_conn_foreach(struct server *s, void (*fn)(struct conn *c, void *arg), void *arg);

#endif
