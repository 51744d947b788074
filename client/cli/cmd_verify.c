/* cmd_verify: `vigil verify --cycle C [--version N]`: fetches a published
 * ranking's inputs and results, checks the inputs' SHA-256 digest, recomputes
 * the ranking and the aggregates from the inputs with the scoring module
 * (rankcheck.h), and reports every difference. The exit code says which
 * check failed: 7 the inputs do not match their digest, 8 the results differ
 * from the recomputation. */
#include "canon.h"
#include "cmd.h"
#include "rankagg.h"
#include "rankargs.h"
#include "rankcheck.h"
#include "remote.h"

#include "vigil/v1/rankings.pb-c.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What verify fetched; freed by fetched_clear(). */
struct fetched {
    Vigil__V1__GetPublishedInputsResponse *inputs;
    Vigil__V1__Ranking *ranking;
    Vigil__V1__GetAggregatesResponse *aggregates;
    Vigil__V1__Ranking *pred; /* the predecessor's ranking the inputs name; NULL = none */
    json_t *doc;              /* the inputs, parsed */
    struct canon_inputs in;   /* read from doc */
    bool in_read;
};

static void fetched_clear(struct fetched *f)
{
    if (f->in_read)
        canon_clear(&f->in);
    json_decref(f->doc);
    if (f->inputs)
        protobuf_c_message_free_unpacked(&f->inputs->base, NULL);
    if (f->ranking)
        protobuf_c_message_free_unpacked(&f->ranking->base, NULL);
    if (f->aggregates)
        protobuf_c_message_free_unpacked(&f->aggregates->base, NULL);
    if (f->pred)
        protobuf_c_message_free_unpacked(&f->pred->base, NULL);
    memset(f, 0, sizeof(*f));
}

static int get_ranking(struct remote *r, const char *cycle, int version, Vigil__V1__Ranking **out)
{
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;

    req.cycle = (char *)cycle;
    req.view = VIGIL__V1__VIEW__VIEW_PUBLISHED;
    req.version = version;
    return remote_run(r, "/vigil.v1.Rankings/GetRanking", &req.base,
                      &vigil__v1__ranking__descriptor, (ProtobufCMessage **)out);
}

/* The aggregates of the same version, with the facts' conditional when the
 * methodology has them (so that the shares read from them are checked). */
static int get_aggregates(struct remote *r, struct fetched *f)
{
    Vigil__V1__GetAggregatesRequest req = VIGIL__V1__GET_AGGREGATES_REQUEST__INIT;
    Vigil__V1__ConditionalQuery *facts = NULL;
    const struct canon_inputs *in = &f->in;
    int ca1 = canon_indicator(in, "CA.1"), ca2 = canon_indicator(in, "CA.2");

    if (ca1 >= 0 && ca2 >= 0 && canon_level(in, ca1, "yes") >= 0 &&
        canon_level(in, ca1, "partial") >= 0 && canon_level(in, ca2, "woefully_inadequate") >= 0)
        facts = rankagg_facts_query();
    req.cycle = f->inputs->cycle;
    req.view = VIGIL__V1__VIEW__VIEW_PUBLISHED;
    req.version = f->inputs->version;
    req.conditionals = facts != NULL ? &facts : NULL;
    req.n_conditionals = facts != NULL ? 1 : 0;
    int rc = remote_run(r, "/vigil.v1.Rankings/GetAggregates", &req.base,
                        &vigil__v1__get_aggregates_response__descriptor,
                        (ProtobufCMessage **)&f->aggregates);
    if (facts != NULL)
        protobuf_c_message_free_unpacked(&facts->base, NULL);
    return rc;
}

/* Checks the inputs' bytes against their digest and canonical form, and
 * reads them. Adds a line per problem; *altered when the inputs are not
 * what their digest says; false when they cannot be read at all. */
static bool check_inputs(struct fetched *f, const Vigil__V1__Ranking *rk, struct rankcheck *c,
                         bool *altered)
{
    const ProtobufCBinaryData *b = &f->inputs->canonical;
    char hex[65], err[300];
    json_error_t je;
    size_t len;

    canon_digest(b->data, b->len, hex);
    if (strcmp(hex, f->inputs->digest) != 0) {
        rankcheck_add(c, "digest: the inputs hash to %s, published %s", hex, f->inputs->digest);
        *altered = true;
    }
    if (strcmp(rk->digest, f->inputs->digest) != 0) {
        rankcheck_add(c, "digest: the ranking names %s, its inputs %s", rk->digest,
                      f->inputs->digest);
        *altered = true;
    }
    f->doc = json_loadb((const char *)b->data, b->len, JSON_REJECT_DUPLICATES, &je);
    if (f->doc == NULL) {
        rankcheck_add(c, "inputs: not JSON: %s (at byte %d)", je.text, je.position);
        return false;
    }
    char *again = canon_bytes(f->doc, &len);
    if (again == NULL || len != b->len || memcmp(again, b->data, len) != 0) {
        rankcheck_add(c, "inputs: not in canonical form (README, \"Digest\")");
        *altered = true;
    }
    free(again);
    if (!canon_read(f->doc, &f->in, err, sizeof(err))) {
        rankcheck_add(c, "inputs: %s", err);
        return false;
    }
    f->in_read = true;
    return true;
}

