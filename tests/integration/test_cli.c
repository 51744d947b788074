/* CLI: the vigil command run as a real process against a real vigild: its
 * answers in every output format, its exit codes (see client/cli/cmd.h), and
 * where its settings come from (flags > environment > config file). */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Exit codes of vigil (client/cli/cmd.h), spelled out: they are the contract. */
enum { OK = 0, USAGE = 2, CONNECT = 3, RPC = 4, DEADLINE = 5, NOT_SERVING = 6 };

#define NOWHERE "127.0.0.1:1" /* nothing listens on port 1 */

static struct h_db db;
static struct h_daemon d;

static void setup(void)
{
    static const char *const extra[] = {H_PUBLIC_LISTENER, NULL};
    h_db_create(&db);
    h_offices_register(&db);
    h_daemon_start(&d, &db, extra);
}

static void stop(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
}

/* Fails the test unless the run exited with rc and printed the given texts
 * (NULL: not checked) on stdout and stderr. */
static void expect(const struct h_cli_run *r, const char *what, int rc, const char *out,
                   const char *err)
{
    cr_assert_eq(r->rc, rc, "%s: exit %d, expected %d\nstdout: %s\nstderr: %s", what, r->rc, rc,
                 r->out, r->err);
    if (out != NULL)
        cr_assert(strstr(r->out, out), "%s: stdout lacks \"%s\":\n%s\nstderr: %s", what, out,
                  r->out, r->err);
    if (err != NULL)
        cr_assert(strstr(r->err, err), "%s: stderr lacks \"%s\":\n%s", what, err, r->err);
}

/* Arguments or environment entries of a case, NULL-padded. */
#define MAX_ARGS 12
typedef const char *args_t[MAX_ARGS];

/* Replaces @ADDR@ (the daemon), @BAD@ (nothing listening), @CERTS@ (the run's
 * certificates) and @DIR@ (a work directory) in text; malloc'd. */
static char *expand(const char *text, const char *dir)
{
    const struct {
        const char *key, *value;
    } vars[] = {
        {"@ADDR@", d.address}, {"@BAD@", NOWHERE}, {"@CERTS@", h_certs_dir()}, {"@DIR@", dir}};
    char *s = strdup(text);
    cr_assert_not_null(s);
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        char *at;
        while ((at = strstr(s, vars[i].key)) != NULL) {
            char *n =
                h_strdupf("%.*s%s%s", (int)(at - s), s, vars[i].value, at + strlen(vars[i].key));
            free(s);
            s = n;
        }
    }
    return s;
}

/* Runs vigil ARGS with no settings at all but env (KEY=VALUE entries, NULL
 * padded; templates as for expand): VIGIL_* removed, HOME and XDG_CONFIG_HOME
 * an empty directory unless env sets them. Unlike h_cli it adds no flags. */
static struct h_cli_run cli_bare(const char *const *args, const char *const *env, const char *dir)
{
    static const char *const cleared[] = {
        "VIGIL_ADDRESS", "VIGIL_CA",         "VIGIL_CERT",   "VIGIL_KEY",     "VIGIL_SERVER_NAME",
        "VIGIL_CONFIG",  "VIGIL_TIMEOUT_MS", "VIGIL_FORMAT", "VIGIL_NO_CERT",
    };
    static char home[PATH_MAX];
    const char *argv[MAX_ARGS + 2] = {h_cli_path()};
    const char *envp[MAX_ARGS + 16];
    char *owned[2 * MAX_ARGS + 2];
    size_t n = 0, e = 0, o = 0;
    struct h_cli_run r;

