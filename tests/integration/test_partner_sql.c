/* The SQL door of the partner exchange (issue 5): the views of migration
 * 0007 read from a second database of the test cluster through postgres_fdw,
 * as a partner's DBA links in (README, "Partners: the SQL door"), logging in
 * over TCP with a scram-sha-256 password as a role made by
 * deploy/partner-role.sh. The foreign tables show what GetRanking,
 * GetAggregates, GetCard, GetMethodology and GetPublishedInputs give a
 * partner office; publications under embargo (a new cycle, a republication)
 * appear there when their time passes, without anyone acting, and open or
 * closed cycles and unpublished corrections never do; the role reads the
 * views and nothing else, and cannot write them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C1 H_CYCLE   /* 2009-2012 */
#define C2 H_RANK_C2 /* 2013-2016 */

/* How far ahead the embargo is set, and how long after it the views must
 * show the released publication. */
#define EMBARGO_AHEAD_MS  2000
#define RELEASE_MARGIN_MS 300

static struct h_rank_env e;
static char c1_digest[65];
static char role[64];          /* the partner's login role, unique in the run */
static char password[128];     /* its password: with a quote and spaces */
static char partner_tcp[1024]; /* the role over TCP to the Vigil database */
static struct h_db pdb;        /* the partner's own database (superuser conninfo) */
static int role_cleanup = -1, pdb_cleanup = -1;

/* ---- helpers ------------------------------------------------------------ */

/* Appends key='value' to a conninfo, quoted as libpq wants. */
static void ci_add(char *buf, size_t cap, const char *key, const char *value)
{
    size_t o = strlen(buf);
    int n = snprintf(buf + o, cap - o, "%s%s='", o ? " " : "", key);
    cr_assert(n > 0 && (size_t)n < cap - o, "conninfo too long");
    o += (size_t)n;
    for (const char *v = value; *v; v++) {
        cr_assert(o + 3 < cap, "conninfo too long");
        if (*v == '\'' || *v == '\\')
            buf[o++] = '\\';
        buf[o++] = *v;
    }
    cr_assert(o + 2 < cap, "conninfo too long");
    buf[o++] = '\'';
    buf[o] = '\0';
}

/* A superuser conninfo (socket) to database dbname of the shared cluster. */
static void super_ci(char *buf, size_t cap, const char *dbname)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", h_pg_shared()->port);
    buf[0] = '\0';
    ci_add(buf, cap, "host", h_pg_shared()->host);
    ci_add(buf, cap, "port", port);
    ci_add(buf, cap, "dbname", dbname);
    ci_add(buf, cap, "user", "postgres");
}

/* s as an SQL string literal (standard_conforming_strings), malloc'd. */
static char *sql_lit(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 3), *o = out;
    cr_assert_not_null(out);
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'')
            *o++ = '\'';
        *o++ = *s;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

static void drop_role_at_exit(const char *ci, const char *name, long n)
{
    char sql[200], err[512];
    (void)n;
    snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS \"%s\"", name);
    h_db_try_exec(ci, sql, err, sizeof(err));
}

static void drop_db_at_exit(const char *ci, const char *name, long n)
{
    char sql[200], err[512];
    (void)n;
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    h_db_try_exec(ci, sql, err, sizeof(err));
}

/* Runs deploy/partner-role.sh ARGS with VIGIL_PARTNER_PASSWORD = pw (unset
 * when NULL) and the cluster's psql; out and err are malloc'd. */
static int partner_role_sh(const char *const *args, const char *pw, char **out, char **err)
{
    char *script = h_strdupf("%s/deploy/partner-role.sh", h_source_dir());
    char *psql = h_strdupf("PSQL=%s/psql", h_env("VIGIL_TEST_PGBIN"));
    char *pw_env =
        pw ? h_strdupf("VIGIL_PARTNER_PASSWORD=%s", pw) : strdup("VIGIL_PARTNER_PASSWORD");
    const char *argv[12] = {script};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n < 11; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    const char *envp[] = {psql, pw_env, NULL};
    int rc = h_run_timeout(argv, envp, out, err, 30000);
    free(pw_env);
    free(psql);
    free(script);
    return rc;
}

/* deploy/partner-role.sh --db <the Vigil database, as the superuser> NAME. */
static int partner_role(const char *name, const char *pw, char **out, char **err)
{
    const char *args[] = {"--db", e.a.db.super, name, NULL};
    return partner_role_sh(args, pw, out, err);
}

/* A value of the partner's database (one row, one column; NULL -> ""). */
static char *pq(const char *sql)
{
    char *v = h_db_query_value(&pdb, sql);
    return v ? v : strdup("");
}

static char *pq1(const char *sql, const char *param)
{
    const char *params[] = {param};
    char *v = h_db_query_value_params(&pdb, sql, 1, params);
    return v ? v : strdup("");
}

static char *pq2(const char *sql, const char *p1, const char *p2)
{
    const char *params[] = {p1, p2};
    char *v = h_db_query_value_params(&pdb, sql, 2, params);
    return v ? v : strdup("");
}

/* Runs sql (one or more statements, in one session) as the partner role
 * over TCP; returns the first value of the last result (malloc'd), failing
 * the test on any error. */
static char *partner_value(const char *sql)
{
    PGconn *c = PQconnectdb(partner_tcp);
    static char msg[1024];
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    char *v = ok ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    PQfinish(c);
    cr_assert(ok, "as %s: %s\n%s", role, sql, msg);
    return v;
}

