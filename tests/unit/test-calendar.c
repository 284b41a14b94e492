/* SPDX-License-Identifier: MIT */
/* cron_to_oncalendar(): one row per case. `test-calendar --list` prints the good rows as
 * cron<TAB>oncalendar for tests/calendar-verify.sh, which checks every expected value
 * against systemd-analyze calendar. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define COL_UNSET ((size_t) 4242)

typedef struct good_row {
        const char *expr;
        const char *expected;
} good_row;

typedef struct bad_row {
        const char *expr;
        const char *message;
        size_t col;
} bad_row;

static const good_row good_rows[] = {
        /* the common ones */
        { "0 0 * * *", "*-*-* 00:00:00" },
        { "0 3 * * *", "*-*-* 03:00:00" },
        { "0 */6 * * *", "*-*-* 00/6:00:00" },
        { "*/5 * * * *", "*-*-* *:00/5:00" },
        { "*/15 * * * *", "*-*-* *:00/15:00" },
        { "0 3 * * 0", "Sun *-*-* 03:00:00" },
        { "30 2 1 * *", "*-*-01 02:30:00" },
        { "0 0 1 1 *", "*-01-01 00:00:00" },
        { "0 9-17 * * 1-5", "Mon..Fri *-*-* 09..17:00:00" },
        { "0 0,12 * * *", "*-*-* 00,12:00:00" },
        { "15 14 1 * *", "*-*-01 14:15:00" },
        { "0 22 * * 1-5", "Mon..Fri *-*-* 22:00:00" },
        { "0 0 * * 1-5", "Mon..Fri *-*-* 00:00:00" },
        { "23 0-20/2 * * *", "*-*-* 00..20/2:23:00" },
        { "5 4 * * sun", "Sun *-*-* 04:05:00" },
        { "0 0 * * 7", "Sun *-*-* 00:00:00" },
        { "0 12 15 * *", "*-*-15 12:00:00" },
        { "* * * * *", "*-*-* *:*:00" },
        /* six fields: seconds first */
        { "* * * * * *", "*-*-* *:*:*" },
        { "*/10 * * * * *", "*-*-* *:*:00/10" },
        { "30 0 4 * * *", "*-*-* 04:00:30" },
        { "0 30 9 * * 1-5", "Mon..Fri *-*-* 09:30:00" },
        { "15,45 */2 * * * *", "*-*-* *:00/2:15,45" },
        /* shortcuts */
        { "@yearly", "*-01-01 00:00:00" },
        { "@annually", "*-01-01 00:00:00" },
        { "@monthly", "*-*-01 00:00:00" },
        { "@weekly", "Sun *-*-* 00:00:00" },
        { "@daily", "*-*-* 00:00:00" },
        { "@midnight", "*-*-* 00:00:00" },
        { "@hourly", "*-*-* *:00:00" },
        { "@minutely", "*-*-* *:*:00" },
        { "@secondly", "*-*-* *:*:*" },
        { "@weekdays", "Mon..Fri *-*-* 00:00:00" },
        { "@weekends", "Sat,Sun *-*-* 00:00:00" },
        { "  @Daily ", "*-*-* 00:00:00" },
        /* names */
        { "0 0 1 jan,jul *", "*-01,07-01 00:00:00" },
        { "0 0 * jan-mar *", "*-01..03-* 00:00:00" },
        { "0 0 1 FEB/2 *", "*-02/2-01 00:00:00" },
        { "0 0 * * MON-FRI", "Mon..Fri *-*-* 00:00:00" },
        { "0 0 * * Sat,sun", "Sat,Sun *-*-* 00:00:00" },
        /* days of the week: systemd order (Mon first), runs of three as a range */
        { "0 0 * * 0,6", "Sat,Sun *-*-* 00:00:00" },
        { "0 0 * * 5-7", "Fri..Sun *-*-* 00:00:00" },
        { "0 0 * * 0-2", "Mon,Tue,Sun *-*-* 00:00:00" },
        { "0 0 * * */2", "Tue,Thu,Sat,Sun *-*-* 00:00:00" },
        { "0 0 * * 1,3,5", "Mon,Wed,Fri *-*-* 00:00:00" },
        { "0 0 * * 1-3,5", "Mon..Wed,Fri *-*-* 00:00:00" },
        { "0 0 * * 7,0", "Sun *-*-* 00:00:00" },
        /* a field covering every value is no restriction */
        { "0 0 * * 0-6", "*-*-* 00:00:00" },
        { "0 0 * * 1-7", "*-*-* 00:00:00" },
        { "0 0 1-31 * 1-5", "Mon..Fri *-*-* 00:00:00" },
        { "0-59/1 * * * *", "*-*-* *:*:00" },
        { "*/1 * * * *", "*-*-* *:*:00" },
        { "0 0 * 1-12 *", "*-*-* 00:00:00" },
        /* steps, ranges and lists */
        { "0 0 1 */3 *", "*-01/3-01 00:00:00" },
        { "0 0 1 1-12/3 *", "*-01..10/3-01 00:00:00" },
        { "0 0 */2 * *", "*-*-01..31/2 00:00:00" },
        { "5/15 * * * *", "*-*-* *:05/15:00" },
        { "0 0-20/3 * * *", "*-*-* 00..18/3:00:00" },
        { "30/30 * * * *", "*-*-* *:30:00" },
        { "0 */24 * * *", "*-*-* 00:00:00" },
        { "7-7 * * * *", "*-*-* *:07:00" },
        { "5-5/2 * * * *", "*-*-* *:05:00" },
        { "5,10-15,30 * * * *", "*-*-* *:05,10..15,30:00" },
        { "45,15,30 * * * *", "*-*-* *:15,30,45:00" },
        { "1,1,1 * * * *", "*-*-* *:01:00" },
        { "0/20,5 * * * *", "*-*-* *:00/20,05:00" },
        /* where systemd's open repetition would skip values after a wrap, an explicit end */
        { "*/7 * * * *", "*-*-* *:00..56/7:00" },
        { "0 */7 * * *", "*-*-* 00..21/7:00:00" },
        { "*/45 * * * * *", "*-*-* *:*:00..45/45" },
        { "0 0 */13 * *", "*-*-01..27/13 00:00:00" },
        { "0 0 1 */5 *", "*-01..11/5-01 00:00:00" },
        { "5/15,2 * * * *", "*-*-* *:02,05..50/15:00" },
        { "0 12/6 * * *", "*-*-* 12/6:00:00" },
        { "000 007 * * *", "*-*-* 07:00:00" },
        /* days of the month */
        { "0 0 L * *", "*-*~01 00:00:00" },
        { "0 0 l 2 *", "*-02~01 00:00:00" },
        { "0 0 29 2 *", "*-02-29 00:00:00" },
        { "0 0 31 1,3 *", "*-01,03-31 00:00:00" },
        /* whitespace */
        { "  0  3\t* *   *  ", "*-*-* 03:00:00" },
};

