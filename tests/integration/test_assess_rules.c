/* Assessment rules: what Submit refuses (with INVALID_ARGUMENT, a message
 * naming the field, and nothing stored) and what it accepts (stored exactly
 * as sent), one case each, as tables of a mutation of a valid request and
 * the expected answer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 60);

typedef void mutation(Vigil__V1__SubmitRequest *req);

struct rule {
    const char *name;
    mutation *mutate;
    int code;          /* expected gRPC status */
    const char *field; /* what the message must contain; NULL = no check */
};

#define THAI_KO "\xe0\xb8\x81" /* U+0E01, three bytes in UTF-8 */

static Vigil__V1__Evidence *evidence0(Vigil__V1__SubmitRequest *r)
{
    return r->entries[2]->evidence[0];
}

/* --- refused --- */
static void unknown_state(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->state, "XX");
}
static void lower_case_state(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->state, "fr");
}
static void empty_state(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->state, "");
}
static void unknown_cycle(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->cycle, "1999-2003");
}
static void unknown_indicator(Vigil__V1__SubmitRequest *r)
{
    h_submit_append(r, "PR.9", "yes");
}
static void unknown_level(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[3]->level, "maybe");
}
static void empty_level(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[3]->level, "");
}
static void label_instead_of_code(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[3]->level, "no data");
}
static void missing_indicator(Vigil__V1__SubmitRequest *r)
{
    h_submit_remove(r, "PR.4");
}
static void duplicated_indicator(Vigil__V1__SubmitRequest *r)
{
    h_submit_append(r, "PR.4", "no");
}
static void adequacy_level_on_yes_partial_no(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[0]->level, "adequate");
}
static void yes_on_adequacy(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA2]->level, "yes");
}
static void ca2_given_when_ca1_no(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "no");
}
static void ca2_given_when_ca1_no_data(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "no_data");
}
static void ca2_missing_when_ca1_yes(Vigil__V1__SubmitRequest *r)
{
    h_submit_remove(r, "CA.2");
}
static void ca2_missing_when_ca1_partial(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "partial");
    h_submit_remove(r, "CA.2");
}
static void justification_4001(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&r->entries[2]->justification, "a", 4001);
}
static void justification_4001_thai(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&r->entries[2]->justification, THAI_KO, 4001);
}
static void evidence_21(Vigil__V1__SubmitRequest *r)
{
    for (int i = 1; i < 21; i++)
        h_entry_add_evidence(r->entries[2], "Another synthetic source", "", "");
}
static void empty_citation(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->citation, "");
}
static void citation_1001(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&evidence0(r)->citation, "c", 1001);
}
static void url_without_scheme(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->url, "example.org/report");
}
static void url_ftp(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->url, "ftp://example.org/report");
}
static void url_javascript(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->url, "javascript:alert(1)");
}
static void url_2001(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&evidence0(r)->url, "a", 2001 - 20);
    char *u = h_strdupf("https://example.org/%s", evidence0(r)->url);
    h_str_set(&evidence0(r)->url, u);
    free(u);
}
static void date_impossible(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->date, "2011-13-45");
}
static void date_february_30(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->date, "2011-02-30");
}
static void date_not_iso(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->date, "30/06/2011");
}
static void date_with_time(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->date, "2011-06-30T10:00:00Z");
}
static void upper_case_level(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[3]->level, "YES");
}
static void negative_base_revision(Vigil__V1__SubmitRequest *r)
{
    r->base_revision = -1;
}
static void url_without_host(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->url, "https://");
}
static void justification_not_utf8(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[2]->justification, "Latin-1 \xe9t\xe9, not UTF-8");
}
static void citation_not_utf8(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->citation, "\xff\xfe");
}
static void request_id_slash(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->request_id, "a/b");
}
static void request_id_empty(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->request_id, "");
}
static void request_id_space(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->request_id, "bad id");
}
static void request_id_65(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&r->request_id, "r", 65);
}