/* Fails unless got (malloc'd, freed here; NULL for SQL NULL) is want. */
static void expect_str(char *got, const char *want, const char *what)
{
    const char *g = got ? got : "(null)";
    cr_assert_str_eq(g, want, "%s:\n--- got\n%s\n--- want\n%s", what, g, want);
    free(got);
}

/* ---- set-up: published data, the partner role, the partner's database --- */

static void setup(void)
{
    static int counter;
    char ci[1024];

    h_rank_start(&e, NULL);
    h_rank_publish_c1(&e, c1_digest);

    snprintf(role, sizeof(role), "partner_t%d_%d", (int)getpid(), ++counter);
    snprintf(password, sizeof(password), "it's a pass word %d-%lld", (int)getpid(),
             h_rank_wall_ms());
    super_ci(ci, sizeof(ci), "postgres");
    role_cleanup = h_cleanup_add(drop_role_at_exit, ci, role, 0);
    char *out = NULL, *err = NULL;
    int rc = partner_role(role, password, &out, &err);
    cr_assert_eq(rc, 0, "partner-role.sh %s: exit %d\n%s%s", role, rc, out, err);
    cr_assert(strstr(out, "created login role"), "%s", out);
    free(out);
    free(err);

    partner_tcp[0] = '\0';
    char port[16];
    snprintf(port, sizeof(port), "%d", h_pg_shared()->port);
    ci_add(partner_tcp, sizeof(partner_tcp), "host", "127.0.0.1");
    ci_add(partner_tcp, sizeof(partner_tcp), "port", port);
    ci_add(partner_tcp, sizeof(partner_tcp), "dbname", e.a.db.name);
    ci_add(partner_tcp, sizeof(partner_tcp), "user", role);
    ci_add(partner_tcp, sizeof(partner_tcp), "password", password);

    /* The partner's database, linked in as the README shows. */
    memset(&pdb, 0, sizeof(pdb));
    snprintf(pdb.name, sizeof(pdb.name), "p_%d_%d", (int)getpid(), counter);
    super_ci(pdb.super, sizeof(pdb.super), pdb.name);
    pdb.pg = h_pg_shared();
    pdb.borrowed = true;
    pdb.cleanup = -1;
    pdb_cleanup = h_cleanup_add(drop_db_at_exit, ci, pdb.name, 0);
    char *sql = h_strdupf("CREATE DATABASE \"%s\"", pdb.name);
    h_db_exec(&e.a.db, sql);
    free(sql);
    char *pw = sql_lit(password);
    sql = h_strdupf("CREATE EXTENSION postgres_fdw;"
                    "CREATE SERVER vigil FOREIGN DATA WRAPPER postgres_fdw"
                    "  OPTIONS (host '127.0.0.1', port '%d', dbname '%s');"
                    "CREATE USER MAPPING FOR CURRENT_USER SERVER vigil"
                    "  OPTIONS (user '%s', password %s);"
                    "CREATE SCHEMA vigil;"
                    "IMPORT FOREIGN SCHEMA partner FROM SERVER vigil INTO vigil;",
                    h_pg_shared()->port, e.a.db.name, role, pw);
    h_db_exec(&pdb, sql);
    free(sql);
    free(pw);
}

static void teardown(void)
{
    char ci[1024];
    super_ci(ci, sizeof(ci), "postgres");
    h_rank_stop(&e);
    if (pdb.name[0]) {
        h_cleanup_remove(pdb_cleanup);
        drop_db_at_exit(ci, pdb.name, 0);
        pdb.name[0] = '\0';
    }
    if (role[0]) {
        h_cleanup_remove(role_cleanup);
        drop_role_at_exit(ci, role, 0);
        role[0] = '\0';
    }
}

TestSuite(partner_sql, .init = setup, .fini = teardown, .timeout = 90);

/* ---- readings of the foreign tables ------------------------------------- */

/* The ranking of a cycle ($1) as h_rank_ranking_text writes it, from the
 * foreign tables rankings, area_scores and not_ranked. */
static const char *const RANKING_TEXT_SQL =
    "SELECT coalesce(string_agg(line, E'\\n' ORDER BY k, position) || E'\\n', '') FROM ("
    " SELECT 0 AS k, r.position,"
    "   format('%s %s %s %s |', r.rank_text, r.state, r.overall_text, r.band)"
    "   || (SELECT string_agg(format(' %s %s %s%s', a.area, coalesce(a.score_text, '-'),"
    "                                CASE WHEN a.tied THEN '=' ELSE '' END, a.rank),"
    "                         ',' ORDER BY a.position)"
    "         FROM vigil.area_scores a WHERE a.cycle = r.cycle AND a.state = r.state)"
    "   || ' | cov ' || r.coverage_text || ' | mv '"
    "   || CASE r.movement WHEN 'none' THEN 'none' WHEN 'new' THEN 'new'"
    "        WHEN 'not_comparable' THEN 'n/c'"
    "        WHEN 'delta' THEN format('%s%s/%s%s', CASE WHEN r.rank_delta >= 0 THEN '+' END,"
    "                           r.rank_delta, CASE WHEN r.band_delta >= 0 THEN '+' END,"
    "                           r.band_delta)"
    "        ELSE coalesce(r.movement, 'unset') END AS line"
    "   FROM vigil.rankings r WHERE r.cycle = $1"
    " UNION ALL"
    " SELECT 1, u.position,"
    "   '- ' || u.state || coalesce(' cov ' || u.coverage_text, '') || ' |'"
    "   || coalesce(' ' || (SELECT string_agg(z.t, ', ' ORDER BY x.o, z.o2)"
    "        FROM unnest(u.reasons) WITH ORDINALITY AS x(k, o)"
    "        CROSS JOIN LATERAL ("
    "          SELECT 'area ' || y.a, y.o2"
    "            FROM unnest(u.unrated_areas) WITH ORDINALITY AS y(a, o2)"
    "           WHERE x.k = 'area_unrated'"
    "          UNION ALL SELECT replace(x.k, '_', ' '), 0 WHERE x.k <> 'area_unrated') z(t, o2)),"
    "      '')"
    "   FROM vigil.not_ranked u WHERE u.cycle = $1) lines";