    if (home[0] == '\0')
        h_workdir(home, "clihome");
    for (size_t i = 0; i < MAX_ARGS && args[i] != NULL; i++)
        argv[++n] = owned[o++] = expand(args[i], dir);
    argv[n + 1] = NULL;
    for (size_t i = 0; env != NULL && i < MAX_ARGS && env[i] != NULL; i++)
        envp[e++] = owned[o++] = expand(env[i], dir);
    size_t given = e;
    const char *defaults[] = {owned[o++] = h_strdupf("HOME=%s", home),
                              owned[o++] = h_strdupf("XDG_CONFIG_HOME=%s", home)};
    /* An entry env sets is not cleared or defaulted again (h_run would keep both). */
    for (size_t i = 0; i < 2 + sizeof(cleared) / sizeof(cleared[0]); i++) {
        const char *kv = i < 2 ? defaults[i] : cleared[i - 2];
        size_t klen = strcspn(kv, "=");
        bool set = false;
        for (size_t j = 0; j < given && !set; j++)
            set = strncmp(envp[j], kv, klen) == 0 && envp[j][klen] == '=';
        if (!set)
            envp[e++] = kv;
    }
    envp[e] = NULL;
    r.rc = h_run(argv, envp, &r.out, &r.err);
    while (o > 0)
        free(owned[--o]);
    return r;
}

/* h_cli (address, CA, certificate of who, server name as flags). */
static struct h_cli_run cli(const char *who, bool public_listener, const char *const *args)
{
    struct h_cli_run r;
    r.rc = h_cli(&d, who, public_listener, args, &r.out, &r.err);
    return r;
}

TestSuite(cli, .init = setup, .fini = stop, .timeout = 60);

/* Commands and their exit codes against a serving daemon. */
Test(cli, exit_codes_and_messages)
{
    static const struct {
        const char *who; /* certificate; NULL = --no-cert */
        bool public_listener;
        args_t args;
        int rc;
        const char *out, *err; /* expected in stdout / stderr; NULL = not checked */
    } cases[] = {
        {"central", false, {"health"}, OK, "SERVING\n", NULL},
        {"partner", false, {"health", "--service", "vigil.v1.Offices"}, OK, "SERVING\n", NULL},
        {"central", false, {"health", "--format", "csv"}, OK, "service,status\n,SERVING\n", NULL},
        {"central", false, {"health", "--format", "json"}, OK, "\"status\": \"SERVING\"", NULL},
        {"central",
         false,
         {"health", "--service", "nope"},
         RPC,
         NULL,
         "error: NOT_FOUND: service: unknown service \"nope\""},
        {"unregistered", false, {"whoami"}, RPC, NULL, "error: UNAUTHENTICATED: "},
        {"unregistered", false, {"health"}, RPC, NULL, "is not registered to an active office"},
        /* Refused in the handshake (or right after it, under TLS 1.3). */
        {"wrongca", false, {"whoami"}, CONNECT, NULL, "error: "},
        {NULL, false, {"whoami"}, CONNECT, NULL, "error: "},
        /* The public listener serves published results only; the health
         * check is not one of them. */
        {NULL, true, {"whoami"}, RPC, NULL, "UNAUTHENTICATED: "},
        {NULL, true, {"health"}, RPC, NULL, "needs a client certificate"},
        /* Usage errors are found before connecting. */
        {"central", false, {"nosuchcommand"}, USAGE, NULL, "unknown command \"nosuchcommand\""},
        {"central", false, {"whoami", "--format", "xml"}, USAGE, NULL, "\"xml\" is not a format"},
        {"central", false, {"whoami", "extra"}, USAGE, NULL, "unexpected argument extra"},
        {"central", false, {"whoami", "--service", "x"}, USAGE, NULL, "unknown option"},
        {"central", false, {"health", "--service"}, USAGE, NULL, "needs a value"},
        {"central", false, {"--timeout", "soon", "health"}, USAGE, NULL, "not a number"},
        {"central", false, {NULL}, USAGE, NULL, "no command given"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[256] = "vigil";
        for (size_t a = 0; a < MAX_ARGS && cases[i].args[a]; a++)
            snprintf(what + strlen(what), sizeof(what) - strlen(what), " %s", cases[i].args[a]);
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " (as %s%s)",
                 cases[i].who ? cases[i].who : "no certificate",
                 cases[i].public_listener ? ", public listener" : "");
        struct h_cli_run r = cli(cases[i].who, cases[i].public_listener, cases[i].args);
        expect(&r, what, cases[i].rc, cases[i].out, cases[i].err);
        h_cli_run_free(&r);
    }
}

/* The answer of WhoAmI as printed, one value per column. */
struct record {
    char *value[8];
};

