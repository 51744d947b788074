/* rpc: the method table (see rpc.h). */
#include "rpc.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/exchange.pb-c.h"
#include "vigil/v1/offices.pb-c.h"
#include "vigil/v1/rankings.pb-c.h"

#include <string.h>

/* A method whose logic is the SQL function vigil_api.<fn>. */
#define API(path, type, fn)                                                                        \
    {                                                                                              \
        path, &vigil__v1__##type##_request__descriptor, RPC_OFFICE, svc_sql_call,                  \
            &vigil__v1__##type##_response__descriptor, SQL_API(fn), false                          \
    }

/* A Rankings method with its own handler (svc_rankings.h). Reads are public:
 * the SQL functions show anonymous callers published, past-embargo data. */
#define RANKINGS(name, request, access, handler)                                                   \
    {                                                                                              \
        "/vigil.v1.Rankings/" name, &vigil__v1__##request##__descriptor, access, handler, NULL,    \
            NULL, false                                                                            \
    }

static const struct rpc_method methods[] = {
    {"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
     RPC_OFFICE_OR_DB_DOWN, svc_health_check, NULL, NULL, false},
    {"/vigil.v1.Offices/WhoAmI", &vigil__v1__who_am_irequest__descriptor, RPC_OFFICE,
     svc_offices_whoami, NULL, NULL, false},
    API("/vigil.v1.Offices/ListOffices", list_offices, "offices_list_offices"),
    API("/vigil.v1.Offices/AddOffice", add_office, "offices_add_office"),
    API("/vigil.v1.Offices/AddCertificate", add_certificate, "offices_add_certificate"),
    API("/vigil.v1.Offices/SetScope", set_scope, "offices_set_scope"),
    API("/vigil.v1.Offices/SetActive", set_active, "offices_set_active"),
    API("/vigil.v1.Catalog/ListRegions", list_regions, "catalog_list_regions"),
    API("/vigil.v1.Catalog/ListStates", list_states, "catalog_list_states"),
    API("/vigil.v1.Catalog/ListCycles", list_cycles, "catalog_list_cycles"),
    API("/vigil.v1.Catalog/GetMethodology", get_methodology, "catalog_get_methodology"),
    API("/vigil.v1.Catalog/LoadMethodology", load_methodology, "catalog_load_methodology"),
    API("/vigil.v1.Catalog/CreateCycle", create_cycle, "catalog_create_cycle"),
    API("/vigil.v1.Catalog/SetCycleStatus", set_cycle_status, "catalog_set_cycle_status"),
    API("/vigil.v1.Assessments/Submit", submit, "assessments_submit"),
    API("/vigil.v1.Assessments/Get", get, "assessments_get"),
    API("/vigil.v1.Assessments/ListRevisions", list_revisions, "assessments_list_revisions"),
    API("/vigil.v1.Assessments/List", list, "assessments_list"),
    API("/vigil.v1.Assessments/Review", review, "assessments_review"),
    API("/vigil.v1.Assessments/ListAudit", list_audit, "assessments_list_audit"),
    RANKINGS("GetRanking", get_ranking_request, RPC_PUBLIC, svc_rankings_get_ranking),
    RANKINGS("GetAggregates", get_aggregates_request, RPC_PUBLIC, svc_rankings_get_aggregates),
    RANKINGS("GetCard", get_card_request, RPC_PUBLIC, svc_rankings_get_card),
    RANKINGS("GetHistory", get_history_request, RPC_PUBLIC, svc_rankings_get_history),
    RANKINGS("GetPublishedInputs", get_published_inputs_request, RPC_PUBLIC,
             svc_rankings_get_published_inputs),
    RANKINGS("Publish", publish_request, RPC_OFFICE, svc_rankings_publish),
    /* Exchange: published data for everyone (anonymous callers included);
     * the SQL functions apply the visibility rules. */
    {"/vigil.v1.Exchange/Changes", &vigil__v1__changes_request__descriptor, RPC_PUBLIC,
     svc_exchange_changes, NULL, NULL, false},
    {"/vigil.v1.Exchange/Export", &vigil__v1__export_request__descriptor, RPC_PUBLIC,
     svc_exchange_export, NULL, NULL, false},
    {"/vigil.v1.Exchange/Import", &vigil__v1__import_request__descriptor, RPC_OFFICE,
     svc_exchange_import, NULL, NULL, true},
};

const struct rpc_method *rpc_find(const char *path, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strlen(methods[i].path) == len && memcmp(methods[i].path, path, len) == 0)
            return &methods[i];
    }
    return NULL;
}