/* The aggregates of a cycle ($1) as h_rank_aggregates_text writes them. */
static const char *const AGGREGATES_TEXT_SQL =
    "SELECT coalesce(string_agg(line, '' ORDER BY ipos), '') FROM ("
    " SELECT mi.position AS ipos, g.indicator || ':'"
    "   || coalesce(string_agg(format(' %s %s %s', g.level, g.count,"
    "                                 coalesce(g.share_text, '-')), ',' ORDER BY g.position)"
    "        FILTER (WHERE g.level NOT IN ('no_data', 'not_assessed', 'not_applicable')), '')"
    "   || format(' | no_data %s, not_assessed %s, not_applicable %s | N %s of %s',"
    "             max(g.count) FILTER (WHERE g.level = 'no_data'),"
    "             max(g.count) FILTER (WHERE g.level = 'not_assessed'),"
    "             max(g.count) FILTER (WHERE g.level = 'not_applicable'),"
    "             max(g.n), max(g.counted)) || E'\\n' AS line"
    "   FROM vigil.aggregates g"
    "   JOIN vigil.cycles c ON c.code = g.cycle"
    "   JOIN vigil.methodology_indicators mi"
    "     ON mi.methodology = c.methodology AND mi.code = g.indicator"
    "  WHERE g.cycle = $1"
    "  GROUP BY g.indicator, mi.position) t";

/* A state's ($2) entries in a cycle ($1): "IND level justification
 * [citation|url|date]...", one line each, in the methodology's order. */
static const char *const CARD_TEXT_SQL =
    "WITH ev AS ("
    " SELECT indicator, string_agg(format(' [%s|%s|%s]', citation, url,"
    "                                     coalesce(to_char(date, 'YYYY-MM-DD'), '')),"
    "                              '' ORDER BY position) AS items"
    "   FROM vigil.evidence WHERE cycle = $1 AND state = $2 GROUP BY indicator)"
    "SELECT coalesce(string_agg(format('%s %s %s%s', a.indicator, a.level, a.justification,"
    "                                  coalesce(ev.items, '')) || E'\\n',"
    "                           '' ORDER BY a.indicator_position), '')"
    "  FROM vigil.assessments a LEFT JOIN ev ON ev.indicator = a.indicator"
    " WHERE a.cycle = $1 AND a.state = $2";

/* The cycle and version of every row of every view with a cycle, per view:
 * what a partner can see at all. */
static const char *const SEEN_SQL =
    "SELECT concat_ws(E'\\n',"
    " 'cycles ' || coalesce((SELECT string_agg(code || '#' || version, ',' ORDER BY code)"
    "                        FROM vigil.cycles), '-'),"
    " 'inputs ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                        FROM vigil.published_inputs), '-'),"
    " 'rankings ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                          FROM vigil.rankings), '-'),"
    " 'area_scores ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                             FROM vigil.area_scores), '-'),"
    " 'not_ranked ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                            FROM vigil.not_ranked), '-'),"
    " 'aggregates ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                            FROM vigil.aggregates), '-'),"
    " 'assessments ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                             FROM vigil.assessments), '-'),"
    " 'evidence ' || coalesce((SELECT string_agg(DISTINCT cycle || '#' || version, ','"
    "                        ORDER BY cycle || '#' || version)"
    "                          FROM vigil.evidence), '-'))";

static char *seen_want(const char *v)
{
    return h_strdupf("cycles %s\ninputs %s\nrankings %s\narea_scores %s\nnot_ranked %s\n"
                     "aggregates %s\nassessments %s\nevidence %s",
                     v, v, v, v, v, v, v, v);
}

static void expect_seen(const char *v, const char *what)
{
    char *want = seen_want(v);
    expect_str(pq(SEEN_SQL), want, what);
    free(want);
}

/* The partner office's GetRanking of cycle, as text. */
static char *api_ranking_text(const char *cycle)
{
    struct h_rpc r = {0};
    const Vigil__V1__Ranking *rk =
        h_rank_ranking_ok(&r, h_rank_client(&e, "partner"), cycle, H_PUBLISHED, NULL, NULL, 0);
    char *t = h_rank_ranking_text(rk);
    h_rpc_clear(&r);
    return t;
}

/* The foreign tables' ranking of cycle equals GetRanking's and want. */
static void expect_ranking(const char *cycle, const char *want)
{
    char *api = api_ranking_text(cycle);
    char *what = h_strdupf("ranking of %s through postgres_fdw vs GetRanking", cycle);
    expect_str(pq1(RANKING_TEXT_SQL, cycle), api, what);
    cr_assert_str_eq(api, want, "GetRanking of %s:\n%s", cycle, api);
    free(what);
    free(api);
}

/* ---- tests -------------------------------------------------------------- */

/* Everything a partner office reads through the API reads the same through
 * the foreign tables: cycles, published inputs and digest, ranking (ranks,
 * ties, overall texts, areas, bands, coverage, reasons), aggregates, every
 * state's counted revision with its evidence, and the methodology. */