static const struct {
    const char *name;
    bool quoted; /* a JSON string (else a number or boolean) */
} whoami_cols[] = {
    {"office_id", false},
    {"office_name", true},
    {"role", true},
    {"region", true},
    {"active", false},
    {"certificate_sha256", true},
    {"certificate_subject", true},
};
#define NCOLS (sizeof(whoami_cols) / sizeof(whoami_cols[0]))

/* What the database says about office who, in the columns' order. */
static void expected_record(const char *who, struct record *rec)
{
    static const char *const sql[NCOLS] = {
        "SELECT o.id::text",     "SELECT o.name",
        "SELECT o.role::text",   "SELECT coalesce(o.region, '')",
        "SELECT o.active::text", "SELECT c.sha256",
        "SELECT c.subject",
    };
    for (size_t c = 0; c < NCOLS; c++) {
        char *q = h_strdupf("%s FROM office o JOIN office_cert c ON c.office_id = o.id "
                            "WHERE o.name = $1",
                            sql[c]);
        rec->value[c] = h_db_query_value_params(&db, q, 1, (const char *const[]){who});
        cr_assert_not_null(rec->value[c]);
        free(q);
    }
}

/* Table: "name   value" lines. */
static void check_table(const char *out, const struct record *want)
{
    const char *line = out;
    for (size_t c = 0; c < NCOLS; c++) {
        size_t klen = strcspn(line, " \n"), len = strcspn(line, "\n");
        cr_assert(klen == strlen(whoami_cols[c].name) &&
                      strncmp(line, whoami_cols[c].name, klen) == 0,
                  "line %zu should name %s:\n%s", c + 1, whoami_cols[c].name, out);
        const char *v = line + klen;
        while (*v == ' ')
            v++;
        int vlen = (int)(line + len - v);
        while (vlen > 0 && v[vlen - 1] == ' ')
            vlen--;
        cr_assert(strlen(want->value[c]) == (size_t)vlen && strncmp(v, want->value[c], vlen) == 0,
                  "%s: got \"%.*s\", expected \"%s\"", whoami_cols[c].name, vlen, v,
                  want->value[c]);
        line += len + (line[len] == '\n');
    }
    cr_assert_str_eq(line, "", "more than %zu lines:\n%s", NCOLS, out);
}

/* CSV: a header row and one record; no value here needs quoting. */
static void check_csv(const char *out, const struct record *want)
{
    char *header = NULL, *row = NULL;
    for (size_t c = 0; c < NCOLS; c++) {
        char *h = h_strdupf("%s%s%s", header ? header : "", c ? "," : "", whoami_cols[c].name);
        char *r = h_strdupf("%s%s%s", row ? row : "", c ? "," : "", want->value[c]);
        free(header);
        free(row);
        header = h;
        row = r;
    }
    char *all = h_strdupf("%s\n%s\n", header, row);
    cr_assert_str_eq(out, all);
    free(all);
    free(header);
    free(row);
}

/* JSON: one object; numbers and booleans unquoted. */
static void check_json(const char *out, const struct record *want)
{
    cr_assert_eq(out[0], '{', "%s", out);
    for (size_t c = 0; c < NCOLS; c++) {
        const char *q = whoami_cols[c].quoted ? "\"" : "";
        char *member = h_strdupf("\"%s\": %s%s%s", whoami_cols[c].name, q, want->value[c], q);
        cr_assert(strstr(out, member), "lacks %s:\n%s", member, out);
        free(member);
    }
}

Test(cli, whoami_in_every_format_matches_the_database)
{
    static const char *const offices[] = {"central", "regional", "partner"};
    static const struct {
        const char *format;
        void (*check)(const char *out, const struct record *want);
    } formats[] = {{"table", check_table}, {"csv", check_csv}, {"json", check_json}};

    for (size_t i = 0; i < sizeof(offices) / sizeof(offices[0]); i++) {
        struct record want;
        expected_record(offices[i], &want);
        cr_assert_eq(strlen(want.value[5]), 64);
        for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
            const char *args[] = {"whoami", "--format", formats[f].format, NULL};
            struct h_cli_run r = cli(offices[i], false, args);
            expect(&r, formats[f].format, OK, NULL, NULL);
            cr_assert_str_eq(r.err, "", "%s", r.err);
            formats[f].check(r.out, &want);
            h_cli_run_free(&r);
        }
        for (size_t c = 0; c < NCOLS; c++)
            free(want.value[c]);
    }
    /* The region of a regional office, spelled out: the query above could
     * hide a swapped column. */
    const char *args[] = {"whoami", "--format", "csv", NULL};
    struct h_cli_run r = cli("regional", false, args);
    expect(&r, "regional", OK, ",regional,regional,150,true,", NULL);
    h_cli_run_free(&r);
}

