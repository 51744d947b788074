/* cmd_rankings: reading rankings: `vigil ranking` (a cycle's ranking table),
 * `vigil aggregates` (counts and shares with their N, conditional shares,
 * and the sentence of the first methodology's two facts), `vigil card` (one
 * state in one cycle) and `vigil history` (one state across cycles); and
 * `vigil publish`, the central office's publication of a closed cycle. Each
 * prints the response message itself with --format json. */
#include "cmd.h"
#include "methodology.h"
#include "pbjson.h"
#include "rankagg.h"
#include "rankargs.h"
#include "rankfmt.h"
#include "ranktime.h"
#include "remote.h"
#include "reqid.h"
#include "sheet.h"

#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/rankings.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

static void free_msg(ProtobufCMessage *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
}

static Vigil__V1__View view_of(const struct rankargs *r)
{
    return r->live ? VIGIL__V1__VIEW__VIEW_LIVE : VIGIL__V1__VIEW__VIEW_PUBLISHED;
}

/* The cycle's methodology, for names and labels; NULL (and nothing printed)
 * when it cannot be read, say on the public listener: codes stand in. */
static Vigil__V1__GetMethodologyResponse *methodology_of(struct remote *r, const char *cycle)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;

    req.cycle = (char *)cycle;
    if (remote_call(r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                    &vigil__v1__get_methodology_response__descriptor, &resp) != VIGIL_OK)
        return NULL;
    return (Vigil__V1__GetMethodologyResponse *)resp;
}

static int out_of_memory(void)
{
    fprintf(stderr, "error: out of memory\n");
    return CLI_EXIT_FAILURE;
}

/* Prints a title line, a blank line before it unless first. */
static void title(const char *text, bool first)
{
    printf("%s", first ? "" : "\n");
    output_put_text(stdout, text, 0);
    printf("\n");
}

/* ---- ranking ---- */

static int ranking_csv(const Vigil__V1__Ranking *rk, const Vigil__V1__Methodology *m, bool csv,
                       enum output_format f)
{
    size_t ncols = 0;
    struct output_column *cols = rankfmt_columns(rk, m, csv, &ncols);
    struct output *out = cols != NULL ? output_new(f, cols, ncols) : NULL;

    if (out != NULL && !rankfmt_rows(out, rk, m, csv)) {
        output_free(out);
        out = NULL;
    }
    int rc = cmd_emit(out, false);
    free(cols);
    return rc;
}

static int ranking_table(const Vigil__V1__Ranking *rk, const Vigil__V1__Methodology *m)
{
    char line[512];
    int rc;

    rankfmt_title(rk, line, sizeof(line));
    title(line, true);
    if ((rc = ranking_csv(rk, m, false, OUTPUT_TABLE)) != CLI_EXIT_OK || rk->n_not_ranked == 0)
        return rc;
    title("Not ranked:", false);
    struct output *out = output_new(OUTPUT_TABLE, rankfmt_unranked_columns, 3);
    if (out != NULL && !rankfmt_unranked_rows(out, rk, m)) {
        output_free(out);
        out = NULL;
    }
    return cmd_emit(out, false);
}

int cmd_ranking(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Vigil__V1__GetMethodologyResponse *mr = NULL;
    struct remote r = {0};
    struct rankargs a;
    int rc, first;

    rankargs_init(&a, self->name);
    if (rankargs_parse(self, o, argc, argv, &a, 0, true, &first, &rc) && remote_open(&r, o, &rc)) {
        req.cycle = (char *)a.a.cycle;
        req.view = view_of(&a);
        req.area = (char *)(a.area != NULL ? a.area : "");
        req.region = (char *)(a.a.region != NULL ? a.a.region : "");
        req.version = a.version;
        rc = remote_run(&r, "/vigil.v1.Rankings/GetRanking", &req.base,
                        &vigil__v1__ranking__descriptor, &resp);
    }
    if (resp != NULL) {
        const Vigil__V1__Ranking *rk = (Vigil__V1__Ranking *)resp;
        if (o->format == OUTPUT_JSON) {
            rc = cmd_emit_json(pbjson_encode(resp));
        } else {
            mr = methodology_of(&r, a.a.cycle);
            const Vigil__V1__Methodology *m = mr != NULL ? mr->methodology : NULL;
            rc = o->format == OUTPUT_CSV ? ranking_csv(rk, m, true, OUTPUT_CSV)
                                         : ranking_table(rk, m);
        }
    }
    free_msg(resp);
    free_msg(mr ? &mr->base : NULL);
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}