Test(partner_sql, foreign_tables_show_what_the_api_publishes)
{
    struct vigil_client *partner = h_rank_client(&e, "partner");
    struct h_rpc r = {0};
    char *want;

    /* Cycles and inputs. */
    want = h_strdupf("2009-2012 ecpat-2012 - 1 %s", c1_digest);
    expect_str(pq("SELECT string_agg(concat_ws(' ', code, methodology,"
                  " coalesce(predecessor, '-'), version, digest), ',') FROM vigil.cycles"),
               want, "partner.cycles");
    free(want);
    expect_str(pq("SELECT count(*)::text FROM vigil.cycles WHERE published_at <= now()"
                  " AND embargo_until IS NULL"),
               "1", "published_at, embargo_until");
    h_rank_inputs(&r, partner, C1, 0);
    h_rpc_expect(&r, H_OK, NULL, "GetPublishedInputs as partner");
    const Vigil__V1__GetPublishedInputsResponse *in =
        (const Vigil__V1__GetPublishedInputsResponse *)r.resp;
    char *canonical = strndup((const char *)in->canonical.data, in->canonical.len);
    expect_str(pq1("SELECT canonical FROM vigil.published_inputs WHERE cycle = $1", C1), canonical,
               "partner.published_inputs: the exact bytes");
    expect_str(pq1("SELECT (digest = encode(sha256(convert_to(canonical, 'UTF8')), 'hex')"
                   " AND version = 1)::text FROM vigil.published_inputs WHERE cycle = $1",
                   C1),
               "true", "the digest is the SHA-256 of the canonical text");
    free(canonical);
    h_rpc_clear(&r);

    /* The ranking. */
    expect_ranking(C1, H_RANK_RANKING_C1);
    expect_str(pq("SELECT string_agg(format('%s %s/%s %s/%s %s %s', state, overall_num,"
                  " overall_den, coverage_num, coverage_den, band_position, movement), ','"
                  " ORDER BY position) FROM vigil.rankings"),
               "DE 100/1 100/1 0 none,BE 875/9 75/1 0 none,FR 1175/18 100/1 1 none,"
               "ES 1175/18 100/1 1 none,PL 775/18 375/4 2 none",
               "exact figures");

    /* Aggregates: as GetAggregates, and every counted state in one row. */
    h_rank_aggregates(&r, partner, C1, H_PUBLISHED, NULL, 0, NULL);
    h_rpc_expect(&r, H_OK, NULL, "GetAggregates as partner");
    want = h_rank_aggregates_text((const Vigil__V1__GetAggregatesResponse *)r.resp, NULL, 0);
    expect_str(pq1(AGGREGATES_TEXT_SQL, C1), want, "aggregates vs GetAggregates");
    free(want);
    h_rpc_clear(&r);
    expect_str(pq("SELECT count(*)::text FROM (SELECT indicator FROM vigil.aggregates"
                  " GROUP BY indicator HAVING sum(count) <> max(counted) OR max(counted) <> 8) x"),
               "0", "the counts of an indicator add up to the 8 counted states");

    /* Assessments and evidence: each state's card. */
    for (size_t i = 0; i < H_RANK_C1_N; i++) {
        const char *state = h_rank_c1[i].code;
        h_rank_card(&r, partner, C1, state, H_PUBLISHED, 0);
        h_rpc_expect(&r, H_OK, NULL, "GetCard as partner");
        const Vigil__V1__GetCardResponse *card = (const Vigil__V1__GetCardResponse *)r.resp;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t j = 0; j < card->n_entries; j++) {
            const Vigil__V1__CardEntry *ce = card->entries[j];
            if (ce->level[0] == '\0')
                continue; /* does not apply: no row */
            fprintf(f, "%s %s %s", ce->indicator, ce->level, ce->justification);
            for (size_t k = 0; k < ce->n_evidence; k++)
                fprintf(f, " [%s|%s|%s]", ce->evidence[k]->citation, ce->evidence[k]->url,
                        ce->evidence[k]->date);
            fputc('\n', f);
        }
        fclose(f);
        char *what = h_strdupf("assessments and evidence of %s vs GetCard", state);
        expect_str(pq2(CARD_TEXT_SQL, C1, state), buf, what);
        free(what);
        free(buf);
        h_rpc_clear(&r);
    }
    expect_str(
        pq("SELECT string_agg(DISTINCT state || '#' || revision, ',') FROM vigil.assessments"),
        "BE#1,CZ#1,DE#1,ES#1,FR#1,HU#1,PL#1,SE#1", "the counted revisions (IT has none approved)");
    expect_str(pq("SELECT count(*)::text FROM vigil.assessments WHERE state = 'CZ'"), "15",
               "CA.2 does not apply to CZ: no row");

    /* The methodology, as GetMethodology gives it. */
    Vigil__V1__GetMethodologyRequest mreq = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    mreq.cycle = (char *)C1;
    h_rpc_call(&r, partner, H_GET_METHODOLOGY, &mreq.base);
    h_rpc_expect(&r, H_OK, NULL, "GetMethodology as partner");
    const Vigil__V1__Methodology *m = ((Vigil__V1__GetMethodologyResponse *)r.resp)->methodology;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "%s|%s|%s\n", m->code, m->name, m->min_coverage);
    for (size_t i = 0; i < m->n_areas; i++)
        fprintf(f, "area %s|%s|%d\n", m->areas[i]->code, m->areas[i]->name, m->areas[i]->weight);
    for (size_t i = 0; i < m->n_indicators; i++) {
        const Vigil__V1__Indicator *ind = m->indicators[i];
        fprintf(f, "indicator %s|%s|%s|%d|", ind->code, ind->area, ind->scale, ind->weight);
        if (ind->applies_when && ind->applies_when->indicator[0]) {
            fprintf(f, "%s=", ind->applies_when->indicator);
            for (size_t k = 0; k < ind->applies_when->n_levels; k++)
                fprintf(f, "%s%s", k ? "," : "", ind->applies_when->levels[k]);
        }
        fprintf(f, "|%s|%s\n", ind->question, ind->call_to_action);
    }
    for (size_t i = 0; i < m->n_scales; i++) {
        for (size_t k = 0; k < m->scales[i]->n_levels; k++) {
            const Vigil__V1__Level *l = m->scales[i]->levels[k];
            fprintf(f, "level %s|%s|%s|", m->scales[i]->code, l->code, l->label);
            if (l->has_value)
                fprintf(f, "%d", l->value);
            fputc('\n', f);
        }
    }
    for (size_t i = 0; i < m->n_bands; i++)
        fprintf(f, "band %s|%s\n", m->bands[i]->name, m->bands[i]->min_score);
    fclose(f);
    h_rpc_clear(&r);
    expect_str(pq("SELECT concat("
                  " (SELECT string_agg(format(E'%s|%s|%s\\n', code, name, min_coverage_text), '')"
                  "    FROM vigil.methodologies),"
                  " (SELECT string_agg(format(E'area %s|%s|%s\\n', code, name, weight), ''"
                  "    ORDER BY position) FROM vigil.methodology_areas),"
                  " (SELECT string_agg(format(E'indicator %s|%s|%s|%s|%s|%s|%s\\n', code, area,"
                  "    scale, weight, applies_if_indicator || '=' ||"
                  "    array_to_string(applies_if_levels, ','), question, call_to_action), ''"
                  "    ORDER BY position) FROM vigil.methodology_indicators),"
                  " (SELECT string_agg(format(E'level %s|%s|%s|%s\\n', scale, code, label, value),"
                  "    '' ORDER BY scale = 'adequacy', position) FROM vigil.methodology_levels),"
                  " (SELECT string_agg(format(E'band %s|%s\\n', name, min_score), ''"
                  "    ORDER BY position) FROM vigil.methodology_bands))"),
               buf, "the methodology vs GetMethodology");
    free(buf);
    expect_str(pq("SELECT string_agg(DISTINCT scale || ' ' || scale_max, ',')"
                  " FROM vigil.methodology_levels"),
               "adequacy 3,yes-partial-no 2", "scale maxima");
    expect_str(pq("SELECT name || ' ' || coalesce(parent, '-') FROM vigil.regions"
                  " WHERE code = '155'"),
               "Western Europe 150", "regions");
    expect_str(pq("SELECT name || ' ' || region FROM vigil.states WHERE code = 'FR'"), "France 155",
               "states");
}

