/* svc_health: grpc.health.v1.Health/Check. SERVING only when the database
 * answers and every migration compiled into this binary is recorded there. */
#include "call.h"
#include "migrate.h"
#include "sql.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"

#include <stdlib.h>
#include <string.h>

static void answer(struct call *c, bool serving)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = serving ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                          : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    call_reply(c, &resp.base);
}

static void migrations_counted(struct call *c, enum pool_result result, const PGresult *res,
                               const char *msg)
{
    /* Any database failure here means "not serving", not an RPC error:
     * that is what a load balancer probing us needs to read. */
    bool serving =
        result == POOL_OK && PQntuples(res) == 1 && atoi(PQgetvalue(res, 0, 0)) == migrate_count();
    answer(c, serving);
}

void svc_health_check(struct call *c)
{
    const Grpc__Health__V1__HealthCheckRequest *req =
        (const Grpc__Health__V1__HealthCheckRequest *)call_request(c);

    if (req->service[0] != '\0' && strcmp(req->service, "vigil.v1.Offices") != 0 &&
        strcmp(req->service, "grpc.health.v1.Health") != 0) {
        call_fail(c, GRPC_NOT_FOUND, "service: unknown service \"%s\"", req->service);
        return;
    }
    if (call_identity(c)->db_down) {
        answer(c, false);
        return;
    }
    call_query(c, SQL_MIGRATIONS_APPLIED, 0, NULL, migrations_counted);
}
