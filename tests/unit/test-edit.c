/* SPDX-License-Identifier: MIT */
/* The text edits of store files (src/cli/edit.c) that scale and delete make, and the
 * store file name a source gets: tables of input → exact output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/edit.h"

static void test_set_instances_one(const char *in, const char *app, unsigned n, int want_r, const char *want) {
        char *out = NULL;
        int r = edit_set_instances(in, app, n, &out);

        assert_int_equal(r, want_r);
        if (r == 0)
                assert_string_equal(out, want);
        free(out);
}

static void test_set_instances(void **state) {
        (void) state;
        /* replaced in place of the old line: moved right after the header */
        test_set_instances_one("; head\n[web]\nscript = a.js\ninstances = 2\nport = 1\n\n[web env]\nA = 1\n", "web", 5, 0,
                               "; head\n[web]\ninstances = 5\nscript = a.js\nport = 1\n\n[web env]\nA = 1\n");
        /* added when missing; other apps untouched */
        test_set_instances_one("[api]\ninstances = 3\n[web]\nscript = a.js\n", "web", 2, 0,
                               "[api]\ninstances = 3\n[web]\ninstances = 2\nscript = a.js\n");
        /* "instances=4" without spaces, and "instances_x" is another key */
        test_set_instances_one("[web]\ninstances=4\ninstances_x = 1\n", "web", 1, 0, "[web]\ninstances = 1\ninstances_x = 1\n");
        /* only the main section, not [web env] */
        test_set_instances_one("[web env]\ninstances = 9\n[web]\nscript = a\n", "web", 2, 0,
                               "[web env]\ninstances = 9\n[web]\ninstances = 2\nscript = a\n");
        /* a prefix of another app's name is not the app */
        test_set_instances_one("[webapp]\nscript = a\n", "web", 2, -ENOENT, NULL);
        /* no final newline */
        test_set_instances_one("[web]\nscript = a", "web", 3, 0, "[web]\ninstances = 3\nscript = a");
}

static void test_remove_one(const char *in, const char *app, int want_r, const char *want, bool want_empty) {
        char *out = NULL;
        bool empty = false;
        int r = edit_remove_app(in, app, &out, &empty);

        assert_int_equal(r, want_r);
        if (r == 0) {
                assert_string_equal(out, want);
                assert_int_equal(empty, want_empty);
        }
        free(out);
}

static void test_remove(void **state) {
        (void) state;
        /* the app's sections and the comment above them go; the file header stays */
        test_remove_one("; Applied by pmgen from /x.js\n\n[web]\nscript = a\n\n[web env]\nA = 1\n\n; the api\n[api]\nscript = b\n",
                        "api", 0, "; Applied by pmgen from /x.js\n\n[web]\nscript = a\n\n[web env]\nA = 1\n", false);
        /* the first app: the comment introducing the next section stays with it */
        test_remove_one("; header\n\n[web]\nscript = a\n[web env_prod]\nB = 2\n\n; the api\n[api]\nscript = b\n", "web", 0,
                        "; header\n\n; the api\n[api]\nscript = b\n", false);
        /* the last app: nothing is left */
        test_remove_one("; header\n[web]\nscript = a\n", "web", 0, "; header\n", true);
        test_remove_one("[web]\nscript = a\n", "api", -ENOENT, NULL, false);
}

static const char *const taken_names[] = { "eco.config.ini", "eco.config-2.ini", NULL };

static bool taken(const char *name, void *userdata) {
        (void) userdata;
        for (size_t i = 0; taken_names[i]; i++)
                if (strcmp(taken_names[i], name) == 0)
                        return true;
        return false;
}

static bool none_taken(const char *name, void *userdata) {
        (void) name;
        (void) userdata;
        return false;
}

static void test_store_name(void **state) {
        static const struct {
                const char *source, *want;
                bool busy;
        } rows[] = {
                { "/srv/api/ecosystem.config.js", "ecosystem.config.ini", false },
                { "/srv/api/apps.ini", "apps.ini", false },
                { "/srv/api/process.json", "process.ini", false },
                { "/root/.pm2/dump.pm2", "dump.ini", false },
                { "/srv/x/my app.js", "my_app.ini", false },
                { "/srv/x/.hidden.js", ".hidden.ini", false },
                { "/srv/x/eco.config.js", "eco.config-3.ini", true },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char *n = edit_store_name(rows[i].source, rows[i].busy ? taken : none_taken, NULL);

                assert_non_null(n);
                assert_string_equal(n, rows[i].want);
                free(n);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_instances),
                cmocka_unit_test(test_remove),
                cmocka_unit_test(test_store_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
