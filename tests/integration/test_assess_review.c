/* Review and locks: approval locks an assessment until the central office
 * unlocks it with a comment; unlocking does not erase the approved revision;
 * returns need a comment; a closed cycle refuses submissions except for an
 * assessment unlocked for correction; every step is in the audit log. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPROVE   VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE
#define RETURN    VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_RETURN
#define UNLOCK    VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK
#define DRAFT     VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_DRAFT
#define SUBMITTED VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED
#define RETURNED  VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_RETURNED
#define APPROVED  VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED
#define UNLOCKED  VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_UNLOCKED

static struct h_assess_env e;

static void setup(void)
{
    h_assess_start(&e);
}

static void teardown(void)
{
    h_assess_stop(&e);
}

TestSuite(review, .init = setup, .fini = teardown, .timeout = 60);

/* Reviews as central and asserts the answer. */
static void review_ok(const char *state, Vigil__V1__ReviewAction action, const char *comment,
                      int revision, int want_status, int want_approved)
{
    struct h_rpc r = {0};
    h_review(&r, e.central, state, action, comment, revision);
    h_rpc_expect(&r, H_OK, NULL, "Review");
    const Vigil__V1__ReviewResponse *rr = (const Vigil__V1__ReviewResponse *)r.resp;
    cr_assert_eq(rr->status, want_status, "Review %d of %s#%d: status %d", action, state, revision,
                 rr->status);
    cr_assert_eq(rr->approved_revision, want_approved, "Review %d of %s#%d: approved %d", action,
                 state, revision, rr->approved_revision);
    h_rpc_clear(&r);
}

static void expect_assessment(const char *state, int status, int latest, int approved,
                              const char *comment)
{
    struct h_rpc r = {0};
    const Vigil__V1__Assessment *a = h_assessment(&r, &e, state);
    cr_assert_eq(a->status, status, "%s: status %d, want %d", state, a->status, status);
    cr_assert_eq(a->latest_revision, latest, "%s: latest %d, want %d", state, a->latest_revision,
                 latest);
    cr_assert_eq(a->approved_revision, approved, "%s: approved %d, want %d", state,
                 a->approved_revision, approved);
    if (comment)
        cr_assert_str_eq(a->review_comment, comment);
    h_rpc_clear(&r);
}

/* A refused Review: code, field, nothing stored. */
static void review_refused(const char *state, Vigil__V1__ReviewAction action, const char *comment,
                           int revision, int code, const char *field, const char *what)
{
    struct h_rpc r = {0};
    char *before = h_db_row_counts(&e.db);
    h_review(&r, e.central, state, action, comment, revision);
    h_rpc_expect(&r, code, field, what);
    h_db_expect_unchanged(&e.db, before, what);
    h_rpc_clear(&r);
    free(before);
}

/* The whole life: submit, approve (locked), unlock with a comment (the
 * approval keeps counting), correct, approve the correction. */
Test(review, approve_lock_unlock_correct_approve)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    expect_assessment("FR", SUBMITTED, 1, 0, "");
    review_ok("FR", APPROVE, NULL, 1, APPROVED, 1);
    expect_assessment("FR", APPROVED, 1, 1, NULL);

    review_ok("FR", UNLOCK, "Figures for PR.2 need a source.", 1, UNLOCKED, 1);
    expect_assessment("FR", UNLOCKED, 1, 1, "Figures for PR.2 need a source.");

    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    /* Unlocking does not erase: revision 1 counts until 2 is approved. */
    expect_assessment("FR", SUBMITTED, 2, 1, NULL);
    review_ok("FR", APPROVE, NULL, 2, APPROVED, 2);
    expect_assessment("FR", APPROVED, 2, 2, NULL);

    /* Get of the approved revision still gives it. */
    struct h_rpc r = {0};
    h_get(&r, e.regional, "FR", 1);
    h_rpc_expect(&r, H_OK, NULL, "Get revision 1");
    cr_assert_eq(((Vigil__V1__GetResponse *)r.resp)->revision->number, 1);
    h_rpc_clear(&r);
}

Test(review, submit_on_approved_is_failed_precondition)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_ok("FR", APPROVE, NULL, 1, APPROVED, 1);
    char *before = h_db_row_counts(&e.db);
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 1);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_FAILED_PRECONDITION, NULL, "Submit on an approved assessment");
    h_db_expect_unchanged(&e.db, before, "Submit on an approved assessment");
    expect_assessment("FR", APPROVED, 1, 1, NULL);
    h_rpc_clear(&r);
    h_submit_free(req);
    free(before);
}

Test(review, unlock_without_comment_is_failed_precondition)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_ok("FR", APPROVE, NULL, 1, APPROVED, 1);
    review_refused("FR", UNLOCK, "", 1, H_FAILED_PRECONDITION, "comment", "unlock without comment");
    expect_assessment("FR", APPROVED, 1, 1, NULL);
}

