/* libvigil: the small C client of Vigil. One connection (TLS with a client
 * certificate, ALPN h2, server certificate and host name verified), unary and
 * streaming gRPC calls with a deadline, protobuf-c messages in and out.
 *
 * Blocking I/O. A struct vigil_client is not thread-safe: use one per thread,
 * or serialise calls. The library never logs, never aborts, and never writes
 * to stdout/stderr: every failure is returned as an enum vigil_status with a
 * message in the client's error buffer. It keeps no global state.
 *
 * Signals: the library never raises SIGPIPE. It writes to the socket with
 * send(MSG_NOSIGNAL) (through a BIO of its own), so a server that closes the
 * connection shows up as VIGIL_E_CONNECT, and callers need not ignore SIGPIPE.
 * A call interrupted by a signal resumes (EINTR is retried) within its deadline.
 *
 * The library's internal symbols are prefixed client_ (client_tls_*,
 * client_h2_*, client_sock_*) so that it can be linked with the daemon's code. */
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
    /* Not failures: the two outcomes of streaming calls that are not
     * VIGIL_OK (see "Streaming calls" below). */
    VIGIL_END,   /* vigil_stream_recv(): the server ended the call with grpc-status OK
                    and every message was received */
    VIGIL_AGAIN, /* vigil_stream_send(): the server waits for its messages to be read;
                    the message was not taken: receive, then send it again */
};

/* Static English text for a status. */
const char *vigil_strerror(enum vigil_status st);

struct vigil_options {
    const char *address;     /* "host:port"; IPv6 as "[::1]:7443" */
    const char *ca_file;     /* PEM CA bundle the server must chain to; NULL = the
                                system's default trust store */
    const char *cert_file;   /* client certificate chain (PEM); NULL = none (public listener) */
    const char *key_file;    /* its private key (PEM, unencrypted); NULL = read from
                                cert_file; must be NULL when cert_file is */
    const char *server_name; /* name (or IP literal) checked against the server
                                certificate, sent as SNI when it is a name, and used
                                in :authority; NULL = the host part of address */
    int connect_timeout_ms;  /* TCP + TLS + HTTP/2 setup; 0 = 10000 (name resolution
                                itself is not bounded) */
};

struct vigil_client;

/* Connects and completes TLS and the HTTP/2 preface (both SETTINGS frames).
 * opts and its strings are only borrowed during the call (the files are read
 * now). On failure returns NULL and, when err is not NULL, stores the status
 * in *err; when errbuf is not NULL, a message naming the failing step, file
 * or address goes to errbuf (errcap bytes, NUL-terminated). Errors:
 * VIGIL_E_USAGE (opts malformed), VIGIL_E_CONNECT (resolution, TCP, or the
 * whole set-up outlasting connect_timeout_ms), VIGIL_E_TLS (a file cannot be
 * read or loaded, the server certificate fails verification or does not
 * match the name, the handshake fails, the server refuses our certificate,
 * or ALPN "h2" was not negotiated), VIGIL_E_PROTOCOL (the server does not
 * speak HTTP/2), VIGIL_E_NOMEM. */
struct vigil_client *vigil_client_new(const struct vigil_options *opts, enum vigil_status *err,
                                      char *errbuf, size_t errcap);

/* Closes the connection (sending GOAWAY and close_notify when the connection
 * is healthy, waiting at most 200 ms to write them) and frees everything.
 * NULL is a no-op. */
void vigil_client_free(struct vigil_client *c);