Test(cli, disabled_office_is_unauthenticated)
{
    h_db_exec(&db, "UPDATE office SET active = false WHERE name = 'partner'");
    const char *args[] = {"whoami", NULL};
    struct h_cli_run r = cli("partner", false, args);
    expect(&r, "whoami as disabled partner", RPC, NULL, "error: UNAUTHENTICATED: ");
    h_cli_run_free(&r);
    r = cli("central", false, args);
    expect(&r, "whoami as central", OK, "central", NULL);
    h_cli_run_free(&r);
}

/* Holds an exclusive lock on the office table in an open transaction, so
 * that every identity lookup waits. */
static PGconn *lock_offices(void)
{
    PGconn *pg = PQconnectdb(db.super);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s", PQerrorMessage(pg));
    PGresult *r = PQexec(pg, "BEGIN; LOCK TABLE office IN ACCESS EXCLUSIVE MODE");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(pg));
    PQclear(r);
    return pg;
}

Test(cli, deadline_exceeded_exits_5)
{
    PGconn *lock = lock_offices();
    const char *args[] = {"--timeout", "300", "whoami", NULL};
    long long t0 = h_now_ms();
    struct h_cli_run r = cli("central", false, args);
    long long took = h_now_ms() - t0;
    PQclear(PQexec(lock, "ROLLBACK"));
    PQfinish(lock);
    /* Either side may notice first: the client ("the call had 300 ms") or
     * the server (DEADLINE_EXCEEDED, from the grpc-timeout we sent). */
    expect(&r, "whoami with a 300 ms deadline", DEADLINE, NULL, NULL);
    cr_assert(strstr(r.err, "the call had 300 ms (from --timeout)") ||
                  strstr(r.err, "error: DEADLINE_EXCEEDED: "),
              "%s", r.err);
    cr_assert_lt(took, 3000, "a 300 ms deadline took %lld ms", took);
    h_cli_run_free(&r);
}

Test(cli, health_not_serving_exits_6)
{
    /* The daemon counts the applied migrations on every check: with the
     * record gone the schema looks incomplete. */
    h_db_exec(&db, "DELETE FROM vigil_migration");
    const char *args[] = {"health", NULL};
    struct h_cli_run r = cli("central", false, args);
    expect(&r, "health", NOT_SERVING, "NOT_SERVING\n", NULL);
    h_cli_run_free(&r);
}

/* Settings from the environment and config files, with flags on top.
 * The certificates are copied beside the config file, which names them by
 * relative paths (taken from the file's folder). */
