/* office_admin: `vigild office ...`, the bootstrap commands that register
 * offices and their certificate fingerprints (see office_admin.h). Checks
 * every argument before connecting, so that a usage error never half-runs. */
#include "office_admin.h"

#include "certid.h"
#include "sql.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MUST_CHECK __attribute__((warn_unused_result))

#define NAME_MAX_CHARS 200 /* office.name CHECK in migrations/0001_offices.sql */
#define REGION_MAX     32  /* office.region CHECK, likewise */

enum { OPT_ROLE = 1, OPT_REGION = 2, OPT_FINGERPRINT = 4, OPT_SUBJECT = 8 };

/* One command's parsed command line. */
struct cli {
    const char *cmd;    /* "add", ... for messages */
    const char *pos[3]; /* positional arguments */
    int npos;
    const char *role;             /* --role */
    const char *region;           /* --region, NULL when absent */
    const char *fingerprint;      /* --fingerprint */
    const char *subject;          /* --subject */
    char hex[CERTID_HEX_LEN + 1]; /* --fingerprint normalised by check_cli */
};

struct command {
    const char *name;                              /* the word after "office" */
    int (*run)(PGconn *pg, const struct cli *cli); /* after check_cli passed */
    int nargs;                                     /* positional arguments required */
    int nargs_max;                                 /* and allowed */
    unsigned opts;                                 /* OPT_* accepted */
    const char *synopsis;                          /* after "vigild office " */
    const char *help;                              /* the rest of --help */
};

static const char TOP_USAGE[] =
    "Usage: vigild [OPTION]... office COMMAND [ARG]...\n"
    "Registers the offices that may call Vigil and their client certificates,\n"
    "connected to PostgreSQL as the schema owner (db_owner, else db).\n"
    "\n"
    "Commands:\n"
    "  add NAME --role ROLE [--region CODE]     create an office\n"
    "  add-cert NAME CERT.pem                   register a client certificate\n"
    "  add-cert NAME --fingerprint HEX [--subject CN]\n"
    "  list                                     show offices and fingerprints\n"
    "  disable NAME                             refuse the office's certificates\n"
    "  enable NAME                              accept them again\n"
    "\n"
    "Run 'vigild office COMMAND --help' for one command.\n"
    "Exit status: 0 done, 1 database or file failure, 2 usage error.\n";

/* Prints the message naming the bad argument, then where help is. */
static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    const char *sep = cmd != NULL ? " " : "";
    va_list ap;
    fprintf(stderr, "vigild office%s%s: ", sep, cmd != NULL ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vigild office%s%s --help'.\n", sep, cmd != NULL ? cmd : "");
    return OFFICE_EXIT_USAGE;
}

/* Prints a runtime failure; always returns OFFICE_EXIT_FAILURE. */
static int failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    return OFFICE_EXIT_FAILURE;
}

static int db_error(const struct cli *cli, const char *what, const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    fprintf(stderr, "vigild office %s: %s: %s", cli->cmd, what, PQresultErrorMessage(res));
    if (state != NULL && strcmp(state, "42P01") == 0)
        fprintf(stderr, "(is the schema there? 'vigild --migrate-only' creates it)\n");
    return OFFICE_EXIT_FAILURE;
}

/* Counts UTF-8 characters, as PostgreSQL's length() does. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static bool valid_name(const char *s)
{
    if (s[0] == '\0' || utf8_chars(s) > NAME_MAX_CHARS)
        return false;
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

static bool valid_region(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REGION_MAX)
        return false;
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    }
    return true;
}

static bool valid_role(const char *s)
{
    return strcmp(s, "regional") == 0 || strcmp(s, "central") == 0 || strcmp(s, "partner") == 0;
}

/* Accepts what people paste: upper or lower case, with or without the
 * colons of `openssl x509 -fingerprint`. Writes 64 lower-case digits. */
