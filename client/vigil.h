/* libvigil: the small C client of Vigil. One connection (TLS with a client
 * certificate, ALPN h2, server certificate and host name verified), unary gRPC
 * calls with a deadline, protobuf-c messages in and out.
 *
 * Blocking I/O. A struct vigil_client is not thread-safe: use one per thread,
 * or serialise calls. The library never logs, never aborts, and never writes
 * to stdout/stderr: every failure is returned as an enum vigil_status with a
 * message in the client's error buffer. */
#ifndef VIGIL_H
#define VIGIL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

enum vigil_status {
    VIGIL_OK = 0,
    VIGIL_E_USAGE,    /* bad argument or option from the caller */
    VIGIL_E_CONNECT,  /* name resolution, TCP connect, or the connection dropped */
    VIGIL_E_TLS,      /* TLS setup or handshake failed (certificates, verification, ALPN) */
    VIGIL_E_PROTOCOL, /* the peer broke HTTP/2 or gRPC framing */
    VIGIL_E_DEADLINE, /* the call's deadline passed before an answer (client side) */
    VIGIL_E_RPC,      /* the server answered with a non-OK grpc-status; see vigil_rpc_code() */
    VIGIL_E_NOMEM,
};

/* Static English text for a status. */
const char *vigil_strerror(enum vigil_status st);

struct vigil_options {
    const char *address;     /* "host:port"; IPv6 as "[::1]:7443" */
    const char *ca_file;     /* PEM CA bundle the server must chain to */
    const char *cert_file;   /* client certificate (PEM); NULL = none (public listener) */
    const char *key_file;    /* its private key (PEM) */
    const char *server_name; /* name checked against the server certificate and sent as
                                SNI; NULL = the host part of address */
    int connect_timeout_ms;  /* TCP + TLS + HTTP/2 setup; 0 = 10000 */
};

struct vigil_client;

/* Connects and completes TLS and the HTTP/2 preface. The strings of opts are
 * copied. On failure returns NULL and, when err is not NULL, stores the status
 * in *err and a message in errbuf (errcap bytes, NUL-terminated). */
struct vigil_client *vigil_client_new(const struct vigil_options *opts, enum vigil_status *err,
                                      char *errbuf, size_t errcap);

/* Closes the connection (sending GOAWAY) and frees everything. NULL is a no-op. */
void vigil_client_free(struct vigil_client *c);

/* One unary call. path is "/package.Service/Method". req is serialised with
 * protobuf-c; on VIGIL_OK *resp receives a message unpacked with resp_desc,
 * owned by the caller (free it with protobuf_c_message_free_unpacked(*resp, NULL)).
 * timeout_ms > 0 sends grpc-timeout and bounds the wait; 0 = no deadline.
 * On VIGIL_E_RPC, vigil_rpc_code() and vigil_errmsg() give the server's
 * status and decoded grpc-message. After VIGIL_E_CONNECT or VIGIL_E_PROTOCOL
 * the client is unusable; free it and connect again. */
enum vigil_status vigil_call(struct vigil_client *c, const char *path,
                             const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                             int timeout_ms);

/* The gRPC status code of the last call (0 when it succeeded, -1 when no
 * status was received). */
int vigil_rpc_code(const struct vigil_client *c);

/* The message of the last failure (the server's grpc-message for VIGIL_E_RPC);
 * borrowed, valid until the next call on c. "" after success. */
const char *vigil_errmsg(const struct vigil_client *c);

/* Name of a gRPC status code, e.g. "PERMISSION_DENIED". */
const char *vigil_code_name(int code);

/* Test hook: sends raw request bytes (already gRPC-framed, or not) as the body
 * of a call, to exercise the server's framing checks. Same results as vigil_call;
 * the response message, if any, is discarded. */
enum vigil_status vigil_call_raw(struct vigil_client *c, const char *path, const void *body,
                                 size_t len, int timeout_ms);

#endif
