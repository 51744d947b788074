/* vigil: the command-line client. Resolves the global options, then hands
 * over to the command named on the command line (see cmd.h for the table). */
#include "cmd.h"
#include "opts.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

static const char *env_lookup(const char *name, void *ctx)
{
    return getenv(name);
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
        fprintf(stderr, "vigil: %s\nTry 'vigil --help'.\n", err);
        rc = CLI_EXIT_USAGE;
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
