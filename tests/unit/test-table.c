/* SPDX-License-Identifier: MIT */
/* What the verbs print, from data: `pmgen ls` (table and JSON), a `pmgen logs` line,
 * and the small decisions behind the verbs and the generator (scale counts, which
 * env values describe shows, log levels, the generator's scope). Tables of cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/generator.h"
#include "cli/journal.h"
#include "cli/table.h"
#include "cli/verbs.h"

static void test_formats(void **state) {
        static const struct {
                uint64_t usec;
                const char *want;
        } up[] = { { 0, "0s" }, { 59999999, "59s" }, { 60000000, "1m" }, { 3599000000ULL, "59m" },
                   { 3600000000ULL, "1h" }, { 86400000000ULL, "1D" }, { 5 * 86400000000ULL + 7, "5D" }, { ROW_UNKNOWN, "-" } };
        static const struct {
                uint64_t b;
                const char *want;
        } mem[] = { { 0, "0b" }, { 1023, "1023b" }, { 1024, "1kb" }, { 52428800 + 419430, "50.4mb" },
                    { 3ULL << 30, "3.0gb" }, { ROW_UNKNOWN, "-" } };
        static const struct {
                const char *active, *sub, *want;
        } st[] = { { "active", "running", "online" },       { "activating", "start", "launching" },
                   { "activating", "auto-restart", "waiting restart" }, { "deactivating", "stop", "stopping" },
                   { "failed", "failed", "errored" },       { "inactive", "dead", "stopped" },
                   { "reloading", "reload", "reloading" }, { NULL, NULL, "unknown" } };
        char buf[32];

        (void) state;
        for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
                assert_string_equal(fmt_uptime(up[i].usec, buf), up[i].want);
        for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++)
                assert_string_equal(fmt_bytes(mem[i].b, buf), mem[i].want);
        for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
                assert_string_equal(row_status(st[i].active, st[i].sub), st[i].want);
}

static const inst_row rows[] = {
        { "api", "0", "api@0.service", "active", "running", 4242, 4240, 65000000, 3, 1.5, 12000000, 52428800, 18080 },
        { "api", "1", "api@1.service", "failed", "failed", 0, 0, ROW_UNKNOWN, 16, -1, ROW_UNKNOWN, ROW_UNKNOWN, 18080 },
        { "worker-long-name", "0", "worker-long-name@0.service", "active", "running", 7, 7, 1000000, 0, 0, 0, 2048, 0 },
};

static void test_table(void **state) {
        strbuf sb = STRBUF_INIT;

        (void) state;
        table_render(rows, 3, false, &sb);
        assert_string_equal(strbuf_str(&sb),
                            "app               id  pid   uptime  restarts  status   cpu  memory  port\n"
                            "api               0   4242  1m      3         online   2%   50.0mb  18080\n"
                            "api               1   -     -       16        errored  -    -       18080\n"
                            "worker-long-name  0   7     1s      0         online   0%   2kb     -\n");
        strbuf_truncate(&sb, 0);
        table_render(rows, 1, true, &sb);
        assert_non_null(strstr(strbuf_str(&sb), "\033[32monline\033[0m"));
        strbuf_truncate(&sb, 0);
        table_render_json(rows, 2, &sb);
        assert_string_equal(strbuf_str(&sb),
                            "[\n{\"app\":\"api\",\"instance\":\"0\",\"unit\":\"api@0.service\",\"status\":\"online\","
                            "\"active_state\":\"active\",\"sub_state\":\"running\",\"pid\":4242,\"main_pid\":4240,"
                            "\"uptime_ms\":65000,\"restarts\":3,\"cpu_percent\":1.5,\"cpu_nsec\":12000000,"
                            "\"memory_bytes\":52428800,\"port\":18080},\n"
                            "{\"app\":\"api\",\"instance\":\"1\",\"unit\":\"api@1.service\",\"status\":\"errored\","
                            "\"active_state\":\"failed\",\"sub_state\":\"failed\",\"pid\":0,\"main_pid\":0,"
                            "\"uptime_ms\":null,\"restarts\":16,\"cpu_percent\":null,\"cpu_nsec\":null,"
                            "\"memory_bytes\":null,\"port\":18080}\n]\n");
        strbuf_truncate(&sb, 0);
        table_render_json(rows, 0, &sb);
        assert_string_equal(strbuf_str(&sb), "[]\n");
        strbuf_free(&sb);
}

static void test_log_one(const log_line *l, int width, bool json, const char *want) {
        strbuf sb = STRBUF_INIT;

        log_render(l, width, json, false, &sb);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_free(&sb);
}

static void test_log_lines(void **state) {
        (void) state;
        setenv("TZ", "UTC", 1);
        tzset();
        /* with a time: log_date_format (moment.js tokens), as PM2 writes it into its files */
        test_log_one(&(log_line){ 1764000000123456ULL, "api", "0", "GET / 200\n", 10, 6, 42, false, "YYYY-MM-DD HH:mm:ss.SSS Z" },
                     5, false, "0|api   | 2025-11-24 16:00:00.123 +00:00: GET / 200\n");
        test_log_one(&(log_line){ 1764000000123456ULL, "api", "0", "GET / 200\n", 10, 6, 42, false, NULL }, 5, false,
                     "0|api   | GET / 200\n");
        test_log_one(&(log_line){ 1764000000123456ULL, "api", "12", "x", 1, 6, 42, false, NULL }, 5, false, "12|api  | x\n");
        test_log_one(&(log_line){ 1764000000123456ULL, "api", "0", "Started", 7, 6, 1, true, NULL }, 3, false,
                     "0|api | [systemd] Started\n");
        test_log_one(&(log_line){ 1764000000123456ULL, "api", "1", "a \"q\"\tb\001", 9, 3, 42, false, NULL }, 5, true,
                     "{\"time\":\"2025-11-24T16:00:00.123Z\",\"usec\":1764000000123456,\"app\":\"api\",\"instance\":\"1\","
                     "\"pid\":42,\"priority\":3,\"source\":\"app\",\"message\":\"a \\\"q\\\"\\tb\\u0001\"}\n");
        test_log_one(&(log_line){ 0, "api", NULL, NULL, 0, -1, 0, false, NULL }, 5, false, "-|api   | \n");
}

