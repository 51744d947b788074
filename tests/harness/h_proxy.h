/* h_proxy: a TCP relay between clients and a test daemon, run by a thread of
 * the test, that can cut a connection at a chosen moment: once armed, after
 * the client has sent bytes (its request), the first bytes coming back from
 * the server (its answer) are not forwarded and both sides are closed. The
 * client never reads an answer that the server did send and commit: the
 * "connection lost before the answer was read" case of idempotent retries.
 * TLS passes through opaquely; the relay never looks inside. */
#ifndef H_PROXY_H
#define H_PROXY_H

struct h_proxy;

/* Listens on 127.0.0.1:0 and relays every accepted connection to target
 * ("127.0.0.1:PORT"). Fails the test on error. Free with h_proxy_free. */
struct h_proxy *h_proxy_new(const char *target);

/* "127.0.0.1:PORT" of the relay; borrowed until h_proxy_free. */
const char *h_proxy_address(const struct h_proxy *p);

/* Arms the cut on every connection open now (not on later ones): the next
 * server bytes that follow client bytes sent after this call are dropped and
 * the connection is closed on both sides. Takes effect before it returns. */
void h_proxy_arm_cut(struct h_proxy *p);

/* The number of connections cut so far. */
int h_proxy_cuts(struct h_proxy *p);

/* Stops the thread and closes every socket. NULL is a no-op. */
void h_proxy_free(struct h_proxy *p);

#endif
