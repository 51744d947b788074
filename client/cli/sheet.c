/* sheet: the model of an assessment file (groups, rows, issues), the
 * evidence cell syntax, and the choice between the CSV and JSON readers
 * (sheet_csv.c, sheet_json.c). See sheet.h. */
#include "sheet.h"
#include "sheet_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_SIZE (64u << 20) /* far above any real sheet; a guard against mistakes */

void sheet_init(struct sheet *s, const char *file)
{
    memset(s, 0, sizeof(*s));
    s->file = strdup(file);
    s->nomem = s->file == NULL;
}

static void row_clear(struct sheet_row *r)
{
    free(r->path);
    free(r->indicator);
    free(r->level);
    free(r->justification);
    sheet_evidence_free(r->evidence, r->nevidence);
}

void sheet_clear(struct sheet *s)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        struct sheet_group *gr = &s->groups[g];
        for (size_t r = 0; r < gr->nrows; r++)
            row_clear(&gr->rows[r]);
        free(gr->rows);
        free(gr->state);
        free(gr->cycle);
        free(gr->path);
    }
    for (size_t i = 0; i < s->nissues; i++) {
        free(s->issues[i].path);
        free(s->issues[i].field);
        free(s->issues[i].message);
    }
    free(s->groups);
    free(s->issues);
    free(s->file);
    memset(s, 0, sizeof(*s));
}

char *sheet_dup(struct sheet *s, const char *str, size_t len)
{
    char *d = malloc(len + 1);

    if (d == NULL) {
        s->nomem = true;
        return NULL;
    }
    memcpy(d, str, len);
    d[len] = '\0';
    return d;
}

char *sheet_strdup(struct sheet *s, const char *str)
{
    return str != NULL ? sheet_dup(s, str, strlen(str)) : NULL;
}

void sheet_issue(struct sheet *s, int group, int line, const char *path, const char *field,
                 const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (group >= 0)
        s->groups[group].bad = true;
    struct sheet_issue *grown = realloc(s->issues, (s->nissues + 1) * sizeof(*grown));
    if (grown == NULL) {
        s->nomem = true;
        return;
    }
    s->issues = grown;
    s->issues[s->nissues++] = (struct sheet_issue){group, line, sheet_strdup(s, path),
                                                   sheet_strdup(s, field), sheet_strdup(s, msg)};
}

int sheet_group_for(struct sheet *s, const char *state, const char *cycle, int line,
                    const char *path)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        if (strcmp(s->groups[g].state, state) == 0 && strcmp(s->groups[g].cycle, cycle) == 0)
            return (int)g;
    }
    struct sheet_group *grown = realloc(s->groups, (s->ngroups + 1) * sizeof(*grown));
    if (grown == NULL) {
        s->nomem = true;
        return -1;
    }
    s->groups = grown;
    struct sheet_group *gr = &s->groups[s->ngroups];
    *gr = (struct sheet_group){.line = line};
    gr->state = sheet_strdup(s, state);
    gr->cycle = sheet_strdup(s, cycle);
    gr->path = sheet_strdup(s, path);
    if (gr->state == NULL || gr->cycle == NULL) {
        free(gr->state);
        free(gr->cycle);
        free(gr->path);
        return -1;
    }
    return (int)s->ngroups++;
}

struct sheet_row *sheet_row_add(struct sheet *s, int group)
{
    struct sheet_group *gr = &s->groups[group];
    struct sheet_row *grown = realloc(gr->rows, (gr->nrows + 1) * sizeof(*grown));

    if (grown == NULL) {
        s->nomem = true;
        return NULL;
    }
    gr->rows = grown;
    memset(&gr->rows[gr->nrows], 0, sizeof(gr->rows[0]));
    return &gr->rows[gr->nrows++];
}