static const struct rule refused_rules[] = {
    {"unknown state", unknown_state, H_INVALID_ARGUMENT, "state"},
    {"lower-case state code", lower_case_state, H_INVALID_ARGUMENT, "state"},
    {"empty state", empty_state, H_INVALID_ARGUMENT, "state"},
    {"unknown cycle", unknown_cycle, H_INVALID_ARGUMENT, "cycle"},
    {"unknown indicator", unknown_indicator, H_INVALID_ARGUMENT, "entries[16].indicator"},
    {"unknown level", unknown_level, H_INVALID_ARGUMENT, "entries[3].level"},
    {"empty level", empty_level, H_INVALID_ARGUMENT, "entries[3].level"},
    {"level label instead of code", label_instead_of_code, H_INVALID_ARGUMENT, "entries[3].level"},
    {"missing indicator", missing_indicator, H_INVALID_ARGUMENT, "PR.4"},
    {"duplicated indicator", duplicated_indicator, H_INVALID_ARGUMENT, "entries[16]"},
    {"level of another scale", adequacy_level_on_yes_partial_no, H_INVALID_ARGUMENT,
     "entries[0].level"},
    {"yes on the adequacy scale", yes_on_adequacy, H_INVALID_ARGUMENT, "entries[13].level"},
    {"CA.2 given when CA.1 is no", ca2_given_when_ca1_no, H_INVALID_ARGUMENT, "entries[13]"},
    {"CA.2 given when CA.1 is no_data", ca2_given_when_ca1_no_data, H_INVALID_ARGUMENT,
     "entries[13]"},
    {"CA.2 missing when CA.1 is yes", ca2_missing_when_ca1_yes, H_INVALID_ARGUMENT, "CA.2"},
    {"CA.2 missing when CA.1 is partial", ca2_missing_when_ca1_partial, H_INVALID_ARGUMENT, "CA.2"},
    {"justification of 4001 characters", justification_4001, H_INVALID_ARGUMENT,
     "entries[2].justification"},
    {"justification of 4001 Thai characters", justification_4001_thai, H_INVALID_ARGUMENT,
     "entries[2].justification"},
    {"21 evidence items", evidence_21, H_INVALID_ARGUMENT, "entries[2].evidence"},
    {"empty citation", empty_citation, H_INVALID_ARGUMENT, "entries[2].evidence[0].citation"},
    {"citation of 1001 characters", citation_1001, H_INVALID_ARGUMENT,
     "entries[2].evidence[0].citation"},
    {"url without scheme", url_without_scheme, H_INVALID_ARGUMENT, "entries[2].evidence[0].url"},
    {"ftp url", url_ftp, H_INVALID_ARGUMENT, "entries[2].evidence[0].url"},
    {"javascript url", url_javascript, H_INVALID_ARGUMENT, "entries[2].evidence[0].url"},
    {"url of 2001 characters", url_2001, H_INVALID_ARGUMENT, "entries[2].evidence[0].url"},
    {"impossible date", date_impossible, H_INVALID_ARGUMENT, "entries[2].evidence[0].date"},
    {"February 30", date_february_30, H_INVALID_ARGUMENT, "entries[2].evidence[0].date"},
    {"date not ISO 8601", date_not_iso, H_INVALID_ARGUMENT, "entries[2].evidence[0].date"},
    {"date with a time", date_with_time, H_INVALID_ARGUMENT, "entries[2].evidence[0].date"},
    {"upper-case level code", upper_case_level, H_INVALID_ARGUMENT, "entries[3].level"},
    {"negative base_revision", negative_base_revision, H_INVALID_ARGUMENT, "base_revision"},
    {"url without host", url_without_host, H_INVALID_ARGUMENT, "entries[2].evidence[0].url"},
    {"justification not UTF-8", justification_not_utf8, H_INVALID_ARGUMENT,
     "entries[2].justification"},
    {"citation not UTF-8", citation_not_utf8, H_INVALID_ARGUMENT,
     "entries[2].evidence[0].citation"},
    {"request_id with a slash", request_id_slash, H_INVALID_ARGUMENT, "request_id"},
    {"empty request_id", request_id_empty, H_INVALID_ARGUMENT, "request_id"},
    {"request_id with a space", request_id_space, H_INVALID_ARGUMENT, "request_id"},
    {"request_id of 65 characters", request_id_65, H_INVALID_ARGUMENT, "request_id"},
};

ParameterizedTestParameters(rules, refused)
{
    return h_param_indices(sizeof(refused_rules) / sizeof(refused_rules[0]));
}

