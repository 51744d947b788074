/* Append-only: revisions, their entries and evidence, and the audit log can
 * be neither changed nor removed by SQL: the service's role has no
 * privilege for it, and a trigger refuses it to every other role, the owner
 * and the superuser included. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static struct h_assess_env e;

static void setup(void)
{
    h_assess_start(&e);
    /* Rows in every table: a revision with entries and evidence, audited. */
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
}

static void teardown(void)
{
    h_assess_stop(&e);
}

TestSuite(appendonly, .init = setup, .fini = teardown, .timeout = 60);

static const char *const tables[] = {"revision", "revision_entry", "evidence", "audit"};

/* One statement per table and kind of change. */
static const struct {
    const char *kind;
    const char *sql; /* %s = the table */
} changes[] = {
    {"UPDATE", "UPDATE %s SET %s"},
    {"DELETE", "DELETE FROM %s"},
    {"TRUNCATE", "TRUNCATE %s CASCADE"},
};

/* A harmless-looking assignment for each table. */
static const char *assignment(const char *table)
{
    if (strcmp(table, "revision") == 0)
        return "draft = NOT draft";
    if (strcmp(table, "revision_entry") == 0)
        return "justification = 'rewritten'";
    if (strcmp(table, "evidence") == 0)
        return "citation = 'rewritten'";
    return "action = 'assessment.approve'";
}

static void expect_refused(const char *who, const char *conninfo, bool truncate_too)
{
    char *before = h_db_row_counts(&e.db);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t k = 0; k < sizeof(changes) / sizeof(changes[0]); k++) {
            if (!truncate_too && strcmp(changes[k].kind, "TRUNCATE") == 0)
                continue;
            char *sql = strcmp(changes[k].kind, "UPDATE") == 0
                            ? h_strdupf(changes[k].sql, tables[t], assignment(tables[t]))
                            : h_strdupf(changes[k].sql, tables[t]);
            char err[1024];
            bool ok = h_db_try_exec(conninfo, sql, err, sizeof(err));
            cr_assert(!ok, "as %s, %s succeeded", who, sql);
            cr_assert(strstr(err, "permission denied") || strstr(err, "append-only"),
                      "as %s, %s failed for another reason: %s", who, sql, err);
            free(sql);
        }
    }
    h_db_expect_unchanged(&e.db, before, who);
    free(before);
}

Test(appendonly, service_role_cannot_update_delete_or_truncate)
{
    expect_refused("the service role", e.db.app, true);
}

Test(appendonly, owner_cannot_update_delete_or_truncate)
{
    expect_refused("the owner", e.db.owner, true);
}

Test(appendonly, superuser_cannot_update_delete_or_truncate)
{
    expect_refused("the superuser", e.db.super, true);
}

/* Nor can the service role insert behind the API's back. */
Test(appendonly, service_role_cannot_insert_directly)
{
    char err[1024];
    cr_assert(!h_db_try_exec(e.db.app,
                             "INSERT INTO audit (action, object) VALUES ('assessment.submit', 'x')",
                             err, sizeof(err)),
              "the service role inserted an audit row");
    cr_assert(strstr(err, "permission denied"), "%s", err);
}

/* What the API stores matches what was sent: the revision row counts. */
Test(appendonly, stored_rows_of_one_revision)
{
    char *n = h_db_query_value(&e.db, "SELECT count(*)::text FROM revision");
    cr_assert_str_eq(n, "1");
    free(n);
    n = h_db_query_value(&e.db, "SELECT count(*)::text FROM revision_entry");
    cr_assert_str_eq(n, "16");
    free(n);
    n = h_db_query_value(&e.db, "SELECT count(*)::text FROM evidence");
    cr_assert_str_eq(n, "16");
    free(n);
    n = h_db_query_value(&e.db, "SELECT count(*)::text FROM audit WHERE action LIKE '%submit%'");
    cr_assert_str_eq(n, "1");
    free(n);
}
