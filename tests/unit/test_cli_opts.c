/* Unit tests of client/cli/opts: precedence of flags over the environment
 * over the config file over defaults, config file discovery, path rewriting,
 * and the errors, as a table of cases (input beside expected output). */
#include "opts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* In every string of a case, "%D" stands for the test's temporary folder. */
struct env_var {
    const char *name, *value;
};

struct expect_str {
    const char *value; /* NULL = unset */
    enum opts_source source;
};

struct opts_case {
    const char *name;
    const char *argv[8];   /* after "vigil"; NULL-terminated */
    struct env_var env[6]; /* ended by a NULL name */
    const char *file;      /* config file text; NULL = none written */
    const char *file_at;   /* where, under %D; NULL = "cfg" */
    bool pass_path;        /* give "%D/cfg" to opts_resolve (else discovery) */
    const char *error;     /* expected substring of the error; NULL = success */
    /* expected on success */
    struct expect_str address, ca, cert, key;
    int timeout_ms;
    enum opts_source timeout_from;
    enum output_format format;
    bool no_cert, help;
    int command; /* argv index of the command */
};

#define DEF_ADDR                                                                                   \
    {                                                                                              \
        OPTS_DEFAULT_ADDRESS, OPTS_FROM_DEFAULT                                                    \
    }
#define UNSET                                                                                      \
    {                                                                                              \
        NULL, OPTS_FROM_DEFAULT                                                                    \
    }
#define DEF_TMO   OPTS_DEFAULT_TIMEOUT_MS, OPTS_FROM_DEFAULT
#define NO_RESULT UNSET, UNSET, UNSET, UNSET, 0, 0, 0, false, false, 0 /* error cases */