/* ---- aggregates ---- */

/* The request's conditionals: those of the command line, then the facts'
 * one when facts and not asked already. Returns an exit code. */
static int conditionals(const struct rankargs *a, const Vigil__V1__Methodology *m, bool facts,
                        Vigil__V1__GetAggregatesRequest *req)
{
    char err[1024];

    req->conditionals = calloc(a->nconditionals + 1, sizeof(*req->conditionals));
    if (req->conditionals == NULL)
        return out_of_memory();
    for (size_t i = 0; i < a->nconditionals; i++) {
        Vigil__V1__ConditionalQuery *q = rankagg_parse(a->conditionals[i], m, err, sizeof(err));
        if (q == NULL)
            return args_usage(&a->a, "%s", err);
        req->conditionals[req->n_conditionals++] = q;
    }
    if (!facts)
        return CLI_EXIT_OK;
    Vigil__V1__ConditionalQuery *f = rankagg_facts_query();
    bool asked = false;
    if (f == NULL)
        return out_of_memory();
    for (size_t i = 0; i < req->n_conditionals; i++)
        asked = asked || rankagg_same_query(req->conditionals[i], f);
    if (asked)
        protobuf_c_message_free_unpacked(&f->base, NULL);
    else
        req->conditionals[req->n_conditionals++] = f;
    return CLI_EXIT_OK;
}

static void conditionals_free(Vigil__V1__GetAggregatesRequest *req)
{
    for (size_t i = 0; i < req->n_conditionals; i++)
        protobuf_c_message_free_unpacked(&req->conditionals[i]->base, NULL);
    free(req->conditionals);
    req->conditionals = NULL;
    req->n_conditionals = 0;
}

static int aggregates_print(const struct opts *o, const struct rankargs *a,
                            const Vigil__V1__GetAggregatesResponse *ag,
                            const Vigil__V1__Methodology *m)
{
    char line[1024];
    struct output *out;
    int rc;

    if (o->format == OUTPUT_JSON)
        return cmd_emit_json(pbjson_encode(&ag->base));
    if (o->format == OUTPUT_CSV) {
        out = output_new(OUTPUT_CSV, rankagg_columns, NCOLS(rankagg_columns));
        return cmd_emit(output_checked(out, out != NULL && rankagg_rows(out, ag)), false);
    }
    if (a->live)
        snprintf(line, sizeof(line), "Aggregates of %s (live)%s%s", ag->cycle,
                 a->a.region ? ", region " : "", a->a.region ? a->a.region : "");
    else
        snprintf(line, sizeof(line), "Aggregates of %s, version %d%s%s", ag->cycle, ag->version,
                 a->a.region ? ", region " : "", a->a.region ? a->a.region : "");
    title(line, true);
    out = output_new(OUTPUT_TABLE, rankagg_table_columns, NCOLS(rankagg_table_columns));
    if ((rc = cmd_emit(output_checked(out, out != NULL && rankagg_table_rows(out, ag, m)),
                       false)) != 0)
        return rc;
    if (ag->n_conditionals > 0) {
        title("Conditional shares:", false);
        out = output_new(OUTPUT_TABLE, rankagg_conditional_columns,
                         NCOLS(rankagg_conditional_columns));
        rc = cmd_emit(output_checked(out, out != NULL && rankagg_conditional_rows(out, ag, m)),
                      false);
    }
    if (rc == CLI_EXIT_OK && rankagg_sentence(ag, line, sizeof(line))) {
        title(line, false);
        if (fflush(stdout) != 0)
            rc = CLI_EXIT_FAILURE;
    }
    return rc;
}

static int aggregates_call(struct remote *r, Vigil__V1__GetAggregatesRequest *req,
                           ProtobufCMessage **resp)
{
    free_msg(*resp);
    *resp = NULL;
    return remote_run(r, "/vigil.v1.Rankings/GetAggregates", &req->base,
                      &vigil__v1__get_aggregates_response__descriptor, resp);
}

