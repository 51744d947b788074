/* h_rank: Rankings calls, crafted datasets and readings of the rankings tests
 * (see h_rank.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_rank.h"
#include "h_env.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALL_TIMEOUT_MS 10000

static const struct {
    const char *path;
    const ProtobufCMessageDescriptor *resp;
} methods[] = {
    {H_GET_RANKING, &vigil__v1__ranking__descriptor},
    {H_GET_AGGREGATES, &vigil__v1__get_aggregates_response__descriptor},
    {H_GET_CARD, &vigil__v1__get_card_response__descriptor},
    {H_GET_HISTORY, &vigil__v1__get_history_response__descriptor},
    {H_PUBLISH, &vigil__v1__publish_response__descriptor},
    {H_GET_PUBLISHED_INPUTS, &vigil__v1__get_published_inputs_response__descriptor},
};

int h_rank_call(struct h_rpc *r, struct vigil_client *c, const char *method,
                const ProtobufCMessage *req)
{
    const ProtobufCMessageDescriptor *desc = NULL;

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(methods[i].path, method) == 0)
            desc = methods[i].resp;
    }
    if (desc == NULL)
        return h_rpc_call(r, c, method, req);
    h_rpc_clear(r);
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

void h_rank_start(struct h_rank_env *e, const char *const *extra_args)
{
    memset(e, 0, sizeof(*e));
    h_db_create(&e->a.db);
    h_offices_register(&e->a.db);
    h_daemon_start(&e->a.d, &e->a.db, extra_args);
    e->a.central = h_client(&e->a.d, "central", false);
    e->a.regional = h_client(&e->a.d, "regional", false);
    e->a.partner = h_client(&e->a.d, "partner", false);
    if (e->a.d.public_port != 0)
        e->anonymous = h_client(&e->a.d, NULL, true);
}

void h_rank_stop(struct h_rank_env *e)
{
    vigil_client_free(e->anonymous);
    e->anonymous = NULL;
    h_assess_stop(&e->a);
}

struct vigil_client *h_rank_client(const struct h_rank_env *e, const char *who)
{
    if (strcmp(who, "anonymous") == 0) {
        cr_assert_not_null(e->anonymous, "no public listener: start with H_PUBLIC_LISTENER");
        return e->anonymous;
    }
    return h_assess_client(&e->a, who);
}

/* ---- datasets ---------------------------------------------------------- */

const char *h_rank_level(size_t i, char ch)
{
    static const char *const ypn[] = {"no", "partial", "yes"};
    static const char *const adequacy[] = {"none", "woefully_inadequate", "adequate",
                                           "comprehensive"};
    switch (ch) {
    case 'n':
        return "no_data";
    case 'a':
        return "not_assessed";
    case '-':
        return "";
    default:
        break;
    }
    if (i == H_IDX_CA2 && ch >= '0' && ch <= '3')
        return adequacy[ch - '0'];
    if (i != H_IDX_CA2 && ch >= '0' && ch <= '2')
        return ypn[ch - '0'];
    cr_assert_fail("dataset: '%c' is no level of %s", ch, h_indicators[i]);
    return "";
}

/* The 16 level characters of levels; *approve false after a leading '!'. */
static void levels_parse(const char *levels, bool *approve, char out[H_N_INDICATORS])
{
    size_t n = 0;
    *approve = true;
    if (*levels == '!') {
        *approve = false;
        levels++;
    }
    for (const char *p = levels; *p; p++) {
        if (*p == ' ')
            continue;
        cr_assert(n < H_N_INDICATORS, "dataset: more than 16 levels in \"%s\"", levels);
        out[n++] = *p;
    }
    cr_assert_eq(n, H_N_INDICATORS, "dataset: %zu levels in \"%s\", want 16", n, levels);
}

char *h_rank_levels_text(const char *levels)
{
    char ch[H_N_INDICATORS];
    bool approve;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    levels_parse(levels, &approve, ch);
    for (size_t i = 0; i < H_N_INDICATORS; i++)
        fprintf(f, "%s%s=%s", i ? " " : "", h_indicators[i], h_rank_level(i, ch[i]));
    fclose(f);
    return buf;
}