/* Open and closed cycles and unpublished corrections never show; a cycle
 * published under embargo and a republication under embargo show when their
 * time passes, without anyone acting, and then read as the API gives them. */
Test(partner_sql, embargoed_publications_appear_when_their_time_passes)
{
    const char *v1 = "2009-2012#1";
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, C1);
    h_rank_load(&e, C2, h_rank_c2, H_RANK_C2_N);
    expect_seen(v1, "with an open cycle");
    h_rank_correct(&e, C1, "FR", H_RANK_FR_TOP);
    h_cycle_set_status(&e.a, C2, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    expect_seen(v1, "with a closed cycle and an approved correction");
    expect_str(pq("SELECT string_agg(DISTINCT revision::text, ',') FROM vigil.assessments"
                  " WHERE state = 'FR'"),
               "1", "FR's counted revision before republication");

    /* Both under the same embargo: the new cycle first (its predecessor
     * must not be under embargo), then the republication. */
    long long at = (h_rank_wall_ms() + EMBARGO_AHEAD_MS) / 1000 * 1000 + 1000;
    char embargo[32];
    h_rank_rfc3339(at, embargo);
    cr_assert_eq(h_rank_publish_ok(&e, C2, embargo, NULL), 1);
    cr_assert_eq(h_rank_publish_ok(&e, C1, embargo, NULL), 2);
    expect_seen(v1, "under embargo");
    expect_ranking(C1, H_RANK_RANKING_C1);
    cr_assert_lt(h_rank_wall_ms(), at,
                 "the checks under embargo took too long (raise EMBARGO_AHEAD_MS)");

    /* Nobody calls anything meanwhile. */
    long long left = at + RELEASE_MARGIN_MS - h_rank_wall_ms();
    if (left > 0)
        h_sleep_ms((int)left);
    expect_seen("2009-2012#2,2013-2016#1", "after the embargo time");
    char *want = h_strdupf("2013-2016 2009-2012 1 %s", c1_digest);
    expect_str(pq("SELECT concat_ws(' ', code, predecessor, predecessor_version,"
                  " predecessor_digest) FROM vigil.cycles WHERE predecessor IS NOT NULL"),
               want, "the predecessor publication C2's movement was measured against");
    free(want);
    want = h_strdupf("2009-2012 %s,2013-2016 %s", embargo, embargo);
    expect_str(pq("SELECT string_agg(code || ' ' || to_char(embargo_until AT TIME ZONE 'UTC',"
                  " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ',' ORDER BY code) FROM vigil.cycles"),
               want, "embargo times");
    free(want);
    expect_ranking(C2, H_RANK_RANKING_C2);
    char *c1v2 = api_ranking_text(C1);
    cr_assert(strstr(c1v2, H_RANK_L_FR_TOP), "C1 version 2 counts FR's correction:\n%s", c1v2);
    expect_str(pq1(RANKING_TEXT_SQL, C1), c1v2, "C1 version 2 through postgres_fdw vs GetRanking");
    free(c1v2);
    expect_str(pq("SELECT string_agg(DISTINCT cycle || ' ' || revision, ',') FROM vigil.assessments"
                  " WHERE state = 'FR'"),
               "2009-2012 2,2013-2016 1", "FR's counted revisions after the release");
}

