/* SPDX-License-Identifier: MIT */
/* PM2's log_date_format (moment.js tokens) as `pmgen logs` prints it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timefmt.h"

static void check(const char *fmt, long gmtoff, const char *want) {
        /* 2026-03-07 09:05:04.042 */
        struct tm tm = { .tm_year = 126, .tm_mon = 2, .tm_mday = 7, .tm_hour = 9, .tm_min = 5, .tm_sec = 4 };
        strbuf sb = STRBUF_INIT;

        timefmt_moment(&sb, fmt, &tm, 42, gmtoff);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_free(&sb);
}

static void test_tokens(void **state) {
        (void) state;
        check(TIMEFMT_DEFAULT, 0, "2026-03-07T09:05:04.042+00:00");
        check("YYYY-MM-DD HH:mm Z", 3600, "2026-03-07 09:05 +01:00");
        check("YY/M/D H:m:s", 0, "26/3/7 9:5:4");
        check("hh:mm A a", 0, "09:05 AM am");
        check("SSS SS S", 0, "042 04 0");
        check("ZZ", -(5 * 3600 + 30 * 60), "-0530");
        check("[at] HH[h]", 0, "at 09h");
        check("YYY", 0, "YYY"); /* not a moment token: as written */
        check("[unclosed", 0, "[unclo4ed"); /* no closing bracket: tokens as usual (moment does the same) */
        check("", 0, "");
}

int main(void) {
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_tokens) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
