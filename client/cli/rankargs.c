/* rankargs: the rankings commands' options (see rankargs.h). */
#include "rankargs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rankargs_init(struct rankargs *r, const char *cmd)
{
    memset(r, 0, sizeof(*r));
    args_init(&r->a, cmd);
}

void rankargs_clear(struct rankargs *r)
{
    args_clear(&r->a);
    free(r->conditionals);
    memset(r, 0, sizeof(*r));
}

static bool add_conditional(struct rankargs *r, const char *arg)
{
    const char **grown = realloc(r->conditionals, (r->nconditionals + 1) * sizeof(*grown));

    if (grown == NULL) {
        fprintf(stderr, "vigil %s: out of memory\n", r->a.cmd);
        return false;
    }
    r->conditionals = grown;
    r->conditionals[r->nconditionals++] = arg;
    return true;
}

bool rankargs_option(void *ctx, int id, const char *arg)
{
    struct rankargs *r = ctx;
    char *end;

    switch ((enum rankargs_id)id) {
    case RANKARG_VERSION:
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > INT_MAX) {
            args_usage(&r->a, "--version: \"%s\" is not a number from 1 to %d", arg, INT_MAX);
            return false;
        }
        r->version = (int)v;
        return true;
    case RANKARG_LIVE:
        return r->live = true;
    case RANKARG_AREA:
        r->area = arg;
        return true;
    case RANKARG_EMBARGO:
        r->embargo = arg;
        return true;
    case RANKARG_CONDITIONAL:
        return add_conditional(r, arg);
    }
    return args_option(&r->a, id, arg);
}

bool rankargs_parse(const struct cmd *self, struct opts *o, int argc, char *argv[],
                    struct rankargs *r, int min_args, bool need_cycle, int *first, int *exit_code)
{
    if (!cmd_parse(self, o, argc, argv, rankargs_option, r, first, exit_code))
        return false;
    if (argc - *first < min_args)
        *exit_code = args_usage(&r->a, "missing argument %s", self->args);
    else if (need_cycle && r->a.cycle == NULL)
        *exit_code = args_usage(&r->a, "--cycle CYCLE is required");
    else if (r->live && r->version > 0)
        *exit_code = args_usage(&r->a, "--version and --live exclude each other");
    else
        return true;
    return false;
}
