/* snapshot: the staging directory of `vigil export`, the files written
 * record by record, and the move into place once complete (see snapshot.h). */
#include "snapshot.h"
#include "exportfmt.h"
#include "output.h"
#include "pbjson.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPSHOT_JSON "snapshot.json"
#define BOM           "\xEF\xBB\xBF"

static const char *const file_names[2][SNAPSHOT_NFILES] = {
    [SNAPSHOT_CSV] = {"methodology.json", "assessments.csv", "evidence.csv", "ranking.csv",
                      "aggregates.csv"},
    [SNAPSHOT_JSONL] = {"methodology.jsonl", "assessments.jsonl", NULL, "ranking.jsonl",
                        "aggregates.jsonl"},
};

static const char *const format_names[2] = {"csv", "jsonl"};

bool snapshot_format_parse(const char *name, enum snapshot_format *f)
{
    for (int i = 0; i < 2; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *f = (enum snapshot_format)i;
            return true;
        }
    }
    return false;
}

const char *snapshot_file_name(enum snapshot_format f, enum snapshot_file k)
{
    return file_names[f][k];
}

static bool failf(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool failf(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return false;
}

/* dir/name, malloc'd; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);

    if (p != NULL)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* Makes the directory's entries durable (renames, removals). Best effort:
 * a file system without directory fsync loses nothing else. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* ---- begin ---- */

static bool make_dir(const char *dir, char *err, size_t cap)
{
    struct stat st;

    if (mkdir(dir, 0777) == 0)
        return true;
    if (errno != EEXIST)
        return failf(err, cap, "cannot create %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return failf(err, cap, "%s exists and is not a directory", dir);
    return true;
}

static bool open_file(struct snapshot *s, enum snapshot_file k, char *err, size_t cap)
{
    const char *name = file_names[s->format][k];
    char *path = join(s->stage, name);

    if (path == NULL)
        return failf(err, cap, "out of memory");
    s->files[k] = fopen(path, "wxe");
    free(path);
    if (s->files[k] == NULL)
        return failf(err, cap, "cannot create %s in %s: %s", name, s->stage, strerror(errno));
    if (s->format == SNAPSHOT_CSV && strstr(name, ".csv") != NULL)
        fputs(BOM, s->files[k]);
    return true;
}

bool snapshot_begin(struct snapshot *s, const char *dir, enum snapshot_format f, char *err,
                    size_t cap)
{
    *s = (struct snapshot){.format = f, .dir = strdup(dir)};
    s->stage = s->dir != NULL ? join(dir, ".export-partial-XXXXXX") : NULL;
    if (s->stage == NULL) {
        snapshot_clear(s);
        return failf(err, cap, "out of memory");
    }
    if (!make_dir(dir, err, cap) ||
        (mkdtemp(s->stage) == NULL &&
         !failf(err, cap, "cannot create a directory in %s: %s", dir, strerror(errno)))) {
        free(s->stage);
        s->stage = NULL; /* not made: nothing to remove */
        snapshot_clear(s);
        return false;
    }
    for (int k = 0; k < SNAPSHOT_NFILES; k++) {
        if (file_names[f][k] != NULL && !open_file(s, k, err, cap)) {
            snapshot_clear(s);
            return false;
        }
    }
    if (f == SNAPSHOT_CSV) {
        output_csv_record(s->files[SNAPSHOT_ASSESSMENTS], exportfmt_assessment_columns,
                          EXPORTFMT_ASSESSMENT_NCOLS);
        output_csv_record(s->files[SNAPSHOT_EVIDENCE], exportfmt_evidence_columns,
                          EXPORTFMT_EVIDENCE_NCOLS);
    }
    return true;
}

/* ---- records ---- */

static bool once(bool *seen, const char *kind, char *err, size_t cap)
{
    if (*seen)
        return failf(err, cap, "the server sent a second %s record", kind);
    *seen = true;
    return true;
}

static bool add_methodology(struct snapshot *s, Vigil__V1__ExportRecord *r, char *err, size_t cap)
{
    FILE *f = s->files[SNAPSHOT_METHODOLOGY];

    if (s->method != NULL)
        return failf(err, cap, "the server sent a second METHODOLOGY record");
    if (r->methodology == NULL)
        return failf(err, cap, "the METHODOLOGY record holds no methodology");
    s->method = r;
    if (s->format == SNAPSHOT_JSONL)
        return exportfmt_message_jsonl(f, &r->methodology->base, err, cap);
    json_t *j = pbjson_encode(&r->methodology->base);
    int rc = j != NULL ? json_dumpf(j, f, JSON_INDENT(2)) : -1;
    json_decref(j);
    fputc('\n', f);
    return rc == 0 || failf(err, cap, "out of memory writing the methodology");
}

static bool add_assessment(struct snapshot *s, const Vigil__V1__ExportRecord *r, char *err,
                           size_t cap)
{
    size_t n = 0;
    bool ok = s->format == SNAPSHOT_CSV
                  ? exportfmt_assessment_csv(s->files[SNAPSHOT_ASSESSMENTS],
                                             s->files[SNAPSHOT_EVIDENCE], r, &n, err, cap)
                  : exportfmt_assessment_jsonl(s->files[SNAPSHOT_ASSESSMENTS], r, &n, err, cap);

    s->assessments++;
    s->evidence += n;
    return ok;
}

static bool add_ranking(struct snapshot *s, const Vigil__V1__ExportRecord *r, char *err, size_t cap)
{
    FILE *f = s->files[SNAPSHOT_RANKING];

    if (!once(&s->ranking, "RANKING", err, cap))
        return false;
    if (r->ranking == NULL)
        return failf(err, cap, "the RANKING record holds no ranking");
    if (s->format == SNAPSHOT_JSONL)
        return exportfmt_message_jsonl(f, &r->ranking->base, err, cap);
    return exportfmt_ranking_csv(f, r->ranking, s->method != NULL ? s->method->methodology : NULL,
                                 err, cap);
}

static bool add_aggregates(struct snapshot *s, const Vigil__V1__ExportRecord *r, char *err,
                           size_t cap)
{
    FILE *f = s->files[SNAPSHOT_AGGREGATES];

    if (!once(&s->aggregates, "AGGREGATES", err, cap))
        return false;
    if (r->aggregates == NULL)
        return failf(err, cap, "the AGGREGATES record holds no aggregates");
    if (s->format == SNAPSHOT_JSONL)
        return exportfmt_message_jsonl(f, &r->aggregates->base, err, cap);
    return exportfmt_aggregates_csv(f, r->aggregates, err, cap);
}

/* Writes r; true when r is kept by s (HEADER, METHODOLOGY). */
static bool dispatch(struct snapshot *s, Vigil__V1__ExportRecord *r, bool *kept, char *err,
                     size_t cap)
{
    *kept = false;
    if (s->header == NULL && r->kind != VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_HEADER)
        return failf(err, cap, "the server sent a record (kind %d) before the HEADER", r->kind);
    switch (r->kind) {
    case VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_HEADER:
        if (s->header != NULL)
            return failf(err, cap, "the server sent a second HEADER record");
        if (r->header == NULL)
            return failf(err, cap, "the HEADER record holds no header");
        s->header = r;
        *kept = true;
        return true;
    case VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_METHODOLOGY:
        *kept = s->method == NULL && r->methodology != NULL;
        return add_methodology(s, r, err, cap);
    case VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_ASSESSMENT:
        return add_assessment(s, r, err, cap);
    case VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_RANKING:
        return add_ranking(s, r, err, cap);
    case VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_AGGREGATES:
        return add_aggregates(s, r, err, cap);
    default:
        return failf(err, cap, "the server sent a record of unknown kind %d", r->kind);
    }
}

bool snapshot_add(struct snapshot *s, Vigil__V1__ExportRecord *r, char *err, size_t cap)
{
    bool kept;
    bool ok = dispatch(s, r, &kept, err, cap);

    if (!kept)
        protobuf_c_message_free_unpacked(&r->base, NULL);
    return ok;
}

/* ---- finish ---- */

static bool check_end(const struct snapshot *s, const Vigil__V1__ExportHeader *end, char *err,
                      size_t cap)
{
    const Vigil__V1__ExportHeader *h = s->header != NULL ? s->header->header : NULL;

    if (h == NULL)
        return failf(err, cap, "the export ended without a HEADER record");
    if (s->method == NULL || !s->ranking || !s->aggregates)
        return failf(err, cap, "the export ended without its %s record",
                     s->method == NULL ? "METHODOLOGY"
                     : !s->ranking     ? "RANKING"
                                       : "AGGREGATES");
    if (strcmp(end->cycle, h->cycle) != 0 || end->version != h->version)
        return failf(err, cap, "the END record names %s version %d, the HEADER %s version %d",
                     end->cycle, end->version, h->cycle, h->version);
    if (end->assessments != (int64_t)s->assessments || end->evidence != (int64_t)s->evidence)
        return failf(err, cap,
                     "the server says it sent %lld assessments with %lld evidence items; %zu "
                     "with %zu arrived",
                     (long long)end->assessments, (long long)end->evidence, s->assessments,
                     s->evidence);
    return true;
}

/* Flushes, syncs and closes f. */
static bool close_file(FILE **f, const char *name, char *err, size_t cap)
{
    bool ok = fflush(*f) == 0 && !ferror(*f) && fsync(fileno(*f)) == 0;
    int saved = errno;

    ok = fclose(*f) == 0 && ok;
    *f = NULL;
    return ok || failf(err, cap, "cannot write %s: %s", name, strerror(saved ? saved : errno));
}

static bool write_description(struct snapshot *s, const Vigil__V1__ExportHeader *end, char *err,
                              size_t cap)
{
    const char *names[SNAPSHOT_NFILES + 1];
    size_t n = 0;

    for (int k = 0; k < SNAPSHOT_NFILES; k++) {
        if (file_names[s->format][k] != NULL)
            names[n++] = file_names[s->format][k];
    }
    json_t *j = exportfmt_snapshot_json(end, format_names[s->format], names, n);
    char *path = join(s->stage, SNAPSHOT_JSON);
    bool nomem = j == NULL || path == NULL;
    FILE *f = !nomem ? fopen(path, "wxe") : NULL;
    int saved = errno;

    free(path);
    if (f == NULL) {
        json_decref(j);
        return failf(err, cap, "cannot create %s: %s", SNAPSHOT_JSON,
                     nomem ? "out of memory" : strerror(saved));
    }
    int rc = json_dumpf(j, f, JSON_INDENT(2));
    json_decref(j);
    fputc('\n', f);
    return close_file(&f, SNAPSHOT_JSON, err, cap) &&
           (rc == 0 || failf(err, cap, "cannot write %s", SNAPSHOT_JSON));
}

/* Removes DIR/name; a missing file is fine. */
static bool remove_in(const char *dir, const char *name, char *err, size_t cap)
{
    char *path = join(dir, name);
    bool ok = path != NULL && (unlink(path) == 0 || errno == ENOENT);

    if (!ok)
        failf(err, cap, "cannot remove %s/%s: %s", dir, name,
              path == NULL ? "out of memory" : strerror(errno));
    free(path);
    return ok;
}

static bool move_in(const struct snapshot *s, const char *name, char *err, size_t cap)
{
    char *from = join(s->stage, name), *to = join(s->dir, name);
    bool ok = from != NULL && to != NULL && rename(from, to) == 0;

    if (!ok)
        failf(err, cap, "cannot move %s into %s: %s (%s holds no complete snapshot now)", name,
              s->dir, from == NULL || to == NULL ? "out of memory" : strerror(errno), s->dir);
    free(from);
    free(to);
    return ok;
}

/* snapshot.json goes first, the files of either format follow, the new
 * files come in, snapshot.json last. */
static bool move_all(struct snapshot *s, char *err, size_t cap)
{
    if (!remove_in(s->dir, SNAPSHOT_JSON, err, cap))
        return false;
    for (int f = 0; f < 2; f++) {
        for (int k = 0; k < SNAPSHOT_NFILES; k++) {
            if (file_names[f][k] != NULL && !remove_in(s->dir, file_names[f][k], err, cap))
                return false;
        }
    }
    sync_dir(s->dir);
    for (int k = 0; k < SNAPSHOT_NFILES; k++) {
        if (file_names[s->format][k] != NULL && !move_in(s, file_names[s->format][k], err, cap))
            return false;
    }
    if (!move_in(s, SNAPSHOT_JSON, err, cap))
        return false;
    sync_dir(s->dir);
    if (rmdir(s->stage) == 0) {
        free(s->stage);
        s->stage = NULL;
    }
    return true;
}

bool snapshot_finish(struct snapshot *s, const Vigil__V1__ExportHeader *end, char *err, size_t cap)
{
    if (!check_end(s, end, err, cap))
        return false;
    for (int k = 0; k < SNAPSHOT_NFILES; k++) {
        if (s->files[k] != NULL && !close_file(&s->files[k], file_names[s->format][k], err, cap))
            return false;
    }
    return write_description(s, end, err, cap) && move_all(s, err, cap);
}

void snapshot_clear(struct snapshot *s)
{
    for (int k = 0; k < SNAPSHOT_NFILES; k++) {
        if (s->files[k] != NULL)
            fclose(s->files[k]);
    }
    if (s->stage != NULL) {
        char scratch[256];
        for (int k = 0; k < SNAPSHOT_NFILES; k++) {
            if (file_names[s->format][k] != NULL)
                (void)remove_in(s->stage, file_names[s->format][k], scratch, sizeof(scratch));
        }
        (void)remove_in(s->stage, SNAPSHOT_JSON, scratch, sizeof(scratch));
        (void)rmdir(s->stage);
    }
    if (s->header != NULL)
        protobuf_c_message_free_unpacked(&s->header->base, NULL);
    if (s->method != NULL)
        protobuf_c_message_free_unpacked(&s->method->base, NULL);
    free(s->stage);
    free(s->dir);
    *s = (struct snapshot){0};
}
