/* h_assess: what the tests of issue 3 stand on: a daemon with the three test
 * offices and a client for each, calls of the Catalog, Offices and
 * Assessments services that keep the status code and message, a complete
 * valid Submit of the "ecpat-2012" methodology to start from, and a
 * fingerprint of the database (every table's row count) to prove that a
 * refused call stored nothing. */
#ifndef H_ASSESS_H
#define H_ASSESS_H

#include "h_client.h"
#include "h_daemon.h"
#include "h_db.h"

#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stddef.h>
#include <vigil.h>

/* Reference data loaded by the migrations. */
#define H_CYCLE        "2009-2012"
#define H_METHODOLOGY  "ecpat-2012"
#define H_N_INDICATORS 16
#define H_IDX_CA1      12 /* index of CA.1 in a request from h_submit_new */
#define H_IDX_CA2      13

/* gRPC status codes the tests expect. */
enum h_code {
    H_OK = 0,
    H_INVALID_ARGUMENT = 3,
    H_NOT_FOUND = 5,
    H_ALREADY_EXISTS = 6,
    H_PERMISSION_DENIED = 7,
    H_FAILED_PRECONDITION = 9,
    H_ABORTED = 10,
};

/* Method paths. */
#define H_HEALTH           "/grpc.health.v1.Health/Check"
#define H_WHOAMI           "/vigil.v1.Offices/WhoAmI"
#define H_LIST_OFFICES     "/vigil.v1.Offices/ListOffices"
#define H_ADD_OFFICE       "/vigil.v1.Offices/AddOffice"
#define H_ADD_CERTIFICATE  "/vigil.v1.Offices/AddCertificate"
#define H_SET_SCOPE        "/vigil.v1.Offices/SetScope"
#define H_SET_ACTIVE       "/vigil.v1.Offices/SetActive"
#define H_LIST_REGIONS     "/vigil.v1.Catalog/ListRegions"
#define H_LIST_STATES      "/vigil.v1.Catalog/ListStates"
#define H_LIST_CYCLES      "/vigil.v1.Catalog/ListCycles"
#define H_GET_METHODOLOGY  "/vigil.v1.Catalog/GetMethodology"
#define H_LOAD_METHODOLOGY "/vigil.v1.Catalog/LoadMethodology"
#define H_CREATE_CYCLE     "/vigil.v1.Catalog/CreateCycle"
#define H_SET_CYCLE_STATUS "/vigil.v1.Catalog/SetCycleStatus"
#define H_SUBMIT           "/vigil.v1.Assessments/Submit"
#define H_GET              "/vigil.v1.Assessments/Get"
#define H_LIST_REVISIONS   "/vigil.v1.Assessments/ListRevisions"
#define H_LIST             "/vigil.v1.Assessments/List"
#define H_REVIEW           "/vigil.v1.Assessments/Review"
#define H_LIST_AUDIT       "/vigil.v1.Assessments/ListAudit"

/* The indicator codes of ecpat-2012 in the methodology's order. */
extern const char *const h_indicators[H_N_INDICATORS];

/* The outcome of one call. */
struct h_rpc {
    int code;               /* gRPC status: 0 OK; -1 when none came (transport failure) */
    enum vigil_status st;   /* libvigil's result */
    char msg[1024];         /* grpc-message, or libvigil's message when code is -1 */
    ProtobufCMessage *resp; /* the answer when code is 0, owned: h_rpc_clear frees it */
};

/* Calls method (one of the paths above, whose response type is looked up)
 * with req and a 10 s deadline. Frees the previous answer kept in r. Never
 * asserts (usable from any thread). Returns r->code. */
int h_rpc_call(struct h_rpc *r, struct vigil_client *c, const char *method,
               const ProtobufCMessage *req);

/* Frees r's answer; r can be reused. */
void h_rpc_clear(struct h_rpc *r);

/* Fails the test unless r->code is code and, when field is not NULL, the
 * message contains field. what names the call in the failure message. */
void h_rpc_expect(const struct h_rpc *r, int code, const char *field, const char *what);

/* Criterion's parameters for a table of n cases: the indices 0..n-1 (a
 * test's worker may not share the runner's addresses, so parameters carry
 * no pointers; the test looks its case up in its own static table). */
struct criterion_test_params h_param_indices(size_t n);

/* A daemon on a fresh database with the test offices (central, regional for
 * region "150" = Europe, partner) and a libvigil client for each. */
struct h_assess_env {
    struct h_db db;
    struct h_daemon d;
    struct vigil_client *central;
    struct vigil_client *regional;
    struct vigil_client *partner;
};