/* The latest revision of state in cycle that c sees; 0 when none. */
static int latest_revision(struct vigil_client *c, const char *cycle, const char *state,
                           int *approved)
{
    Vigil__V1__GetRequest req = VIGIL__V1__GET_REQUEST__INIT;
    struct h_rpc r = {0};
    int latest = 0;

    req.state = (char *)state;
    req.cycle = (char *)cycle;
    if (approved)
        *approved = 0;
    if (h_rpc_call(&r, c, H_GET, &req.base) == H_OK) {
        const Vigil__V1__GetResponse *g = (const Vigil__V1__GetResponse *)r.resp;
        if (g->assessment) {
            latest = g->assessment->latest_revision;
            if (approved)
                *approved = g->assessment->approved_revision;
        }
    }
    h_rpc_clear(&r);
    return latest;
}

int h_rank_submit(const struct h_rank_env *e, const char *cycle, const char *state,
                  const char *levels)
{
    char ch[H_N_INDICATORS];
    bool approve;
    struct h_rpc r = {0};
    int revision = 0;

    levels_parse(levels, &approve, ch);
    int base = latest_revision(e->a.regional, cycle, state, NULL);
    Vigil__V1__SubmitRequest *req = h_submit_new(state, cycle, base);
    for (size_t i = 0; i < H_N_INDICATORS; i++) {
        if (ch[i] == '-')
            h_submit_remove(req, h_indicators[i]);
        else
            h_submit_set_level(req, h_indicators[i], h_rank_level(i, ch[i]));
    }
    h_submit(&r, e->a.regional, req, &revision);
    char what[128];
    snprintf(what, sizeof(what), "Submit %s in %s (%s)", state, cycle, levels);
    h_rpc_expect(&r, H_OK, NULL, what);
    cr_assert_eq(revision, base + 1, "%s: revision %d on base %d", what, revision, base);
    h_rpc_clear(&r);
    h_submit_free(req);
    return revision;
}

void h_rank_review(const struct h_rank_env *e, const char *cycle, const char *state,
                   Vigil__V1__ReviewAction action, const char *comment, int revision)
{
    Vigil__V1__ReviewRequest req = VIGIL__V1__REVIEW_REQUEST__INIT;
    struct h_rpc r = {0};
    char *id = h_request_id();
    char what[128];

    req.request_id = id;
    req.state = (char *)state;
    req.cycle = (char *)cycle;
    req.action = action;
    req.comment = (char *)(comment ? comment : "");
    req.revision = revision;
    h_rpc_call(&r, e->a.central, H_REVIEW, &req.base);
    snprintf(what, sizeof(what), "Review (%d) %s#%d in %s", (int)action, state, revision, cycle);
    h_rpc_expect(&r, H_OK, NULL, what);
    h_rpc_clear(&r);
    free(id);
}

void h_rank_load(const struct h_rank_env *e, const char *cycle, const struct h_rank_state *states,
                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rev = h_rank_submit(e, cycle, states[i].code, states[i].levels);
        if (states[i].levels[0] != '!')
            h_rank_review(e, cycle, states[i].code, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE,
                          NULL, rev);
    }
}

void h_rank_correct(const struct h_rank_env *e, const char *cycle, const char *state,
                    const char *levels)
{
    int approved = 0;
    int latest = latest_revision(e->a.central, cycle, state, &approved);
    cr_assert(latest > 0 && approved == latest, "%s in %s: approved %d, latest %d", state, cycle,
              approved, latest);
    h_rank_review(e, cycle, state, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK,
                  "Correction after publication (test).", latest);
    int rev = h_rank_submit(e, cycle, state, levels);
    h_rank_review(e, cycle, state, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE, NULL, rev);
}

