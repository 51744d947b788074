/* listener: a bound TCP socket accepting connections for one of the two
 * listeners (mutual TLS, or public), with the connection limit applied at
 * accept. */
#ifndef VIGIL_LISTENER_H
#define VIGIL_LISTENER_H

#include <stdbool.h>

struct server;
struct listener;

/* Binds addr ("host:port", "[v6]:port"; port 0 = any free port) and starts
 * accepting. Returns NULL (logged, naming the address) on failure. */
struct listener *listener_new(struct server *srv, const char *addr, bool is_public);

/* Stops accepting and closes the socket. NULL is a no-op. */
void listener_free(struct listener *l);

/* The bound address as "host:port" (the real port when 0 was asked);
 * borrowed until listener_free. */
const char *listener_address(const struct listener *l);

#endif
