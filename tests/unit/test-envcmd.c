/* SPDX-License-Identifier: MIT */
/* `pmgen env`: each variable of an environ block with its source; declared values masked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/envcmd.h"

static void test_report(void **state) {
        static const char block[] = "NODE_ENV=production\0DB_PASSWORD=hunter2\0PORT=3000\0pm_id=1\0"
                                    "PATH=/usr/bin:/bin\0NODE_OPTIONS=--max-old-space-size=512 --require /p.cjs\0"
                                    "PMGEN_BACKLOG=511\0ODD=a\033[2Jb\0junk\0";
        const char *const declared[] = { "NODE_ENV", "DB_PASSWORD", "NODE_OPTIONS", NULL };
        strbuf sb = STRBUF_INIT;

        (void) state;
        env_report(block, sizeof(block) - 1, declared, &sb);
        /* padded to the longest NAME=VALUE; the escape byte of ODD is shown as \\x1b, not sent to the terminal */
        assert_string_equal(strbuf_str(&sb),
                            "NODE_ENV=production                                     declared\n"
                            "DB_PASSWORD=****                                        declared\n"
                            "PORT=3000                                               pmgen\n"
                            "pm_id=1                                                 pmgen\n"
                            "PATH=/usr/bin:/bin                                      systemd\n"
                            "NODE_OPTIONS=--max-old-space-size=512 --require /p.cjs  declared, extended by pmgen\n"
                            "PMGEN_BACKLOG=511                                       pmgen\n"
                            "ODD=a\\x1b[2Jb                                           systemd\n");
        strbuf_free(&sb);
}

int main(void) {
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_report) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