/* Fetches the predecessor's ranking the inputs name and checks its digest. */
static int check_predecessor(struct remote *r, struct fetched *f, struct rankcheck *c,
                             bool *altered)
{
    const struct canon_inputs *in = &f->in;

    if (!in->has_predecessor)
        return CLI_EXIT_OK;
    if (in->predecessor_cycle == NULL || in->predecessor_digest == NULL ||
        in->predecessor_version <= 0) {
        rankcheck_add(c, "inputs: predecessor: cycle, digest and version required");
        *altered = true;
        return CLI_EXIT_OK;
    }
    int rc = get_ranking(r, in->predecessor_cycle, in->predecessor_version, &f->pred);
    if (rc != CLI_EXIT_OK) {
        fprintf(stderr, "(the predecessor's ranking: %s version %d)\n", in->predecessor_cycle,
                in->predecessor_version);
        return rc;
    }
    if (strcmp(f->pred->digest, in->predecessor_digest) != 0) {
        rankcheck_add(c, "predecessor %s version %d: digest published %s, the inputs name %s",
                      in->predecessor_cycle, in->predecessor_version, f->pred->digest,
                      in->predecessor_digest);
        *altered = true;
    }
    return CLI_EXIT_OK;
}

static int report(const struct fetched *f, const struct rankcheck *c, bool altered)
{
    const struct canon_inputs *in = &f->in;

    for (size_t i = 0; i < c->n; i++)
        printf("%s\n", c->lines[i]);
    if (c->nomem)
        printf("(some differences were not listed: out of memory)\n");
    if (c->n > 0 || c->nomem) {
        printf("NOT VERIFIED: %s version %d: %zu difference%s (%s)\n", f->inputs->cycle,
               f->inputs->version, c->n, c->n == 1 ? "" : "s",
               altered ? "the inputs do not match their digest"
                       : "the published results differ "
                         "from a recomputation");
        fflush(stdout);
        return altered ? CLI_EXIT_DIGEST : CLI_EXIT_DIFFERS;
    }
    printf("verified: %s version %d, digest %s: %zu states (%zu ranked), %zu indicators, "
           "%zu conditional share%s",
           f->inputs->cycle, f->inputs->version, f->inputs->digest, in->n_states,
           f->ranking->n_ranked, in->m.n_indicators, f->aggregates->n_conditionals,
           f->aggregates->n_conditionals == 1 ? "" : "s");
    if (f->pred != NULL)
        printf("; movement against %s version %d", in->predecessor_cycle, in->predecessor_version);
    printf("\n");
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int verify(struct remote *r, const struct rankargs *a, struct fetched *f)
{
    Vigil__V1__GetPublishedInputsRequest req = VIGIL__V1__GET_PUBLISHED_INPUTS_REQUEST__INIT;
    struct rankcheck c;
    bool altered = false;
    int rc;

    req.cycle = (char *)a->a.cycle;
    req.version = a->version;
    if ((rc = remote_run(r, "/vigil.v1.Rankings/GetPublishedInputs", &req.base,
                         &vigil__v1__get_published_inputs_response__descriptor,
                         (ProtobufCMessage **)&f->inputs)) != CLI_EXIT_OK ||
        (rc = get_ranking(r, a->a.cycle, f->inputs->version, &f->ranking)) != CLI_EXIT_OK)
        return rc;
    rankcheck_init(&c);
    if (f->ranking->version != f->inputs->version)
        rankcheck_add(&c, "version: ranking %d, inputs %d", f->ranking->version,
                      f->inputs->version);
    if (!check_inputs(f, f->ranking, &c, &altered)) {
        rc = report(f, &c, altered);
        rankcheck_clear(&c);
        return rc;
    }
    if ((rc = get_aggregates(r, f)) == CLI_EXIT_OK &&
        (rc = check_predecessor(r, f, &c, &altered)) == CLI_EXIT_OK) {
        if (f->aggregates->version != f->inputs->version)
            rankcheck_add(&c, "version: aggregates %d, inputs %d", f->aggregates->version,
                          f->inputs->version);
        rankcheck_run(&c, &f->in, f->pred, f->ranking, f->aggregates);
        rc = report(f, &c, altered);
    }
    rankcheck_clear(&c);
    return rc;
}

int cmd_verify(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct fetched f = {0};
    struct remote r = {0};
    struct rankargs a;
    int rc, first;

    rankargs_init(&a, self->name);
    if (rankargs_parse(self, o, argc, argv, &a, 0, true, &first, &rc) && remote_open(&r, o, &rc))
        rc = verify(&r, &a, &f);
    fetched_clear(&f);
    remote_close(&r);
    rankargs_clear(&a);
    return rc;
}
