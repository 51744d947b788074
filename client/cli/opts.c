/* opts: the table of the CLI's global settings and their resolution from
 * flags, environment and the INI config file (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TIMEOUT_MS 86400000
#define OPT_CONFIG     (OPTS_OPTION_BASE - 1)

enum opts_type {
    T_STRING, /* free text */
    T_PATH,   /* a file; relative in the config file means beside the file */
    T_INT,    /* milliseconds, 0..MAX_TIMEOUT_MS */
    T_FORMAT, /* enum output_format */
    T_BOOL,   /* a flag without argument sets it */
};

struct opts_setting {
    const char *key;  /* in section [vigil] of the config file */
    const char *flag; /* long option, without "--" */
    const char *env;  /* environment variable */
    enum opts_type type;
    size_t offset;    /* of the field in struct opts */
    const char *arg;  /* argument name in --help; NULL for T_BOOL */
    const char *def;  /* default as text; NULL = unset */
    const char *help; /* one line for --help */
};

#define F(field) offsetof(struct opts, field)

/* clang-format off */
static const struct opts_setting settings[OPTS_NKEYS] = {
    [OPTS_ADDRESS] = {"address", "address", "VIGIL_ADDRESS", T_STRING, F(address), "HOST:PORT",
        OPTS_DEFAULT_ADDRESS, "server to call (IPv6 as [::1]:7443)"},
    [OPTS_CA] = {"ca", "ca", "VIGIL_CA", T_PATH, F(ca), "FILE", NULL,
        "CA certificates (PEM) the server must chain to; default: system store"},
    [OPTS_CERT] = {"cert", "cert", "VIGIL_CERT", T_PATH, F(cert), "FILE", NULL,
        "this office's client certificate (PEM)"},
    [OPTS_KEY] = {"key", "key", "VIGIL_KEY", T_PATH, F(key), "FILE", NULL,
        "its private key (PEM, unencrypted); default: inside the certificate file"},
    [OPTS_SERVER_NAME] = {"server_name", "server-name", "VIGIL_SERVER_NAME", T_STRING,
        F(server_name), "NAME", NULL,
        "name the server certificate must carry; default: the host of the address"},
    [OPTS_TIMEOUT] = {"timeout_ms", "timeout", "VIGIL_TIMEOUT_MS", T_INT, F(timeout_ms), "MS",
        "10000", "deadline of connecting and of each call; 0 = no call deadline"},
    [OPTS_FORMAT] = {"format", "format", "VIGIL_FORMAT", T_FORMAT, F(format), "FMT", "table",
        "output format: table, csv or json"},
    [OPTS_NO_CERT] = {"no_cert", "no-cert", "VIGIL_NO_CERT", T_BOOL, F(no_cert), NULL, "false",
        "connect without a client certificate (public listener)"},
};
/* clang-format on */

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

/* A path from the config file: "~/x" is under home, "x" beside the file. */
static char *file_path(const char *value, const char *file_dir, const char *home)
{
    const char *base = NULL, *rest = value;
    char *out;

    if (strncmp(value, "~/", 2) == 0 && home != NULL) {
        base = home;
        rest = value + 2;
    } else if (value[0] != '/' && file_dir != NULL) {
        base = file_dir;
    }
    if (base == NULL)
        return strdup(value);
    size_t len = strlen(base) + strlen(rest) + 2;
    if ((out = malloc(len)) != NULL)
        snprintf(out, len, "%s/%s", base, rest);
    return out;
}

static bool set_string(struct opts *o, enum opts_key k, const char *value, const char *file_dir,
                       const char *home, char *err, size_t cap)
{
    char **field = (char **)((char *)o + settings[k].offset);
    char *copy = NULL;

    /* Empty means "unset", so a flag or variable can undo a config file's value. */
    if (value[0] == '\0' && k == OPTS_ADDRESS) {
        snprintf(err, cap, "the address cannot be empty");
        return false;
    }
    if (value[0] != '\0') {
        copy = settings[k].type == T_PATH && file_dir != NULL ? file_path(value, file_dir, home)
                                                              : strdup(value);
        if (copy == NULL) {
            snprintf(err, cap, "out of memory");
            return false;
        }
    }
    free(*field);
    *field = copy;
    return true;
}

/* Sets k from text. file_dir is the config file's folder for values from the
 * file, else NULL. The message, if any, is about the value only. */