static MUST_CHECK bool parse_fingerprint(const char *in, char out[CERTID_HEX_LEN + 1])
{
    size_t n = 0;
    for (; *in != '\0'; in++) {
        if (*in == ':')
            continue;
        if (!isxdigit((unsigned char)*in) || n == CERTID_HEX_LEN)
            return false;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
    return n == CERTID_HEX_LEN;
}

static PGconn *db_connect(const struct config *cfg)
{
    const char *const kw[] = {"dbname", "fallback_application_name", NULL};
    const char *const val[] = {config_owner_conninfo(cfg), "vigild-office", NULL};
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "vigild office: cannot connect to the database: %s",
                pg != NULL ? PQerrorMessage(pg) : "out of memory\n");
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int cmd_add(PGconn *pg, const struct cli *cli)
{
    const char *params[] = {cli->pos[0], cli->role, cli->region};
    PGresult *res = PQexecParams(pg, SQL_OFFICE_INSERT, 3, NULL, params, NULL, NULL, 0);
    int rc = OFFICE_EXIT_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        printf("office \"%s\" added (id %s)\n", cli->pos[0], PQgetvalue(res, 0, 0));
    else if (state != NULL && strcmp(state, "23505") == 0)
        rc = failure("vigild office add: an office named \"%s\" already exists\n", cli->pos[0]);
    else if (state != NULL && strcmp(state, "23503") == 0)
        rc = failure("vigild office add: unknown region \"%s\" (a UN M49 code of the region "
                     "table, e.g. 142 Asia, 150 Europe)\n",
                     cli->region);
    else
        rc = db_error(cli, "cannot add the office", res);
    PQclear(res);
    return rc;
}

/* Reads the first certificate of a PEM file (the leaf, in a chain file). */
static MUST_CHECK bool read_cert(const char *path, char hex[CERTID_HEX_LEN + 1], char *cn,
                                 size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "vigild office add-cert: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL) {
        fprintf(stderr, "vigild office add-cert: %s holds no PEM certificate\n", path);
        return false;
    }
    certid_fingerprint(cert, hex);
    certid_subject_cn(cert, cn, cap);
    X509_free(cert);
    if (hex[0] == '\0') {
        fprintf(stderr, "vigild office add-cert: cannot hash %s (out of memory)\n", path);
        return false;
    }
    return true;
}

static int cmd_add_cert(PGconn *pg, const struct cli *cli)
{
    char hex[CERTID_HEX_LEN + 1];
    char cn[256] = "";
    if (cli->fingerprint != NULL) {
        memcpy(hex, cli->hex, sizeof(hex));
        snprintf(cn, sizeof(cn), "%s", cli->subject != NULL ? cli->subject : "");
    } else if (!read_cert(cli->pos[1], hex, cn, sizeof(cn))) {
        return OFFICE_EXIT_FAILURE;
    }
    const char *params[] = {cli->pos[0], hex, cn};
    PGresult *res = PQexecParams(pg, SQL_OFFICE_CERT_INSERT, 3, NULL, params, NULL, NULL, 0);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    int rc = OFFICE_EXIT_FAILURE;
    if (PQresultStatus(res) != PGRES_TUPLES_OK && state != NULL && strcmp(state, "23505") == 0)
        fprintf(stderr, "vigild office add-cert: certificate sha256=%s is already registered\n",
                hex);
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        db_error(cli, "cannot register the certificate", res);
    else if (PQntuples(res) == 0)
        fprintf(stderr, "vigild office add-cert: no office named \"%s\"\n", cli->pos[0]);
    else
        rc = OFFICE_EXIT_OK;
    if (rc == OFFICE_EXIT_OK)
        printf("certificate sha256=%s%s%s registered to office \"%s\"\n", hex,
               cn[0] != '\0' ? " CN=" : "", cn, cli->pos[0]);
    PQclear(res);
    return rc;
}

static int set_active(PGconn *pg, const struct cli *cli, bool active)
{
    const char *params[] = {cli->pos[0], active ? "true" : "false"};
    PGresult *res = PQexecParams(pg, SQL_OFFICE_SET_ACTIVE, 2, NULL, params, NULL, NULL, 0);
    int rc = OFFICE_EXIT_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_error(cli, "cannot update the office", res);
    else if (PQntuples(res) == 0)
        rc = failure("vigild office %s: no office named \"%s\"\n", cli->cmd, cli->pos[0]);
    else
        printf("office \"%s\" %s\n", cli->pos[0], active ? "enabled" : "disabled");
    PQclear(res);
    return rc;
}

