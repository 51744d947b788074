/* client_h2: libvigil's HTTP/2 client session (nghttp2) over a tls connection. One
 * stream at a time. A unary exchange submits a request with its whole body,
 * pumps the connection until the stream closes or the deadline passes, and
 * collects the response headers, trailers and the single gRPC message. A
 * streaming call opens a stream whose body is handed over piece by piece and
 * whose messages go to a client_msgq, acknowledged to the server only as the
 * application reads them (the session runs without automatic WINDOW_UPDATE).
 * gRPC meaning is left to call.c and stream.c. */
#ifndef VIGIL_CLIENT_H2_H
#define VIGIL_CLIENT_H2_H

#include "client_msgq.h"
#include "client_tls.h"
#include "grpcwire.h"
#include "vigil.h"

#include <nghttp2/nghttp2.h>
#include <stdint.h>

/* Largest response message accepted; a larger one fails the call. */
#define CLIENT_H2_MAX_MESSAGE (64u * 1024 * 1024)

/* What came back on one stream. Embedded: client_h2_response_init/client_h2_response_clear. */
struct client_h2_response {
    int http_status;               /* :status; 0 until seen */
    char *grpc_status;             /* raw grpc-status value (heap, NUL-terminated); NULL = absent */
    char *grpc_message;            /* raw, still percent-encoded grpc-message; NULL = absent */
    struct grpcwire_reader reader; /* the message from the DATA frames */
    enum grpcwire_read read;       /* last reader result; an error stops collection */
    bool extra_data;               /* bytes after the first message (bad for unary) */
    bool nomem;                    /* a header could not be copied; the stream was reset */
    bool ended;                    /* the server ended its side (END_STREAM), or it closed */
    bool closed;                   /* the stream closed (normally or reset) */
    uint32_t close_code;           /* HTTP/2 error code it closed with; 0 = NO_ERROR */
};

void client_h2_response_init(struct client_h2_response *r);
void client_h2_response_clear(struct client_h2_response *r);

struct client_h2 {
    nghttp2_session *session; /* owned */
    struct client_tls *tls;   /* borrowed from the owner of both */
    uint8_t *out;             /* serialised frames not yet written (owned); kept across
                                 calls so an interrupted TLS record can be finished */
    size_t out_len, out_off, out_cap;
    bool settings_seen;              /* the server's first SETTINGS arrived */
    bool goaway;                     /* the server sent GOAWAY: no new streams */
    uint32_t goaway_code;            /* its HTTP/2 error code */
    bool local_error;                /* nghttp2 ended the session over a peer's protocol error */
    char proto_err[160];             /* nghttp2's text of the last protocol error seen */
    bool failed;                     /* the connection is unusable (error already reported) */
    int32_t stream_id;               /* stream in progress; -1 outside one */
    struct client_h2_response *resp; /* its response, borrowed while it is in progress */
    struct client_msgq *queue;       /* streaming: where its messages go (borrowed); NULL =
                                        unary: into resp->reader */
    const uint8_t *body;             /* request body bytes not yet taken (borrowed) */
    size_t body_len, body_off;
    bool body_eof;      /* the body ends after body_len: END_STREAM then */
    bool body_deferred; /* nghttp2 waits for client_h2_body() to resume */
};

/* Makes h empty so that client_h2_clear() is always safe. */
void client_h2_init(struct client_h2 *h);

/* Creates the client session on the established tls (borrowed for h's life),
 * sends the preface and SETTINGS and waits for the server's SETTINGS before
 * the deadline. Errors: VIGIL_E_CONNECT (including a timeout), VIGIL_E_TLS,
 * VIGIL_E_PROTOCOL (the server does not speak HTTP/2), VIGIL_E_NOMEM. */
enum vigil_status client_h2_start(struct client_h2 *h, struct client_tls *tls, int64_t deadline,
                                  char *err, size_t cap);

/* Sends one request (nva: the header fields, copied; body: borrowed until
 * return) and collects its response into resp until the stream closes.
 * Returns VIGIL_OK when the stream closed (resp says how, including a
 * REFUSED_STREAM close when a GOAWAY arrived first), VIGIL_E_DEADLINE after
 * cancelling the stream with RST_STREAM (the connection stays usable),
 * VIGIL_E_CONNECT when a GOAWAY was received before this call or the
 * connection failed, VIGIL_E_TLS, VIGIL_E_PROTOCOL (the server broke HTTP/2),
 * VIGIL_E_NOMEM. After any status but VIGIL_OK and VIGIL_E_DEADLINE, h->failed
 * is set and later exchanges fail at once. */
enum vigil_status client_h2_exchange(struct client_h2 *h, const nghttp2_nv *nva, size_t nvlen,
                                     const void *body, size_t len, struct client_h2_response *resp,
                                     int64_t deadline, char *err, size_t cap);

/* ---- streaming: one open stream driven by the caller ---- */

/* Submits a request (nva copied) whose body comes later through
 * client_h2_body(); its response goes to resp (headers, trailers, how it
 * closed) and its messages to q, both borrowed until client_h2_close().
 * Sends nothing yet (the next pump does). Errors as client_h2_exchange(),
 * without VIGIL_E_DEADLINE. */
enum vigil_status client_h2_open(struct client_h2 *h, const nghttp2_nv *nva, size_t nvlen,
                                 struct client_h2_response *resp, struct client_msgq *q, char *err,
                                 size_t cap);

/* Hands the open stream len more body bytes (borrowed until
 * client_h2_body_taken()), and its end when eof. The previous bytes must
 * have been taken. Errors: VIGIL_E_NOMEM, VIGIL_E_PROTOCOL (nghttp2 refused). */
enum vigil_status client_h2_body(struct client_h2 *h, const void *body, size_t len, bool eof,
                                 char *err, size_t cap);

/* Ends the open stream's body after the bytes given (END_STREAM). Errors as
 * client_h2_body(). */
enum vigil_status client_h2_body_end(struct client_h2 *h, char *err, size_t cap);

/* Whether nghttp2 has taken every body byte given (they are framed, and
 * written by the pump that took them). */
bool client_h2_body_taken(const struct client_h2 *h);

/* Tells the session that n received bytes of the open stream were read
 * (nghttp2 sends WINDOW_UPDATE when enough have been). Errors as above. */
enum vigil_status client_h2_consume(struct client_h2 *h, size_t n, char *err, size_t cap);

/* Writes what the session has to send and reads, until done(h, arg) holds,
 * the deadline passes or the connection fails. Returns VIGIL_OK when done,
 * VIGIL_E_DEADLINE (the stream and the connection intact), or the
 * connection's failure as client_h2_exchange() (h->failed is then set). */
enum vigil_status client_h2_pump(struct client_h2 *h,
                                 bool (*done)(const struct client_h2 *h, const void *arg),
                                 const void *arg, int64_t deadline, char *err, size_t cap);

/* Ends the open stream: when it has not closed, resets it with CANCEL and
 * gives the reset a moment to leave. Then forgets it (later frames of it are
 * acknowledged and dropped). */
void client_h2_close(struct client_h2 *h);

/* Sends GOAWAY if the connection is healthy, waiting at most grace_ms to
 * write it, then frees the session. The tls is left to its owner. */
void client_h2_clear(struct client_h2 *h, int grace_ms);

#endif
