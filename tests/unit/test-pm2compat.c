/* SPDX-License-Identifier: MIT */
/* The `pm2` compatibility command (src/cli/pm2compat.c): PM2's command lines → what
 * pmgen does (a table: argv in, the pmgen argv or the kind of action out), signals,
 * and jlist: `pmgen ls --json` rows → PM2's JSON, read back field by field. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/pm2compat.h"
#include "parse-js.h"

/* "pm2 ARGS" split on spaces → the action; want: the pmgen argv joined with spaces (PM2_EXEC), or
 * "KIND detail" for the other kinds. */
static void map_one(const char *line, bool user, const char *want) {
        char buf[512], *argv[64];
        int argc = 0;
        pm2_action a;
        strbuf got = STRBUF_INIT;

        snprintf(buf, sizeof(buf), "%s", line);
        for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
                argv[argc++] = t;
        argv[argc] = NULL;
        assert_int_equal(pm2_map(argc, argv, user, &a), 0);
        switch (a.kind) {
        case PM2_EXEC:
        case PM2_JLIST:
        case PM2_SIGNAL:
        case PM2_ID:
        case PM2_IDS:
        case PM2_PIDS:
                if (a.kind == PM2_JLIST)
                        strbuf_adds(&got, a.pretty ? "PRETTY " : "JLIST ");
                if (a.kind == PM2_SIGNAL)
                        strbuf_addf(&got, "SIGNAL %d %s%s ", a.signal, a.by_id ? "id " : "", a.app);
                if (a.kind == PM2_ID)
                        strbuf_addf(&got, "ID %s%s ", a.argv[a.id_at], a.id_app ? " app" : "");
                if (a.kind == PM2_IDS || a.kind == PM2_PIDS)
                        strbuf_addf(&got, "%s %s ", a.kind == PM2_IDS ? "IDS" : "PIDS", a.app ? a.app : "*");
                for (int i = 0; i < a.argc; i++)
                        strbuf_addf(&got, "%s%s", i ? " " : "", a.argv[i]);
                assert_null(a.argv[a.argc]);
                break;
        case PM2_FILE:
        case PM2_FILE_APPS:
                strbuf_addf(&got, "%s %s %s env=%s only=%s", a.kind == PM2_FILE ? "FILE" : "FILE_APPS", a.file, a.then,
                            a.profile ? a.profile : "-", a.only ? a.only : "-");
                break;
        case PM2_NOTE:
                strbuf_addf(&got, "NOTE %s", a.message);
                break;
        case PM2_ERROR:
                strbuf_addf(&got, "ERROR %s", a.message);
                break;
        case PM2_VERSION:
                strbuf_adds(&got, "VERSION");
                break;
        case PM2_HELP:
                strbuf_adds(&got, "HELP");
                break;
        }
        /* a NOTE or ERROR row gives a prefix of the message */
        if (strncmp(want, "NOTE ", 5) == 0 || strncmp(want, "ERROR ", 6) == 0) {
                if (strncmp(strbuf_str(&got), want, strlen(want)) != 0)
                        fail_msg("pm2 %s:\n got  '%s'\n want '%s…'", line, strbuf_str(&got), want);
        } else if (strcmp(strbuf_str(&got), want) != 0)
                fail_msg("pm2 %s:\n got  '%s'\n want '%s'", line, strbuf_str(&got), want);
        pm2_action_free(&a);
        strbuf_free(&got);
}