int cmd_aggregates(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__GetAggregatesRequest req = VIGIL__V1__GET_AGGREGATES_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Vigil__V1__GetMethodologyResponse *mr = NULL;
    const Vigil__V1__Methodology *m = NULL;
    struct remote r = {0};
    struct rankargs a;
    int rc, first;

    rankargs_init(&a, self->name);
    if (!rankargs_parse(self, o, argc, argv, &a, 0, true, &first, &rc) || !remote_open(&r, o, &rc))
        goto out;
    mr = methodology_of(&r, a.a.cycle);
    m = mr != NULL ? mr->methodology : NULL;
    if ((rc = conditionals(&a, m, rankagg_has_facts(m), &req)) != CLI_EXIT_OK)
        goto out;
    req.cycle = (char *)a.a.cycle;
    req.view = view_of(&a);
    req.region = (char *)(a.a.region != NULL ? a.a.region : "");
    req.version = a.version;
    if ((rc = aggregates_call(&r, &req, &resp)) != CLI_EXIT_OK)
        goto out;
    /* Without the methodology, the answer tells whether the facts apply. */
    if (m == NULL && rankagg_answer_has_facts((Vigil__V1__GetAggregatesResponse *)resp)) {
        conditionals_free(&req);
        if ((rc = conditionals(&a, NULL, true, &req)) != CLI_EXIT_OK ||
            (rc = aggregates_call(&r, &req, &resp)) != CLI_EXIT_OK)
            goto out;
    }
    rc = aggregates_print(o, &a, (Vigil__V1__GetAggregatesResponse *)resp, m);
out:
    conditionals_free(&req);
    free_msg(resp);
    free_msg(mr ? &mr->base : NULL);
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}

/* ---- card ---- */

static const char *area_title(const Vigil__V1__Methodology *m, const char *code, char *buf,
                              size_t cap)
{
    for (size_t a = 0; m != NULL && a < m->n_areas; a++) {
        if (strcmp(m->areas[a]->code, code) == 0) {
            snprintf(buf, cap, "%s (%s)", m->areas[a]->name, code);
            return buf;
        }
    }
    snprintf(buf, cap, "%s", code);
    return buf;
}

#define CARD_FIXED 10 /* columns of the card's record besides the areas */

/* The record: state, name, cycle, version, rank, band, overall, one per area
 * ("70.00, rank =3"), movement, coverage, not ranked (reasons). */
static int card_record(const Vigil__V1__GetCardResponse *cd, const Vigil__V1__Methodology *m)
{
    const Vigil__V1__RankedState *s = cd->ranked;
    const Vigil__V1__UnrankedState *u = cd->not_ranked;
    size_t nareas = s != NULL ? s->n_areas : 0, n = 0;
    struct output_column *cols = calloc(CARD_FIXED + nareas, sizeof(*cols));
    char(*cell)[96] = calloc(CARD_FIXED + nareas, sizeof(*cell));
    const char **row = calloc(CARD_FIXED + nareas, sizeof(*row));
    static const char *const names[] = {"state", "name",    "cycle",    "version",  "rank",
                                        "band",  "overall", "movement", "coverage", "not ranked"};
    int rc;

    if (cols == NULL || cell == NULL || row == NULL) {
        rc = out_of_memory();
        goto out;
    }
    for (size_t i = 0; i < 7; i++)
        cols[n++] = (struct output_column){names[i], OUTPUT_STRING};
    for (size_t i = 0; i < nareas; i++)
        cols[n++] = (struct output_column){s->areas[i]->area, OUTPUT_STRING};
    for (size_t i = 7; i < CARD_FIXED; i++)
        cols[n++] = (struct output_column){names[i], OUTPUT_STRING};
    row[0] = s ? s->state : u ? u->state : "";
    row[1] = s ? s->state_name : u ? u->state_name : "";
    row[2] = cd->cycle;
    snprintf(cell[3], sizeof(cell[3]), "%d", cd->version);
    row[3] = cd->version > 0 ? cell[3] : "live";
    rankfmt_rank(s ? s->rank : 0, s && s->tied, cell[4], sizeof(cell[4]));
    row[4] = cell[4];
    row[5] = s ? s->band : "";
    row[6] = s ? rankfmt_figure(s->overall) : "";
    for (size_t i = 0; i < nareas; i++) {
        char rank[16];
        rankfmt_rank(s->areas[i]->rank, s->areas[i]->tied, rank, sizeof(rank));
        snprintf(cell[7 + i], sizeof(cell[7 + i]), "%s%s%s", rankfmt_figure(s->areas[i]->score),
                 rank[0] ? ", rank " : "", rank);
        row[7 + i] = cell[7 + i];
    }
    rankfmt_movement(s ? s->movement : NULL, cell[7 + nareas], sizeof(cell[0]));
    row[7 + nareas] = cell[7 + nareas];
    const Vigil__V1__Figure *cov = s ? s->coverage : u ? u->coverage : NULL;
    snprintf(cell[8 + nareas], sizeof(cell[0]), "%s%s", rankfmt_figure(cov), cov ? "%" : "");
    row[8 + nareas] = cell[8 + nareas];
    /* The record keeps its columns whatever the state: "no" for a ranked
     * one rather than a blank that reads like missing data. */
    char reasons[512] = "no";
    if (u != NULL)
        rankfmt_reasons(u, m, reasons, sizeof(reasons));
    row[9 + nareas] = reasons;
    rc = cmd_emit_row(OUTPUT_TABLE, cols, n, row);
out:
    free(cols);
    free(cell);
    free(row);
    return rc;
}