static bool set_value(struct opts *o, enum opts_key k, const char *value, const char *file_dir,
                      const char *home, char *err, size_t cap)
{
    const struct opts_setting *s = &settings[k];
    void *field = (char *)o + s->offset;
    char *end;

    switch (s->type) {
    case T_STRING:
    case T_PATH:
        return set_string(o, k, value, file_dir, home, err, cap);
    case T_INT:
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || n < 0 || n > MAX_TIMEOUT_MS) {
            snprintf(err, cap, "\"%s\" is not a number of milliseconds (0..%d)", value,
                     MAX_TIMEOUT_MS);
            return false;
        }
        *(int *)field = (int)n;
        return true;
    case T_FORMAT:
        if (!output_format_parse(value, field)) {
            snprintf(err, cap, "\"%s\" is not a format (table, csv or json)", value);
            return false;
        }
        return true;
    case T_BOOL:
        if (!parse_bool(value, field)) {
            snprintf(err, cap, "\"%s\" is not a boolean (true or false)", value);
            return false;
        }
        return true;
    }
    return false;
}

/* Sets k from a source, prefixing any message with where the value came from. */
static bool set_from(struct opts *o, enum opts_key k, const char *value, enum opts_source src,
                     const char *where, const char *file_dir, const char *home, char *err,
                     size_t cap)
{
    char msg[256];

    if (!set_value(o, k, value, file_dir, home, msg, sizeof(msg))) {
        snprintf(err, cap, "%s: %s", where, msg);
        return false;
    }
    o->source[k] = src;
    return true;
}

void opts_init(struct opts *o)
{
    char scratch[64];

    memset(o, 0, sizeof(*o));
    for (int k = 0; k < OPTS_NKEYS; k++) {
        /* The defaults are constants checked by the unit tests; a failure
         * here could only leave the zero value. */
        if (settings[k].def != NULL)
            (void)set_value(o, k, settings[k].def, NULL, NULL, scratch, sizeof(scratch));
    }
}

void opts_clear(struct opts *o)
{
    for (int k = 0; k < OPTS_NKEYS; k++) {
        if (settings[k].type == T_STRING || settings[k].type == T_PATH)
            free(*(char **)((char *)o + settings[k].offset));
    }
    free(o->config_path);
    memset(o, 0, sizeof(*o));
}

size_t opts_long_options(struct option *out)
{
    for (int k = 0; k < OPTS_NKEYS; k++) {
        out[k] = (struct option){settings[k].flag,
                                 settings[k].arg != NULL ? required_argument : no_argument, NULL,
                                 OPTS_OPTION_BASE + k};
    }
    return OPTS_NKEYS;
}

/* ---- flags ---- */

struct flags {
    const char *value[OPTS_NKEYS]; /* borrowed from argv; NULL = not given */
    const char *config;            /* --config */
};

static void getopt_error(int c, char *argv[], char *err, size_t cap)
{
    const char *arg = argv[optind - 1];

    if (c == ':')
        snprintf(err, cap, "option %s needs a value", arg);
    else if (optopt != 0)
        snprintf(err, cap, "unknown option -%c", optopt);
    else
        snprintf(err, cap, "unknown or ambiguous option %s", arg);
}