static void test_map(void **state) {
        (void) state;
        /* start: every form goes to pmgen start with PM2's flags as they are */
        map_one("pm2 start app.js -i max --name api", false, "pmgen start app.js -i max --name api");
        map_one("pm2 start app.js -i 2 --name api -- --port 1", true, "pmgen start app.js -i 2 --name api --user -- --port 1");
        map_one("pm2 start ecosystem.config.js --env production --only api", false,
                "pmgen start ecosystem.config.js --env production --only api");
        map_one("pm2 start api", false, "pmgen start api");
        map_one("pm2 -s start api", true, "pmgen start api --user -q");
        /* the verbs */
        map_one("pm2 stop api", false, "pmgen stop api");
        map_one("pm2 restart all", false, "pmgen restart all");
        map_one("pm2 restart api --update-env", false, "pmgen restart api --update-env");
        map_one("pm2 reload api --update-env", false, "pmgen reload api");
        map_one("pm2 gracefulReload api", false, "pmgen reload api");
        map_one("pm2 delete api", true, "pmgen delete api --user");
        map_one("pm2 del api", false, "pmgen delete api");
        map_one("pm2 ls", false, "pmgen ls");
        map_one("pm2 list", false, "pmgen ls");
        map_one("pm2 status", false, "pmgen ls");
        map_one("pm2 describe api", false, "pmgen describe api");
        map_one("pm2 show api", false, "pmgen describe api");
        map_one("pm2 env api", false, "pmgen env api");
        map_one("pm2 env api", true, "pmgen env api --user");
        map_one("pm2 id api", false, "IDS api pmgen ls --json");
        map_one("pm2 pid api", true, "PIDS api pmgen ls --json --user");
        map_one("pm2 pid", false, "PIDS * pmgen ls --json");
        map_one("pm2 id", false, "ERROR pm2 id: expected one app name");
        map_one("pm2 pid a b", false, "ERROR pm2 pid: expected at most one app name");
        map_one("pm2 imonit", false, "pmgen monit");
        map_one("pm2 examples", false, "HELP");
        map_one("pm2 restart api -a", false, "pmgen restart api --update-env");
        map_one("pm2 logs api --timestamp --nostream", false, "pmgen logs api --time");
        map_one("pm2 logs api --timestamp HH:mm --nostream", false, "pmgen logs api --time");
        map_one("pm2 logs --timestamp=YYYY api", false, "pmgen logs api --follow --time");
        map_one("pm2 logs api -n 5 --nostream", false, "pmgen logs api --lines 5");
        map_one("pm2 scale api 4", false, "pmgen scale api 4");
        map_one("pm2 scale api +2", false, "pmgen scale api +2");
        map_one("pm2 logs", false, "pmgen logs --follow");
        map_one("pm2 logs api --lines 50 --nostream", false, "pmgen logs api --lines 50");
        map_one("pm2 logs all --err --nostream --raw", false, "pmgen logs --err");
        map_one("pm2 kill", false, "pmgen stop all");
        map_one("pm2 jlist", false, "JLIST pmgen ls --json");
        map_one("pm2 prettylist", true, "PRETTY pmgen ls --json --user");
        map_one("pm2 sendSignal SIGUSR2 api", false, "SIGNAL 12 api pmgen ls --json");
        /* ecosystem files */
        map_one("pm2 reload ecosystem.config.js --env production", false,
                "FILE ecosystem.config.js reload env=production only=-");
        map_one("pm2 restart ecosystem.json --only api,web", false, "FILE ecosystem.json restart env=- only=api,web");
        map_one("pm2 startOrReload ecosystem.config.js --env production", false,
                "FILE ecosystem.config.js reload env=production only=-");
        map_one("pm2 startOrGracefulReload ecosystem.config.js", false, "FILE ecosystem.config.js reload env=- only=-");
        map_one("pm2 startOrRestart /srv/a/ecosystem.config.cjs --update-env", false,
                "FILE /srv/a/ecosystem.config.cjs restart env=- only=-");
        map_one("pm2 stop ecosystem.config.js", false, "FILE_APPS ecosystem.config.js stop env=- only=-");
        map_one("pm2 delete ecosystem.config.js --only web", false, "FILE_APPS ecosystem.config.js delete env=- only=web");
        /* explained no-ops */
        map_one("pm2 save", false, "NOTE pm2 save: nothing to save");
        map_one("pm2 resurrect", false, "NOTE pm2 resurrect: nothing to resurrect");
        map_one("pm2 startup systemd -u www --hp /home/www", false, "NOTE pm2 startup: nothing to install");
        map_one("pm2 unstartup", false, "NOTE pm2 unstartup: nothing to remove");
        map_one("pm2 update", false, "NOTE pm2 update: nothing to update");
        map_one("pm2 flush", false, "NOTE pm2 flush: nothing flushed: the journal rotates by itself");
        map_one("pm2 flush api", false, "NOTE pm2 flush: nothing flushed");
        map_one("pm2 reloadLogs", false, "NOTE pm2 reloadLogs: nothing to reopen: journald");
        map_one("pm2 reloadLogsSilently", false, "NOTE pm2 reloadLogsSilently: nothing to reopen");
        map_one("pm2 cleardump", false, "NOTE pm2 cleardump: nothing to clear");
        map_one("pm2 dump", false, "NOTE pm2 dump: nothing to save");
        map_one("pm2 deepUpdate", false, "NOTE pm2 deepUpdate: nothing to update");
        /* version and help */
        map_one("pm2 -v", false, "VERSION");
        map_one("pm2 --version", false, "VERSION");
        map_one("pm2", false, "HELP");
        map_one("pm2 --help", false, "HELP");
        /* errors that name the pmgen way */
        /* pm_ids: an instance's place in pmgen ls (pm2_main makes it APP@N, or APP for describe) */
        map_one("pm2 restart 0", false, "ID 0 pmgen restart 0");
        map_one("pm2 reload 3", true, "ID 3 pmgen reload 3 --user");
        map_one("pm2 stop 12", false, "ID 12 pmgen stop 12");
        map_one("pm2 start 12", true, "ID 12 pmgen start 12 --user");
        map_one("pm2 restart 1 --update-env", false, "ID 1 pmgen restart 1 --update-env");
        map_one("pm2 logs 2 --lines 5 --nostream", false, "ID 2 pmgen logs 2 --lines 5");
        map_one("pm2 describe 4", false, "ID 4 app pmgen describe 4");
        map_one("pm2 env 4", false, "ID 4 app pmgen env 4");
        map_one("pm2 sendSignal SIGHUP 2", false, "SIGNAL 1 id 2 pmgen ls --json");
        map_one("pm2 delete 0", false, "ERROR pm2 delete 0: pmgen deletes whole apps");
        map_one("pm2 del 0", false, "ERROR pm2 del 0: pmgen deletes whole apps");
        map_one("pm2 monit", false, "pmgen monit");
        map_one("pm2 dashboard", true, "pmgen monit --user");
        map_one("pm2 serve", false, "ERROR pm2 serve: not under pmgen");
        map_one("pm2 deploy production update", false, "ERROR pm2 deploy: not under pmgen");
        map_one("pm2 module:install pm2-logrotate", false, "ERROR pm2 module:install: not under pmgen");
        map_one("pm2 frobnicate", false, "ERROR pm2 frobnicate: unknown command; pmgen-pm2(1)");
        /* every other command of PM2 names the pmgen or systemd way */
        {
                static const char *const cmds[] = {
                        "get", "unset", "multiset", "set", "conf", "config", "send", "logrotate", "monitor", "unmonitor",
                        "open", "sysmonit", "slist", "sysinfos", "pull", "forward", "backward", "profile:mem",
                        "profile:cpu", "create", "inspect", "package", "publish", "module:update", "module:generate",
                        "module:publish", "module:uninstall", "uninstall", "install", "expose", "register", "plus",
                        "link", "unlink", "login", "logout", "reset", "trigger", "report", "ecosystem", "init", "attach",
                        "autoinstall", "serve", "deploy",
                };
                char line[64], want[64];

                for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
                        snprintf(line, sizeof(line), "pm2 %s x", cmds[k]);
                        snprintf(want, sizeof(want), "ERROR pm2 %s: not under pmgen: ", cmds[k]);
                        map_one(line, false, want);
                }
        }
        map_one("pm2 reset api", false, "ERROR pm2 reset: not under pmgen: restart counts are systemd's NRestarts");
        map_one("pm2 logrotate", false, "ERROR pm2 logrotate: not under pmgen: the journal rotates itself");
        map_one("pm2 restart api --name x", false, "ERROR pm2 restart --name: only `pm2 start SCRIPT --name NAME`");
        map_one("pm2 reload api -i 4", false, "ERROR pm2 reload -i: change an app's instances with `pm2 scale APP N`");
        map_one("pm2 startOrRestart ecosystem.config.js --watch", false, "ERROR pm2 startOrRestart --watch: declare watch");
        map_one("pm2 startOrReload ecosystem.config.js --watch", false, "ERROR pm2 startOrReload --watch: declare watch");
        map_one("pm2 startOrGracefulReload ecosystem.config.js --no-watch", false,
                "ERROR pm2 startOrGracefulReload --watch: declare watch");
        map_one("pm2 logs api --out", false, "ERROR pm2 logs --out: the journal does not record which stream");
        map_one("pm2 restart api --timestamp", false, "ERROR pm2 restart: option --timestamp goes with pm2 logs");
        map_one("pm2 stop", false, "ERROR pm2 stop: expected one app name");
        map_one("pm2 stop api --bogus", false, "ERROR pm2 stop: option --bogus has no pmgen counterpart");
        map_one("pm2 restart api --watch", false, "ERROR pm2 restart --watch: declare watch");
        map_one("pm2 reload api --env production", false, "ERROR pm2 reload api: --env and --only go with an ecosystem file");
        map_one("pm2 startOrReload api", false, "ERROR pm2 startOrReload: expected an ecosystem file");
        map_one("pm2 sendSignal SIGFOO api", false, "ERROR pm2 sendSignal: 'SIGFOO' is not a signal");
        map_one("pm2 logs --lines", false, "ERROR pm2 logs: --lines needs a value");
}