Test(cli, settings_precedence)
{
    static const char GOOD[] = "[vigil]\n"
                               "address = @ADDR@\n"
                               "ca = ca.crt\n"
                               "cert = central.crt\n"
                               "key = central.key\n"
                               "server_name = localhost\n";
    static const char BAD_ADDRESS[] = "[vigil]\n"
                                      "address = @BAD@\n"
                                      "ca = ca.crt\n"
                                      "cert = central.crt\n"
                                      "key = central.key\n"
                                      "server_name = localhost\n";
    enum where { NONE, VIA_ENV, VIA_FLAG, VIA_XDG };
    static const struct {
        const char *name;
        const char *config; /* file contents; NULL = no file */
        enum where where;   /* how the CLI finds it */
        args_t env;         /* KEY=VALUE */
        args_t args;        /* before "whoami --format csv" */
        int rc;
        const char *out, *err;
    } cases[] = {
        {"config named by VIGIL_CONFIG",
         GOOD,
         VIA_ENV,
         {NULL},
         {NULL},
         OK,
         ",central,central,",
         NULL},
        {"config named by --config", GOOD, VIA_FLAG, {NULL}, {NULL}, OK, ",central,central,", NULL},
        {"default config in XDG_CONFIG_HOME",
         GOOD,
         VIA_XDG,
         {NULL},
         {NULL},
         OK,
         ",central,central,",
         NULL},
        {"environment beats the file",
         BAD_ADDRESS,
         VIA_ENV,
         {"VIGIL_ADDRESS=@ADDR@"},
         {NULL},
         OK,
         ",central,central,",
         NULL},
        {"flag beats the environment",
         BAD_ADDRESS,
         VIA_ENV,
         {"VIGIL_ADDRESS=@BAD@"},
         {"--address", "@ADDR@"},
         OK,
         ",central,central,",
         NULL},
        {"certificate from the environment beats the file's",
         GOOD,
         VIA_ENV,
         {"VIGIL_CERT=@CERTS@/partner.crt", "VIGIL_KEY=@CERTS@/partner.key"},
         {NULL},
         OK,
         ",partner,partner,",
         NULL},
        {"certificate flag beats the environment",
         GOOD,
         VIA_ENV,
         {"VIGIL_CERT=@CERTS@/partner.crt", "VIGIL_KEY=@CERTS@/partner.key"},
         {"--cert", "@CERTS@/regional.crt", "--key", "@CERTS@/regional.key"},
         OK,
         ",regional,regional,150,",
         NULL},
        {"an empty variable counts as unset",
         GOOD,
         VIA_ENV,
         {"VIGIL_ADDRESS="},
         {NULL},
         OK,
         ",central,central,",
         NULL},
        {"everything from the environment",
         NULL,
         NONE,
         {"VIGIL_ADDRESS=@ADDR@", "VIGIL_CA=@CERTS@/ca.crt", "VIGIL_CERT=@CERTS@/central.crt",
          "VIGIL_KEY=@CERTS@/central.key", "VIGIL_SERVER_NAME=localhost"},
         {NULL},
         OK,
         ",central,central,",
         NULL},
        {"the hint names the address and where it came from (file)",
         BAD_ADDRESS,
         VIA_ENV,
         {NULL},
         {NULL},
         CONNECT,
         NULL,
         "@BAD@ (from address in @DIR@/config)"},
        {"the hint names the address and where it came from (environment)",
         GOOD,
         VIA_ENV,
         {"VIGIL_ADDRESS=@BAD@"},
         {NULL},
         CONNECT,
         NULL,
         "@BAD@ (from VIGIL_ADDRESS)"},
        {"a missing named config is a usage error",
         NULL,
         VIA_ENV,
         {NULL},
         {NULL},
         USAGE,
         NULL,
         "cannot read config file @DIR@/config"},
        {"an unknown key names the file and line",
         "[vigil]\ncolour = red\n",
         VIA_ENV,
         {NULL},
         {NULL},
         USAGE,
         NULL,
         "@DIR@/config:2: unknown key \"colour\""},
        {"a bad value names the variable",
         GOOD,
         VIA_ENV,
         {"VIGIL_TIMEOUT_MS=-5"},
         {NULL},
         USAGE,
         NULL,
         "VIGIL_TIMEOUT_MS: \"-5\" is not a number"},
        {"a file that gives no certificate",
         "[vigil]\naddress = @ADDR@\nca = ca.crt\n",
         VIA_ENV,
         {NULL},
         {NULL},
         USAGE,
         NULL,
         "error: no client certificate"},
    };
    static const char *const copies[] = {"ca.crt", "central.crt", "central.key"};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[PATH_MAX], path[PATH_MAX], from[PATH_MAX];
        h_workdir(dir, "cliconf");
        for (size_t c = 0; c < sizeof(copies) / sizeof(copies[0]); c++) {
            h_path(from, sizeof(from), h_certs_dir(), copies[c]);
            h_path(path, sizeof(path), dir, copies[c]);
            h_copy_file(from, path);
        }
        const char *env[MAX_ARGS] = {NULL}, *args[MAX_ARGS + 4] = {NULL};
        size_t e = 0, a = 0;
        h_path(path, sizeof(path), dir, "config");
        if (cases[i].where == VIA_XDG) {
            /* $XDG_CONFIG_HOME/vigil/config, its certificates beside it. */
            char sub[PATH_MAX];
            h_path(sub, sizeof(sub), dir, "vigil");
            cr_assert_eq(mkdir(sub, 0700), 0, "mkdir %s", sub);
            for (size_t c = 0; c < sizeof(copies) / sizeof(copies[0]); c++) {
                h_path(from, sizeof(from), h_certs_dir(), copies[c]);
                h_path(path, sizeof(path), sub, copies[c]);
                h_copy_file(from, path);
            }
            h_path(path, sizeof(path), sub, "config");
            env[e++] = "XDG_CONFIG_HOME=@DIR@";
        } else if (cases[i].where == VIA_ENV) {
            env[e++] = "VIGIL_CONFIG=@DIR@/config";
        } else if (cases[i].where == VIA_FLAG) {
            args[a++] = "--config";
            args[a++] = "@DIR@/config";
        }
        if (cases[i].config != NULL) {
            char *text = expand(cases[i].config, dir);
            h_write_file(path, text, strlen(text));
            free(text);
        }
        for (size_t k = 0; k < MAX_ARGS && cases[i].env[k]; k++)
            env[e++] = cases[i].env[k];
        for (size_t k = 0; k < MAX_ARGS && cases[i].args[k]; k++)
            args[a++] = cases[i].args[k];
        args[a++] = "whoami";
        args[a++] = "--format";
        args[a++] = "csv";
        struct h_cli_run r = cli_bare(args, env, dir);
        char *out = cases[i].out ? expand(cases[i].out, dir) : NULL;
        char *err = cases[i].err ? expand(cases[i].err, dir) : NULL;
        expect(&r, cases[i].name, cases[i].rc, out, err);
        free(out);
        free(err);
        h_cli_run_free(&r);
    }
}

