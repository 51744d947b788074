/* rpc: the method table (see rpc.h). */
#include "rpc.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <string.h>

static const struct rpc_method methods[] = {
    {"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
     RPC_OFFICE_OR_DB_DOWN, svc_health_check},
    {"/vigil.v1.Offices/WhoAmI", &vigil__v1__who_am_irequest__descriptor, RPC_OFFICE,
     svc_offices_whoami},
};

const struct rpc_method *rpc_find(const char *path, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strlen(methods[i].path) == len && memcmp(methods[i].path, path, len) == 0)
            return &methods[i];
    }
    return NULL;
}
