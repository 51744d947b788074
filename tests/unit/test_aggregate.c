/* aggregate: counts, shares and conditional shares on a crafted dataset that
 * carries the two facts of indicators.md: the share of states with no
 * services (CA.1 = no) among those with a valued CA.1, and the share of
 * woefully inadequate services (CA.2) among the states with services. */
#include "aggregate.h"

#include <criterion/criterion.h>

static const struct rank_area areas[] = {{"CA", 1}};
static const struct rank_indicator inds[] = {{"CA.1", 0, 1, 2, ""}, {"CA.2", 0, 1, 3, ""}};
static const struct rank_band bands[] = {{"all", 0}};
static const struct rank_methodology m = {areas, 1, inds, 2, bands, 1, {1, 1}};
/* yes-partial-no: yes 0, partial 1, no 2 (then no data, not assessed);
 * adequacy: none 0, woefully inadequate 1, adequate 2, comprehensive 3. */
static const int n_levels[] = {5, 6};

#define V(value, level)                                                                            \
    {                                                                                              \
        RANK_VALUED, value, level                                                                  \
    }
#define NA                                                                                         \
    {                                                                                              \
        RANK_NOT_APPLICABLE, 0, -1                                                                 \
    }
#define ND                                                                                         \
    {                                                                                              \
        RANK_NO_DATA, 0, -1                                                                        \
    }

static const struct rank_entry rows[9][2] = {
    {V(0, 2), NA},                          /* no services */
    {V(2, 0), V(1, 1)},                     /* yes, woefully inadequate */
    {V(1, 1), V(1, 1)},                     /* partial, woefully inadequate */
    {V(2, 0), V(1, 1)}, {V(2, 0), V(2, 2)}, /* yes, adequate */
    {ND, NA},                               /* no data: CA.2 does not apply */
    {V(1, 1), ND},                          /* partial, adequacy unknown */
    {V(2, 0), V(1, 1)}, {V(0, 2), NA},      /* not approved: not counted */
};

static void states(struct rank_state st[9])
{
    for (int i = 0; i < 9; i++)
        st[i] = (struct rank_state){"XX", "X", "001", i != 8, rows[i]};
}

Test(aggregate, counts_and_shares_with_their_n)
{
    struct rank_state st[9];
    struct agg_set a;
    states(st);
    cr_assert(agg_compute(&m, n_levels, st, 9, &a));
    const struct agg_indicator *ca1 = &a.indicators[0], *ca2 = &a.indicators[1];
    cr_assert_eq(ca1->counted, 8);
    cr_assert_eq(ca1->level[0], 4);
    cr_assert_eq(ca1->level[1], 2);
    cr_assert_eq(ca1->level[2], 1);
    cr_assert_eq(ca1->no_data, 1);
    cr_assert_eq(ca1->n_valued, 7);
    /* "approximately 13% have no services": here 1 of 7 = 14.29% */
    cr_assert_eq(rank_percent_h(ca1->level[2], ca1->n_valued), 1429);
    cr_assert_eq(ca2->not_applicable, 2);
    cr_assert_eq(ca2->no_data, 1);
    cr_assert_eq(ca2->n_valued, 5);
    cr_assert_eq(ca2->level[1], 4);
    agg_set_free(&a);
}

Test(aggregate, conditional_share_has_its_own_n)
{
    struct rank_state st[9];
    states(st);
    const bool woeful[6] = {false, true, false, false, false, false};
    const bool services[5] = {true, true, false, false, false};
    int64_t count, n;
    agg_conditional(&m, st, 9, 1, woeful, 0, services, &count, &n);
    /* "of those that do, over three quarters are woefully inadequate" */
    cr_assert_eq(n, 5);
    cr_assert_eq(count, 4);
    cr_assert_eq(rank_percent_h(count, n), 8000);
    /* An unknown indicator gives nothing rather than garbage. */
    agg_conditional(&m, st, 9, 7, woeful, 0, services, &count, &n);
    cr_assert_eq(n, 0);
}

Test(aggregate, level_out_of_range_is_refused)
{
    static const struct rank_entry bad[2] = {V(2, 9), NA};
    struct rank_state st = {"XX", "X", "001", true, bad};
    struct agg_set a;
    cr_assert_not(agg_compute(&m, n_levels, &st, 1, &a));
}
