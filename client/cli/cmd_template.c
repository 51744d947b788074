/* cmd_template: `vigil template --cycle C`, the CSV an office fills in: one
 * row per state of its scope and indicator of the cycle's methodology, with
 * the level to choose left empty and the allowed levels in a last column
 * that `vigil submit` ignores. */
#include "args.h"
#include "cmd.h"
#include "methodology.h"
#include "remote.h"

#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

static const struct output_column template_cols[] = {
    {"state", OUTPUT_STRING},          {"cycle", OUTPUT_STRING},
    {"indicator", OUTPUT_STRING},      {"level", OUTPUT_STRING},
    {"justification", OUTPUT_STRING},  {"evidence", OUTPUT_STRING},
    {"allowed_levels", OUTPUT_STRING},
};

/* The scope to list: a region and explicit states, from the options or,
 * without them, the caller's office (none at all = every state). */
struct scope {
    const char *region;  /* "" = none */
    char *const *states; /* explicit ISO codes */
    size_t nstates;
    ProtobufCMessage *who; /* WhoAmI's answer when it was asked (owned) */
};

static int scope_resolve(struct remote *r, const struct args *a, struct scope *sc)
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    int rc;

    *sc = (struct scope){a->region != NULL ? a->region : "", (char *const *)a->states, a->nstates,
                         NULL};
    if (a->region != NULL || a->nstates > 0)
        return CLI_EXIT_OK;
    rc = remote_run(r, "/vigil.v1.Offices/WhoAmI", &req.base,
                    &vigil__v1__who_am_iresponse__descriptor, &sc->who);
    if (rc == CLI_EXIT_OK) {
        const Vigil__V1__Office *f = ((Vigil__V1__WhoAmIResponse *)sc->who)->office;
        if (f != NULL) {
            *sc = (struct scope){f->region, f->states, f->n_states, sc->who};
        }
    }
    return rc;
}

static bool listed(char *const *v, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], code) == 0)
            return true;
    }
    return false;
}

static int list_states(struct remote *r, const char *region, ProtobufCMessage **resp)
{
    Vigil__V1__ListStatesRequest req = VIGIL__V1__LIST_STATES_REQUEST__INIT;

    req.region = (char *)region;
    return remote_run(r, "/vigil.v1.Catalog/ListStates", &req.base,
                      &vigil__v1__list_states_response__descriptor, resp);
}

/* The rows of one state. */
static bool add_state(struct output *out, const char *state, const char *cycle,
                      const Vigil__V1__Methodology *m)
{
    char levels[512], rule[512], allowed[1100];

    for (size_t i = 0; i < m->n_indicators; i++) {
        const Vigil__V1__Indicator *ind = m->indicators[i];
        methodology_levels_text(methodology_scale(m, ind->scale), false, levels, sizeof(levels));
        methodology_rule_text(m, ind, rule, sizeof(rule));
        if (rule[0] != '\0')
            snprintf(allowed, sizeof(allowed), "%s (only when %s; else leave empty)", levels, rule);
        else
            snprintf(allowed, sizeof(allowed), "%s", levels);
        const char *row[] = {state, cycle, ind->code, "", "", "", allowed};
        if (!output_add(out, row))
            return false;
    }
    return true;
}

