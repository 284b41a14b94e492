/* SPDX-License-Identifier: MIT */
/* The plan of `pmgen apply` (src/cli/applyplan.c): declarations before and after,
 * as INI text, with the units that each side generates, give the list of changes,
 * what restarts, and the text apply prints. A table of cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/applyplan.h"
#include "model.h"
#include "parse-ini.h"

/* One side: INI text for the apps, and the units of each app as "name=content" lines
 * ("~name=content" for a symlink) separated by '|'. */
typedef struct side_in {
        const char *ini;
        const char *units[4]; /* per app, in the order of the INI's sections */
} side_in;

typedef struct side {
        value *raw;
        model m;
        app_snap snaps[4];
        out_file files[4][8];
} side;

static void side_build(const side_in *in, side *s) {
        diag_list dl = DIAG_LIST_INIT;

        memset(s, 0, sizeof(*s));
        if (!in->ini)
                return;
        assert_int_equal(ini_parse_text("t.ini", in->ini, strlen(in->ini), &s->raw, &dl), 0);
        assert_int_equal(model_build(s->raw, "t.ini", &s->m, &dl), 0);
        const member *apps = value_object_get(s->m.root, "apps");

        for (size_t i = 0; i < s->m.n_apps; i++) {
                const app *a = &s->m.apps[i];
                size_t n = 0;

                for (const char *p = in->units[i]; p && *p;) {
                        size_t len = strcspn(p, "|");
                        char *item = strndup(p, len), *eq = strchr(item, '=');
                        bool link = item[0] == '~';

                        assert_non_null(eq);
                        *eq = '\0';
                        s->files[i][n++] = (out_file){ strdup(item + link), strdup(eq + 1), 0644, link };
                        free(item);
                        p += len + (p[len] == '|');
                }
                s->snaps[i] = (app_snap){ .name = a->name,
                                          .decl = apps->val->arr.items[i],
                                          .instances = a->instances == INST_COUNT ? a->instances_count : 1,
                                          .socket = a->mode == EXEC_CLUSTER,
                                          .autostart = a->autostart,
                                          .units = s->files[i],
                                          .n_units = n };
        }
        diag_list_free(&dl);
}

static void side_free(side *s) {
        for (size_t i = 0; i < 4; i++)
                for (size_t k = 0; k < 8; k++) {
                        free(s->files[i][k].name);
                        free(s->files[i][k].content);
                }
        model_free(&s->m);
        value_free(s->raw);
}

typedef struct expect_app {
        const char *name;
        change_kind kind;
        bool restart, replace_sockets;
        const char *stop, *restart_units; /* first of each list, or NULL */
} expect_app;

static void test_plan_one(const side_in *old, const side_in *new, const expect_app *want, const char *rendered) {
        side o, n;
        apply_plan p;
        strbuf sb = STRBUF_INIT;
        size_t k = 0;

        side_build(old, &o);
        side_build(new, &n);
        assert_int_equal(applyplan_build(o.snaps, o.m.n_apps, n.snaps, n.m.n_apps, &p), 0);
        for (; want[k].name; k++) {
                assert_true(k < p.n);
                assert_string_equal(p.v[k].name, want[k].name);
                assert_int_equal(p.v[k].kind, want[k].kind);
                assert_int_equal(p.v[k].restart, want[k].restart);
                assert_int_equal(p.v[k].replace_sockets, want[k].replace_sockets);
                if (want[k].stop)
                        assert_string_equal(p.v[k].stop_units[0], want[k].stop);
                else
                        assert_null(p.v[k].stop_units);
                if (want[k].restart_units)
                        assert_string_equal(p.v[k].restart_units[0], want[k].restart_units);
                else
                        assert_null(p.v[k].restart_units);
        }
        assert_int_equal(p.n, k);
        applyplan_render(&p, &sb);
        assert_string_equal(strbuf_str(&sb), rendered);
        strbuf_free(&sb);
        applyplan_free(&p);
        side_free(&o);
        side_free(&n);
}

#define WEB1 "[web]\nscript = /srv/s.js\ninstances = 2\nexec_mode = cluster\nport = 3000\nkill_timeout = 3000\n[web env]\nA = 1\n"
#define SVC1 "web@.service=ExecStart=x\nInstances=2\n|web.env=A=\"1\"\n|web@.socket=ListenStream=3000\n|web.target=Wants=web@0 web@1\n"

