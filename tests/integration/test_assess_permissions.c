/* Permissions: the matrix of the three roles (regional, central, partner)
 * against every RPC of Catalog, Offices and Assessments, each called with a
 * valid request so that only the role decides; a refused call stores
 * nothing. And the scope of a regional office. */
#include "harness.h"
#include "h_assess.h"

#include "grpc/health/v1/health.pb-c.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct h_assess_env e;

static void setup(void)
{
    h_assess_start(&e);
}

static void teardown(void)
{
    h_assess_stop(&e);
}

TestSuite(permissions, .init = setup, .fini = teardown, .timeout = 90);

/* What a builder needs and leaves behind. */
struct ctx {
    Vigil__V1__Methodology *methodology; /* ecpat-2012 renamed "matrix-m" */
    int fr_latest;                       /* latest revision of FR */
    Vigil__V1__SubmitRequest *submit;    /* the last Submit built, freed after the call */
    char request_id[64];
    union {
        Grpc__Health__V1__HealthCheckRequest health;
        Vigil__V1__WhoAmIRequest whoami;
        Vigil__V1__ListOfficesRequest list_offices;
        Vigil__V1__AddOfficeRequest add_office;
        Vigil__V1__AddCertificateRequest add_certificate;
        Vigil__V1__SetScopeRequest set_scope;
        Vigil__V1__SetActiveRequest set_active;
        Vigil__V1__ListRegionsRequest list_regions;
        Vigil__V1__ListStatesRequest list_states;
        Vigil__V1__ListCyclesRequest list_cycles;
        Vigil__V1__GetMethodologyRequest get_methodology;
        Vigil__V1__LoadMethodologyRequest load_methodology;
        Vigil__V1__CreateCycleRequest create_cycle;
        Vigil__V1__SetCycleStatusRequest set_cycle_status;
        Vigil__V1__GetRequest get;
        Vigil__V1__ListRevisionsRequest list_revisions;
        Vigil__V1__ListRequest list;
        Vigil__V1__ReviewRequest review;
        Vigil__V1__ListAuditRequest list_audit;
    } u;
};

typedef ProtobufCMessage *builder(struct ctx *x);

static char *rid(struct ctx *x)
{
    char *id = h_request_id();
    snprintf(x->request_id, sizeof(x->request_id), "%s", id);
    free(id);
    return x->request_id;
}

