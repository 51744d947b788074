/* main: vigild's command line: parse options into a configuration, then run
 * one of: the daemon, --migrate-only, or the `office` bootstrap commands. */
#include "config.h"
#include "log.h"
#include "migrate.h"
#include "office_admin.h"
#include "server.h"

#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum { OPT_READY = 256, OPT_MIGRATE_ONLY, OPT_HELP_CONFIG, OPT_VERSION, OPT_KEY_BASE = 512 };

struct args {
    const char *config_path;
    const char *ready_file;
    bool migrate_only;
    const char **overrides; /* "key=value", heap array of pointers into heap strings */
    int noverrides;
    int first_command; /* argv index of a subcommand ("office"), 0 if none */
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: vigild [OPTION]...                 run the daemon\n"
                 "       vigild [OPTION]... --migrate-only  apply pending migrations and exit\n"
                 "       vigild [OPTION]... office COMMAND  register offices and certificates\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE    read settings from FILE (INI, section [vigild])\n"
                 "  --KEY=VALUE          set any setting, overriding the file (see --help-config)\n"
                 "  --ready-file PATH    once listening, write the bound addresses to PATH\n"
                 "  --migrate-only       apply migrations as db_owner, then exit\n"
                 "  --help-config        list every setting with its default and meaning\n"
                 "  -h, --help           show this help\n"
                 "  --version            show the version\n"
                 "\n"
                 "Signals: SIGTERM/SIGINT shut down gracefully; SIGHUP reloads the reloadable\n"
                 "settings and the certificates (kept as they were if anything fails to load).\n"
                 "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
                 "Run 'vigild office --help' for the office commands.\n");
}

static struct option *build_options(void)
{
    static const struct option fixed[] = {
        {"config", required_argument, NULL, 'c'},
        {"ready-file", required_argument, NULL, OPT_READY},
        {"migrate-only", no_argument, NULL, OPT_MIGRATE_ONLY},
        {"help-config", no_argument, NULL, OPT_HELP_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
    };
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), nkeys = 0;
    while (config_keys[nkeys].name)
        nkeys++;
    struct option *opts = xcalloc(nfixed + nkeys + 1, sizeof(*opts));
    memcpy(opts, fixed, sizeof(fixed));
    for (size_t i = 0; i < nkeys; i++)
        opts[nfixed + i] =
            (struct option){config_keys[i].name, required_argument, NULL, OPT_KEY_BASE + (int)i};
    return opts;
}

static void add_override(struct args *a, const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 2;
    char *kv = xmalloc(n);
    snprintf(kv, n, "%s=%s", key, value);
    a->overrides = xrealloc(a->overrides, sizeof(*a->overrides) * (size_t)(a->noverrides + 1));
    a->overrides[a->noverrides++] = kv;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
    struct option *opts = build_options();
    int ch, rc = -1;

    while (rc < 0 && (ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        if (ch >= OPT_KEY_BASE) {
            add_override(a, config_keys[ch - OPT_KEY_BASE].name, optarg);
            continue;
        }
        switch (ch) {
        case 'c':
            a->config_path = optarg;
            break;
        case OPT_READY:
            a->ready_file = optarg;
            break;
        case OPT_MIGRATE_ONLY:
            a->migrate_only = true;
            break;
        case OPT_HELP_CONFIG:
            config_print_doc(stdout);
            rc = 0;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            break;
        case OPT_VERSION:
            printf("vigild %s\n", VIGIL_VERSION);
            rc = 0;
            break;
        default:
            fprintf(stderr, "Try 'vigild --help'.\n");
            rc = EXIT_USAGE;
        }
    }
    free(opts);
    if (rc < 0 && optind < argc) {
        if (strcmp(argv[optind], "office") != 0) {
            fprintf(stderr, "vigild: unknown command \"%s\"\nTry 'vigild --help'.\n", argv[optind]);
            return EXIT_USAGE;
        }
        a->first_command = optind;
    }
    return rc;
}

static int run_daemon(const struct config *cfg, const struct args *a)
{
    struct server_args sa = {a->config_path, a->overrides, a->noverrides, a->ready_file};
    struct event_base *base;
    struct server *srv;

    /* Writes to a closed socket must return EPIPE, not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    if (base == NULL) {
        log_error("msg=\"cannot create the event loop\"");
        return EXIT_RUNTIME;
    }
    srv = server_new(base, cfg, &sa);
    if (srv == NULL) {
        event_base_free(base);
        return EXIT_RUNTIME;
    }
    log_info("msg=started version=%s pid=%d", VIGIL_VERSION, (int)getpid());
    event_base_dispatch(base);
    server_free(srv);
    event_base_free(base);
    log_info("msg=stopped");
    return 0;
}

static int run(int argc, char **argv, struct args *a, struct config *cfg)
{
    char err[512];
    enum log_level lvl;
    int rc = parse_args(argc, argv, a);

    if (rc >= 0)
        return rc;
    if (!config_build(a->config_path, a->overrides, a->noverrides, cfg, err, sizeof(err))) {
        fprintf(stderr, "vigild: %s\n", err);
        return EXIT_USAGE;
    }
    if (log_level_parse(cfg->log_level, &lvl))
        log_set_level(lvl);
    if (a->first_command)
        return office_admin_main(cfg, argc - a->first_command, argv + a->first_command);
    if (a->migrate_only)
        return migrate_run(config_owner_conninfo(cfg)) ? 0 : EXIT_RUNTIME;
    if (!config_validate(cfg, err, sizeof(err))) {
        fprintf(stderr, "vigild: %s\n", err);
        return EXIT_USAGE;
    }
    if (cfg->migrate && !migrate_run(config_owner_conninfo(cfg)))
        return EXIT_RUNTIME;
    return run_daemon(cfg, a);
}

int main(int argc, char **argv)
{
    struct args a = {0};
    struct config cfg = {0};
    int rc = run(argc, argv, &a, &cfg);

    log_flush();
    config_clear(&cfg);
    for (int i = 0; i < a.noverrides; i++)
        free((char *)a.overrides[i]);
    free(a.overrides);
    return rc;
}
