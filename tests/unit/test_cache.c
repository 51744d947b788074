/* cache: storage, eviction, invalidation by cycle, generations, listening. */
#include "cache.h"

#include <criterion/criterion.h>
#include <string.h>

Test(cache, nothing_is_cached_unless_listening)
{
    struct cache *c = cache_new(1000);
    size_t len;
    cache_put(c, "k", "2009-2012", "abc", 3, cache_generation(c));
    cr_assert_null(cache_get(c, "k", &len));
    cache_set_listening(c, true);
    cache_put(c, "k", "2009-2012", "abc", 3, cache_generation(c));
    const char *v = cache_get(c, "k", &len);
    cr_assert_not_null(v);
    cr_assert_eq(len, 3);
    cr_assert(memcmp(v, "abc", 3) == 0);
    /* Losing the channel empties it. */
    cache_set_listening(c, false);
    cache_set_listening(c, true);
    cr_assert_null(cache_get(c, "k", &len));
    cache_free(c);
}

Test(cache, invalidation_by_cycle_and_stale_generations)
{
    struct cache *c = cache_new(1000);
    size_t len;
    cache_set_listening(c, true);
    uint64_t g = cache_generation(c);
    cache_put(c, "a1", "A", "1", 1, g);
    cache_put(c, "b1", "B", "2", 1, g);
    cache_invalidate(c, "A");
    cr_assert_null(cache_get(c, "a1", &len));
    cr_assert_not_null(cache_get(c, "b1", &len));
    /* An answer computed before the change is not stored after it. */
    cache_put(c, "a1", "A", "old", 3, g);
    cr_assert_null(cache_get(c, "a1", &len));
    cache_put(c, "a1", "A", "new", 3, cache_generation(c));
    cr_assert_not_null(cache_get(c, "a1", &len));
    cache_invalidate(c, NULL);
    cr_assert_null(cache_get(c, "b1", &len));
    cache_free(c);
}

Test(cache, entries_of_every_cycle_go_with_any_cycle)
{
    struct cache *c = cache_new(1000);
    size_t len;
    cache_set_listening(c, true);
    uint64_t g = cache_generation(c);
    cache_put(c, "history", "", "h", 1, g); /* depends on every cycle */
    cache_put(c, "b1", "B", "2", 1, g);
    cache_invalidate(c, "A");
    cr_assert_null(cache_get(c, "history", &len));
    cr_assert_not_null(cache_get(c, "b1", &len));
    cache_free(c);
}

Test(cache, bounded_by_bytes_oldest_first)
{
    struct cache *c = cache_new(10);
    size_t len;
    cache_set_listening(c, true);
    uint64_t g = cache_generation(c);
    cache_put(c, "x", "A", "1234", 4, g);
    cache_put(c, "y", "A", "1234", 4, g);
    cr_assert_not_null(cache_get(c, "x", &len)); /* x is now the newest */
    cache_put(c, "z", "A", "1234", 4, g);        /* evicts y */
    cr_assert_null(cache_get(c, "y", &len));
    cr_assert_not_null(cache_get(c, "x", &len));
    cr_assert_not_null(cache_get(c, "z", &len));
    cache_put(c, "huge", "A", "12345678901", 11, g); /* larger than the bound */
    cr_assert_null(cache_get(c, "huge", &len));
    struct cache_stats st;
    cache_get_stats(c, &st);
    cr_assert_eq(st.entries, 2);
    cr_assert_eq(st.bytes, 8);
    cache_free(c);
}
