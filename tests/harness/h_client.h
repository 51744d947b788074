/* h_client: clients of a test daemon, with the run's certificates: libvigil,
 * the vigil CLI, and the independent Python grpcio client (tests/interop). */
#ifndef H_CLIENT_H
#define H_CLIENT_H

#include "h_daemon.h"

#include <stdbool.h>
#include <stddef.h>
#include <vigil.h>

/* Fills opts to reach d: its mutual-TLS listener, or the public one when
 * public_listener; CA certs/ca.crt; client certificate certs/WHO.crt and key
 * certs/WHO.key, none when who is NULL ("central", "regional", "partner",
 * "unregistered", and "wrongca", issued by another CA); server name
 * "localhost"; 10 s to connect. The strings live in *paths (which must
 * outlive opts' use). */
struct h_client_paths {
    char cert[4096];
    char key[4096];
};
void h_client_options(const struct h_daemon *d, const char *who, bool public_listener,
                      struct vigil_options *opts, struct h_client_paths *paths);

/* Connects as who; fails the test with libvigil's message when it cannot.
 * The caller frees the client with vigil_client_free. */
struct vigil_client *h_client(const struct h_daemon *d, const char *who, bool public_listener);

/* Connects without asserting, for refusal tests. Returns the status; on
 * VIGIL_OK *out is the client (the caller frees it), else *out is NULL and err
 * (errcap bytes) holds libvigil's message. Note that a server refusing a
 * client certificate under TLS 1.3 may let the handshake finish and reset the
 * connection on the first call: check the first call too. */
enum vigil_status h_client_try(const struct h_daemon *d, const char *who, bool public_listener,
                               struct vigil_client **out, char *err, size_t errcap);

/* Runs the vigil CLI against d: `vigil --address A --ca CA [--cert C --key K |
 * --no-cert] --server-name localhost ARGS...` (who as for h_client; NULL =
 * --no-cert). The environment is isolated: VIGIL_* variables are removed and
 * HOME and XDG_CONFIG_HOME point to an empty directory, so no user config file
 * applies (pass a config explicitly in args to test one). out / err as for
 * h_run. Returns the CLI's exit status (see h_run). */
int h_cli(const struct h_daemon *d, const char *who, bool public_listener, const char *const args[],
          char **out, char **err);

/* One run of the CLI (h_cli) as who on the mutual-TLS listener, and what it
 * printed: free with h_cli_run_free. H_CLI(d, who, "arg", ...) passes the
 * arguments inline. The expectations fail the test with both outputs. */
struct h_cli_run {
    int rc;
    char *out;
    char *err;
};
struct h_cli_run h_cli_run(const struct h_daemon *d, const char *who, const char *const *args);
#define H_CLI(d, who, ...) h_cli_run(d, who, (const char *const[]){__VA_ARGS__, NULL})
void h_cli_run_free(struct h_cli_run *r);
void h_cli_expect_rc(const struct h_cli_run *r, int rc, const char *what);
void h_cli_expect_out(const struct h_cli_run *r, const char *text, const char *what);
void h_cli_expect_err(const struct h_cli_run *r, const char *text, const char *what);

/* Runs tests/interop/health_check.py with /usr/bin/python3 against d as who
 * (NULL = no certificate, public_listener as above): Health/Check, and WhoAmI
 * when who is given. It prints "status=SERVING" and "office=NAME role=ROLE"
 * and exits 0 when SERVING. extra: more arguments (may be NULL). */
int h_interop(const struct h_daemon *d, const char *who, bool public_listener,
              const char *const extra[], char **out, char **err);

#endif