ParameterizedTest(size_t *i, rules, refused)
{
    const struct rule *rule = &refused_rules[*i];
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    struct h_rpc r = {0};
    char *before = h_db_row_counts(&e.db);

    rule->mutate(req);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, rule->code, rule->field, rule->name);
    h_db_expect_unchanged(&e.db, before, rule->name);
    cr_assert_eq(h_revision_count(&e, "FR"), 0, "%s: a revision was stored", rule->name);
    h_rpc_clear(&r);
    free(before);
    h_submit_free(req);
}

/* --- accepted --- */
static void valid(Vigil__V1__SubmitRequest *r)
{
    (void)r;
}
static void all_levels(Vigil__V1__SubmitRequest *r, const char *level)
{
    h_submit_remove(r, "CA.2"); /* CA.1 not yes/partial: CA.2 does not apply */
    for (size_t i = 0; i < r->n_entries; i++)
        h_str_set(&r->entries[i]->level, level);
}
static void all_no_data(Vigil__V1__SubmitRequest *r)
{
    all_levels(r, "no_data");
}
static void all_not_assessed(Vigil__V1__SubmitRequest *r)
{
    all_levels(r, "not_assessed");
}
static void all_no(Vigil__V1__SubmitRequest *r)
{
    all_levels(r, "no");
}
static void every_level(Vigil__V1__SubmitRequest *r)
{
    static const char *const levels[] = {"yes", "partial", "no", "no_data", "not_assessed"};
    for (size_t i = 0; i < r->n_entries; i++) {
        if (i != H_IDX_CA1 && i != H_IDX_CA2)
            h_str_set(&r->entries[i]->level, levels[i % 5]);
    }
}
static void ca1_partial_ca2_woefully(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "partial");
    h_str_set(&r->entries[H_IDX_CA2]->level, "woefully_inadequate");
}
static void ca2_none(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA2]->level, "none");
}
static void ca2_comprehensive(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA2]->level, "comprehensive");
}
static void ca2_no_data(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA2]->level, "no_data");
}
static void ca2_not_assessed(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA2]->level, "not_assessed");
}
static void ca1_no_without_ca2(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "no");
    h_submit_remove(r, "CA.2");
}
static void ca1_not_assessed_without_ca2(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[H_IDX_CA1]->level, "not_assessed");
    h_submit_remove(r, "CA.2");
}
static void justification_4000(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&r->entries[2]->justification, "a", 4000);
}
static void justification_4000_thai(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&r->entries[2]->justification, THAI_KO, 4000);
}
static void justification_empty(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[2]->justification, "");
}
static void text_in_many_scripts(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->entries[0]->justification,
              "C\xc3\xb4te d'Ivoire, \"quoted\", a comma, a line\nbreak;\ttab");
    /* Thai and Arabic */
    h_str_set(&r->entries[1]->justification,
              "\xe0\xb8\x81\xe0\xb8\xa5\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\xa7 "
              "\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1");
    h_str_set(&r->entries[1]->evidence[0]->citation, "Rapport \xc2\xab sp\xc3\xa9"
                                                     "cial \xc2\xbb, p. 3");
}
static void evidence_20(Vigil__V1__SubmitRequest *r)
{
    for (int i = 1; i < 20; i++)
        h_entry_add_evidence(r->entries[2], "Another synthetic source", "", "");
}
static void evidence_none(Vigil__V1__SubmitRequest *r)
{
    Vigil__V1__Entry *en = r->entries[2];
    for (size_t i = 0; i < en->n_evidence; i++)
        protobuf_c_message_free_unpacked(&en->evidence[i]->base, NULL);
    en->n_evidence = 0;
}
static void citation_only(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->url, "");
    h_str_set(&evidence0(r)->date, "");
}
static void citation_1000_url_2000(Vigil__V1__SubmitRequest *r)
{
    h_str_repeat(&evidence0(r)->citation, "c", 1000);
    h_str_repeat(&evidence0(r)->url, "a", 2000 - 19);
    char *u = h_strdupf("http://example.org/%s", evidence0(r)->url);
    h_str_set(&evidence0(r)->url, u);
    free(u);
}
static void leap_day(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&evidence0(r)->date, "2012-02-29");
}
static void request_id_64_every_allowed_character(Vigil__V1__SubmitRequest *r)
{
    h_str_set(&r->request_id, "AZaz09._:-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01");
    cr_assert_eq(strlen(r->request_id), 64);
}
static void draft(Vigil__V1__SubmitRequest *r)
{
    r->draft = true;
}

