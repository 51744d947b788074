/* `vigil verify --cycle C` as a process: it passes on published cycles (as
 * any reader, also with movement against a predecessor and on a superseded
 * version), and fails with the documented exit code and a line naming what
 * differs when one published input or result is altered in the database
 * (as superuser, the append-only triggers off for that statement): 7 when
 * the inputs do not match their digest, 8 when the results differ from the
 * recomputation. One fresh database per alteration. */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C1 H_CYCLE /* 2009-2012 */
#define C2 H_RANK_C2

#define EXIT_OK      0
#define EXIT_DIGEST  7 /* the inputs do not match their digest */
#define EXIT_DIFFERS 8 /* the results differ from a recomputation */

static struct h_rank_env e;

static void setup(void)
{
    static const char *const args[] = {H_PUBLIC_LISTENER, NULL};
    h_rank_start(&e, args);
}

static void teardown(void)
{
    h_rank_stop(&e);
}

/* The crafted datasets of h_rank.h. In C1's ranking: DE 1, BE 2, FR =3,
 * ES =3, PL 5 (ranked[0..4]); not ranked CZ, HU, IT, SE (not_ranked[0..3]).
 * In C2: FR 1 (+2), BE =2, SE =2 (new), DE 4, PL 5; HU not ranked. */
static void publish_both(void)
{
    h_rank_publish_c1(&e, NULL);
    h_rank_publish_c2(&e);
}

struct run {
    int rc;
    char *out, *err;
};

/* vigil verify --cycle cycle [extra] as who. */
static void verify(struct run *r, const char *who, const char *cycle, const char *extra)
{
    const char *args[] = {"verify", "--cycle", cycle, extra, extra ? "1" : NULL, NULL};
    bool public_listener = who == NULL;
    r->rc = h_cli(&e.a.d, who, public_listener, args, &r->out, &r->err);
}

