/* output: table, CSV and JSON rendering of collected rows (see output.h). */
#include "output.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct output {
    enum output_format format;
    const struct output_column *cols; /* borrowed */
    size_t ncols;
    char **cells; /* nrows * ncols, row-major, owned; NULL = absent */
    size_t nrows;
    size_t cap_rows;
};

bool output_format_parse(const char *name, enum output_format *f)
{
    static const char *const names[] = {"table", "csv", "json"};

    for (size_t i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *f = (enum output_format)i;
            return true;
        }
    }
    return false;
}

struct output *output_new(enum output_format f, const struct output_column *cols, size_t ncols)
{
    struct output *o = calloc(1, sizeof(*o));

    if (o == NULL)
        return NULL;
    o->format = f;
    o->cols = cols;
    o->ncols = ncols;
    return o;
}

void output_free(struct output *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->nrows * o->ncols; i++)
        free(o->cells[i]);
    free(o->cells);
    free(o);
}

bool output_add(struct output *o, const char *const values[])
{
    if (o->nrows == o->cap_rows) {
        size_t cap = o->cap_rows != 0 ? o->cap_rows * 2 : 16;
        char **grown = realloc(o->cells, cap * o->ncols * sizeof(*grown));
        if (grown == NULL)
            return false;
        o->cells = grown;
        o->cap_rows = cap;
    }
    char **row = o->cells + o->nrows * o->ncols;
    for (size_t i = 0; i < o->ncols; i++) {
        row[i] = NULL;
        if (values[i] != NULL && (row[i] = strdup(values[i])) == NULL) {
            while (i-- > 0)
                free(row[i]);
            return false;
        }
    }
    o->nrows++;
    return true;
}

static const char *cell(const struct output *o, size_t row, size_t col)
{
    return o->cells[row * o->ncols + col];
}

/* ---- table ---- */

/* Decodes one UTF-8 sequence; an invalid byte counts as one U+FFFD. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7F >> len);

    if (len == 0 || s[0] > 0xF4)
        goto invalid;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto invalid;
        v = v << 6 | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
invalid:
    *cp = 0xFFFD;
    return 1;
}

/* Control characters from the server must not reach the terminal, where they
 * could move the cursor or rewrite earlier lines. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

static size_t display_width(const char *s)
{
    size_t w = 0;
    uint32_t cp;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        p += utf8_next(p, &cp);
        int cw = is_control(cp) ? 1 : wcwidth((wchar_t)cp);
        w += cw < 0 ? 1 : (size_t)cw;
    }
    return w;
}

static void put_safe(FILE *f, const char *s, size_t pad_to)
{
    uint32_t cp;
    size_t w = display_width(s);

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        size_t n = utf8_next(p, &cp);
        if (is_control(cp) || cp == 0xFFFD)
            fputc('?', f);
        else
            fwrite(p, 1, n, f);
        p += n;
    }
    for (; w < pad_to; w++)
        fputc(' ', f);
}

void output_put_text(FILE *f, const char *s, size_t indent)
{
    uint32_t cp;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        size_t n = utf8_next(p, &cp);
        if (cp == '\n')
            fprintf(f, "\n%*s", (int)indent, "");
        else if (cp == '\r' && p[1] == '\n')
            ; /* the \n that follows breaks the line */
        else if (is_control(cp) || cp == 0xFFFD)
            fputc('?', f);
        else
            fwrite(p, 1, n, f);
        p += n;
    }
}