/* Each indicator under its area's heading, then the calls to action. */
static void card_entries(const Vigil__V1__GetCardResponse *cd, const Vigil__V1__Methodology *m)
{
    const char *area = NULL;
    char buf[256];

    for (size_t i = 0; i < cd->n_entries; i++) {
        const Vigil__V1__CardEntry *e = cd->entries[i];
        if (area == NULL || strcmp(area, e->area) != 0) {
            title(area_title(m, e->area, buf, sizeof(buf)), false);
            area = e->area;
        }
        printf("  ");
        output_put_text(stdout, e->indicator, 0);
        printf("  ");
        output_put_text(stdout, e->level[0] ? e->level_label : "(does not apply)", 0);
        if (e->score != NULL)
            printf("  (%s)", rankfmt_figure(e->score));
        if (e->justification[0] != '\0') {
            printf("\n        ");
            output_put_text(stdout, e->justification, 8);
        }
        for (size_t k = 0; k < e->n_evidence; k++) {
            char *ev = sheet_evidence_format(&e->evidence[k], 1);
            printf("\n        evidence: ");
            output_put_text(stdout, ev != NULL ? ev : "?", 18);
            free(ev);
        }
        printf("\n");
    }
    if (cd->n_calls_to_action > 0)
        title("Calls to action:", false);
    for (size_t i = 0; i < cd->n_calls_to_action; i++) {
        printf("  - ");
        output_put_text(stdout, cd->calls_to_action[i], 4);
        printf("\n");
    }
}

static int card_csv(const Vigil__V1__GetCardResponse *cd)
{
    static const struct output_column cols[] = {
        {"indicator", OUTPUT_STRING}, {"area", OUTPUT_STRING},  {"level", OUTPUT_STRING},
        {"label", OUTPUT_STRING},     {"score", OUTPUT_STRING}, {"justification", OUTPUT_STRING},
        {"evidence", OUTPUT_STRING},
    };
    struct output *out = output_new(OUTPUT_CSV, cols, NCOLS(cols));

    for (size_t i = 0; out != NULL && i < cd->n_entries; i++) {
        const Vigil__V1__CardEntry *e = cd->entries[i];
        char *ev = sheet_evidence_format(e->evidence, e->n_evidence);
        const char *row[] = {
            e->indicator,     e->area, e->level, e->level_label, rankfmt_figure(e->score),
            e->justification, ev};
        out = output_checked(out, ev != NULL && output_add(out, row));
        free(ev);
    }
    return cmd_emit(out, false);
}

int cmd_card(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    Vigil__V1__GetCardRequest req = VIGIL__V1__GET_CARD_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Vigil__V1__GetMethodologyResponse *mr = NULL;
    struct remote r = {0};
    struct rankargs a;
    int rc, first;

    rankargs_init(&a, self->name);
    if (rankargs_parse(self, o, argc, argv, &a, 1, true, &first, &rc) && remote_open(&r, o, &rc)) {
        req.cycle = (char *)a.a.cycle;
        req.state = argv[first];
        req.view = view_of(&a);
        req.version = a.version;
        rc = remote_run(&r, "/vigil.v1.Rankings/GetCard", &req.base,
                        &vigil__v1__get_card_response__descriptor, &resp);
    }
    if (resp != NULL) {
        const Vigil__V1__GetCardResponse *cd = (Vigil__V1__GetCardResponse *)resp;
        if (o->format == OUTPUT_JSON) {
            rc = cmd_emit_json(pbjson_encode(resp));
        } else if (o->format == OUTPUT_CSV) {
            rc = card_csv(cd);
        } else {
            mr = methodology_of(&r, a.a.cycle);
            if ((rc = card_record(cd, mr ? mr->methodology : NULL)) == CLI_EXIT_OK) {
                card_entries(cd, mr ? mr->methodology : NULL);
                rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
            }
        }
    }
    free_msg(resp);
    free_msg(mr ? &mr->base : NULL);
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}