static void run_clear(struct run *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

Test(verify, passes_on_published_cycles, .init = setup, .fini = teardown, .timeout = 60)
{
    struct run r = {0};
    publish_both();
    static const struct {
        const char *who, *cycle, *extra;
        const char *says;
    } cases[] = {
        {"central", C1, NULL, "verified: " C1 " version 1"},
        {"partner", C1, NULL, "verified: " C1 " version 1"},
        {NULL, C1, NULL, "verified: " C1 " version 1"},
        {"regional", C2, NULL, "movement against " C1 " version 1"},
        {NULL, C2, NULL, "movement against " C1 " version 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        verify(&r, cases[i].who, cases[i].cycle, cases[i].extra);
        cr_assert_eq(r.rc, EXIT_OK, "verify %s as %s: exit %d\n%s%s", cases[i].cycle,
                     cases[i].who ? cases[i].who : "anonymous", r.rc, r.out, r.err);
        cr_assert(strstr(r.out, cases[i].says) != NULL, "verify %s: \"%s\" not in:\n%s",
                  cases[i].cycle, cases[i].says, r.out);
        run_clear(&r);
    }

    /* A correction republished: both versions verify. */
    h_rank_correct(&e, C1, "FR", H_RANK_FR_TOP);
    cr_assert_eq(h_rank_publish_ok(&e, C1, NULL, NULL), 2);
    verify(&r, "partner", C1, NULL);
    cr_assert_eq(r.rc, EXIT_OK, "verify of version 2: exit %d\n%s%s", r.rc, r.out, r.err);
    cr_assert(strstr(r.out, "verified: " C1 " version 2") != NULL, "%s", r.out);
    run_clear(&r);
    verify(&r, "partner", C1, "--version");
    cr_assert_eq(r.rc, EXIT_OK, "verify of version 1: exit %d\n%s%s", r.rc, r.out, r.err);
    cr_assert(strstr(r.out, "verified: " C1 " version 1") != NULL, "%s", r.out);
    run_clear(&r);
    /* C2's movement was computed against C1's version 1, which it names. */
    verify(&r, "partner", C2, NULL);
    cr_assert_eq(r.rc, EXIT_OK,
                 "verify of " C2 " after its predecessor's republication: exit %d\n%s%s", r.rc,
                 r.out, r.err);
    run_clear(&r);
}

/* One alteration of one published row (of `altered`), then verify `cycle`. */
static const struct alteration {
    const char *title;
    const char *altered; /* the cycle whose publication row is changed */
    const char *set;     /* UPDATE publication SET <set> */
    const char *cycle;   /* the cycle verified */
    int exit_code;
    const char *names[2]; /* what the report must name (NULL: nothing more) */
} alterations[] = {
    {"one level inside the canonical inputs",
     C1,
     "canonical = regexp_replace(canonical, '\"CA.4\":\"no\"', '\"CA.4\":\"yes\"')",
     C1,
     EXIT_DIGEST,
     {"digest", NULL}},
    {"the digest", C1, "digest = repeat('0', 64)", C1, EXIT_DIGEST, {"digest", NULL}},
    /* A consistent forgery: ES's CA.4 no -> yes with the digest recomputed:
     * the published results no longer follow from the inputs. */
    {"one level and its digest",
     C1,
     "canonical = regexp_replace(canonical, '\"CA.4\":\"no\"', '\"CA.4\":\"yes\"'), "
     "digest = encode(sha256(convert_to(regexp_replace(canonical, '\"CA.4\":\"no\"', "
     "'\"CA.4\":\"yes\"'), 'UTF8')), 'hex')",
     C1,
     EXIT_DIFFERS,
     {"ES", NULL}},
    {"an overall figure",
     C1,
     "ranking = jsonb_set(ranking, '{ranked,0,overall,text}', '\"99.99\"')",
     C1,
     EXIT_DIFFERS,
     {"DE", "overall"}},
    {"an exact value",
     C1,
     "ranking = jsonb_set(ranking, '{ranked,2,overall,num}', '1176')",
     C1,
     EXIT_DIFFERS,
     {"FR", NULL}},
    {"a rank",
     C1,
     "ranking = jsonb_set(ranking, '{ranked,1,rank}', '3')",
     C1,
     EXIT_DIFFERS,
     {"BE", NULL}},
    {"a band",
     C1,
     "ranking = jsonb_set(ranking, '{ranked,4,band}', '\"some progress\"')",
     C1,
     EXIT_DIFFERS,
     {"PL", "band"}},
    {"an area score",
     C1,
     "ranking = jsonb_set(ranking, '{ranked,1,areas,2,score,text}', '\"91.66\"')",
     C1,
     EXIT_DIFFERS,
     {"BE", NULL}},
    {"a reason of a state not ranked",
     C1,
     "ranking = jsonb_set(ranking, '{not_ranked,3,reasons}', '[{\"reason\": \"coverage\"}]')",
     C1,
     EXIT_DIFFERS,
     {"SE", NULL}},
    {"a count of the aggregates",
     C1,
     "aggregates = jsonb_set(aggregates, '{indicators,12,levels,2,count}', '2')",
     C1,
     EXIT_DIFFERS,
     {"CA.1", NULL}},
    {"a share of the aggregates",
     C1,
     "aggregates = jsonb_set(aggregates, '{indicators,13,levels,1,share,text}', '\"41.00\"')",
     C1,
     EXIT_DIFFERS,
     {"CA.2", NULL}},
    {"a movement",
     C2,
     "ranking = jsonb_set(ranking, '{ranked,0,movement,rank_delta}', '3')",
     C2,
     EXIT_DIFFERS,
     {"FR", NULL}},
    /* C2's inputs name C1's digest for movement. */
    {"the predecessor's digest",
     C1,
     "digest = repeat('1', 64)",
     C2,
     EXIT_DIGEST,
     {"predecessor", NULL}},
};
#define N_ALTERATIONS (sizeof(alterations) / sizeof(alterations[0]))

ParameterizedTestParameters(verify, fails_on_any_alteration)
{
    return h_param_indices(N_ALTERATIONS);
}

ParameterizedTest(size_t *idx, verify, fails_on_any_alteration, .init = setup, .fini = teardown,
                  .timeout = 60)
{
    const struct alteration *a = &alterations[*idx];
    struct run r = {0};

    publish_both();
    /* Nothing was read through the daemon yet, so nothing of it is cached;
     * the NOTIFY a publication sends makes sure of it all the same. */
    char *sql = h_strdupf("UPDATE publication SET %s WHERE cycle_id = (SELECT id FROM cycle "
                          "WHERE code = '%s') AND version = 1; SELECT pg_notify('vigil_cache', '')",
                          a->set, a->altered);
    char *before = h_db_query_value(&e.a.db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) "
                                             "FROM publication p");
    h_rank_db_alter_publication(&e.a.db, sql);
    char *after = h_db_query_value(&e.a.db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) "
                                            "FROM publication p");
    cr_assert_str_neq(before, after, "%s: the alteration changed nothing", a->title);
    h_sleep_ms(100);

    verify(&r, "partner", a->cycle, NULL);
    cr_assert_eq(r.rc, a->exit_code, "%s: verify %s exit %d, want %d\n%s%s", a->title, a->cycle,
                 r.rc, a->exit_code, r.out, r.err);
    cr_assert(strstr(r.out, "NOT VERIFIED") != NULL, "%s: no verdict:\n%s%s", a->title, r.out,
              r.err);
    for (size_t i = 0; i < 2 && a->names[i]; i++)
        cr_assert(strstr(r.out, a->names[i]) != NULL, "%s: the report does not name \"%s\":\n%s",
                  a->title, a->names[i], r.out);
    cr_log_info("%s: exit %d\n%s", a->title, r.rc, r.out);
    run_clear(&r);
    free(sql);
    free(before);
    free(after);
}