void h_rank_create_cycle(const struct h_rank_env *e, const char *code, const char *methodology,
                         const char *predecessor)
{
    Vigil__V1__CreateCycleRequest req = VIGIL__V1__CREATE_CYCLE_REQUEST__INIT;
    struct h_rpc r = {0};
    char *id = h_request_id();

    req.request_id = id;
    req.code = (char *)code;
    req.methodology = (char *)methodology;
    req.predecessor = (char *)(predecessor ? predecessor : "");
    h_rpc_call(&r, e->a.central, H_CREATE_CYCLE, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "CreateCycle");
    h_rpc_clear(&r);
    free(id);
}

void h_rank_copy_methodology(const struct h_rank_env *e, const char *cycle, const char *new_code)
{
    Vigil__V1__GetMethodologyRequest get = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    Vigil__V1__LoadMethodologyRequest load = VIGIL__V1__LOAD_METHODOLOGY_REQUEST__INIT;
    struct h_rpc r = {0}, l = {0};
    char *id = h_request_id();

    get.cycle = (char *)cycle;
    h_rpc_call(&r, e->a.central, H_GET_METHODOLOGY, &get.base);
    h_rpc_expect(&r, H_OK, NULL, "GetMethodology");
    Vigil__V1__Methodology *m = ((Vigil__V1__GetMethodologyResponse *)r.resp)->methodology;
    cr_assert_not_null(m);
    h_str_set(&m->code, new_code);
    load.request_id = id;
    load.methodology = m;
    h_rpc_call(&l, e->a.central, H_LOAD_METHODOLOGY, &load.base);
    h_rpc_expect(&l, H_OK, NULL, "LoadMethodology of a copy");
    h_rpc_clear(&l);
    h_rpc_clear(&r);
    free(id);
}

/* ---- Rankings calls ---------------------------------------------------- */

int h_rank_publish(struct h_rpc *r, struct vigil_client *c, const char *cycle, const char *embargo)
{
    Vigil__V1__PublishRequest req = VIGIL__V1__PUBLISH_REQUEST__INIT;
    char *id = h_request_id();

    req.request_id = id;
    req.cycle = (char *)cycle;
    req.embargo_until = (char *)(embargo ? embargo : "");
    int code = h_rank_call(r, c, H_PUBLISH, &req.base);
    free(id);
    return code;
}

int h_rank_publish_ok(const struct h_rank_env *e, const char *cycle, const char *embargo,
                      char *digest)
{
    struct h_rpc r = {0};
    h_rank_publish(&r, e->a.central, cycle, embargo);
    h_rpc_expect(&r, H_OK, NULL, "Publish as central");
    const Vigil__V1__PublishResponse *p = (const Vigil__V1__PublishResponse *)r.resp;
    cr_assert_eq(strlen(p->digest), 64, "Publish: digest \"%s\"", p->digest);
    cr_assert(p->published_at[0] != '\0', "Publish: no published_at");
    if (digest)
        snprintf(digest, 65, "%s", p->digest);
    int version = p->version;
    h_rpc_clear(&r);
    return version;
}

int h_rank_close_publish(const struct h_rank_env *e, const char *cycle, char *digest)
{
    h_cycle_set_status(&e->a, cycle, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    return h_rank_publish_ok(e, cycle, NULL, digest);
}

int h_rank_ranking(struct h_rpc *r, struct vigil_client *c, const char *cycle, Vigil__V1__View view,
                   const char *area, const char *region, int version)
{
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)cycle;
    req.view = view;
    req.area = (char *)(area ? area : "");
    req.region = (char *)(region ? region : "");
    req.version = version;
    return h_rank_call(r, c, H_GET_RANKING, &req.base);
}

const Vigil__V1__Ranking *h_rank_ranking_ok(struct h_rpc *r, struct vigil_client *c,
                                            const char *cycle, Vigil__V1__View view,
                                            const char *area, const char *region, int version)
{
    char what[160];
    snprintf(what, sizeof(what), "GetRanking %s view %d area \"%s\" region \"%s\" version %d",
             cycle, (int)view, area ? area : "", region ? region : "", version);
    h_rank_ranking(r, c, cycle, view, area, region, version);
    h_rpc_expect(r, H_OK, NULL, what);
    return (const Vigil__V1__Ranking *)r->resp;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    cr_assert_not_null(p, "out of memory");
    return p;
}

