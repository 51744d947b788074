/* Visibility: a regional office sees the states of its scope at every
 * status and nothing else; the central office sees everything; partners see
 * nothing of the Assessments service. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static struct h_assess_env e;
static struct vigil_client *asia; /* a second regional office, region 142 (Asia) */

static void setup(void)
{
    h_assess_start(&e);
    h_office_add(&e.db, "asia", "regional", "142", "unregistered");
    asia = h_client(&e.d, "unregistered", false);
}

static void teardown(void)
{
    vigil_client_free(asia);
    h_assess_stop(&e);
}

TestSuite(visibility, .init = setup, .fini = teardown, .timeout = 60);

/* The states an office's List shows, "FR,DE,..." in the answer's order. */
static char *listed(struct vigil_client *c, const char *region, int *code)
{
    Vigil__V1__ListRequest lr = VIGIL__V1__LIST_REQUEST__INIT;
    struct h_rpc r = {0};
    lr.cycle = H_CYCLE;
    lr.region = (char *)region;
    *code = h_rpc_call(&r, c, H_LIST, &lr.base);
    char *s = h_strdupf("%s", "");
    if (*code == H_OK) {
        const Vigil__V1__ListResponse *l = (const Vigil__V1__ListResponse *)r.resp;
        for (size_t i = 0; i < l->n_assessments; i++) {
            char *t = h_strdupf("%s%s%s", s, i ? "," : "", l->assessments[i]->state);
            free(s);
            s = t;
        }
    }
    h_rpc_clear(&r);
    return s;
}

Test(visibility, each_office_sees_its_scope)
{
    struct h_rpc r = {0};
    int code;

    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    cr_assert_eq(h_submit_ok(e.regional, "DE", true), 1); /* a draft too */
    cr_assert_eq(h_submit_ok(asia, "TH", false), 1);
    cr_assert_eq(h_submit_ok(asia, "HK", false), 1);

    char *s = listed(e.regional, "", &code);
    cr_assert_eq(code, H_OK);
    cr_assert_str_eq(s, "FR,DE", "regional sees %s", s); /* France, Germany */
    free(s);
    s = listed(asia, "", &code);
    cr_assert_eq(code, H_OK);
    cr_assert_str_eq(s, "HK,TH", "asia sees %s", s); /* Hong Kong, Thailand */
    free(s);
    s = listed(e.central, "", &code);
    cr_assert_eq(code, H_OK);
    cr_assert_str_eq(s, "FR,DE,HK,TH", "central sees %s", s);
    free(s);
    s = listed(e.central, "150", &code);
    cr_assert_eq(code, H_OK);
    cr_assert_str_eq(s, "FR,DE", "central, region 150, sees %s", s);
    free(s);
    /* A regional office asking for another region gets nothing of it. */
    s = listed(e.regional, "142", &code);
    cr_assert(code == H_PERMISSION_DENIED || (code == H_OK && s[0] == '\0'),
              "regional listing region 142: %d %s", code, s);
    free(s);
    s = listed(e.partner, "", &code);
    cr_assert_eq(code, H_PERMISSION_DENIED);
    free(s);

    /* Get and ListRevisions outside the scope are refused. */
    h_get(&r, e.regional, "TH", 0);
    h_rpc_expect(&r, H_PERMISSION_DENIED, "state", "regional Get TH");
    h_get(&r, asia, "FR", 0);
    h_rpc_expect(&r, H_PERMISSION_DENIED, "state", "asia Get FR");
    Vigil__V1__ListRevisionsRequest lr = VIGIL__V1__LIST_REVISIONS_REQUEST__INIT;
    lr.state = "TH";
    lr.cycle = H_CYCLE;
    h_rpc_call(&r, e.regional, H_LIST_REVISIONS, &lr.base);
    h_rpc_expect(&r, H_PERMISSION_DENIED, "state", "regional ListRevisions TH");
    /* Inside the scope, at every status (the draft included). */
    h_get(&r, e.regional, "DE", 0);
    h_rpc_expect(&r, H_OK, NULL, "regional Get DE (draft)");
    cr_assert_eq(((Vigil__V1__GetResponse *)r.resp)->assessment->status,
                 VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_DRAFT);
    /* The central office reads everything. */
    h_get(&r, e.central, "TH", 0);
    h_rpc_expect(&r, H_OK, NULL, "central Get TH");
    h_get(&r, e.partner, "FR", 0);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "partner Get FR");
    h_rpc_clear(&r);
}

/* A regional office sees its states at every status, approved and unlocked
 * included. */
Test(visibility, regional_sees_its_states_after_review)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    h_review(&r, e.central, "FR", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE, NULL, 1);
    h_rpc_expect(&r, H_OK, NULL, "approve");
    h_get(&r, e.regional, "FR", 0);
    h_rpc_expect(&r, H_OK, NULL, "regional Get of its approved FR");
    cr_assert_eq(((Vigil__V1__GetResponse *)r.resp)->assessment->status,
                 VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED);
    h_review(&r, e.central, "FR", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK, "fix it", 1);
    h_rpc_expect(&r, H_OK, NULL, "unlock");
    h_get(&r, e.regional, "FR", 0);
    h_rpc_expect(&r, H_OK, NULL, "regional Get of its unlocked FR");
    cr_assert_str_eq(((Vigil__V1__GetResponse *)r.resp)->assessment->review_comment, "fix it");
    h_rpc_clear(&r);
}