/* clang-format off */
static const struct opts_case cases[] = {
    {"defaults", {"health"}, {{NULL}}, NULL, NULL, false, NULL,
     DEF_ADDR, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"file only", {"health"}, {{NULL}},
     "[vigil]\naddress = file:1\ntimeout_ms = 2000\nformat = csv\n", NULL, true, NULL,
     {"file:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, 2000, OPTS_FROM_FILE, OUTPUT_CSV, false,
     false, 1},
    {"env beats file", {"health"}, {{"VIGIL_ADDRESS", "env:2"}, {NULL}},
     "[vigil]\naddress = file:1\ntimeout_ms = 2000\n", NULL, true, NULL,
     {"env:2", OPTS_FROM_ENV}, UNSET, UNSET, UNSET, 2000, OPTS_FROM_FILE, OUTPUT_TABLE, false,
     false, 1},
    {"flag beats env and file", {"--address", "flag:3", "--timeout=0", "health"},
     {{"VIGIL_ADDRESS", "env:2"}, {"VIGIL_TIMEOUT_MS", "500"}, {NULL}},
     "[vigil]\naddress = file:1\ntimeout_ms = 2000\n", NULL, true, NULL,
     {"flag:3", OPTS_FROM_FLAG}, UNSET, UNSET, UNSET, 0, OPTS_FROM_FLAG, OUTPUT_TABLE, false,
     false, 4},
    {"empty variable is unset", {"health"}, {{"VIGIL_ADDRESS", ""}, {NULL}},
     "[vigil]\naddress = file:1\n", NULL, true, NULL,
     {"file:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"empty flag unsets a file value", {"--ca", "", "health"}, {{NULL}},
     "[vigil]\nca = /etc/ca.pem\n", NULL, true, NULL,
     DEF_ADDR, {NULL, OPTS_FROM_FLAG}, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 3},
    {"file paths: relative, home, absolute", {"health"}, {{"HOME", "/home/u"}, {NULL}},
     "[vigil]\nca = /etc/ca.pem\ncert = certs/c.pem\nkey = ~/k.pem\n", NULL, true, NULL,
     DEF_ADDR, {"/etc/ca.pem", OPTS_FROM_FILE}, {"%D/certs/c.pem", OPTS_FROM_FILE},
     {"/home/u/k.pem", OPTS_FROM_FILE}, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"environment paths are taken as they are", {"health"},
     {{"VIGIL_CA", "rel.pem"}, {"VIGIL_CERT", "~/c.pem"}, {NULL}}, NULL, NULL, false, NULL,
     DEF_ADDR, {"rel.pem", OPTS_FROM_ENV}, {"~/c.pem", OPTS_FROM_ENV}, UNSET, DEF_TMO,
     OUTPUT_TABLE, false, false, 1},
    {"flag certificate beats file no_cert", {"--cert", "c.pem", "whoami"}, {{NULL}},
     "[vigil]\nno_cert = true\n", NULL, true, NULL,
     DEF_ADDR, UNSET, {"c.pem", OPTS_FROM_FLAG}, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 3},
    {"flag no-cert beats file certificate", {"--no-cert", "whoami"}, {{NULL}},
     "[vigil]\ncert = /c.pem\n", NULL, true, NULL,
     DEF_ADDR, UNSET, {"/c.pem", OPTS_FROM_FILE}, UNSET, DEF_TMO, OUTPUT_TABLE, true, false, 2},
    {"options stop at the command", {"--format", "json", "whoami", "--address", "x:1"},
     {{NULL}}, NULL, NULL, false, NULL,
     DEF_ADDR, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_JSON, false, false, 3},
    {"help reads no file", {"--help"}, {{NULL}}, "garbage", NULL, true, NULL,
     DEF_ADDR, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, true, 2},
    {"VIGIL_CONFIG names the file", {"health"}, {{"VIGIL_CONFIG", "%D/cfg"}, {NULL}},
     "[vigil]\naddress = vc:1\n", NULL, false, NULL,
     {"vc:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"--config beats VIGIL_CONFIG", {"--config", "%D/cfg", "health"},
     {{"VIGIL_CONFIG", "%D/nope"}, {NULL}}, "[vigil]\naddress = cf:1\n", NULL, false, NULL,
     {"cf:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 3},
    {"XDG_CONFIG_HOME before HOME", {"health"},
     {{"XDG_CONFIG_HOME", "%D/xdg"}, {"HOME", "%D/home"}, {NULL}},
     "[vigil]\naddress = xdg:1\n", "xdg/vigil/config", false, NULL,
     {"xdg:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"HOME's .config", {"health"}, {{"HOME", "%D/home"}, {NULL}},
     "[vigil]\naddress = home:1\n", "home/.config/vigil/config", false, NULL,
     {"home:1", OPTS_FROM_FILE}, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    {"absent default file is fine", {"health"}, {{"HOME", "%D/nobody"}, {NULL}}, NULL, NULL,
     false, NULL, DEF_ADDR, UNSET, UNSET, UNSET, DEF_TMO, OUTPUT_TABLE, false, false, 1},
    /* errors */
    {"absent named file", {"health"}, {{"VIGIL_CONFIG", "%D/nope"}, {NULL}}, NULL, NULL, false,
     "cannot read config file %D/nope", NO_RESULT},
    {"no-cert and cert from the same source", {"--no-cert", "--cert", "c.pem", "x"}, {{NULL}},
     NULL, NULL, false, "--no-cert conflicts with --cert", NO_RESULT},
    {"bad timeout in the environment", {"health"}, {{"VIGIL_TIMEOUT_MS", "soon"}, {NULL}}, NULL,
     NULL, false, "VIGIL_TIMEOUT_MS: \"soon\" is not a number", NO_RESULT},
    {"bad format flag", {"--format", "xml", "health"}, {{NULL}}, NULL, NULL, false,
     "--format: \"xml\" is not a format", NO_RESULT},
    {"timeout out of range", {"--timeout", "-1", "health"}, {{NULL}}, NULL, NULL, false,
     "--timeout: \"-1\"", NO_RESULT},
    {"unknown key names file and line", {"health"}, {{NULL}}, "[vigil]\n\nadress = x:1\n", NULL,
     true, "%D/cfg:3: unknown key \"adress\"", NO_RESULT},
    {"key outside [vigil]", {"health"}, {{NULL}}, "address = x:1\n", NULL, true,
     "%D/cfg:1: key \"address\" outside section [vigil]", NO_RESULT},
    {"bad value in file", {"health"}, {{NULL}}, "[vigil]\nno_cert = maybe\n", NULL, true,
     "%D/cfg:2: \"maybe\" is not a boolean", NO_RESULT},
    {"empty address", {"--address", "", "health"}, {{NULL}}, NULL, NULL, false,
     "--address: the address cannot be empty", NO_RESULT},
    {"unknown option", {"--adress", "x:1", "health"}, {{NULL}}, NULL, NULL, false,
     "unknown or ambiguous option --adress", NO_RESULT},
    {"missing value", {"--address"}, {{NULL}}, NULL, NULL, false,
     "option --address needs a value", NO_RESULT},
};
/* clang-format on */

static char tmp[64];

/* Replaces "%D" by the temporary folder; the result is static, one of two. */
static const char *sub(const char *s)
{
    static char bufs[2][512];
    static int next;
    char *out = bufs[next++ % 2], *o = out;

    if (s == NULL)
        return NULL;
    for (; *s != '\0' && o < out + 500; s++) {
        if (s[0] == '%' && s[1] == 'D') {
            o += snprintf(o, 500 - (size_t)(o - out), "%s", tmp);
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

struct env_ctx {
    const struct env_var *vars;
    char values[6][512];
};

static const char *lookup(const char *name, void *ctx)
{
    struct env_ctx *e = ctx;

    for (int i = 0; e->vars[i].name != NULL; i++) {
        if (strcmp(e->vars[i].name, name) == 0)
            return e->values[i];
    }
    return NULL;
}

static void write_file(const char *rel, const char *text)
{
    char path[512], dir[512];

    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    for (char *p = strchr(path + strlen(tmp) + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(p - path), path);
        mkdir(dir, 0700);
    }
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_files(void)
{
    static const char *const files[] = {"cfg",
                                        "xdg/vigil/config",
                                        "xdg/vigil",
                                        "xdg",
                                        "home/.config/vigil/config",
                                        "home/.config/vigil",
                                        "home/.config",
                                        "home"};
    char path[512];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmp, files[i]);
        if (remove(path) != 0)
            continue; /* most cases write only one of them */
    }
}

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/test_cli_opts.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    remove_files();
    rmdir(tmp);
}

static void expect_str(const struct opts_case *c, const char *what, const char *got,
                       enum opts_source got_from, struct expect_str want)
{
    const char *w = sub(want.value);

    if (w == NULL)
        cr_expect_null(got, "%s: %s is \"%s\", expected unset", c->name, what, got);
    else
        cr_expect(got != NULL && strcmp(got, w) == 0, "%s: %s is \"%s\", expected \"%s\"", c->name,
                  what, got ? got : "(unset)", w);
    cr_expect_eq(got_from, want.source, "%s: %s came from %d, expected %d", c->name, what, got_from,
                 want.source);
}

static void check_success(const struct opts_case *c, const struct opts *o)
{
    expect_str(c, "address", o->address, o->source[OPTS_ADDRESS], c->address);
    expect_str(c, "ca", o->ca, o->source[OPTS_CA], c->ca);
    expect_str(c, "cert", o->cert, o->source[OPTS_CERT], c->cert);
    expect_str(c, "key", o->key, o->source[OPTS_KEY], c->key);
    cr_expect_eq(o->timeout_ms, c->timeout_ms, "%s: timeout %d", c->name, o->timeout_ms);
    cr_expect_eq(o->source[OPTS_TIMEOUT], c->timeout_from, "%s: timeout source", c->name);
    cr_expect_eq(o->format, c->format, "%s: format %d", c->name, o->format);
    cr_expect_eq(o->no_cert, c->no_cert, "%s: no_cert", c->name);
    cr_expect_eq(o->help, c->help, "%s: help", c->name);
    cr_expect_eq(o->command, c->command, "%s: command at %d", c->name, o->command);
}

static void run_case(const struct opts_case *c)
{
    char *argv[10] = {"vigil"};
    char argbuf[8][512], err[512] = "";
    struct env_ctx env = {.vars = c->env};
    struct opts o;
    int argc = 1;
    char cfg[512];

    for (int i = 0; c->argv[i] != NULL; i++) {
        snprintf(argbuf[i], sizeof(argbuf[i]), "%s", sub(c->argv[i]));
        argv[argc++] = argbuf[i];
    }
    for (int i = 0; c->env[i].name != NULL; i++)
        snprintf(env.values[i], sizeof(env.values[i]), "%s", sub(c->env[i].value));
    remove_files();
    if (c->file != NULL)
        write_file(c->file_at != NULL ? c->file_at : "cfg", c->file);
    snprintf(cfg, sizeof(cfg), "%s/cfg", tmp);

    opts_init(&o);
    bool ok =
        opts_resolve(&o, argc, argv, lookup, &env, c->pass_path ? cfg : NULL, err, sizeof(err));
    if (c->error != NULL) {
        const char *want = sub(c->error);
        cr_expect(!ok, "%s: succeeded, expected an error", c->name);
        cr_expect(strstr(err, want) != NULL, "%s: error \"%s\", expected \"%s\"", c->name, err,
                  want);
    } else {
        cr_expect(ok, "%s: failed: %s", c->name, err);
        if (ok)
            check_success(c, &o);
    }
    opts_clear(&o);
}

Test(cli_opts, precedence_table, .init = setup, .fini = teardown)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

Test(cli_opts, command_flags_override, .init = setup, .fini = teardown)
{
    struct option lo[OPTS_NKEYS];
    struct opts o;
    char err[256];
    size_t n = opts_long_options(lo);

    cr_assert_eq(n, OPTS_NKEYS);
    opts_init(&o);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lo[i].name, "timeout") == 0)
            cr_expect(opts_apply_flag(&o, lo[i].val, "250", err, sizeof(err)), "%s", err);
        if (strcmp(lo[i].name, "no-cert") == 0)
            cr_expect(opts_apply_flag(&o, lo[i].val, NULL, err, sizeof(err)), "%s", err);
        if (strcmp(lo[i].name, "format") == 0)
            cr_expect(!opts_apply_flag(&o, lo[i].val, "yaml", err, sizeof(err)));
    }
    cr_expect_eq(o.timeout_ms, 250);
    cr_expect_eq(o.source[OPTS_TIMEOUT], OPTS_FROM_FLAG);
    cr_expect(o.no_cert);
    cr_expect_eq(o.format, OUTPUT_TABLE);
    cr_expect(!opts_apply_flag(&o, 5, "x", err, sizeof(err)), "not a global option");
    opts_clear(&o);
}

Test(cli_opts, origin_and_hint, .init = setup, .fini = teardown)
{
    struct env_var vars[] = {{"VIGIL_CERT", "/c.pem"}, {NULL, NULL}};
    struct env_ctx env = {.vars = vars};
    char *argv[] = {"vigil", "--ca", "/ca.pem", "whoami", NULL};
    char err[256], buf[256], cfg[512];
    struct opts o;

    snprintf(env.values[0], sizeof(env.values[0]), "/c.pem");
    write_file("cfg", "[vigil]\ntimeout_ms = 100\n");
    snprintf(cfg, sizeof(cfg), "%s/cfg", tmp);
    opts_init(&o);
    cr_assert(opts_resolve(&o, 4, argv, lookup, &env, cfg, err, sizeof(err)), "%s", err);
    opts_origin(&o, OPTS_CA, buf, sizeof(buf));
    cr_expect_str_eq(buf, "--ca");
    opts_origin(&o, OPTS_CERT, buf, sizeof(buf));
    cr_expect_str_eq(buf, "VIGIL_CERT");
    opts_origin(&o, OPTS_ADDRESS, buf, sizeof(buf));
    cr_expect_str_eq(buf, "the default");
    opts_origin(&o, OPTS_TIMEOUT, buf, sizeof(buf));
    cr_expect(strstr(buf, "timeout_ms in ") == buf && strstr(buf, "/cfg") != NULL, "%s", buf);
    opts_hint(&o, OPTS_CERT, buf, sizeof(buf));
    cr_expect(strncmp(buf, "set --cert or VIGIL_CERT, or cert in ", 37) == 0, "%s", buf);
    cr_expect(o.config_read);
    opts_clear(&o);
}
