/* cache: a byte-bounded LRU map of encoded responses, invalidated by cycle
 * (see cache.h). Small and single-threaded, like the daemon. */
#include "cache.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024 /* published reads are few: cycles × views × filters */

struct entry {
    char *key;
    char *cycle;
    void *bytes;
    size_t len;
    struct entry *chain;         /* next in the bucket */
    struct entry *newer, *older; /* LRU list */
};

struct cache {
    struct entry *buckets[BUCKETS];
    struct entry *newest, *oldest;
    size_t bytes, max_bytes, entries;
    uint64_t generation;
    bool listening;
    struct cache_stats stats;
};

static unsigned hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

struct cache *cache_new(size_t max_bytes)
{
    struct cache *c = xcalloc(1, sizeof(*c));
    c->max_bytes = max_bytes;
    c->generation = 1;
    return c;
}

static void lru_unlink(struct cache *c, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct cache *c, struct entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (c->oldest == NULL)
        c->oldest = e;
}

static void drop(struct cache *c, struct entry *e)
{
    struct entry **p = &c->buckets[hash(e->key)];
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    lru_unlink(c, e);
    c->bytes -= e->len;
    c->entries--;
    free(e->key);
    free(e->cycle);
    free(e->bytes);
    free(e);
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    while (c->oldest)
        drop(c, c->oldest);
    free(c);
}

uint64_t cache_generation(const struct cache *c)
{
    return c->generation;
}

static struct entry *find(struct cache *c, const char *key)
{
    for (struct entry *e = c->buckets[hash(key)]; e; e = e->chain) {
        if (strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

const void *cache_get(struct cache *c, const char *key, size_t *len)
{
    struct entry *e = c->listening ? find(c, key) : NULL;
    if (e == NULL) {
        c->stats.misses++;
        return NULL;
    }
    c->stats.hits++;
    lru_unlink(c, e);
    lru_push(c, e);
    *len = e->len;
    return e->bytes;
}

void cache_put(struct cache *c, const char *key, const char *cycle, const void *bytes, size_t len,
               uint64_t generation)
{
    if (!c->listening || generation != c->generation || len > c->max_bytes)
        return;
    struct entry *old = find(c, key);
    if (old)
        drop(c, old);
    while (c->oldest && c->bytes + len > c->max_bytes)
        drop(c, c->oldest);
    struct entry *e = xcalloc(1, sizeof(*e));
    e->key = xstrdup(key);
    e->cycle = xstrdup(cycle);
    e->bytes = xmalloc(len ? len : 1);
    memcpy(e->bytes, bytes, len);
    e->len = len;
    unsigned h = hash(key);
    e->chain = c->buckets[h];
    c->buckets[h] = e;
    lru_push(c, e);
    c->bytes += len;
    c->entries++;
}

void cache_invalidate(struct cache *c, const char *cycle)
{
    struct entry *e = c->oldest, *next;
    for (; e; e = next) {
        next = e->newer;
        if (cycle == NULL || e->cycle[0] == '\0' || strcmp(e->cycle, cycle) == 0)
            drop(c, e);
    }
    c->generation++;
    c->stats.invalidations++;
}

void cache_set_listening(struct cache *c, bool listening)
{
    /* Either way, what was computed before cannot be trusted to be current. */
    cache_invalidate(c, NULL);
    c->listening = listening;
}

bool cache_is_listening(const struct cache *c)
{
    return c->listening;
}

void cache_get_stats(const struct cache *c, struct cache_stats *out)
{
    *out = c->stats;
    out->entries = c->entries;
    out->bytes = c->bytes;
}
