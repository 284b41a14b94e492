/* SPDX-License-Identifier: MIT */
/* The escapers: every way a user string reaches a unit or an environment file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static void test_exec_one(const char *in, const char *expected) {
        strbuf sb = STRBUF_INIT;

        escape_exec_word(&sb, in);
        assert_string_equal(strbuf_str(&sb), expected);
        strbuf_free(&sb);
}

static void test_exec_word(void **state) {
        (void) state;
        test_exec_one("/usr/bin/node", "/usr/bin/node");
        test_exec_one("--port=3000", "--port=3000");
        test_exec_one("a b", "\"a b\"");
        test_exec_one("100%", "\"100%%\"");
        test_exec_one("$HOME", "\"$$HOME\"");
        test_exec_one("${X}", "\"$${X}\"");
        test_exec_one("say \"hi\"", "\"say \\\"hi\\\"\"");
        test_exec_one("back\\slash", "\"back\\\\slash\"");
        test_exec_one("two\nlines", "\"two\\nlines\"");
        test_exec_one("tab\there", "\"tab\\there\"");
        test_exec_one("bell\a", "\"bell\\x07\"");
        test_exec_one("", "\"\"");
        test_exec_one("-leading-dash", "-leading-dash");
        test_exec_one("@at", "\"@at\"");
        test_exec_one("+plus", "\"+plus\"");
        test_exec_one("!bang", "\"!bang\"");
        test_exec_one(":colon", "\":colon\"");
        test_exec_one("semi;colon", "\"semi;colon\"");
        test_exec_one("it's", "\"it's\"");
        test_exec_one("ünïcode", "\"ünïcode\"");
}

static void test_env_one(const char *name, const char *value, const char *expected) {
        strbuf sb = STRBUF_INIT;

        escape_env_line(&sb, name, value);
        assert_string_equal(strbuf_str(&sb), expected);
        strbuf_free(&sb);
}

static void test_env_line(void **state) {
        (void) state;
        test_env_one("A", "plain", "A=\"plain\"\n");
        test_env_one("A", "", "A=\"\"\n");
        test_env_one("A", "with space", "A=\"with space\"\n");
        test_env_one("A", "q\"uote", "A=\"q\\\"uote\"\n");
        test_env_one("A", "back\\slash", "A=\"back\\\\slash\"\n");
        test_env_one("A", "$HOME", "A=\"\\$HOME\"\n");
        test_env_one("A", "`cmd`", "A=\"\\`cmd\\`\"\n");
        test_env_one("A", "100%", "A=\"100%\"\n");
        test_env_one("A", "it's", "A=\"it's\"\n");
        test_env_one("A", "line1\nB=injected", "A=\"line1\nB=injected\"\n");
}

static void test_environment_one(const char *value, const char *expected) {
        strbuf sb = STRBUF_INIT;

        escape_environment(&sb, "pm_cwd", value);
        assert_string_equal(strbuf_str(&sb), expected);
        strbuf_free(&sb);
}

/* Environment= lines: systemd expands specifiers, then C-unescapes and unquotes the words. */
static void test_environment(void **state) {
        (void) state;
        test_environment_one("/srv/app", "Environment=\"pm_cwd=/srv/app\"\n");
        test_environment_one("/a b/100%", "Environment=\"pm_cwd=/a b/100%%\"\n");
        test_environment_one("q\"uote", "Environment=\"pm_cwd=q\\\"uote\"\n");
        test_environment_one("back\\slash", "Environment=\"pm_cwd=back\\\\slash\"\n");
        test_environment_one("$HOME", "Environment=\"pm_cwd=$HOME\"\n"); /* not expanded in Environment= */
}

static void test_unit_names(void **state) {
        size_t at;

        (void) state;
        assert_null(unit_name_check("postgresql.service", &at));
        assert_null(unit_name_check("getty@tty1.service", &at));
        assert_null(unit_name_check("dev-disk-by\\x2duuid.device", &at));
        assert_null(unit_name_check("network-online.target", &at));
        assert_non_null(unit_name_check("postgresql", &at));
        assert_int_equal(at, 10);
        assert_non_null(unit_name_check(".service", &at));
        assert_non_null(unit_name_check("getty@.service", &at));
        assert_int_equal(at, 5);
        assert_non_null(unit_name_check("a\nb.service", &at));
        assert_int_equal(at, 1);
        assert_non_null(unit_name_check("", &at));
}

static void test_name_one(const char *name, const char *expected_msg, size_t expected_at) {
        size_t at = 99;
        const char *msg = name_check(name, &at);

        if (!expected_msg) {
                assert_null(msg);
                return;
        }
        assert_non_null(msg);
        assert_non_null(strstr(msg, expected_msg));
        assert_int_equal(at, expected_at);
}

static void test_names(void **state) {
        (void) state;
        test_name_one("api", NULL, 0);
        test_name_one("api-v2.worker_1", NULL, 0);
        test_name_one("a:b", NULL, 0);
        test_name_one("0day", NULL, 0);
        test_name_one("", "empty", 0);
        test_name_one("-api", "start with", 0);
        test_name_one(".hidden", "start with", 0);
        test_name_one("a@b", "may contain only", 1);
        test_name_one("a b", "may contain only", 1);
        test_name_one("a/b", "may contain only", 1);
        test_name_one("a%i", "may contain only", 1);
        test_name_one("a\nExecStartPre=/bin/sh", "may contain only", 1);
        test_name_one("a\\x2d", "may contain only", 1);
        test_name_one("api$", "may contain only", 3);
        test_name_one("0123456789012345678901234567890123456789012345678901234567890123", NULL, 0);
        test_name_one("01234567890123456789012345678901234567890123456789012345678901234", "at most 64", 64);
}

static void test_env_names(void **state) {
        size_t at;

        (void) state;
        assert_null(env_name_check("NODE_ENV", &at));
        assert_null(env_name_check("_x1", &at));
        assert_non_null(env_name_check("1X", &at));
        assert_non_null(env_name_check("A-B", &at));
        assert_int_equal(at, 1);
        assert_non_null(env_name_check("A=B", &at));
        assert_non_null(env_name_check("A\nB", &at));
        assert_non_null(env_name_check("", &at));
}

static void test_unit_value(void **state) {
        size_t at;
        strbuf sb = STRBUF_INIT;

        (void) state;
        assert_null(unit_value_check("/srv/my app/x", &at));
        assert_non_null(unit_value_check("/srv/a\nExecStart=/bin/sh", &at));
        assert_int_equal(at, 6);
        assert_non_null(unit_value_check("/srv/a\\", &at));
        assert_int_equal(at, 6);
        assert_non_null(unit_value_check("a\rb", &at));
        escape_specifiers(&sb, "/srv/%i/%%");
        assert_string_equal(strbuf_str(&sb), "/srv/%%i/%%%%");
        strbuf_truncate(&sb, 0);
        escape_unit_name_part(&sb, "/srv/my app.d");
        assert_string_equal(strbuf_str(&sb), "-srv-my\\x20app.d");
        strbuf_free(&sb);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_word), cmocka_unit_test(test_env_line), cmocka_unit_test(test_environment),
                cmocka_unit_test(test_unit_names), cmocka_unit_test(test_names),
                cmocka_unit_test(test_env_names), cmocka_unit_test(test_unit_value),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