static void test_signals(void **state) {
        (void) state;
        assert_int_equal(pm2_signal_number("SIGUSR2"), SIGUSR2);
        assert_int_equal(pm2_signal_number("USR1"), SIGUSR1);
        assert_int_equal(pm2_signal_number("SIGTERM"), SIGTERM);
        assert_int_equal(pm2_signal_number("9"), 9);
        assert_int_equal(pm2_signal_number("0"), -EINVAL);
        assert_int_equal(pm2_signal_number("65"), -EINVAL);
        assert_int_equal(pm2_signal_number("SIG"), -EINVAL);
        assert_int_equal(pm2_signal_number("usr2"), -EINVAL);
}

static value *json(const char *text) {
        diag_list dl = DIAG_LIST_INIT;
        value *v = NULL;

        assert_int_equal(js_parse("t.json", "/t.json", text, strlen(text), NULL, &v, &dl), 0);
        diag_list_free(&dl);
        return v;
}

static const value *get(const value *o, const char *path) {
        char buf[128];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok(buf, "."); k && o; k = strtok(NULL, ".")) {
                const member *m = value_object_get(o, k);

                o = m ? m->val : NULL;
        }
        assert_non_null(o);
        return o;
}

static void test_jlist(void **state) {
        /* two rows as `pmgen ls --json` prints them (table.c), one running and one stopped */
        static const char ls[] =
                "[\n{\"app\":\"api\",\"instance\":\"0\",\"unit\":\"api@0.service\",\"status\":\"online\","
                "\"active_state\":\"active\",\"sub_state\":\"running\",\"pid\":4242,\"main_pid\":4240,\"uptime_ms\":60000,"
                "\"restarts\":3,\"cpu_percent\":12.5,\"cpu_nsec\":1000,\"memory_bytes\":52428800,\"port\":18801},\n"
                "{\"app\":\"api\",\"instance\":\"1\",\"unit\":\"api@1.service\",\"status\":\"stopped\","
                "\"active_state\":\"inactive\",\"sub_state\":\"dead\",\"pid\":0,\"main_pid\":0,\"uptime_ms\":null,"
                "\"restarts\":0,\"cpu_percent\":null,\"cpu_nsec\":null,\"memory_bytes\":null,\"port\":null}\n]\n";
        value *rows = json(ls), *out;
        strbuf sb = STRBUF_INIT;
        const uint64_t now = 1700000000000ULL;

        (void) state;
        for (int pretty = 0; pretty < 2; pretty++) {
                strbuf_truncate(&sb, 0);
                assert_int_equal(pm2_jlist(rows, now, pretty, &sb), 0);
                if (!pretty)
                        assert_null(strchr(strbuf_str(&sb), ' '));
                else
                        assert_non_null(strstr(strbuf_str(&sb), "\n    \"pm2_env\": {\n      \"name\": \"api\""));
                out = json(strbuf_str(&sb));
                assert_int_equal(out->type, V_ARRAY);
                assert_int_equal(out->arr.n, 2);
                const value *a = out->arr.items[0], *b = out->arr.items[1];

                assert_string_equal(get(a, "name")->str.s, "api");
                assert_true(get(a, "pm_id")->num == 0 && get(b, "pm_id")->num == 1);
                assert_true(get(a, "pid")->num == 4242 && get(b, "pid")->num == 0);
                assert_true(get(a, "monit.memory")->num == 52428800 && get(b, "monit.memory")->num == 0);
                assert_true(get(a, "monit.cpu")->num == 12.5 && get(b, "monit.cpu")->num == 0);
                assert_string_equal(get(a, "pm2_env.status")->str.s, "online");
                assert_string_equal(get(b, "pm2_env.status")->str.s, "stopped");
                assert_true(get(a, "pm2_env.restart_time")->num == 3);
                assert_true(get(a, "pm2_env.pm_uptime")->num == (double) (now - 60000));
                assert_true(get(b, "pm2_env.pm_uptime")->num == 0);
                assert_true(get(a, "pm2_env.instances")->num == 2);
                assert_true(get(b, "pm2_env.NODE_APP_INSTANCE")->num == 1);
                assert_true(get(a, "pm2_env.port")->num == 18801);
                assert_int_equal(get(b, "pm2_env.port")->type, V_NULL);
                assert_string_equal(get(b, "pm2_env.unit")->str.s, "api@1.service");
                value_free(out);
        }
        value_free(rows);
        /* empty, and not the shape */
        rows = json("[]");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_jlist(rows, now, false, &sb), 0);
        assert_string_equal(strbuf_str(&sb), "[]\n");
        value_free(rows);
        rows = json("{\"app\":\"x\"}");
        assert_int_equal(pm2_jlist(rows, now, false, &sb), -EINVAL);
        value_free(rows);
        rows = json("[{\"app\":\"x\"}]");
        assert_int_equal(pm2_jlist(rows, now, false, &sb), -EINVAL);
        value_free(rows);
        strbuf_free(&sb);
}

