/* SPDX-License-Identifier: MIT */
#include "timefmt.h"

#include <string.h>

/* The number of times c repeats at s (at most max). */
static size_t run(const char *s, char c, size_t max) {
        size_t n = 0;

        while (n < max && s[n] == c)
                n++;
        return n;
}

static void zone(strbuf *out, long gmtoff, bool colon) {
        long m = (gmtoff < 0 ? -gmtoff : gmtoff) / 60;

        strbuf_addf(out, "%c%02ld%s%02ld", gmtoff < 0 ? '-' : '+', m / 60, colon ? ":" : "", m % 60);
}

void timefmt_moment(strbuf *out, const char *fmt, const struct tm *tm, unsigned ms, long gmtoff) {
        const char *p = fmt;

        while (*p) {
                size_t n;

                if (*p == '[') { /* literal text */
                        const char *end = strchr(p + 1, ']');

                        if (end) {
                                strbuf_add(out, p + 1, (size_t) (end - p - 1));
                                p = end + 1;
                                continue;
                        }
                }
                switch (*p) {
                case 'Y':
                        n = run(p, 'Y', 4);
                        if (n == 4)
                                strbuf_addf(out, "%04d", tm->tm_year + 1900);
                        else if (n == 2)
                                strbuf_addf(out, "%02d", (tm->tm_year + 1900) % 100);
                        else
                                strbuf_add(out, p, n);
                        break;
                case 'M': /* one letter: no padding; two: 2 digits */
                case 'D':
                case 'H':
                case 'h':
                case 'm':
                case 's': {
                        int v = *p == 'M' ? tm->tm_mon + 1
                                : *p == 'D' ? tm->tm_mday
                                : *p == 'H' ? tm->tm_hour
                                : *p == 'h' ? (tm->tm_hour % 12 ? tm->tm_hour % 12 : 12)
                                : *p == 'm' ? tm->tm_min
                                            : tm->tm_sec;

                        n = run(p, *p, 2);
                        strbuf_addf(out, n == 2 ? "%02d" : "%d", v);
                        break;
                }
                case 'S': /* fractions of a second: S tenths, SS hundredths, SSS milliseconds */
                        n = run(p, 'S', 3);
                        strbuf_addf(out, n == 3 ? "%03u" : n == 2 ? "%02u" : "%u", n == 3 ? ms : n == 2 ? ms / 10 : ms / 100);
                        break;
                case 'A':
                case 'a':
                        n = 1;
                        strbuf_adds(out, tm->tm_hour < 12 ? (*p == 'A' ? "AM" : "am") : (*p == 'A' ? "PM" : "pm"));
                        break;
                case 'Z':
                        n = run(p, 'Z', 2);
                        zone(out, gmtoff, n == 1); /* Z: +01:00, ZZ: +0100 */
                        break;
                default:
                        n = 1;
                        strbuf_addc(out, *p);
                }
                p += n;
        }
}
