/* args: the options the data commands share (--cycle, --region, --state ...).
 * Each command lists in its cmd_option table the ones it accepts, with its own
 * help text, using the ids below; args_option() collects them into one
 * struct args, checking numbers as it goes. */
#ifndef VIGIL_CLI_ARGS_H
#define VIGIL_CLI_ARGS_H

#include "cmd.h"

#include <stdbool.h>
#include <stddef.h>

enum args_id {
    ARG_CYCLE,
    ARG_REGION,
    ARG_STATE, /* repeatable */
    ARG_STATUS,
    ARG_REVISION,
    ARG_COMMENT,
    ARG_OUT,
    ARG_DRAFT,
    ARG_SINCE,
    ARG_LIMIT,
    ARG_ROLE,
    ARG_METHODOLOGY,
    ARG_PREDECESSOR,
    ARG_CHECK,
    ARG_SHA256,
    ARG_SUBJECT,
    ARG_AFTER_ID,
    ARG_VERSION,     /* export: a published version */
    ARG_FILE_FORMAT, /* export: --format of the files (shadows the global --format) */
    ARG_AFTER,       /* changes: a cursor */
    ARG_FOLLOW,
    ARG_APPROVALS,
    ARG_DRY_RUN,
};

struct args {
    const char *cmd;                               /* command name, for messages */
    const char *cycle, *region, *status, *comment; /* borrowed from argv; NULL = not given */
    const char *out, *since, *role, *methodology;  /* same */
    const char *predecessor, *sha256, *subject;    /* same */
    const char *after, *file_format;               /* same */
    const char **states;                           /* --state values, in order (owned array) */
    size_t nstates;
    int revision;                    /* --revision; 0 = not given */
    int limit;                       /* --limit; 0 = not given */
    long long after_id;              /* --after-id; 0 = not given */
    int version;                     /* --version; 0 = not given */
    bool draft, check;               /* --draft, --check */
    bool follow, approvals, dry_run; /* --follow, --approvals, --dry-run */
};

/* Zeroes a and names the command for messages. */
void args_init(struct args *a, const char *cmd);
void args_clear(struct args *a);

/* The cmd_option_fn of the shared options; ctx is a struct args. Prints the
 * problem and returns false on a bad number or out of memory. */
bool args_option(void *ctx, int id, const char *arg);

/* cmd_parse() with args_option(), then checks the number of positional
 * arguments: at least min. On false the caller returns *exit_code. */
bool args_parse(const struct cmd *self, struct opts *o, int argc, char *argv[], struct args *a,
                int min_args, int *first, int *exit_code) __attribute__((warn_unused_result));

/* Prints "vigil CMD: MESSAGE" and the help hint, returns CLI_EXIT_USAGE. */
int args_usage(const struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