static const bad_row bad_rows[] = {
        { "", "empty cron expression (expected 5 fields: minute hour day-of-month month day-of-week, "
              "or 6 with a seconds field first)", 0 },
        { "  \t ", "empty cron expression (expected 5 fields: minute hour day-of-month month day-of-week, "
                   "or 6 with a seconds field first)", 0 },
        { "0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with a seconds "
                     "field first), found 4", 7 },
        { "0 0 * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with a "
                           "seconds field first), found 7", 12 },
        /* out of range */
        { "0 24 * * *", "field 2 (hour): 24 is out of range 0-23", 2 },
        { "60 * * * *", "field 1 (minute): 60 is out of range 0-59", 0 },
        { "0 0 0 * *", "field 3 (day of month): 0 is out of range 1-31", 4 },
        { "0 0 32 * *", "field 3 (day of month): 32 is out of range 1-31", 4 },
        { "0 0 * 13 *", "field 4 (month): 13 is out of range 1-12", 6 },
        { "0 0 * 0 *", "field 4 (month): 0 is out of range 1-12", 6 },
        { "0 0 * * 8", "field 5 (day of week): 8 is out of range 0-7", 8 },
        { "60 * * * * *", "field 1 (second): 60 is out of range 0-59", 0 },
        { "0 0 9-25 * * *", "field 3 (hour): 25 is out of range 0-23", 6 },
        { "99999999999999999999999 * * * *",
          "field 1 (minute): 99999999999999999999999 is out of range 0-59", 0 },
        /* steps */
        { "*/0 * * * *", "field 1 (minute): step 0 is out of range 1-60", 2 },
        { "0 1-5/0 * * *", "field 2 (hour): step 0 is out of range 1-24", 6 },
        { "*/61 * * * *", "field 1 (minute): step 61 is out of range 1-60", 2 },
        { "0 0 * * 1-5/9", "field 5 (day of week): step 9 is out of range 1-8", 12 },
        { "*/ * * * *", "field 1 (minute): expected a step number after '/'", 2 },
        /* ranges */
        { "0 17-9 * * *", "field 2 (hour): range 17-9 is reversed (its start must not be after its end)", 2 },
        { "0 0 * * fri-mon",
          "field 5 (day of week): range fri-mon is reversed (its start must not be after its end)", 8 },
        { "1- * * * *", "field 1 (minute): expected a number after '-'", 2 },
        { "0 0 * * 1-", "field 5 (day of week): expected a number or name after '-'", 10 },
        /* junk */
        { "0 0 * * 1-5x", "field 5 (day of week): unexpected character 'x'", 11 },
        { "0 0 * * ?", "field 5 (day of week): unexpected character '?'", 8 },
        { "0 0 * * 1\x01", "field 5 (day of week): unexpected character '\\x01'", 9 },
        { "0 0 * * 1\xc3\xa9", "field 5 (day of week): unexpected character '\\xc3'", 9 },
        { "*5 * * * *", "field 1 (minute): '*' must stand alone or be followed by '/step', not '5'", 1 },
        { "/5 * * * *", "field 1 (minute): unexpected character '/'", 0 },
        { "0 0 * * monday", "field 5 (day of week): unknown day name 'monday' (expected sun-sat or 0-7)", 8 },
        { "0 0 1 foo *", "field 4 (month): unknown month name 'foo' (expected jan-dec or 1-12)", 6 },
        { "0 noon * * *",
          "field 2 (hour): unexpected 'noon' (names are allowed only for months and days of the week)", 2 },
        { "0 0 * sun * *",
          "field 4 (day of month): unexpected 'sun' (names are allowed only for months and days of the week)",
          6 },
        { "L * * * *",
          "field 1 (minute): unexpected 'L' (names are allowed only for months and days of the week)", 0 },
        /* lists */
        { "1,,2 * * * *", "field 1 (minute): empty item in list", 2 },
        { ",1 * * * *", "field 1 (minute): empty item in list", 0 },
        { "1, * * * *", "field 1 (minute): list ends with ','", 1 },
        /* day of month and day of week */
        { "0 0 1 * 1",
          "day of month (field 3) and day of week (field 5) are both restricted: cron runs the job on days "
          "matching EITHER, but systemd's OnCalendar= requires BOTH; restrict only one of them (or schedule "
          "the two cases separately)", 4 },
        { "0 0 0 L * fri",
          "day of month (field 4) and day of week (field 6) are both restricted: cron runs the job on days "
          "matching EITHER, but systemd's OnCalendar= requires BOTH; restrict only one of them (or schedule "
          "the two cases separately)", 6 },
        { "0 0 30 2 *",
          "field 3 (day of month): none of these days exists in the selected months, so the job would never run",
          4 },
        { "0 0 31 apr,jun,sep,nov *",
          "field 3 (day of month): none of these days exists in the selected months, so the job would never run",
          4 },
        /* shortcuts */
        { "@fortnightly",
          "unknown shortcut '@fortnightly' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
          "@hourly, @minutely, @secondly, @weekdays or @weekends)", 0 },
        { " @reboot",
          "unknown shortcut '@reboot' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
          "@hourly, @minutely, @secondly, @weekdays or @weekends)", 1 },
        { "@daily 0", "@daily must stand alone, but is followed by '0'", 7 },
};

