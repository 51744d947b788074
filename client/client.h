/* client: the struct behind the opaque struct vigil_client of vigil.h, shared
 * by client.c (connection set-up and teardown, status text) and call.c
 * (unary calls). Not installed; libvigil's users see only vigil.h. */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include "client_h2.h"
#include "client_tls.h"
#include "vigil.h"

struct vigil_client {
    struct client_tls tls; /* the TLS connection; h2 borrows it */
    struct client_h2 h2;   /* the HTTP/2 session on top of tls */
    char *authority;       /* :authority of every call, "name:port" (owned) */
    int rpc_code;          /* grpc-status of the last call; -1 when none was received */
    char errmsg[1024];     /* message of the last failure; "" after success */
};

#endif
