/* sheetset: the assessment files of one `vigil submit` or `vigil import`
 * run, read the same way for both: each file read into a sheet (sheet.h),
 * the same state and cycle in two files refused, the methodology of every
 * cycle named asked once, each group (one state in one cycle) checked
 * against it and built into a submission (submission.h), and each file's
 * pending requests (pending.h) loaded under a lock on the file, so that two
 * runs never send the same file at once. Problems of the files are printed
 * on stderr; problems of rows become the sheets' issues. */
#ifndef VIGIL_CLI_SHEETSET_H
#define VIGIL_CLI_SHEETSET_H

#include "pending.h"
#include "remote.h"
#include "sheet.h"
#include "submission.h"

#include <stdbool.h>
#include <stddef.h>

struct sheetset_file {
    struct sheet sheet;
    struct pending pending;
    bool usable; /* read (and, once opened, its pending file loaded and locked) */
    int lock_fd; /* flock on the input file; -1 = none */
};

/* The methodology of one cycle, asked once. */
struct sheetset_method {
    const char *cycle;      /* borrowed from a sheet */
    ProtobufCMessage *resp; /* GetMethodologyResponse (owned); NULL when refused */
    char error[600];        /* why not, when refused */
};

struct sheetset {
    struct sheetset_file *files;
    size_t nfiles;
    struct sheetset_method *methods;
    size_t nmethods;
    bool file_error; /* a file could not be used at all */
    bool nomem;
};

/* What became of one group. */
enum sheetset_built {
    SHEETSET_BUILT,     /* checked and built */
    SHEETSET_INVALID,   /* errors in the file (issues recorded) */
    SHEETSET_UNCHECKED, /* its cycle's methodology was never asked (the link failed) */
};

/* Reads the n files (a file that cannot be read at all is reported on
 * stderr and marked unusable) and refuses a state and cycle given in two
 * files (an issue in the later one). Returns false when out of memory. */
bool sheetset_read(struct sheetset *ss, char *const paths[], size_t n)
    __attribute__((warn_unused_result));

/* The number of groups of the usable files. */
size_t sheetset_ngroups(const struct sheetset *ss);

/* Asks the methodology of every cycle named in a usable file. A refusal is
 * kept as that cycle's error; returns false when the link failed (r says
 * how; the cycles not asked yet stay unchecked) or out of memory (ss->nomem). */
bool sheetset_fetch_methods(struct sheetset *ss, struct remote *r)
    __attribute__((warn_unused_result));

/* Checks group g of file f against its cycle's methodology and builds sub
 * (clear it with submission_clear() when SHEETSET_BUILT). draft forces
 * drafts. A cycle refused by the server becomes an issue of the group. */
enum sheetset_built sheetset_build(struct sheetset *ss, size_t f, size_t g, struct submission *sub,
                                   bool draft);

/* Locks file f against a second run (vigil submit or import) and loads its
 * pending requests. Returns false, after printing why and marking the file
 * unusable, when it cannot. */
bool sheetset_open_pending(struct sheetset *ss, size_t f) __attribute__((warn_unused_result));

/* Prints every file's issues on stderr. */
void sheetset_print_issues(const struct sheetset *ss);

void sheetset_clear(struct sheetset *ss);

#endif
