/* sheet_json: the JSON reader of sheet.h, on jansson. Structure problems
 * are issues at their JSON path ("assessments[2].entries[3].level"), so that
 * one bad assessment does not hide the others; only a file that is not JSON,
 * or not an object with an "assessments" array, is refused whole. */
#include "sheet_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Reports keys of obj other than the allowed ones (a NULL-ended list). */
static bool only_keys(struct sheet *s, int g, const json_t *obj, const char *path,
                      const char *const allowed[])
{
    const char *key;
    json_t *v;
    bool ok = true;

    json_object_foreach((json_t *)obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            sheet_issue(s, g, 0, path, key, "unknown key (allowed: see vigil submit --help)");
            ok = false;
        }
    }
    return ok;
}

/* A string member: "" when absent (or null) and not required. */
static bool text(struct sheet *s, int g, const json_t *obj, const char *path, const char *key,
                 bool required, const char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = "";
    if (v == NULL || json_is_null(v)) {
        if (required)
            sheet_issue(s, g, 0, path, key, "missing");
        return !required;
    }
    if (!json_is_string(v)) {
        sheet_issue(s, g, 0, path, key, "expected a string");
        return false;
    }
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v)) {
        sheet_issue(s, g, 0, path, key, "contains a NUL character");
        return false;
    }
    return true;
}

static bool evidence(struct sheet *s, int g, const json_t *arr, const char *path,
                     struct sheet_row *r)
{
    static const char *const keys[] = {"citation", "url", "date", NULL};
    char p[256], why[300];
    size_t i;
    json_t *item;
    bool ok = true;

    if (arr == NULL || json_is_null(arr))
        return true;
    if (!json_is_array(arr)) {
        sheet_issue(s, g, 0, path, "evidence", "expected an array");
        return false;
    }
    if ((r->evidence = calloc(json_array_size(arr) + 1, sizeof(*r->evidence))) == NULL) {
        s->nomem = true;
        return false;
    }
    json_array_foreach(arr, i, item)
    {
        const char *c, *u, *d;
        snprintf(p, sizeof(p), "%.200s.evidence[%zu]", path, i);
        if (!json_is_object(item)) {
            sheet_issue(s, g, 0, p, NULL, "expected an object");
            ok = false;
            continue;
        }
        if (!only_keys(s, g, item, p, keys) || !text(s, g, item, p, "citation", true, &c) ||
            !text(s, g, item, p, "url", false, &u) || !text(s, g, item, p, "date", false, &d)) {
            ok = false;
            continue;
        }
        struct sheet_evidence *ev = &r->evidence[r->nevidence++];
        ev->citation = sheet_strdup(s, c);
        ev->url = sheet_strdup(s, u);
        ev->date = sheet_strdup(s, d);
        if (ev->citation && ev->url && ev->date && !sheet_evidence_check(ev, why, sizeof(why))) {
            sheet_issue(s, g, 0, p, NULL, "%s", why);
            ok = false;
        }
    }
    return ok;
}

static void entry(struct sheet *s, int g, const json_t *e, const char *path)
{
    static const char *const keys[] = {"indicator", "level", "justification", "evidence", NULL};
    const char *ind, *lvl, *just;
    struct sheet_row *r;

    if (!json_is_object(e)) {
        sheet_issue(s, g, 0, path, NULL, "expected an object");
        return;
    }
    bool ok = only_keys(s, g, e, path, keys);
    ok = text(s, g, e, path, "indicator", true, &ind) && ok;
    ok = text(s, g, e, path, "level", false, &lvl) && ok;
    ok = text(s, g, e, path, "justification", false, &just) && ok;
    if (!ok || (r = sheet_row_add(s, g)) == NULL)
        return;
    r->path = sheet_strdup(s, path);
    r->indicator = sheet_strdup(s, ind);
    r->level = sheet_strdup(s, lvl);
    r->justification = sheet_strdup(s, just);
    if (ind[0] == '\0')
        sheet_issue(s, g, 0, path, "indicator", "empty");
    evidence(s, g, json_object_get(e, "evidence"), path, r);
}

/* The group of one element of "assessments"; -1 when it has none. */
static int assessment_group(struct sheet *s, const json_t *a, const char *path)
{
    static const char *const keys[] = {"state", "cycle", "draft", "entries", NULL};
    const char *st, *cy;
    char state[8];

    if (!json_is_object(a)) {
        sheet_issue(s, -1, 0, path, NULL, "expected an object");
        return -1;
    }
    if (!text(s, -1, a, path, "state", true, &st) || !text(s, -1, a, path, "cycle", true, &cy))
        return -1;
    if (strlen(st) != 2 || cy[0] == '\0') {
        sheet_issue(s, -1, 0, path, strlen(st) != 2 ? "state" : "cycle",
                    strlen(st) != 2 ? "not an ISO 3166-1 alpha-2 code" : "empty");
        return -1;
    }
    for (size_t i = 0; i < 3; i++)
        state[i] = st[i] >= 'a' && st[i] <= 'z' ? (char)(st[i] - 'a' + 'A') : st[i];
    size_t before = s->ngroups;
    int g = sheet_group_for(s, state, cy, 0, path);
    if (g >= 0 && s->ngroups == before) {
        sheet_issue(s, g, 0, path, NULL, "%s %s is given twice (also at %s)", state, cy,
                    s->groups[g].path ? s->groups[g].path : "?");
        return -1;
    }
    if (g >= 0)
        only_keys(s, g, a, path, keys);
    return g;
}

static void assessment(struct sheet *s, const json_t *a, const char *path)
{
    char p[256];
    size_t i;
    json_t *e;
    int g = assessment_group(s, a, path);

    if (g < 0)
        return;
    json_t *draft = json_object_get(a, "draft"), *entries = json_object_get(a, "entries");
    if (draft != NULL && !json_is_boolean(draft) && !json_is_null(draft))
        sheet_issue(s, g, 0, path, "draft", "expected true or false");
    s->groups[g].draft = json_is_true(draft);
    if (!json_is_array(entries)) {
        sheet_issue(s, g, 0, path, "entries", entries == NULL ? "missing" : "expected an array");
        return;
    }
    json_array_foreach(entries, i, e)
    {
        snprintf(p, sizeof(p), "%.60s.entries[%zu]", path, i);
        entry(s, g, e, p);
    }
}

bool sheet_parse_json(struct sheet *s, const char *data, size_t len, char *err, size_t cap)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je), *list, *a;
    char path[64];
    size_t i;

    if (root == NULL) {
        snprintf(err, cap, "line %d, column %d: %s", je.line, je.column, je.text);
        return false;
    }
    list = json_object_get(root, "assessments");
    if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(list)) {
        snprintf(err, cap,
                 "expected an object with one key, \"assessments\", an array "
                 "(see vigil submit --help)");
        json_decref(root);
        return false;
    }
    json_array_foreach(list, i, a)
    {
        snprintf(path, sizeof(path), "assessments[%zu]", i);
        assessment(s, a, path);
    }
    json_decref(root);
    if (s->nomem) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    return true;
}
