/* SPDX-License-Identifier: MIT */
/* `pmgen monit`'s screen and keys (src/cli/monit.c), from data: the rows with their memory against the
 * limit, the journal window and its scrolling, cutting to the terminal's width, an app's control
 * characters kept off the terminal, and the key sequences. (The cgroup figures it shows come from
 * cgroup.c: tests/unit/test-cgroup.c reads v1 and v2 fixture trees.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/monit.h"

/* The screen as lines: escape sequences removed, "\r\n" split. */
static char **screen_lines(const char *s, size_t *n) {
        char **v = calloc(256, sizeof(char *));
        strbuf cur = STRBUF_INIT;

        *n = 0;
        for (const char *p = s; *p; p++) {
                if (*p == '\x1b') {
                        p++;
                        if (*p == '[')
                                while (p[1] && !((unsigned char) p[1] >= 0x40 && (unsigned char) p[1] <= 0x7e))
                                        p++;
                        p++;
                        continue;
                }
                if (*p == '\r')
                        continue;
                if (*p == '\n') {
                        v[(*n)++] = strbuf_steal(&cur);
                        continue;
                }
                strbuf_addc(&cur, *p);
        }
        v[(*n)++] = strbuf_steal(&cur);
        return v;
}

static void lines_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static monit_row row(const char *app, const char *inst, const char *active, uint32_t pid, uint64_t mem, uint64_t limit) {
        monit_row m = { .r = { .app = app, .instance = inst, .active = active, .sub = "running", .pid = pid,
                               .uptime_usec = 65000000, .restarts = 2, .cpu_percent = 1.5, .memory = mem },
                        .limit = limit };

        return m;
}

static void test_render(void **state) {
        monit_row rows[] = {
                row("api", "0", "active", 4242, 150u << 20, 300u << 20),
                row("api", "1", "failed", 0, UINT64_MAX, 300u << 20),
                row("worker", "0", "active", 77, 20u << 20, 0),
        };
        static const char log[] = "0|api   | one\n1|api   | two\x1b[2J\n0|api   | three\n";
        monit_view v = { .rows = rows, .n = 3, .selected = 0, .log = log, .width = 100, .height = 12, .status = "reload api: done" };
        strbuf out = STRBUF_INIT;
        size_t n;
        char **l;

        (void) state;
        rows[1].r.uptime_usec = UINT64_MAX; /* not running */
        rows[1].r.cpu_percent = -1;
        monit_render(&v, &out);
        assert_true(strncmp(strbuf_str(&out), "\x1b[H", 3) == 0);
        l = screen_lines(strbuf_str(&out), &n);
        assert_int_equal(n, 12);
        assert_string_equal(l[0], "pmgen monit: 3 instances, 2 online");
        assert_non_null(strstr(l[2], "memory / limit"));
        /* (12 - 5) / 2 = 3 table rows */
        assert_string_equal(l[3], "> api                0     4242  online         1m        2   1.5%  150.0mb / 300.0mb [#####.....]");
        assert_string_equal(l[4], "  api                1        0  errored         -        2      -  - / 300.0mb ");
        assert_string_equal(l[5], "  worker             0       77  online         1m        2   1.5%  20.0mb / - ");
        assert_string_equal(l[6], "-- journal: api");
        assert_string_equal(l[7], "0|api   | one");
        /* the app's ESC does not reach the terminal */
        assert_string_equal(l[8], "1|api   | two?[2J");
        assert_string_equal(l[9], "0|api   | three");
        assert_string_equal(l[10], "");
        assert_string_equal(l[11], "reload api: done");
        lines_free(l, n);

        /* narrow: every line cut to the width; selection scrolls the table */
        strbuf_truncate(&out, 0);
        v.width = 30;
        v.height = 9; /* 2 table rows */
        v.selected = 2;
        v.status = NULL;
        monit_render(&v, &out);
        l = screen_lines(strbuf_str(&out), &n);
        assert_int_equal(n, 9);
        for (size_t i = 0; i < n; i++)
                assert_true(strlen(l[i]) <= 30);
        assert_true(strncmp(l[3], "  api                1", 22) == 0);
        assert_true(strncmp(l[4], "> worker", 8) == 0);
        assert_string_equal(l[5], "-- journal: worker");
        /* 2 lines of journal room: the newest */
        assert_string_equal(l[6], "1|api   | two?[2J");
        assert_string_equal(l[7], "0|api   | three");
        lines_free(l, n);

        /* scrolled: one line up, and a scroll beyond the start is clamped */
        strbuf_truncate(&out, 0);
        v.scroll = 1;
        monit_render(&v, &out);
        l = screen_lines(strbuf_str(&out), &n);
        assert_true(strncmp(l[5], "-- journal: worker (scrolled", 28) == 0);
        assert_string_equal(l[6], "0|api   | one");
        assert_string_equal(l[7], "1|api   | two?[2J");
        lines_free(l, n);
        strbuf_truncate(&out, 0);
        v.scroll = 99;
        monit_render(&v, &out);
        l = screen_lines(strbuf_str(&out), &n);
        assert_string_equal(l[6], "0|api   | one");
        lines_free(l, n);

        /* UTF-8 counts one column per character */
        monit_row u[] = { row("caf\xc3\xa9", "0", "active", 1, 1u << 20, 0) };
        monit_view w = { .rows = u, .n = 1, .width = 20, .height = 8, .log = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n" };

        strbuf_truncate(&out, 0);
        monit_render(&w, &out);
        l = screen_lines(strbuf_str(&out), &n);
        /* (a width under 20 counts as 20) */
        assert_string_equal(l[5], "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        lines_free(l, n);

        /* no apps */
        monit_view e = { .n = 0, .width = 80, .height = 10 };

        strbuf_truncate(&out, 0);
        monit_render(&e, &out);
        l = screen_lines(strbuf_str(&out), &n);
        assert_string_equal(l[0], "pmgen monit: 0 instances, 0 online");
        assert_non_null(strstr(l[3], "no apps"));
        lines_free(l, n);
        strbuf_free(&out);
}

static void key_one(const char *in, monit_key want, size_t want_used) {
        size_t used = 99;
        monit_key k = monit_key_parse(in, strlen(in), &used);

        if (k != want || used != want_used)
                fail_msg("key '%s': %d (%zu bytes), expected %d (%zu)", in, k, used, want, want_used);
}

static void test_keys(void **state) {
        (void) state;
        key_one("\x1b[A", MK_UP, 3);
        key_one("\x1b[Bx", MK_DOWN, 3);
        key_one("\x1bOA", MK_UP, 3);
        key_one("\x1b[5~", MK_PGUP, 4);
        key_one("\x1b[6~", MK_PGDN, 4);
        key_one("k", MK_UP, 1);
        key_one("j", MK_DOWN, 1);
        key_one("r", MK_RELOAD, 1);
        key_one("R", MK_RESTART, 1);
        key_one("q", MK_QUIT, 1);
        key_one("\x03", MK_QUIT, 1);
        key_one("[", MK_PGUP, 1);
        key_one("]", MK_PGDN, 1);
        key_one("x", MK_NONE, 1);
        key_one("\x1b", MK_INCOMPLETE, 0);
        key_one("\x1b[", MK_INCOMPLETE, 0);
        key_one("\x1b[5", MK_INCOMPLETE, 0);
        key_one("\x1b[15~", MK_NONE, 5);
        key_one("\x1bx", MK_QUIT, 1);
        key_one("", MK_NONE, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
