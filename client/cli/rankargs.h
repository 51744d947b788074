/* rankargs: the options of the rankings commands (ranking, aggregates, card,
 * history, publish, verify): the shared ones of args.h (--cycle, --region)
 * and their own (--version, --live, --area, --embargo, --conditional),
 * collected into one struct rankargs. */
#ifndef VIGIL_CLI_RANKARGS_H
#define VIGIL_CLI_RANKARGS_H

#include "args.h"

#include <stdbool.h>
#include <stddef.h>

/* Option ids, after those of args.h. */
enum rankargs_id {
    RANKARG_VERSION = 100,
    RANKARG_LIVE,
    RANKARG_AREA,
    RANKARG_EMBARGO,
    RANKARG_CONDITIONAL, /* repeatable */
};

struct rankargs {
    struct args a;             /* the shared options; a.cmd names the command */
    int version;               /* --version; 0 = the current version */
    bool live;                 /* --live */
    const char *area;          /* --area, borrowed from argv; NULL = not given */
    const char *embargo;       /* --embargo, borrowed; NULL = not given */
    const char **conditionals; /* --conditional values in order (owned array, borrowed strings) */
    size_t nconditionals;
};

/* Zeroes r and names the command for messages. */
void rankargs_init(struct rankargs *r, const char *cmd);
void rankargs_clear(struct rankargs *r);

/* The cmd_option_fn of these commands; ctx is a struct rankargs. Prints the
 * problem and returns false on a bad number or out of memory. */
bool rankargs_option(void *ctx, int id, const char *arg);

/* cmd_parse() with rankargs_option(), then checks: at least min_args
 * positional arguments, --cycle when need_cycle, and --version not with
 * --live. On false the caller returns *exit_code. */
bool rankargs_parse(const struct cmd *self, struct opts *o, int argc, char *argv[],
                    struct rankargs *r, int min_args, bool need_cycle, int *first, int *exit_code)
    __attribute__((warn_unused_result));

#endif
