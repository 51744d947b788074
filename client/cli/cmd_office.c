/* cmd_office: `vigil office list|add|add-cert|scope|disable|enable`, the
 * central office's management of offices, their scopes and certificates. */
#include "args.h"
#include "cmd.h"
#include "pbjson.h"
#include "remote.h"
#include "reqid.h"

#include "vigil/v1/offices.pb-c.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

static const struct output_column office_cols[] = {
    {"id", OUTPUT_INT},
    {"name", OUTPUT_STRING},
    {"role", OUTPUT_STRING},
    {"region", OUTPUT_STRING},
    {"states", OUTPUT_STRING},
    {"active", OUTPUT_BOOL},
    {"certificates", OUTPUT_STRING},
};

/* Joins n strings with sep; NULL when out of memory. */
static char *join(char *const *v, size_t n, const char *sep)
{
    size_t len = 1;

    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + strlen(sep);
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(s, i ? sep : "");
        strcat(s, v[i]);
    }
    return s;
}

static bool add_office(struct output *out, const Vigil__V1__Office *f)
{
    char id[24], role[32] = "?";
    char **fps = calloc(f->n_certificates + 1, sizeof(*fps));
    char *states = join(f->states, f->n_states, " "), *certs = NULL;
    bool ok;

    for (size_t i = 0; fps != NULL && i < f->n_certificates; i++)
        fps[i] = f->certificates[i]->sha256;
    if (fps != NULL)
        certs = join(fps, f->n_certificates, " ");
    snprintf(id, sizeof(id), "%lld", (long long)f->id);
    pbjson_enum_name(&vigil__v1__role__descriptor, f->role, role, sizeof(role));
    const char *row[] = {id, f->name, role, f->region, states, f->active ? "true" : "false", certs};
    ok = states != NULL && certs != NULL && output_add(out, row);
    free(fps);
    free(states);
    free(certs);
    return ok;
}

static int emit_offices(const struct opts *o, Vigil__V1__Office **offices, size_t n, bool record)
{
    struct output *out = output_new(o->format, office_cols, NCOLS(office_cols));

    for (size_t i = 0; out != NULL && i < n; i++) {
        if (offices[i] == NULL || !add_office(out, offices[i])) {
            output_free(out);
            out = NULL;
        }
    }
    return cmd_emit(out, record);
}

/* Calls path on r (connecting first when needed) and prints the office in
 * the answer's first field. */
