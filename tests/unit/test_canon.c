/* canon: canonical bytes, digest and reading of a ranking's inputs. */
#include "canon.h"

#include <criterion/criterion.h>
#include <string.h>

/* A two-indicator methodology and three states, as the daemon would fetch. */
static const char doc_text[] =
    "{\"format\":\"vigil-ranking-inputs/1\",\"cycle\":\"2009-2012\",\"predecessor\":null,"
    "\"methodology\":{\"code\":\"m\",\"name\":\"M\",\"description\":\"\",\"min_coverage\":\"0.75\","
    "\"areas\":[{\"code\":\"CA\",\"name\":\"Care\",\"weight\":1}],"
    "\"scales\":[{\"code\":\"ypn\",\"levels\":[{\"code\":\"yes\",\"label\":\"yes\",\"has_value\":"
    "true,"
    "\"value\":2},{\"code\":\"partial\",\"label\":\"partial\",\"has_value\":true,\"value\":1},"
    "{\"code\":\"no\",\"label\":\"no\",\"has_value\":true,\"value\":0},{\"code\":\"no_data\","
    "\"label\":\"no data\",\"has_value\":false,\"value\":0}]}],"
    "\"indicators\":[{\"code\":\"CA.1\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,"
    "\"question\":\"Services?\",\"call_to_action\":\"Provide them\",\"source\":\"\","
    "\"applies_when\":null},{\"code\":\"CA.2\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,"
    "\"question\":\"Adequate?\",\"call_to_action\":\"Improve\",\"source\":\"\",\"applies_when\":"
    "{\"indicator\":\"CA.1\",\"levels\":[\"yes\",\"partial\"]}}],"
    "\"bands\":[{\"name\":\"good\",\"min_score\":\"50\"},{\"name\":\"poor\",\"min_score\":\"0\"}]},"
    "\"states\":[{\"code\":\"CI\",\"name\":\"C\\u00f4te d'Ivoire\",\"region\":\"011\","
    "\"revision\":2,\"levels\":{\"CA.1\":\"yes\",\"CA.2\":\"partial\"}},"
    "{\"code\":\"FR\",\"name\":\"France\",\"region\":\"155\",\"revision\":1,\"levels\":"
    "{\"CA.1\":\"no\"}},{\"code\":\"TH\",\"name\":\"Thailand\",\"region\":\"035\",\"revision\":0,"
    "\"levels\":{}}]}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    return j;
}

Test(canon, bytes_are_sorted_compact_utf8)
{
    json_t *j = load("{\"b\":1,\"a\":{\"z\":\"C\\u00f4te\\n\\u0001\",\"y\":[true,null]}}");
    size_t len;
    char *s = canon_bytes(j, &len);
    cr_assert_str_eq(s, "{\"a\":{\"y\":[true,null],\"z\":\"Côte\\n\\u0001\"},\"b\":1}");
    cr_assert_eq(len, strlen(s));
    free(s);
    json_decref(j);
}

Test(canon, digest_is_sha256_hex)
{
    char hex[65];
    canon_digest("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(canon, the_same_document_gives_the_same_bytes_whatever_its_key_order)
{
    json_t *a = load(doc_text);
    json_t *b = load("{\"states\":[],\"cycle\":\"x\"}");
    json_object_set(b, "states", json_object_get(a, "states"));
    json_object_set(b, "cycle", json_object_get(a, "cycle"));
    json_object_set(b, "predecessor", json_null());
    json_object_set(b, "methodology", json_object_get(a, "methodology"));
    json_object_set(b, "format", json_object_get(a, "format"));
    size_t la, lb;
    char *sa = canon_bytes(a, &la), *sb = canon_bytes(b, &lb);
    cr_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    json_decref(a);
    json_decref(b);
}

Test(canon, read_feeds_the_scoring_module)
{
    json_t *j = load(doc_text);
    struct canon_inputs in;
    char err[200];
    cr_assert(canon_read(j, &in, err, sizeof(err)), "%s", err);
    cr_assert_eq(in.m.n_indicators, 2);
    cr_assert_eq(in.indicators[1].scale_max, 2);
    cr_assert_eq(in.m.min_coverage.num, 3);
    cr_assert_eq(in.n_states, 3);
    cr_assert_eq(in.entries[1].kind, RANK_VALUED); /* CI CA.2 partial */
    cr_assert_eq(in.entries[1].value, 1);
    cr_assert_eq(in.entries[3].kind, RANK_NOT_APPLICABLE); /* FR CA.2 */
    cr_assert_not(in.states[2].approved);                  /* TH */
    struct rank_set s;
    cr_assert_eq(rank_compute(&in.m, in.states, in.n_states, &s), RANK_OK);
    /* CI: (100 + 50) / 2 = 75; FR: 0 (1 of 1 rated); TH not approved */
    cr_assert_str_eq(in.states[s.results[0].state].code, "CI");
    cr_assert_eq(s.results[0].overall_h, 7500);
    cr_assert_eq(s.results[1].overall_h, 0);
    cr_assert_not(s.results[2].ranked);
    rank_set_free(&s);
    canon_clear(&in);
    json_decref(j);
}

Test(canon, inconsistent_documents_are_refused)
{
    static const struct {
        const char *from, *to, *error;
    } cases[] = {
        {"\"CA.1\":\"no\"", "\"CA.1\":\"maybe\"",
         "states[1].levels.CA.1: unknown indicator or level"},
        {"\"code\":\"FR\"", "\"code\":\"AA\"", "states[1]: not sorted by code"},
        {"\"scale\":\"ypn\",\"weight\":1,\"question\":\"Services?\"",
         "\"scale\":\"abc\",\"weight\":1,\"question\":\"Services?\"",
         "methodology.indicators[0]: code, known area and scale, and a positive weight required"},
        {"vigil-ranking-inputs/1", "vigil-ranking-inputs/9",
         "format: expected \"vigil-ranking-inputs/1\""},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char text[sizeof(doc_text) + 64];
        const char *at = strstr(doc_text, cases[k].from);
        cr_assert_not_null(at, "case %zu", k);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - doc_text), doc_text, cases[k].to,
                 at + strlen(cases[k].from));
        json_t *j = load(text);
        struct canon_inputs in;
        char err[200] = "";
        cr_assert_not(canon_read(j, &in, err, sizeof(err)), "case %zu", k);
        cr_assert_str_eq(err, cases[k].error, "case %zu", k);
        json_decref(j);
    }
}