/* Every state in the scope, in ListStates' order (by name). */
static int fill(struct remote *r, const struct scope *sc, const char *cycle,
                const Vigil__V1__Methodology *m, struct output *out)
{
    ProtobufCMessage *all = NULL, *in_region = NULL;
    int rc = list_states(r, "", &all);

    if (rc == CLI_EXIT_OK && sc->region[0] != '\0')
        rc = list_states(r, sc->region, &in_region);
    for (size_t i = 0; rc == CLI_EXIT_OK && i < ((Vigil__V1__ListStatesResponse *)all)->n_states;
         i++) {
        const char *code = ((Vigil__V1__ListStatesResponse *)all)->states[i]->code;
        bool everything = sc->region[0] == '\0' && sc->nstates == 0;
        bool in = everything || listed(sc->states, sc->nstates, code);
        for (size_t k = 0;
             !in && in_region != NULL && k < ((Vigil__V1__ListStatesResponse *)in_region)->n_states;
             k++)
            in = strcmp(((Vigil__V1__ListStatesResponse *)in_region)->states[k]->code, code) == 0;
        if (in && !add_state(out, code, cycle, m)) {
            fprintf(stderr, "error: out of memory\n");
            rc = CLI_EXIT_FAILURE;
        }
    }
    for (size_t j = 0; rc == CLI_EXIT_OK && j < sc->nstates; j++) {
        const Vigil__V1__ListStatesResponse *ls = (Vigil__V1__ListStatesResponse *)all;
        bool known = false;
        for (size_t i = 0; !known && i < ls->n_states; i++)
            known = strcmp(ls->states[i]->code, sc->states[j]) == 0;
        if (!known) {
            fprintf(stderr, "error: unknown state \"%s\" (vigil states lists them)\n",
                    sc->states[j]);
            rc = CLI_EXIT_USAGE;
        }
    }
    if (all != NULL)
        protobuf_c_message_free_unpacked(all, NULL);
    if (in_region != NULL)
        protobuf_c_message_free_unpacked(in_region, NULL);
    return rc;
}

/* Writes the CSV to path (never over an existing file: it may be a filled
 * one), or to stdout when path is NULL. */
static int write_csv(const struct output *out, const char *path)
{
    char err[256];
    FILE *f = stdout;

    if (path != NULL) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
            fprintf(stderr, "error: cannot create %s: %s%s\n", path, strerror(errno),
                    errno == EEXIST ? " (it may be filled in already: choose another --out)" : "");
            if (fd >= 0)
                close(fd);
            return errno == EEXIST ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        }
    }
    bool ok = output_print_list(out, f, err, sizeof(err));
    if (path != NULL && fclose(f) != 0 && ok) {
        snprintf(err, sizeof(err), "cannot write %s: %s", path, strerror(errno));
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "error: %s\n", err);
        if (path != NULL)
            unlink(path);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

static int get_methodology(struct remote *r, const char *cycle, ProtobufCMessage **resp)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;

    req.cycle = (char *)cycle;
    return remote_run(r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                      &vigil__v1__get_methodology_response__descriptor, resp);
}

int cmd_template(const struct cmd *self, struct opts *o, int argc, char *argv[])
{
    struct output *out = output_new(OUTPUT_CSV, template_cols, NCOLS(template_cols));
    ProtobufCMessage *mresp = NULL;
    struct scope sc = {0};
    struct remote r = {0};
    struct args a;
    int rc, first;

    args_init(&a, self->name);
    if (!args_parse(self, o, argc, argv, &a, 0, &first, &rc))
        goto out;
    if (a.cycle == NULL) {
        rc = args_usage(&a, "--cycle CYCLE is required");
        goto out;
    }
    if (out == NULL || !remote_open(&r, o, &rc)) {
        rc = out == NULL ? CLI_EXIT_FAILURE : rc;
        goto out;
    }
    if ((rc = get_methodology(&r, a.cycle, &mresp)) == CLI_EXIT_OK &&
        (rc = scope_resolve(&r, &a, &sc)) == CLI_EXIT_OK) {
        const Vigil__V1__Methodology *m = ((Vigil__V1__GetMethodologyResponse *)mresp)->methodology;
        Vigil__V1__Methodology empty = VIGIL__V1__METHODOLOGY__INIT;
        rc = fill(&r, &sc, a.cycle, m != NULL ? m : &empty, out);
    }
    if (rc == CLI_EXIT_OK)
        rc = write_csv(out, a.out);
out:
    if (mresp != NULL)
        protobuf_c_message_free_unpacked(mresp, NULL);
    if (sc.who != NULL)
        protobuf_c_message_free_unpacked(sc.who, NULL);
    output_free(out);
    remote_close(&r);
    args_clear(&a);
    return rc;
}
