/* SPDX-License-Identifier: MIT */
/* The unified diff of `pmgen diff`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "linediff.h"

static void check(const char *a, const char *b, unsigned context, const char *want) {
        strbuf sb = STRBUF_INIT;

        line_diff(&sb, a, b, "a", "b", context);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_free(&sb);
}

static void test_diffs(void **state) {
        (void) state;
        check("x\ny\n", "x\ny\n", 3, "");
        check("a\nb\nc\n", "a\nB\nc\n", 3, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        check("", "new\n", 3, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n");
        check("old\n", "", 3, "--- a\n+++ b\n@@ -1,1 +0,0 @@\n-old\n");
        /* two changes far apart: two hunks with one line of context */
        check("1\n2\n3\n4\n5\n6\n7\n8\n", "1\nX\n3\n4\n5\n6\nY\n8\n", 1,
              "--- a\n+++ b\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n@@ -6,3 +6,3 @@\n 6\n-7\n+Y\n 8\n");
        /* close changes merge into one hunk */
        check("1\n2\n3\n4\n", "1\nX\n3\nY\n", 1, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n 1\n-2\n+X\n 3\n-4\n+Y\n");
        /* an added line in the middle; no final newline */
        check("a\nc", "a\nb\nc", 3, "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n+b\n c\n");
}

int main(void) {
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_diffs) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
