/* notify: one PostgreSQL connection of its own that LISTENs on channel
 * vigil_cache and tells the cache which cycle changed (a publication, an
 * embargo released). Outside the request pool, since it must stay parked on
 * LISTEN. When it drops, the cache is emptied and stops caching until the
 * connection listens again: a daemon that cannot hear of changes must not
 * serve from memory. Reconnects from the janitor's tick, with backoff. */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct cache;
struct notify;

/* Starts connecting in the background (conninfo copied; application_name
 * "vigild-listen"). cache is borrowed for the notify's life. Returns NULL
 * (logged) on an invalid conninfo. */
struct notify *notify_new(struct event_base *base, const char *conninfo, struct cache *cache,
                          int backoff_min_ms, int backoff_max_ms);

/* Closes the connection. NULL is a no-op. */
void notify_free(struct notify *n);

/* The janitor's tick: reconnects once the backoff delay has passed. */
void notify_tick(struct notify *n, uint64_t now_us);

/* Whether LISTEN is in effect. */
bool notify_is_listening(const struct notify *n);

#endif
