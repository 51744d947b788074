/* cmd_basic: the commands that check the connection itself: health (is the
 * server serving?) and whoami (who does the server think we are?). */
#include "cmd.h"
#include "output.h"
#include "remote.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct health_args {
    const char *service; /* borrowed from argv */
};

static bool health_option(void *ctx, int id, const char *arg)
{
    struct health_args *a = ctx;

    a->service = arg; /* the only option: --service */
    return true;
}

/* Prints the health answer; a table is just the status word, for scripts. */
static int print_health(const struct opts *o, const char *service, const char *status)
{
    static const struct output_column cols[] = {{"service", OUTPUT_STRING},
                                                {"status", OUTPUT_STRING}};
    const char *row[] = {service, status};
    struct output *out;
    char err[256];
    bool ok;

    if (o->format == OUTPUT_TABLE) {
        ok = printf("%s\n", status) > 0 && fflush(stdout) == 0;
        snprintf(err, sizeof(err), "cannot write output");
    } else {
        ok = (out = output_new(o->format, cols, 2)) != NULL && output_add(out, row) &&
             output_print_record(out, stdout, err, sizeof(err));
        if (out == NULL)
            snprintf(err, sizeof(err), "out of memory");
        output_free(out);
    }
    if (!ok) {
        fprintf(stderr, "error: %s\n", err);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

int cmd_health(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct health_args a = {""};
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc, first;

    if (!cmd_parse(self, o, argc, argv, health_option, &a, &first, &rc))
        return rc;
    struct vigil_client *c = remote_connect(o, &rc);
    if (c == NULL)
        return rc;
    req.service = (char *)a.service;
    enum vigil_status st =
        vigil_call(c, "/grpc.health.v1.Health/Check", &req.base,
                   &grpc__health__v1__health_check_response__descriptor, &resp, o->timeout_ms);
    if (st != VIGIL_OK) {
        rc = remote_report(o, c, st);
        vigil_client_free(c);
        return rc;
    }
    int status = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &grpc__health__v1__health_check_response__serving_status__descriptor, status);
    rc = print_health(o, a.service, v != NULL ? v->name : "UNKNOWN");
    if (rc == CLI_EXIT_OK &&
        status != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
        rc = CLI_EXIT_NOT_SERVING;
    protobuf_c_message_free_unpacked(resp, NULL);
    vigil_client_free(c);
    return rc;
}

/* "ROLE_CENTRAL" -> "central", as users type and read it. */
static void role_name(int role, char *buf, size_t cap)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&vigil__v1__role__descriptor, role);
    const char *name = v != NULL ? v->name : "ROLE_UNKNOWN";
    size_t i = 0;

    if (strncmp(name, "ROLE_", 5) == 0)
        name += 5;
    for (; name[i] != '\0' && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
}

static int print_whoami(const struct opts *o, const Vigil__V1__WhoAmIResponse *r)
{
    static const struct output_column cols[] = {
        {"office_id", OUTPUT_INT},
        {"office_name", OUTPUT_STRING},
        {"role", OUTPUT_STRING},
        {"region", OUTPUT_STRING},
        {"active", OUTPUT_BOOL},
        {"certificate_sha256", OUTPUT_STRING},
        {"certificate_subject", OUTPUT_STRING},
    };
    const Vigil__V1__Office *off = r->office;
    char id[24], role[32], err[256] = "out of memory";
    struct output *out = output_new(o->format, cols, sizeof(cols) / sizeof(cols[0]));
    bool ok;

    snprintf(id, sizeof(id), "%lld", off != NULL ? (long long)off->id : 0LL);
    role_name(r->role, role, sizeof(role));
    /* An anonymous caller has no office: its fields are absent, not empty. */
    const char *row[] = {
        off != NULL ? id : NULL,
        off != NULL ? off->name : NULL,
        role,
        off != NULL ? off->region : NULL,
        off != NULL ? (off->active ? "true" : "false") : NULL,
        r->certificate_sha256,
        r->certificate_subject,
    };
    ok = out != NULL && output_add(out, row) && output_print_record(out, stdout, err, sizeof(err));
    output_free(out);
    if (!ok) {
        fprintf(stderr, "error: %s\n", err);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

int cmd_whoami(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc, first;

    if (!cmd_parse(self, o, argc, argv, NULL, NULL, &first, &rc))
        return rc;
    struct vigil_client *c = remote_connect(o, &rc);
    if (c == NULL)
        return rc;
    enum vigil_status st =
        vigil_call(c, "/vigil.v1.Offices/WhoAmI", &req.base,
                   &vigil__v1__who_am_iresponse__descriptor, &resp, o->timeout_ms);
    rc = st == VIGIL_OK ? print_whoami(o, (Vigil__V1__WhoAmIResponse *)resp)
                        : remote_report(o, c, st);
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    vigil_client_free(c);
    return rc;
}
