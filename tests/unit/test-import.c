/* SPDX-License-Identifier: MIT */
/* `pmgen import` (src/cli/import.c): PM2 dumps (the shape `pm2 save` writes, trimmed
 * from a real one made by PM2 6 here) in, pmgen's INI and the notes out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/import.h"
#include "model.h"
#include "parse-js.h"
#include "write.h"

static const char *no_env(void *ud, const char *name) {
        (void) ud;
        (void) name;
        return NULL;
}

static void test_import_one(const char *dump, bool all_env, int want_r, const char *want_ini, const char *want_notes) {
        js_host h = { .getenv = no_env, .ncpus = 4, .cwd = "/" };
        diag_list dl = DIAG_LIST_INIT;
        value *raw = NULL, *tree = NULL;
        strbuf notes = STRBUF_INIT, out = STRBUF_INIT;
        model m = MODEL_INIT;
        int r;

        assert_int_equal(js_parse("dump.pm2", "/root/.pm2/dump.pm2", dump, strlen(dump), &h, &raw, &dl), 0);
        r = import_dump(raw, "/root/.pm2", all_env, &tree, &notes, &dl);
        assert_int_equal(r, want_r);
        if (r == 0) {
                r = model_build(tree, "dump.pm2", &m, &dl);
                if (r != 0) {
                        strbuf e = STRBUF_INIT;

                        diag_render(&dl, &e);
                        print_error("%s", strbuf_str(&e));
                        strbuf_free(&e);
                }
                assert_int_equal(r, 0);
                assert_int_equal(value_to_ini(m.root, &out, &dl), 0);
                assert_string_equal(strbuf_str(&out), want_ini);
                assert_string_equal(strbuf_str(&notes), want_notes);
        }
        model_free(&m);
        value_free(tree);
        value_free(raw);
        strbuf_free(&notes);
        strbuf_free(&out);
        diag_list_free(&dl);
}

/* Two cluster instances of web (one entry each in the dump) and a python worker. */
#define WEB(id)                                                                                                          \
        "{\"name\":\"web\",\"cwd\":\"/srv/app\",\"args\":[\"--foo\",\"bar baz\"],\"node_args\":[\"--max-old-space-size=256\"]," \
        "\"env\":{\"SHELL\":\"/bin/bash\",\"PWD\":\"/srv/app\",\"PM2_HOME\":\"/root/.pm2\",\"HOME\":\"/root\",\"LANG\":\"C.UTF-8\"," \
        "\"PATH\":\"/usr/bin:/bin\",\"_\":\"/usr/bin/pm2\",\"PM2_USAGE\":\"CLI\",\"PORT\":18250,\"GREETING\":\"hi\",\"web\":\"{}\","   \
        "\"NODE_ENV\":\"production\",\"unique_id\":\"d5373a5f\",\"SSH_CONNECTION\":\"1 2 3 4\"},"                                 \
        "\"max_memory_restart\":209715200,\"kill_timeout\":3000,\"vizion\":true,\"autostart\":true,\"autorestart\":true,"          \
        "\"exec_mode\":\"cluster_mode\",\"instance_var\":\"NODE_APP_INSTANCE\",\"pmx\":true,\"treekill\":true,"                    \
        "\"username\":\"root\",\"windowsHide\":true,\"kill_retry_time\":100,\"env_production\":{\"NODE_ENV\":\"production\"},"  \
        "\"namespace\":\"default\",\"pm_exec_path\":\"/srv/app/server.js\",\"pm_cwd\":\"/srv/app\",\"exec_interpreter\":\"node\"," \
        "\"pm_out_log_path\":\"/root/.pm2/logs/web-out-" id ".log\",\"pm_err_log_path\":\"/root/.pm2/logs/web-error-" id         \
        ".log\",\"pm_pid_path\":\"/root/.pm2/pids/web-" id ".pid\",\"km_link\":false,\"NODE_APP_INSTANCE\":" id ","             \
        "\"status\":\"online\",\"pm_uptime\":1795619291704,\"axm_monitor\":{\"Heap Size\":{\"value\":\"9.48\"}},"                 \
        "\"restart_time\":0,\"unstable_restarts\":0}"