/* ---- history ---- */

static bool history_row(struct output *out, const Vigil__V1__HistoryItem *h, bool csv)
{
    const Vigil__V1__RankedState *s = h->ranked;
    const Vigil__V1__Movement *mv = s ? s->movement : NULL;
    bool d = mv != NULL && mv->kind == VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA;
    char version[16], rank[16], move[64], num[24], den[24], rd[16], bd[16], reasons[512] = "";

    snprintf(version, sizeof(version), "%d", h->version);
    if (h->not_ranked != NULL)
        rankfmt_reasons(h->not_ranked, NULL, reasons, sizeof(reasons));
    if (!csv) {
        rankfmt_rank(s ? s->rank : 0, s && s->tied, rank, sizeof(rank));
        rankfmt_movement(mv, move, sizeof(move));
        const char *row[] = {
            h->cycle, version, rank, s ? s->band : "", s ? rankfmt_figure(s->overall) : "",
            move,     reasons};
        return output_add(out, row);
    }
    snprintf(rank, sizeof(rank), "%d", s ? s->rank : 0);
    snprintf(num, sizeof(num), "%lld", s && s->overall ? (long long)s->overall->num : 0LL);
    snprintf(den, sizeof(den), "%lld", s && s->overall ? (long long)s->overall->den : 0LL);
    snprintf(rd, sizeof(rd), "%d", d ? mv->rank_delta : 0);
    snprintf(bd, sizeof(bd), "%d", d ? mv->band_delta : 0);
    bool fig = s != NULL && s->overall != NULL;
    const char *row[] = {h->cycle,
                         version,
                         s ? rank : "",
                         s ? (s->tied ? "true" : "false") : "",
                         s ? s->band : "",
                         s ? rankfmt_figure(s->overall) : "",
                         fig ? num : "",
                         fig ? den : "",
                         rankfmt_movement_kind(mv),
                         d ? rd : "",
                         d ? bd : "",
                         reasons};
    return output_add(out, row);
}

int cmd_history(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    static const struct output_column table_cols[] = {
        {"cycle", OUTPUT_STRING},      {"version", OUTPUT_INT},    {"rank", OUTPUT_STRING},
        {"band", OUTPUT_STRING},       {"overall", OUTPUT_STRING}, {"movement", OUTPUT_STRING},
        {"not ranked", OUTPUT_STRING},
    };
    static const struct output_column csv_cols[] = {
        {"cycle", OUTPUT_STRING},    {"version", OUTPUT_INT},     {"rank", OUTPUT_INT},
        {"tied", OUTPUT_BOOL},       {"band", OUTPUT_STRING},     {"overall", OUTPUT_STRING},
        {"overall_num", OUTPUT_INT}, {"overall_den", OUTPUT_INT}, {"movement", OUTPUT_STRING},
        {"rank_delta", OUTPUT_INT},  {"band_delta", OUTPUT_INT},  {"reasons", OUTPUT_STRING},
    };
    Vigil__V1__GetHistoryRequest req = VIGIL__V1__GET_HISTORY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct remote r = {0};
    struct rankargs a;
    int rc, first;

    rankargs_init(&a, self->name);
    if (rankargs_parse(self, o, argc, argv, &a, 1, false, &first, &rc) && remote_open(&r, o, &rc)) {
        req.state = argv[first];
        rc = remote_run(&r, "/vigil.v1.Rankings/GetHistory", &req.base,
                        &vigil__v1__get_history_response__descriptor, &resp);
    }
    if (resp != NULL && o->format == OUTPUT_JSON) {
        rc = cmd_emit_json(pbjson_encode(resp));
    } else if (resp != NULL) {
        const Vigil__V1__GetHistoryResponse *hr = (Vigil__V1__GetHistoryResponse *)resp;
        bool csv = o->format == OUTPUT_CSV;
        char line[256];
        struct output *out = csv ? output_new(OUTPUT_CSV, csv_cols, NCOLS(csv_cols))
                                 : output_new(OUTPUT_TABLE, table_cols, NCOLS(table_cols));
        for (size_t i = 0; out != NULL && i < hr->n_items; i++)
            out = output_checked(out, history_row(out, hr->items[i], csv));
        if (!csv) {
            snprintf(line, sizeof(line), "History of %s (%s)", hr->state_name, hr->state);
            title(line, true);
        }
        rc = cmd_emit(out, false);
    }
    free_msg(resp);
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}

