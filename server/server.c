/* server: the daemon object: listeners, TLS generation, pool, connection
 * lists, signals, reload and graceful shutdown (see server.h). */
#include "server.h"
#include "dbconn.h"
#include "conn.h"
#include "embargo.h"
#include "janitor.h"
#include "listener.h"
#include "cache.h"
#include "log.h"
#include "notify.h"
#include "pool.h"
#include "tls.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct server {
    struct event_base *base; /* borrowed from main */
    struct config cfg;       /* current configuration, owned */
    struct server_args args; /* borrowed from main */
    struct tls_contexts tls; /* current generation; SSL objects hold their own refs */
    struct listener *mtls;   /* main listener */
    struct listener *pub;    /* public listener, NULL when off */
    struct pool *pool;
    struct cache *cache;         /* encoded published reads */
    struct notify *notify;       /* LISTEN connection invalidating the cache */
    struct embargo *embargo;     /* drops the cache when an embargo passes */
    struct dbconn_limit streams; /* exports and followed feeds (dbconn.h) */
    struct janitor *janitor;
    struct conn *live;   /* connections not yet closed */
    struct conn *closed; /* closed, waiting for the reaper */
    int nlive;
    struct event *reaper; /* frees closed connections after the event round */
    struct event *sig[3]; /* SIGTERM, SIGINT, SIGHUP */
    bool shutting_down;
    bool loop_exiting; /* loopexit requested once */
    uint64_t shutdown_deadline_us;
};

const struct config *server_config(const struct server *s)
{
    return &s->cfg;
}

struct pool *server_pool(const struct server *s)
{
    return s->pool;
}

struct cache *server_cache(const struct server *s)
{
    return s->cache;
}

struct dbconn *server_stream_db(struct server *s, const char *app_name)
{
    s->streams.max = s->cfg.exchange_max_streams;
    return dbconn_open(s->base, s->cfg.db, app_name, &s->streams);
}

void server_tick_db(struct server *s, uint64_t now_us)
{
    pool_tick(s->pool);
    notify_tick(s->notify, now_us);
    embargo_tick(s->embargo, now_us);
}

struct event_base *server_base(const struct server *s)
{
    return s->base;
}

SSL_CTX *server_ssl_ctx(const struct server *s, bool is_public)
{
    return is_public ? s->tls.public : s->tls.mtls;
}

int server_conn_count(const struct server *s)
{
    return s->nlive;
}

static void list_remove(struct conn **head, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void list_push(struct conn **head, struct conn *c)
{
    c->prev = NULL;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
}

void server_conn_add(struct server *s, struct conn *c)
{
    list_push(&s->live, c);
    s->nlive++;
}

void server_conn_closed(struct server *s, struct conn *c)
{
    list_remove(&s->live, c);
    s->nlive--;
    list_push(&s->closed, c);
    event_active(s->reaper, 0, 0);
}

void server_conn_foreach(struct server *s, void (*fn)(struct conn *c, void *arg), void *arg)
{
    struct conn *c = s->live, *next;
    for (; c != NULL; c = next) {
        next = c->next; /* fn may close c, moving it to the closed list */
        fn(c, arg);
    }
}

static void maybe_finish_shutdown(struct server *s)
{
    if (s->shutting_down && !s->loop_exiting && s->live == NULL && s->closed == NULL) {
        s->loop_exiting = true;
        log_info("msg=\"shutdown complete\"");
        event_base_loopexit(s->base, NULL);
    }
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    while (s->closed != NULL) {
        struct conn *c = s->closed;
        list_remove(&s->closed, c);
        conn_free(c);
    }
    maybe_finish_shutdown(s);
}

static void close_all(struct conn *c, void *arg)
{
    conn_close(c, arg);
}

void server_tick(struct server *s, uint64_t now_us)
{
    if (s->shutting_down && now_us >= s->shutdown_deadline_us && s->live != NULL) {
        log_warn("msg=\"shutdown timeout: closing connections with calls in flight\" "
                 "connections=%d",
                 s->nlive);
        server_conn_foreach(s, close_all, "shutdown timeout");
    }
}

static void drain_one(struct conn *c, void *arg)
{
    conn_drain(c);
}

void server_shutdown(struct server *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    s->shutdown_deadline_us = conn_now_us() + (uint64_t)s->cfg.shutdown_timeout_ms * 1000u;
    log_info("msg=\"shutting down\" connections=%d timeout_ms=%d", s->nlive,
             s->cfg.shutdown_timeout_ms);
    listener_free(s->mtls);
    listener_free(s->pub);
    s->mtls = s->pub = NULL;
    server_conn_foreach(s, drain_one, NULL);
    maybe_finish_shutdown(s);
}

void server_reload(struct server *s)
{
    struct config cfg;
    struct tls_contexts tls;
    char err[512], restart[512];
    enum log_level lvl;

    log_info("msg=\"reloading configuration\" file=%s",
             s->args.config_path ? s->args.config_path : "-");
    if (!config_build(s->args.config_path, s->args.overrides, s->args.noverrides, &cfg, err,
                      sizeof(err)) ||
        !config_validate(&cfg, err, sizeof(err))) {
        config_clear(&cfg);
        log_error("msg=\"reload failed, keeping the running configuration\" error=%s",
                  log_quote(err));
        return;
    }
    if (!tls_build(&cfg, &tls, err, sizeof(err))) {
        log_error("msg=\"reload failed, keeping the running configuration\" error=%s",
                  log_quote(err));
        config_clear(&cfg);
        return;
    }
    config_diff_restart(&s->cfg, &cfg, restart, sizeof(restart));
    if (restart[0])
        log_warn("msg=\"changed settings need a restart to take effect\" settings=%s", restart);
    /* Keep the running values of settings that need a restart. */
    for (const struct config_key *k = config_keys; k->name; k++) {
        if (!k->reloadable) {
            char *field = (char *)&cfg + k->offset, *old = (char *)&s->cfg + k->offset;
            if (k->type == CONFIG_STRING) {
                char **f = (char **)field;
                free(*f);
                *f = xstrdup(*(char **)old);
            } else {
                memcpy(field, old, k->type == CONFIG_INT ? sizeof(int) : sizeof(bool));
            }
        }
    }
    tls_clear(&s->tls);
    s->tls = tls;
    config_clear(&s->cfg);
    s->cfg = cfg;
    if (log_level_parse(s->cfg.log_level, &lvl))
        log_set_level(lvl);
    pool_set_backoff(s->pool, s->cfg.db_reconnect_min_ms, s->cfg.db_reconnect_max_ms);
    log_info("msg=\"configuration reloaded\"");
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct server *s = arg;
    if (sig == SIGHUP)
        server_reload(s);
    else
        server_shutdown(s);
}

static bool write_ready_file(struct server *s)
{
    char tmp[4096];
    FILE *f;

    if (s->args.ready_file == NULL)
        return true;
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->args.ready_file);
    f = fopen(tmp, "w");
    if (f == NULL) {
        log_error("msg=\"cannot write ready file\" path=%s error=%s", s->args.ready_file,
                  log_quote(strerror(errno)));
        return false;
    }
    fprintf(f, "listen=%s\n", listener_address(s->mtls));
    if (s->pub)
        fprintf(f, "public_listen=%s\n", listener_address(s->pub));
    fprintf(f, "pid=%d\n", (int)getpid());
    if (fclose(f) != 0 || rename(tmp, s->args.ready_file) != 0) {
        log_error("msg=\"cannot write ready file\" path=%s error=%s", s->args.ready_file,
                  log_quote(strerror(errno)));
        return false;
    }
    return true;
}

