/* svc_rankings: what the handlers of vigil.v1.Rankings share. They live in
 * svc_rankings.c (GetRanking, GetHistory, GetPublishedInputs, and these
 * helpers), svc_rankings_agg.c (GetAggregates), svc_rankings_card.c
 * (GetCard) and svc_publish.c (Publish). Who sees what is decided by the
 * SQL functions (migrations/0006_publication.sql); scoring is rank.c and
 * aggregate.c, the messages rankview.c; here is the plumbing between them
 * and the cache.
 *
 * Cache keys: "<class>|<kind>|<field>|...", class "c" for the central
 * office and "p" for everyone else (regional offices, partners, anonymous
 * callers all see the same thing: published versions past their embargo;
 * the central office also sees versions under embargo). Every successful
 * published read of a fixed key is cacheable: a non-central caller is
 * never answered with a version under embargo (SQL refuses it), and what
 * an embargo's release changes for them (the current version, superseded,
 * histories) is dropped by embargo.c when the time passes. A field holding
 * '|' (never a valid code) makes a request uncacheable, so keys cannot
 * collide. Entries are filed under their cycle, histories under "" (every
 * cycle: cache.h). The live view is never cached. */
#ifndef VIGIL_SVC_RANKINGS_H
#define VIGIL_SVC_RANKINGS_H

#include "call.h"
#include "canon.h"
#include "rank.h"
#include "rankview.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define RK_KEY_MAX 256

/* Whether the caller is the central office. */
bool rk_central(const struct call *c);

/* The cache key of a published read into buf: the caller's class, kind,
 * then each field up to the NULL. false (do not cache) when it does not fit
 * or a field holds '|'. */
bool rk_key(char *buf, size_t cap, const struct call *c, const char *kind, ...)
    __attribute__((sentinel, warn_unused_result));

/* Answers from the cache; true when key was there (the call is answered). */
bool rk_cached(struct call *c, const char *key) __attribute__((warn_unused_result));

/* Runs sql with $1 = the caller (ctx), $2 = req (borrowed; NULL: the call's
 * request as JSON) and, with_generation, $3 = the cache's generation now.
 * Fails the call (INTERNAL) when the JSON cannot be made. */
void rk_query(struct call *c, const char *sql, json_t *req, bool with_generation, call_query_cb cb);

/* true when the statement ran and returned one row; otherwise the call is
 * failed (VGnnn refusals as their status, sqlcall.h). */
bool rk_ok(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
    __attribute__((warn_unused_result));

/* Column col of row 0 as a JSON object (new reference), or NULL after
 * failing the call (INTERNAL; logged). */
json_t *rk_json(struct call *c, const PGresult *res, int col);

/* The generation echoed in column col. */
uint64_t rk_generation(const PGresult *res, int col);

/* j decoded as a message of type d (the caller frees it with
 * protobuf_c_message_free_unpacked), or NULL after failing the call
 * (INTERNAL; logged: the SQL answer and the proto disagree). */
ProtobufCMessage *rk_decode(struct call *c, const json_t *j, const ProtobufCMessageDescriptor *d);

/* Answers m; with a key, also stores the bytes in the cache under key,
 * filed under cycle, if generation is still current. */
void rk_reply(struct call *c, const ProtobufCMessage *m, const char *key, const char *cycle,
              uint64_t generation);

/* Reads the view of a request: false (call failed) for an unknown view, or
 * a version with the live view. */
bool rk_view(struct call *c, Vigil__V1__View view, int32_t version, bool *live)
    __attribute__((warn_unused_result));

/* The codes of an answer's "region_states" (sorted by code, strings
 * borrowed from answer) as a malloc'd array; NULL and 0 when absent. */
const char **rk_region_states(const json_t *answer, size_t *n);

/* A string member of a JSON object, "" when absent; borrowed. */
const char *rk_str(const json_t *o, const char *key);

/* Fails the call for a rankview failure (INVALID_ARGUMENT with err; out of
 * memory aborts, as everywhere in the daemon). */
void rk_fail_view(struct call *c, enum rankview_status st, const char *err);

/* Fills the fields a published read takes from rankings_published's
 * answer p: view, version, published_at, embargo_until, digest,
 * superseded (strings borrowed from p). */
void rk_envelope(Vigil__V1__Ranking *r, const json_t *p);

/* A ranking's canonical inputs document, read for scoring. */
struct rk_inputs {
    json_t *doc;            /* owned */
    struct canon_inputs in; /* points into doc */
};

/* From rankings_inputs' answer: its document, whose methodology is
 * normalised (pbjson: every field of the Methodology message) before it is
 * read; the answer's document is changed in place. From a published read:
 * the stored canonical text of rankings_published_inputs' answer. false
 * after failing the call (INTERNAL; logged). */
bool rk_inputs_live(struct call *c, json_t *answer, struct rk_inputs *out)
    __attribute__((warn_unused_result));
bool rk_inputs_published(struct call *c, const json_t *answer, struct rk_inputs *out)
    __attribute__((warn_unused_result));
void rk_inputs_clear(struct rk_inputs *in);

/* The ranking computed now from rankings_inputs' answer, with movement
 * against its predecessor_ranking. */
struct rk_live {
    struct rk_inputs inputs;
    struct rank_set rs;
    Vigil__V1__Ranking *pred;    /* the predecessor's ranking, owned; NULL: none */
    struct rankview rv;          /* holds ranking */
    Vigil__V1__Ranking *ranking; /* view as asked; area "", region "" */
};

/* false after failing the call. On success, clear lv with rk_live_clear. */
bool rk_live_compute(struct call *c, json_t *answer, Vigil__V1__View view, struct rk_live *lv)
    __attribute__((warn_unused_result));
void rk_live_clear(struct rk_live *lv);

#endif
