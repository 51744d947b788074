/* client_msgq: the messages of one streaming call between the HTTP/2 session
 * that receives them and the application that reads them, and the
 * flow-control bookkeeping that lets a slow reader hold the server back.
 *
 * DATA bytes are split into gRPC messages as they arrive. They may be
 * acknowledged to the server (nghttp2_session_consume, hence WINDOW_UPDATE)
 * only when the application is about to read them: the bytes of the message
 * that will be delivered next (the head) at once, even while it is still
 * incomplete (a message may be larger than the window), and those of the
 * messages behind it once they become the head. The unacknowledged bytes,
 * the backlog, are therefore bounded by the stream's receive window: a
 * reader that does not read makes the server wait instead of this queue
 * grow. Pure: no I/O, tested by feeding it bytes. */
#ifndef VIGIL_CLIENT_MSGQ_H
#define VIGIL_CLIENT_MSGQ_H

#include "grpcwire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client_msgq_msg;

struct client_msgq {
    struct grpcwire_reader reader;       /* the message being received */
    size_t partial_wire;                 /* its bytes received so far, prefix included */
    size_t partial_unconsumed;           /* of those, not yet acknowledged */
    struct client_msgq_msg *head, *tail; /* complete messages, oldest first (owned) */
    size_t count;                        /* complete messages queued */
    size_t backlog;                      /* bytes received and not acknowledged */
    enum grpcwire_read error;            /* sticky reader error; GRPCWIRE_NEED_MORE = none */
};

/* Empty queue accepting messages of at most max_message bytes. */
void client_msgq_init(struct client_msgq *q, size_t max_message);

/* Frees every queued message; q is then as after client_msgq_init(). */
void client_msgq_clear(struct client_msgq *q);

/* Takes len DATA payload bytes (all of them, even after an error). *consume
 * gets how many bytes may be acknowledged now: those of the head. Returns
 * GRPCWIRE_NEED_MORE, or the reader's error (GRPCWIRE_COMPRESSED,
 * GRPCWIRE_TOO_LARGE, GRPCWIRE_BAD_FLAG, GRPCWIRE_NOMEM), which is sticky:
 * later bytes are only counted as consumable. Complete messages queued
 * before an error stay readable. */
enum grpcwire_read client_msgq_feed(struct client_msgq *q, const uint8_t *data, size_t len,
                                    size_t *consume);

/* Takes the oldest complete message: *data (malloc'd, owned by the caller,
 * never NULL) and *len. *consume gets how many bytes may be acknowledged now
 * (those of the message that becomes the head). Returns false, with *consume
 * 0, when no message is complete. */
bool client_msgq_pop(struct client_msgq *q, uint8_t **data, size_t *len, size_t *consume);

/* Complete messages waiting. */
size_t client_msgq_count(const struct client_msgq *q);

/* Bytes received and not acknowledged: what the server is held back by. */
size_t client_msgq_backlog(const struct client_msgq *q);

/* Whether a message is being received (some of its bytes arrived). */
bool client_msgq_partial(const struct client_msgq *q);

#endif