/* "a,b,c" into a malloc'd array of malloc'd strings. */
static char **split_levels(const char *s, size_t len, size_t *n)
{
    char **out = NULL;
    *n = 0;
    while (len > 0) {
        const char *comma = memchr(s, ',', len);
        size_t l = comma ? (size_t)(comma - s) : len;
        out = realloc(out, (*n + 1) * sizeof(*out));
        cr_assert_not_null(out);
        out[(*n)++] = xstrndup(s, l);
        if (!comma)
            break;
        len -= l + 1;
        s = comma + 1;
    }
    return out;
}

/* "CODE=levels" into code and levels. */
static void query_side(const char *s, size_t len, char **code, char ***levels, size_t *n)
{
    const char *eq = memchr(s, '=', len);
    cr_assert_not_null(eq, "query \"%.*s\": no '='", (int)len, s);
    *code = xstrndup(s, (size_t)(eq - s));
    *levels = split_levels(eq + 1, len - (size_t)(eq - s) - 1, n);
}

void h_rank_queries_parse(struct h_rank_queries *qs, const char *const *texts, size_t n)
{
    cr_assert(n <= sizeof(qs->q) / sizeof(qs->q[0]), "too many queries");
    qs->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr(texts[i], '|');
        cr_assert_not_null(bar, "query \"%s\": no '|'", texts[i]);
        Vigil__V1__ConditionalQuery *q = calloc(1, sizeof(*q));
        cr_assert_not_null(q);
        vigil__v1__conditional_query__init(q);
        query_side(texts[i], (size_t)(bar - texts[i]), &q->target, &q->target_levels,
                   &q->n_target_levels);
        query_side(bar + 1, strlen(bar + 1), &q->given, &q->given_levels, &q->n_given_levels);
        qs->q[qs->n++] = q;
    }
}

void h_rank_queries_clear(struct h_rank_queries *qs)
{
    for (size_t i = 0; i < qs->n; i++)
        protobuf_c_message_free_unpacked(&qs->q[i]->base, NULL);
    qs->n = 0;
}

int h_rank_aggregates(struct h_rpc *r, struct vigil_client *c, const char *cycle,
                      Vigil__V1__View view, const char *region, int version,
                      const struct h_rank_queries *qs)
{
    Vigil__V1__GetAggregatesRequest req = VIGIL__V1__GET_AGGREGATES_REQUEST__INIT;
    req.cycle = (char *)cycle;
    req.view = view;
    req.region = (char *)(region ? region : "");
    req.version = version;
    if (qs) {
        req.conditionals = (Vigil__V1__ConditionalQuery **)qs->q;
        req.n_conditionals = qs->n;
    }
    return h_rank_call(r, c, H_GET_AGGREGATES, &req.base);
}

int h_rank_card(struct h_rpc *r, struct vigil_client *c, const char *cycle, const char *state,
                Vigil__V1__View view, int version)
{
    Vigil__V1__GetCardRequest req = VIGIL__V1__GET_CARD_REQUEST__INIT;
    req.cycle = (char *)cycle;
    req.state = (char *)state;
    req.view = view;
    req.version = version;
    return h_rank_call(r, c, H_GET_CARD, &req.base);
}

int h_rank_history(struct h_rpc *r, struct vigil_client *c, const char *state)
{
    Vigil__V1__GetHistoryRequest req = VIGIL__V1__GET_HISTORY_REQUEST__INIT;
    req.state = (char *)state;
    return h_rank_call(r, c, H_GET_HISTORY, &req.base);
}

int h_rank_inputs(struct h_rpc *r, struct vigil_client *c, const char *cycle, int version)
{
    Vigil__V1__GetPublishedInputsRequest req = VIGIL__V1__GET_PUBLISHED_INPUTS_REQUEST__INIT;
    req.cycle = (char *)cycle;
    req.version = version;
    return h_rank_call(r, c, H_GET_PUBLISHED_INPUTS, &req.base);
}