/* A pm_id is the row's place, as jlist numbers the rows. */
static void test_id_target(void **state) {
        value *rows = json("[{\"app\":\"api\",\"instance\":\"0\"},{\"app\":\"api\",\"instance\":\"1\"},"
                           "{\"app\":\"worker\",\"instance\":\"0\"}]");
        strbuf sb = STRBUF_INIT;

        (void) state;
        assert_int_equal(pm2_id_target(rows, "1", false, &sb), 0);
        assert_string_equal(strbuf_str(&sb), "api@1");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_id_target(rows, "2", false, &sb), 0);
        assert_string_equal(strbuf_str(&sb), "worker@0");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_id_target(rows, "2", true, &sb), 0);
        assert_string_equal(strbuf_str(&sb), "worker");
        assert_int_equal(pm2_id_target(rows, "3", false, &sb), -ENOENT);
        assert_int_equal(pm2_id_target(rows, "99999999999999999999999", false, &sb), -ENOENT);
        assert_int_equal(pm2_id_target(rows, "api", false, &sb), -ENOENT);
        value_free(rows);
        rows = json("[{\"app\":\"api\"}]");
        assert_int_equal(pm2_id_target(rows, "0", false, &sb), -EINVAL);
        value_free(rows);
        rows = json("{}");
        assert_int_equal(pm2_id_target(rows, "0", false, &sb), -EINVAL);
        value_free(rows);
        strbuf_free(&sb);
}

