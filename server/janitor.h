/* janitor: the one periodic timer (every 100 ms). Everything periodic lives
 * here, and this list is complete:
 *   - handshake and idle timeouts of every connection (conn_check_timeouts);
 *   - database reconnects whose backoff has passed, and stalled connection
 *     attempts (pool_tick), the LISTEN connection's reconnect
 *     (notify_tick), and the release of embargoed rankings (embargo_tick),
 *     through server_tick_db;
 *   - flushing buffered log lines (log_flush);
 *   - the end of a graceful shutdown once its bound has passed (server_tick).
 * Closed connections are freed by the server's reaper right after the event
 * round that closed them, not here. */
#ifndef VIGIL_JANITOR_H
#define VIGIL_JANITOR_H

struct server;
struct janitor;

/* Starts the timer on the server's base. Returns NULL (logged) on failure. */
struct janitor *janitor_new(struct server *srv);

/* Stops it. NULL is a no-op. */
void janitor_free(struct janitor *j);

#endif