static int cmd_disable(PGconn *pg, const struct cli *cli)
{
    return set_active(pg, cli, false);
}

static int cmd_enable(PGconn *pg, const struct cli *cli)
{
    return set_active(pg, cli, true);
}

/* Pads by characters, not bytes, so that accented names line up. */
static void print_cell(const char *s, size_t width)
{
    fputs(s, stdout);
    for (size_t n = utf8_chars(s); n < width; n++)
        putchar(' ');
    fputs("  ", stdout);
}

/* One row per office; further fingerprints continue on lines of their own
 * under the FINGERPRINTS column. */
static void print_offices(const PGresult *res)
{
    static const char *const head[] = {"NAME", "ROLE", "REGION", "ACTIVE"};
    size_t w[4];
    int rows = PQntuples(res);
    for (int c = 0; c < 4; c++)
        w[c] = strlen(head[c]);
    for (int r = 0; r < rows; r++) {
        size_t n = utf8_chars(PQgetvalue(res, r, 0));
        w[0] = n > w[0] ? n : w[0];
        w[1] = strlen(PQgetvalue(res, r, 1)) > w[1] ? strlen(PQgetvalue(res, r, 1)) : w[1];
        w[2] = strlen(PQgetvalue(res, r, 2)) > w[2] ? strlen(PQgetvalue(res, r, 2)) : w[2];
    }
    for (int c = 0; c < 4; c++)
        print_cell(head[c], w[c]);
    puts("FINGERPRINTS");
    for (int r = 0; r < rows; r++) {
        const char *cells[] = {PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                               PQgetisnull(res, r, 2) ? "-" : PQgetvalue(res, r, 2),
                               strcmp(PQgetvalue(res, r, 3), "t") == 0 ? "yes" : "no"};
        for (int c = 0; c < 4; c++)
            print_cell(cells[c], w[c]);
        const char *fp = PQgetvalue(res, r, 4);
        size_t indent = w[0] + w[1] + w[2] + w[3] + 8;
        for (bool first = true; *fp != '\0'; first = false) {
            size_t len = strcspn(fp, " ");
            printf("%*s%.*s\n", first ? 0 : (int)indent, "", (int)len, fp);
            fp += len + (fp[len] == ' ');
        }
        if (PQgetvalue(res, r, 4)[0] == '\0')
            puts("-");
    }
}

static int cmd_list(PGconn *pg, const struct cli *cli)
{
    PGresult *res = PQexec(pg, SQL_OFFICE_LIST);
    int rc = OFFICE_EXIT_OK;
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        print_offices(res);
    else
        rc = db_error(cli, "cannot list the offices", res);
    PQclear(res);
    return rc;
}

static const struct command commands[] = {
    {"add", cmd_add, 1, 1, OPT_ROLE | OPT_REGION, "add NAME --role ROLE [--region CODE]",
     "Creates an office. NAME: 1 to 200 characters, unique.\n"
     "  --role ROLE      regional, central or partner (required)\n"
     "  --region CODE    the region a regional office covers, with every region below\n"
     "                   it (required for regional): a UN M49 code of the region table,\n"
     "                   e.g. 142 (Asia), 035 (South-eastern Asia), 150 (Europe)\n"},
    {"add-cert", cmd_add_cert, 1, 2, OPT_FINGERPRINT | OPT_SUBJECT,
     "add-cert NAME (CERT.pem | --fingerprint HEX [--subject CN])",
     "Registers a client certificate of office NAME by the SHA-256 of its DER\n"
     "encoding. CERT.pem: the first certificate in the file is taken.\n"
     "  --fingerprint HEX  the SHA-256 instead of a file: 64 hex digits, colons allowed\n"
     "  --subject CN       informative subject to store with --fingerprint\n"},
    {"list", cmd_list, 0, 0, 0, "list",
     "Shows every office: name, role, region, active, certificate fingerprints.\n"},
    {"disable", cmd_disable, 1, 1, 0, "disable NAME",
     "Disables office NAME: calls with its certificates are refused from now on.\n"},
    {"enable", cmd_enable, 1, 1, 0, "enable NAME", "Enables office NAME again.\n"},
};