/* A comment of blanks says nothing: it is no comment. */
Test(review, unlock_with_a_blank_comment_is_failed_precondition)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_ok("FR", APPROVE, NULL, 1, APPROVED, 1);
    review_refused("FR", UNLOCK, " \n\t", 1, H_FAILED_PRECONDITION, "comment",
                   "unlock with a blank comment");
    expect_assessment("FR", APPROVED, 1, 1, NULL);
}

Test(review, return_without_comment_is_failed_precondition)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_refused("FR", RETURN, "", 1, H_FAILED_PRECONDITION, "comment", "return without comment");
    expect_assessment("FR", SUBMITTED, 1, 0, NULL);
}

Test(review, comment_over_4000_characters_is_invalid)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    char *comment = malloc(4002);
    memset(comment, 'c', 4001);
    comment[4001] = '\0';
    review_refused("FR", RETURN, comment, 1, H_INVALID_ARGUMENT, "comment",
                   "return with a comment of 4001 characters");
    free(comment);
}

Test(review, approving_a_draft_is_failed_precondition)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", true), 1);
    expect_assessment("FR", DRAFT, 1, 0, NULL);
    review_refused("FR", APPROVE, NULL, 1, H_FAILED_PRECONDITION, NULL, "approve a draft");
    review_refused("FR", RETURN, "why", 1, H_FAILED_PRECONDITION, NULL, "return a draft");
    expect_assessment("FR", DRAFT, 1, 0, NULL);
}

Test(review, unlocking_what_is_not_approved_is_failed_precondition)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_refused("FR", UNLOCK, "reopen", 1, H_FAILED_PRECONDITION, NULL,
                   "unlock a submitted assessment");
    expect_assessment("FR", SUBMITTED, 1, 0, NULL);
}

Test(review, reviewing_an_old_revision_is_aborted)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    review_refused("FR", APPROVE, NULL, 1, H_ABORTED, "revision", "approve revision 1 of 2");
    expect_assessment("FR", SUBMITTED, 2, 0, NULL);
}

Test(review, return_then_resubmit)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_ok("FR", RETURN, "PR.3: which loopholes?", 1, RETURNED, 0);
    expect_assessment("FR", RETURNED, 1, 0, "PR.3: which loopholes?");
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    expect_assessment("FR", SUBMITTED, 2, 0, NULL);
    review_ok("FR", APPROVE, NULL, 2, APPROVED, 2);
}

Test(review, closed_cycle_refuses_submissions)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "DE", false), 1);
    h_cycle_set_status(&e, H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    static const struct {
        const char *state;
        int base;
    } cases[] = {{"FR", 0}, {"DE", 1}};
    for (size_t i = 0; i < 2; i++) {
        char *before = h_db_row_counts(&e.db);
        Vigil__V1__SubmitRequest *req = h_submit_new(cases[i].state, H_CYCLE, cases[i].base);
        h_submit(&r, e.regional, req, NULL);
        h_rpc_expect(&r, H_FAILED_PRECONDITION, "cycle", cases[i].state);
        h_db_expect_unchanged(&e.db, before, "Submit in a closed cycle");
        h_submit_free(req);
        free(before);
    }
    /* Open again: accepted. */
    h_cycle_set_status(&e, H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_OPEN);
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    h_rpc_clear(&r);
}

/* The exception: an assessment the central office unlocked for correction
 * takes a new revision although its cycle is closed. */
Test(review, unlocked_assessment_accepts_a_revision_in_a_closed_cycle)
{
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    review_ok("FR", APPROVE, NULL, 1, APPROVED, 1);
    h_cycle_set_status(&e, H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    review_ok("FR", UNLOCK, "Correct CA.2 after the site visit.", 1, UNLOCKED, 1);
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    expect_assessment("FR", SUBMITTED, 2, 1, NULL);
    review_ok("FR", APPROVE, NULL, 2, APPROVED, 2);
    /* Locked again: the closed cycle refuses the next one. */
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 2);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_FAILED_PRECONDITION, NULL, "Submit after the correction was approved");
    h_rpc_clear(&r);
    h_submit_free(req);
}

static bool has_audit(const Vigil__V1__ListAuditResponse *l, const char *office, const char *action,
                      const char *object)
{
    for (size_t i = 0; i < l->n_entries; i++) {
        const Vigil__V1__AuditEntry *a = l->entries[i];
        if (strcmp(a->office, office) == 0 && strstr(a->action, action) &&
            strstr(a->object, object))
            return true;
    }
    return false;
}

static char *audit_dump(const Vigil__V1__ListAuditResponse *l)
{
    char *s = h_strdupf("%zu entries:", l->n_entries);
    for (size_t i = 0; i < l->n_entries; i++) {
        char *t = h_strdupf("%s\n  #%lld %s %s %s %s", s, (long long)l->entries[i]->id,
                            l->entries[i]->office, l->entries[i]->action, l->entries[i]->object,
                            l->entries[i]->request_id);
        free(s);
        s = t;
    }
    return s;
}

