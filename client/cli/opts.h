/* opts: the CLI's global settings (server address, TLS files, timeout,
 * output format) and where each came from. One table (opts.c) lists every
 * setting with its flag, environment variable and config file key; parsing,
 * precedence and the help text are driven from it.
 *
 * Precedence: flags > environment > config file > defaults. The config file
 * is INI, section [vigil]: --config FILE, else $VIGIL_CONFIG, else
 * $XDG_CONFIG_HOME/vigil/config, else $HOME/.config/vigil/config. A file named
 * by --config or VIGIL_CONFIG must exist; a default one may be absent.
 * Relative paths (and "~/") in the file are taken from the file's folder (and
 * $HOME). An empty environment variable counts as unset. */
#ifndef VIGIL_CLI_OPTS_H
#define VIGIL_CLI_OPTS_H

#include "output.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTS_DEFAULT_ADDRESS    "127.0.0.1:7443"
#define OPTS_DEFAULT_TIMEOUT_MS 10000

/* The settings, in table order. */
enum opts_key {
    OPTS_ADDRESS,
    OPTS_CA,
    OPTS_CERT,
    OPTS_KEY,
    OPTS_SERVER_NAME,
    OPTS_TIMEOUT,
    OPTS_FORMAT,
    OPTS_NO_CERT,
    OPTS_NKEYS,
};

/* Where a value came from, in increasing precedence. */
enum opts_source { OPTS_FROM_DEFAULT, OPTS_FROM_FILE, OPTS_FROM_ENV, OPTS_FROM_FLAG };

struct opts {
    char *address;                       /* HOST:PORT of the server; never NULL */
    char *ca;                            /* CA bundle (PEM); NULL = the system trust store */
    char *cert;                          /* client certificate (PEM); NULL = none */
    char *key;                           /* its private key; NULL = inside cert */
    char *server_name;                   /* name the server certificate must match; NULL = host */
    int timeout_ms;                      /* deadline of each call and of connecting; 0 = none */
    enum output_format format;           /* --format */
    bool no_cert;                        /* connect without a client certificate */
    enum opts_source source[OPTS_NKEYS]; /* where each setting came from */
    char *config_path; /* the config file consulted (read or absent); NULL = none */
    bool config_read;  /* config_path existed and was read */
    bool help;         /* --help before the command */
    bool version;      /* --version */
    int command;       /* argv index of the command name; argc when none */
};

/* Looks up an environment variable; NULL when unset. ctx is the caller's. */
typedef const char *(*opts_getenv_fn)(const char *name, void *ctx);

/* Sets the defaults. Everything owned by o is freed by opts_clear(). */
void opts_init(struct opts *o);
void opts_clear(struct opts *o);

/* Resolves the settings into o (initialised by opts_init) from the options
 * of argv before the command name (getopt_long; the first non-option stops
 * parsing and becomes o->command), the environment as seen through env, and
 * the config file: config_path when not NULL (it must exist), else the file
 * found as described above. After --help or --version it returns at once,
 * reading neither environment nor file. Returns false with a message in err
 * (naming the flag, variable, or file and line) on an unknown option, a bad
 * value, an unreadable file or an unknown key. Uses getopt_long's global
 * state, so it is not thread-safe; it prints nothing. */
bool opts_resolve(struct opts *o, int argc, char *argv[], opts_getenv_fn env, void *env_ctx,
                  const char *config_path, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* For commands that accept the global options after their name too: writes
 * the global options' getopt_long entries (all but --config, --help and
 * --version) to out (at least OPTS_NKEYS entries); their val fields are
 * OPTS_OPTION_BASE + enum opts_key. Returns the number written. */
#define OPTS_OPTION_BASE 1000
size_t opts_long_options(struct option *out);

/* Applies one global option found that way, with flag precedence. Returns
 * false with a message on a bad value or a conflict. */
bool opts_apply_flag(struct opts *o, int val, const char *arg, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Describes where setting k came from: "--cert", "VIGIL_CERT",
 * "/home/u/.config/vigil/config", or "the default". */
void opts_origin(const struct opts *o, enum opts_key k, char *buf, size_t cap);

/* How to change setting k: "set --cert or VIGIL_CERT, or cert in FILE". */
void opts_hint(const struct opts *o, enum opts_key k, char *buf, size_t cap);

/* Prints the global options (from the table) for --help. */
void opts_print_help(FILE *f);

#endif