static const struct rule accepted_rules[] = {
    {"a valid request", valid, H_OK, NULL},
    {"no data everywhere", all_no_data, H_OK, NULL},
    {"not assessed everywhere", all_not_assessed, H_OK, NULL},
    {"no everywhere", all_no, H_OK, NULL},
    {"every level of yes-partial-no", every_level, H_OK, NULL},
    {"CA.1 partial, CA.2 woefully inadequate", ca1_partial_ca2_woefully, H_OK, NULL},
    {"CA.2 none", ca2_none, H_OK, NULL},
    {"CA.2 comprehensive", ca2_comprehensive, H_OK, NULL},
    {"CA.2 no data", ca2_no_data, H_OK, NULL},
    {"CA.2 not assessed", ca2_not_assessed, H_OK, NULL},
    {"CA.1 no, no CA.2", ca1_no_without_ca2, H_OK, NULL},
    {"CA.1 not assessed, no CA.2", ca1_not_assessed_without_ca2, H_OK, NULL},
    {"justification of 4000 characters", justification_4000, H_OK, NULL},
    {"justification of 4000 Thai characters", justification_4000_thai, H_OK, NULL},
    {"empty justification", justification_empty, H_OK, NULL},
    {"text in many scripts, quotes, commas, line breaks", text_in_many_scripts, H_OK, NULL},
    {"20 evidence items", evidence_20, H_OK, NULL},
    {"no evidence", evidence_none, H_OK, NULL},
    {"citation without url and date", citation_only, H_OK, NULL},
    {"citation of 1000 and http url of 2000 characters", citation_1000_url_2000, H_OK, NULL},
    {"leap day", leap_day, H_OK, NULL},
    {"request_id of 64 allowed characters", request_id_64_every_allowed_character, H_OK, NULL},
    {"draft", draft, H_OK, NULL},
};

ParameterizedTestParameters(rules, accepted)
{
    return h_param_indices(sizeof(accepted_rules) / sizeof(accepted_rules[0]));
}

ParameterizedTest(size_t *i, rules, accepted)
{
    const struct rule *rule = &accepted_rules[*i];
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    struct h_rpc r = {0};
    int revision = 0;
    char why[600];

    rule->mutate(req);
    h_submit(&r, e.regional, req, &revision);
    h_rpc_expect(&r, H_OK, NULL, rule->name);
    cr_assert_eq(revision, 1, "%s: revision %d", rule->name, revision);
    cr_assert_eq(((Vigil__V1__SubmitResponse *)r.resp)->status,
                 req->draft ? VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_DRAFT
                            : VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED,
                 "%s", rule->name);

    /* Stored exactly as sent. */
    h_get(&r, e.regional, "FR", 0);
    h_rpc_expect(&r, H_OK, NULL, "Get");
    const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r.resp;
    cr_assert_not_null(g->revision);
    cr_assert_eq(g->revision->number, 1);
    cr_assert_eq(g->revision->draft, req->draft);
    cr_assert_str_eq(g->revision->office, "regional");
    cr_assert(h_entries_equal(req, g->revision, why, sizeof(why)), "%s: %s", rule->name, why);
    cr_assert_not_null(g->assessment);
    cr_assert_str_eq(g->assessment->state, "FR");
    cr_assert_str_eq(g->assessment->state_name, "France");
    cr_assert_eq(g->assessment->latest_revision, 1);
    h_rpc_clear(&r);
    h_submit_free(req);
}

/* Entries in any order are stored in the methodology's order. */
Test(rules, entries_in_any_order_are_stored_in_methodology_order)
{
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    Vigil__V1__SubmitRequest *sorted = h_submit_new("FR", H_CYCLE, 0);
    struct h_rpc r = {0};
    char why[600];

    /* Reverse the entries. */
    for (size_t i = 0; i < req->n_entries / 2; i++) {
        Vigil__V1__Entry *t = req->entries[i];
        req->entries[i] = req->entries[req->n_entries - 1 - i];
        req->entries[req->n_entries - 1 - i] = t;
    }
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_OK, NULL, "Submit with reversed entries");
    h_get(&r, e.regional, "FR", 1);
    h_rpc_expect(&r, H_OK, NULL, "Get revision 1");
    const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r.resp;
    cr_assert(h_entries_equal(sorted, g->revision, why, sizeof(why)), "%s", why);
    h_rpc_clear(&r);
    h_submit_free(req);
    h_submit_free(sorted);
}

