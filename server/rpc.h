/* rpc: the one method table. Every gRPC method the daemon serves is a row
 * here: its path, request type, who may call it and its handler. Adding an
 * RPC means a row here and a handler in the service's file. */
#ifndef VIGIL_RPC_H
#define VIGIL_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

struct call;

enum rpc_access {
    RPC_OFFICE,            /* a certificate registered to an active office */
    RPC_OFFICE_OR_DB_DOWN, /* same, but the handler also runs when the database is
                              down (identity.db_down set): the health check */
    RPC_PUBLIC,            /* also anonymous callers on the public listener */
};

/* The request is decoded and the caller identified when a handler runs; it
 * reads them with call_request() and call_identity() and answers with
 * call_reply() or call_fail(), now or later (after a call_query). */
typedef void (*rpc_handler)(struct call *c);

struct rpc_method {
    const char *path;                          /* "/vigil.v1.Offices/WhoAmI" */
    const ProtobufCMessageDescriptor *request; /* decoded before the handler runs */
    enum rpc_access access;
    rpc_handler handler;
    const ProtobufCMessageDescriptor *response; /* for svc_sql_call: the answer's type */
    const char *sql;                            /* for svc_sql_call: the statement (SQL_API) */
    bool stream_request; /* the client streams requests: see call_next_message */
};

/* The statement of a method served by a SQL function of schema vigil_api
 * (created by migrations): $1 = the caller (JSON), $2 = the request (JSON). */
#define SQL_API(fn) "SELECT vigil_api." fn "($1::jsonb, $2::jsonb)"

/* The method for a :path, or NULL. */
const struct rpc_method *rpc_find(const char *path, size_t len);

#endif
