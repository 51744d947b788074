/* pbjson: the JSON mapping of protobuf-c messages, fed messages and text. */
#include "pbjson.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/assessments.pb-c.h"
#include "vigil/v1/catalog.pb-c.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static ProtobufCMessage *decode_text(const char *text, const ProtobufCMessageDescriptor *d,
                                     char *err, size_t cap)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "bad test JSON: %s", je.text);
    ProtobufCMessage *m = NULL;
    if (!pbjson_decode(j, d, &m, err, cap))
        m = NULL;
    json_decref(j);
    return m;
}

Test(pbjson, enum_names_drop_the_common_prefix)
{
    char buf[64];
    cr_assert(pbjson_enum_name(&vigil__v1__assessment_status__descriptor,
                               VIGIL__V1__ASSESSMENT_STATUS__ASSESSMENT_STATUS_APPROVED, buf,
                               sizeof(buf)));
    cr_assert_str_eq(buf, "approved");
    cr_assert(pbjson_enum_name(&grpc__health__v1__health_check_response__serving_status__descriptor,
                               2, buf, sizeof(buf)));
    cr_assert_str_eq(buf, "not_serving");
    int v;
    cr_assert(pbjson_enum_value(&vigil__v1__review_action__descriptor, "unlock", &v));
    cr_assert_eq(v, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK);
    cr_assert(pbjson_enum_value(&vigil__v1__review_action__descriptor, "REVIEW_ACTION_RETURN", &v));
    cr_assert_eq(v, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_RETURN);
    cr_assert_not(pbjson_enum_value(&vigil__v1__review_action__descriptor, "delete", &v));
}

Test(pbjson, encode_writes_every_field)
{
    Vigil__V1__SubmitRequest r = VIGIL__V1__SUBMIT_REQUEST__INIT;
    Vigil__V1__Entry e = VIGIL__V1__ENTRY__INIT;
    Vigil__V1__Evidence ev = VIGIL__V1__EVIDENCE__INIT;
    Vigil__V1__Entry *entries[] = {&e};
    Vigil__V1__Evidence *evs[] = {&ev};
    r.request_id = "r1";
    r.state = "CI";
    r.base_revision = 3;
    r.n_entries = 1;
    r.entries = entries;
    e.indicator = "CA.1";
    e.level = "yes";
    e.justification = "Côte d'Ivoire, \"quoted\"";
    e.n_evidence = 1;
    e.evidence = evs;
    ev.citation = "Report";
    json_t *j = pbjson_encode(&r.base);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
    cr_assert_str_eq(s, "{\"base_revision\":3,\"cycle\":\"\",\"draft\":false,\"entries\":[{"
                        "\"evidence\":[{\"citation\":\"Report\",\"date\":\"\",\"url\":\"\"}],"
                        "\"indicator\":\"CA.1\",\"justification\":\"C\\u00F4te d'Ivoire, "
                        "\\\"quoted\\\"\",\"level\":\"yes\"}],\"request_id\":\"r1\","
                        "\"state\":\"CI\"}");
    free(s);
    json_decref(j);
}

Test(pbjson, round_trip_of_a_methodology)
{
    const char *text =
        "{\"methodology\":{\"code\":\"m2\",\"name\":\"Test\",\"areas\":[{\"code\":\"PR\","
        "\"name\":\"Protection\",\"weight\":2}],\"scales\":[{\"code\":\"ypn\",\"levels\":["
        "{\"code\":\"yes\",\"label\":\"yes\",\"has_value\":true,\"value\":2},{\"code\":"
        "\"no_data\",\"label\":\"no data\"}]}],\"indicators\":[{\"code\":\"PR.1\",\"area\":"
        "\"PR\",\"scale\":\"ypn\",\"weight\":1,\"applies_when\":null},{\"code\":\"PR.2\","
        "\"area\":\"PR\",\"scale\":\"ypn\",\"weight\":\"3\",\"applies_when\":{\"indicator\":"
        "\"PR.1\",\"levels\":[\"yes\"]}}],\"bands\":[{\"name\":\"all\",\"min_score\":\"0\"}],"
        "\"min_coverage\":\"0.75\"},\"request_id\":\"x\"}";
    char err[256];
    ProtobufCMessage *m =
        decode_text(text, &vigil__v1__load_methodology_request__descriptor, err, sizeof(err));
    cr_assert_not_null(m, "%s", err);
    Vigil__V1__LoadMethodologyRequest *r = (Vigil__V1__LoadMethodologyRequest *)m;
    cr_assert_eq(r->methodology->n_indicators, 2);
    cr_assert_eq(r->methodology->indicators[1]->weight, 3);
    cr_assert_null(r->methodology->indicators[0]->applies_when);
    cr_assert_str_eq(r->methodology->indicators[1]->applies_when->levels[0], "yes");
    cr_assert_str_eq(r->methodology->description, "");
    /* Encoding and decoding again gives the same JSON. */
    json_t *a = pbjson_encode(m);
    ProtobufCMessage *m2 = NULL;
    cr_assert(pbjson_decode(a, m->descriptor, &m2, err, sizeof(err)), "%s", err);
    json_t *b = pbjson_encode(m2);
    cr_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    protobuf_c_message_free_unpacked(m, NULL);
    protobuf_c_message_free_unpacked(m2, NULL);
}

struct bad_case {
    const char *json;
    const char *error; /* exact message, path first */
};

Test(pbjson, errors_name_the_path)
{
    static const struct bad_case cases[] = {
        {"{\"methodology\":{\"areas\":[{\"weight\":\"x\"}]}}",
         "methodology.areas[0].weight: expected an integer"},
        {"{\"methodology\":{\"areas\":[{},{\"colour\":1}]}}",
         "methodology.areas[1].colour: unknown field"},
        {"{\"methodology\":{\"scales\":[{\"levels\":[{\"has_value\":1}]}]}}",
         "methodology.scales[0].levels[0].has_value: expected true or false"},
        {"{\"methodology\":{\"areas\":[{\"weight\":4294967296}]}}",
         "methodology.areas[0].weight: integer 4294967296 out of range"},
        {"{\"methodology\":[]}", "methodology: expected an object"},
        {"{\"request_id\":7}", "request_id: expected a string"},
        {"{\"methodology\":{\"indicators\":[null]}}",
         "methodology.indicators[0]: null is not allowed in an array"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        ProtobufCMessage *m = decode_text(
            cases[i].json, &vigil__v1__load_methodology_request__descriptor, err, sizeof(err));
        cr_assert_null(m, "case %zu decoded", i);
        cr_assert_str_eq(err, cases[i].error, "case %zu", i);
    }
    char err[256];
    cr_assert_null(decode_text("{\"action\":\"delete\"}", &vigil__v1__review_request__descriptor,
                               err, sizeof(err)));
    cr_assert_str_eq(err, "action: unknown value \"delete\"");
}
