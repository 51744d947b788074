/* embargo: the release of published rankings under embargo. Nobody acts
 * when an embargo time passes, yet what the cache holds for everyone but
 * the central office may change then (cache.h says why), so this module
 * drops the whole cache at that moment. The next time comes from
 * PostgreSQL (rankings_next_embargo) as a delay measured on the database's
 * clock, the one that decides visibility, so the daemon's own clock does
 * not matter and the drop never comes early. It is asked again after every
 * change of the cache's generation (a publication here or elsewhere, a
 * release, the LISTEN connection coming back), which covers start-up too.
 * Driven by the janitor's tick: a release is acted on within one tick. */
#ifndef VIGIL_EMBARGO_H
#define VIGIL_EMBARGO_H

#include <stdint.h>

struct cache;
struct pool;
struct embargo;

/* pool and cache are borrowed for the embargo's life. Never fails. */
struct embargo *embargo_new(struct pool *pool, struct cache *cache);

/* Abandons a query in flight. Before pool_free. NULL is a no-op. */
void embargo_free(struct embargo *e);

/* The janitor's tick (now_us on conn_now_us's clock): drops the cache when
 * the next release is due, and asks for the next time when the cache's
 * generation moved since the last answer (or a failed query's retry delay
 * has passed). */
void embargo_tick(struct embargo *e, uint64_t now_us);

#endif