static void test_calendar_one(const char *expr, const char *expected) {
        strbuf out = STRBUF_INIT, err = STRBUF_INIT;
        size_t col = COL_UNSET;
        int r;

        r = cron_to_oncalendar(expr, &out, &err, &col);
        if (r != 0)
                print_error("'%s': %s (col %zu)\n", expr, strbuf_str(&err), col);
        assert_int_equal(r, 0);
        assert_string_equal(strbuf_str(&out), expected);
        assert_string_equal(strbuf_str(&err), "");
        assert_int_equal(col, COL_UNSET);
        strbuf_free(&out);
        strbuf_free(&err);
}

static void test_calendar_bad_one(const char *expr, const char *expected_message, size_t expected_col) {
        strbuf out = STRBUF_INIT, err = STRBUF_INIT;
        size_t col = COL_UNSET;
        int r;

        strbuf_adds(&out, "untouched");
        r = cron_to_oncalendar(expr, &out, &err, &col);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(strbuf_str(&err), expected_message);
        assert_int_equal(col, expected_col);
        assert_string_equal(strbuf_str(&out), "untouched");
        strbuf_free(&out);
        strbuf_free(&err);
}

static void test_good_row(void **state) {
        const good_row *row = *state;

        test_calendar_one(row->expr, row->expected);
}

