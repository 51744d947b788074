/* The SQL side of the partner exchange (migration 0008), called through libpq
 * as the service role, the way vigild calls it: the feed of changes
 * (exchange_changes) written at the commit of a publication, an embargo
 * release or an approval, in commit order even when writers commit
 * concurrently; exchange_release writing an embargoed publication once when
 * two daemons call it at the same moment; the export of one publication in
 * one snapshot; the import of assessments with Submit's rules and request
 * ids. Data is set up through the vigil_api functions themselves (offices
 * by SQL, publication with the inputs document as its canonical bytes and a
 * stub ranking), so most of it needs no daemon; one test publishes through a
 * real vigild and decodes every change and export record with the daemon's
 * strict JSON decoder (pbjson). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"
#include "h_assess.h"
#include "h_rank.h"

#include "pbjson.h"
#include "vigil/v1/exchange.pb-c.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLE H_CYCLE

/* The feed's advisory lock (0008_exchange.sql: "VIGILCHG"). */
#define LOCK_KEY "6217579140699342919"

#define FEED_MAX 128

static struct h_db db;
static char ctx_central[512], ctx_regional[512], ctx_partner[512], ctx_reader[512];
static const char CTX_ANON[] = "{\"role\": \"anonymous\", \"peer\": \"127.0.0.1:9\"}";
static const char CTX_EMPTY[] = "{}";
static char partner_id[32];
static char *entries; /* the 16 entries of a valid Submit, JSON */

/* ---- SQL ---------------------------------------------------------------- */

static PGconn *connect_ci(const char *ci)
{
    PGconn *c = PQconnectdb(ci);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

/* A connection as the service role. */
static PGconn *app(void)
{
    return connect_ci(db.app);
}

static PGresult *run(PGconn *c, const char *sql, int n, const char *const *p)
{
    return PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
}

/* The one value sql returns (malloc'd; NULL for SQL NULL); fails otherwise. */
static char *value(PGconn *c, const char *sql, int n, const char *const *p)
{
    PGresult *r = run(c, sql, n, p);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s\n%s(%d rows)", sql,
              PQresultErrorMessage(r), PQntuples(r));
    char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s\n%s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* Fails unless sql fails with SQLSTATE state and a message starting with
 * msg. */
static void expect_error(PGconn *c, const char *sql, int n, const char *const *p, const char *state,
                         const char *msg)
{
    PGresult *r = run(c, sql, n, p);
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "%s: succeeded; expected %s %s", sql, state,
                 msg);
    cr_assert_str_eq(st ? st : "", state, "%s: %s", sql, m ? m : "");
    cr_assert(m && strncmp(m, msg, strlen(msg)) == 0, "%s:\n got  %s\n want %s...", sql,
              m ? m : "(none)", msg);
    PQclear(r);
}

static json_t *json_of(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    cr_assert_not_null(j, "not JSON (%s): %s", err.text, text);
    return j;
}

/* Decodes j (borrowed) as message d with the daemon's strict decoder. */
static ProtobufCMessage *decode(const json_t *j, const ProtobufCMessageDescriptor *d)
{
    char err[512];
    ProtobufCMessage *m = NULL;
    char *text = json_dumps(j, JSON_COMPACT);
    bool ok = pbjson_decode(j, d, &m, err, sizeof(err));
    cr_assert(ok, "%s does not decode: %s\n%s", d->name, err, text);
    free(text);
    return m;
}

/* ---- set-up: offices and data through the API ------------------------ */

static void office_add(const char *name, const char *role, const char *region, char *ctx,
                       size_t cap, char *id_out)
{
    const char *p[] = {name, role, region};
    char *id = h_db_query_value_params(
        &db,
        "INSERT INTO office (name, role, region) VALUES ($1, $2::office_role, $3) "
        "RETURNING id",
        3, p);
    snprintf(ctx, cap,
             "{\"office_id\": %s, \"office\": \"%s\", \"role\": \"%s\", \"region\": \"%s\", "
             "\"certificate_sha256\": \"%064d\", \"peer\": \"127.0.0.1:9\"}",
             id, name, role, region ? region : "", 0);
    if (id_out)
        snprintf(id_out, 32, "%s", id);
    free(id);
}

static char *entries_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < H_N_INDICATORS; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "indicator", h_indicators[i],
                         "level", i == H_IDX_CA2 ? "adequate" : "yes", "justification",
                         "as reported", "evidence", "citation", "Country report 2012", "url",
                         "https://example.org/report", "date", "2012-06-30"));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static void setup(void)
{
    h_db_create(&db);
    office_add("central", "central", NULL, ctx_central, sizeof(ctx_central), NULL);
    office_add("regional", "regional", "150", ctx_regional, sizeof(ctx_regional), NULL);
    office_add("partner", "partner", NULL, ctx_partner, sizeof(ctx_partner), partner_id);
    office_add("reader", "partner", NULL, ctx_reader, sizeof(ctx_reader), NULL);
    const char *p[] = {partner_id};
    free(h_db_query_value_params(
        &db, "INSERT INTO office_state (office_id, state) VALUES ($1, 'DE') RETURNING state", 1,
        p));
    entries = entries_json();
}

static void teardown(void)
{
    free(entries);
    entries = NULL;
    h_db_drop(&db);
}

/* The revision number of an answer {"revision": n, ...} (freed here). */
static int answer_revision(char *answer)
{
    json_t *j = json_of(answer);
    int n = (int)json_integer_value(json_object_get(j, "revision"));
    json_decref(j);
    free(answer);
    return n;
}

static const char SUBMIT_SQL[] =
    "SELECT vigil_api.assessments_submit($1::jsonb, jsonb_build_object('request_id', $2::text, "
    "'state', $3::text, 'cycle', $4::text, 'base_revision', $5::int, 'entries', $6::jsonb))";

/* Submits the valid entries for state as the regional office on base. */
static int submit(PGconn *c, const char *state, int base)
{
    char *rid = h_request_id(), b[16];
    snprintf(b, sizeof(b), "%d", base);
    const char *p[] = {ctx_regional, rid, state, CYCLE, b, entries};
    int n = answer_revision(value(c, SUBMIT_SQL, 6, p));
    free(rid);
    return n;
}

static void review(PGconn *c, const char *state, const char *action, int revision)
{
    char *rid = h_request_id(), rev[16];
    snprintf(rev, sizeof(rev), "%d", revision);
    const char *p[] = {ctx_central, rid, state, CYCLE, action, rev};
    free(value(c,
               "SELECT vigil_api.assessments_review($1::jsonb, jsonb_build_object("
               "'request_id', $2::text, 'state', $3::text, 'cycle', $4::text, "
               "'action', $5::text, 'revision', $6::int, 'comment', 'a correction'))",
               6, p));
    free(rid);
}