static bool print_table(const struct output *o, FILE *f, char *err, size_t cap)
{
    size_t *width = calloc(o->ncols, sizeof(*width));

    if (width == NULL) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    for (size_t c = 0; c < o->ncols; c++) {
        width[c] = display_width(o->cols[c].name);
        for (size_t r = 0; r < o->nrows; r++) {
            size_t w = cell(o, r, c) != NULL ? display_width(cell(o, r, c)) : 0;
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (size_t r = 0; r <= o->nrows; r++) {
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = r == 0 ? o->cols[c].name : cell(o, r - 1, c);
            bool last = c + 1 == o->ncols;
            put_safe(f, v != NULL ? v : "", last ? 0 : width[c] + 2);
        }
        fputc('\n', f);
    }
    free(width);
    return true;
}

static bool print_record_table(const struct output *o, FILE *f)
{
    size_t width = 0;

    for (size_t c = 0; c < o->ncols; c++) {
        size_t w = display_width(o->cols[c].name);
        width = w > width ? w : width;
    }
    for (size_t c = 0; c < o->ncols; c++) {
        put_safe(f, o->cols[c].name, width + 2);
        put_safe(f, cell(o, 0, c) != NULL ? cell(o, 0, c) : "", 0);
        fputc('\n', f);
    }
    return true;
}

/* ---- CSV ---- */

static void put_csv(FILE *f, const char *s)
{
    size_t len = strlen(s);
    /* Quoted too: white space at either end, which many CSV readers trim. */
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (len > 0 && (strchr(" \t", s[0]) != NULL || strchr(" \t", s[len - 1]) != NULL));

    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void output_csv_record(FILE *f, const char *const cells[], size_t n)
{
    for (size_t c = 0; c < n; c++) {
        if (c > 0)
            fputc(',', f);
        put_csv(f, cells[c] != NULL ? cells[c] : "");
    }
    fputc('\n', f);
}

static bool print_csv(const struct output *o, FILE *f, char *err, size_t cap)
{
    const char **row = calloc(o->ncols + 1, sizeof(*row));

    if (row == NULL) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    for (size_t r = 0; r <= o->nrows; r++) {
        for (size_t c = 0; c < o->ncols; c++)
            row[c] = r == 0 ? o->cols[c].name : cell(o, r - 1, c);
        output_csv_record(f, row, o->ncols);
    }
    free(row);
    return true;
}

/* ---- JSON ---- */

static json_t *json_value(const struct output_column *col, const char *v, char *err, size_t cap)
{
    json_t *j = NULL;
    char *end;

    if (v == NULL)
        return json_null();
    switch (col->type) {
    case OUTPUT_STRING:
        if ((j = json_string(v)) == NULL)
            snprintf(err, cap, "field %s is not valid UTF-8", col->name);
        return j;
    case OUTPUT_INT:
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0') {
            snprintf(err, cap, "field %s: \"%s\" is not an integer", col->name, v);
            return NULL;
        }
        return json_integer(n);
    case OUTPUT_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
            return json_boolean(v[0] == 't');
        snprintf(err, cap, "field %s: \"%s\" is not a boolean", col->name, v);
        return NULL;
    }
    return NULL;
}

static json_t *json_row(const struct output *o, size_t r, char *err, size_t cap)
{
    json_t *obj = json_object();

    if (obj == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    for (size_t c = 0; c < o->ncols; c++) {
        err[0] = '\0';
        json_t *v = json_value(&o->cols[c], cell(o, r, c), err, cap);
        if (v == NULL || json_object_set_new(obj, o->cols[c].name, v) != 0) {
            if (err[0] == '\0')
                snprintf(err, cap, "out of memory");
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static bool print_json(const struct output *o, FILE *f, bool list, char *err, size_t cap)
{
    json_t *root = list ? json_array() : json_row(o, 0, err, cap);

    if (root == NULL) {
        if (list)
            snprintf(err, cap, "out of memory");
        return false;
    }
    for (size_t r = 0; list && r < o->nrows; r++) {
        json_t *row = json_row(o, r, err, cap);
        if (row == NULL || json_array_append_new(root, row) != 0) {
            if (row != NULL)
                snprintf(err, cap, "out of memory");
            json_decref(root);
            return false;
        }
    }
    int rc = json_dumpf(root, f, JSON_INDENT(2));
    json_decref(root);
    fputc('\n', f);
    if (rc != 0) {
        snprintf(err, cap, "cannot write JSON output");
        return false;
    }
    return true;
}

/* ---- entry points ---- */

static bool finish(FILE *f, bool ok, char *err, size_t cap)
{
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, cap, "cannot write output: %s", strerror(errno));
        return false;
    }
    return ok;
}

bool output_print_list(const struct output *o, FILE *f, char *err, size_t cap)
{
    bool ok;

    switch (o->format) {
    case OUTPUT_TABLE:
        ok = print_table(o, f, err, cap);
        break;
    case OUTPUT_CSV:
        ok = print_csv(o, f, err, cap);
        break;
    default:
        ok = print_json(o, f, true, err, cap);
        break;
    }
    return finish(f, ok, err, cap);
}

bool output_print_record(const struct output *o, FILE *f, char *err, size_t cap)
{
    bool ok;

    if (o->nrows != 1) {
        snprintf(err, cap, "internal error: a record needs exactly one row, not %zu", o->nrows);
        return false;
    }
    switch (o->format) {
    case OUTPUT_TABLE:
        ok = print_record_table(o, f);
        break;
    case OUTPUT_CSV:
        ok = print_csv(o, f, err, cap);
        break;
    default:
        ok = print_json(o, f, false, err, cap);
        break;
    }
    return finish(f, ok, err, cap);
}

struct output *output_checked(struct output *out, bool ok)
{
    if (out != NULL && !ok) {
        output_free(out);
        return NULL;
    }
    return out;
}