static int office_call(struct remote *r, const struct opts *o, const char *path,
                       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *resp = NULL;
    int rc;

    if (r->c == NULL && !remote_open(r, o, &rc))
        return rc;
    if ((rc = remote_run(r, path, req, d, &resp)) != CLI_EXIT_OK)
        return rc;
    /* AddOffice, SetScope and SetActive answer {Office office = 1;}. */
    Vigil__V1__Office *f = ((Vigil__V1__AddOfficeResponse *)resp)->office;
    rc = emit_offices(o, &f, 1, true);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static int list(struct remote *r, const struct opts *o)
{
    Vigil__V1__ListOfficesRequest req = VIGIL__V1__LIST_OFFICES_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    if (!remote_open(r, o, &rc))
        return rc;
    rc = remote_run(r, "/vigil.v1.Offices/ListOffices", &req.base,
                    &vigil__v1__list_offices_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        Vigil__V1__ListOfficesResponse *lo = (Vigil__V1__ListOfficesResponse *)resp;
        rc = emit_offices(o, lo->offices, lo->n_offices, false);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return rc;
}

static int add(struct remote *r, const struct opts *o, const struct args *a, const char *name)
{
    Vigil__V1__AddOfficeRequest req = VIGIL__V1__ADD_OFFICE_REQUEST__INIT;
    char id[REQID_SIZE];
    int role;

    if (a->role == NULL || !pbjson_enum_value(&vigil__v1__role__descriptor, a->role, &role))
        return args_usage(a, "office add needs --role regional, central or partner");
    char *states = join((char *const *)a->states, a->nstates, ",");
    const char *const parts[] = {name, a->role, a->region ? a->region : "", states ? states : ""};
    /* Derived: an office is created once; adding it again gets that answer. */
    reqid_derived(id, "office-add", parts, 4);
    free(states);
    req.request_id = id;
    req.name = (char *)name;
    req.role = role;
    req.region = (char *)(a->region ? a->region : "");
    req.states = (char **)a->states;
    req.n_states = a->nstates;
    return office_call(r, o, "/vigil.v1.Offices/AddOffice", &req.base,
                       &vigil__v1__add_office_response__descriptor);
}

static int scope(struct remote *r, const struct opts *o, const struct args *a, const char *name)
{
    Vigil__V1__SetScopeRequest req = VIGIL__V1__SET_SCOPE_REQUEST__INIT;
    char id[REQID_SIZE];

    /* Random: setting a scope back to an earlier one is a new change. */
    reqid_random(id);
    req.request_id = id;
    req.office = (char *)name;
    req.region = (char *)(a->region ? a->region : "");
    req.states = (char **)a->states;
    req.n_states = a->nstates;
    return office_call(r, o, "/vigil.v1.Offices/SetScope", &req.base,
                       &vigil__v1__set_scope_response__descriptor);
}

static int set_active(struct remote *r, const struct opts *o, const char *name, bool active)
{
    Vigil__V1__SetActiveRequest req = VIGIL__V1__SET_ACTIVE_REQUEST__INIT;
    char id[REQID_SIZE];

    reqid_random(id);
    req.request_id = id;
    req.office = (char *)name;
    req.active = active;
    return office_call(r, o, "/vigil.v1.Offices/SetActive", &req.base,
                       &vigil__v1__set_active_response__descriptor);
}

/* What add-cert sends from a certificate file: the certificate alone,
 * re-encoded, so that a private key sharing the file never leaves this
 * machine. The server reads the subject from it. */
struct cert_info {
    char *pem;       /* PEM, owned */
    char sha256[65]; /* its fingerprint, for the request id */
};

static bool cert_read(const char *file, struct cert_info *ci)
{
    BIO *in = BIO_new_file(file, "r"), *out = BIO_new(BIO_s_mem());
    X509 *x = in != NULL ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *data;
    bool ok = false;

    memset(ci, 0, sizeof(*ci));
    if (x == NULL)
        fprintf(stderr, "error: %s: %s\n", file,
                in == NULL ? "cannot read the file" : "no PEM certificate in it");
    else if (out != NULL && X509_digest(x, EVP_sha256(), md, &mdlen) == 1 &&
             PEM_write_bio_X509(out, x) == 1) {
        long len = BIO_get_mem_data(out, &data);
        if ((ci->pem = malloc((size_t)len + 1)) != NULL) {
            memcpy(ci->pem, data, (size_t)len);
            ci->pem[len] = '\0';
            for (unsigned i = 0; i < mdlen && i < 32; i++)
                snprintf(ci->sha256 + 2 * i, 3, "%02x", md[i]);
            ok = true;
        }
    }
    if (x != NULL && !ok)
        fprintf(stderr, "error: %s: out of memory\n", file);
    X509_free(x);
    BIO_free(in);
    BIO_free(out);
    return ok;
}

static int print_cert(const struct opts *o, const char *office, const Vigil__V1__Certificate *c)
{
    static const struct output_column cols[] = {{"office", OUTPUT_STRING},
                                                {"sha256", OUTPUT_STRING},
                                                {"subject", OUTPUT_STRING},
                                                {"added_at", OUTPUT_STRING}};
    const char *row[] = {office, c->sha256, c->subject, c->added_at};

    return cmd_emit_row(o->format, cols, NCOLS(cols), row);
}

/* add-cert NAME CERT.pem, or add-cert NAME --sha256 HEX [--subject CN]. */
static int add_cert(struct remote *r, const struct opts *o, const struct args *a, int argc,
                    char *argv[], int first)
{
    Vigil__V1__AddCertificateRequest req = VIGIL__V1__ADD_CERTIFICATE_REQUEST__INIT;
    struct cert_info ci = {0};
    ProtobufCMessage *resp = NULL;
    char id[REQID_SIZE];
    int rc;

    if ((argc - first == 3) == (a->sha256 != NULL))
        return args_usage(a, "office add-cert needs NAME and either CERT.pem or --sha256 HEX");
    if (a->sha256 == NULL && !cert_read(argv[first + 2], &ci))
        return CLI_EXIT_USAGE;
    const char *fp = a->sha256 != NULL ? a->sha256 : ci.sha256;
    const char *const parts[] = {argv[first + 1], fp};
    /* Derived: a fingerprint is registered once; again gets that answer. */
    reqid_derived(id, "office-cert", parts, 2);
    req.request_id = id;
    req.office = argv[first + 1];
    req.certificate_pem = ci.pem != NULL ? ci.pem : "";
    req.sha256 = (char *)(a->sha256 != NULL ? a->sha256 : "");
    req.subject = (char *)(a->sha256 != NULL && a->subject != NULL ? a->subject : "");
    if (remote_open(r, o, &rc))
        rc = remote_run(r, "/vigil.v1.Offices/AddCertificate", &req.base,
                        &vigil__v1__add_certificate_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        const Vigil__V1__Certificate *c = ((Vigil__V1__AddCertificateResponse *)resp)->certificate;
        rc = c != NULL ? print_cert(o, argv[first + 1], c) : CLI_EXIT_OK;
    }
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    free(ci.pem);
    return rc;
}

static int dispatch(struct remote *r, const struct opts *o, const struct args *a, int argc,
                    char *argv[], int first)
{
    const char *verb = argv[first], *name = first + 1 < argc ? argv[first + 1] : NULL;
    int nargs = argc - first;

    if (strcmp(verb, "list") == 0)
        return nargs == 1 ? list(r, o) : args_usage(a, "office list takes no argument");
    if (strcmp(verb, "add-cert") == 0)
        return add_cert(r, o, a, argc, argv, first);
    if (name == NULL || nargs > 2)
        return args_usage(a, "office %s needs one office NAME", verb);
    if (strcmp(verb, "add") == 0)
        return add(r, o, a, name);
    if (strcmp(verb, "scope") == 0)
        return scope(r, o, a, name);
    if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0)
        return set_active(r, o, name, verb[0] == 'e');
    return args_usage(a, "unknown action \"%s\" (list, add, add-cert, scope, disable, enable)",
                      verb);
}

int cmd_office(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct remote r = {0};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (args_parse(self, o, argc, argv, &a, 1, &first, &rc))
        rc = dispatch(&r, o, &a, argc, argv, first);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
