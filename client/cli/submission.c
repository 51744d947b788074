/* submission: a sheet group checked against the methodology and made into a
 * SubmitRequest (see submission.h). */
#include "submission.h"
#include "methodology.h"
#include "pbjson.h"
#include "reqid.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* What the rows of one group say, per indicator of the methodology. */
struct check {
    struct sheet *s;
    int g;
    const Vigil__V1__Methodology *m;
    const char *cycle;
    const struct sheet_row **row;   /* the row of each indicator; NULL = none */
    const Vigil__V1__Level **level; /* its level; NULL = empty or unknown */
    bool *bad;                      /* its row already has an issue */
    char missing[1024];             /* applicable indicators without a row: "PR.2, CA.1" */
};

static const char *answer(void *ctx, const Vigil__V1__Indicator *ind)
{
    const struct check *c = ctx;
    int i = methodology_index(c->m, ind);

    return i >= 0 && c->level[i] != NULL ? c->level[i]->code : NULL;
}

static bool blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

static void row_issue(struct check *c, const struct sheet_row *r, const char *field,
                      const char *msg)
{
    sheet_issue(c->s, c->g, r->line, r->path, field, "%s", msg);
}

/* "line 12" or "assessments[0].entries[3]", for "given twice (also ...)". */
static void row_place(const struct sheet_row *r, char *buf, size_t cap)
{
    if (r->line > 0)
        snprintf(buf, cap, "line %d", r->line);
    else
        snprintf(buf, cap, "%s", r->path ? r->path : "?");
}

static void map_row(struct check *c, const struct sheet_row *r)
{
    char msg[1024], place[256], levels[512];
    const Vigil__V1__Indicator *ind = methodology_indicator(c->m, r->indicator);

    if (r->indicator[0] == '\0')
        return; /* reported by the reader */
    if (ind == NULL) {
        snprintf(msg, sizeof(msg),
                 "unknown indicator \"%.100s\" in methodology %s (vigil methodology --cycle %s "
                 "lists them)",
                 r->indicator, c->m->code, c->cycle);
        row_issue(c, r, "indicator", msg);
        return;
    }
    int i = methodology_index(c->m, ind);
    if (c->row[i] != NULL) {
        row_place(c->row[i], place, sizeof(place));
        snprintf(msg, sizeof(msg), "%s is given twice (also %s)", ind->code, place);
        row_issue(c, r, "indicator", msg);
        c->bad[i] = true;
        return;
    }
    c->row[i] = r;
    if (blank(r->level))
        return;
    const Vigil__V1__Scale *sc = methodology_scale(c->m, ind->scale);
    if ((c->level[i] = methodology_level(sc, r->level)) == NULL) {
        methodology_levels_text(sc, false, levels, sizeof(levels));
        snprintf(msg, sizeof(msg), "\"%.100s\" is not a level of %s (scale %s: %s)", r->level,
                 ind->code, ind->scale, levels);
        row_issue(c, r, "level", msg);
        c->bad[i] = true;
    }
}

/* The rule of ind looks at an indicator whose row is already wrong: saying
 * more about ind would only repeat that mistake. */
static bool rule_unknowable(const struct check *c, const Vigil__V1__Indicator *ind)
{
    const Vigil__V1__Applicability *r = ind->applies_when;

    if (r == NULL || r->indicator[0] == '\0')
        return false;
    const Vigil__V1__Indicator *ref = methodology_indicator(c->m, r->indicator);
    int i = ref != NULL ? methodology_index(c->m, ref) : -1;
    return i >= 0 && (c->bad[i] || rule_unknowable(c, ref));
}

/* Whether indicator i is to be sent; reports what is missing or extra. */
static bool judge(struct check *c, size_t i)
{
    const Vigil__V1__Indicator *ind = c->m->indicators[i];
    const struct sheet_row *r = c->row[i];
    char levels[512], rule[512];
    bool given = r != NULL && !blank(r->level);

    if (c->bad[i] || rule_unknowable(c, ind))
        return false;
    bool applies = methodology_applies(c->m, ind, answer, c);
    methodology_levels_text(methodology_scale(c->m, ind->scale), false, levels, sizeof(levels));
    methodology_rule_text(c->m, ind, rule, sizeof(rule));
    if (applies && r == NULL) {
        size_t used = strlen(c->missing);
        snprintf(c->missing + used, sizeof(c->missing) - used, "%s%s", used ? ", " : "", ind->code);
    } else if (applies && !given && rule[0] != '\0') {
        sheet_issue(c->s, c->g, r->line, r->path, "level",
                    "empty, but %s applies here (as %s): give one of %s", ind->code, rule, levels);
    } else if (applies && !given) {
        sheet_issue(c->s, c->g, r->line, r->path, "level", "empty, but %s applies: give one of %s",
                    ind->code, levels);
    } else if (!applies && given) {
        sheet_issue(
            c->s, c->g, r->line, r->path, "level",
            "%s does not apply here (only when %s): leave the level empty or remove the row",
            ind->code, rule);
    }
    return applies && given;
}