/* The SQL of an approval as the central office, for a multi-statement
 * transaction (no parameters). */
static char *approve_sql(const char *state, int revision)
{
    char *rid = h_request_id();
    char *sql = h_strdupf("SELECT vigil_api.assessments_review('%s'::jsonb, jsonb_build_object("
                          "'request_id', '%s', 'state', '%s', 'cycle', '%s', "
                          "'action', 'approve', 'revision', %d))",
                          ctx_central, rid, state, CYCLE, revision);
    free(rid);
    return sql;
}

/* Submits and approves each state (revision 1). */
static void load(PGconn *c, const char *const *states, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(submit(c, states[i], 0), 1);
        review(c, states[i], "approve", 1);
    }
}

static void close_cycle(PGconn *c)
{
    char *rid = h_request_id();
    const char *p[] = {ctx_central, rid, CYCLE};
    free(value(c,
               "SELECT vigil_api.catalog_set_cycle_status($1::jsonb, jsonb_build_object("
               "'request_id', $2::text, 'cycle', $3::text, 'status', 'closed'))",
               3, p));
    free(rid);
}

/* Publishes CYCLE as the central office the way vigild does (inputs, then
 * publish with their token), with the inputs document as the canonical bytes
 * and a stub ranking and aggregates. embargo: "" = none. Returns the
 * version. */
static int publish(PGconn *c, const char *embargo)
{
    char *rid = h_request_id();
    const char *p[] = {ctx_central, CYCLE, rid, embargo};
    char *answer =
        value(c,
              "WITH i AS (SELECT vigil_api.rankings_inputs($1::jsonb, jsonb_build_object('cycle', "
              "$2::text)) AS r) "
              "SELECT vigil_api.rankings_publish($1::jsonb, jsonb_build_object("
              " 'request_id', $3::text, 'cycle', $2::text, 'embargo_until', $4::text,"
              " 'token', r->>'token', 'canonical', (r->'document')::text,"
              " 'digest', encode(sha256(convert_to((r->'document')::text, 'UTF8')), 'hex'),"
              " 'ranking', jsonb_build_object('cycle', $2::text, 'methodology', 'ecpat-2012',"
              "   'ranked', '[]'::jsonb, 'not_ranked', '[]'::jsonb),"
              " 'aggregates', jsonb_build_object('cycle', $2::text, 'indicators', '[]'::jsonb))) "
              "FROM i",
              4, p);
    json_t *j = json_of(answer);
    int v = (int)json_integer_value(json_object_get(j, "version"));
    json_decref(j);
    free(answer);
    free(rid);
    return v;
}

/* ---- the feed ----------------------------------------------------------- */

struct feed {
    size_t n;
    long long seq[FEED_MAX];
    json_t *change[FEED_MAX];
};

static void feed_clear(struct feed *f)
{
    for (size_t i = 0; i < f->n; i++)
        json_decref(f->change[i]);
    f->n = 0;
}

static const char CHANGES_SQL[] = "SELECT seq, change FROM vigil_api.exchange_changes("
                                  "$1::jsonb, $2::jsonb, $3::bigint, $4::int)";

/* One page of exchange_changes, appended to f; returns the rows read.
 * after_seq NULL: req's after. Checks every row: seq strictly increasing,
 * cursor and committed_at well formed, and the change decoding as a
 * vigil.v1.Change. */
static size_t page(PGconn *c, const char *ctx, const char *req, const char *after_seq,
                   int page_size, struct feed *f)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", page_size);
    const char *p[] = {ctx, req, after_seq, ps};
    PGresult *r = run(c, CHANGES_SQL, 4, p);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    regex_t at;
    cr_assert_eq(regcomp(&at, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    size_t rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows; i++) {
        cr_assert_lt(f->n, FEED_MAX);
        long long seq = atoll(PQgetvalue(r, (int)i, 0));
        json_t *ch = json_of(PQgetvalue(r, (int)i, 1));
        cr_assert(f->n == 0 || seq > f->seq[f->n - 1], "seq %lld after %lld", seq,
                  f->n ? f->seq[f->n - 1] : 0);
        char want[32];
        snprintf(want, sizeof(want), "c%016llx", seq);
        const char *cursor = json_string_value(json_object_get(ch, "cursor"));
        cr_assert_str_eq(cursor ? cursor : "", want, "cursor of seq %lld", seq);
        const char *committed = json_string_value(json_object_get(ch, "committed_at"));
        cr_assert(committed && regexec(&at, committed, 0, NULL, 0) == 0, "committed_at %s",
                  committed ? committed : "(none)");
        protobuf_c_message_free_unpacked(decode(ch, &vigil__v1__change__descriptor), NULL);
        f->seq[f->n] = seq;
        f->change[f->n++] = ch;
    }
    regfree(&at);
    PQclear(r);
    return rows;
}

/* The whole feed from the beginning as ctx sees it with req (pages of 100). */
static void feed_all(PGconn *c, const char *ctx, const char *req, struct feed *f)
{
    feed_clear(f);
    page(c, ctx, req, NULL, 100, f);
}

/* The feed as text, a line per change: "kind vN[ STATE#revision]". */
static char *feed_text(const struct feed *f)
{
    char *s = strdup("");
    for (size_t i = 0; i < f->n; i++) {
        json_t *ch = f->change[i];
        const char *state = json_string_value(json_object_get(ch, "state"));
        json_t *rev = json_object_get(ch, "revision");
        char r[64] = "";
        if (state)
            snprintf(r, sizeof(r), " %s#%lld", state,
                     (long long)json_integer_value(json_object_get(rev, "number")));
        char *n = h_strdupf("%s%s v%lld%s\n", s, json_string_value(json_object_get(ch, "kind")),
                            (long long)json_integer_value(json_object_get(ch, "version")), r);
        free(s);
        s = n;
    }
    return s;
}

static void expect_feed(const struct feed *f, const char *want, const char *what)
{
    char *got = feed_text(f);
    cr_assert_str_eq(got, want, "%s:\n--- got\n%s--- want\n%s", what, got, want);
    free(got);
}

static const char ALL[] = "{\"after\": \"\", \"follow\": false, \"include_approvals\": false}";
static const char APPROVALS[] = "{\"include_approvals\": true}";

/* ---- published, revision_published, approved ------------------------- */