static ProtobufCMessage *b_health(struct ctx *x)
{
    grpc__health__v1__health_check_request__init(&x->u.health);
    return &x->u.health.base;
}
static ProtobufCMessage *b_whoami(struct ctx *x)
{
    vigil__v1__who_am_irequest__init(&x->u.whoami);
    return &x->u.whoami.base;
}
static ProtobufCMessage *b_list_offices(struct ctx *x)
{
    vigil__v1__list_offices_request__init(&x->u.list_offices);
    return &x->u.list_offices.base;
}
static ProtobufCMessage *b_add_office(struct ctx *x)
{
    Vigil__V1__AddOfficeRequest *r = &x->u.add_office;
    vigil__v1__add_office_request__init(r);
    r->request_id = rid(x);
    r->name = "matrix office";
    r->role = VIGIL__V1__ROLE__ROLE_REGIONAL;
    r->region = "142";
    return &r->base;
}
static ProtobufCMessage *b_add_certificate(struct ctx *x)
{
    Vigil__V1__AddCertificateRequest *r = &x->u.add_certificate;
    vigil__v1__add_certificate_request__init(r);
    r->request_id = rid(x);
    r->office = "matrix office";
    r->sha256 = "abababababababababababababababababababababababababababababababab";
    r->subject = "matrix";
    return &r->base;
}
static ProtobufCMessage *b_set_scope(struct ctx *x)
{
    static char *states[] = {"TH", "VN"};
    Vigil__V1__SetScopeRequest *r = &x->u.set_scope;
    vigil__v1__set_scope_request__init(r);
    r->request_id = rid(x);
    r->office = "matrix office";
    r->region = "";
    r->n_states = 2;
    r->states = states;
    return &r->base;
}
static ProtobufCMessage *b_set_active(struct ctx *x)
{
    Vigil__V1__SetActiveRequest *r = &x->u.set_active;
    vigil__v1__set_active_request__init(r);
    r->request_id = rid(x);
    r->office = "matrix office";
    r->active = false;
    return &r->base;
}
static ProtobufCMessage *b_list_regions(struct ctx *x)
{
    vigil__v1__list_regions_request__init(&x->u.list_regions);
    return &x->u.list_regions.base;
}
static ProtobufCMessage *b_list_states(struct ctx *x)
{
    vigil__v1__list_states_request__init(&x->u.list_states);
    x->u.list_states.region = "150";
    return &x->u.list_states.base;
}
static ProtobufCMessage *b_list_cycles(struct ctx *x)
{
    vigil__v1__list_cycles_request__init(&x->u.list_cycles);
    return &x->u.list_cycles.base;
}
static ProtobufCMessage *b_get_methodology(struct ctx *x)
{
    vigil__v1__get_methodology_request__init(&x->u.get_methodology);
    x->u.get_methodology.cycle = H_CYCLE;
    return &x->u.get_methodology.base;
}
static ProtobufCMessage *b_load_methodology(struct ctx *x)
{
    vigil__v1__load_methodology_request__init(&x->u.load_methodology);
    x->u.load_methodology.request_id = rid(x);
    x->u.load_methodology.methodology = x->methodology;
    return &x->u.load_methodology.base;
}
static ProtobufCMessage *b_create_cycle(struct ctx *x)
{
    Vigil__V1__CreateCycleRequest *r = &x->u.create_cycle;
    vigil__v1__create_cycle_request__init(r);
    r->request_id = rid(x);
    r->code = "matrix-c";
    r->methodology = "matrix-m";
    r->predecessor = H_CYCLE;
    return &r->base;
}
static ProtobufCMessage *b_set_cycle_status(struct ctx *x)
{
    Vigil__V1__SetCycleStatusRequest *r = &x->u.set_cycle_status;
    vigil__v1__set_cycle_status_request__init(r);
    r->request_id = rid(x);
    r->cycle = "matrix-c";
    r->status = VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED;
    return &r->base;
}
static ProtobufCMessage *b_submit(struct ctx *x)
{
    x->submit = h_submit_new("FR", H_CYCLE, x->fr_latest);
    return &x->submit->base;
}
static ProtobufCMessage *b_get(struct ctx *x)
{
    vigil__v1__get_request__init(&x->u.get);
    x->u.get.state = "FR";
    x->u.get.cycle = H_CYCLE;
    return &x->u.get.base;
}
static ProtobufCMessage *b_list_revisions(struct ctx *x)
{
    vigil__v1__list_revisions_request__init(&x->u.list_revisions);
    x->u.list_revisions.state = "FR";
    x->u.list_revisions.cycle = H_CYCLE;
    return &x->u.list_revisions.base;
}
static ProtobufCMessage *b_list(struct ctx *x)
{
    vigil__v1__list_request__init(&x->u.list);
    x->u.list.cycle = H_CYCLE;
    return &x->u.list.base;
}
static ProtobufCMessage *b_review(struct ctx *x)
{
    Vigil__V1__ReviewRequest *r = &x->u.review;
    vigil__v1__review_request__init(r);
    r->request_id = rid(x);
    r->state = "FR";
    r->cycle = H_CYCLE;
    r->action = VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE;
    r->revision = x->fr_latest;
    return &r->base;
}
static ProtobufCMessage *b_list_audit(struct ctx *x)
{
    vigil__v1__list_audit_request__init(&x->u.list_audit);
    return &x->u.list_audit.base;
}

#define OK   H_OK
#define DENY H_PERMISSION_DENIED

/* Who may call what. Rows run in this order, and in each row the partner,
 * then the regional office, then the central office call, so that the
 * central office's write comes last (and the Review finds the revision the
 * regional Submit stored). */
