/* SPDX-License-Identifier: MIT */
/* APP@N, one instance of an app, as the verbs read it (src/cli/apps.c, app_arg_instance). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/apps.h"

static void one(const char *arg, int want_r, size_t want_len, int want_instance) {
        size_t len = 999;
        int instance = 999;

        assert_int_equal(app_arg_instance(arg, &len, &instance), want_r);
        if (want_r < 0)
                return;
        assert_int_equal(len, want_len);
        assert_int_equal(instance, want_instance);
}

static void test_instance(void **state) {
        (void) state;
        one("api", 0, 3, -1);
        one("all", 0, 3, -1);
        one("api@0", 1, 3, 0);
        one("api@12", 1, 3, 12);
        one("my.app-2@99999", 1, 8, 99999);
        one("api@", -EINVAL, 0, 0);
        one("@1", -EINVAL, 0, 0);
        one("api@x", -EINVAL, 0, 0);
        one("api@1x", -EINVAL, 0, 0);
        one("api@-1", -EINVAL, 0, 0);
        one("api@100000", -EINVAL, 0, 0);
        one("api@1@2", -EINVAL, 0, 0);
        one("api@1.service", -EINVAL, 0, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_instance),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
