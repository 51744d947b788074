/* client: connection set-up (TCP, TLS, HTTP/2 preface) and teardown, plus the
 * status and code names of vigil.h. The calls themselves are in call.c. */
#include "client.h"
#include "client_sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define GOAWAY_GRACE_MS            200 /* vigil_client_free() waits at most this */

const char *vigil_strerror(enum vigil_status st)
{
    switch (st) {
    case VIGIL_OK:
        return "success";
    case VIGIL_E_USAGE:
        return "invalid argument";
    case VIGIL_E_CONNECT:
        return "connection failed";
    case VIGIL_E_TLS:
        return "TLS failure";
    case VIGIL_E_PROTOCOL:
        return "protocol error";
    case VIGIL_E_DEADLINE:
        return "deadline exceeded";
    case VIGIL_E_RPC:
        return "server returned an error status";
    case VIGIL_E_NOMEM:
        return "out of memory";
    case VIGIL_END:
        return "end of stream";
    case VIGIL_AGAIN:
        return "the server waits for its messages to be read";
    }
    return "unknown status";
}

const char *vigil_code_name(int code)
{
    return grpcwire_code_name(code);
}

int vigil_rpc_code(const struct vigil_client *c)
{
    return c != NULL ? c->rpc_code : -1;
}

const char *vigil_errmsg(const struct vigil_client *c)
{
    return c != NULL ? c->errmsg : "";
}

/* "name:port", with an IPv6 literal bracketed as URIs require. */
static char *authority_new(const char *name, const char *port)
{
    bool v6 = strchr(name, ':') != NULL;
    size_t len = strlen(name) + strlen(port) + 4;
    char *a = malloc(len);

    if (a != NULL)
        snprintf(a, len, v6 ? "[%s]:%s" : "%s:%s", name, port);
    return a;
}

static enum vigil_status check_options(const struct vigil_options *o, char *host, size_t hcap,
                                       char *port, size_t pcap, char *err, size_t cap)
{
    if (o == NULL || o->address == NULL) {
        snprintf(err, cap, "no server address given");
        return VIGIL_E_USAGE;
    }
    if (!client_sock_split_address(o->address, host, hcap, port, pcap)) {
        snprintf(err, cap, "address \"%s\" is not HOST:PORT (IPv6 as [::1]:7443)", o->address);
        return VIGIL_E_USAGE;
    }
    if (o->key_file != NULL && o->cert_file == NULL) {
        snprintf(err, cap, "a private key was given without a client certificate");
        return VIGIL_E_USAGE;
    }
    if (o->server_name != NULL && o->server_name[0] == '\0') {
        snprintf(err, cap, "empty server name");
        return VIGIL_E_USAGE;
    }
    return VIGIL_OK;
}

static enum vigil_status connect_all(struct vigil_client *c, const struct vigil_options *o,
                                     const char *host, const char *port, const char *peer)
{
    int timeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    int64_t deadline = client_sock_deadline(timeout);
    char *err = c->errmsg;
    size_t cap = sizeof(c->errmsg);
    int fd = -1;
    enum vigil_status st;

    if ((st = client_sock_connect(host, port, deadline, &fd, err, cap)) != VIGIL_OK)
        return st;
    if ((st = client_tls_connect(&c->tls, fd, o, peer, deadline, err, cap)) != VIGIL_OK)
        return st;
    st = client_h2_start(&c->h2, &c->tls, deadline, err, cap);
    if (st == VIGIL_E_TLS || (st == VIGIL_E_CONNECT && c->tls.eof)) {
        /* Under TLS 1.3 the server checks our certificate after our side of
         * the handshake is done: its refusal (an alert, or many servers just
         * close) arrives here, where a bare alert name would not say why. */
        char detail[256];
        snprintf(detail, sizeof(detail), "%.200s", err);
        snprintf(err, cap, "server ended the connection right after the TLS handshake (%s): %s",
                 detail,
                 o->cert_file != NULL ? "it probably does not accept our client certificate"
                                      : "it probably requires a client certificate");
        st = VIGIL_E_TLS;
    }
    return st;
}

struct vigil_client *vigil_client_new(const struct vigil_options *opts, enum vigil_status *err,
                                      char *errbuf, size_t errcap)
{
    char host[256], port[16], msg[sizeof(((struct vigil_client *)0)->errmsg)] = "";
    struct vigil_client *c = NULL;
    enum vigil_status st =
        check_options(opts, host, sizeof(host), port, sizeof(port), msg, sizeof(msg));

    if (st == VIGIL_OK && (c = calloc(1, sizeof(*c))) == NULL) {
        snprintf(msg, sizeof(msg), "out of memory");
        st = VIGIL_E_NOMEM;
    }
    if (st == VIGIL_OK) {
        const char *peer = opts->server_name != NULL ? opts->server_name : host;
        client_tls_init(&c->tls);
        client_h2_init(&c->h2);
        c->rpc_code = -1;
        if ((c->authority = authority_new(peer, port)) == NULL) {
            snprintf(c->errmsg, sizeof(c->errmsg), "out of memory");
            st = VIGIL_E_NOMEM;
        } else {
            st = connect_all(c, opts, host, port, peer);
        }
        if (st != VIGIL_OK)
            memcpy(msg, c->errmsg, sizeof(msg));
    }
    if (err != NULL)
        *err = st;
    if (errbuf != NULL && errcap > 0)
        snprintf(errbuf, errcap, "%s", st == VIGIL_OK ? "" : msg);
    if (st == VIGIL_OK)
        return c;
    vigil_client_free(c);
    return NULL;
}

void vigil_client_free(struct vigil_client *c)
{
    if (c == NULL)
        return;
    if (c->stream != NULL)
        client_stream_detach(c->stream);
    client_h2_clear(&c->h2, GOAWAY_GRACE_MS);
    client_tls_clear(&c->tls);
    free(c->authority);
    free(c);
}