static const struct cell_row {
    const char *method;
    builder *build;
    int regional, central, partner; /* expected status */
} matrix[] = {
    {H_HEALTH, b_health, OK, OK, OK},
    {H_WHOAMI, b_whoami, OK, OK, OK},
    {H_LIST_REGIONS, b_list_regions, OK, OK, OK},
    {H_LIST_STATES, b_list_states, OK, OK, OK},
    {H_LIST_CYCLES, b_list_cycles, OK, OK, OK},
    {H_GET_METHODOLOGY, b_get_methodology, OK, OK, OK},
    {H_LOAD_METHODOLOGY, b_load_methodology, DENY, OK, DENY},
    {H_CREATE_CYCLE, b_create_cycle, DENY, OK, DENY},
    {H_SET_CYCLE_STATUS, b_set_cycle_status, DENY, OK, DENY},
    {H_LIST_OFFICES, b_list_offices, DENY, OK, DENY},
    {H_ADD_OFFICE, b_add_office, DENY, OK, DENY},
    {H_ADD_CERTIFICATE, b_add_certificate, DENY, OK, DENY},
    {H_SET_SCOPE, b_set_scope, DENY, OK, DENY},
    {H_SET_ACTIVE, b_set_active, DENY, OK, DENY},
    {H_SUBMIT, b_submit, OK, DENY, DENY},
    {H_GET, b_get, OK, OK, DENY},
    {H_LIST_REVISIONS, b_list_revisions, OK, OK, DENY},
    {H_LIST, b_list, OK, OK, DENY},
    {H_REVIEW, b_review, DENY, OK, DENY},
    {H_LIST_AUDIT, b_list_audit, DENY, OK, DENY},
};

/* The matrix's findings: cells that differ, and the changes made, to find
 * in the audit log. */
struct findings {
    char text[8192];
    size_t failures;
    struct {
        const char *method, *who;
        char request_id[64];
    } writes[32];
    size_t nwrites;
};

static void finding(struct findings *f, const char *fmt, const char *who, const char *method,
                    const char *detail)
{
    size_t o = strlen(f->text);
    snprintf(f->text + o, sizeof(f->text) - o, fmt, who, method, detail);
    f->failures++;
}

/* One cell: who calls row's method; compares with the expected status, and
 * checks that a refusal stored nothing. */
static void run_cell(struct ctx *x, const struct cell_row *row, const char *who, struct findings *f)
{
    int want = strcmp(who, "regional") == 0  ? row->regional
               : strcmp(who, "central") == 0 ? row->central
                                             : row->partner;
    struct h_rpc r = {0};
    char *before = h_db_row_counts(&e.db);
    x->request_id[0] = '\0';
    int got = h_rpc_call(&r, h_assess_client(&e, who), row->method, row->build(x));

    if (got != want) {
        char *d = h_strdupf("want %s, got %s: %s", vigil_code_name(want),
                            got >= 0 ? vigil_code_name(got) : vigil_strerror(r.st), r.msg);
        finding(f, "  %-10s %-36s %s\n", who, row->method, d);
        free(d);
    } else if (got != H_OK) {
        char *after = h_db_row_counts(&e.db);
        if (strcmp(before, after) != 0)
            finding(f, "  %-10s %-36s %s\n", who, row->method, "refused but stored something");
        free(after);
    }
    if (got == H_OK && strcmp(row->method, H_SUBMIT) == 0) {
        x->fr_latest = ((Vigil__V1__SubmitResponse *)r.resp)->revision;
        snprintf(x->request_id, sizeof(x->request_id), "%s", x->submit->request_id);
    }
    if (got == H_OK && x->request_id[0] != '\0' && f->nwrites < 32) {
        f->writes[f->nwrites].method = row->method;
        f->writes[f->nwrites].who = who;
        snprintf(f->writes[f->nwrites++].request_id, sizeof(f->writes[0].request_id), "%s",
                 x->request_id);
    }
    h_submit_free(x->submit);
    x->submit = NULL;
    h_rpc_clear(&r);
    free(before);
}

