/* cmd_methodology: `vigil methodology` shows a cycle's (or a named)
 * methodology; `vigil methodology load FILE` loads a new one from its JSON
 * form, which is what `vigil methodology --format json` prints. */
#include "args.h"
#include "cmd.h"
#include "methodology.h"
#include "pbjson.h"
#include "remote.h"
#include "reqid.h"

#include "vigil/v1/catalog.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

static const struct output_column indicator_cols[] = {
    {"indicator", OUTPUT_STRING}, {"area", OUTPUT_STRING},
    {"weight", OUTPUT_INT},       {"scale", OUTPUT_STRING},
    {"levels", OUTPUT_STRING},    {"applies_when", OUTPUT_STRING},
    {"question", OUTPUT_STRING},  {"call_to_action", OUTPUT_STRING},
    {"source", OUTPUT_STRING},
};

/* The indicator rows; a table leaves out the last two (long) columns. */
static struct output *indicators(const struct opts *o, const Vigil__V1__Methodology *m)
{
    size_t ncols = NCOLS(indicator_cols) - (o->format == OUTPUT_TABLE ? 2 : 0);
    struct output *out = output_new(o->format, indicator_cols, ncols);
    char weight[16], levels[512], rule[512];

    for (size_t i = 0; out != NULL && i < m->n_indicators; i++) {
        const Vigil__V1__Indicator *ind = m->indicators[i];
        snprintf(weight, sizeof(weight), "%d", ind->weight);
        methodology_levels_text(methodology_scale(m, ind->scale), true, levels, sizeof(levels));
        methodology_rule_text(m, ind, rule, sizeof(rule));
        const char *row[] = {ind->code,  ind->area, weight,        ind->scale,
                             levels,     rule,      ind->question, ind->call_to_action,
                             ind->source};
        if (!output_add(out, row)) {
            output_free(out);
            return NULL;
        }
    }
    return out;
}

static struct output *header(const Vigil__V1__Methodology *m)
{
    static const struct output_column cols[] = {{"methodology", OUTPUT_STRING},
                                                {"name", OUTPUT_STRING},
                                                {"min_coverage", OUTPUT_STRING},
                                                {"description", OUTPUT_STRING}};
    struct output *out = output_new(OUTPUT_TABLE, cols, NCOLS(cols));
    const char *row[] = {m->code, m->name, m->min_coverage[0] ? m->min_coverage : "1",
                         m->description};

    if (out != NULL && !output_add(out, row)) {
        output_free(out);
        return NULL;
    }
    return out;
}

static struct output *areas(const Vigil__V1__Methodology *m)
{
    static const struct output_column cols[] = {
        {"area", OUTPUT_STRING}, {"name", OUTPUT_STRING}, {"weight", OUTPUT_INT}};
    struct output *out = output_new(OUTPUT_TABLE, cols, NCOLS(cols));
    char weight[16];

    for (size_t i = 0; out != NULL && i < m->n_areas; i++) {
        snprintf(weight, sizeof(weight), "%d", m->areas[i]->weight);
        const char *row[] = {m->areas[i]->code, m->areas[i]->name, weight};
        if (!output_add(out, row)) {
            output_free(out);
            return NULL;
        }
    }
    return out;
}

static struct output *bands(const Vigil__V1__Methodology *m)
{
    static const struct output_column cols[] = {{"band", OUTPUT_STRING},
                                                {"min_score", OUTPUT_STRING}};
    struct output *out = output_new(OUTPUT_TABLE, cols, NCOLS(cols));

    for (size_t i = 0; out != NULL && i < m->n_bands; i++) {
        const char *row[] = {m->bands[i]->name, m->bands[i]->min_score};
        if (!output_add(out, row)) {
            output_free(out);
            return NULL;
        }
    }
    return out;
}

/* A table for people: the header, the areas, the indicators, the bands. */
static int print_tables(const struct opts *o, const Vigil__V1__Methodology *m)
{
    int rc = cmd_emit(header(m), true);

    if (rc == CLI_EXIT_OK) {
        putchar('\n');
        rc = cmd_emit(areas(m), false);
    }
    if (rc == CLI_EXIT_OK) {
        putchar('\n');
        rc = cmd_emit(indicators(o, m), false);
    }
    if (rc == CLI_EXIT_OK) {
        putchar('\n');
        rc = cmd_emit(bands(m), false);
    }
    return rc;
}