/* ---- readings ---------------------------------------------------------- */

static const char *fig(const Vigil__V1__Figure *f)
{
    return f ? f->text : "-";
}

static void movement_text(FILE *f, const Vigil__V1__Movement *m)
{
    if (m == NULL) {
        fputs("unset", f);
        return;
    }
    switch (m->kind) {
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NONE:
        fputs("none", f);
        break;
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW:
        fputs("new", f);
        break;
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE:
        fputs("n/c", f);
        break;
    case VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA:
        fprintf(f, "%+d/%+d", m->rank_delta, m->band_delta);
        break;
    default:
        fprintf(f, "kind %d", (int)m->kind);
    }
}

static void ranked_line(FILE *f, const Vigil__V1__RankedState *s, bool with_region)
{
    fprintf(f, "%s%d %s %s %s |", s->tied ? "=" : "", s->rank, s->state, fig(s->overall), s->band);
    for (size_t i = 0; i < s->n_areas; i++) {
        const Vigil__V1__AreaResult *a = s->areas[i];
        fprintf(f, "%s %s %s %s%d", i ? "," : "", a->area, fig(a->score), a->tied ? "=" : "",
                a->rank);
    }
    fprintf(f, " | cov %s | mv ", fig(s->coverage));
    movement_text(f, s->movement);
    if (with_region)
        fprintf(f, " | region %s%d", s->region_tied ? "=" : "", s->region_rank);
}

static void unranked_line(FILE *f, const Vigil__V1__UnrankedState *s)
{
    fprintf(f, "- %s", s->state);
    if (s->coverage)
        fprintf(f, " cov %s", s->coverage->text);
    fputs(" |", f);
    for (size_t i = 0; i < s->n_reasons; i++) {
        const Vigil__V1__Reason *r = s->reasons[i];
        fputs(i ? ", " : " ", f);
        switch (r->reason) {
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_NOT_APPROVED:
            fputs("not approved", f);
            break;
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_AREA_UNRATED:
            fprintf(f, "area %s", r->area);
            break;
        case VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_COVERAGE:
            fputs("coverage", f);
            break;
        default:
            fprintf(f, "reason %d", (int)r->reason);
        }
    }
}

char *h_rank_ranked_line(const Vigil__V1__RankedState *s, bool with_region)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    ranked_line(f, s, with_region);
    fclose(f);
    return buf;
}

char *h_rank_unranked_line(const Vigil__V1__UnrankedState *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    unranked_line(f, s);
    fclose(f);
    return buf;
}

char *h_rank_ranking_text(const Vigil__V1__Ranking *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    for (size_t i = 0; i < r->n_ranked; i++) {
        ranked_line(f, r->ranked[i], r->region[0] != '\0');
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n_not_ranked; i++) {
        unranked_line(f, r->not_ranked[i]);
        fputc('\n', f);
    }
    fclose(f);
    return buf;
}

static bool listed(const char *code, const char *const *codes, size_t n)
{
    if (codes == NULL)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(codes[i], code) == 0)
            return true;
    }
    return false;
}

char *h_rank_aggregates_text(const Vigil__V1__GetAggregatesResponse *a, const char *const *codes,
                             size_t ncodes)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    for (size_t i = 0; i < a->n_indicators; i++) {
        const Vigil__V1__IndicatorAggregate *ia = a->indicators[i];
        if (!listed(ia->indicator, codes, ncodes))
            continue;
        fprintf(f, "%s:", ia->indicator);
        for (size_t j = 0; j < ia->n_levels; j++)
            fprintf(f, "%s %s %lld %s", j ? "," : "", ia->levels[j]->level,
                    (long long)ia->levels[j]->count, fig(ia->levels[j]->share));
        fprintf(f, " | no_data %lld, not_assessed %lld, not_applicable %lld | N %lld of %lld\n",
                (long long)ia->no_data, (long long)ia->not_assessed, (long long)ia->not_applicable,
                (long long)ia->n, (long long)ia->counted);
    }
    fclose(f);
    return buf;
}

