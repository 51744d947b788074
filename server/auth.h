/* auth: who is calling. Maps the connection's verified client certificate
 * (its SHA-256 fingerprint) to an active office row, on every call, and
 * decides whether the method's access rule lets the caller in. */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

struct call;
struct conn;

/* Fills the call's identity (asynchronously, through the pool) and then
 * either runs the handler (call_dispatch) or answers UNAUTHENTICATED /
 * UNAVAILABLE. */
void auth_resolve(struct call *c, const struct conn *conn);

#endif
