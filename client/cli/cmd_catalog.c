/* cmd_catalog: the reference data and the cycles: regions, states, cycles,
 * methodology (show and load), and cycle create|close|open. */
#include "args.h"
#include "cmd.h"
#include "methodology.h"
#include "pbjson.h"
#include "remote.h"
#include "reqid.h"

#include "vigil/v1/catalog.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/* Connects, makes one call, and frees nothing: the caller frees *resp and
 * closes r. Returns an exit code. */
static int one_call(struct remote *r, const struct opts *o, const char *path,
                    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                    ProtobufCMessage **resp)
{
    int rc;

    *resp = NULL;
    if (!remote_open(r, o, &rc))
        return rc;
    return remote_run(r, path, req, d, resp);
}

static void free_msg(ProtobufCMessage *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
}

int cmd_regions(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column cols[] = {
        {"code", OUTPUT_STRING}, {"name", OUTPUT_STRING}, {"parent", OUTPUT_STRING}};
    Vigil__V1__ListRegionsRequest req = VIGIL__V1__LIST_REGIONS_REQUEST__INIT;
    ProtobufCMessage *resp;
    struct remote r;
    int rc, first;

    if (!cmd_parse(self, o, argc, argv, NULL, NULL, &first, &rc))
        return rc;
    rc = one_call(&r, o, "/vigil.v1.Catalog/ListRegions", &req.base,
                  &vigil__v1__list_regions_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        Vigil__V1__ListRegionsResponse *lr = (Vigil__V1__ListRegionsResponse *)resp;
        struct output *out = output_new(o->format, cols, NCOLS(cols));
        for (size_t i = 0; out != NULL && i < lr->n_regions; i++) {
            const char *row[] = {lr->regions[i]->code, lr->regions[i]->name,
                                 lr->regions[i]->parent};
            out = output_checked(out, output_add(out, row));
        }
        rc = cmd_emit(out, false);
    }
    free_msg(resp);
    remote_close(&r);
    return rc;
}

int cmd_states(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column cols[] = {
        {"code", OUTPUT_STRING}, {"name", OUTPUT_STRING}, {"region", OUTPUT_STRING}};
    Vigil__V1__ListStatesRequest req = VIGIL__V1__LIST_STATES_REQUEST__INIT;
    ProtobufCMessage *resp;
    struct remote r;
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (!args_parse(self, o, argc, argv, &a, 0, &first, &rc)) {
        args_clear(&a);
        return rc;
    }
    req.region = (char *)(a.region != NULL ? a.region : "");
    rc = one_call(&r, o, "/vigil.v1.Catalog/ListStates", &req.base,
                  &vigil__v1__list_states_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        Vigil__V1__ListStatesResponse *ls = (Vigil__V1__ListStatesResponse *)resp;
        struct output *out = output_new(o->format, cols, NCOLS(cols));
        for (size_t i = 0; out != NULL && i < ls->n_states; i++) {
            const char *row[] = {ls->states[i]->code, ls->states[i]->name, ls->states[i]->region};
            out = output_checked(out, output_add(out, row));
        }
        rc = cmd_emit(out, false);
    }
    free_msg(resp);
    remote_close(&r);
    args_clear(&a);
    return rc;
}

/* ---- cycles ---- */

static const struct output_column cycle_cols[] = {
    {"code", OUTPUT_STRING},   {"methodology", OUTPUT_STRING},   {"predecessor", OUTPUT_STRING},
    {"status", OUTPUT_STRING}, {"embargo_until", OUTPUT_STRING}, {"created_at", OUTPUT_STRING},
};

static bool add_cycle(struct output *out, const Vigil__V1__Cycle *c)
{
    char status[32] = "?";

    pbjson_enum_name(&vigil__v1__cycle_status__descriptor, c->status, status, sizeof(status));
    const char *row[] = {c->code, c->methodology,   c->predecessor,
                         status,  c->embargo_until, c->created_at};
    return output_add(out, row);
}

