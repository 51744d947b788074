/* Idempotency: a request_id used again with the same content gets the
 * original answer and stores nothing, whether the first answer was read or
 * lost with the connection; with other content it is refused with
 * ALREADY_EXISTS. "Same content" is decided on the decoded request, not on
 * its bytes. */
#include "harness.h"
#include "h_assess.h"
#include "h_proxy.h"

#include <arpa/inet.h>
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

TestSuite(idempotency, .init = setup, .fini = teardown, .timeout = 60);

static const Vigil__V1__SubmitResponse *submitted(const struct h_rpc *r)
{
    return (const Vigil__V1__SubmitResponse *)r->resp;
}

Test(idempotency, same_request_twice_gives_the_same_answer_and_one_revision)
{
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    struct h_rpc r = {0};
    int first = 0, again = 0;

    h_submit(&r, e.regional, req, &first);
    h_rpc_expect(&r, H_OK, NULL, "first Submit");
    int status = submitted(&r)->status;
    char *before = h_db_row_counts(&e.db);
    h_submit(&r, e.regional, req, &again);
    h_rpc_expect(&r, H_OK, NULL, "the same Submit again");
    cr_assert_eq(again, first);
    cr_assert_eq(submitted(&r)->status, status);
    h_db_expect_unchanged(&e.db, before, "the repeated Submit");
    cr_assert_eq(h_revision_count(&e, "FR"), 1);
    cr_assert_eq(h_db_revision_count(&e.db, "FR"), 1);
    h_rpc_clear(&r);
    h_submit_free(req);
    free(before);
}

/* The original answer, even after the assessment moved on: the retry is not
 * a stale submission. */
Test(idempotency, retry_after_a_newer_revision_gets_the_original_answer)
{
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    struct h_rpc r = {0};
    int first = 0, again = 0;

    h_submit(&r, e.regional, req, &first);
    h_rpc_expect(&r, H_OK, NULL, "first Submit");
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    char *before = h_db_row_counts(&e.db);
    h_submit(&r, e.regional, req, &again);
    h_rpc_expect(&r, H_OK, NULL, "the first Submit retried after revision 2");
    cr_assert_eq(again, first);
    h_db_expect_unchanged(&e.db, before, "the retried Submit");
    cr_assert_eq(h_revision_count(&e, "FR"), 2);
    h_rpc_clear(&r);
    h_submit_free(req);
    free(before);
}

static void other_justification(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[4]->justification, "Another justification.");
}
static void other_level(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[4]->level, "partial");
}
static void other_evidence_date(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[4]->evidence[0]->date, "2011-07-01");
}
static void one_more_evidence(Vigil__V1__SubmitRequest *r)
{
    h_entry_add_evidence(r->entries[4], "One more source", "", "");
}
static void draft_flag(Vigil__V1__SubmitRequest *r)
{
    r->draft = true;
}
static void other_base(Vigil__V1__SubmitRequest *r)
{
    r->base_revision = 1;
}
static void other_state(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->state, "DE");
}

static const struct {
    const char *name;
    void (*change)(Vigil__V1__SubmitRequest *);
} other_content[] = {
    {"another justification", other_justification},
    {"another level", other_level},
    {"another evidence date", other_evidence_date},
    {"one more evidence item", one_more_evidence},
    {"the draft flag", draft_flag},
    {"another base revision", other_base},
    {"another state", other_state},
};

Test(idempotency, same_request_id_with_other_content_is_already_exists)
{
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *orig = h_submit_new("FR", H_CYCLE, 0);
    h_submit(&r, e.regional, orig, NULL);
    h_rpc_expect(&r, H_OK, NULL, "first Submit");

    for (size_t i = 0; i < sizeof(other_content) / sizeof(other_content[0]); i++) {
        Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
        h_str_set(&req->request_id, orig->request_id);
        other_content[i].change(req);
        char *before = h_db_row_counts(&e.db);
        h_submit(&r, e.regional, req, NULL);
        h_rpc_expect(&r, H_ALREADY_EXISTS, "request_id", other_content[i].name);
        h_db_expect_unchanged(&e.db, before, other_content[i].name);
        h_submit_free(req);
        free(before);
    }
    cr_assert_eq(h_revision_count(&e, "FR"), 1);
    cr_assert_eq(h_revision_count(&e, "DE"), 0);
    h_rpc_clear(&r);
    h_submit_free(orig);
}

/* Request ids are unique per office: another office may use the same one. */
Test(idempotency, request_ids_are_per_office)
{
    struct h_rpc r = {0};
    h_office_add(&e.db, "asia", "regional", "142", "unregistered");
    struct vigil_client *asia = h_client(&e.d, "unregistered", false);
    Vigil__V1__SubmitRequest *fr = h_submit_new("FR", H_CYCLE, 0);
    Vigil__V1__SubmitRequest *th = h_submit_new("TH", H_CYCLE, 0);
    h_str_set(&th->request_id, fr->request_id);

    h_submit(&r, e.regional, fr, NULL);
    h_rpc_expect(&r, H_OK, NULL, "regional Submit FR");
    h_submit(&r, asia, th, NULL);
    h_rpc_expect(&r, H_OK, NULL, "asia Submit TH with the regional office's request_id");
    cr_assert_eq(h_revision_count(&e, "TH"), 1);
    vigil_client_free(asia);
    h_rpc_clear(&r);
    h_submit_free(fr);
    h_submit_free(th);
}

/* The gRPC message of req with its fields in another order than protobuf-c
 * writes them (entries first, then the rest) and a default value written out
 * (draft = false), which any protobuf decoder must read as the same request. */