TestSuite(exchange_sql, .init = setup, .fini = teardown, .timeout = 60);

Test(exchange_sql, publish_writes_published_then_revisions)
{
    PGconn *c = app();
    struct feed f = {0};
    const char *approved[] = {"FR", "DE"};

    load(c, approved, 2);
    cr_assert_eq(submit(c, "IT", 0), 1); /* submitted only: counted as none */
    feed_all(c, ctx_central, APPROVALS, &f);
    expect_feed(&f, "approved v0 FR#1\napproved v0 DE#1\n", "approvals, central office");
    json_t *rev = json_object_get(f.change[0], "revision");
    cr_assert_eq(json_array_size(json_object_get(rev, "entries")), H_N_INDICATORS);
    cr_assert_str_eq(json_string_value(json_object_get(f.change[0], "state_name")), "France");
    feed_all(c, CTX_ANON, ALL, &f);
    cr_assert_eq(f.n, 0, "approvals are not public");

    close_cycle(c);
    cr_assert_eq(publish(c, ""), 1);
    feed_all(c, CTX_ANON, ALL, &f);
    expect_feed(&f, "published v1\nrevision_published v1 DE#1\nrevision_published v1 FR#1\n",
                "the public feed after publication");
    Vigil__V1__Change *ch =
        (Vigil__V1__Change *)decode(f.change[0], &vigil__v1__change__descriptor);
    cr_assert_eq(ch->kind, VIGIL__V1__CHANGE_KIND__CHANGE_KIND_PUBLISHED);
    cr_assert_str_eq(ch->cycle, CYCLE);
    cr_assert_not_null(ch->ranking);
    cr_assert_eq(ch->ranking->version, 1);
    cr_assert_eq(ch->ranking->view, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    cr_assert_eq(strlen(ch->ranking->digest), 64);
    protobuf_c_message_free_unpacked(&ch->base, NULL);
    ch = (Vigil__V1__Change *)decode(f.change[1], &vigil__v1__change__descriptor);
    cr_assert_eq(ch->kind, VIGIL__V1__CHANGE_KIND__CHANGE_KIND_REVISION_PUBLISHED);
    cr_assert_str_eq(ch->state_name, "Germany");
    cr_assert_not_null(ch->revision);
    cr_assert_eq(ch->revision->n_entries, H_N_INDICATORS);
    cr_assert_eq(ch->revision->entries[0]->n_evidence, 1);
    cr_assert_str_eq(ch->revision->entries[0]->evidence[0]->citation, "Country report 2012");
    protobuf_c_message_free_unpacked(&ch->base, NULL);

    feed_all(c, ctx_central, APPROVALS, &f);
    expect_feed(&f,
                "approved v0 FR#1\napproved v0 DE#1\npublished v1\n"
                "revision_published v1 DE#1\nrevision_published v1 FR#1\n",
                "the central office's feed");

    /* A correction of the published cycle: approved, but no approval enters
     * the feed (the cycle is published); republished, only the revision new
     * to the feed follows the new version. */
    review(c, "FR", "unlock", 1);
    cr_assert_eq(submit(c, "FR", 1), 2);
    review(c, "FR", "approve", 2);
    cr_assert_eq(publish(c, ""), 2);
    feed_all(c, ctx_central, APPROVALS, &f);
    expect_feed(&f,
                "approved v0 FR#1\napproved v0 DE#1\npublished v1\n"
                "revision_published v1 DE#1\nrevision_published v1 FR#1\n"
                "published v2\nrevision_published v2 FR#2\n",
                "after a correction and a republication");
    /* Written once, never edited: the service role cannot read the table,
     * and its owner can neither change nor delete a row. */
    expect_error(c, "SELECT count(*) FROM change_event", 0, NULL, "42501",
                 "permission denied for table change_event");
    expect_error(c,
                 "SELECT vigil_private.change_append('published', 'public', 1, 1, NULL, "
                 "NULL, '{}')",
                 0, NULL, "42501", "permission denied for schema vigil_private");
    PGconn *owner = connect_ci(db.owner);
    expect_error(owner, "UPDATE change_event SET kind = kind", 0, NULL, "42501",
                 "change_event is append-only: UPDATE refused");
    expect_error(owner, "DELETE FROM change_event", 0, NULL, "42501",
                 "change_event is append-only: DELETE refused");
    PQfinish(owner);
    feed_clear(&f);
    PQfinish(c);
}

/* ---- embargo ------------------------------------------------------------ */

/* Waits until the database clock has passed t (RFC 3339), at most 10 s. */
static void wait_until(const char *t)
{
    const char *p[] = {t};
    long long until = h_now_ms() + 10000;
    for (;;) {
        char *v = h_db_query_value_params(&db, "SELECT clock_timestamp() > $1::timestamptz", 1, p);
        bool past = strcmp(v, "t") == 0;
        free(v);
        if (past)
            return;
        cr_assert_lt(h_now_ms(), until, "the clock does not reach %s", t);
        h_sleep_ms(50);
    }
}

/* Collects the one-value answer of a PQsendQuery (malloc'd). */
static char *collect(PGconn *c)
{
    char *v = NULL;
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
        if (v == NULL)
            v = strdup(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    cr_assert_not_null(v);
    return v;
}

static bool busy(PGconn *c)
{
    cr_assert_eq(PQconsumeInput(c), 1, "%s", PQerrorMessage(c));
    return PQisBusy(c);
}

Test(exchange_sql, embargoed_publication_released_once)
{
    PGconn *c = app();
    struct feed f = {0};
    const char *states[] = {"DE"};

    load(c, states, 1);
    close_cycle(c);
    char *embargo = h_db_query_value(&db, "SELECT to_char((date_trunc('second', "
                                          "clock_timestamp()) + interval '2 s') AT TIME ZONE "
                                          "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    cr_assert_eq(publish(c, embargo), 1);

    /* Under embargo: nothing in the feed, nothing to release, and Export
     * says what it says of a cycle never published, to every role. */
    feed_all(c, ctx_central, APPROVALS, &f);
    expect_feed(&f, "approved v0 DE#1\n", "under embargo");
    char *released = value(c, "SELECT vigil_api.exchange_release('{}', '{}')", 0, NULL);
    cr_assert_str_eq(released, "{\"released\": 0}");
    free(released);
    const char *export_sql = "SELECT * FROM vigil_api.exchange_export_begin($1::jsonb, "
                             "jsonb_build_object('cycle', $2::text, 'version', $3::int))";
    const char *central_now[] = {ctx_central, CYCLE, "0"};
    expect_error(c, export_sql, 3, central_now, "VG005",
                 "cycle: " CYCLE " has no published ranking");
    const char *unknown[] = {ctx_central, "1999-2002", "0"};
    expect_error(c, export_sql, 3, unknown, "VG005", "cycle: 1999-2002 has no published ranking");
    const char *anon_v1[] = {CTX_ANON, CYCLE, "1"};
    expect_error(c, export_sql, 3, anon_v1, "VG005", "cycle: " CYCLE " has no published ranking");

    /* Past it, two daemons release at the same moment: both wait for the
     * feed's lock (held here), then one writes and the other finds it done. */
    wait_until(embargo);
    PGconn *holder = app(), *d1 = app(), *d2 = app(), *listener = app();
    exec_ok(listener, "LISTEN vigil_changes");
    exec_ok(holder, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")");
    cr_assert(PQsendQuery(d1, "SELECT vigil_api.exchange_release('{}', '{}')"));
    cr_assert(PQsendQuery(d2, "SELECT vigil_api.exchange_release('{}', '{}')"));
    h_sleep_ms(300);
    cr_assert(busy(d1) && busy(d2), "both releases wait for the lock");
    exec_ok(holder, "COMMIT");
    char *a1 = collect(d1), *a2 = collect(d2);
    cr_assert((strcmp(a1, "{\"released\": 1}") == 0 && strcmp(a2, "{\"released\": 0}") == 0) ||
                  (strcmp(a1, "{\"released\": 0}") == 0 && strcmp(a2, "{\"released\": 1}") == 0),
              "%s and %s", a1, a2);
    free(a1);
    free(a2);
    released = value(c, "SELECT vigil_api.exchange_release('{}', '{}')", 0, NULL);
    cr_assert_str_eq(released, "{\"released\": 0}");
    free(released);

    feed_all(c, CTX_ANON, ALL, &f);
    expect_feed(&f, "embargo_released v1\nrevision_published v1 DE#1\n", "released");
    Vigil__V1__Change *ch =
        (Vigil__V1__Change *)decode(f.change[0], &vigil__v1__change__descriptor);
    cr_assert_eq(ch->kind, VIGIL__V1__CHANGE_KIND__CHANGE_KIND_EMBARGO_RELEASED);
    cr_assert_str_eq(ch->ranking->embargo_until, embargo);
    protobuf_c_message_free_unpacked(&ch->base, NULL);
    free(value(c, export_sql, 3, anon_v1));

    /* The followers were woken. */
    long long until = h_now_ms() + 2000;
    PGnotify *note = NULL;
    while (note == NULL && h_now_ms() < until) {
        cr_assert_eq(PQconsumeInput(listener), 1);
        note = PQnotifies(listener);
        if (note == NULL)
            h_sleep_ms(20);
    }
    cr_assert_not_null(note, "no NOTIFY vigil_changes");
    cr_assert_str_eq(note->relname, "vigil_changes");
    PQfreemem(note);

    /* A republication under embargo: its version is as unknown as one that
     * never was, until it is released. */
    char *later = h_db_query_value(&db, "SELECT to_char((date_trunc('second', "
                                        "clock_timestamp()) + interval '1 hour') AT TIME ZONE "
                                        "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    cr_assert_eq(publish(c, later), 2);
    const char *v2[] = {CTX_ANON, CYCLE, "2"}, *v3[] = {CTX_ANON, CYCLE, "3"};
    expect_error(c, export_sql, 3, v2, "VG005",
                 "version: " CYCLE " has no published version 2 (the current is 1)");
    expect_error(c, export_sql, 3, v3, "VG005",
                 "version: " CYCLE " has no published version 3 (the current is 1)");
    expect_error(c,
                 "SELECT * FROM vigil_api.exchange_export_assessments('{}', "
                 "(SELECT max(publication_id) FROM vigil_api.exchange_export_begin('{}', "
                 "'{\"cycle\": \"" CYCLE "\"}')) + 1, '', 10)",
                 0, NULL, "VG005", "publication: ");
    released = value(c, "SELECT vigil_api.exchange_release('{}', '{}')", 0, NULL);
    cr_assert_str_eq(released, "{\"released\": 0}");
    free(released);

    free(later);
    free(embargo);
    feed_clear(&f);
    PQfinish(listener);
    PQfinish(d2);
    PQfinish(d1);
    PQfinish(holder);
    PQfinish(c);
}

/* ---- paging and refusals ------------------------------------------------ */

Test(exchange_sql, changes_paged_once_each)
{
    PGconn *c = app();
    struct feed all = {0}, paged = {0};
    const char *states[] = {"DE", "FR", "PL", "CZ"};

    load(c, states, 4);
    close_cycle(c);
    cr_assert_eq(publish(c, ""), 1);

    feed_all(c, CTX_ANON, ALL, &all);
    cr_assert_eq(all.n, 5);
    /* One change per page, resuming from the cursor each time. */
    char req[128] = "{}";
    while (page(c, CTX_ANON, req, NULL, 1, &paged) == 1) {
        const char *cursor =
            json_string_value(json_object_get(paged.change[paged.n - 1], "cursor"));
        snprintf(req, sizeof(req), "{\"after\": \"%s\"}", cursor);
    }
    cr_assert_eq(paged.n, all.n);
    for (size_t i = 0; i < all.n; i++)
        cr_assert_eq(paged.seq[i], all.seq[i]);
    /* The daemon's next pages: after_seq, in pages of 2, the central office
     * with approvals. */
    feed_clear(&paged);
    char after[32] = "0";
    while (page(c, ctx_central, APPROVALS, after, 2, &paged) > 0)
        snprintf(after, sizeof(after), "%lld", paged.seq[paged.n - 1]);
    expect_feed(&paged,
                "approved v0 DE#1\napproved v0 FR#1\napproved v0 PL#1\napproved v0 CZ#1\n"
                "published v1\nrevision_published v1 CZ#1\nrevision_published v1 DE#1\n"
                "revision_published v1 FR#1\nrevision_published v1 PL#1\n",
                "the central office's feed, by pages of 2");

    /* Approvals: the central office's only. */
    const char *sql = "SELECT count(*) FROM vigil_api.exchange_changes($1::jsonb, $2::jsonb, "
                      "NULL, 10)";
    const char *partner[] = {ctx_partner, APPROVALS}, *regional[] = {ctx_regional, APPROVALS},
               *anon[] = {CTX_ANON, APPROVALS}, *empty[] = {CTX_EMPTY, APPROVALS};
    expect_error(c, sql, 2, partner, "VG007",
                 "include_approvals: partner office \"partner\" sees published changes only");
    expect_error(c, sql, 2, regional, "VG007",
                 "include_approvals: regional office \"regional\" sees published changes only");
    expect_error(c, sql, 2, anon, "VG007", "include_approvals: anonymous callers");
    expect_error(c, sql, 2, empty, "VG007", "include_approvals: anonymous callers");

    /* Cursors: only those of this feed the caller may see. */
    const char *approval_cursor = json_string_value(json_object_get(paged.change[0], "cursor"));
    char *bad[] = {
        h_strdupf("c%016llx", all.seq[all.n - 1] + 1), /* not (yet) written */
        h_strdupf("C%016llx", all.seq[0]),             /* not as written */
        h_strdupf("c%llx", all.seq[0]),                /* not as written */
        h_strdupf("%lld", all.seq[0]),                 /* a bare seq */
        h_strdupf("%s", approval_cursor),              /* not the caller's */
        h_strdupf("xyz\"'"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *r = json_pack("{s:s}", "after", bad[i]);
        char *rq = json_dumps(r, JSON_COMPACT);
        char *msg = h_strdupf("after: \"%s\" is not a cursor of this feed", bad[i]);
        const char *p[] = {CTX_ANON, rq};
        expect_error(c,
                     "SELECT count(*) FROM vigil_api.exchange_changes($1::jsonb, $2::jsonb, "
                     "NULL, 10)",
                     2, p, "VG003", msg);
        free(msg);
        free(rq);
        json_decref(r);
        free(bad[i]);
    }
    /* ... the central office may resume from an approval without them. */
    char *rq = h_strdupf("{\"after\": \"%s\"}", approval_cursor);
    const char *p[] = {ctx_central, rq};
    char *n = value(c, sql, 2, p);
    cr_assert_str_eq(n, "5");
    free(n);
    free(rq);
    /* The last cursor: nothing after it. */
    rq = h_strdupf("{\"after\": \"c%016llx\"}", all.seq[all.n - 1]);
    const char *p2[] = {CTX_ANON, rq};
    n = value(c, sql, 2, p2);
    cr_assert_str_eq(n, "0");
    free(n);
    free(rq);

    feed_clear(&all);
    feed_clear(&paged);
    PQfinish(c);
}

/* ---- commit order --------------------------------------------------------- */

/* A deferred trigger that runs after the feed's (trigger names sort) at the
 * commit of an assessment's update and sleeps vigil_test.commit_sleep
 * seconds: the time between a change's seq being drawn and its commit. */
static void slow_commits(void)
{
    h_db_exec(&db, "CREATE FUNCTION public.test_slow_commit() RETURNS trigger"
                   " LANGUAGE plpgsql AS $$ BEGIN"
                   " PERFORM pg_sleep(coalesce(nullif(current_setting('vigil_test.commit_sleep',"
                   " true), '')::float8, 0)); RETURN NULL; END $$;"
                   "CREATE CONSTRAINT TRIGGER zz_test_slow_commit AFTER UPDATE ON assessment"
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                   " EXECUTE FUNCTION public.test_slow_commit()");
}

struct writer {
    PGconn *c;
    bool done;
    long long start_ms, done_ms;
};

static void writer_start(struct writer *w, double pre_commit_sleep, double commit_sleep,
                         const char *state)
{
    char *approve = approve_sql(state, 1);
    char *sql = h_strdupf("BEGIN; SET LOCAL vigil_test.commit_sleep = '%.3f'; %s;"
                          " SELECT pg_sleep(%.3f); COMMIT",
                          commit_sleep, approve, pre_commit_sleep);
    w->c = app();
    w->done = false;
    w->start_ms = h_now_ms();
    cr_assert(PQsendQuery(w->c, sql), "%s", PQerrorMessage(w->c));
    free(sql);
    free(approve);
}

/* Whether w has finished (asserting it succeeded). */
static bool writer_poll(struct writer *w)
{
    if (w->done)
        return true;
    if (busy(w->c))
        return false;
    PGresult *r;
    while ((r = PQgetResult(w->c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
        PQclear(r);
    }
    w->done = true;
    w->done_ms = h_now_ms();
    return true;
}

/* Reads the central office's feed as a follower does (the next page after
 * the last seq seen, again and again) while the writers commit, and once
 * more after; f gets what it read. Returns whether it read every change
 * there is, each once. */
static bool follow_while_writing(struct writer *w, size_t n, struct feed *f)
{
    PGconn *reader = app();
    char after[32] = "0";
    long long until = h_now_ms() + 20000;
    bool finished = false;

    feed_clear(f);
    for (;;) {
        if (page(reader, ctx_central, APPROVALS, after, 100, f) > 0)
            snprintf(after, sizeof(after), "%lld", f->seq[f->n - 1]);
        if (finished)
            break;
        finished = true;
        for (size_t i = 0; i < n; i++)
            finished &= writer_poll(&w[i]);
        cr_assert_lt(h_now_ms(), until, "writers do not finish");
        if (!finished)
            h_sleep_ms(5);
    }
    PQfinish(reader);
    char *read = strdup("");
    for (size_t i = 0; i < f->n; i++) {
        char *s = h_strdupf("%s%s%lld", read, i ? "," : "", f->seq[i]);
        free(read);
        read = s;
    }
    char *all = h_db_query_value(&db, "SELECT coalesce(string_agg(seq::text, ',' ORDER BY seq), "
                                      "'') FROM change_event");
    bool same = strcmp(read, all) == 0;
    if (!same)
        cr_log_info("read %s; the feed holds %s", read, all);
    free(all);
    free(read);
    return same;
}

/* Two approvals: A draws its seq first, then takes 0.8 s to commit; B
 * starts committing 0.3 s later. Returns whether the follower read both. */
static bool overtaking(struct writer w[2], struct feed *f)
{
    PGconn *c = app();
    slow_commits();
    cr_assert_eq(submit(c, "DE", 0), 1);
    cr_assert_eq(submit(c, "FR", 0), 1);
    PQfinish(c);
    writer_start(&w[0], 0, 0.8, "DE");
    h_sleep_ms(300);
    writer_start(&w[1], 0, 0, "FR");
    bool ok = follow_while_writing(w, 2, f);
    cr_log_info("A committed after %lld ms, B after %lld ms", w[0].done_ms - w[0].start_ms,
                w[1].done_ms - w[0].start_ms);
    return ok;
}

Test(exchange_sql, commit_order_one_overtaking_another)
{
    struct writer w[2];
    struct feed f = {0};

    cr_assert(overtaking(w, &f), "the follower missed a change");
    expect_feed(&f, "approved v0 DE#1\napproved v0 FR#1\n", "in commit order");
    cr_assert_geq(w[1].done_ms - w[0].start_ms, 750, "B's commit waited for A's");
    feed_clear(&f);
    for (size_t i = 0; i < 2; i++)
        PQfinish(w[i].c);
}

/* The control: the same with the feed's lock made a no-op in this database
 * (as a sequence alone would do): B commits first with the higher seq, the
 * follower moves past A's, and A's change, committed later, is never read.
 * This is what the lock prevents, and shows that the test above can see it. */
Test(exchange_sql, commit_order_control_without_the_lock)
{
    struct writer w[2];
    struct feed f = {0};

    h_db_exec(&db, "CREATE OR REPLACE FUNCTION vigil_private.change_lock() RETURNS void"
                   " LANGUAGE plpgsql AS $$ BEGIN END $$");
    cr_assert_not(overtaking(w, &f), "without the lock the follower should miss A's change");
    expect_feed(&f, "approved v0 FR#1\n", "what the follower read");
    cr_assert_lt(w[1].done_ms, w[0].done_ms, "B committed first");
    feed_clear(&f);
    for (size_t i = 0; i < 2; i++)
        PQfinish(w[i].c);
}

#define N_WRITERS 8

Test(exchange_sql, commit_order_many_writers)
{
    static const char *const states[N_WRITERS] = {"DE", "FR", "ES", "IT", "PL", "SE", "HU", "CZ"};
    /* Sleeps before the commit, so that they reach it in another order than
     * they started, and at it, after the seq is drawn. */
    static const double pre[N_WRITERS] = {0.30, 0.05, 0.20, 0.00, 0.25, 0.10, 0.15, 0.02};
    static const double at[N_WRITERS] = {0.02, 0.05, 0.00, 0.04, 0.01, 0.03, 0.00, 0.05};
    struct writer w[N_WRITERS];
    struct feed f = {0};
    PGconn *c = app();

    slow_commits();
    for (size_t i = 0; i < N_WRITERS; i++)
        cr_assert_eq(submit(c, states[i], 0), 1);
    for (size_t i = 0; i < N_WRITERS; i++)
        writer_start(&w[i], pre[i], at[i], states[i]);
    cr_assert(follow_while_writing(w, N_WRITERS, &f), "the follower missed a change");
    cr_assert_eq(f.n, N_WRITERS);
    /* Commit order, not start order: the order in which they finished (give
     * or take the time to notice it). */
    for (size_t i = 1; i < f.n; i++) {
        const char *s0 = json_string_value(json_object_get(f.change[i - 1], "state"));
        const char *s1 = json_string_value(json_object_get(f.change[i], "state"));
        long long t0 = 0, t1 = 0;
        for (size_t k = 0; k < N_WRITERS; k++) {
            if (strcmp(states[k], s0) == 0)
                t0 = w[k].done_ms;
            if (strcmp(states[k], s1) == 0)
                t1 = w[k].done_ms;
        }
        cr_assert_leq(t0, t1 + 100, "%s (seq %lld) committed after %s (seq %lld)", s0, f.seq[i - 1],
                      s1, f.seq[i]);
    }
    feed_clear(&f);
    for (size_t i = 0; i < N_WRITERS; i++)
        PQfinish(w[i].c);
    PQfinish(c);
}

/* ---- export ------------------------------------------------------------- */

static ProtobufCMessage *decode_record(const char *kind, const char *field, const char *text)
{
    json_t *rec = json_pack("{s:s, s:o}", "kind", kind, field, json_of(text));
    ProtobufCMessage *m = decode(rec, &vigil__v1__export_record__descriptor);
    json_decref(rec);
    return m;
}

Test(exchange_sql, export_one_snapshot)
{
    PGconn *c = app(), *x = app();
    struct feed f = {0};
    const char *states[] = {"FR", "DE"};

    load(c, states, 2);
    cr_assert_eq(submit(c, "IT", 0), 1);
    close_cycle(c);
    cr_assert_eq(publish(c, ""), 1);
    feed_all(c, CTX_ANON, ALL, &f);
    const char *last = json_string_value(json_object_get(f.change[f.n - 1], "cursor"));

    exec_ok(x, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const char *p[] = {CTX_ANON, "{\"cycle\": \"" CYCLE "\", \"version\": 0}"};
    PGresult *r = run(x,
                      "SELECT publication_id, header, methodology, ranking, aggregates"
                      " FROM vigil_api.exchange_export_begin($1::jsonb, $2::jsonb)",
                      2, p);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s",
              PQresultErrorMessage(r));
    char *pub = strdup(PQgetvalue(r, 0, 0));
    Vigil__V1__ExportRecord *h =
        (Vigil__V1__ExportRecord *)decode_record("header", "header", PQgetvalue(r, 0, 1));
    cr_assert_eq(h->kind, VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_HEADER);
    cr_assert_str_eq(h->header->cycle, CYCLE);
    cr_assert_eq(h->header->version, 1);
    cr_assert_eq(strlen(h->header->digest), 64);
    cr_assert_neq(h->header->published_at[0], '\0');
    cr_assert_str_eq(h->header->cursor, last, "the snapshot's feed position");
    cr_assert_eq(h->header->assessments, 3);
    cr_assert_eq(h->header->evidence, 2 * H_N_INDICATORS);
    Vigil__V1__ExportRecord *m =
        (Vigil__V1__ExportRecord *)decode_record("methodology", "methodology", PQgetvalue(r, 0, 2));
    cr_assert_str_eq(m->methodology->code, H_METHODOLOGY);
    cr_assert_eq(m->methodology->n_indicators, H_N_INDICATORS);
    Vigil__V1__ExportRecord *rk =
        (Vigil__V1__ExportRecord *)decode_record("ranking", "ranking", PQgetvalue(r, 0, 3));
    cr_assert_eq(rk->ranking->version, 1);
    cr_assert_str_eq(rk->ranking->digest, h->header->digest);
    cr_assert_not(rk->ranking->superseded);
    Vigil__V1__ExportRecord *ag =
        (Vigil__V1__ExportRecord *)decode_record("aggregates", "aggregates", PQgetvalue(r, 0, 4));
    cr_assert_eq(ag->aggregates->version, 1);
    cr_assert_str_eq(ag->aggregates->cycle, CYCLE);
    PQclear(r);

    /* Meanwhile FR is corrected and the cycle republished: the export goes
     * on with what its snapshot saw. */
    review(c, "FR", "unlock", 1);
    cr_assert_eq(submit(c, "FR", 1), 2);
    review(c, "FR", "approve", 2);
    cr_assert_eq(publish(c, ""), 2);

    char *text = strdup("");
    char after[8] = "";
    long long evidence = 0, records = 0;
    for (;;) {
        const char *q[] = {pub, after};
        r = run(x,
                "SELECT state, record FROM vigil_api.exchange_export_assessments('{}', "
                "$1::bigint, $2::text, 2)",
                2, q);
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            json_t *j = json_of(PQgetvalue(r, i, 1));
            Vigil__V1__ExportRecord *a =
                (Vigil__V1__ExportRecord *)decode(j, &vigil__v1__export_record__descriptor);
            json_decref(j);
            cr_assert_eq(a->kind, VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_ASSESSMENT);
            cr_assert_str_eq(a->state, PQgetvalue(r, i, 0));
            char *s = h_strdupf("%s%s %s #%d\n", text, a->state, a->state_name,
                                a->revision ? a->revision->number : 0);
            free(text);
            text = s;
            for (size_t k = 0; a->revision && k < a->revision->n_entries; k++)
                evidence += (long long)a->revision->entries[k]->n_evidence;
            records++;
            protobuf_c_message_free_unpacked(&a->base, NULL);
        }
        if (n > 0)
            snprintf(after, sizeof(after), "%s", PQgetvalue(r, n - 1, 0));
        PQclear(r);
        if (n < 2)
            break;
    }
    exec_ok(x, "COMMIT");
    cr_assert_str_eq(text, "DE Germany #1\nFR France #1\nIT Italy #0\n");
    cr_assert_eq(records, h->header->assessments);
    cr_assert_eq(evidence, h->header->evidence);
    free(text);

    /* Following the feed from the header's cursor: exactly what came since. */
    char *req = h_strdupf("{\"after\": \"%s\"}", h->header->cursor);
    feed_clear(&f);
    page(c, CTX_ANON, req, NULL, 100, &f);
    expect_feed(&f, "published v2\nrevision_published v2 FR#2\n", "the feed after the export");
    free(req);

    /* Now version 1 is superseded; a version that does not exist, an unknown
     * cycle and a missing one. */
    const char *v1[] = {ctx_partner, "{\"cycle\": \"" CYCLE "\", \"version\": 1}"};
    char *ranking = value(
        c, "SELECT ranking->>'superseded' FROM vigil_api.exchange_export_begin($1, $2)", 2, v1);
    cr_assert_str_eq(ranking, "true");
    free(ranking);
    const char *v9[] = {ctx_central, "{\"cycle\": \"" CYCLE "\", \"version\": 9}"};
    expect_error(c, "SELECT * FROM vigil_api.exchange_export_begin($1, $2)", 2, v9, "VG005",
                 "version: " CYCLE " has no published version 9 (the current is 2)");
    const char *nope[] = {CTX_ANON, "{\"cycle\": \"nope\"}"};
    expect_error(c, "SELECT * FROM vigil_api.exchange_export_begin($1, $2)", 2, nope, "VG005",
                 "cycle: nope has no published ranking");
    const char *none[] = {CTX_ANON, "{}"};
    expect_error(c, "SELECT * FROM vigil_api.exchange_export_begin($1, $2)", 2, none, "VG003",
                 "cycle: required");

    protobuf_c_message_free_unpacked(&h->base, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    protobuf_c_message_free_unpacked(&rk->base, NULL);
    protobuf_c_message_free_unpacked(&ag->base, NULL);
    free(pub);
    feed_clear(&f);
    PQfinish(x);
    PQfinish(c);
}

/* ---- import ------------------------------------------------------------- */

static const char IMPORT_SQL[] =
    "SELECT vigil_api.exchange_import($1::jsonb, jsonb_build_object('record', "
    "jsonb_build_object('request_id', $2::text, 'state', $3::text, 'cycle', $4::text, "
    "'base_revision', $5::int, 'entries', $6::jsonb), 'dry_run', $7::boolean, 'ref', "
    "'file.csv:2'))";

static char *import(PGconn *c, const char *ctx, const char *rid, const char *state, int base,
                    bool dry_run)
{
    char b[16];
    snprintf(b, sizeof(b), "%d", base);
    const char *p[] = {ctx, rid, state, CYCLE, b, entries, dry_run ? "true" : "false"};
    return value(c, IMPORT_SQL, 7, p);
}

static void import_refused(PGconn *c, const char *ctx, const char *rid, const char *state,
                           const char *entries_json, bool dry_run, const char *code,
                           const char *msg)
{
    const char *p[] = {ctx, rid, state, CYCLE, "0", entries_json, dry_run ? "true" : "false"};
    char *before = h_db_row_counts(&db);
    expect_error(c, IMPORT_SQL, 7, p, code, msg);
    h_db_expect_unchanged(&db, before, msg);
    free(before);
}

Test(exchange_sql, import_as_submit)
{
    PGconn *c = app();
    char *rid = h_request_id();

    /* A dry run answers what Submit would, and stores nothing at all. */
    char *before = h_db_row_counts(&db);
    char *a = import(c, ctx_partner, rid, "DE", 0, true);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"dry_run\": true, \"revision\": 1}");
    free(a);
    h_db_expect_unchanged(&db, before, "a dry run");
    free(before);

    /* Stored, under the partner's office; a retry gets the same answer. */
    a = import(c, ctx_partner, rid, "DE", 0, false);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"dry_run\": false, \"revision\": 1}");
    free(a);
    const char *p[] = {rid, partner_id};
    char *who = h_db_query_value_params(
        &db,
        "SELECT format('revision %s, audit %s %s, request %s', "
        " (SELECT count(*) FROM revision r JOIN assessment x ON x.id = r.assessment_id"
        "   WHERE x.state = 'DE' AND r.office_id = $2::bigint),"
        " (SELECT string_agg(action, ',') FROM audit WHERE request_id = $1 AND office_id = "
        "   $2::bigint),"
        " (SELECT string_agg(object, ',') FROM audit WHERE request_id = $1 AND office_id = "
        "   $2::bigint),"
        " (SELECT string_agg(method, ',') FROM request WHERE request_id = $1 AND office_id = "
        "   $2::bigint))",
        2, p);
    cr_assert_str_eq(who, "revision 1, audit assessment.submit DE/" CYCLE
                          "#1, request /vigil.v1.Assessments/Submit");
    free(who);
    before = h_db_row_counts(&db);
    a = import(c, ctx_partner, rid, "DE", 0, false);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"dry_run\": false, \"revision\": 1}");
    free(a);
    h_db_expect_unchanged(&db, before, "a retry");
    free(before);
    /* A dry run of the next revision: would be 2, and nothing changes. */
    char *rid2 = h_request_id();
    before = h_db_row_counts(&db);
    a = import(c, ctx_partner, rid2, "DE", 1, true);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"dry_run\": true, \"revision\": 2}");
    free(a);
    h_db_expect_unchanged(&db, before, "a dry run");
    free(before);

    /* Submit and Import share request ids: a regional office's import
     * retried as a Submit gets the import's answer. */
    char *rid3 = h_request_id();
    a = import(c, ctx_regional, rid3, "FR", 0, false);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"dry_run\": false, \"revision\": 1}");
    free(a);
    before = h_db_row_counts(&db);
    const char *s[] = {ctx_regional, rid3, "FR", CYCLE, "0", entries};
    a = value(c, SUBMIT_SQL, 6, s);
    cr_assert_str_eq(a, "{\"status\": \"submitted\", \"revision\": 1}");
    free(a);
    h_db_expect_unchanged(&db, before, "Submit retrying an import");
    free(before);

    /* Refusals, stored nothing: scope, role, record, Submit's own rules. */
    char *r4 = h_request_id();
    import_refused(c, ctx_partner, r4, "FR", entries, false, "VG007",
                   "state: FR is outside the scope of office \"partner\"");
    import_refused(c, ctx_partner, r4, "FR", entries, true, "VG007",
                   "state: FR is outside the scope of office \"partner\"");
    import_refused(c, ctx_reader, r4, "DE", entries, false, "VG007",
                   "state: DE is outside the scope of office \"reader\"");
    import_refused(c, ctx_central, r4, "DE", entries, false, "VG007",
                   "role: central office \"central\" may not call Exchange/Import");
    import_refused(c, CTX_ANON, r4, "DE", entries, false, "VG007",
                   "role: anonymous callers may not call Exchange/Import");
    import_refused(c, ctx_partner, r4, "DE", entries, true, "VG010",
                   "base_revision: stale, the current revision is 1");
    import_refused(c, ctx_partner, rid, "DE", "[]", true, "VG006", "request_id: \"");
    char *bad = strdup(entries);
    char *yes = strstr(bad, "\"yes\"");
    cr_assert_not_null(yes);
    memcpy(yes, "\"yxs\"", 5);
    import_refused(c, ctx_partner, r4, "PL", bad, true, "VG007",
                   "state: PL is outside the scope of office \"partner\"");
    char *r5 = h_request_id();
    import_refused(c, ctx_regional, r5, "PL", bad, true, "VG003", "entries[0].level: ");
    import_refused(c, ctx_regional, r5, "PL", bad, false, "VG003", "entries[0].level: ");
    free(bad);
    before = h_db_row_counts(&db);
    const char *norec[] = {ctx_partner, "{\"dry_run\": true}"};
    expect_error(c, "SELECT vigil_api.exchange_import($1::jsonb, $2::jsonb)", 2, norec, "VG003",
                 "record: required");
    h_db_expect_unchanged(&db, before, "no record");
    free(before);

    free(r5);
    free(r4);
    free(rid3);
    free(rid2);
    free(rid);
    PQfinish(c);
}

/* ---- through a real vigild --------------------------------------------- */

/* A publication by the daemon (its ranking and aggregates as it computes and
 * stores them): every change and every export record decodes strictly. */
Test(exchange_sql_daemon, daemon_publication_decodes, .timeout = 120)
{
    struct h_rank_env e;
    char digest[65];
    struct feed f = {0};

    h_rank_start(&e, NULL);
    h_rank_publish_c1(&e, digest);
    db = e.a.db; /* for the helpers; dropped by h_rank_stop */
    PGconn *c = app();
    feed_all(c, CTX_ANON, ALL, &f);
    expect_feed(&f,
                "published v1\nrevision_published v1 BE#1\nrevision_published v1 CZ#1\n"
                "revision_published v1 DE#1\nrevision_published v1 ES#1\n"
                "revision_published v1 FR#1\nrevision_published v1 HU#1\n"
                "revision_published v1 PL#1\nrevision_published v1 SE#1\n",
                "the feed of a daemon's publication");
    Vigil__V1__Change *ch =
        (Vigil__V1__Change *)decode(f.change[0], &vigil__v1__change__descriptor);
    cr_assert_str_eq(ch->ranking->digest, digest);
    h_rank_expect_text(ch->ranking, H_RANK_RANKING_C1, "the ranking in the feed");
    protobuf_c_message_free_unpacked(&ch->base, NULL);

    const char *p[] = {CTX_ANON, "{\"cycle\": \"" CYCLE "\"}"};
    PGresult *r = run(c,
                      "SELECT publication_id, header, methodology, ranking, aggregates"
                      " FROM vigil_api.exchange_export_begin($1::jsonb, $2::jsonb)",
                      2, p);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s",
              PQresultErrorMessage(r));
    static const char *const kinds[] = {"header", "methodology", "ranking", "aggregates"};
    for (int i = 0; i < 4; i++) {
        ProtobufCMessage *m = decode_record(kinds[i], kinds[i], PQgetvalue(r, 0, i + 1));
        if (i == 0) {
            Vigil__V1__ExportRecord *h = (Vigil__V1__ExportRecord *)m;
            cr_assert_eq(h->header->assessments, H_RANK_C1_N);
            cr_assert_str_eq(h->header->digest, digest);
        }
        if (i == 3) {
            Vigil__V1__ExportRecord *a = (Vigil__V1__ExportRecord *)m;
            cr_assert_eq(a->aggregates->n_indicators, H_N_INDICATORS);
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
    const char *q[] = {PQgetvalue(r, 0, 0)};
    PGresult *ra = run(c,
                       "SELECT state, record FROM vigil_api.exchange_export_assessments('{}', "
                       "$1::bigint, '', 100)",
                       1, q);
    cr_assert_eq(PQresultStatus(ra), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(ra));
    cr_assert_eq(PQntuples(ra), H_RANK_C1_N);
    for (int i = 0; i < PQntuples(ra); i++) {
        json_t *j = json_of(PQgetvalue(ra, i, 1));
        protobuf_c_message_free_unpacked(decode(j, &vigil__v1__export_record__descriptor), NULL);
        json_decref(j);
    }
    PQclear(ra);
    PQclear(r);
    feed_clear(&f);
    PQfinish(c);
    memset(&db, 0, sizeof(db));
    h_rank_stop(&e);
}
