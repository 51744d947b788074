/* embargo: drops the cache when an embargo time passes (see embargo.h). */
#include "embargo.h"
#include "cache.h"
#include "conn.h"
#include "log.h"
#include "pool.h"
#include "sql.h"

#include <stdbool.h>
#include <stdlib.h>

#define RETRY_US 1000000 /* after a failed query (database down) */

struct embargo {
    struct pool *pool;          /* borrowed */
    struct cache *cache;        /* borrowed */
    struct pool_query *query;   /* rankings_next_embargo in flight, or NULL */
    struct pool_query *release; /* exchange_release in flight, or NULL */
    bool release_due;           /* an embargo passed (or start-up): write its feed events */
    uint64_t asked_generation;  /* cache generation when the last answer was asked for */
    bool known;                 /* that answer arrived */
    uint64_t due_us;            /* next release, 0 = none known */
    uint64_t retry_us;          /* no query before this (after a failure) */
};

struct embargo *embargo_new(struct pool *pool, struct cache *cache)
{
    struct embargo *e = xcalloc(1, sizeof(*e));
    e->pool = pool;
    e->cache = cache;
    /* Embargoes that passed while no daemon ran enter the feed now. */
    e->release_due = true;
    return e;
}

void embargo_free(struct embargo *e)
{
    if (e == NULL)
        return;
    pool_cancel(e->query);
    pool_cancel(e->release);
    free(e);
}

static void answered(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct embargo *e = arg;
    uint64_t now = conn_now_us();

    e->query = NULL;
    if (result != POOL_OK || PQntuples(res) != 1) {
        log_debug("msg=\"next embargo unknown; retrying\" error=%s", log_quote(msg));
        e->retry_us = now + RETRY_US;
        return;
    }
    e->known = true;
    if (PQgetisnull(res, 0, 0))
        return;
    long long ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    uint64_t due = now + (ms > 0 ? (uint64_t)ms * 1000u : 0u) + 1u;
    /* A release still pending is kept: the database may already count it as
     * past, and answer the one after it. It asks again once it is done. */
    if (e->due_us == 0 || due < e->due_us)
        e->due_us = due;
    log_debug("msg=\"next embargo release\" in_ms=%lld", ms);
}

static const char daemon_ctx[] = "{\"role\":\"none\",\"office_id\":0,\"method\":\"embargo\"}";

static void released(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct embargo *e = arg;
    e->release = NULL;
    if (result != POOL_OK) {
        log_warn("msg=\"cannot write embargo releases to the feed; retrying\" error=%s",
                 log_quote(msg));
        e->retry_us = conn_now_us() + RETRY_US;
        return;
    }
    e->release_due = false;
    log_debug("msg=\"embargo releases written\" result=%s", log_quote(PQgetvalue(res, 0, 0)));
}

/* Every daemon writes the release events when it sees an embargo pass; the
 * database keeps them to one per publication (exchange_release), so the
 * first to get there writes them and the others find nothing to do. */
static void release(struct embargo *e)
{
    const char *params[] = {daemon_ctx};
    e->release = pool_query(e->pool, SQL_EXCHANGE_RELEASE, 1, params, released, e);
}

static void ask(struct embargo *e)
{
    const char *params[] = {daemon_ctx};
    e->asked_generation = cache_generation(e->cache);
    e->known = false;
    /* Something was published (here or elsewhere): an embargo that passed
     * between its publication's commit and now has no timer left to wait
     * for, so look for releases too (cheap when there are none). */
    e->release_due = true;
    e->query = pool_query(e->pool, SQL_RANKINGS_NEXT_EMBARGO, 1, params, answered, e);
}

void embargo_tick(struct embargo *e, uint64_t now_us)
{
    if (e->due_us != 0 && now_us >= e->due_us) {
        e->due_us = 0;
        log_info("msg=\"embargo passed; cached published reads dropped\"");
        cache_invalidate(e->cache, NULL);
        e->release_due = true;
    }
    if (e->release_due && e->release == NULL && now_us >= e->retry_us)
        release(e);
    if (e->query != NULL || now_us < e->retry_us)
        return;
    if (!e->known || cache_generation(e->cache) != e->asked_generation)
        ask(e);
}