/* The partner role reads the partner views and nothing else: no table of
 * the schema, no private view, no API function, no write anywhere; its group
 * holds exactly USAGE on schema partner and SELECT on each of its views. */
Test(partner_sql, partner_role_reads_the_views_only)
{
    static const struct {
        const char *sql;
        const char *error; /* NULL: must succeed */
    } cases[] = {
        {"SELECT count(*) FROM partner.cycles", NULL},
        {"SELECT count(*) FROM partner.evidence", NULL},
        {"SELECT * FROM public.revision", "permission denied for table revision"},
        {"SELECT * FROM revision_entry", "permission denied for table revision_entry"},
        {"SELECT * FROM public.evidence", "permission denied for table evidence"},
        {"SELECT * FROM audit", "permission denied for table audit"},
        {"SELECT * FROM office", "permission denied for table office"},
        {"SELECT * FROM office_cert", "permission denied for table office_cert"},
        {"SELECT * FROM publication", "permission denied for table publication"},
        {"SELECT * FROM assessment", "permission denied for table assessment"},
        {"SELECT * FROM request", "permission denied for table request"},
        {"SELECT * FROM vigil_migration", "permission denied for table vigil_migration"},
        {"SELECT * FROM vigil_private.partner_publication", "permission denied for schema"},
        {"SELECT vigil_api.rankings_published('{}', '{}')", "permission denied for schema"},
        {"SELECT vigil_private.partner_grant()", "permission denied for schema"},
        {"INSERT INTO partner.regions VALUES ('999', 'x', NULL)",
         "permission denied for view regions"},
        {"UPDATE partner.states SET name = 'x'", "permission denied for view states"},
        {"DELETE FROM partner.rankings", "cannot delete from view"},
        {"UPDATE partner.cycles SET digest = 'x'", "cannot update view"},
        {"CREATE TABLE partner.sneaky (i int)", "permission denied for schema partner"},
        {"CREATE VIEW public.sneaky AS SELECT 1", "permission denied for schema public"},
        {"ALTER VIEW partner.cycles RENAME TO c", "must be owner"},
        {"DROP VIEW partner.cycles", "must be owner"},
        {"TRUNCATE audit", "permission denied"},
        {"SET ROLE vigil_owner", "permission denied to set role"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[1024];
        bool ok = h_db_try_exec(partner_tcp, cases[i].sql, err, sizeof(err));
        if (cases[i].error == NULL) {
            cr_assert(ok, "%s: %s: %s", role, cases[i].sql, err);
        } else {
            cr_assert(!ok, "%s may run %s", role, cases[i].sql);
            cr_assert(strstr(err, cases[i].error), "%s: %s", cases[i].sql, err);
        }
    }

    /* A function of the reader's own in a WHERE clause sees only the rows
     * the view lets through (security_barrier), not the evidence and
     * justifications of an open cycle or of an unpublished correction. */
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, C1);
    h_rank_load(&e, C2, h_rank_c2, H_RANK_C2_N);
    h_rank_correct(&e, C1, "FR", H_RANK_FR_TOP);
    static const struct {
        const char *view, *column, *table;
    } leaky[] = {
        {"evidence", "citation", "evidence"},
        {"assessments", "justification", "revision_entry"},
    };
    for (size_t i = 0; i < sizeof(leaky) / sizeof(leaky[0]); i++) {
        char *sql = h_strdupf(
            /* Full scans, as a leak would want them. */
            "SET enable_nestloop = off; SET enable_indexscan = off; SET enable_bitmapscan = off;"
            "CREATE TEMP TABLE leaked (t text);"
            "CREATE FUNCTION pg_temp.leak(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001"
            "  AS $$BEGIN INSERT INTO leaked VALUES (t); RETURN true; END$$;"
            "CREATE TEMP TABLE shown AS SELECT * FROM partner.%s WHERE pg_temp.leak(%s);"
            "SELECT (SELECT count(*) FROM leaked) || ' seen, ' || (SELECT count(*) FROM shown)"
            "  || ' shown, ' || (SELECT count(*) FROM partner.%s) || ' in the view'",
            leaky[i].view, leaky[i].column, leaky[i].view);
        char *table_sql = h_strdupf("SELECT count(*) FROM %s", leaky[i].table);
        char *in_table = h_db_query_value(&e.a.db, table_sql);
        char *view_sql = h_strdupf("SELECT count(*) FROM partner.%s", leaky[i].view);
        char *in_view = partner_value(view_sql);
        cr_assert_gt(atoi(in_table), atoi(in_view), "%s: %s rows, partner.%s: %s", leaky[i].table,
                     in_table, leaky[i].view, in_view);
        char *want = h_strdupf("%s seen, %s shown, %s in the view", in_view, in_view, in_view);
        char *what = h_strdupf("a leaky function on partner.%s (%s rows in %s)", leaky[i].view,
                               in_table, leaky[i].table);
        expect_str(partner_value(sql), want, what);
        free(what);
        free(want);
        free(in_view);
        free(view_sql);
        free(in_table);
        free(table_sql);
        free(sql);
    }

    /* The same through postgres_fdw: no write, no table. */
    char err[1024];
    cr_assert(!h_db_try_exec(pdb.super, "INSERT INTO vigil.regions VALUES ('999', 'x', NULL)", err,
                             sizeof(err)));
    cr_assert(strstr(err, "permission denied for view regions"), "%s", err);
    cr_assert(!h_db_try_exec(pdb.super, "DELETE FROM vigil.cycles", err, sizeof(err)));
    cr_assert(strstr(err, "cannot delete from view"), "%s", err);
    h_db_exec(&pdb, "CREATE FOREIGN TABLE public.revision (id bigint) SERVER vigil"
                    " OPTIONS (schema_name 'public', table_name 'revision')");
    cr_assert(!h_db_try_exec(pdb.super, "SELECT * FROM public.revision", err, sizeof(err)));
    cr_assert(strstr(err, "permission denied for table revision"), "%s", err);

    /* Exactly the privileges of the group, and the role's attributes. */
    char *views = h_db_query_value(&e.a.db, "SELECT count(*)::text FROM pg_class c JOIN"
                                            " pg_namespace n ON n.oid = c.relnamespace"
                                            " WHERE n.nspname = 'partner' AND c.relkind = 'v'");
    cr_assert_geq(atoi(views), 15, "views in schema partner: %s", views);
    char *want = h_strdupf("partner USAGE | %s partner v SELECT | -", views);
    expect_str(
        h_db_query_value(
            &e.a.db,
            "SELECT concat_ws(' | ',"
            " (SELECT string_agg(n.nspname || ' ' || a.privilege_type, ',')"
            "    FROM pg_namespace n, aclexplode(n.nspacl) a"
            "   WHERE a.grantee = 'vigil_partner_read'::regrole),"
            " (SELECT count(*) || ' ' || string_agg(DISTINCT n.nspname || ' ' || c.relkind::text"
            "         || ' ' || a.privilege_type, ',')"
            "    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
            "         aclexplode(c.relacl) a"
            "   WHERE a.grantee = 'vigil_partner_read'::regrole),"
            " (SELECT coalesce(string_agg(p.oid::regprocedure::text, ','), '-')"
            "    FROM pg_proc p, aclexplode(p.proacl) a"
            "   WHERE a.grantee = 'vigil_partner_read'::regrole))"),
        want, "the privileges of vigil_partner_read");
    free(want);
    free(views);
    const char *params[] = {role};
    expect_str(h_db_query_value_params(
                   &e.a.db,
                   "SELECT format('%s %s %s %s %s %s %s %s', r.rolcanlogin, r.rolinherit,"
                   " r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication,"
                   " r.rolbypassrls, (SELECT string_agg(g.rolname, ',') FROM pg_auth_members m"
                   " JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid))"
                   " || ' / ' || (SELECT (NOT rolcanlogin)::text FROM pg_roles"
                   "              WHERE rolname = 'vigil_partner_read')"
                   " FROM pg_roles r WHERE r.rolname = $1",
                   1, params),
               "t t f f f f f vigil_partner_read / true",
               "the login role: LOGIN, INHERIT, a member of the NOLOGIN group only");
}

