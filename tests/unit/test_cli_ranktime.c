/* Unit tests of client/cli/ranktime: embargo times, RFC 3339 with offsets
 * and local "YYYY-MM-DD HH:MM" under a fixed TZ, to UTC RFC 3339; and the
 * times refused. Input beside expected output. */
#include "ranktime.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Test(ranktime, times_become_utc_rfc3339)
{
    static const struct {
        const char *tz, *text;
        const char *want; /* NULL = refused */
    } cases[] = {
        {"UTC0", "2026-04-01T09:00:00Z", "2026-04-01T09:00:00Z"},
        {"UTC0", "2026-04-01t09:00:00z", "2026-04-01T09:00:00Z"},
        {"UTC0", "2026-04-01T11:00:00+02:00", "2026-04-01T09:00:00Z"},
        {"UTC0", "2026-04-01T00:30:00-05:30", "2026-04-01T06:00:00Z"},
        {"UTC0", "2026-12-31T23:59:59.999-01:00", "2027-01-01T00:59:59Z"},
        {"<+07>-7", "2026-04-01 09:00", "2026-04-01T02:00:00Z"},
        {"<+07>-7", "2026-04-01 06:30:15", "2026-03-31T23:30:15Z"},
        {"<-03>3", "2024-02-29 22:00", "2024-03-01T01:00:00Z"},
        /* Central Europe: 2026-03-29 02:30 does not exist (clocks go 02:00 -> 03:00). */
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29 01:59", "2026-03-29T00:59:00Z"},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29 03:00", "2026-03-29T01:00:00Z"},
        {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29 02:30", NULL},
        {"UTC0", "2026-02-29 10:00", NULL},
        {"UTC0", "2026-04-01T09:00:00", NULL},
        {"UTC0", "2026-04-01T09:00Z", NULL},
        {"UTC0", "2026-04-01 24:00", NULL},
        {"UTC0", "2026-4-1 09:00", NULL},
        {"UTC0", "tomorrow", NULL},
        {"UTC0", "2026-04-01T09:00:00+2:00", NULL},
        {"UTC0", "2026-04-01T09:00:00.Z", NULL},
        {"UTC0", "2026-04-01 09:00 ", NULL},
    };
    char out[RANKTIME_SIZE], err[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv("TZ", cases[i].tz, 1);
        tzset();
        bool ok = ranktime_parse(cases[i].text, out, err, sizeof(err));
        if (cases[i].want == NULL) {
            cr_expect_not(ok, "\"%s\" accepted as %s", cases[i].text, out);
            cr_expect_not_null(strstr(err, cases[i].text), "%s", err);
        } else {
            cr_expect(ok, "\"%s\": %s", cases[i].text, err);
            cr_expect_str_eq(out, cases[i].want, "\"%s\" (TZ %s)", cases[i].text, cases[i].tz);
        }
    }
}