static void levels_join(FILE *f, char *const *levels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? "," : "", levels[i]);
}

char *h_rank_conditionals_text(const Vigil__V1__GetAggregatesResponse *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    for (size_t i = 0; i < a->n_conditionals; i++) {
        const Vigil__V1__ConditionalShare *c = a->conditionals[i];
        const Vigil__V1__ConditionalQuery *q = c->query;
        if (q) {
            fprintf(f, "%s=", q->target);
            levels_join(f, q->target_levels, q->n_target_levels);
            fprintf(f, "|%s=", q->given);
            levels_join(f, q->given_levels, q->n_given_levels);
        } else {
            fputs("(no query)", f);
        }
        fprintf(f, ": %lld of %lld = %s\n", (long long)c->count, (long long)c->n, fig(c->share));
    }
    fclose(f);
    return buf;
}

/* ---- figures ----------------------------------------------------------- */

/* The figure num/den (a score or a percentage) rounded half away from zero
 * to hundredths and formatted as the contract shows it ("66.67"). */
static void round_text(int64_t num, int64_t den, char *buf, size_t cap)
{
    __int128 n = (__int128)num * 100;
    bool neg = n < 0;
    if (neg)
        n = -n;
    __int128 h = (2 * n + den) / (2 * (__int128)den);
    snprintf(buf, cap, "%s%lld.%02lld", neg && h ? "-" : "", (long long)(h / 100),
             (long long)(h % 100));
}

void h_rank_figure_consistent(const Vigil__V1__Figure *f, const char *what)
{
    char want[48];
    cr_assert_not_null(f, "%s: figure unset", what);
    cr_assert(f->den > 0, "%s: figure \"%s\" has den %lld", what, f->text, (long long)f->den);
    round_text(f->num, f->den, want, sizeof(want));
    cr_assert_str_eq(f->text, want, "%s: text \"%s\" but %lld/%lld rounds to %s", what, f->text,
                     (long long)f->num, (long long)f->den, want);
}

void h_rank_figure_expect(const Vigil__V1__Figure *f, const char *text, int64_t num, int64_t den,
                          const char *what)
{
    cr_assert_not_null(f, "%s: figure unset, want %s", what, text);
    cr_assert_str_eq(f->text, text, "%s: \"%s\", want \"%s\"", what, f->text, text);
    cr_assert(f->den > 0 && (__int128)f->num * den == (__int128)num * f->den,
              "%s: exact %lld/%lld, want %lld/%lld", what, (long long)f->num, (long long)f->den,
              (long long)num, (long long)den);
}

void h_rank_ranking_figures_consistent(const Vigil__V1__Ranking *r)
{
    char what[96];
    for (size_t i = 0; i < r->n_ranked; i++) {
        const Vigil__V1__RankedState *s = r->ranked[i];
        snprintf(what, sizeof(what), "%s overall", s->state);
        h_rank_figure_consistent(s->overall, what);
        snprintf(what, sizeof(what), "%s coverage", s->state);
        h_rank_figure_consistent(s->coverage, what);
        for (size_t j = 0; j < s->n_areas; j++) {
            snprintf(what, sizeof(what), "%s area %s", s->state, s->areas[j]->area);
            h_rank_figure_consistent(s->areas[j]->score, what);
        }
    }
    for (size_t i = 0; i < r->n_not_ranked; i++) {
        if (r->not_ranked[i]->coverage == NULL)
            continue;
        snprintf(what, sizeof(what), "%s coverage", r->not_ranked[i]->state);
        h_rank_figure_consistent(r->not_ranked[i]->coverage, what);
    }
}

