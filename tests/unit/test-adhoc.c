/* SPDX-License-Identifier: MIT */
/* `pmgen start` as PM2 users type it (src/cli/adhoc.c): which form an argument is,
 * PM2's flags → the declaration in pmgen's INI form (exact text, and read back by the
 * INI front end), and the flags refused with the systemd way. Tables of cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/adhoc.h"
#include "parse-ini.h"

static bool no_file(const char *path) {
        (void) path;
        return false;
}

static bool all_files(const char *path) {
        (void) path;
        return true;
}

static void test_form(void **state) {
        static const struct {
                const char *arg;
                bool exists;
                start_form want;
        } rows[] = {
                { "api", false, START_APP },
                { "all", false, START_APP },
                { "api.v2", false, START_APP },
                { "app.js", false, START_SCRIPT },
                { "server.mjs", false, START_SCRIPT },
                { "worker.py", false, START_SCRIPT },
                { "./api", false, START_SCRIPT },
                { "/usr/bin/python3", false, START_SCRIPT },
                { "api", true, START_SCRIPT },
                { "ecosystem.config.js", false, START_ECOSYSTEM },
                { "ecosystem.config.cjs", true, START_ECOSYSTEM },
                { "ecosystem.json", false, START_ECOSYSTEM },
                { "/srv/x/apps.ini", false, START_ECOSYSTEM },
                { "process.yml", false, START_APP },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                start_form f = start_form_of(rows[i].arg, rows[i].exists);

                if (f != rows[i].want)
                        fail_msg("%s: form %d, expected %d", rows[i].arg, f, rows[i].want);
        }
}

static void test_names(void **state) {
        (void) state;
        char *n = adhoc_default_name("/srv/api/server.js");

        assert_string_equal(n, "server");
        free(n);
        n = adhoc_default_name("worker");
        assert_string_equal(n, "worker");
        free(n);
        n = adhoc_default_name("a.b.py");
        assert_string_equal(n, "a.b");
        free(n);
        assert_true(only_has("api,web", "web"));
        assert_true(only_has("api, web", "web"));
        assert_false(only_has("api,webx", "web"));
        assert_false(only_has("", "web"));
}

/* argv (NULL-terminated, without the program) → the INI text, or a message containing `err`. */
static void ini_one(const char *const *args, const char *want, const char *err) {
        char *argv[32] = { (char *) "pmgen" };
        int argc = 1;
        adhoc_req r;
        char *msg = NULL;
        strbuf out = STRBUF_INIT;
        diag_list dl = DIAG_LIST_INIT;
        int q;

        for (; args[argc - 1]; argc++)
                argv[argc] = (char *) args[argc - 1];
        q = adhoc_parse(argc, argv, no_file, &r, &msg);
        if (err) {
                if (q != -EINVAL || !msg || !strstr(msg, err))
                        fail_msg("%s: expected an error with '%s', got %d '%s'", args[0], err, q, msg ? msg : "");
                free(msg);
                return;
        }
        if (q < 0)
                fail_msg("%s: %s", args[0], msg ? msg : "error");
        assert_int_equal(r.form, START_SCRIPT);
        char *name = r.name ? strdup(r.name) : adhoc_default_name(r.target);

        assert_int_equal(adhoc_to_ini(&r, name, "/srv/app/app.js", "/srv/app", &out, &dl), 0);
        assert_string_equal(strbuf_str(&out), want);
        /* what the generator will read */
        value *v = NULL;

        assert_int_equal(ini_parse_text("t.ini", strbuf_str(&out), out.len, &v, &dl), 0);
        assert_false(diag_failed(&dl));
        value_free(v);
        free(name);
        adhoc_req_free(&r);
        strbuf_free(&out);
        diag_list_free(&dl);
}

