/* h_assess: requests, calls and storage checks of the assessment tests (see
 * h_assess.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_assess.h"
#include "h_env.h"

#include "grpc/health/v1/health.pb-c.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALL_TIMEOUT_MS 10000

const char *const h_indicators[H_N_INDICATORS] = {
    "PR.1", "PR.2", "PR.3", "PR.4", "PR.5", "PR.6", "PR.7", "PR.8",
    "PV.1", "PV.2", "PV.3", "PV.4", "CA.1", "CA.2", "CA.3", "CA.4",
};

/* Each method's response type. */
static const struct {
    const char *path;
    const ProtobufCMessageDescriptor *resp;
} methods[] = {
    {H_HEALTH, &grpc__health__v1__health_check_response__descriptor},
    {H_WHOAMI, &vigil__v1__who_am_iresponse__descriptor},
    {H_LIST_OFFICES, &vigil__v1__list_offices_response__descriptor},
    {H_ADD_OFFICE, &vigil__v1__add_office_response__descriptor},
    {H_ADD_CERTIFICATE, &vigil__v1__add_certificate_response__descriptor},
    {H_SET_SCOPE, &vigil__v1__set_scope_response__descriptor},
    {H_SET_ACTIVE, &vigil__v1__set_active_response__descriptor},
    {H_LIST_REGIONS, &vigil__v1__list_regions_response__descriptor},
    {H_LIST_STATES, &vigil__v1__list_states_response__descriptor},
    {H_LIST_CYCLES, &vigil__v1__list_cycles_response__descriptor},
    {H_GET_METHODOLOGY, &vigil__v1__get_methodology_response__descriptor},
    {H_LOAD_METHODOLOGY, &vigil__v1__load_methodology_response__descriptor},
    {H_CREATE_CYCLE, &vigil__v1__create_cycle_response__descriptor},
    {H_SET_CYCLE_STATUS, &vigil__v1__set_cycle_status_response__descriptor},
    {H_SUBMIT, &vigil__v1__submit_response__descriptor},
    {H_GET, &vigil__v1__get_response__descriptor},
    {H_LIST_REVISIONS, &vigil__v1__list_revisions_response__descriptor},
    {H_LIST, &vigil__v1__list_response__descriptor},
    {H_REVIEW, &vigil__v1__review_response__descriptor},
    {H_LIST_AUDIT, &vigil__v1__list_audit_response__descriptor},
};

void h_rpc_clear(struct h_rpc *r)
{
    if (r->resp)
        protobuf_c_message_free_unpacked(r->resp, NULL);
    r->resp = NULL;
}

int h_rpc_call(struct h_rpc *r, struct vigil_client *c, const char *method,
               const ProtobufCMessage *req)
{
    const ProtobufCMessageDescriptor *desc = NULL;

    h_rpc_clear(r);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(methods[i].path, method) == 0)
            desc = methods[i].resp;
    }
    if (desc == NULL) {
        r->st = VIGIL_E_USAGE;
        r->code = -1;
        snprintf(r->msg, sizeof(r->msg), "h_rpc_call: unknown method %s", method);
        return r->code;
    }
    r->st = vigil_call(c, method, req, desc, &r->resp, CALL_TIMEOUT_MS);
    if (r->st == VIGIL_OK)
        r->code = 0;
    else if (r->st == VIGIL_E_RPC)
        r->code = vigil_rpc_code(c);
    else
        r->code = -1;
    snprintf(r->msg, sizeof(r->msg), "%s", r->st == VIGIL_OK ? "" : vigil_errmsg(c));
    return r->code;
}

void h_rpc_expect(const struct h_rpc *r, int code, const char *field, const char *what)
{
    cr_assert_eq(r->code, code, "%s: expected %s (%d), got %s (%d): %s%s%s", what,
                 vigil_code_name(code), code, r->code >= 0 ? vigil_code_name(r->code) : "no status",
                 r->code, r->code < 0 ? vigil_strerror(r->st) : "", r->code < 0 ? ": " : "",
                 r->msg);
    if (field != NULL)
        cr_assert(strstr(r->msg, field) != NULL, "%s: the message must name \"%s\": %s", what,
                  field, r->msg);
}

