/* cmd: the table of vigil's commands, the option parsing and help that every
 * command shares, and the exit codes. Adding a command means writing its
 * function in a cmd_<group>.c file, declaring it below, and adding one row to
 * cmd_table in cmd.c; main.c does not change. */
#ifndef VIGIL_CLI_CMD_H
#define VIGIL_CLI_CMD_H

#include "opts.h"
#include "output.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes of vigil; printed by `vigil --help` from cmd_print_help(). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* anything else: out of memory, cannot write output */
    CLI_EXIT_USAGE = 2,       /* bad command line, option, variable or config file */
    CLI_EXIT_CONNECT = 3,     /* connection, TLS or protocol failure */
    CLI_EXIT_RPC = 4,         /* the server answered with an error status */
    CLI_EXIT_DEADLINE = 5,    /* deadline exceeded, on either side */
    CLI_EXIT_NOT_SERVING = 6, /* health: the server answered, but is not SERVING */
    CLI_EXIT_DIGEST = 7,      /* verify: the published inputs do not match their digest */
    CLI_EXIT_DIFFERS = 8,     /* verify: the published results differ from a recomputation */
};

/* A command's own option. */
struct cmd_option {
    const char *name; /* long option, without "--"; NULL ends a list */
    const char *arg;  /* argument name for help; NULL = takes no argument */
    int id;           /* given to the command's handler, 0..999 */
    const char *help; /* one line */
};

struct cmd {
    const char *name;                 /* as typed: "health" */
    const char *args;                 /* positional arguments for help: "" or "FILE" */
    int max_args;                     /* positional arguments accepted; -1 = any */
    const char *summary;              /* one line for `vigil --help` */
    const char *details;              /* more text for `vigil NAME --help`; NULL = none */
    const struct cmd_option *options; /* its own options; NULL = none */
    /* Runs the command; argv[0] is the command's name. Returns an exit code. */
    int (*run)(const struct cmd *self, struct opts *o, int argc, char *argv[]);
};

/* Handler of a command's own options: returns false (after printing a
 * message) to stop with a usage error. */
typedef bool (*cmd_option_fn)(void *ctx, int id, const char *arg);

/* The commands, ended by a row with name NULL. */
extern const struct cmd cmd_table[];

/* The command called name, or NULL. */
const struct cmd *cmd_find(const char *name);

/* Parses argv of cmd (argv[0] is its name): its own options go to on_option,
 * the global options (allowed after the command name too) update o, --help
 * prints the command's help. On true, *first_arg is the argv index of the
 * first positional argument. On false the caller returns *exit_code: 0 after
 * --help, CLI_EXIT_USAGE after an error (already printed on stderr). */
bool cmd_parse(const struct cmd *cmd, struct opts *o, int argc, char *argv[],
               cmd_option_fn on_option, void *ctx, int *first_arg, int *exit_code)
    __attribute__((warn_unused_result));

/* `vigil --help`: synopsis, commands, global options, environment, exit codes. */
void cmd_print_help(FILE *f);

/* `vigil NAME --help`. */
void cmd_print_command_help(const struct cmd *cmd, FILE *f);

/* Prints out on stdout (every row with record false, its one row as a
 * record with record true) and frees it. Returns CLI_EXIT_OK, or prints the
 * problem and returns CLI_EXIT_FAILURE; out NULL means out of memory. */
int cmd_emit(struct output *out, bool record);

/* Prints one record of ncols values (see output_add()) in format f. */
int cmd_emit_row(enum output_format f, const struct output_column *cols, size_t ncols,
                 const char *const row[]);

/* Prints j (consumed; NULL means out of memory) as indented JSON on stdout. */
int cmd_emit_json(json_t *j);

/* The commands, one file per group. */
#define CMD_FN(name) int name(const struct cmd *self, struct opts *o, int argc, char *argv[])
CMD_FN(cmd_health); /* cmd_basic.c */
CMD_FN(cmd_whoami);
CMD_FN(cmd_regions); /* cmd_catalog.c */
CMD_FN(cmd_states);
CMD_FN(cmd_cycles);
CMD_FN(cmd_methodology);
CMD_FN(cmd_cycle);
CMD_FN(cmd_office);   /* cmd_office.c */
CMD_FN(cmd_template); /* cmd_template.c */
CMD_FN(cmd_submit);   /* cmd_submit.c */
CMD_FN(cmd_show);     /* cmd_assess.c */
CMD_FN(cmd_revisions);
CMD_FN(cmd_queue);
CMD_FN(cmd_review); /* approve, return, unlock (cmd_review.c) */
CMD_FN(cmd_audit);
CMD_FN(cmd_ranking); /* cmd_rankings.c */
CMD_FN(cmd_aggregates);
CMD_FN(cmd_card);
CMD_FN(cmd_history);
CMD_FN(cmd_publish);
CMD_FN(cmd_verify); /* cmd_verify.c */
CMD_FN(cmd_export); /* cmd_exchange.c */
CMD_FN(cmd_changes);
CMD_FN(cmd_import); /* cmd_import.c */

#endif
