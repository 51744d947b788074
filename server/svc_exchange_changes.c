/* svc_exchange_changes: vigil.v1.Exchange/Changes, the resumable feed.
 *
 * The feed is the table change_event of migrations/0008_exchange.sql, whose
 * appends are serialised up to their commit, so that its sequence numbers
 * are in commit order and a reader that sees one change sees every earlier
 * one. The handler therefore only pages: `seq > last delivered`, in order,
 * each page its own statement (a fresh snapshot). With follow, the caller
 * gets a connection of its own that LISTENs on vigil_changes before the
 * first page: a commit after LISTEN wakes it, one before it is in a page.
 * Pages are read only when the client has taken the previous ones (HTTP/2
 * flow control, call_on_drain), so a slow consumer costs one page of memory,
 * not the backlog. */
#include "call.h"
#include "dbconn.h"
#include "log.h"
#include "sql.h"
#include "sqlcall.h"
#include "svc.h"

#include "vigil/v1/exchange.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* Changes per statement. A page is held whole while it is sent, and one
 * change may carry a whole ranking or a revision with hundreds of evidence
 * items (a few hundred kilobytes): small pages keep that to a few MB. */
#define PAGE_SIZE "16"

struct feed {
    struct dbconn *db; /* follow only; the pool otherwise */
    char *ctx, *req;   /* the function's arguments */
    char seq[24];      /* last seq delivered, "" = start from the request's cursor */
    char *cursor;      /* its cursor, for CAUGHT_UP; NULL = the request's */
    bool follow;
    bool querying;  /* a page statement in flight */
    bool waiting;   /* caught up, waiting for a notification */
    bool notified;  /* a notification came while querying */
    bool caught_up; /* the CAUGHT_UP marker was sent */
};

static void next_page(struct call *c);

static void feed_free(void *arg)
{
    struct feed *f = arg;
    dbconn_free(f->db);
    free(f->ctx);
    free(f->req);
    free(f->cursor);
    free(f);
}

static struct feed *feed_of(struct call *c)
{
    return call_state(c);
}

static void send_caught_up(struct call *c, struct feed *f)
{
    const Vigil__V1__ChangesRequest *r = (const Vigil__V1__ChangesRequest *)call_request(c);
    Vigil__V1__Change m = VIGIL__V1__CHANGE__INIT;
    m.kind = VIGIL__V1__CHANGE_KIND__CHANGE_KIND_CAUGHT_UP;
    m.cursor = f->cursor ? f->cursor : r->after;
    f->caught_up = true;
    call_send(c, &m.base);
}

static void page_done(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    struct feed *f = feed_of(c);
    f->querying = false;
    if (result != POOL_OK) {
        sqlcall_fail(c, result, res, msg);
        return;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        if (!sqlcall_send_json(c, PQgetvalue(res, i, 1), &vigil__v1__change__descriptor))
            return;
        snprintf(f->seq, sizeof(f->seq), "%s", PQgetvalue(res, i, 0));
    }
    if (n > 0) { /* for CAUGHT_UP */
        free(f->cursor);
        f->cursor = xstrdup(PQgetvalue(res, n - 1, 2));
    }
    if (n == atoi(PAGE_SIZE) || (f->follow && f->notified)) {
        f->notified = false;
        call_on_drain(c, next_page); /* more: once the client has room */
        return;
    }
    if (!f->follow) {
        call_finish(c);
        return;
    }
    if (!f->caught_up)
        send_caught_up(c, f);
    f->waiting = true;
}

static void db_page_done(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    page_done(arg, result, res, msg);
}

static void next_page(struct call *c)
{
    struct feed *f = feed_of(c);
    const char *params[] = {f->ctx, f->req, f->seq[0] ? f->seq : NULL, PAGE_SIZE};
    f->querying = true;
    f->waiting = false;
    if (f->db != NULL)
        dbconn_query(f->db, SQL_EXCHANGE_CHANGES, 4, params, db_page_done, c);
    else
        call_query(c, SQL_EXCHANGE_CHANGES, 4, params, page_done);
}

static void on_notify(void *arg)
{
    struct call *c = arg;
    struct feed *f = feed_of(c);
    if (f->querying) {
        f->notified = true; /* the page in flight may predate the commit */
        return;
    }
    if (f->waiting)
        call_on_drain(c, next_page);
}

static void listening(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct call *c = arg;
    if (result != POOL_OK) {
        sqlcall_fail(c, result, res, msg);
        return;
    }
    next_page(c);
}

void svc_exchange_changes(struct call *c)
{
    const Vigil__V1__ChangesRequest *r = (const Vigil__V1__ChangesRequest *)call_request(c);
    struct feed *f = xcalloc(1, sizeof(*f));
    f->follow = r->follow;
    f->ctx = sqlcall_ctx(c);
    f->req = sqlcall_json(call_request(c));
    call_set_state(c, f, feed_free);
    if (f->ctx == NULL || f->req == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
        return;
    }
    if (!f->follow) {
        next_page(c);
        return;
    }
    f->db = call_stream_db(c, "vigild-feed");
    if (f->db == NULL) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED,
                  "follow: the server's exchange_max_streams exports and followed feeds are "
                  "open; retry later, or read without follow");
        return;
    }
    call_set_long_lived(c);
    dbconn_on_notify(f->db, on_notify, c);
    dbconn_query(f->db, SQL_EXCHANGE_LISTEN, 0, NULL, listening, c);
}