static void print_command_help(const struct command *c)
{
    printf("Usage: vigild [OPTION]... office %s\n%s", c->synopsis, c->help);
    printf("Exit status: 0 done, 1 database or file failure, 2 usage error.\n");
}

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"role", required_argument, NULL, OPT_ROLE},
    {"region", required_argument, NULL, OPT_REGION},
    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
    {"subject", required_argument, NULL, OPT_SUBJECT},
    {NULL, 0, NULL, 0},
};

static const char *option_name(int val)
{
    for (const struct option *o = long_opts; o->name != NULL; o++) {
        if (o->val == val)
            return o->name;
    }
    return "?";
}

/* Fills cli from argv (argv[0] is the command). Returns -1 to go on, or an
 * exit status (after --help, or a usage error). */
static int parse_cli(const struct command *c, int argc, char **argv, struct cli *cli)
{
    int ch;
    optind = 0; /* glibc: start afresh, main's getopt ran before */
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (ch == 'h') {
            print_command_help(c);
            return OFFICE_EXIT_OK;
        }
        if (ch == ':')
            return usage_error(c->name, "option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            return usage_error(c->name, "unknown option %s", argv[optind - 1]);
        if (!(c->opts & (unsigned)ch))
            return usage_error(c->name, "option --%s does not apply to %s", option_name(ch),
                               c->name);
        const char **slot = ch == OPT_ROLE      ? &cli->role
                            : ch == OPT_REGION  ? &cli->region
                            : ch == OPT_SUBJECT ? &cli->subject
                                                : &cli->fingerprint;
        *slot = optarg;
    }
    for (int i = optind; i < argc; i++) {
        if (cli->npos == c->nargs_max)
            return usage_error(c->name, "unexpected argument \"%s\"", argv[i]);
        cli->pos[cli->npos++] = argv[i];
    }
    return -1;
}

/* Checks every value before the database is touched. */
static int check_cli(const struct command *c, struct cli *cli)
{
    if (cli->npos < c->nargs)
        return usage_error(c->name, "NAME is required");
    if (c->nargs > 0 && !valid_name(cli->pos[0]))
        return usage_error(c->name, "NAME must be 1 to %d characters, no control characters",
                           NAME_MAX_CHARS);
    if (c->opts & OPT_ROLE) {
        if (cli->role == NULL || !valid_role(cli->role))
            return usage_error(c->name, "role must be one of regional, central, partner");
        if (cli->region != NULL && !valid_region(cli->region))
            return usage_error(c->name, "region must be 1 to %d letters, digits, '-' or '_'",
                               REGION_MAX);
        if (cli->region == NULL && strcmp(cli->role, "regional") == 0)
            return usage_error(c->name, "region is required for a regional office");
    }
    if (c->opts & OPT_FINGERPRINT) {
        if ((cli->fingerprint != NULL) == (cli->npos == 2))
            return usage_error(c->name, "give either CERT.pem or --fingerprint HEX");
        if (cli->fingerprint != NULL && !parse_fingerprint(cli->fingerprint, cli->hex))
            return usage_error(c->name, "fingerprint must be 64 hex digits (SHA-256)");
        if (cli->subject != NULL && cli->fingerprint == NULL)
            return usage_error(c->name, "subject goes with --fingerprint only");
    }
    return -1;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

int office_admin_main(const struct config *cfg, int argc, char **argv)
{
    if (argc < 2) {
        fputs(TOP_USAGE, stderr);
        return OFFICE_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(TOP_USAGE, stdout);
        return OFFICE_EXIT_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (c == NULL)
        return usage_error(NULL, "unknown command \"%s\"", argv[1]);

    struct cli cli = {.cmd = c->name};
    int rc = parse_cli(c, argc - 1, argv + 1, &cli);
    if (rc < 0)
        rc = check_cli(c, &cli);
    if (rc >= 0)
        return rc;
    PGconn *pg = db_connect(cfg);
    if (pg == NULL)
        return OFFICE_EXIT_FAILURE;
    rc = c->run(pg, &cli);
    PQfinish(pg);
    return rc;
}