static json_t *evidence_json(const struct sheet_row *r)
{
    json_t *arr = json_array();

    for (size_t k = 0; arr != NULL && k < r->nevidence; k++) {
        const struct sheet_evidence *e = &r->evidence[k];
        json_t *o =
            json_pack("{s:s, s:s, s:s}", "citation", e->citation, "url", e->url, "date", e->date);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *entry_json(const Vigil__V1__Indicator *ind, const Vigil__V1__Level *lvl,
                          const struct sheet_row *r)
{
    json_t *ev = evidence_json(r);

    if (ev == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:o}", "indicator", ind->code, "level", lvl->code,
                     "justification", r->justification, "evidence", ev);
}

static bool canonical_hash(struct submission *sub)
{
    char *text = json_dumps(sub->content, JSON_COMPACT | JSON_SORT_KEYS);
    bool ok = text != NULL && reqid_sha256_hex(text, strlen(text), sub->sha256);

    free(text);
    return ok;
}

/* Fills sub from the checked rows; false when out of memory. */
static bool assemble(struct submission *sub, struct check *c, const bool *send, bool draft)
{
    const struct sheet_group *gr = &c->s->groups[c->g];
    json_t *entries = json_array();

    sub->group = gr;
    sub->rows = calloc(c->m->n_indicators + 1, sizeof(*sub->rows));
    sub->content = entries == NULL
                       ? NULL
                       : json_pack("{s:s, s:s, s:b, s:o}", "state", gr->state, "cycle", gr->cycle,
                                   "draft", draft || gr->draft, "entries", entries);
    if (sub->rows == NULL || sub->content == NULL)
        return false;
    for (size_t i = 0; i < c->m->n_indicators; i++) {
        if (!send[i])
            continue;
        json_t *e = entry_json(c->m->indicators[i], c->level[i], c->row[i]);
        if (e == NULL || json_array_append_new(entries, e) != 0)
            return false;
        sub->rows[sub->nentries++] = c->row[i];
    }
    return canonical_hash(sub);
}

bool submission_build(struct submission *sub, struct sheet *s, size_t g,
                      const Vigil__V1__Methodology *m, bool draft)
{
    size_t n = m->n_indicators + 1;
    struct check c = {.s = s,
                      .g = (int)g,
                      .m = m,
                      .cycle = s->groups[g].cycle,
                      .row = calloc(n, sizeof(*c.row)),
                      .level = calloc(n, sizeof(*c.level)),
                      .bad = calloc(n, sizeof(*c.bad))};
    bool *send = calloc(n, sizeof(*send));
    bool ok = false;

    memset(sub, 0, sizeof(*sub));
    if (c.row == NULL || c.level == NULL || c.bad == NULL || send == NULL) {
        s->nomem = true;
        goto out;
    }
    for (size_t r = 0; r < s->groups[g].nrows; r++)
        map_row(&c, &s->groups[g].rows[r]);
    for (size_t i = 0; i < m->n_indicators; i++)
        send[i] = judge(&c, i);
    if (c.missing[0] != '\0') {
        const struct sheet_group *gr = &s->groups[g];
        sheet_issue(s, (int)g, gr->line, gr->path, NULL,
                    "%s %s: no %s for %s, which appl%s: every indicator that applies needs a "
                    "level (vigil template lists them)",
                    gr->state, gr->cycle, gr->path != NULL ? "entry" : "row", c.missing,
                    strchr(c.missing, ',') != NULL ? "y" : "ies");
    }
    if (s->groups[g].bad)
        goto out;
    if (!(ok = assemble(sub, &c, send, draft))) {
        s->nomem = true;
        submission_clear(sub);
    }
out:
    free(c.row);
    free(c.level);
    free(c.bad);
    free(send);
    return ok;
}

void submission_clear(struct submission *sub)
{
    json_decref(sub->content);
    free(sub->rows);
    memset(sub, 0, sizeof(*sub));
}

Vigil__V1__SubmitRequest *submission_request(const struct submission *sub, const char *request_id,
                                             int base_revision)
{
    json_t *j = json_deep_copy(sub->content);
    ProtobufCMessage *msg = NULL;
    char err[256];

    if (j == NULL || json_object_set_new(j, "request_id", json_string(request_id)) != 0 ||
        json_object_set_new(j, "base_revision", json_integer(base_revision)) != 0 ||
        !pbjson_decode(j, &vigil__v1__submit_request__descriptor, &msg, err, sizeof(err)))
        msg = NULL;
    json_decref(j);
    return (Vigil__V1__SubmitRequest *)msg;
}

bool submission_same(const struct submission *sub, const Vigil__V1__Revision *rev)
{
    json_t *stored = pbjson_encode(&rev->base);
    bool same =
        stored != NULL &&
        json_equal(json_object_get(stored, "entries"), json_object_get(sub->content, "entries")) &&
        json_equal(json_object_get(stored, "draft"), json_object_get(sub->content, "draft"));

    json_decref(stored);
    return same;
}

/* Copies the field name at s ([a-z_]+) into field. */
static const char *field_name(const char *s, char *field, size_t cap)
{
    size_t n = 0;

    while ((islower((unsigned char)s[n]) || s[n] == '_') && n + 1 < cap) {
        field[n] = s[n];
        n++;
    }
    field[n] = '\0';
    return s + n;
}

const struct sheet_row *submission_locate(const struct submission *sub, const char *msg,
                                          char *field, size_t cap)
{
    char *end;

    field[0] = '\0';
    if (strncmp(msg, "entries[", 8) != 0) {
        const char *after = field_name(msg, field, cap);
        if (*after != ':' && *after != '.' && *after != '[')
            field[0] = '\0';
        return NULL;
    }
    unsigned long i = strtoul(msg + 8, &end, 10);
    if (end == msg + 8 || *end != ']' || i >= sub->nentries)
        return NULL;
    if (end[1] == '.')
        field_name(end + 2, field, cap);
    return sub->rows[i];
}