/* Increasing ids; who, with which certificate, from where, which request;
 * the unlock's comment in its detail. */
static void expect_audit_fields(const Vigil__V1__ListAuditResponse *l, const char *submit_id,
                                const char *dump)
{
    bool found_request = false, found_comment = false;
    for (size_t i = 0; i < l->n_entries; i++) {
        const Vigil__V1__AuditEntry *a = l->entries[i];
        if (i > 0)
            cr_assert_gt(a->id, l->entries[i - 1]->id, "%s", dump);
        cr_assert_neq(a->at[0], '\0');
        found_comment |= strstr(a->action, "unlock") && strstr(a->detail, "Reopened.");
        if (a->office[0] == '\0')
            continue; /* the operator's (migrations): no certificate, no peer */
        cr_assert_eq(strlen(a->certificate_sha256), 64, "%s", dump);
        cr_assert(strstr(a->peer, "127.0.0.1") != NULL, "peer %s", a->peer);
        if (strcmp(a->request_id, submit_id) == 0)
            found_request = strstr(a->action, "submit") != NULL;
    }
    cr_assert(found_request, "the Submit's request_id %s is not in the log:\n%s", submit_id, dump);
    cr_assert(found_comment, "the unlock's comment is not in its detail:\n%s", dump);
}

Test(review, every_step_is_in_the_audit_log)
{
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_OK, NULL, "Submit");
    review_ok("FR", RETURN, "Sources please.", 1, RETURNED, 0);
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    review_ok("FR", APPROVE, NULL, 2, APPROVED, 2);
    review_ok("FR", UNLOCK, "Reopened.", 2, UNLOCKED, 2);

    Vigil__V1__ListAuditRequest lr = VIGIL__V1__LIST_AUDIT_REQUEST__INIT;
    lr.limit = 1000;
    h_rpc_call(&r, e.central, H_LIST_AUDIT, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "ListAudit as central");
    const Vigil__V1__ListAuditResponse *l = (const Vigil__V1__ListAuditResponse *)r.resp;
    char *dump = audit_dump(l);
    cr_assert(has_audit(l, "regional", "submit", "FR/2009-2012#1"), "%s", dump);
    cr_assert(has_audit(l, "central", "return", "FR/2009-2012"), "%s", dump);
    cr_assert(has_audit(l, "regional", "submit", "FR/2009-2012#2"), "%s", dump);
    cr_assert(has_audit(l, "central", "approve", "FR/2009-2012"), "%s", dump);
    cr_assert(has_audit(l, "central", "unlock", "FR/2009-2012"), "%s", dump);
    expect_audit_fields(l, req->request_id, dump);
    free(dump);

    /* Paging: after the first id, one less. */
    size_t all = l->n_entries;
    lr.after_id = l->entries[0]->id;
    h_rpc_call(&r, e.central, H_LIST_AUDIT, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "ListAudit after the first id");
    cr_assert_eq(((Vigil__V1__ListAuditResponse *)r.resp)->n_entries, all - 1);

    /* A limit. */
    lr.after_id = 0;
    lr.limit = 2;
    h_rpc_call(&r, e.central, H_LIST_AUDIT, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "ListAudit limit 2");
    cr_assert_eq(((Vigil__V1__ListAuditResponse *)r.resp)->n_entries, 2);

    /* Only the central office reads it. */
    h_rpc_call(&r, e.regional, H_LIST_AUDIT, &lr.base);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "ListAudit as regional");
    h_rpc_call(&r, e.partner, H_LIST_AUDIT, &lr.base);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "ListAudit as partner");
    h_rpc_clear(&r);
    h_submit_free(req);
}

/* The review queue: List by status. */
Test(review, queue_lists_by_status)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    cr_assert_eq(h_submit_ok(e.regional, "DE", false), 1);
    cr_assert_eq(h_submit_ok(e.regional, "IT", true), 1);
    review_ok("DE", APPROVE, NULL, 1, APPROVED, 1);

    Vigil__V1__ListRequest lr = VIGIL__V1__LIST_REQUEST__INIT;
    lr.cycle = H_CYCLE;
    lr.status = SUBMITTED;
    h_rpc_call(&r, e.central, H_LIST, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "List submitted");
    const Vigil__V1__ListResponse *l = (const Vigil__V1__ListResponse *)r.resp;
    cr_assert_eq(l->n_assessments, 1);
    cr_assert_str_eq(l->assessments[0]->state, "FR");
    lr.status = 0;
    h_rpc_call(&r, e.central, H_LIST, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "List any");
    l = (const Vigil__V1__ListResponse *)r.resp;
    cr_assert_eq(l->n_assessments, 3);
    /* By state name: France, Germany, Italy. */
    cr_assert_str_eq(l->assessments[0]->state, "FR");
    cr_assert_str_eq(l->assessments[1]->state, "DE");
    cr_assert_str_eq(l->assessments[2]->state, "IT");
    cr_assert_eq(l->assessments[2]->status, DRAFT);
    h_rpc_clear(&r);
}
