/* vigil: the command-line client. Resolves the global options, then hands
 * over to the command named on the command line (see cmd.h for the table). */
#include "cmd.h"
#include "opts.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_lookup(const char *name, void *ctx)
{
    return getenv(name);
}

/* Help must work whatever the settings say, e.g. with VIGIL_CONFIG naming a
 * file that is missing: when resolving failed and help was asked for, the
 * help of the command named (or the general help) is printed anyway. */
static bool help_anyway(int argc, char *argv[])
{
    const struct cmd *cmd = NULL;
    bool help = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            help = true;
        else if (cmd == NULL && argv[i][0] != '-')
            cmd = cmd_find(argv[i]);
    }
    if (!help)
        return false;
    if (cmd != NULL)
        cmd_print_command_help(cmd, stdout);
    else
        cmd_print_help(stdout);
    return true;
}

int main(int argc, char *argv[])
{
    struct opts o;
    char err[1024];
    int rc;

    /* Only the character type: table widths of non-ASCII names. */
    setlocale(LC_CTYPE, "");
    opts_init(&o);
    if (!opts_resolve(&o, argc, argv, env_lookup, NULL, NULL, err, sizeof(err))) {
        rc = help_anyway(argc, argv) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        if (rc != CLI_EXIT_OK)
            fprintf(stderr, "vigil: %s\nTry 'vigil --help'.\n", err);
    } else if (o.help) {
        cmd_print_help(stdout);
        rc = CLI_EXIT_OK;
    } else if (o.version) {
        printf("vigil %s\n", VIGIL_VERSION);
        rc = CLI_EXIT_OK;
    } else if (o.command >= argc) {
        fprintf(stderr, "vigil: no command given\nTry 'vigil --help'.\n");
        rc = CLI_EXIT_USAGE;
    } else {
        const struct cmd *cmd = cmd_find(argv[o.command]);
        if (cmd == NULL) {
            fprintf(stderr, "vigil: unknown command \"%s\"\nTry 'vigil --help'.\n",
                    argv[o.command]);
            rc = CLI_EXIT_USAGE;
        } else {
            rc = cmd->run(cmd, &o, argc - o.command, argv + o.command);
        }
    }
    opts_clear(&o);
    return rc;
}