static void free_params(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

struct criterion_test_params h_param_indices(size_t n)
{
    size_t *idx = cr_malloc(n * sizeof(*idx));
    cr_assert_not_null(idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n, free_params);
}

void h_assess_start(struct h_assess_env *e)
{
    memset(e, 0, sizeof(*e));
    h_db_create(&e->db);
    h_offices_register(&e->db);
    h_daemon_start(&e->d, &e->db, NULL);
    e->central = h_client(&e->d, "central", false);
    e->regional = h_client(&e->d, "regional", false);
    e->partner = h_client(&e->d, "partner", false);
}

void h_assess_stop(struct h_assess_env *e)
{
    vigil_client_free(e->central);
    vigil_client_free(e->regional);
    vigil_client_free(e->partner);
    e->central = e->regional = e->partner = NULL;
    h_daemon_stop(&e->d);
    h_db_drop(&e->db);
}

struct vigil_client *h_assess_client(const struct h_assess_env *e, const char *who)
{
    if (strcmp(who, "central") == 0)
        return e->central;
    if (strcmp(who, "regional") == 0)
        return e->regional;
    cr_assert_str_eq(who, "partner", "no client for \"%s\"", who);
    return e->partner;
}

char *h_request_id(void)
{
    static atomic_int counter;
    return h_strdupf("t-%d-%d", (int)getpid(), atomic_fetch_add(&counter, 1) + 1);
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    cr_assert_not_null(p, "out of memory");
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    cr_assert_not_null(p, "out of memory");
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    cr_assert_not_null(p, "out of memory");
    return p;
}

void h_str_set(char **field, const char *value)
{
    char *copy = xstrdup(value);
    if (*field != NULL && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
}

void h_str_repeat(char **field, const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = xcalloc(1, len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    h_str_set(field, s);
    free(s);
}

Vigil__V1__Evidence *h_entry_add_evidence(Vigil__V1__Entry *e, const char *citation,
                                          const char *url, const char *date)
{
    Vigil__V1__Evidence *ev = xcalloc(1, sizeof(*ev));
    vigil__v1__evidence__init(ev);
    ev->citation = xstrdup(citation);
    ev->url = xstrdup(url);
    ev->date = xstrdup(date);
    e->evidence = xrealloc(e->evidence, (e->n_evidence + 1) * sizeof(*e->evidence));
    e->evidence[e->n_evidence++] = ev;
    return ev;
}

static Vigil__V1__Entry *entry_new(const char *indicator, const char *level)
{
    Vigil__V1__Entry *e = xcalloc(1, sizeof(*e));
    vigil__v1__entry__init(e);
    e->indicator = xstrdup(indicator);
    e->level = xstrdup(level);
    e->justification = h_strdupf("Synthetic test justification for %s.", indicator);
    char *citation = h_strdupf("Synthetic test report on %s, section 2", indicator);
    char *url = h_strdupf("https://example.org/vigil-test/%s", indicator);
    h_entry_add_evidence(e, citation, url, "2011-06-30");
    free(citation);
    free(url);
    return e;
}

Vigil__V1__Entry *h_submit_append(Vigil__V1__SubmitRequest *req, const char *indicator,
                                  const char *level)
{
    Vigil__V1__Entry *e = entry_new(indicator, level);
    req->entries = xrealloc(req->entries, (req->n_entries + 1) * sizeof(*req->entries));
    req->entries[req->n_entries++] = e;
    return e;
}

Vigil__V1__SubmitRequest *h_submit_new(const char *state, const char *cycle, int base_revision)
{
    Vigil__V1__SubmitRequest *req = xcalloc(1, sizeof(*req));
    vigil__v1__submit_request__init(req);
    req->request_id = h_request_id();
    req->state = xstrdup(state);
    req->cycle = xstrdup(cycle);
    req->base_revision = base_revision;
    for (size_t i = 0; i < H_N_INDICATORS; i++)
        h_submit_append(req, h_indicators[i], i == H_IDX_CA2 ? "adequate" : "yes");
    return req;
}

void h_submit_free(Vigil__V1__SubmitRequest *req)
{
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

Vigil__V1__Entry *h_submit_entry(Vigil__V1__SubmitRequest *req, const char *indicator)
{
    for (size_t i = 0; i < req->n_entries; i++) {
        if (strcmp(req->entries[i]->indicator, indicator) == 0)
            return req->entries[i];
    }
    return NULL;
}

void h_submit_set_level(Vigil__V1__SubmitRequest *req, const char *indicator, const char *level)
{
    Vigil__V1__Entry *e = h_submit_entry(req, indicator);
    cr_assert_not_null(e, "the request has no entry for %s", indicator);
    h_str_set(&e->level, level);
}

void h_submit_remove(Vigil__V1__SubmitRequest *req, const char *indicator)
{
    for (size_t i = 0; i < req->n_entries; i++) {
        if (strcmp(req->entries[i]->indicator, indicator) != 0)
            continue;
        protobuf_c_message_free_unpacked(&req->entries[i]->base, NULL);
        memmove(&req->entries[i], &req->entries[i + 1],
                (req->n_entries - i - 1) * sizeof(*req->entries));
        req->n_entries--;
        return;
    }
    cr_assert_fail("the request has no entry for %s", indicator);
}

static bool str_differs(const char *what, const char *want, const char *got, char *why, size_t cap)
{
    if (strcmp(want, got) == 0)
        return false;
    snprintf(why, cap, "%s: sent \"%.200s\", stored \"%.200s\"", what, want, got);
    return true;
}

bool h_entries_equal(const Vigil__V1__SubmitRequest *req, const Vigil__V1__Revision *rev, char *why,
                     size_t cap)
{
    if (req->n_entries != rev->n_entries) {
        snprintf(why, cap, "%zu entries sent, %zu stored", req->n_entries, rev->n_entries);
        return false;
    }
    for (size_t i = 0; i < req->n_entries; i++) {
        const Vigil__V1__Entry *a = req->entries[i], *b = rev->entries[i];
        char what[64];
        snprintf(what, sizeof(what), "entries[%zu]", i);
        if (str_differs(what, a->indicator, b->indicator, why, cap) ||
            str_differs(what, a->level, b->level, why, cap) ||
            str_differs(what, a->justification, b->justification, why, cap))
            return false;
        if (a->n_evidence != b->n_evidence) {
            snprintf(why, cap, "%s: %zu evidence items sent, %zu stored", what, a->n_evidence,
                     b->n_evidence);
            return false;
        }
        for (size_t j = 0; j < a->n_evidence; j++) {
            snprintf(what, sizeof(what), "entries[%zu].evidence[%zu]", i, j);
            if (str_differs(what, a->evidence[j]->citation, b->evidence[j]->citation, why, cap) ||
                str_differs(what, a->evidence[j]->url, b->evidence[j]->url, why, cap) ||
                str_differs(what, a->evidence[j]->date, b->evidence[j]->date, why, cap))
                return false;
        }
    }
    return true;
}

int h_submit(struct h_rpc *r, struct vigil_client *c, const Vigil__V1__SubmitRequest *req,
             int *revision)
{
    int code = h_rpc_call(r, c, H_SUBMIT, &req->base);
    if (code == 0 && revision != NULL)
        *revision = ((Vigil__V1__SubmitResponse *)r->resp)->revision;
    return code;
}

int h_get(struct h_rpc *r, struct vigil_client *c, const char *state, int revision)
{
    Vigil__V1__GetRequest req = VIGIL__V1__GET_REQUEST__INIT;
    req.state = (char *)state;
    req.cycle = (char *)H_CYCLE;
    req.revision = revision;
    return h_rpc_call(r, c, H_GET, &req.base);
}

int h_submit_ok(struct vigil_client *c, const char *state, bool draft)
{
    struct h_rpc r = {0};
    /* The latest revision as the submitting office sees it. */
    int base = 0;
    if (h_get(&r, c, state, 0) == 0) {
        const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r.resp;
        base = g->assessment ? g->assessment->latest_revision : 0;
    }
    Vigil__V1__SubmitRequest *req = h_submit_new(state, H_CYCLE, base);
    req->draft = draft;
    int revision = 0;
    h_submit(&r, c, req, &revision);
    h_rpc_expect(&r, H_OK, NULL, "submit");
    cr_assert_eq(revision, base + 1, "submit on revision %d gave revision %d", base, revision);
    h_rpc_clear(&r);
    h_submit_free(req);
    return revision;
}

int h_review(struct h_rpc *r, struct vigil_client *c, const char *state,
             Vigil__V1__ReviewAction action, const char *comment, int revision)
{
    Vigil__V1__ReviewRequest req = VIGIL__V1__REVIEW_REQUEST__INIT;
    char *id = h_request_id();
    req.request_id = id;
    req.state = (char *)state;
    req.cycle = (char *)H_CYCLE;
    req.action = action;
    req.comment = (char *)(comment ? comment : "");
    req.revision = revision;
    int code = h_rpc_call(r, c, H_REVIEW, &req.base);
    free(id);
    return code;
}

const Vigil__V1__Assessment *h_assessment(struct h_rpc *r, const struct h_assess_env *e,
                                          const char *state)
{
    h_get(r, e->central, state, 0);
    h_rpc_expect(r, H_OK, NULL, "Get as central");
    const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r->resp;
    cr_assert_not_null(g->assessment, "Get %s answered without an assessment", state);
    return g->assessment;
}

int h_revision_count(const struct h_assess_env *e, const char *state)
{
    Vigil__V1__ListRevisionsRequest req = VIGIL__V1__LIST_REVISIONS_REQUEST__INIT;
    struct h_rpc r = {0};
    req.state = (char *)state;
    req.cycle = (char *)H_CYCLE;
    int code = h_rpc_call(&r, e->central, H_LIST_REVISIONS, &req.base);
    if (code == H_NOT_FOUND)
        return 0;
    h_rpc_expect(&r, H_OK, NULL, "ListRevisions as central");
    int n = (int)((Vigil__V1__ListRevisionsResponse *)r.resp)->n_revisions;
    h_rpc_clear(&r);
    return n;
}

int h_db_revision_count(const struct h_db *db, const char *state)
{
    const char *params[] = {state, H_CYCLE};
    char *v = h_db_query_value_params(db,
                                      "SELECT count(*)::text FROM revision r "
                                      "JOIN assessment a ON a.id = r.assessment_id "
                                      "JOIN cycle c ON c.id = a.cycle_id "
                                      "WHERE a.state = $1 AND c.code = $2",
                                      2, params);
    int n = atoi(v);
    free(v);
    return n;
}

void h_cycle_set_status(const struct h_assess_env *e, const char *cycle,
                        Vigil__V1__CycleStatus status)
{
    Vigil__V1__SetCycleStatusRequest req = VIGIL__V1__SET_CYCLE_STATUS_REQUEST__INIT;
    struct h_rpc r = {0};
    char *id = h_request_id();
    req.request_id = id;
    req.cycle = (char *)cycle;
    req.status = status;
    h_rpc_call(&r, e->central, H_SET_CYCLE_STATUS, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "SetCycleStatus as central");
    h_rpc_clear(&r);
    free(id);
}

char *h_db_row_counts(const struct h_db *db)
{
    /* query_to_xml runs a count per table inside one statement: one snapshot. */
    char *v = h_db_query_value(
        db, "SELECT string_agg(format('%s.%s=%s', n.nspname, c.relname,"
            "  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',"
            "   n.nspname, c.relname), false, true, '')))[1]::text), ',' "
            "  ORDER BY n.nspname, c.relname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')");
    return v ? v : xstrdup("");
}

void h_db_expect_unchanged(const struct h_db *db, const char *before, const char *what)
{
    char *after = h_db_row_counts(db);
    cr_assert_str_eq(after, before, "%s stored something:\nbefore: %s\nafter:  %s", what, before,
                     after);
    free(after);
}