/* A text with U+0000 (which protobuf allows and PostgreSQL cannot store) is
 * refused naming the field, never stored cut short at the NUL. protobuf-c
 * cannot send one, so the request goes as raw bytes. */
Test(rules, nul_character_in_a_justification_is_refused)
{
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 0);
    h_str_set(&req->entries[2]->justification, "before@after");
    size_t len = protobuf_c_message_get_packed_size(&req->base);
    uint8_t *frame = malloc(5 + len);
    cr_assert_not_null(frame);
    protobuf_c_message_pack(&req->base, frame + 5);
    frame[0] = 0;
    frame[1] = (uint8_t)(len >> 24);
    frame[2] = (uint8_t)(len >> 16);
    frame[3] = (uint8_t)(len >> 8);
    frame[4] = (uint8_t)len;
    uint8_t *at = memmem(frame + 5, len, "before@after", 12);
    cr_assert_not_null(at);
    at[6] = '\0';
    char *before = h_db_row_counts(&e.db);

    enum vigil_status st = vigil_call_raw(e.regional, H_SUBMIT, frame, 5 + len, 10000);
    if (st == VIGIL_OK) {
        struct h_rpc r = {0};
        h_get(&r, e.regional, "FR", 0);
        const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r.resp;
        cr_assert_fail("\"before\\0after\" was accepted and stored as \"%s\"",
                       g && g->revision && g->revision->n_entries > 2
                           ? g->revision->entries[2]->justification
                           : "?");
    }
    cr_assert_eq(st, VIGIL_E_RPC, "%s", vigil_strerror(st));
    cr_assert_eq(vigil_rpc_code(e.regional), H_INVALID_ARGUMENT, "%s: %s",
                 vigil_code_name(vigil_rpc_code(e.regional)), vigil_errmsg(e.regional));
    cr_assert(strstr(vigil_errmsg(e.regional), "entries[2].justification"), "%s",
              vigil_errmsg(e.regional));
    h_db_expect_unchanged(&e.db, before, "a justification with U+0000");
    free(before);
    free(frame);
    h_submit_free(req);
}

/* A stale base revision is ABORTED with a message naming the current one;
 * nothing is stored. Ahead of the latest is just as stale. */
Test(rules, stale_base_revision_is_aborted_naming_the_current_revision)
{
    static const int bases[] = {0, 1, 5};
    struct h_rpc r = {0};

    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 2);
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        char *before = h_db_row_counts(&e.db);
        Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, bases[i]);
        char what[64];
        snprintf(what, sizeof(what), "Submit on revision %d when the latest is 2", bases[i]);
        h_submit(&r, e.regional, req, NULL);
        h_rpc_expect(&r, H_ABORTED, "base_revision", what);
        cr_assert(strstr(r.msg, "2") != NULL, "%s: the message must name revision 2: %s", what,
                  r.msg);
        h_db_expect_unchanged(&e.db, before, what);
        h_submit_free(req);
        free(before);
    }
    cr_assert_eq(h_revision_count(&e, "FR"), 2);
}

/* The rules apply to revisions after the first too: the correction of a
 * valid revision with a bad one stores nothing. */
Test(rules, refused_correction_leaves_the_assessment_as_it_was)
{
    struct h_rpc r = {0};
    cr_assert_eq(h_submit_ok(e.regional, "FR", false), 1);
    char *before = h_db_row_counts(&e.db);
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, 1);
    h_str_set(&req->entries[5]->level, "perhaps");
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "entries[5].level", "a bad second revision");
    h_db_expect_unchanged(&e.db, before, "a bad second revision");
    const Vigil__V1__Assessment *a = h_assessment(&r, &e, "FR");
    cr_assert_eq(a->latest_revision, 1);
    cr_assert_eq(a->status, VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_SUBMITTED);
    h_rpc_clear(&r);
    h_submit_free(req);
    free(before);
}
