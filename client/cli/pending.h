/* pending: the submissions of `vigil submit` that were sent, or about to be,
 * and not yet acknowledged, kept on disk next to the input file (FILE.pending)
 * so that a run cut short and started again sends the very same request
 * (same request_id, same base_revision) and the server answers it with the
 * original result instead of storing it twice.
 *
 * The file (JSON, written atomically: a temporary file, fsync, rename):
 *   {"vigil_pending": 1,
 *    "requests": [{"server": "127.0.0.1:7443", "state": "TH",
 *                  "cycle": "2009-2012", "request_id": "6f1c...",
 *                  "base_revision": 2, "content_sha256": "9a0b...",
 *                  "created_at": "2026-03-29T07:00:00Z"}]}
 * One entry per server, state and cycle; content_sha256 is the hash of the
 * submission's content (submission.h). The file is removed when it holds no
 * entry. */
#ifndef VIGIL_CLI_PENDING_H
#define VIGIL_CLI_PENDING_H

#include <stdbool.h>
#include <stddef.h>

struct pending_entry {
    char *server, *state, *cycle; /* owned */
    char *request_id;             /* owned */
    int base_revision;
    char *content_sha256; /* owned, 64 hex digits */
    char *created_at;     /* owned, RFC 3339 */
};

struct pending {
    char *path; /* FILE.pending (owned) */
    struct pending_entry *entries;
    size_t n;
};

/* Loads the pending file of input_file; an absent file is an empty list.
 * Returns false with the reason in err when it exists but cannot be read or
 * is not such a file (it is then left alone: nothing is resent wrongly). */
bool pending_load(struct pending *p, const char *input_file, char *err, size_t cap)
    __attribute__((warn_unused_result));

void pending_clear(struct pending *p);

/* The entry of (server, state, cycle), or NULL. Borrowed until the next
 * change of p. */
const struct pending_entry *pending_find(const struct pending *p, const char *server,
                                         const char *state, const char *cycle);

/* Adds or replaces the entry of (e->server, e->state, e->cycle) (copied; e
 * must not point into p) and saves the file. Returns false with the reason in err when it cannot be
 * saved: the caller must then not send the request. */
bool pending_put(struct pending *p, const struct pending_entry *e, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Removes the entry (if any) and saves the file (removing it when empty). */
bool pending_remove(struct pending *p, const char *server, const char *state, const char *cycle,
                    char *err, size_t cap) __attribute__((warn_unused_result));

/* The same changes in memory only, for a run that records many requests at
 * once (vigil import): pending_set() adds or replaces (false when out of
 * memory), pending_unset() removes, pending_save() writes the file as the
 * calls above do (and must succeed before the requests set are sent). */
bool pending_set(struct pending *p, const struct pending_entry *e)
    __attribute__((warn_unused_result));
void pending_unset(struct pending *p, const char *server, const char *state, const char *cycle);
bool pending_save(const struct pending *p, char *err, size_t cap)
    __attribute__((warn_unused_result));

#endif
