/* pbcheck: string validation on encoded messages, fed bytes. */
#include "pbcheck.h"

#include "vigil/v1/assessments.pb-c.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

struct utf8_case {
    const char *bytes;
    bool valid;
};

Test(pbcheck, utf8)
{
    static const struct utf8_case cases[] = {
        {"plain", true},
        {"C\xc3\xb4te d'Ivoire", true},
        {"\xe0\xb8\x9b\xe0\xb8\xa3\xe0\xb8\xb0", true}, /* Thai */
        {"\xf0\x9f\x98\x80", true},                     /* emoji, 4 bytes */
        {"\xc3", false},                                /* cut short */
        {"\xc0\xaf", false},                            /* overlong '/' */
        {"\xed\xa0\x80", false},                        /* surrogate */
        {"\xff", false},
        {"\xf4\x90\x80\x80", false}, /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(pbcheck_utf8((const uint8_t *)cases[i].bytes, strlen(cases[i].bytes)),
                     cases[i].valid, "case %zu", i);
}

/* Packs a SubmitRequest whose second entry's justification is just, then
 * patches the byte marker '#' in the encoding into bad. */
static bool check_with(const char *just, char bad, char *err)
{
    Vigil__V1__SubmitRequest r = VIGIL__V1__SUBMIT_REQUEST__INIT;
    Vigil__V1__Entry a = VIGIL__V1__ENTRY__INIT, b = VIGIL__V1__ENTRY__INIT;
    Vigil__V1__Entry *entries[] = {&a, &b};
    r.state = "FR";
    r.n_entries = 2;
    r.entries = entries;
    a.justification = "fine";
    b.justification = (char *)just;
    size_t len = protobuf_c_message_get_packed_size(&r.base);
    uint8_t *buf = malloc(len);
    protobuf_c_message_pack(&r.base, buf);
    uint8_t *mark = memchr(buf, '#', len);
    if (mark)
        *mark = (uint8_t)bad;
    bool ok = pbcheck_strings(&vigil__v1__submit_request__descriptor, buf, len, err, 200);
    free(buf);
    return ok;
}

Test(pbcheck, strings_of_nested_messages)
{
    char err[200];
    cr_assert(check_with("all good, Côte d'Ivoire", '#', err), "%s", err);
    cr_assert_not(check_with("cut#here", '\0', err));
    cr_assert_str_eq(err, "entries[1].justification: contains a NUL byte");
    cr_assert_not(check_with("bad#", '\xff', err));
    cr_assert_str_eq(err, "entries[1].justification: is not valid UTF-8");
    const uint8_t truncated[] = {0x12, 0x05, 'F'}; /* field 2, 5 bytes, 1 given */
    cr_assert_not(pbcheck_strings(&vigil__v1__submit_request__descriptor, truncated, 3, err, 200));
    cr_assert(strstr(err, "malformed"), "%s", err);
}