static void test_scale_count(void **state) {
        static const struct {
                const char *arg;
                unsigned cur;
                int r;
                unsigned want;
        } rows2[] = { { "3", 2, 0, 3 },      { "+2", 2, 0, 4 },    { "-1", 2, 0, 1 },   { "-2", 2, -EINVAL, 0 },
                      { "0", 2, -EINVAL, 0 }, { "1024", 1, 0, 1024 }, { "1025", 1, -EINVAL, 0 }, { "+1024", 1, -EINVAL, 0 },
                      { "x", 1, -EINVAL, 0 }, { "2x", 1, -EINVAL, 0 }, { "", 1, -EINVAL, 0 }, { "+", 1, -EINVAL, 0 },
                      { "--1", 1, -EINVAL, 0 } };
        (void) state;
        for (size_t i = 0; i < sizeof(rows2) / sizeof(rows2[0]); i++) {
                unsigned n = 0;

                assert_int_equal(scale_count(rows2[i].arg, rows2[i].cur, &n), rows2[i].r);
                if (rows2[i].r == 0)
                        assert_int_equal(n, rows2[i].want);
        }
}

static void test_small_decisions(void **state) {
        (void) state;
        assert_true(env_shown("NODE_ENV"));
        assert_true(env_shown("PORT"));
        assert_false(env_shown("DATABASE_URL"));
        assert_false(env_shown("API_KEY"));
        assert_false(env_shown("node_env"));

        assert_int_equal(generator_log_level("debug"), 7);
        assert_int_equal(generator_log_level("warning"), 4);
        assert_int_equal(generator_log_level("err"), 3);
        assert_int_equal(generator_log_level("3"), 3);
        assert_int_equal(generator_log_level("8"), -1);
        assert_int_equal(generator_log_level("loud"), -1);
        assert_int_equal(generator_log_level(NULL), -1);

        assert_false(generator_is_user("system", "/usr/lib/systemd/user-generators/pmgen-user-generator"));
        assert_true(generator_is_user("user", "pmgen-generator"));
        assert_true(generator_is_user(NULL, "/usr/lib/systemd/user-generators/pmgen-user-generator"));
        assert_false(generator_is_user(NULL, "/lib/systemd/system-generators/pmgen-generator"));
        assert_false(generator_is_user("", "pmgen-generator"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_formats),     cmocka_unit_test(test_table),
                cmocka_unit_test(test_log_lines),   cmocka_unit_test(test_scale_count),
                cmocka_unit_test(test_small_decisions),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