static bool start_signals(struct server *s)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        s->sig[i] = evsignal_new(s->base, sigs[i], signal_cb, s);
        if (s->sig[i] == NULL || evsignal_add(s->sig[i], NULL) != 0) {
            log_error("msg=\"cannot install signal handler\" signal=%d", sigs[i]);
            return false;
        }
    }
    return true;
}

struct server *server_new(struct event_base *base, const struct config *cfg,
                          const struct server_args *args)
{
    struct server *s = xcalloc(1, sizeof(*s));
    char err[512];

    s->base = base;
    s->args = *args;
    config_copy(&s->cfg, cfg);
    s->reaper = event_new(base, -1, 0, reap_cb, s);
    if (s->reaper == NULL || !start_signals(s))
        goto fail;
    if (!tls_build(&s->cfg, &s->tls, err, sizeof(err))) {
        log_error("msg=\"TLS configuration failed\" error=%s", log_quote(err));
        goto fail;
    }
    struct pool_config pc = {s->cfg.db, s->cfg.db_pool_size, s->cfg.db_reconnect_min_ms,
                             s->cfg.db_reconnect_max_ms};
    s->pool = pool_new(base, &pc);
    if (s->pool == NULL)
        goto fail;
    s->cache = cache_new((size_t)s->cfg.cache_max_bytes);
    s->notify = notify_new(base, s->cfg.db, s->cache, s->cfg.db_reconnect_min_ms,
                           s->cfg.db_reconnect_max_ms);
    s->embargo = embargo_new(s->pool, s->cache);
    s->mtls = listener_new(s, s->cfg.listen, false);
    if (s->mtls == NULL)
        goto fail;
    if (s->cfg.public_listen[0]) {
        s->pub = listener_new(s, s->cfg.public_listen, true);
        if (s->pub == NULL)
            goto fail;
    }
    s->janitor = janitor_new(s);
    if (s->janitor == NULL || !write_ready_file(s))
        goto fail;
    return s;
fail:
    server_free(s);
    return NULL;
}

void server_free(struct server *s)
{
    if (s == NULL)
        return;
    server_conn_foreach(s, close_all, "server stopping");
    if (s->reaper)
        reap_cb(-1, 0, s);
    janitor_free(s->janitor);
    listener_free(s->mtls);
    listener_free(s->pub);
    embargo_free(s->embargo);
    notify_free(s->notify);
    cache_free(s->cache);
    pool_free(s->pool);
    for (int i = 0; i < 3; i++) {
        if (s->sig[i])
            event_free(s->sig[i]);
    }
    if (s->reaper)
        event_free(s->reaper);
    tls_clear(&s->tls);
    config_clear(&s->cfg);
    free(s);
}