/* The foreign server logs in with the password: stored as a SCRAM-SHA-256
 * verifier, asked for over TCP, refused when wrong; a new password from the
 * script replaces the old one. */
Test(partner_sql, password_authentication_is_used)
{
    const char *params[] = {role};
    expect_str(h_db_query_value_params(&e.a.db,
                                       "SELECT left(rolpassword, 14) FROM pg_authid"
                                       " WHERE rolname = $1",
                                       1, params),
               "SCRAM-SHA-256$", "the stored password");
    expect_str(h_db_query_value(&e.a.db, "SELECT string_agg(DISTINCT auth_method, ',')"
                                         " FROM pg_hba_file_rules WHERE address = '127.0.0.1'"),
               "scram-sha-256", "pg_hba.conf for 127.0.0.1");

    char *sql = h_strdupf("CREATE SERVER wrong FOREIGN DATA WRAPPER postgres_fdw"
                          "  OPTIONS (host '127.0.0.1', port '%d', dbname '%s');"
                          "CREATE USER MAPPING FOR CURRENT_USER SERVER wrong"
                          "  OPTIONS (user '%s', password 'not the password');"
                          "CREATE SCHEMA wrong;"
                          "CREATE FOREIGN TABLE wrong.cycles (code text) SERVER wrong"
                          "  OPTIONS (schema_name 'partner', table_name 'cycles');",
                          h_pg_shared()->port, e.a.db.name, role);
    h_db_exec(&pdb, sql);
    free(sql);
    char err[1024];
    cr_assert(!h_db_try_exec(pdb.super, "SELECT * FROM wrong.cycles", err, sizeof(err)));
    cr_assert(strstr(err, "password authentication failed for user"), "%s", err);
    h_db_exec(&pdb, "ALTER USER MAPPING FOR CURRENT_USER SERVER wrong OPTIONS (DROP password)");
    cr_assert(!h_db_try_exec(pdb.super, "SELECT * FROM wrong.cycles", err, sizeof(err)));
    cr_assert(strstr(err, "password"), "no password: %s", err);
    expect_str(pq("SELECT count(*)::text FROM vigil.cycles"), "1", "the right password");

    /* A new password: the old mapping fails, the updated one works. */
    char *fresh = h_strdupf("%s, renewed", password);
    char *out = NULL, *rerr = NULL;
    int rc = partner_role(role, fresh, &out, &rerr);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, rerr);
    cr_assert(strstr(out, "updated login role"), "%s", out);
    free(out);
    free(rerr);
    cr_assert(!h_db_try_exec(pdb.super, "SELECT * FROM vigil.cycles", err, sizeof(err)));
    cr_assert(strstr(err, "password authentication failed for user"), "%s", err);
    char *lit = sql_lit(fresh);
    sql = h_strdupf("ALTER USER MAPPING FOR CURRENT_USER SERVER vigil OPTIONS (SET password %s)",
                    lit);
    h_db_exec(&pdb, sql);
    free(sql);
    free(lit);
    expect_str(pq("SELECT count(*)::text FROM vigil.cycles"), "1", "the new password");
    free(fresh);
}