/* Failures that need no daemon at all. */
Test(cli_offline, nothing_listening_exits_3_naming_the_address)
{
    const char *args[] = {"--address", NOWHERE,
                          "--ca",      "@CERTS@/ca.crt",
                          "--cert",    "@CERTS@/central.crt",
                          "--key",     "@CERTS@/central.key",
                          "whoami",    NULL};
    struct h_cli_run r = cli_bare(args, NULL, "");
    expect(&r, "whoami at " NOWHERE, CONNECT, NULL,
           "is vigild listening at " NOWHERE " (from --address)");
    cr_assert_str_eq(r.out, "");
    h_cli_run_free(&r);
}

Test(cli_offline, unreadable_certificate_names_the_file_and_its_origin)
{
    const char *args[] = {"--address", NOWHERE, "--cert", "/nonexistent/me.crt", "health", NULL};
    struct h_cli_run r = cli_bare(args, NULL, "");
    expect(&r, "health with a missing certificate", CONNECT, NULL,
           "cannot read certificate /nonexistent/me.crt");
    expect(&r, "health with a missing certificate", CONNECT, NULL, "(from --cert)");
    h_cli_run_free(&r);
}

Test(cli_offline, version_and_help_need_no_settings)
{
    static const struct {
        args_t args;
        bool broken_config; /* VIGIL_CONFIG names a missing file */
        const char *out;
    } cases[] = {
        /* Before the command, neither environment nor file is read. */
        {{"--version"}, true, "vigil "},
        {{"--help"}, true, "Usage: vigil [OPTIONS] COMMAND"},
        {{"-h"}, true, "Commands (vigil COMMAND --help for details):"},
        {{"--help"}, true, "Exit codes:"},
        {{"health", "--help"}, false, "Usage: vigil health [OPTIONS]"},
        {{"whoami", "-h"}, false, "Usage: vigil whoami [OPTIONS]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const env[] = {cases[i].broken_config ? "VIGIL_CONFIG=/nonexistent" : NULL,
                                   NULL};
        struct h_cli_run r = cli_bare(cases[i].args, env, "");
        expect(&r, cases[i].args[0], OK, cases[i].out, NULL);
        cr_assert_str_eq(r.err, "", "%s", r.err);
        h_cli_run_free(&r);
    }
}