#define WORKER                                                                                                             \
        "{\"name\":\"worker\",\"cwd\":\"/srv/app\",\"exec_interpreter\":\"python3\",\"cron_restart\":\"0 3 * * *\","            \
        "\"merge_logs\":true,\"autorestart\":false,\"username\":\"deploy\",\"namespace\":\"jobs\",\"node_args\":[],"            \
        "\"pm_exec_path\":\"/srv/app/worker.py\",\"pm_cwd\":\"/srv/app\",\"exec_mode\":\"fork_mode\","                          \
        "\"pm_out_log_path\":\"/var/log/worker.log\",\"pm_err_log_path\":\"/root/.pm2/logs/worker-error.log\","                 \
        "\"env\":{\"QUEUE\":\"jobs\",\"HOME\":\"/home/deploy\",\"worker\":\"{}\"},\"status\":\"stopped\"}"

static void test_dump(void **state) {
        (void) state;
        test_import_one("[" WEB("0") "," WORKER "," WEB("2") "]", false, 0,
                        "[web]\n"
                        "script = /srv/app/server.js\n"
                        "args = --foo \"bar baz\"\n"
                        "cwd = /srv/app\n"
                        "interpreter_args = --max-old-space-size=256\n"
                        "exec_mode = cluster\n"
                        "instances = 2\n"
                        "kill_timeout = 3000\n"
                        "max_memory_restart = 209715200\n"
                        "\n[web env]\n"
                        "LANG = C.UTF-8\n"
                        "PORT = 18250\n"
                        "GREETING = hi\n"
                        "NODE_ENV = production\n"
                        "\n[worker]\n"
                        "script = /srv/app/worker.py\n"
                        "cwd = /srv/app\n"
                        "interpreter = python3\n"
                        "user = deploy\n"
                        "autorestart = false\n"
                        "out_file = /var/log/worker.log\n"
                        "merge_logs = true\n"
                        "cron_restart = 0 3 * * *\n"
                        "namespace = jobs\n"
                        "\n[worker env]\n"
                        "QUEUE = jobs\n",
                        "web: ran as root under PM2; pmgen runs it as a dynamic user (set `user` if it must own files)\n"
                        "web: left out the session's variables SHELL PWD HOME PATH _ SSH_CONNECTION (`--all-env` keeps them)\n"
                        "worker: left out the session's variables HOME (`--all-env` keeps them)\n");
}

static void test_cluster_without_port(void **state) {
        (void) state;
        test_import_one("[{\"name\":\"q\",\"pm_exec_path\":\"/srv/q.js\",\"exec_mode\":\"cluster_mode\",\"username\":\"app\"},"
                        "{\"name\":\"q\",\"pm_exec_path\":\"/srv/q.js\",\"exec_mode\":\"cluster_mode\",\"username\":\"app\"}]",
                        true, 0, "[q]\nscript = /srv/q.js\nexec_mode = cluster\ninstances = 2\nuser = app\n",
                        "q: cluster mode without a port: its instances will share the port the app binds itself (add "
                        "`port` to have systemd hold it in a socket unit)\n");
}

static void test_not_a_dump(void **state) {
        (void) state;
        test_import_one("{\"apps\": 3}", false, -EINVAL, NULL, NULL);
        test_import_one("[{\"pm_exec_path\":\"/x.js\"}]", false, -EINVAL, NULL, NULL);
        test_import_one("[1]", false, -EINVAL, NULL, NULL);
}

static void test_env_dropped(void **state) {
        static const struct {
                const char *name, *app;
                int want;
        } rows[] = { { "PM2_HOME", "a", 1 }, { "pm_id", "a", 1 },  { "unique_id", "a", 1 }, { "a", "a", 1 },
                     { "axm_monitor", "a", 1 }, { "PATH", "a", 2 }, { "SSH_TTY", "a", 2 },  { "XDG_RUNTIME_DIR", "a", 2 },
                     { "NODE_ENV", "a", 0 }, { "DATABASE_URL", "a", 0 }, { "LANG", "a", 0 }, { "PORT", "a", 0 } };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                assert_int_equal(import_env_dropped(rows[i].name, rows[i].app), rows[i].want);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dump),
                cmocka_unit_test(test_cluster_without_port),
                cmocka_unit_test(test_not_a_dump),
                cmocka_unit_test(test_env_dropped),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