static uint8_t *reordered_frame(const Vigil__V1__SubmitRequest *req, size_t *len)
{
    Vigil__V1__SubmitRequest head = *req;
    head.n_entries = 0;
    head.entries = NULL;
    size_t whole = protobuf_c_message_get_packed_size(&req->base);
    size_t hlen = protobuf_c_message_get_packed_size(&head.base);
    uint8_t *all = malloc(whole), *out = malloc(5 + whole + 2);
    cr_assert(all && out);
    protobuf_c_message_pack(&req->base, all);
    /* protobuf-c writes fields by number: the entries (6) come last. */
    cr_assert_eq(protobuf_c_message_pack(&head.base, out + 5), hlen);
    cr_assert_eq(memcmp(all, out + 5, hlen), 0);
    size_t n = 0;
    out[n++] = 0;
    uint32_t be = htonl((uint32_t)(whole + 2));
    memcpy(out + n, &be, 4);
    n += 4;
    memcpy(out + n, all + hlen, whole - hlen); /* entries */
    n += whole - hlen;
    memcpy(out + n, all, hlen); /* request_id .. base_revision */
    n += hlen;
    out[n++] = 0x28; /* field 5 (draft), varint */
    out[n++] = 0x00; /* false */
    free(all);
    *len = n;
    return out;
}

Test(idempotency, same_content_in_other_bytes_is_the_same_request)
{
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_OK, NULL, "first Submit");
    char *before = h_db_row_counts(&e.db);

    size_t len;
    uint8_t *frame = reordered_frame(req, &len);
    enum vigil_status st = vigil_call_raw(e.regional, H_SUBMIT, frame, len, 10000);
    cr_assert_eq(st, VIGIL_OK, "the same request in other bytes: %s: %s (%s)", vigil_strerror(st),
                 vigil_errmsg(e.regional), vigil_code_name(vigil_rpc_code(e.regional)));
    h_db_expect_unchanged(&e.db, before, "the same request in other bytes");
    cr_assert_eq(h_revision_count(&e, "FR"), 1);
    free(frame);
    free(before);
    h_rpc_clear(&r);
    h_submit_free(req);
}

/* The answer is lost with the connection after the server committed: the
 * client sees a connection error, and the retry on a new connection gets the
 * original answer; one revision is stored. */
Test(idempotency, retry_after_the_connection_is_cut_before_the_answer)
{
    struct h_proxy *p = h_proxy_new(e.d.address);
    struct vigil_options opts;
    struct h_client_paths paths;
    struct h_rpc r = {0};
    char err[512] = "";
    enum vigil_status st = VIGIL_OK;

    h_client_options(&e.d, "regional", false, &opts, &paths);
    opts.address = h_proxy_address(p);
    struct vigil_client *via = vigil_client_new(&opts, &st, err, sizeof(err));
    cr_assert_not_null(via, "connect through the relay: %s: %s", vigil_strerror(st), err);
    /* A whole call first, so that nothing of the set-up is still in flight. */
    Vigil__V1__WhoAmIRequest who = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    h_rpc_call(&r, via, H_WHOAMI, &who.base);
    h_rpc_expect(&r, H_OK, NULL, "WhoAmI through the relay");

    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    h_proxy_arm_cut(p);
    h_submit(&r, via, req, NULL);
    cr_assert_eq(r.st, VIGIL_E_CONNECT, "the Submit whose answer is cut: %s: %s",
                 vigil_strerror(r.st), r.msg);
    cr_assert_eq(h_proxy_cuts(p), 1);
    vigil_client_free(via);

    /* The server did commit. */
    long long until = h_now_ms() + 5000;
    while (h_revision_count(&e, "FR") == 0 && h_now_ms() < until)
        h_sleep_ms(50);
    cr_assert_eq(h_revision_count(&e, "FR"), 1, "the server did not store the cut Submit");
    char *before = h_db_row_counts(&e.db);

    int revision = 0;
    h_submit(&r, e.regional, req, &revision);
    h_rpc_expect(&r, H_OK, NULL, "the retry on a direct connection");
    cr_assert_eq(revision, 1);
    cr_assert_eq(submitted(&r)->status, VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED);
    h_db_expect_unchanged(&e.db, before, "the retry");
    cr_assert_eq(h_revision_count(&e, "FR"), 1);
    cr_assert_eq(h_db_revision_count(&e.db, "FR"), 1);
    h_rpc_clear(&r);
    h_submit_free(req);
    h_proxy_free(p);
    free(before);
}

/* Reviews are idempotent too: the same approval retried answers the same. */
Test(idempotency, review_retried_with_the_same_request_id)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    Vigil__V1__ReviewRequest req = VIGIL__V1__REVIEW_REQUEST__INIT;
    char *id = h_request_id();
    req.request_id = id;
    req.state = "FR";
    req.cycle = H_CYCLE;
    req.action = VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE;
    req.revision = 1;
    h_rpc_call(&r, e.central, H_REVIEW, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "approve");
    char *before = h_db_row_counts(&e.db);
    h_rpc_call(&r, e.central, H_REVIEW, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "the same approval again");
    const Vigil__V1__ReviewResponse *rr = (const Vigil__V1__ReviewResponse *)r.resp;
    cr_assert_eq(rr->status, VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED);
    cr_assert_eq(rr->approved_revision, 1);
    h_db_expect_unchanged(&e.db, before, "the repeated approval");
    /* The same id for another action is refused. */
    req.action = VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK;
    req.comment = "reopen";
    h_rpc_call(&r, e.central, H_REVIEW, &req.base);
    h_rpc_expect(&r, H_ALREADY_EXISTS, "request_id", "an unlock with the approval's request_id");
    h_db_expect_unchanged(&e.db, before, "the unlock with a used request_id");
    h_rpc_clear(&r);
    free(id);
    free(before);
}