static void test_bad_row(void **state) {
        const bad_row *row = *state;

        test_calendar_bad_one(row->expr, row->message, row->col);
}

static void test_appends(void **state) {
        strbuf out = STRBUF_INIT;

        strbuf_adds(&out, "OnCalendar=");
        assert_int_equal(cron_to_oncalendar("0 3 * * *", &out, NULL, NULL), 0);
        assert_string_equal(strbuf_str(&out), "OnCalendar=*-*-* 03:00:00");
        strbuf_free(&out);
}

static void test_null_err(void **state) {
        strbuf out = STRBUF_INIT;

        assert_int_equal(cron_to_oncalendar("0 24 * * *", &out, NULL, NULL), -EINVAL);
        assert_int_equal(cron_to_oncalendar(NULL, &out, NULL, NULL), -EINVAL);
        assert_string_equal(strbuf_str(&out), "");
        strbuf_free(&out);
}

static void test_too_many_items(void **state) {
        strbuf expr = STRBUF_INIT;
        int i;

        for (i = 0; i < 64; i++)
                strbuf_adds(&expr, "1,");
        strbuf_adds(&expr, "1 * * * *");
        test_calendar_bad_one(strbuf_str(&expr), "field 1 (minute): more than 64 items in the list", 128);
        strbuf_truncate(&expr, 0);
        for (i = 0; i < 63; i++)
                strbuf_adds(&expr, "1,");
        strbuf_adds(&expr, "1 * * * *");
        test_calendar_one(strbuf_str(&expr), "*-*-* *:01:00");
        strbuf_free(&expr);
}

static void test_long_token_cut(void **state) {
        test_calendar_bad_one("0 0 * * abcdefghijklmnopqrstuvwxyzabcdef",
                              "field 5 (day of week): unknown day name 'abcdefghijklmnopqrstuvwx...' "
                              "(expected sun-sat or 0-7)", 8);
}

static int list_rows(void) {
        size_t i;

        for (i = 0; i < ELEMENTSOF(good_rows); i++) {
                const char *p;

                /* A tab separates the columns; in the cron expression it is just a blank. */
                for (p = good_rows[i].expr; *p; p++)
                        putchar(*p == '\t' ? ' ' : *p);
                printf("\t%s\n", good_rows[i].expected);
        }
        return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        static const struct CMUnitTest extra[] = {
                cmocka_unit_test(test_appends),
                cmocka_unit_test(test_null_err),
                cmocka_unit_test(test_too_many_items),
                cmocka_unit_test(test_long_token_cut),
        };
        static struct CMUnitTest tests[ELEMENTSOF(good_rows) + ELEMENTSOF(bad_rows) + ELEMENTSOF(extra)];
        size_t i, n = 0;

        if (argc == 2 && strcmp(argv[1], "--list") == 0)
                return list_rows();

        for (i = 0; i < ELEMENTSOF(good_rows); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = good_rows[i].expr,
                        .test_func = test_good_row,
                        .initial_state = (void *) &good_rows[i],
                };
        for (i = 0; i < ELEMENTSOF(bad_rows); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = bad_rows[i].expr,
                        .test_func = test_bad_row,
                        .initial_state = (void *) &bad_rows[i],
                };
        for (i = 0; i < ELEMENTSOF(extra); i++)
                tests[n++] = extra[i];

        return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