/* Every change the matrix made is in the audit log under its request id. */
static void check_audited(struct findings *f)
{
    Vigil__V1__ListAuditRequest la = VIGIL__V1__LIST_AUDIT_REQUEST__INIT;
    struct h_rpc r = {0};
    la.limit = 1000;
    h_rpc_call(&r, e.central, H_LIST_AUDIT, &la.base);
    h_rpc_expect(&r, H_OK, NULL, "ListAudit");
    const Vigil__V1__ListAuditResponse *audit = (const Vigil__V1__ListAuditResponse *)r.resp;
    cr_assert_gt(f->nwrites, 8);
    for (size_t w = 0; w < f->nwrites; w++) {
        bool found = false;
        for (size_t i = 0; i < audit->n_entries && !found; i++)
            found = strcmp(audit->entries[i]->request_id, f->writes[w].request_id) == 0 &&
                    strcmp(audit->entries[i]->office, f->writes[w].who) == 0;
        if (!found)
            finding(f, "  %s by %s, request %s, is not in the audit log\n", f->writes[w].method,
                    f->writes[w].who, f->writes[w].request_id);
    }
    h_rpc_clear(&r);
}

Test(permissions, matrix_of_roles_and_rpcs)
{
    static const char *const order[] = {"partner", "regional", "central"};
    static struct findings f; /* large: not on the stack */
    struct ctx x = {0};
    struct h_rpc m = {0};

    /* A valid methodology to load: ecpat-2012 under another code. */
    Vigil__V1__GetMethodologyRequest gm = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    gm.cycle = H_CYCLE;
    h_rpc_call(&m, e.central, H_GET_METHODOLOGY, &gm.base);
    h_rpc_expect(&m, H_OK, NULL, "GetMethodology");
    x.methodology = ((Vigil__V1__GetMethodologyResponse *)m.resp)->methodology;
    cr_assert_not_null(x.methodology);
    h_str_set(&x.methodology->code, "matrix-m");

    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        for (size_t k = 0; k < 3; k++)
            run_cell(&x, &matrix[i], order[k], &f);
    }
    cr_assert_eq(f.failures, 0, "%zu cells of the permission matrix differ:\n%s", f.failures,
                 f.text);
    check_audited(&f);
    cr_assert_eq(f.failures, 0, "%s", f.text);
    h_rpc_clear(&m);
}

/* A regional office submits only for the states of its scope (region 150,
 * Europe): Thailand is refused, naming the state, and nothing is stored. */
Test(permissions, regional_submit_outside_scope_is_denied)
{
    static const char *const outside[] = {"TH", "US", "HK"};
    struct h_rpc r = {0};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        char *before = h_db_row_counts(&e.db);
        Vigil__V1__SubmitRequest *req = h_submit_new(outside[i], H_CYCLE, 0);
        h_submit(&r, e.regional, req, NULL);
        h_rpc_expect(&r, H_PERMISSION_DENIED, "state", outside[i]);
        h_db_expect_unchanged(&e.db, before, outside[i]);
        cr_assert_eq(h_revision_count(&e, outside[i]), 0);
        h_submit_free(req);
        free(before);
    }
    /* Inside the scope, the same request is accepted. */
    static const char *const inside[] = {"FR", "DE", "IT", "GB"};
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
        cr_assert_eq(h_submit_ok(e.regional, inside[i], false), 1, "%s", inside[i]);
}

/* The partner is refused on every Assessments RPC even with a request that
 * would otherwise fail validation first: the role is checked before the
 * content (no leak of what exists). */
Test(permissions, partner_is_denied_before_validation)
{
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *req = h_submit_new("XX", "no-such-cycle", 7);
    h_submit(&r, e.partner, req, NULL);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "partner Submit of garbage");
    h_get(&r, e.partner, "XX", 0);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "partner Get of an unknown state");
    h_submit_free(req);
}

/* A regional office cannot review, whatever the action; the assessment is
 * left as it was. */
Test(permissions, regional_cannot_review)
{
    static const Vigil__V1__ReviewAction actions[] = {
        VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE,
        VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_RETURN,
        VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK,
    };
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    for (size_t i = 0; i < 3; i++) {
        char *before = h_db_row_counts(&e.db);
        h_review(&r, e.regional, "FR", actions[i], "a comment", 1);
        h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "regional Review");
        h_db_expect_unchanged(&e.db, before, "regional Review");
        free(before);
    }
    const Vigil__V1__Assessment *a = h_assessment(&r, &e, "FR");
    cr_assert_eq(a->status, VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED);
    cr_assert_eq(a->approved_revision, 0);
    h_rpc_clear(&r);
}