/* One unary call on a new HTTP/2 stream. path is "/package.Service/Method".
 * req is serialised with protobuf-c; on VIGIL_OK *resp receives a message
 * unpacked with resp_desc, owned by the caller (free it with
 * protobuf_c_message_free_unpacked(*resp, NULL)); on failure *resp is NULL.
 * timeout_ms > 0 sends grpc-timeout and bounds the whole call; 0 = no deadline.
 * Responses are limited to one message of at most 64 MiB.
 * Results:
 *   VIGIL_OK
 *   VIGIL_E_USAGE     bad arguments, or a stream is open on c; nothing was sent
 *   VIGIL_E_RPC       the server's grpc-status was not OK: vigil_rpc_code() and
 *                     vigil_errmsg() give it and the decoded grpc-message. A
 *                     stream reset by the server without a status is mapped
 *                     as gRPC does (REFUSED_STREAM -> UNAVAILABLE, CANCEL ->
 *                     CANCELLED, others -> INTERNAL ...). A server-side
 *                     DEADLINE_EXCEEDED comes this way too.
 *   VIGIL_E_DEADLINE  timeout_ms passed first; the stream was cancelled with
 *                     RST_STREAM CANCEL and the connection stays usable
 *   VIGIL_E_PROTOCOL  the answer is not valid gRPC (an HTTP status other than
 *                     200 without grpc-status, no message, an undecodable or
 *                     compressed message, ...), or the server broke HTTP/2
 *   VIGIL_E_CONNECT, VIGIL_E_TLS  the connection failed, or the server had
 *                     sent GOAWAY before the call; every later call fails with
 *                     VIGIL_E_CONNECT. (A call the server refuses while it
 *                     shuts down gives VIGIL_E_RPC, UNAVAILABLE.)
 *   VIGIL_E_NOMEM
 * After VIGIL_E_CONNECT or VIGIL_E_TLS, free the client and connect again;
 * after VIGIL_E_PROTOCOL that is the safe course too (a per-call protocol
 * error leaves the connection usable, a connection-level one does not). */