void sheet_where(const struct sheet *s, int line, const char *path, const char *field, char *buf,
                 size_t cap)
{
    if (line > 0)
        snprintf(buf, cap, "%s:%d%s%s", s->file, line, field ? ": " : "", field ? field : "");
    else if (path != NULL)
        snprintf(buf, cap, "%s: %s%s%s", s->file, path, field ? "." : "", field ? field : "");
    else
        snprintf(buf, cap, "%s%s%s", s->file, field ? ": " : "", field ? field : "");
}

static const struct sheet *sort_sheet; /* qsort has no context argument */

static int by_line(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int li = sort_sheet->issues[i].line, lj = sort_sheet->issues[j].line;

    if (li != lj)
        return li < lj ? -1 : 1;
    return i < j ? -1 : i > j;
}

void sheet_print_issues(const struct sheet *s, FILE *f)
{
    size_t *order = malloc((s->nissues + 1) * sizeof(*order));
    char where[1200];

    for (size_t i = 0; i < s->nissues; i++) {
        if (order != NULL)
            order[i] = i;
    }
    if (order != NULL) {
        sort_sheet = s;
        qsort(order, s->nissues, sizeof(*order), by_line);
    }
    for (size_t k = 0; k < s->nissues; k++) {
        const struct sheet_issue *is = &s->issues[order != NULL ? order[k] : k];
        sheet_where(s, is->line, is->path, is->field, where, sizeof(where));
        fprintf(f, "%s: %s\n", where, is->message ? is->message : "(out of memory)");
    }
    free(order);
}

/* ---- reading ---- */

static bool read_all(const char *path, char **data, size_t *len, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t used = 0, size = 0;
    char *buf = NULL;

    if (f == NULL) {
        snprintf(err, cap, "cannot read: %s", strerror(errno));
        return false;
    }
    for (;;) {
        if (used == size) {
            char *grown = size < MAX_FILE_SIZE ? realloc(buf, size ? size * 2 : 65536) : NULL;
            if (grown == NULL) {
                snprintf(err, cap, size < MAX_FILE_SIZE ? "out of memory" : "larger than %u MiB",
                         MAX_FILE_SIZE >> 20);
                break;
            }
            buf = grown;
            size = size ? size * 2 : 65536;
        }
        size_t n = fread(buf + used, 1, size - used, f);
        used += n;
        if (n == 0) {
            if (ferror(f))
                snprintf(err, cap, "cannot read: %s", strerror(errno));
            else {
                fclose(f);
                *data = buf;
                *len = used;
                return true;
            }
            break;
        }
    }
    fclose(f);
    free(buf);
    return false;
}

bool sheet_read(struct sheet *s, char *err, size_t cap)
{
    char *data;
    size_t len, i = 0;
    bool ok;

    if (s->nomem) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    if (!read_all(s->file, &data, &len, err, cap))
        return false;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < len && data[i] == '{')
        ok = sheet_parse_json(s, data, len, err, cap);
    else
        ok = sheet_parse_csv(s, data, len, err, cap);
    free(data);
    return ok;
}

/* ---- UTF-8 ---- */

bool sheet_utf8_valid(const char *str, size_t len)
{
    const unsigned char *p = (const unsigned char *)str, *end = p + len;

    while (p < end) {
        unsigned c = *p;
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (n == 0 || (size_t)(end - p) < n || c == 0xC0 || c == 0xC1 || c > 0xF4)
            return false;
        uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
        for (size_t k = 1; k < n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[k] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n;
    }
    return true;
}

/* ---- evidence cells ---- */

void sheet_evidence_free(struct sheet_evidence *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ev[i].citation);
        free(ev[i].url);
        free(ev[i].date);
    }
    free(ev);
}

static bool is_date_shape(const char *s)
{
    static const char shape[] = "dddd-dd-dd";

    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return false;
    }
    return s[sizeof(shape) - 1] == '\0';
}

static bool is_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!is_date_shape(s))
        return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap);
}

