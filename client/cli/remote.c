/* remote: connecting with the CLI's settings, and turning failures into
 * actionable messages and exit codes (see remote.h). */
#include "remote.h"
#include "cmd.h"
#include "grpcwire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_FIRST_PAUSE_MS 500 /* doubled after each failed attempt */

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

static struct vigil_options client_options(const struct opts *o)
{
    return (struct vigil_options){
        .address = o->address,
        .ca_file = o->ca,
        .cert_file = o->no_cert ? NULL : o->cert,
        .key_file = o->no_cert ? NULL : o->key,
        .server_name = o->server_name,
        .connect_timeout_ms = o->timeout_ms,
    };
}

struct vigil_client *remote_connect(const struct opts *o, int *exit_code)
{
    struct vigil_options vo = client_options(o);
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
    case VIGIL_END:
    case VIGIL_AGAIN:
        return CLI_EXIT_OK; /* not failures */
    }
    return CLI_EXIT_FAILURE;
}

static int report(const struct opts *o, enum vigil_status st, int code, const char *msg)
{
    if (st == VIGIL_E_RPC) {
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

int remote_report(const struct opts *o, const struct vigil_client *c, enum vigil_status st)
{
    return report(o, st, vigil_rpc_code(c), vigil_errmsg(c));
}

/* ---- reconnecting calls ---- */

bool remote_open(struct remote *r, const struct opts *o, int *exit_code)
{
    *r = (struct remote){.o = o, .rpc_code = -1};
    r->c = remote_connect(o, exit_code);
    return r->c != NULL;
}

void remote_close(struct remote *r)
{
    vigil_client_free(r->c);
    r->c = NULL;
}

/* Worth another attempt: the link or the server's database may come back. */
static bool transient(const struct remote *r)
{
    switch (r->st) {
    case VIGIL_E_CONNECT:
    case VIGIL_E_DEADLINE:
        return true;
    case VIGIL_E_RPC:
        return r->rpc_code == GRPC_UNAVAILABLE || r->rpc_code == GRPC_DEADLINE_EXCEEDED;
    default:
        return false;
    }
}

bool remote_outcome_unknown(const struct remote *r)
{
    return transient(r) ||
           (r->st == VIGIL_E_RPC && (r->rpc_code == GRPC_CANCELLED ||
                                     r->rpc_code == GRPC_INTERNAL || r->rpc_code == GRPC_UNKNOWN));
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool reconnect(struct remote *r)
{
    struct vigil_options vo = client_options(r->o);

    vigil_client_free(r->c);
    r->c = vigil_client_new(&vo, &r->st, r->msg, sizeof(r->msg));
    r->rpc_code = -1;
    return r->c != NULL;
}

enum vigil_status remote_call(struct remote *r, const char *path, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
    int pause = RETRY_FIRST_PAUSE_MS;

    *resp = NULL;
    for (int attempt = 1;; attempt++) {
        if (r->c != NULL || reconnect(r)) {
            r->st = vigil_call(r->c, path, req, resp_desc, resp, r->o->timeout_ms);
            r->rpc_code = vigil_rpc_code(r->c);
            snprintf(r->msg, sizeof(r->msg), "%s", vigil_errmsg(r->c));
        }
        if (r->st == VIGIL_OK || !transient(r) || attempt == REMOTE_ATTEMPTS)
            return r->st;
        /* The connection may be half dead (GOAWAY, a dropped link): start
         * afresh rather than guess. */
        vigil_client_free(r->c);
        r->c = NULL;
        pause_ms(pause);
        pause *= 2;
    }
}

bool remote_connected(struct remote *r)
{
    return r->c != NULL || reconnect(r);
}

void remote_note(struct remote *r, enum vigil_status st)
{
    r->st = st;
    r->rpc_code = vigil_rpc_code(r->c);
    snprintf(r->msg, sizeof(r->msg), "%s", vigil_errmsg(r->c));
}

bool remote_retry(struct remote *r, int attempt)
{
    if (r->st == VIGIL_OK || !transient(r) || attempt >= REMOTE_ATTEMPTS)
        return false;
    vigil_client_free(r->c);
    r->c = NULL;
    pause_ms(RETRY_FIRST_PAUSE_MS << (attempt - 1));
    return true;
}

int remote_run(struct remote *r, const char *path, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
    return remote_call(r, path, req, resp_desc, resp) == VIGIL_OK ? CLI_EXIT_OK : remote_fail(r);
}

int remote_fail(const struct remote *r)
{
    return report(r->o, r->st, r->rpc_code, r->msg);
}

int remote_exit(const struct remote *r)
{
    return remote_exit_code(r->st, r->rpc_code);
}