static void test_unchanged(void **state) {
        (void) state;
        side_in s = { WEB1, { SVC1 } };

        test_plan_one(&s, &s, (expect_app[]){ { "web", CHANGE_UNCHANGED, false, false, NULL, NULL }, { NULL } },
                      "    web: unchanged\n");
}

static void test_added_removed(void **state) {
        (void) state;
        side_in old = { "[old]\nscript = /srv/o.js\n", { "old@.service=x|old-cron.timer=OnCalendar=daily|~multi-user.target.wants/old.target=../old.target" } };
        side_in new = { WEB1, { SVC1 } };

        test_plan_one(&old, &new,
                      (expect_app[]){ { "web", CHANGE_ADDED, false, false, NULL, NULL },
                                      { "old", CHANGE_REMOVED, false, false, NULL, NULL },
                                      { NULL } },
                      "  + web: added, 2 instances\n"
                      "  - old: removed, its 1 instance stops\n");
}

static void test_env_change(void **state) {
        (void) state;
        side_in old = { WEB1, { SVC1 } };
        side_in new = { "[web]\nscript = /srv/s.js\ninstances = 2\nexec_mode = cluster\nport = 3000\nkill_timeout = 5000\n"
                        "[web env]\nA = 2\nB = new\n",
                        { "web@.service=ExecStart=x --kill-timeout=5000\nInstances=2\n|web.env=A=\"2\"\nB=\"new\"\n|"
                          "web@.socket=ListenStream=3000\n|web.target=Wants=web@0 web@1\n" } };

        test_plan_one(&old, &new, (expect_app[]){ { "web", CHANGE_CHANGED, true, false, NULL, NULL }, { NULL } },
                      "  ~ web: changed, 2 instances restart one at a time\n"
                      "        kill_timeout: 3000 → 5000\n"
                      "        env.A: changed\n"
                      "        env.B: added\n");
}

/* health is an object, but no secret: its members are shown like the app's keys */
static void test_health_change(void **state) {
        (void) state;
        side_in old = { WEB1 "[web health]\nurl = /healthz\n", { SVC1 } };
        side_in new = { WEB1 "[web health]\nurl = /ready\ninterval = 2s\n",
                        { "web@.service=ExecStart=x --health-url=/ready\nInstances=2\n|web.env=A=\"1\"\n|"
                          "web@.socket=ListenStream=3000\n|web.target=Wants=web@0 web@1\n" } };

        test_plan_one(&old, &new, (expect_app[]){ { "web", CHANGE_CHANGED, true, false, NULL, NULL }, { NULL } },
                      "  ~ web: changed, 2 instances restart one at a time\n"
                      "        health.url: /healthz → /ready\n"
                      "        health.interval: (unset) → 2s\n");
}

static void test_scaled(void **state) {
        (void) state;
        side_in old = { WEB1, { SVC1 } };
        side_in new = { "[web]\nscript = /srv/s.js\ninstances = 3\nexec_mode = cluster\nport = 3000\nkill_timeout = 3000\n"
                        "[web env]\nA = 1\n",
                        { "web@.service=ExecStart=x\nInstances=3\n|web.env=A=\"1\"\n|web@.socket=ListenStream=3000\n|"
                          "web.target=Wants=web@0 web@1 web@2\n" } };

        /* Only the instance count: no restart, although Instances= and the target differ. */
        test_plan_one(&old, &new, (expect_app[]){ { "web", CHANGE_SCALED, false, false, NULL, NULL }, { NULL } },
                      "  ~ web: scaled 2 → 3\n");
}

static void test_changed_and_scaled(void **state) {
        (void) state;
        side_in old = { WEB1, { SVC1 } };
        side_in new = { "[web]\nscript = /srv/s.js\ninstances = 1\nexec_mode = cluster\nport = 3000\nkill_timeout = 3000\n"
                        "[web env]\nA = 9\n",
                        { "web@.service=ExecStart=x\nInstances=1\n|web.env=A=\"9\"\n|web@.socket=ListenStream=3000\n|"
                          "web.target=Wants=web@0\n" } };

        test_plan_one(&old, &new, (expect_app[]){ { "web", CHANGE_CHANGED, true, false, NULL, NULL }, { NULL } },
                      "  ~ web: changed, 1 instance restarts one at a time\n"
                      "        env.A: changed\n"
                      "        instances: 2 → 1\n");
}