/* deploy/partner-role.sh: help, usage errors (exit 2) before connecting,
 * refusals (exit 1) that change nothing, and a rerun that only sets the
 * password. */
Test(partner_sql, partner_role_script)
{
    static const struct {
        const char *args[6];
        bool password;
        int rc;
        const char *out, *err;
    } cases[] = {
        {{"--help"}, false, 0, "Usage: deploy/partner-role.sh --db CONNINFO NAME", NULL},
        {{"--db", "dbname=x", "p_x"}, false, 2, NULL, "VIGIL_PARTNER_PASSWORD is not set"},
        {{"p_x"}, true, 2, NULL, "--db CONNINFO is required"},
        {{"--db", "dbname=x"}, true, 2, NULL, "NAME is required"},
        {{"--db", "dbname=x", "Bad-Name"}, true, 2, NULL, "NAME must be a lower-case letter"},
        {{"--db", "dbname=x", "pg_x"}, true, 2, NULL, "reserved by PostgreSQL"},
        {{"--db", "dbname=x", "a", "b"}, true, 2, NULL, "unexpected argument \"b\""},
        {{"--colour", "x"}, true, 2, NULL, "unknown option --colour"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL, *err = NULL;
        int rc = partner_role_sh(cases[i].args, cases[i].password ? password : NULL, &out, &err);
        cr_assert_eq(rc, cases[i].rc, "case %zu: exit %d\n%s%s", i, rc, out, err);
        if (cases[i].out)
            cr_assert(strstr(out, cases[i].out), "case %zu: %s", i, out);
        if (cases[i].err)
            cr_assert(strstr(err, cases[i].err), "case %zu: %s", i, err);
        free(out);
        free(err);
    }
    char *out = NULL, *err = NULL;
    int rc = partner_role(role, "short", &out, &err);
    cr_assert_eq(rc, 2, "a short password: exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(err, "at least 12 characters"), "%s", err);
    free(out);
    free(err);

    /* Refusals: nothing changes. */
    static const char *const STATE_SQL =
        "SELECT string_agg(format('%s %s %s %s', a.rolname, md5(coalesce(a.rolpassword, '')),"
        " a.rolcanlogin, (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname)"
        " FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid)),"
        " ';' ORDER BY a.rolname) FROM pg_authid a"
        " WHERE a.rolname IN ('vigil_app', 'vigil_owner', 'vigil_partner_read', $1)";
    const char *params[] = {role};
    char *before = h_db_query_value_params(&e.a.db, STATE_SQL, 1, params);
    char maint[1024];
    super_ci(maint, sizeof(maint), "postgres");
    char *other_grant = h_strdupf("GRANT vigil_service TO \"%s\"", role);
    static const struct {
        const char *name;
        bool maintenance_db;
        const char *err;
    } refusals[] = {
        {"vigil_app", false, "role \"vigil_app\" exists and is not a partner role"},
        {"vigil_owner", false, "role \"vigil_owner\" exists and is not a partner role"},
        {"vigil_partner_read", false, "exists and is not a partner role"},
        {"postgres", false, "role \"postgres\" exists and is not a partner role"},
        {NULL, true, "no partner views"},
        {NULL, false, "is also a member of vigil_service"},
    };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const char *name = refusals[i].name ? refusals[i].name : role;
        const char *args[] = {"--db", refusals[i].maintenance_db ? maint : e.a.db.super, name,
                              NULL};
        bool extra = refusals[i].name == NULL && !refusals[i].maintenance_db;
        if (extra)
            h_db_exec(&e.a.db, other_grant);
        rc = partner_role_sh(args, password, &out, &err);
        if (extra) {
            char *revoke = h_strdupf("REVOKE vigil_service FROM \"%s\"", role);
            h_db_exec(&e.a.db, revoke);
            free(revoke);
        }
        cr_assert_eq(rc, 1, "refusal %zu (%s): exit %d\n%s%s", i, name, rc, out, err);
        cr_assert(strstr(err, refusals[i].err), "refusal %zu: %s", i, err);
        cr_assert_null(strstr(err, "psql:<stdin>"), "psql's location is not shown: %s", err);
        free(out);
        free(err);
    }
    free(other_grant);
    expect_str(h_db_query_value_params(&e.a.db, STATE_SQL, 1, params), before,
               "roles after the refusals");

    /* Again with the same password: updated, the same memberships, and the
     * password still works. */
    rc = partner_role(role, password, &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "updated login role"), "%s", out);
    free(out);
    free(err);
    char *after = h_db_query_value_params(&e.a.db, STATE_SQL, 1, params);
    /* A new SCRAM salt: the verifier differs, the rest does not. */
    cr_assert_str_neq(after, before, "the password was set again");
    free(after);
    expect_str(h_db_query_value_params(
                   &e.a.db,
                   "SELECT string_agg(g.rolname, ',') FROM pg_auth_members m"
                   " JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member"
                   " WHERE r.rolname = $1",
                   1, params),
               "vigil_partner_read", "memberships after a rerun");
    char e2[512];
    cr_assert(h_db_try_exec(partner_tcp, "SELECT count(*) FROM partner.cycles", e2, sizeof(e2)),
              "%s", e2);
    free(before);
}