enum vigil_status vigil_call(struct vigil_client *c, const char *path, const ProtobufCMessage *req,
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

/* ---- Streaming calls ----
 *
 * A call whose request, response or both are streams of messages, on an
 * HTTP/2 stream of its own: vigil_stream_open(), then vigil_stream_send()
 * each request message and vigil_stream_close_send() (a server-streaming
 * call sends exactly one), and vigil_stream_recv() until it returns
 * VIGIL_END or a failure; vigil_stream_free() in every case.
 *
 * One call at a time: while a stream is open on a client (from
 * vigil_stream_open() to vigil_stream_free()), vigil_call() and
 * vigil_stream_open() on that client return VIGIL_E_USAGE. Free every stream
 * before its client (a stream whose client was freed first only fails with
 * VIGIL_E_USAGE, and can still be freed). Failures are reported as for
 * vigil_call(): the status, with vigil_rpc_code() and vigil_errmsg() of the
 * client (vigil_errmsg() is "" after VIGIL_OK, VIGIL_END and VIGIL_AGAIN).
 * Once a stream has failed, every later call on it returns that failure.
 *
 * Memory and flow control. A received message is acknowledged to the server
 * (HTTP/2 WINDOW_UPDATE) only when it is the next one vigil_stream_recv()
 * will hand out, so a slow reader holds the server back through HTTP/2 flow
 * control: the library keeps at most the stream window (1 MiB) of unread
 * messages, plus the next message itself (each at most 64 MiB). Sending
 * keeps at most one request message: vigil_stream_send() blocks while flow
 * control holds it back, reading the server's messages into that bounded
 * queue meanwhile; when the queue is full and the message still cannot
 * leave, the server is waiting for us to read, and vigil_stream_send()
 * returns VIGIL_AGAIN rather than block. A bidirectional call therefore
 * cannot deadlock, with a server that answers each request and limits its
 * own buffering: on VIGIL_AGAIN, receive (vigil_stream_recv() then returns
 * at once), then send the same message again.
 *
 * A stream that is freed before the server ended it is reset (RST_STREAM
 * CANCEL); the connection stays usable. */
struct vigil_stream;

/* Starts a call of path ("/package.Service/Method") and sends its headers.
 * timeout_ms > 0 sends grpc-timeout and bounds the whole call, every send
 * and receive included (a call that reaches it is cancelled, and it and its
 * operations fail with VIGIL_E_DEADLINE); 0 = no deadline. Returns the
 * stream, owned by the caller (vigil_stream_free()), which borrows c until
 * then; or NULL with the status in *err (when err is not NULL): VIGIL_E_USAGE
 * (bad path or timeout, or a stream is already open on c), VIGIL_E_CONNECT,
 * VIGIL_E_TLS, VIGIL_E_PROTOCOL, VIGIL_E_DEADLINE (the headers could not be
 * written in time), VIGIL_E_NOMEM, as for vigil_call(). */
struct vigil_stream *vigil_stream_open(struct vigil_client *c, const char *path, int timeout_ms,
                                       enum vigil_status *err);

/* Bounds each later vigil_stream_send(), vigil_stream_close_send() and
 * vigil_stream_recv() call on s: one that waits for the server longer than
 * wait_ms fails with VIGIL_E_DEADLINE and cancels the call. For a call that
 * may legitimately run long (a bulk export) while the server must keep
 * answering. 0 (the default) = no bound but the call's deadline. */
void vigil_stream_set_wait(struct vigil_stream *s, int wait_ms);

/* Sends one request message (serialised now: msg is only borrowed during
 * the call). Returns:
 *   VIGIL_OK     msg was taken; it may still be partly on its way, finished
 *                by the next call on s
 *   VIGIL_AGAIN  the previous message is still held back and the server
 *                waits for its messages to be read: msg was not taken; call
 *                vigil_stream_recv() and send msg again
 *   VIGIL_END    the server ended the call with OK before msg could be sent;
 *                vigil_stream_recv() still returns its messages
 *   VIGIL_E_USAGE  msg NULL or too large, or after vigil_stream_close_send()
 *   the call's failure, as vigil_stream_recv() returns it (VIGIL_E_RPC when
 *   the server ended the call with an error; its earlier messages can still
 *   be received), VIGIL_E_DEADLINE, VIGIL_E_CONNECT, VIGIL_E_TLS,
 *   VIGIL_E_PROTOCOL, VIGIL_E_NOMEM */
enum vigil_status vigil_stream_send(struct vigil_stream *s, const ProtobufCMessage *msg);

/* Ends the request stream (END_STREAM after the messages sent). Never
 * returns VIGIL_AGAIN: what flow control still holds back leaves during
 * vigil_stream_recv(). A second call does nothing. Returns VIGIL_OK (also
 * when the server already ended the call: vigil_stream_recv() tells how), or
 * a failure as vigil_stream_send(). */
enum vigil_status vigil_stream_close_send(struct vigil_stream *s);

/* Receives the next message, unpacked with type: on VIGIL_OK *out is owned
 * by the caller (protobuf_c_message_free_unpacked(*out, NULL)); otherwise
 * *out is NULL. Blocks until a message arrives or the call ends (within the
 * deadline and the wait bound). Returns:
 *   VIGIL_OK          a message
 *   VIGIL_END         the server ended the call with grpc-status OK and every
 *                     message has been received (again on every later call)
 *   VIGIL_E_RPC       the server ended the call with an error status
 *                     (vigil_rpc_code(), vigil_errmsg()), after its earlier
 *                     messages were received; a reset stream is mapped as
 *                     vigil_call() maps it
 *   VIGIL_E_PROTOCOL  a message does not decode as type, is compressed or
 *                     larger than 64 MiB, or the answer is not gRPC; the call
 *                     is cancelled
 *   VIGIL_E_USAGE, VIGIL_E_DEADLINE, VIGIL_E_CONNECT, VIGIL_E_TLS,
 *   VIGIL_E_NOMEM     as for vigil_call() */
enum vigil_status vigil_stream_recv(struct vigil_stream *s, const ProtobufCMessageDescriptor *type,
                                    ProtobufCMessage **out);

/* How many received messages vigil_stream_recv() can return without
 * waiting (they arrived while sending or receiving). */
size_t vigil_stream_ready(const struct vigil_stream *s);

/* Ends the stream and frees it: a call the server has not ended is cancelled
 * with RST_STREAM CANCEL (waiting at most 500 ms to write it). The client is
 * free for another call afterwards. NULL is a no-op. */
void vigil_stream_free(struct vigil_stream *s);

/* Test hook: sends raw request bytes (already gRPC-framed, or not) as the body
 * of a call, to exercise the server's framing checks. body is borrowed for the
 * call (may be NULL when len is 0). Same results as vigil_call, including
 * VIGIL_E_PROTOCOL when an OK answer carries no message; the response message
 * itself is discarded. */
enum vigil_status vigil_call_raw(struct vigil_client *c, const char *path, const void *body,
                                 size_t len, int timeout_ms);

#endif
