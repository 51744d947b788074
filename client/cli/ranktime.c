/* ranktime: embargo times to UTC RFC 3339 (see ranktime.h). */
#include "ranktime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* n decimal digits at *p into *v, advancing *p. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return true;
}

static bool expect(const char **p, const char *set)
{
    if (**p == '\0' || strchr(set, **p) == NULL)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DD" SEP "HH:MM" [":SS"] into tm; *p advanced past it. */
static bool date_time(const char **p, const char *sep, bool need_seconds, struct tm *tm)
{
    int y, mo, d, h, mi, s = 0;

    if (!digits(p, 4, &y) || !expect(p, "-") || !digits(p, 2, &mo) || !expect(p, "-") ||
        !digits(p, 2, &d) || !expect(p, sep) || !digits(p, 2, &h) || !expect(p, ":") ||
        !digits(p, 2, &mi))
        return false;
    if ((need_seconds || **p == ':') && (!expect(p, ":") || !digits(p, 2, &s)))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return false;
    *tm = (struct tm){.tm_year = y - 1900,
                      .tm_mon = mo - 1,
                      .tm_mday = d,
                      .tm_hour = h,
                      .tm_min = mi,
                      .tm_sec = s,
                      .tm_isdst = -1};
    return true;
}

/* The RFC 3339 form: date "T" time [fraction] ("Z" | ("+"|"-") HH:MM). */
static bool rfc3339(const char *p, time_t *t)
{
    struct tm tm;
    int oh = 0, om = 0, sign = 0;

    if (!date_time(&p, "Tt", true, &tm))
        return false;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else {
        sign = *p == '+' ? 1 : *p == '-' ? -1 : 0;
        if (sign == 0 || (p++, !digits(&p, 2, &oh)) || !expect(&p, ":") || !digits(&p, 2, &om) ||
            oh > 23 || om > 59)
            return false;
    }
    if (*p != '\0')
        return false;
    *t = timegm(&tm) - sign * (oh * 3600 + om * 60);
    return true;
}

/* "YYYY-MM-DD HH:MM[:SS]" in local time. *skipped when it does not exist. */
static bool local(const char *p, time_t *t, bool *skipped)
{
    struct tm tm, want;

    *skipped = false;
    if (!date_time(&p, " ", false, &tm) || *p != '\0')
        return false;
    want = tm;
    *t = mktime(&tm);
    /* mktime moves a time in a spring-forward gap; then it never existed. */
    *skipped = *t == (time_t)-1 || tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min ||
               tm.tm_mday != want.tm_mday;
    return true;
}

bool ranktime_parse(const char *text, char out[RANKTIME_SIZE], char *err, size_t cap)
{
    struct tm utc;
    bool skipped = false;
    time_t t;

    if (!rfc3339(text, &t) && !local(text, &t, &skipped)) {
        snprintf(err, cap,
                 "\"%s\" is not a time: use RFC 3339 (2026-04-01T09:00:00Z, or with an offset "
                 "such as +02:00) or \"YYYY-MM-DD HH:MM\" in local time",
                 text);
        return false;
    }
    if (skipped) {
        snprintf(err, cap, "\"%s\" does not exist in the local time zone (a clock change)", text);
        return false;
    }
    if (gmtime_r(&t, &utc) == NULL || utc.tm_year + 1900 > 9999 || utc.tm_year + 1900 < 0 ||
        strftime(out, RANKTIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
        snprintf(err, cap, "\"%s\" is out of range", text);
        return false;
    }
    return true;
}
