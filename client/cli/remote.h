/* remote: the CLI's side of talking to the server. Turns the resolved options
 * into a connected vigil_client, and failures into one actionable message on
 * stderr (what failed, which setting to change and where it came from) and
 * the exit code of cmd.h. The library never prints; this module does. */
#ifndef VIGIL_CLI_REMOTE_H
#define VIGIL_CLI_REMOTE_H

#include "opts.h"
#include "vigil.h"

/* Connects with o's settings. Checks first that a client certificate is set
 * (unless --no-cert) and that the files can be read. Returns the client
 * (free it with vigil_client_free), or NULL after printing the error, with
 * the exit code in *exit_code. */
struct vigil_client *remote_connect(const struct opts *o, int *exit_code);

/* The exit code for a library status; rpc_code matters for VIGIL_E_RPC
 * (DEADLINE_EXCEEDED from the server gives CLI_EXIT_DEADLINE). */
int remote_exit_code(enum vigil_status st, int rpc_code);

/* Prints the failure of a call on c ("error: PERMISSION_DENIED: message" for
 * a server status) with a hint where one helps, and returns its exit code. */
int remote_report(const struct opts *o, const struct vigil_client *c, enum vigil_status st);

#endif