bool sheet_evidence_check(const struct sheet_evidence *ev, char *err, size_t cap)
{
    if (ev->citation[0] == '\0') {
        snprintf(err, cap, "no citation");
        return false;
    }
    if (ev->url[0] != '\0' && strncmp(ev->url, "http://", 7) != 0 &&
        strncmp(ev->url, "https://", 8) != 0) {
        snprintf(err, cap, "URL \"%.200s\" does not start with http:// or https://", ev->url);
        return false;
    }
    if (ev->date[0] != '\0' && !is_date(ev->date)) {
        snprintf(err, cap, "date \"%.100s\" is not a date YYYY-MM-DD", ev->date);
        return false;
    }
    return true;
}

/* Copies [b, e) without the white space around it. */
static char *trimmed(const char *b, const char *e)
{
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    char *d = malloc((size_t)(e - b) + 1);
    if (d != NULL) {
        memcpy(d, b, (size_t)(e - b));
        d[e - b] = '\0';
    }
    return d;
}

/* One line of the cell: "citation [| url [| date]]" or "citation | date". */
static bool parse_item(const char *b, const char *e, struct sheet_evidence *ev, size_t item,
                       char *err, size_t cap)
{
    const char *bar[3];
    size_t nbar = 0;

    for (const char *p = b; p < e; p++) {
        if (*p == '|' && nbar++ < 2)
            bar[nbar - 1] = p;
    }
    if (nbar > 2) {
        snprintf(err, cap, "item %zu: more than three parts separated by \"|\"", item);
        return false;
    }
    ev->citation = trimmed(b, nbar > 0 ? bar[0] : e);
    char *second = nbar > 0 ? trimmed(bar[0] + 1, nbar > 1 ? bar[1] : e) : strdup("");
    char *third = nbar > 1 ? trimmed(bar[1] + 1, e) : strdup("");
    if (nbar == 1 && second != NULL && is_date_shape(second)) {
        ev->date = second; /* "citation | 2011-05-01" */
        ev->url = third;
    } else {
        ev->url = second;
        ev->date = third;
    }
    if (ev->citation == NULL || ev->url == NULL || ev->date == NULL) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    char why[300];
    if (!sheet_evidence_check(ev, why, sizeof(why))) {
        snprintf(err, cap, "item %zu: %s", item, why);
        return false;
    }
    return true;
}

static bool blank(const char *b, const char *e)
{
    for (; b < e; b++) {
        if (*b != ' ' && *b != '\t' && *b != '\r')
            return false;
    }
    return true;
}

bool sheet_evidence_parse(const char *cell, struct sheet_evidence **out, size_t *n, char *err,
                          size_t cap)
{
    struct sheet_evidence *ev = NULL;
    size_t count = 0;

    *out = NULL;
    *n = 0;
    for (const char *b = cell; *b != '\0';) {
        const char *e = strchr(b, '\n');
        if (e == NULL)
            e = b + strlen(b);
        if (!blank(b, e)) {
            struct sheet_evidence *grown = realloc(ev, (count + 1) * sizeof(*grown));
            if (grown == NULL) {
                snprintf(err, cap, "out of memory");
                sheet_evidence_free(ev, count);
                return false;
            }
            ev = grown;
            memset(&ev[count], 0, sizeof(ev[0]));
            count++;
            if (!parse_item(b, e, &ev[count - 1], count, err, cap)) {
                sheet_evidence_free(ev, count);
                return false;
            }
        }
        b = *e != '\0' ? e + 1 : e;
    }
    *out = ev;
    *n = count;
    return true;
}

char *sheet_evidence_format(Vigil__V1__Evidence *const *ev, size_t n)
{
    size_t len = 1;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(ev[i]->citation) + strlen(ev[i]->url) + strlen(ev[i]->date) + 8;
    if ((out = p = malloc(len)) == NULL)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        bool url = ev[i]->url[0] != '\0', date = ev[i]->date[0] != '\0';
        p += sprintf(p, "%s%s", i ? "\n" : "", ev[i]->citation);
        if (url || date)
            p += sprintf(p, url ? " | %s" : " |", ev[i]->url);
        if (date)
            p += sprintf(p, " | %s", ev[i]->date);
    }
    return out;
}