static int show(struct remote *r, const struct opts *o, const struct args *a)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    if ((a->cycle == NULL) == (a->methodology == NULL))
        return args_usage(a, "give --cycle CYCLE or --methodology CODE (one of the two)");
    req.cycle = (char *)(a->cycle != NULL ? a->cycle : "");
    req.methodology = (char *)(a->methodology != NULL ? a->methodology : "");
    if (!remote_open(r, o, &rc))
        return rc;
    rc = remote_run(r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                    &vigil__v1__get_methodology_response__descriptor, &resp);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Vigil__V1__Methodology *m = ((Vigil__V1__GetMethodologyResponse *)resp)->methodology;
    if (m == NULL) {
        fprintf(stderr, "error: the server sent no methodology\n");
        rc = CLI_EXIT_FAILURE;
    } else if (o->format == OUTPUT_JSON) {
        rc = cmd_emit_json(pbjson_encode(&m->base));
    } else if (o->format == OUTPUT_CSV) {
        rc = cmd_emit(indicators(o, m), false);
    } else {
        rc = print_tables(o, m);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* Reads FILE into a Methodology, reporting problems with their JSON path. */
static Vigil__V1__Methodology *read_file(const char *file, json_t **canonical)
{
    json_error_t je;
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    ProtobufCMessage *m = NULL;
    char err[512];

    *canonical = NULL;
    if (j == NULL) {
        fprintf(stderr, "%s:%d:%d: %s\n", file, je.line, je.column, je.text);
        return NULL;
    }
    if (!pbjson_decode(j, &vigil__v1__methodology__descriptor, &m, err, sizeof(err)))
        fprintf(stderr, "%s: %s\n", file, err);
    else
        *canonical = pbjson_encode(m);
    json_decref(j);
    return (Vigil__V1__Methodology *)m;
}

static int load(struct remote *r, const struct opts *o, const char *file)
{
    Vigil__V1__LoadMethodologyRequest req = VIGIL__V1__LOAD_METHODOLOGY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    json_t *canonical;
    char id[REQID_SIZE];
    int rc;

    Vigil__V1__Methodology *m = read_file(file, &canonical);
    char *text = canonical != NULL ? json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(canonical);
    if (m == NULL || text == NULL) {
        if (m != NULL)
            fprintf(stderr, "error: out of memory\n");
        free(text);
        if (m != NULL)
            protobuf_c_message_free_unpacked(&m->base, NULL);
        return m != NULL ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    /* Derived from the content: loading the same file again is answered
     * with the first result, not refused as a duplicate. */
    const char *const parts[] = {text};
    reqid_derived(id, "methodology", parts, 1);
    req.request_id = id;
    req.methodology = m;
    if (remote_open(r, o, &rc))
        rc = remote_run(r, "/vigil.v1.Catalog/LoadMethodology", &req.base,
                        &vigil__v1__load_methodology_response__descriptor, &resp);
    if (rc == CLI_EXIT_OK) {
        static const struct output_column cols[] = {{"methodology", OUTPUT_STRING}};
        const char *row[] = {((Vigil__V1__LoadMethodologyResponse *)resp)->code};
        rc = cmd_emit_row(o->format, cols, 1, row);
    }
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    free(text);
    return rc;
}

int cmd_methodology(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct remote r = {0};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (!args_parse(self, o, argc, argv, &a, 0, &first, &rc)) {
        args_clear(&a);
        return rc;
    }
    if (first == argc)
        rc = show(&r, o, &a);
    else if (strcmp(argv[first], "load") != 0)
        rc = args_usage(&a, "unknown action \"%s\" (only: load FILE)", argv[first]);
    else if (first + 2 != argc)
        rc = args_usage(&a, "methodology load needs one FILE");
    else if (a.cycle != NULL || a.methodology != NULL)
        rc = args_usage(&a, "methodology load takes no --cycle or --methodology");
    else
        rc = load(&r, o, argv[first + 1]);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
