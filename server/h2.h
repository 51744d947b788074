/* h2: the HTTP/2 layer of a connection, through nghttp2's server session:
 * session set-up with our limits, bytes in (h2_feed), and the callbacks that
 * turn frames into call events (call.h). Frames out are drained by conn_flush. */
#ifndef VIGIL_H2_H
#define VIGIL_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct config;

/* Creates c->h2 and queues our SETTINGS (concurrent streams, header list
 * size, windows from cfg). Returns false (logged) on failure. */
bool h2_start(struct conn *c, const struct config *cfg) __attribute__((warn_unused_result));

/* Feeds received bytes to the session. Returns false on a protocol error,
 * after which the connection must be closed (nghttp2 has queued GOAWAY). */
bool h2_feed(struct conn *c, const uint8_t *data, size_t len) __attribute__((warn_unused_result));

/* Frees the session without callbacks into calls (they are ended before). */
void h2_free(struct conn *c);

#endif
