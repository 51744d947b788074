/* migrate: the blocking start-up step that brings the schema up to the
 * version compiled in (see migrate.h). */
#include "migrate.h"

#include "log.h"
#include "migrations.h"
#include "sql.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUST_CHECK __attribute__((warn_unused_result))

/* libpq messages end in a newline and may span lines; a log value is one
 * line. Returns buf. */
static const char *one_line(char *buf, size_t cap, const char *msg)
{
    size_t n = 0;
    for (; msg != NULL && *msg != '\0' && n + 1 < cap; msg++) {
        char ch = (*msg == '\n' || *msg == '\t' || *msg == '\r') ? ' ' : *msg;
        if (ch != ' ' || (n > 0 && buf[n - 1] != ' '))
            buf[n++] = ch;
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

int migrate_count(void)
{
    return migrations_count;
}

/* NOTICEs such as "relation already exists, skipping" would otherwise go
 * to stderr unformatted on every start. */
static void migrate_notice(void *arg, const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (sev != NULL && strcmp(sev, "WARNING") == 0)
        log_warn("msg=\"migration warning\" text=%s", log_quote(text != NULL ? text : ""));
    else
        log_debug("msg=\"migration notice\" text=%s", log_quote(text != NULL ? text : ""));
}

static PGconn *migrate_connect(const char *conninfo)
{
    const char *const kw[] = {"dbname", "fallback_application_name", NULL};
    const char *const val[] = {conninfo, "vigild-migrate", NULL};
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        char buf[512];
        log_error("msg=\"migration: cannot connect to the database\" error=%s",
                  log_quote(one_line(buf, sizeof(buf),
                                     pg != NULL ? PQerrorMessage(pg) : "out of memory")));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeReceiver(pg, migrate_notice, NULL);
    return pg;
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs a bookkeeping statement; logs what failed. */
static MUST_CHECK bool migrate_exec(PGconn *pg, const char *sql, const char *what)
{
    char buf[512];
    PGresult *res = PQexec(pg, sql);
    bool ok = result_ok(res);
    if (!ok)
        log_error("msg=\"migration: %s failed\" error=%s", what,
                  log_quote(one_line(buf, sizeof(buf), PQresultErrorMessage(res))));
    PQclear(res);
    return ok;
}

/* Turns PostgreSQL's 1-based character position in sql into a line and a
 * column, counting UTF-8 characters as the server does. */
static void position_to_line(const char *sql, long pos, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const unsigned char *s = (const unsigned char *)sql; *s != '\0' && pos > 1; s++) {
        if ((*s & 0xc0) == 0x80)
            continue; /* continuation byte: same character */
        pos--;
        if (*s == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* One error line naming the file and everything PostgreSQL said. */
static void migrate_log_failure(const struct migration *m, const PGresult *res)
{
    char extra[1024] = "";
    size_t n = 0;
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    if (pos != NULL) {
        int line, col;
        position_to_line(m->sql, strtol(pos, NULL, 10), &line, &col);
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, " line=%d column=%d", line, col);
    }
    static const struct {
        int field;
        const char *key;
    } fields[] = {{PG_DIAG_MESSAGE_DETAIL, "detail"},
                  {PG_DIAG_MESSAGE_HINT, "hint"},
                  {PG_DIAG_CONTEXT, "context"}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && n < sizeof(extra); i++) {
        const char *v = PQresultErrorField(res, fields[i].field);
        char buf[512];
        if (v != NULL)
            n += (size_t)snprintf(extra + n, sizeof(extra) - n, " %s=%s", fields[i].key,
                                  log_quote(one_line(buf, sizeof(buf), v)));
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    log_error("msg=\"migration failed\" version=%d file=%s sqlstate=%s error=%s%s", m->version,
              m->name, state != NULL ? state : "-",
              log_quote(primary != NULL ? primary : PQresultErrorMessage(res)), extra);
}

/* After a failure: the error is logged already; a failed ROLLBACK (link
 * gone) changes nothing, the session is closed next. A file that ended the
 * transaction itself has nothing left to roll back. */
static void migrate_rollback(PGconn *pg)
{
    PGTransactionStatusType st = PQtransactionStatus(pg);
    if (st == PQTRANS_INTRANS || st == PQTRANS_INERROR)
        PQclear(PQexec(pg, SQL_ROLLBACK));
}

/* Applies one migration and records it in the same transaction. */
static MUST_CHECK bool migrate_apply(PGconn *pg, const struct migration *m)
{
    if (!migrate_exec(pg, SQL_BEGIN, "BEGIN"))
        return false;
    PGresult *res = PQexec(pg, m->sql);
    bool ok = result_ok(res);
    if (!ok)
        migrate_log_failure(m, res);
    PQclear(res);
    if (ok && PQtransactionStatus(pg) != PQTRANS_INTRANS) {
        log_error("msg=\"migration failed\" version=%d file=%s error=\"the file ended the "
                  "transaction; migrations must not COMMIT or ROLLBACK\"",
                  m->version, m->name);
        ok = false;
    }
    if (ok) {
        char version[16], buf[512];
        snprintf(version, sizeof(version), "%d", m->version);
        const char *params[] = {version, m->name};
        res = PQexecParams(pg, SQL_MIGRATE_RECORD, 2, NULL, params, NULL, NULL, 0);
        ok = result_ok(res);
        if (!ok)
            log_error("msg=\"migration: recording failed\" version=%d file=%s error=%s", m->version,
                      m->name, log_quote(one_line(buf, sizeof(buf), PQresultErrorMessage(res))));
        PQclear(res);
    }
    if (!ok) {
        migrate_rollback(pg);
        return false;
    }
    if (!migrate_exec(pg, SQL_COMMIT, "COMMIT"))
        return false;
    log_info("msg=\"migration applied\" version=%d name=%s", m->version, m->name);
    return true;
}

/* Reads what is recorded into applied[1..migrations_count]. Refuses a
 * database ahead of the binary, or one whose history differs from it. */
static MUST_CHECK bool migrate_read_recorded(PGconn *pg, bool *applied)
{
    char buf[512];
    PGresult *res = PQexec(pg, SQL_MIGRATE_RECORDED);
    bool ok = result_ok(res);
    if (!ok)
        log_error("msg=\"migration: reading vigil_migration failed\" error=%s",
                  log_quote(one_line(buf, sizeof(buf), PQresultErrorMessage(res))));
    for (int row = 0; ok && row < PQntuples(res); row++) {
        int v = atoi(PQgetvalue(res, row, 0));
        const char *name = PQgetvalue(res, row, 1);
        if (v < 1 || v > migrations_count) {
            log_error("msg=\"database schema is newer than this binary; refusing to start\" "
                      "recorded_version=%d recorded_name=%s compiled_version=%d",
                      v, log_quote(name), migrations_count);
            ok = false;
        } else if (strcmp(name, migrations[v - 1].name) != 0) {
            log_error("msg=\"database records another migration under this version; "
                      "refusing to start\" version=%d recorded_name=%s compiled_name=%s",
                      v, log_quote(name), migrations[v - 1].name);
            ok = false;
        } else {
            applied[v] = true;
        }
    }
    PQclear(res);
    return ok;
}

/* Everything done while holding the lock. */
static MUST_CHECK bool migrate_locked(PGconn *pg)
{
    if (!migrate_exec(pg, SQL_MIGRATE_TABLE, "creating vigil_migration"))
        return false;
    bool *applied = xcalloc((size_t)migrations_count + 1, sizeof(bool));
    bool ok = migrate_read_recorded(pg, applied);
    int done = 0;
    for (int i = 0; ok && i < migrations_count; i++) {
        const struct migration *m = &migrations[i];
        if (applied[m->version])
            continue;
        ok = migrate_apply(pg, m);
        done += ok;
    }
    free(applied);
    if (ok)
        log_info("msg=\"database schema up to date\" version=%d applied=%d", migrations_count,
                 done);
    return ok;
}

/* Takes the advisory lock, saying so when another process holds it (a
 * second daemon starting at the same time waits here, then finds nothing
 * left to do). */
static MUST_CHECK bool migrate_lock(PGconn *pg)
{
    char buf[512];
    PGresult *res = PQexec(pg, SQL_MIGRATE_TRY_LOCK);
    bool ok = result_ok(res);
    bool held = ok && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    if (!ok)
        log_error("msg=\"migration: taking the lock failed\" error=%s",
                  log_quote(one_line(buf, sizeof(buf), PQresultErrorMessage(res))));
    PQclear(res);
    if (!ok || held)
        return ok;
    log_info("msg=\"waiting for another process applying migrations\"");
    log_flush(); /* the wait may be long: say so now, not when it ends */
    return migrate_exec(pg, SQL_MIGRATE_LOCK, "taking the lock");
}

bool migrate_run(const char *owner_conninfo)
{
    PGconn *pg = migrate_connect(owner_conninfo);
    if (pg == NULL)
        return false;
    bool ok = migrate_lock(pg);
    if (ok) {
        ok = migrate_locked(pg);
        /* A failed unlock is harmless: closing the session releases it. */
        if (!migrate_exec(pg, SQL_MIGRATE_UNLOCK, "releasing the lock"))
            log_warn("msg=\"migration lock released by disconnecting\"");
    }
    PQfinish(pg);
    return ok;
}
