/* output: prints a command's results as an aligned table, CSV (RFC 4180,
 * LF line ends) or JSON (jansson), so that every command offers the same
 * --format choices through one code path. Rows are collected first, then
 * printed, so that table columns can be aligned. */
#ifndef VIGIL_CLI_OUTPUT_H
#define VIGIL_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum output_format { OUTPUT_TABLE, OUTPUT_CSV, OUTPUT_JSON };

/* "table", "csv" or "json" (exact, lower case). Returns false otherwise. */
bool output_format_parse(const char *name, enum output_format *f);

/* How a column's text is rendered in JSON; table and CSV print the text. */
enum output_type {
    OUTPUT_STRING, /* a JSON string (must be UTF-8) */
    OUTPUT_INT,    /* decimal text, a JSON integer */
    OUTPUT_BOOL,   /* "true" or "false", a JSON boolean */
};

struct output_column {
    const char *name;      /* table and CSV header, JSON key */
    enum output_type type; /* JSON rendering */
};

struct output;

/* A new, empty result with ncols columns; cols is borrowed until
 * output_free(). Returns NULL when out of memory. */
struct output *output_new(enum output_format f, const struct output_column *cols, size_t ncols);

/* Appends a row of ncols values (copied). A NULL value is absent: empty in a
 * table or CSV, null in JSON. Returns false when out of memory. */
bool output_add(struct output *o, const char *const values[]) __attribute__((warn_unused_result));

/* Prints the rows as a list: a table with a header line, CSV with a header
 * row, or a JSON array of objects. Returns false with a message in err when a
 * value does not fit its type (or is not UTF-8 for JSON), on out of memory,
 * or when writing to f fails. */
bool output_print_list(const struct output *o, FILE *f, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Prints the single row as one record: "name  value" lines in a table, a
 * header and one row in CSV, one JSON object. Errors as output_print_list(). */
bool output_print_record(const struct output *o, FILE *f, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Prints one CSV record of n cells (NULL = empty) on f, as output_print_list()
 * does: a cell is quoted when it holds a comma, a quote or a line break, or
 * starts or ends with white space; quotes are doubled; the record ends with
 * LF. For writers that stream rows instead of collecting them. */
void output_csv_record(FILE *f, const char *const cells[], size_t n);

/* Prints free text (a justification) for a terminal as tables do: control
 * characters and invalid UTF-8 become "?", except line breaks, each of which
 * starts a new line indented by indent spaces. */
void output_put_text(FILE *f, const char *s, size_t indent);

/* Frees o and every copied value. NULL is a no-op. */
void output_free(struct output *o);

/* Building tables row by row: returns out while ok, else frees it and
 * returns NULL (then cmd_emit reports out of memory). NULL stays NULL. */
struct output *output_checked(struct output *out, bool ok);

#endif