/* AddOffice (regional, region) and AddCertificate with certs/CERT's PEM, as
 * central. */
static void add_office_with_pem(const char *name, const char *region, const char *cert)
{
    struct h_rpc r = {0};
    char *id1 = h_request_id(), *id2 = h_request_id();
    char path[4096];
    h_path(path, sizeof(path), h_certs_dir(), cert);
    char *pem = h_read_file(path, NULL);
    cr_assert_not_null(pem);

    Vigil__V1__AddOfficeRequest ao = VIGIL__V1__ADD_OFFICE_REQUEST__INIT;
    ao.request_id = id1;
    ao.name = (char *)name;
    ao.role = VIGIL__V1__ROLE__ROLE_REGIONAL;
    ao.region = (char *)region;
    h_rpc_call(&r, e.central, H_ADD_OFFICE, &ao.base);
    h_rpc_expect(&r, H_OK, NULL, "AddOffice");
    Vigil__V1__AddCertificateRequest ac = VIGIL__V1__ADD_CERTIFICATE_REQUEST__INIT;
    ac.request_id = id2;
    ac.office = (char *)name;
    ac.certificate_pem = pem;
    h_rpc_call(&r, e.central, H_ADD_CERTIFICATE, &ac.base);
    h_rpc_expect(&r, H_OK, NULL, "AddCertificate (PEM)");
    h_rpc_clear(&r);
    free(pem);
    free(id1);
    free(id2);
}

/* Office management takes effect on the next call: a new office with its
 * certificate given as PEM, its scope replaced, then disabled. */
Test(permissions, office_management_takes_effect_at_once)
{
    struct h_rpc r = {0};
    char *id3 = h_request_id(), *id4 = h_request_id();

    add_office_with_pem("Asia regional office", "142", "unregistered.crt");
    struct vigil_client *asia = h_client(&e.d, "unregistered", false);
    Vigil__V1__WhoAmIRequest who = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    h_rpc_call(&r, asia, H_WHOAMI, &who.base);
    h_rpc_expect(&r, H_OK, NULL, "WhoAmI of the new office");
    cr_assert_str_eq(((Vigil__V1__WhoAmIResponse *)r.resp)->office->name, "Asia regional office");
    cr_assert_eq(h_submit_ok(asia, "TH", false), 1);
    Vigil__V1__SubmitRequest *fr = h_submit_new("FR", H_CYCLE, 0);
    h_submit(&r, asia, fr, NULL);
    h_rpc_expect(&r, H_PERMISSION_DENIED, "state", "asia Submit FR");

    /* Scope replaced by explicit states: FR in, TH out. */
    static char *states[] = {"FR"};
    Vigil__V1__SetScopeRequest ss = VIGIL__V1__SET_SCOPE_REQUEST__INIT;
    ss.request_id = id3;
    ss.office = "Asia regional office";
    ss.region = "";
    ss.n_states = 1;
    ss.states = states;
    h_rpc_call(&r, e.central, H_SET_SCOPE, &ss.base);
    h_rpc_expect(&r, H_OK, NULL, "SetScope");
    h_submit(&r, asia, fr, NULL);
    h_rpc_expect(&r, H_OK, NULL, "asia Submit FR after SetScope");
    h_get(&r, asia, "TH", 0);
    h_rpc_expect(&r, H_PERMISSION_DENIED, "state", "asia Get TH after SetScope");

    /* Disabled: refused on every call, on the open connection too. */
    Vigil__V1__SetActiveRequest sa = VIGIL__V1__SET_ACTIVE_REQUEST__INIT;
    sa.request_id = id4;
    sa.office = "Asia regional office";
    sa.active = false;
    h_rpc_call(&r, e.central, H_SET_ACTIVE, &sa.base);
    h_rpc_expect(&r, H_OK, NULL, "SetActive false");
    h_rpc_call(&r, asia, H_WHOAMI, &who.base);
    h_rpc_expect(&r, 16 /* UNAUTHENTICATED */, NULL, "WhoAmI of the disabled office");

    vigil_client_free(asia);
    h_submit_free(fr);
    h_rpc_clear(&r);
    free(id3);
    free(id4);
}
