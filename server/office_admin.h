/* office_admin: the bootstrap commands `vigild office add | add-cert | list |
 * disable | enable`, which register the offices allowed to call Vigil and
 * their client certificates before any office can do so over the network.
 * Runs instead of the daemon, over a blocking libpq connection as the schema
 * owner (config_owner_conninfo); prints for people on stdout and stderr. */
#ifndef VIGIL_OFFICE_ADMIN_H
#define VIGIL_OFFICE_ADMIN_H

#include "config.h"

/* Exit statuses of office_admin_main. */
enum office_admin_exit {
    OFFICE_EXIT_OK = 0,      /* done */
    OFFICE_EXIT_FAILURE = 1, /* database, certificate file or "no such office"; the reason,
                                with PostgreSQL's message, is printed on stderr */
    OFFICE_EXIT_USAGE = 2,   /* bad command line; the message names the argument */
};

/* Runs one command. argv[0] is the word "office" (main passes the argv tail
 * starting there), argv[1] the command, then its arguments; `--help` works
 * at either level without a database. cfg is borrowed. Reorders argv (GNU
 * getopt). Returns an enum office_admin_exit value. */
int office_admin_main(const struct config *cfg, int argc, char **argv)
    __attribute__((warn_unused_result));

#endif