/* ---- publish ---- */

/* The cycle's current published version, 0 when it has none. Returns an
 * exit code. */
static int current_version(struct remote *r, const char *cycle, int *version)
{
    Vigil__V1__ListCyclesRequest lreq = VIGIL__V1__LIST_CYCLES_REQUEST__INIT;
    Vigil__V1__GetRankingRequest greq = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bool published = false;
    int rc;

    *version = 0;
    if ((rc = remote_run(r, "/vigil.v1.Catalog/ListCycles", &lreq.base,
                         &vigil__v1__list_cycles_response__descriptor, &resp)) != CLI_EXIT_OK)
        return rc;
    const Vigil__V1__ListCyclesResponse *lc = (Vigil__V1__ListCyclesResponse *)resp;
    for (size_t i = 0; i < lc->n_cycles; i++)
        published =
            published || (strcmp(lc->cycles[i]->code, cycle) == 0 &&
                          lc->cycles[i]->status == VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_PUBLISHED);
    free_msg(resp);
    if (!published)
        return CLI_EXIT_OK;
    greq.cycle = (char *)cycle;
    greq.view = VIGIL__V1__VIEW__VIEW_PUBLISHED;
    resp = NULL;
    if ((rc = remote_run(r, "/vigil.v1.Rankings/GetRanking", &greq.base,
                         &vigil__v1__ranking__descriptor, &resp)) == CLI_EXIT_OK)
        *version = ((Vigil__V1__Ranking *)resp)->version;
    free_msg(resp);
    return rc;
}

static int publish_send(struct remote *r, const struct opts *o, const char *cycle,
                        const char *embargo, int version)
{
    static const struct output_column cols[] = {
        {"cycle", OUTPUT_STRING},         {"version", OUTPUT_INT},
        {"digest", OUTPUT_STRING},        {"published_at", OUTPUT_STRING},
        {"embargo_until", OUTPUT_STRING},
    };
    Vigil__V1__PublishRequest req = VIGIL__V1__PUBLISH_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char id[REQID_SIZE], seen[16];

    /* Derived from what is published on top of what: a resend after a cut
     * link is the same request (answered with the first result), while a
     * republication after corrections, seeing a newer version, is new. */
    snprintf(seen, sizeof(seen), "%d", version);
    const char *const parts[] = {cycle, embargo, seen};
    reqid_derived(id, "publish", parts, NCOLS(parts));
    req.request_id = id;
    req.cycle = (char *)cycle;
    req.embargo_until = (char *)embargo;
    if (remote_call(r, "/vigil.v1.Rankings/Publish", &req.base,
                    &vigil__v1__publish_response__descriptor, &resp) != VIGIL_OK) {
        int rc = remote_fail(r);
        if (remote_outcome_unknown(r))
            fprintf(stderr,
                    "hint: the answer was lost; `vigil ranking --cycle %s` shows whether "
                    "version %d exists before you publish again\n",
                    cycle, version + 1);
        return rc;
    }
    const Vigil__V1__PublishResponse *p = (Vigil__V1__PublishResponse *)resp;
    char v[16];
    snprintf(v, sizeof(v), "%d", p->version);
    const char *row[] = {cycle, v, p->digest, p->published_at, embargo};
    int rc = cmd_emit_row(o->format, cols, NCOLS(cols), row);
    free_msg(resp);
    return rc;
}

int cmd_publish(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    char embargo[RANKTIME_SIZE] = "", err[400];
    struct remote r = {0};
    struct rankargs a;
    int rc, first, version;

    rankargs_init(&a, self->name);
    if (!rankargs_parse(self, o, argc, argv, &a, 0, true, &first, &rc))
        goto out;
    if (a.embargo != NULL && a.embargo[0] != '\0' &&
        !ranktime_parse(a.embargo, embargo, err, sizeof(err))) {
        rc = args_usage(&a.a, "--embargo: %s", err);
        goto out;
    }
    if (remote_open(&r, o, &rc) && (rc = current_version(&r, a.a.cycle, &version)) == CLI_EXIT_OK)
        rc = publish_send(&r, o, a.a.cycle, embargo, version);
out:
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}
