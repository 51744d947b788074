/* submission: one group of an assessment file (one state in one cycle) made
 * into the revision the server expects, checked against the cycle's
 * methodology first so that mistakes are reported with their file line:
 * labels mapped to level codes, every applicable indicator exactly once,
 * none that does not apply, entries in the methodology's order. Also the
 * content hash that tells whether a file changed since an interrupted run,
 * the comparison with a stored revision, and the way back from a server
 * error's field path ("entries[3].level") to the row it came from. Pure. */
#ifndef VIGIL_CLI_SUBMISSION_H
#define VIGIL_CLI_SUBMISSION_H

#include "sheet.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"

#include <jansson.h>
#include <stdbool.h>

struct submission {
    const struct sheet_group *group; /* borrowed from the sheet */
    json_t *content;                 /* state, cycle, draft, entries (codes), owned */
    const struct sheet_row **rows;   /* rows[i] gave entries[i] (owned array) */
    size_t nentries;
    char sha256[65]; /* of the canonical content: hex */
};

/* Builds sub from group g of s, checked against m; draft forces a draft.
 * Returns false when the group is bad or gets an issue here (recorded in s,
 * with the row's line), or on out of memory (s->nomem). On false sub needs
 * no clearing. A label is matched ignoring case ("No Data"); a level code is
 * accepted too. */
bool submission_build(struct submission *sub, struct sheet *s, size_t g,
                      const Vigil__V1__Methodology *m, bool draft)
    __attribute__((warn_unused_result));

void submission_clear(struct submission *sub);

/* The request to send: the content with request_id and base_revision. NULL
 * when out of memory. Free with protobuf_c_message_free_unpacked(req, NULL). */
Vigil__V1__SubmitRequest *submission_request(const struct submission *sub, const char *request_id,
                                             int base_revision);

/* Whether rev holds exactly this content: same draft flag and the same
 * entries (levels, justifications, evidence), in the same order. */
bool submission_same(const struct submission *sub, const Vigil__V1__Revision *rev);

/* The row a server message points at: "entries[3]..." gives rows[3], and
 * the field after it ("level", "evidence", ...) goes to field ("" when
 * none). NULL when the message names no entry (then field gets its leading
 * field name, such as "base_revision", when it has one). */
const struct sheet_row *submission_locate(const struct submission *sub, const char *msg,
                                          char *field, size_t cap);

#endif