void h_rank_aggregates_figures_consistent(const Vigil__V1__GetAggregatesResponse *a)
{
    char what[96];
    for (size_t i = 0; i < a->n_indicators; i++) {
        const Vigil__V1__IndicatorAggregate *ia = a->indicators[i];
        for (size_t j = 0; j < ia->n_levels; j++) {
            if (ia->n == 0) {
                cr_assert_null(ia->levels[j]->share, "%s %s: a share with N 0", ia->indicator,
                               ia->levels[j]->level);
                continue;
            }
            snprintf(what, sizeof(what), "%s %s share", ia->indicator, ia->levels[j]->level);
            h_rank_figure_consistent(ia->levels[j]->share, what);
        }
    }
    for (size_t i = 0; i < a->n_conditionals; i++) {
        if (a->conditionals[i]->n == 0)
            continue;
        snprintf(what, sizeof(what), "conditionals[%zu] share", i);
        h_rank_figure_consistent(a->conditionals[i]->share, what);
    }
}

const Vigil__V1__RankedState *h_rank_find(const Vigil__V1__Ranking *r, const char *state)
{
    for (size_t i = 0; i < r->n_ranked; i++) {
        if (strcmp(r->ranked[i]->state, state) == 0)
            return r->ranked[i];
    }
    return NULL;
}

const Vigil__V1__UnrankedState *h_rank_find_unranked(const Vigil__V1__Ranking *r, const char *state)
{
    for (size_t i = 0; i < r->n_not_ranked; i++) {
        if (strcmp(r->not_ranked[i]->state, state) == 0)
            return r->not_ranked[i];
    }
    return NULL;
}

/* ---- database and time ------------------------------------------------- */

void h_rank_db_alter_publication(const struct h_db *db, const char *sql)
{
    char *all = h_strdupf("BEGIN; ALTER TABLE publication DISABLE TRIGGER USER; %s; "
                          "ALTER TABLE publication ENABLE TRIGGER USER; COMMIT;",
                          sql);
    h_db_exec(db, all);
    free(all);
}

long long h_rank_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_rank_rfc3339(long long ms, char out[32])
{
    time_t t = (time_t)((ms + 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the crafted dataset ----------------------------------------------- */

const struct h_rank_state h_rank_c1[H_RANK_C1_N] = {
    {"DE", "22222222 2222 2322"}, {"BE", "nnnn2222 2222 2222"}, {"FR", "22220000 2222 1120"},
    {"ES", "22220000 2222 1120"}, {"PL", "11000000 00n1 2322"}, {"SE", "a2222222 nnnn 2n22"},
    {"HU", "aaaaaaaa 2222 n-nn"}, {"CZ", "nnnn2222 2222 0-22"}, {"IT", "!22222222 2222 2222"},
};

const struct h_rank_state h_rank_c2[H_RANK_C2_N] = {
    {"FR", H_RANK_FR_TOP},        {"BE", "nnnn2222 2222 2222"}, {"SE", "22222222 2222 2222"},
    {"DE", "22220000 2222 1120"}, {"PL", "11000000 00n1 2322"}, {"HU", "aaaaaaaa 2222 n-nn"},
};

const char *h_rank_levels_of(const struct h_rank_state *states, size_t n, const char *state)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(states[i].code, state) == 0)
            return states[i].levels;
    }
    cr_assert_fail("no %s in the dataset", state);
    return NULL;
}

void h_rank_publish_c1(const struct h_rank_env *e, char *digest)
{
    h_rank_load(e, H_CYCLE, h_rank_c1, H_RANK_C1_N);
    cr_assert_eq(h_rank_close_publish(e, H_CYCLE, digest), 1, "first publication is version 1");
}

void h_rank_publish_c2(const struct h_rank_env *e)
{
    h_rank_create_cycle(e, H_RANK_C2, H_METHODOLOGY, H_CYCLE);
    h_rank_load(e, H_RANK_C2, h_rank_c2, H_RANK_C2_N);
    cr_assert_eq(h_rank_close_publish(e, H_RANK_C2, NULL), 1);
}

void h_rank_expect_text(const Vigil__V1__Ranking *r, const char *want, const char *what)
{
    char *got = h_rank_ranking_text(r);
    cr_assert_str_eq(got, want, "%s:\n--- got\n%s--- want\n%s", what, got, want);
    free(got);
}
