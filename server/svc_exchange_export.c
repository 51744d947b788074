/* svc_exchange_export: vigil.v1.Exchange/Export, one cycle's published data
 * as a stream of records from one consistent snapshot.
 *
 * The export gets a database connection of its own (not the pool's: a
 * client reading slowly keeps its transaction open for as long as it takes)
 * and runs everything inside one REPEATABLE READ transaction, so the header's
 * feed cursor, the assessments, the ranking and the aggregates are all of one
 * instant. Assessments come in keyset pages, and the next page is read only
 * once the client has taken the previous ones (call_on_drain): memory stays
 * bounded by a page and the send queue, whatever the cycle's size. The
 * ranking and aggregates are kept from the first statement (their size is
 * bounded by the number of states) and sent after the assessments. */
#include "call.h"
#include "dbconn.h"
#include "log.h"
#include "sql.h"
#include "sqlcall.h"
#include "svc.h"

#include "vigil/v1/exchange.pb-c.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Assessments per statement: one may hold 20 evidence items per indicator,
 * a few hundred kilobytes, and a page is held whole while it is sent. */
#define PAGE_SIZE "5"

struct export
{
    struct dbconn *db;
    char *ctx, *req;
    char publication[24];  /* publication id */
    char last_state[8];    /* keyset position, "" = start */
    json_t *header;        /* ExportHeader JSON; counts updated as records go */
    char *ranking;         /* Ranking JSON text, sent after the assessments */
    char *aggregates;      /* GetAggregatesResponse JSON text */
    long long assessments; /* ASSESSMENT records sent */
    long long evidence;    /* evidence items in them */
};

static void next_page(struct call *c);

static void export_free(void *arg)
{
    struct export *e = arg;
    dbconn_free(e->db);
    free(e->ctx);
    free(e->req);
    json_decref(e->header);
    free(e->ranking);
    free(e->aggregates);
    free(e);
}

/* Sends {"kind": kind, field: body} as an ExportRecord (body borrowed). */
static bool send_record(struct call *c, const char *kind, const char *field, json_t *body)
{
    json_t *rec = json_pack("{s:s, s:O}", "kind", kind, field, body);
    char *s = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    bool ok = false;
    if (s != NULL)
        ok = sqlcall_send_json(c, s, &vigil__v1__export_record__descriptor);
    else
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
    free(s);
    json_decref(rec);
    return ok;
}

/* The same with body given as JSON text (a column of the answer). */
static bool send_text(struct call *c, const char *kind, const char *field, const char *text)
{
    json_error_t je;
    json_t *body = json_loads(text, 0, &je);
    if (body == NULL) {
        log_error("msg=\"malformed export answer\" field=%s error=%s", field, log_quote(je.text));
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
        return false;
    }
    bool ok = send_record(c, kind, field, body);
    json_decref(body);
    return ok;
}

static void finish(struct call *c, struct export *e)
{
    if (!send_text(c, "ranking", "ranking", e->ranking) ||
        !send_text(c, "aggregates", "aggregates", e->aggregates))
        return;
    json_object_set_new(e->header, "assessments", json_integer(e->assessments));
    json_object_set_new(e->header, "evidence", json_integer(e->evidence));
    if (!send_record(c, "end", "header", e->header))
        return;
    call_finish(c);
}

/* Counts a record's evidence items for the END record. */
static long long evidence_in(const char *record)
{
    json_error_t je;
    json_t *j = json_loads(record, 0, &je);
    json_t *entries = json_object_get(json_object_get(j, "revision"), "entries");
    long long n = 0;
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry)
    {
        n += (long long)json_array_size(json_object_get(entry, "evidence"));
    }
    json_decref(j);
    return n;
}

static void page_done(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct call *c = arg;
    struct export *e = call_state(c);
    if (result != POOL_OK) {
        sqlcall_fail(c, result, res, msg);
        return;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        const char *record = PQgetvalue(res, i, 1);
        e->evidence += evidence_in(record);
        e->assessments++;
        if (!sqlcall_send_json(c, record, &vigil__v1__export_record__descriptor))
            return;
        snprintf(e->last_state, sizeof(e->last_state), "%s", PQgetvalue(res, i, 0));
    }
    if (n == atoi(PAGE_SIZE))
        call_on_drain(c, next_page);
    else
        finish(c, e);
}

static void next_page(struct call *c)
{
    struct export *e = call_state(c);
    const char *params[] = {e->ctx, e->publication, e->last_state, PAGE_SIZE};
    dbconn_query(e->db, SQL_EXPORT_ASSESSMENTS, 4, params, page_done, c);
}

static void begun(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct call *c = arg;
    struct export *e = call_state(c);
    json_error_t je;
    if (result != POOL_OK || PQntuples(res) != 1) {
        if (result == POOL_OK)
            call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
        else
            sqlcall_fail(c, result, res, msg);
        return;
    }
    snprintf(e->publication, sizeof(e->publication), "%s", PQgetvalue(res, 0, 0));
    e->header = json_loads(PQgetvalue(res, 0, 1), 0, &je);
    e->ranking = xstrdup(PQgetvalue(res, 0, 3));
    e->aggregates = xstrdup(PQgetvalue(res, 0, 4));
    if (e->header == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
        return;
    }
    if (!send_record(c, "header", "header", e->header) ||
        !send_text(c, "methodology", "methodology", PQgetvalue(res, 0, 2)))
        return;
    call_on_drain(c, next_page);
}

static void snapshot_open(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct call *c = arg;
    struct export *e = call_state(c);
    if (result != POOL_OK) {
        sqlcall_fail(c, result, res, msg);
        return;
    }
    const char *params[] = {e->ctx, e->req};
    dbconn_query(e->db, SQL_EXPORT_BEGIN, 2, params, begun, c);
}

void svc_exchange_export(struct call *c)
{
    struct export *e = xcalloc(1, sizeof(*e));
    e->ctx = sqlcall_ctx(c);
    e->req = sqlcall_json(call_request(c));
    call_set_state(c, e, export_free);
    if (e->ctx == NULL || e->req == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
        return;
    }
    e->db = call_stream_db(c, "vigild-export");
    if (e->db == NULL) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED,
                  "the server's exchange_max_streams exports and followed feeds are open; "
                  "retry later");
        return;
    }
    dbconn_query(e->db, SQL_EXPORT_SNAPSHOT, 0, NULL, snapshot_open, c);
}