static void test_no_unit_change(void **state) {
        (void) state;
        side_in old = { WEB1, { SVC1 } };
        side_in new = { WEB1 "[web]\n", { SVC1 } };
        side_in new2 = { "[web]\nscript = /srv/s.js\ninstances = 2\nexec_mode = cluster\nport = 3000\nkill_timeout = 3000\n"
                         "time = true\n[web env]\nA = 1\n",
                         { SVC1 } };

        (void) new;
        test_plan_one(&old, &new2, (expect_app[]){ { "web", CHANGE_CHANGED, false, false, NULL, NULL }, { NULL } },
                      "  ~ web: changed (no unit changes: nothing restarts)\n"
                      "        time: (unset) → true\n");
}

static void test_socket_change(void **state) {
        (void) state;
        side_in old = { WEB1, { SVC1 } };
        side_in new = { "[web]\nscript = /srv/s.js\ninstances = 2\nexec_mode = cluster\nport = 4000\nkill_timeout = 3000\n"
                        "[web env]\nA = 1\n",
                        { "web@.service=ExecStart=x --port=4000\nInstances=2\n|web.env=A=\"1\"\n|web@.socket=ListenStream=4000\n|"
                          "web.target=Wants=web@0 web@1\n" } };

        test_plan_one(&old, &new, (expect_app[]){ { "web", CHANGE_CHANGED, true, true, NULL, NULL }, { NULL } },
                      "  ~ web: changed, 2 instances restart one at a time (with new sockets)\n"
                      "        port: 3000 → 4000\n");
}

static void test_timers(void **state) {
        (void) state;
        side_in old = { "[w]\nscript = /srv/w.js\ncron_restart = 0 3 * * *\nwatch = true\n",
                        { "w@.service=x|w-cron.timer=OnCalendar=03:00|w-cron.service=y|w-watch.path=P|w-watch.service=z" } };
        side_in new = { "[w]\nscript = /srv/w.js\ncron_restart = 0 4 * * *\n",
                        { "w@.service=x|w-cron.timer=OnCalendar=04:00|w-cron.service=y" } };

        test_plan_one(&old, &new, (expect_app[]){ { "w", CHANGE_CHANGED, false, false, "w-watch.path", "w-cron.timer" }, { NULL } },
                      "  ~ w: changed\n"
                      "        cron_restart: 0 3 * * * → 0 4 * * *\n"
                      "        watch: true → (unset)\n"
                      "        restart w-cron.timer\n"
                      "        stop w-watch.path\n"
                      "        stop w-watch.service\n");
}

static void test_value_text(void **state) {
        static const struct {
                const char *json_like_ini, *key, *want;
        } rows[] = {
                { "[a]\nscript = /x.js\nargs = --a \"b c\"\n", "args", "--a b c" },
                { "[a]\nscript = /x.js\nautorestart = false\n", "autorestart", "false" },
                { "[a]\nscript = /x.js\nmax_memory_restart = 200M\n", "max_memory_restart", "200M" },
                { "[a]\nscript = /x.js\nstop_exit_codes = 0 3\n", "stop_exit_codes", "0 3" },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                diag_list dl = DIAG_LIST_INIT;
                value *raw = NULL;
                model m = MODEL_INIT;
                strbuf sb = STRBUF_INIT;

                assert_int_equal(ini_parse_text("t.ini", rows[i].json_like_ini, strlen(rows[i].json_like_ini), &raw, &dl), 0);
                assert_int_equal(model_build(raw, "t.ini", &m, &dl), 0);
                const member *apps = value_object_get(m.root, "apps");
                const member *v = value_object_get(apps->val->arr.items[0], rows[i].key);

                assert_non_null(v);
                applyplan_value_text(v->val, &sb);
                assert_string_equal(strbuf_str(&sb), rows[i].want);
                strbuf_free(&sb);
                model_free(&m);
                value_free(raw);
                diag_list_free(&dl);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unchanged),      cmocka_unit_test(test_added_removed),
                cmocka_unit_test(test_env_change), cmocka_unit_test(test_health_change),     cmocka_unit_test(test_scaled),
                cmocka_unit_test(test_changed_and_scaled), cmocka_unit_test(test_no_unit_change),
                cmocka_unit_test(test_socket_change),  cmocka_unit_test(test_timers),
                cmocka_unit_test(test_value_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