/* Fails the test on error. Call from the test's main thread. */
void h_assess_start(struct h_assess_env *e);
void h_assess_stop(struct h_assess_env *e);

/* The client of who ("central", "regional", "partner"), borrowed. */
struct vigil_client *h_assess_client(const struct h_assess_env *e, const char *who);

/* A fresh request id, unique in the run ("t-PID-N"); malloc'd. */
char *h_request_id(void);

/* Replaces a string field of a heap message (as h_submit_new makes them):
 * frees the old value, stores a copy of value. */
void h_str_set(char **field, const char *value);

/* Replaces it with n copies of unit (e.g. 4001 x "a", or 4000 x a Thai letter). */
void h_str_repeat(char **field, const char *unit, size_t n);

/* A complete valid SubmitRequest for state and cycle on base_revision, every
 * part on the heap as protobuf-c unpacks it (free it with h_submit_free, or
 * protobuf_c_message_free_unpacked): a fresh request_id; the 16 indicators
 * in the methodology's order (PR.1-PR.8 at 0-7, PV.1-PV.4 at 8-11, CA.1-CA.4
 * at 12-15), each with level "yes" (CA.2 "adequate"), a justification naming
 * it and one evidence item with citation, https url and date. */
Vigil__V1__SubmitRequest *h_submit_new(const char *state, const char *cycle, int base_revision);
void h_submit_free(Vigil__V1__SubmitRequest *req); /* NULL is a no-op */

/* The entry of indicator, or NULL. */
Vigil__V1__Entry *h_submit_entry(Vigil__V1__SubmitRequest *req, const char *indicator);

/* Sets the level of indicator's entry (fails the test when it has none). */
void h_submit_set_level(Vigil__V1__SubmitRequest *req, const char *indicator, const char *level);

/* Removes indicator's entry (fails the test when it has none); the later
 * entries move down by one. */
void h_submit_remove(Vigil__V1__SubmitRequest *req, const char *indicator);

/* Appends an entry for indicator with level, a justification and one evidence
 * item, as h_submit_new makes them; returns it. */
Vigil__V1__Entry *h_submit_append(Vigil__V1__SubmitRequest *req, const char *indicator,
                                  const char *level);

/* Appends an evidence item (url and date may be ""); returns it. */
Vigil__V1__Evidence *h_entry_add_evidence(Vigil__V1__Entry *e, const char *citation,
                                          const char *url, const char *date);

/* Whether the stored revision carries exactly the entries of req (same order,
 * indicators, levels, justifications, evidence); else false with the first
 * difference in why. */
bool h_entries_equal(const Vigil__V1__SubmitRequest *req, const Vigil__V1__Revision *rev, char *why,
                     size_t cap);

/* Submits req as c; on OK *revision (may be NULL) gets the revision number.
 * Returns the code (r keeps the message and answer). */
int h_submit(struct h_rpc *r, struct vigil_client *c, const Vigil__V1__SubmitRequest *req,
             int *revision);

/* Submits a fresh valid request for state in H_CYCLE on the latest revision
 * and asserts OK; returns the new revision number. */
int h_submit_ok(struct vigil_client *c, const char *state, bool draft);

/* Review as c (comment may be NULL = ""). Returns the code. */
int h_review(struct h_rpc *r, struct vigil_client *c, const char *state,
             Vigil__V1__ReviewAction action, const char *comment, int revision);

/* Get as c (revision 0 = the latest). Returns the code. */
int h_get(struct h_rpc *r, struct vigil_client *c, const char *state, int revision);

/* The assessment of state in H_CYCLE as seen by the central office (asserts
 * the call succeeds); owned by r. Its latest_revision is 0 when none. */
const Vigil__V1__Assessment *h_assessment(struct h_rpc *r, const struct h_assess_env *e,
                                          const char *state);

/* The number of revisions of state in H_CYCLE that ListRevisions shows the
 * central office (0 when the assessment does not exist). */
int h_revision_count(const struct h_assess_env *e, const char *state);

/* The number of rows of table revision for state in H_CYCLE, read from the
 * database (migration 0003's schema). */
int h_db_revision_count(const struct h_db *db, const char *state);

/* SetCycleStatus as central; asserts OK. */
void h_cycle_set_status(const struct h_assess_env *e, const char *cycle,
                        Vigil__V1__CycleStatus status);

/* "table=rows,..." for every table of the database outside the system
 * schemas: equal before and after a refused call when nothing was stored.
 * malloc'd. */
char *h_db_row_counts(const struct h_db *db);

/* Asserts that the row counts equal before (from h_db_row_counts). */
void h_db_expect_unchanged(const struct h_db *db, const char *before, const char *what);

#endif
