/* cache: encoded responses of published reads (rankings, aggregates, cards,
 * histories), filled on first use and dropped when what they show changes:
 * a (re)publication, announced to every daemon by PostgreSQL NOTIFY on
 * channel vigil_cache (notify.c) and dropped by the publishing daemon itself
 * before it acknowledges; or an embargo's release, which nobody announces:
 * embargo.c drops everything when the time passes. While this daemon is not
 * listening, nothing is cached (it could not learn of changes).
 *
 * Why the release needs dropping at all, though no caller is ever answered
 * from the cache with a version it may not see (keys carry the caller's
 * class, svc_rankings.h, and SQL refuses embargoed versions to all but the
 * central office): what others were answered before the release depends on
 * the hidden version's absence, and changes when it appears: "the current
 * version" (version 0) of a republished cycle, `superseded` of the older
 * version, and histories. */
#ifndef VIGIL_CACHE_H
#define VIGIL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;

/* max_bytes bounds the stored responses; the oldest go first beyond it. */
struct cache *cache_new(size_t max_bytes);
void cache_free(struct cache *c); /* NULL is a no-op */

/* The generation: it changes at every invalidation. A reader takes it
 * before it queries the database and passes it to cache_put, which ignores
 * an answer computed before a change it has not seen. */
uint64_t cache_generation(const struct cache *c);

/* The stored bytes for key, or NULL; borrowed until the next cache_put,
 * cache_invalidate or cache_set_listening. */
const void *cache_get(struct cache *c, const char *key, size_t *len);

/* Stores a copy of bytes under key, filed under cycle for invalidation
 * ("": an entry that depends on every cycle, such as a history, dropped by
 * every invalidation); ignored while not listening or when generation is
 * stale. */
void cache_put(struct cache *c, const char *key, const char *cycle, const void *bytes, size_t len,
               uint64_t generation);

/* Drops every entry of cycle and those filed under "" (cycle NULL: every
 * entry) and bumps the generation. */
void cache_invalidate(struct cache *c, const char *cycle);

/* Whether changes can be learnt (the LISTEN connection is up). Turning it
 * off empties the cache. */
void cache_set_listening(struct cache *c, bool listening);
bool cache_is_listening(const struct cache *c);

struct cache_stats {
    size_t entries, bytes;
    uint64_t hits, misses, invalidations;
};
void cache_get_stats(const struct cache *c, struct cache_stats *out);

#endif