static bool parse_flags(struct opts *o, struct flags *fl, int argc, char *argv[], char *err,
                        size_t cap)
{
    struct option lo[OPTS_NKEYS + 4];
    size_t n = opts_long_options(lo);
    int c;

    lo[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n++] = (struct option){"version", no_argument, NULL, 'V'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* GNU: re-initialise fully, so that parsing can run again */
    opterr = 0;
    /* "+": stop at the command name; ":": report a missing value as ':'. */
    while ((c = getopt_long(argc, argv, "+:hV", lo, NULL)) != -1) {
        if (c == 'h') {
            o->help = true;
        } else if (c == 'V') {
            o->version = true;
        } else if (c == OPT_CONFIG) {
            fl->config = optarg;
        } else if (c >= OPTS_OPTION_BASE && c < OPTS_OPTION_BASE + OPTS_NKEYS) {
            fl->value[c - OPTS_OPTION_BASE] = optarg != NULL ? optarg : "true";
        } else {
            getopt_error(c, argv, err, cap);
            return false;
        }
    }
    o->command = optind;
    return true;
}

/* ---- config file ---- */

struct file_ctx {
    struct opts *o;
    FILE *f;
    const char *path;
    char *dir;        /* folder of path, for relative paths in it */
    const char *home; /* for "~/" */
    int line;         /* counted by read_line, since inih's handler has no line */
    int long_line;    /* first line longer than inih's buffer; 0 = none */
    bool failed;
    char *err;
    size_t cap;
};

static char *read_line(char *buf, int num, void *stream)
{
    struct file_ctx *fc = stream;
    char *s = fgets(buf, num, fc->f);

    if (s == NULL)
        return NULL;
    fc->line++;
    size_t len = strlen(s);
    if (fc->long_line == 0 && len + 1 == (size_t)num && s[len - 1] != '\n' && !feof(fc->f))
        fc->long_line = fc->line;
    return s;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct file_ctx *fc = user;
    char where[300];

    if (fc->failed)
        return 0;
    snprintf(where, sizeof(where), "%s:%d", fc->path, fc->line);
    if (strcmp(section, "vigil") != 0) {
        snprintf(fc->err, fc->cap, "%s: key \"%s\" outside section [vigil]", where, name);
        fc->failed = true;
        return 0;
    }
    for (int k = 0; k < OPTS_NKEYS; k++) {
        if (strcmp(name, settings[k].key) == 0) {
            fc->failed = !set_from(fc->o, k, value, OPTS_FROM_FILE, where, fc->dir, fc->home,
                                   fc->err, fc->cap);
            return !fc->failed;
        }
    }
    snprintf(fc->err, fc->cap, "%s: unknown key \"%s\" (see vigil --help)", where, name);
    fc->failed = true;
    return 0;
}

static bool load_file(struct opts *o, bool must_exist, const char *home, char *err, size_t cap)
{
    struct file_ctx fc = {.o = o, .path = o->config_path, .home = home, .err = err, .cap = cap};
    char *slash;

    if ((fc.f = fopen(o->config_path, "r")) == NULL) {
        if (errno == ENOENT && !must_exist)
            return true;
        snprintf(err, cap, "cannot read config file %s: %s", o->config_path, strerror(errno));
        return false;
    }
    if ((fc.dir = strdup(o->config_path)) == NULL) {
        fclose(fc.f);
        snprintf(err, cap, "out of memory");
        return false;
    }
    slash = strrchr(fc.dir, '/');
    if (slash == NULL)
        strcpy(fc.dir, ".");
    else
        slash[slash == fc.dir ? 1 : 0] = '\0';
    int rc = ini_parse_stream(read_line, &fc, on_ini, &fc);
    fclose(fc.f);
    free(fc.dir);
    if (fc.long_line != 0)
        snprintf(err, cap, "%s:%d: line too long", o->config_path, fc.long_line);
    else if (!fc.failed && rc > 0)
        snprintf(err, cap, "%s:%d: syntax error (expected [vigil] or key = value)", o->config_path,
                 rc);
    else if (!fc.failed && rc < 0)
        snprintf(err, cap, "cannot parse config file %s: out of memory", o->config_path);
    if (fc.long_line != 0 || fc.failed || rc != 0)
        return false;
    o->config_read = true;
    return true;
}

static const char *env_get(opts_getenv_fn env, void *ctx, const char *name)
{
    const char *v = env != NULL ? env(name, ctx) : NULL;

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Picks the config file; *must_exist is true when it was named explicitly. */
static bool locate_file(struct opts *o, const char *given, const struct flags *fl,
                        opts_getenv_fn env, void *ctx, bool *must_exist)
{
    const char *xdg = env_get(env, ctx, "XDG_CONFIG_HOME");
    const char *home = env_get(env, ctx, "HOME");
    const char *named = given != NULL        ? given
                        : fl->config != NULL ? fl->config
                                             : env_get(env, ctx, "VIGIL_CONFIG");
    char buf[PATH_MAX];

    *must_exist = named != NULL;
    if (named != NULL)
        snprintf(buf, sizeof(buf), "%s", named);
    else if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, sizeof(buf), "%s/vigil/config", xdg);
    else if (home != NULL)
        snprintf(buf, sizeof(buf), "%s/.config/vigil/config", home);
    else
        return true; /* nowhere to look */
    return (o->config_path = strdup(buf)) != NULL;
}

/* --no-cert against --cert/--key: the more specific source wins; from the
 * same source they conflict. */
static bool reconcile(struct opts *o, char *err, size_t cap)
{
    enum opts_key other = o->cert != NULL ? OPTS_CERT : OPTS_KEY;

    if (!o->no_cert || (o->cert == NULL && o->key == NULL))
        return true;
    if (o->source[other] == o->source[OPTS_NO_CERT]) {
        char a[300], b[300];
        opts_origin(o, OPTS_NO_CERT, a, sizeof(a));
        opts_origin(o, other, b, sizeof(b));
        snprintf(err, cap, "%s conflicts with %s: choose one", a, b);
        return false;
    }
    if (o->source[other] > o->source[OPTS_NO_CERT])
        o->no_cert = false;
    return true;
}

bool opts_resolve(struct opts *o, int argc, char *argv[], opts_getenv_fn env, void *env_ctx,
                  const char *config_path, char *err, size_t cap)
{
    struct flags fl = {{NULL}, NULL};
    bool must_exist;
    const char *home = env_get(env, env_ctx, "HOME");

    if (!parse_flags(o, &fl, argc, argv, err, cap))
        return false;
    if (o->help || o->version)
        return true;
    if (!locate_file(o, config_path, &fl, env, env_ctx, &must_exist)) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    if (o->config_path != NULL && !load_file(o, must_exist, home, err, cap))
        return false;
    for (int k = 0; k < OPTS_NKEYS; k++) {
        const char *v = env_get(env, env_ctx, settings[k].env);
        if (v != NULL && !set_from(o, k, v, OPTS_FROM_ENV, settings[k].env, NULL, NULL, err, cap))
            return false;
    }
    for (int k = 0; k < OPTS_NKEYS; k++) {
        char where[64];
        snprintf(where, sizeof(where), "--%s", settings[k].flag);
        if (fl.value[k] != NULL &&
            !set_from(o, k, fl.value[k], OPTS_FROM_FLAG, where, NULL, NULL, err, cap))
            return false;
    }
    return reconcile(o, err, cap);
}

bool opts_apply_flag(struct opts *o, int val, const char *arg, char *err, size_t cap)
{
    int k = val - OPTS_OPTION_BASE;
    char where[64];

    if (k < 0 || k >= OPTS_NKEYS) {
        snprintf(err, cap, "internal error: option %d is not a global option", val);
        return false;
    }
    snprintf(where, sizeof(where), "--%s", settings[k].flag);
    if (!set_from(o, k, arg != NULL ? arg : "true", OPTS_FROM_FLAG, where, NULL, NULL, err, cap))
        return false;
    return reconcile(o, err, cap);
}

void opts_origin(const struct opts *o, enum opts_key k, char *buf, size_t cap)
{
    switch (o->source[k]) {
    case OPTS_FROM_FLAG:
        snprintf(buf, cap, "--%s", settings[k].flag);
        break;
    case OPTS_FROM_ENV:
        snprintf(buf, cap, "%s", settings[k].env);
        break;
    case OPTS_FROM_FILE:
        snprintf(buf, cap, "%s in %s", settings[k].key, o->config_path);
        break;
    default:
        snprintf(buf, cap, "the default");
        break;
    }
}

void opts_hint(const struct opts *o, enum opts_key k, char *buf, size_t cap)
{
    const char *file = o->config_path != NULL ? o->config_path : "~/.config/vigil/config";

    snprintf(buf, cap, "set --%s or %s, or %s in %s", settings[k].flag, settings[k].env,
             settings[k].key, file);
}

void opts_print_help(FILE *f)
{
    char left[64];

    for (int k = 0; k < OPTS_NKEYS; k++) {
        const struct opts_setting *s = &settings[k];
        snprintf(left, sizeof(left), "--%s%s%s", s->flag, s->arg != NULL ? " " : "",
                 s->arg != NULL ? s->arg : "");
        fprintf(f, "  %-22s %s\n  %-22s [%s; %s in the config file%s%s]\n", left, s->help, "",
                s->env, s->key, s->def != NULL ? "; default " : "", s->def != NULL ? s->def : "");
    }
    fprintf(f, "  %-22s %s\n", "--config FILE",
            "config file (INI, section [vigil]) [VIGIL_CONFIG; default\n"
            "                         $XDG_CONFIG_HOME/vigil/config or ~/.config/vigil/config]");
    fprintf(f, "  %-22s %s\n  %-22s %s\n", "-h, --help", "this help (also after a command)",
            "-V, --version", "the version");
}