static int emit_cycles(const struct opts *o, Vigil__V1__Cycle **cycles, size_t n, bool record)
{
    struct output *out = output_new(o->format, cycle_cols, NCOLS(cycle_cols));

    for (size_t i = 0; out != NULL && i < n; i++) {
        if (cycles[i] == NULL || !add_cycle(out, cycles[i])) {
            output_free(out);
            out = NULL;
        }
    }
    return cmd_emit(out, record);
}

int cmd_cycles(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__ListCyclesRequest req = VIGIL__V1__LIST_CYCLES_REQUEST__INIT;
    ProtobufCMessage *resp;
    struct remote r;
    int rc, first;

    if (!cmd_parse(self, o, argc, argv, NULL, NULL, &first, &rc))
        return rc;
    rc = one_call(&r, o, "/vigil.v1.Catalog/ListCycles", &req.base,
                  &vigil__v1__list_cycles_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        Vigil__V1__ListCyclesResponse *lc = (Vigil__V1__ListCyclesResponse *)resp;
        rc = emit_cycles(o, lc->cycles, lc->n_cycles, false);
    }
    free_msg(resp);
    remote_close(&r);
    return rc;
}

static int cycle_create(struct remote *r, const struct opts *o, const struct args *a,
                        const char *code)
{
    Vigil__V1__CreateCycleRequest req = VIGIL__V1__CREATE_CYCLE_REQUEST__INIT;
    const char *pred = a->predecessor != NULL ? a->predecessor : "";
    const char *const parts[] = {code, a->methodology, pred};
    char id[REQID_SIZE];
    ProtobufCMessage *resp;

    if (a->methodology == NULL)
        return args_usage(a, "cycle create needs --methodology CODE");
    /* Derived: creating the same cycle again gets the first answer back. */
    reqid_derived(id, "cycle-create", parts, 3);
    req.request_id = id;
    req.code = (char *)code;
    req.methodology = (char *)a->methodology;
    req.predecessor = (char *)pred;
    int rc = one_call(r, o, "/vigil.v1.Catalog/CreateCycle", &req.base,
                      &vigil__v1__create_cycle_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK)
        rc = emit_cycles(o, &((Vigil__V1__CreateCycleResponse *)resp)->cycle, 1, true);
    free_msg(resp);
    return rc;
}

static int cycle_status(struct remote *r, const struct opts *o, const char *code, int status)
{
    Vigil__V1__SetCycleStatusRequest req = VIGIL__V1__SET_CYCLE_STATUS_REQUEST__INIT;
    char id[REQID_SIZE];
    ProtobufCMessage *resp;

    /* Random: closing, reopening and closing again are three changes. A
     * resend after a cut link reuses it (remote_call). */
    reqid_random(id);
    req.request_id = id;
    req.cycle = (char *)code;
    req.status = status;
    int rc = one_call(r, o, "/vigil.v1.Catalog/SetCycleStatus", &req.base,
                      &vigil__v1__set_cycle_status_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK)
        rc = emit_cycles(o, &((Vigil__V1__SetCycleStatusResponse *)resp)->cycle, 1, true);
    free_msg(resp);
    return rc;
}

int cmd_cycle(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct remote r = {0};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (!args_parse(self, o, argc, argv, &a, 2, &first, &rc)) {
        args_clear(&a);
        return rc;
    }
    const char *verb = argv[first], *code = argv[first + 1];
    if (strcmp(verb, "create") == 0)
        rc = cycle_create(&r, o, &a, code);
    else if (strcmp(verb, "close") == 0 || strcmp(verb, "open") == 0)
        rc = cycle_status(&r, o, code,
                          verb[0] == 'c' ? VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED
                                         : VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_OPEN);
    else
        rc = args_usage(&a, "unknown action \"%s\" (create, close or open)", verb);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