static void test_ini(void **state) {
        (void) state;
        ini_one((const char *[]){ "app.js", NULL }, "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\n", NULL);
        ini_one((const char *[]){ "app.js", "-i", "2", "--name", "api", "--port", "18801", NULL },
                "[api]\nscript = /srv/app/app.js\ncwd = /srv/app\ninstances = 2\nexec_mode = cluster\nport = 18801\n", NULL);
        ini_one((const char *[]){ "app.js", "-i", "max", "--max-memory-restart", "300M", "--cron", "0 3 * * *", "--env",
                                  "NODE_ENV=production", "--env", "GREETING=hello world", "--env", "NODE_ENV=staging", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\ninstances = max\nexec_mode = cluster\n"
                "max_memory_restart = 300M\ncron_restart = 0 3 * * *\n\n[app env]\nNODE_ENV = staging\n"
                "GREETING = hello world\n",
                NULL);
        ini_one((const char *[]){ "app.js", "--name=w", "--interpreter", "none", "--node-args", "--max-old-space-size=64 --trace",
                                  "--watch", "--no-autorestart", "--", "--flag", "two words", "x;y", NULL },
                "[w]\nscript = /srv/app/app.js\ncwd = /srv/app\ninterpreter = none\n"
                "interpreter_args = --max-old-space-size=64 --trace\nwatch = true\nautorestart = false\n"
                "args = --flag \"two words\" x;y\n",
                NULL);
        /* a later flag replaces an earlier one; -f and --update-env are accepted */
        ini_one((const char *[]){ "app.js", "-i", "2", "-i4", "-f", "--update-env", "--kill-timeout", "3s", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\ninstances = 4\nexec_mode = cluster\nkill_timeout = 3s\n", NULL);
        /* --watch [PATHS]: PM2's optional value (after the script; commas separate paths) */
        ini_one((const char *[]){ "app.js", "--watch", "src,lib", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nwatch = src lib\n", NULL);
        ini_one((const char *[]){ "app.js", "--watch=src", "-i", "2", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nwatch = src\ninstances = 2\nexec_mode = cluster\n", NULL);
        ini_one((const char *[]){ "--watch", "app.js", NULL }, "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nwatch = true\n",
                NULL);
        /* PM2's short forms: -k kill timeout, -c cron, -a update-env; -w (--write) and -m (--mini-list) change nothing */
        ini_one((const char *[]){ "app.js", "-k", "5000", "-c", "0 4 * * *", "-a", "-w", "-m", "--sort", "name:asc",
                                  "--watch-delay", "100", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nkill_timeout = 5000\ncron_restart = 0 4 * * *\n", NULL);
        ini_one((const char *[]){ "app.js", "--no-autostart", "--disable-logs", "--merge-logs", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nautostart = false\ndisable_logs = true\n"
                "merge_logs = true\n",
                NULL);
        /* log files relative to the working directory, as PM2 takes them */
        ini_one((const char *[]){ "app.js", "-e", "err.log", "-o", "/var/log/out.log", "-l", "logs/all.log", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\nerror_file = /srv/app/err.log\n"
                "out_file = /var/log/out.log\nlog_file = /srv/app/logs/all.log\n",
                NULL);
        /* a value that needs quoting reaches the file quoted */
        ini_one((const char *[]){ "app.js", "--env", "A= lead; x", NULL },
                "[app]\nscript = /srv/app/app.js\ncwd = /srv/app\n\n[app env]\nA = \" lead\\x3b x\"\n", NULL);

        /* errors */
        ini_one((const char *[]){ "app.js", "-i", "lots", NULL }, NULL, "-i: expected a number from -1024 to 1024 or max");
        ini_one((const char *[]){ "app.js", "--port", "70000", NULL }, NULL, "a port from 1 to 65535");
        ini_one((const char *[]){ "app.js", "--max-memory-restart", "lots", NULL }, NULL, "a size such as");
        ini_one((const char *[]){ "app.js", "--cron", "every day", NULL }, NULL, "a cron expression");
        ini_one((const char *[]){ "app.js", "--env", "production", NULL }, NULL, "a script takes variables");
        ini_one((const char *[]){ "app.js", "--env", "1X=2", NULL }, NULL, "is not a variable name");
        ini_one((const char *[]){ "app.js", "--name", "a b", NULL }, NULL, "--name: expected letters");
        ini_one((const char *[]){ "app.js", "--name", "all", NULL }, NULL, "not 'all'");
        ini_one((const char *[]){ "app.js", "--no-daemon", NULL }, NULL, "`pmgen logs NAME -f`");
        ini_one((const char *[]){ "app.js", "-x", NULL }, NULL, "--interpreter none");
        ini_one((const char *[]){ "app.js", "--no-treekill", NULL }, NULL, "KillMode=mixed");
        ini_one((const char *[]){ "app.js", "-u", "www", NULL }, NULL, "--uid USER");
        ini_one((const char *[]){ "app.js", "--bogus", NULL }, NULL, "unknown option --bogus");
        ini_one((const char *[]){ "app.js", "--only", "a", NULL }, NULL, "--only does not go with a script");
        ini_one((const char *[]){ "app.js", "other.js", NULL }, NULL, "one SCRIPT, FILE or APP at a time");
        ini_one((const char *[]){ "app.js", "--watch=,", NULL }, NULL, "--watch: expected paths");
        ini_one((const char *[]){ "app.js", "-p", "app.pid", NULL }, NULL, "systemctl show -p MainPID");
        ini_one((const char *[]){ "app.js", "--pid", "app.pid", NULL }, NULL, "systemctl show -p MainPID");
        ini_one((const char *[]){ "app.js", "--hp", "/home/www", NULL }, NULL, "a startup option");
        ini_one((const char *[]){ "app.js", "--wait-ip", NULL }, NULL, "network-online.target");
        ini_one((const char *[]){ "app.js", "--service-name", "x", NULL }, NULL, "a startup option");
        ini_one((const char *[]){ "app.js", "--v8", NULL }, NULL, "metrics module");
        ini_one((const char *[]){ "app.js", "--event-loop-inspector", NULL }, NULL, "metrics module");
        ini_one((const char *[]){ "app.js", "--trace", NULL }, NULL, "tracing module");
        ini_one((const char *[]){ "app.js", "--attach", NULL }, NULL, "`pmgen logs NAME -f`");
        ini_one((const char *[]){ "app.js", "-m", "x", NULL }, NULL, "one SCRIPT, FILE or APP at a time");
        ini_one((const char *[]){ "app.js", "--name", NULL }, NULL, "--name needs a value");
        ini_one((const char *[]){ "api", "-i", "2", NULL }, NULL, "names an app (`pmgen scale APP N`");
        ini_one((const char *[]){ "api", "--", "x", NULL }, NULL, "arguments after -- go to a script");
        ini_one((const char *[]){ "npm", "--name", "app", NULL }, NULL, "give its path, `pmgen start \"$(command -v npm)\"");
        ini_one((const char *[]){ "ecosystem.config.js", "--name", "x", NULL }, NULL, "--name does not go with an ecosystem file");
        ini_one((const char *[]){ "ecosystem.config.js", "--env", "A=b", NULL }, NULL, "expected the name of an env_NAME profile");
        ini_one((const char *[]){ NULL }, NULL, "expected SCRIPT, ecosystem FILE or APP|all");
}

static void test_forms_parsed(void **state) {
        char *argv[] = { (char *) "pmgen", (char *) "ecosystem.config.js", (char *) "--only", (char *) "api,web",
                         (char *) "--env", (char *) "production", (char *) "--user", (char *) "--dry-run" };
        char *argv2[] = { (char *) "pmgen", (char *) "api", (char *) "--user" };
        char *argv3[] = { (char *) "pmgen", (char *) "api", (char *) "-i", (char *) "2" };
        char *argv4[] = { (char *) "pmgen", (char *) "apps.ini", (char *) "-e", (char *) "live" };
        adhoc_req r;
        char *err = NULL;

        (void) state;
        assert_int_equal(adhoc_parse(8, argv, no_file, &r, &err), 0);
        assert_int_equal(r.form, START_ECOSYSTEM);
        assert_string_equal(r.only, "api,web");
        assert_string_equal(r.profile, "production");
        assert_true(r.user && r.dry_run);
        adhoc_req_free(&r);
        assert_int_equal(adhoc_parse(3, argv2, no_file, &r, &err), 0);
        assert_int_equal(r.form, START_APP);
        assert_true(r.user);
        adhoc_req_free(&r);
        /* -e: --env for an ecosystem file (PM2's --error for a script) */
        assert_int_equal(adhoc_parse(4, argv4, no_file, &r, &err), 0);
        assert_string_equal(r.profile, "live");
        assert_int_equal(r.n_kv, 0);
        adhoc_req_free(&r);
        /* an existing file named like an app is a script */
        assert_int_equal(adhoc_parse(4, argv3, all_files, &r, &err), 0);
        assert_int_equal(r.form, START_SCRIPT);
        adhoc_req_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_form),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_ini),
                cmocka_unit_test(test_forms_parsed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
