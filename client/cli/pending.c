/* pending: unacknowledged submissions kept next to the input file (see
 * pending.h). */
#include "pending.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PENDING_VERSION 1

static void entry_free(struct pending_entry *e)
{
    free(e->server);
    free(e->state);
    free(e->cycle);
    free(e->request_id);
    free(e->content_sha256);
    free(e->created_at);
    memset(e, 0, sizeof(*e));
}

void pending_clear(struct pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        entry_free(&p->entries[i]);
    free(p->entries);
    free(p->path);
    memset(p, 0, sizeof(*p));
}

static bool entry_copy(struct pending_entry *d, const struct pending_entry *s)
{
    *d = (struct pending_entry){strdup(s->server),     strdup(s->state), strdup(s->cycle),
                                strdup(s->request_id), s->base_revision, strdup(s->content_sha256),
                                strdup(s->created_at)};
    if (d->server && d->state && d->cycle && d->request_id && d->content_sha256 && d->created_at)
        return true;
    entry_free(d);
    return false;
}

static bool append(struct pending *p, const struct pending_entry *e)
{
    struct pending_entry *grown = realloc(p->entries, (p->n + 1) * sizeof(*grown));

    if (grown == NULL)
        return false;
    p->entries = grown;
    if (!entry_copy(&p->entries[p->n], e))
        return false;
    p->n++;
    return true;
}

static bool load_entry(struct pending *p, json_t *j, size_t i, char *err, size_t cap)
{
    struct pending_entry e = {0};
    json_int_t base = 0;
    const char *sv, *st, *cy, *id, *sha, *at;
    json_error_t je;

    if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "server", &sv,
                       "state", &st, "cycle", &cy, "request_id", &id, "base_revision", &base,
                       "content_sha256", &sha, "created_at", &at) != 0) {
        snprintf(err, cap, "%s: requests[%zu]: %s", p->path, i, je.text);
        return false;
    }
    e = (struct pending_entry){(char *)sv, (char *)st,  (char *)cy, (char *)id,
                               (int)base,  (char *)sha, (char *)at};
    if (!append(p, &e)) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    return true;
}

static bool parse(struct pending *p, json_t *root, char *err, size_t cap)
{
    json_t *list = NULL, *j;
    json_int_t version = 0;
    json_error_t je;
    size_t i;

    if (json_unpack_ex(root, &je, JSON_STRICT, "{s:I, s:o}", "vigil_pending", &version, "requests",
                       &list) != 0 ||
        version != PENDING_VERSION || !json_is_array(list)) {
        snprintf(err, cap, "%s: not a pending file of this vigil (%s)", p->path,
                 version != PENDING_VERSION ? "unknown version" : je.text);
        return false;
    }
    json_array_foreach(list, i, j)
    {
        if (!load_entry(p, j, i, err, cap))
            return false;
    }
    return true;
}

bool pending_load(struct pending *p, const char *input_file, char *err, size_t cap)
{
    size_t len = strlen(input_file) + sizeof(".pending");
    json_error_t je;

    memset(p, 0, sizeof(*p));
    if ((p->path = malloc(len)) == NULL) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    snprintf(p->path, len, "%s.pending", input_file);
    json_t *root = json_load_file(p->path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (access(p->path, F_OK) != 0 && errno == ENOENT)
            return true;
        snprintf(err, cap, "%s: line %d: %s", p->path, je.line, je.text);
        return false;
    }
    bool ok = parse(p, root, err, cap);
    json_decref(root);
    return ok;
}

const struct pending_entry *pending_find(const struct pending *p, const char *server,
                                         const char *state, const char *cycle)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct pending_entry *e = &p->entries[i];
        if (strcmp(e->server, server) == 0 && strcmp(e->state, state) == 0 &&
            strcmp(e->cycle, cycle) == 0)
            return e;
    }
    return NULL;
}

static json_t *to_json(const struct pending *p)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < p->n; i++) {
        const struct pending_entry *e = &p->entries[i];
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "server", e->server, "state",
                              e->state, "cycle", e->cycle, "request_id", e->request_id,
                              "base_revision", e->base_revision, "content_sha256",
                              e->content_sha256, "created_at", e->created_at);
        if (j == NULL || json_array_append_new(list, j) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list != NULL
               ? json_pack("{s:i, s:o}", "vigil_pending", PENDING_VERSION, "requests", list)
               : NULL;
}

/* Makes a rename or unlink in path's folder durable. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd = copy != NULL ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

static bool write_file(const char *path, const char *tmp, const char *text, char *err, size_t cap)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text), done = 0;

    if (fd < 0) {
        snprintf(err, cap, "cannot write %s: %s", tmp, strerror(errno));
        return false;
    }
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done < len || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    sync_dir(path);
    return true;
}

static bool save(const struct pending *p, char *err, size_t cap)
{
    if (p->n == 0) {
        if (unlink(p->path) != 0 && errno != ENOENT) {
            snprintf(err, cap, "cannot remove %s: %s", p->path, strerror(errno));
            return false;
        }
        sync_dir(p->path);
        return true;
    }
    json_t *root = to_json(p);
    char *text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
    size_t len = strlen(p->path) + sizeof(".tmp");
    char *tmp = malloc(len);
    bool ok = false;

    if (text == NULL || tmp == NULL)
        snprintf(err, cap, "out of memory");
    else {
        snprintf(tmp, len, "%s.tmp", p->path);
        ok = write_file(p->path, tmp, text, err, cap);
    }
    free(tmp);
    free(text);
    json_decref(root);
    return ok;
}

/* Removes the entry of (server, state, cycle) from memory; false if none. */
static bool drop(struct pending *p, const char *server, const char *state, const char *cycle)
{
    for (size_t i = 0; i < p->n; i++) {
        struct pending_entry *e = &p->entries[i];
        if (strcmp(e->server, server) == 0 && strcmp(e->state, state) == 0 &&
            strcmp(e->cycle, cycle) == 0) {
            entry_free(e);
            memmove(e, e + 1, (p->n - i - 1) * sizeof(*e));
            p->n--;
            return true;
        }
    }
    return false;
}

bool pending_put(struct pending *p, const struct pending_entry *e, char *err, size_t cap)
{
    drop(p, e->server, e->state, e->cycle);
    if (!append(p, e)) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    return save(p, err, cap);
}

bool pending_remove(struct pending *p, const char *server, const char *state, const char *cycle,
                    char *err, size_t cap)
{
    return !drop(p, server, state, cycle) || save(p, err, cap);
}

bool pending_set(struct pending *p, const struct pending_entry *e)
{
    drop(p, e->server, e->state, e->cycle);
    return append(p, e);
}

void pending_unset(struct pending *p, const char *server, const char *state, const char *cycle)
{
    drop(p, server, state, cycle);
}

bool pending_save(const struct pending *p, char *err, size_t cap)
{
    return save(p, err, cap);
}
