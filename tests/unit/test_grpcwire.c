/* grpcwire: framing, timeouts and grpc-message escaping, fed bytes directly. */
#include "grpcwire.h"

#include <criterion/criterion.h>
#include <string.h>

Test(grpcwire, prefix_round_trip)
{
    uint8_t p[5];
    grpcwire_prefix_encode(p, 0x01020304);
    cr_assert_eq(p[0], 0);
    cr_assert_eq(p[1], 1);
    cr_assert_eq(p[4], 4);
}

/* A message split at every possible byte boundary is reassembled intact. */
Test(grpcwire, message_split_anywhere)
{
    const uint8_t msg[] = {0, 0, 0, 0, 3, 'a', 'b', 'c'};
    for (size_t cut = 0; cut <= sizeof(msg); cut++) {
        struct grpcwire_reader r;
        size_t used, len;
        grpcwire_reader_init(&r, 100);
        enum grpcwire_read a = grpcwire_reader_feed(&r, msg, cut, &used);
        cr_assert_eq(used, cut);
        cr_assert_eq(a, cut == sizeof(msg) ? GRPCWIRE_MESSAGE : GRPCWIRE_NEED_MORE);
        enum grpcwire_read b = grpcwire_reader_feed(&r, msg + cut, sizeof(msg) - cut, &used);
        cr_assert_eq(b, GRPCWIRE_MESSAGE, "cut at %zu", cut);
        const uint8_t *m = grpcwire_reader_message(&r, &len);
        cr_assert_eq(len, 3);
        cr_assert(memcmp(m, "abc", 3) == 0);
        grpcwire_reader_clear(&r);
    }
}

Test(grpcwire, empty_message)
{
    const uint8_t msg[] = {0, 0, 0, 0, 0};
    struct grpcwire_reader r;
    size_t used, len;
    grpcwire_reader_init(&r, 10);
    cr_assert_eq(grpcwire_reader_feed(&r, msg, 5, &used), GRPCWIRE_MESSAGE);
    cr_assert_not_null(grpcwire_reader_message(&r, &len));
    cr_assert_eq(len, 0);
    grpcwire_reader_clear(&r);
}

Test(grpcwire, trailing_bytes_are_left)
{
    const uint8_t msg[] = {0, 0, 0, 0, 1, 'x', 0, 0};
    struct grpcwire_reader r;
    size_t used;
    grpcwire_reader_init(&r, 10);
    cr_assert_eq(grpcwire_reader_feed(&r, msg, sizeof(msg), &used), GRPCWIRE_MESSAGE);
    cr_assert_eq(used, 6);
    grpcwire_reader_clear(&r);
}

struct bad_case {
    uint8_t prefix[5];
    enum grpcwire_read expect;
};

Test(grpcwire, refusals)
{
    static const struct bad_case cases[] = {
        {{1, 0, 0, 0, 1}, GRPCWIRE_COMPRESSED},
        {{2, 0, 0, 0, 1}, GRPCWIRE_BAD_FLAG},
        {{0, 0, 0, 0, 11}, GRPCWIRE_TOO_LARGE},
        {{0, 0x80, 0, 0, 0}, GRPCWIRE_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct grpcwire_reader r;
        size_t used;
        grpcwire_reader_init(&r, 10);
        cr_assert_eq(grpcwire_reader_feed(&r, cases[i].prefix, 5, &used), cases[i].expect,
                     "case %zu", i);
        /* Sticky: feeding more does not turn an error into progress. */
        cr_assert_eq(grpcwire_reader_feed(&r, cases[i].prefix, 1, &used), cases[i].expect);
        grpcwire_reader_clear(&r);
    }
}

struct timeout_case {
    const char *text;
    bool ok;
    int64_t usec;
};

Test(grpcwire, timeouts)
{
    static const struct timeout_case cases[] = {
        {"1H", true, 3600000000LL},
        {"2M", true, 120000000LL},
        {"5S", true, 5000000},
        {"100m", true, 100000},
        {"7u", true, 7},
        {"1n", true, 1},
        {"1500n", true, 2},
        {"0m", true, 0},
        {"12345678S", true, 12345678000000LL},
        {"123456789S", false, 0},
        {"S", false, 0},
        {"10x", false, 0},
        {"1 m", false, 0},
        {"", false, 0},
        {"-1S", false, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t us = -1;
        bool ok = grpcwire_timeout_parse(cases[i].text, strlen(cases[i].text), &us);
        cr_assert_eq(ok, cases[i].ok, "\"%s\"", cases[i].text);
        if (ok)
            cr_assert_eq(us, cases[i].usec, "\"%s\" gave %lld", cases[i].text, (long long)us);
    }
}

Test(grpcwire, timeout_format_round_trips)
{
    static const int64_t values[] = {1, 999, 100000, 99999999, 100000000, 3600000000LL};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char buf[16];
        int64_t back;
        grpcwire_timeout_format(values[i], buf);
        cr_assert(grpcwire_timeout_parse(buf, strlen(buf), &back), "%s", buf);
        cr_assert_geq(back, values[i], "%s", buf); /* never shorter than asked */
    }
}

Test(grpcwire, message_escaping)
{
    const char *in = "state \"Côte d'Ivoire\": 100% wrong\n";
    char enc[256], dec[256];
    grpcwire_message_encode(in, strlen(in), enc, sizeof(enc));
    cr_assert_str_eq(enc, "state \"C%C3%B4te d'Ivoire\": 100%25 wrong%0A");
    grpcwire_message_decode(enc, strlen(enc), dec, sizeof(dec));
    cr_assert_str_eq(dec, in);
    /* Malformed escapes are kept as they are. */
    grpcwire_message_decode("50%zz%4", 7, dec, sizeof(dec));
    cr_assert_str_eq(dec, "50%zz%4");
    /* Truncation never splits an escape. */
    grpcwire_message_encode("\xff\xff", 2, enc, 5);
    cr_assert_str_eq(enc, "%FF");
}

Test(grpcwire, code_names)
{
    cr_assert_str_eq(grpcwire_code_name(GRPC_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
    cr_assert_str_eq(grpcwire_code_name(GRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
    cr_assert_str_eq(grpcwire_code_name(99), "UNKNOWN");
}
