/* remote: connecting with the CLI's settings, and turning failures into
 * actionable messages and exit codes (see remote.h). */
#include "remote.h"
#include "cmd.h"
#include "grpcwire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The setting that names a file: which one it is and how to fix it. */
static bool file_readable(const struct opts *o, enum opts_key k, const char *what, const char *path)
{
    char origin[300], hint[400];

    if (path == NULL || access(path, R_OK) == 0)
        return true;
    int saved = errno;
    opts_origin(o, k, origin, sizeof(origin));
    opts_hint(o, k, hint, sizeof(hint));
    fprintf(stderr, "error: cannot read %s %s: %s (from %s)\nhint: %s\n", what, path,
            strerror(saved), origin, hint);
    return false;
}

static bool preflight(const struct opts *o, int *exit_code)
{
    char hint[400];

    if (!o->no_cert && o->cert == NULL) {
        opts_hint(o, OPTS_CERT, hint, sizeof(hint));
        fprintf(stderr,
                "error: no client certificate\nhint: %s; or pass --no-cert for the public "
                "listener\n",
                hint);
        *exit_code = CLI_EXIT_USAGE;
        return false;
    }
    *exit_code = CLI_EXIT_CONNECT;
    return file_readable(o, OPTS_CA, "CA file", o->ca) &&
           (o->no_cert || (file_readable(o, OPTS_CERT, "certificate", o->cert) &&
                           file_readable(o, OPTS_KEY, "private key", o->key)));
}

/* "VALUE (from ORIGIN)" of setting k, for hints. */
static const char *setting(const struct opts *o, enum opts_key k, const char *value, char *buf,
                           size_t cap)
{
    char origin[300];

    opts_origin(o, k, origin, sizeof(origin));
    snprintf(buf, cap, "%s (from %s)", value, origin);
    return buf;
}

/* Names the settings a failure of this kind depends on, with their origin,
 * so that the user sees which one to change. */
static void connect_hint(const struct opts *o, enum vigil_status st)
{
    char a[400], b[400], c[400];

    switch (st) {
    case VIGIL_E_CONNECT:
        fprintf(stderr, "hint: is vigild listening at %s?\n",
                setting(o, OPTS_ADDRESS, o->address, a, sizeof(a)));
        break;
    case VIGIL_E_TLS:
        fprintf(stderr, "hint: in use: CA %s; server name %s; certificate %s\n",
                setting(o, OPTS_CA, o->ca != NULL ? o->ca : "system store", a, sizeof(a)),
                setting(o, OPTS_SERVER_NAME,
                        o->server_name != NULL ? o->server_name : "host of the address", b,
                        sizeof(b)),
                o->no_cert ? "none (--no-cert)" : setting(o, OPTS_CERT, o->cert, c, sizeof(c)));
        break;
    case VIGIL_E_PROTOCOL:
        fprintf(stderr, "hint: is %s a vigild (gRPC) address?\n",
                setting(o, OPTS_ADDRESS, o->address, a, sizeof(a)));
        break;
    default:
        break;
    }
}

struct vigil_client *remote_connect(const struct opts *o, int *exit_code)
{
    struct vigil_options vo = {
        .address = o->address,
        .ca_file = o->ca,
        .cert_file = o->no_cert ? NULL : o->cert,
        .key_file = o->no_cert ? NULL : o->key,
        .server_name = o->server_name,
        .connect_timeout_ms = o->timeout_ms,
    };
    enum vigil_status st;
    char msg[1024];

    if (!preflight(o, exit_code))
        return NULL;
    struct vigil_client *c = vigil_client_new(&vo, &st, msg, sizeof(msg));
    if (c != NULL)
        return c;
    fprintf(stderr, "error: %s\n", msg);
    connect_hint(o, st);
    *exit_code = st == VIGIL_E_USAGE ? CLI_EXIT_USAGE : remote_exit_code(st, -1);
    return NULL;
}

int remote_exit_code(enum vigil_status st, int rpc_code)
{
    switch (st) {
    case VIGIL_OK:
        return CLI_EXIT_OK;
    case VIGIL_E_USAGE:
        return CLI_EXIT_USAGE;
    case VIGIL_E_CONNECT:
    case VIGIL_E_TLS:
    case VIGIL_E_PROTOCOL:
        return CLI_EXIT_CONNECT;
    case VIGIL_E_DEADLINE:
        return CLI_EXIT_DEADLINE;
    case VIGIL_E_RPC:
        return rpc_code == GRPC_DEADLINE_EXCEEDED ? CLI_EXIT_DEADLINE : CLI_EXIT_RPC;
    case VIGIL_E_NOMEM:
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_FAILURE;
}

int remote_report(const struct opts *o, const struct vigil_client *c, enum vigil_status st)
{
    const char *msg = vigil_errmsg(c);

    if (st == VIGIL_E_RPC) {
        int code = vigil_rpc_code(c);
        fprintf(stderr, "error: %s%s%s\n", vigil_code_name(code), msg[0] ? ": " : "", msg);
        return remote_exit_code(st, code);
    }
    fprintf(stderr, "error: %s%s%s\n", vigil_strerror(st), msg[0] ? ": " : "", msg);
    if (st == VIGIL_E_DEADLINE) {
        char origin[300];
        opts_origin(o, OPTS_TIMEOUT, origin, sizeof(origin));
        fprintf(stderr, "hint: the call had %d ms (from %s); raise it with --timeout MS\n",
                o->timeout_ms, origin);
    } else {
        connect_hint(o, st);
    }
    return remote_exit_code(st, -1);
}