/* pm2 id APP and pm2 pid [APP] read the same rows as jlist. */
static void test_ids_pids(void **state) {
        value *rows = json("[{\"app\":\"api\",\"instance\":\"0\",\"pid\":4242},{\"app\":\"worker\",\"instance\":\"0\","
                           "\"pid\":77},{\"app\":\"api\",\"instance\":\"1\",\"pid\":0},"
                           "{\"app\":\"api\",\"instance\":\"2\",\"pid\":null}]");
        strbuf sb = STRBUF_INIT;

        (void) state;
        assert_int_equal(pm2_ids(rows, "api", &sb), 0);
        assert_string_equal(strbuf_str(&sb), "[ 0, 2, 3 ]\n");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_ids(rows, "worker", &sb), 0);
        assert_string_equal(strbuf_str(&sb), "[ 1 ]\n");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_ids(rows, "nope", &sb), 0);
        assert_string_equal(strbuf_str(&sb), "[]\n");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_pids(rows, "api", &sb), 0);
        assert_string_equal(strbuf_str(&sb), "4242\n0\n0\n");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_pids(rows, NULL, &sb), 0);
        assert_string_equal(strbuf_str(&sb), "4242\n77\n0\n0\n");
        strbuf_truncate(&sb, 0);
        assert_int_equal(pm2_pids(rows, "nope", &sb), 0);
        assert_string_equal(strbuf_str(&sb), "");
        value_free(rows);
        rows = json("[{\"instance\":\"0\"}]");
        assert_int_equal(pm2_ids(rows, "api", &sb), -EINVAL);
        assert_int_equal(pm2_pids(rows, NULL, &sb), -EINVAL);
        value_free(rows);
        strbuf_free(&sb);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_map),
                cmocka_unit_test(test_signals),
                cmocka_unit_test(test_jlist),
                cmocka_unit_test(test_id_target),
                cmocka_unit_test(test_ids_pids),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
