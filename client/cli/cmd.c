/* cmd: the command table, the parsing and help shared by all commands, and
 * the list of exit codes (see cmd.h). */
#include "cmd.h"

#include <string.h>

#define CMD_OPTION_BASE 2000 /* getopt value of a command's own option id 0 */
#define MAX_OWN_OPTIONS 32

static const struct cmd_option health_options[] = {
    {"service", "NAME", 0, "service to ask about; default \"\" (the whole server)"},
    {NULL, NULL, 0, NULL},
};

/* clang-format off */
const struct cmd cmd_table[] = {
    {"health", "", 0, "ask whether the server is serving (exit 0 only when SERVING)",
     "Calls grpc.health.v1.Health/Check. Prints SERVING, NOT_SERVING, UNKNOWN or\n"
     "SERVICE_UNKNOWN (with --format csv or json: a record of service and status).\n"
     "Exits 0 when SERVING and 6 for any other answer. Needs a registered client\n"
     "certificate, like every call but the public listener's published reads.",
     health_options, cmd_health},
    {"whoami", "", 0, "show the office, role and certificate the server sees",
     "Calls vigil.v1.Offices/WhoAmI and prints the office the client certificate is\n"
     "registered to (id, name, region, active), the effective role, and the\n"
     "certificate's SHA-256 fingerprint and subject. UNAUTHENTICATED means the\n"
     "certificate is registered to no active office.",
     NULL, cmd_whoami},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
/* clang-format on */

static const struct {
    int code;
    const char *meaning;
} exit_codes[] = {
    {CLI_EXIT_OK, "success"},
    {CLI_EXIT_FAILURE, "other failure (out of memory, cannot write output)"},
    {CLI_EXIT_USAGE, "usage error: command line, environment or config file"},
    {CLI_EXIT_CONNECT, "cannot connect: network, TLS (certificates) or protocol failure"},
    {CLI_EXIT_RPC, "the server answered with an error status (printed as CODE: message)"},
    {CLI_EXIT_DEADLINE, "deadline exceeded (--timeout), on our side or the server's"},
    {CLI_EXIT_NOT_SERVING, "health: the server answered but is not SERVING"},
};

const struct cmd *cmd_find(const char *name)
{
    for (const struct cmd *c = cmd_table; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static bool usage_error(const struct cmd *cmd, int *exit_code, const char *msg, const char *arg)
{
    fprintf(stderr, "vigil %s: %s%s\nTry 'vigil %s --help'.\n", cmd->name, msg, arg, cmd->name);
    *exit_code = CLI_EXIT_USAGE;
    return false;
}

static size_t build_options(const struct cmd *cmd, struct option *lo)
{
    size_t n = opts_long_options(lo);
    size_t own = 0;

    for (const struct cmd_option *co = cmd->options; co != NULL && co->name != NULL; co++) {
        if (++own > MAX_OWN_OPTIONS)
            break; /* a programming error, visible in --help as missing options */
        lo[n++] = (struct option){co->name, co->arg != NULL ? required_argument : no_argument, NULL,
                                  CMD_OPTION_BASE + co->id};
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

bool cmd_parse(const struct cmd *cmd, struct opts *o, int argc, char *argv[],
               cmd_option_fn on_option, void *ctx, int *first_arg, int *exit_code)
{
    struct option lo[OPTS_NKEYS + MAX_OWN_OPTIONS + 2];
    char err[512];
    int c;

    build_options(cmd, lo);
    optind = 0; /* GNU: re-initialise; options and arguments may be mixed */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (c == 'h') {
            cmd_print_command_help(cmd, stdout);
            *exit_code = CLI_EXIT_OK;
            return false;
        }
        if (c == ':')
            return usage_error(cmd, exit_code, "option needs a value: ", argv[optind - 1]);
        if (c == '?')
            return usage_error(cmd, exit_code, "unknown option ", argv[optind - 1]);
        if (c >= CMD_OPTION_BASE) {
            if (on_option == NULL || !on_option(ctx, c - CMD_OPTION_BASE, optarg)) {
                *exit_code = CLI_EXIT_USAGE;
                return false;
            }
        } else if (!opts_apply_flag(o, c, optarg, err, sizeof(err))) {
            return usage_error(cmd, exit_code, err, "");
        }
    }
    if (cmd->max_args >= 0 && argc - optind > cmd->max_args)
        return usage_error(cmd, exit_code, "unexpected argument ", argv[optind + cmd->max_args]);
    *first_arg = optind;
    return true;
}

void cmd_print_help(FILE *f)
{
    fprintf(f, "Usage: vigil [OPTIONS] COMMAND [COMMAND OPTIONS] [ARGS]\n\n"
               "The client of Vigil: calls a vigild server over gRPC with mutual TLS.\n\n"
               "Commands (vigil COMMAND --help for details):\n");
    for (const struct cmd *c = cmd_table; c->name != NULL; c++)
        fprintf(f, "  %-22s %s\n", c->name, c->summary);
    fprintf(f, "\nOptions (before or after the command; flags win over the environment,\n"
               "which wins over the config file):\n");
    opts_print_help(f);
    fprintf(f, "\nExit codes:\n");
    for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
        fprintf(f, "  %d  %s\n", exit_codes[i].code, exit_codes[i].meaning);
}

void cmd_print_command_help(const struct cmd *cmd, FILE *f)
{
    char left[64];

    fprintf(f, "Usage: vigil %s [OPTIONS]%s%s\n\nvigil %s: %s.\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args, cmd->name, cmd->summary);
    if (cmd->details != NULL)
        fprintf(f, "\n%s\n", cmd->details);
    if (cmd->options != NULL && cmd->options[0].name != NULL) {
        fprintf(f, "\nOptions:\n");
        for (const struct cmd_option *co = cmd->options; co->name != NULL; co++) {
            snprintf(left, sizeof(left), "--%s%s%s", co->name, co->arg ? " " : "",
                     co->arg ? co->arg : "");
            fprintf(f, "  %-22s %s\n", left, co->help);
        }
    }
    fprintf(f, "\nGlobal options (see vigil --help):\n");
    opts_print_help(f);
}
