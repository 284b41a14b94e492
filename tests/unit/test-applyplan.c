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

/* ---- apply --json ------------------------------------------------------------------------------- */

static void test_json_one(const side_in *old, const side_in *new, const app_outcome *outcomes, const char *want) {
        side o, n;
        apply_plan p;
        strbuf sb = STRBUF_INIT;

        side_build(old, &o);
        side_build(new, &n);
        assert_int_equal(applyplan_build(o.snaps, o.m.n_apps, n.snaps, n.m.n_apps, &p), 0);
        applyplan_render_json(&p, outcomes, &sb);
        assert_false(sb.oom);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_free(&sb);
        applyplan_free(&p);
        side_free(&o);
        side_free(&n);
}

#define NOLISTS "\"restarted\":[],\"started\":[],\"stopped\":[],\"restart_units\":[],\"stop_units\":[]"

static void test_json(void **state) {
        (void) state;
        side_in web = { WEB1, { SVC1 } };
        side_in none = { NULL, { NULL } };
        side_in env = { "[web]\nscript = /srv/s.js\ninstances = 2\nexec_mode = cluster\nport = 3000\nkill_timeout = 5000\n"
                        "[web env]\nA = 2\nB = new\n",
                        { "web@.service=ExecStart=x --kill-timeout=5000\nInstances=2\n|web.env=A=\"2\"\nB=\"new\"\n|"
                          "web@.socket=ListenStream=3000\n|web.target=Wants=web@0 web@1\n" } };
        side_in scaled = { "[web]\nscript = /srv/s.js\ninstances = 3\nexec_mode = cluster\nport = 3000\nkill_timeout = 3000\n"
                           "[web env]\nA = 1\n",
                           { "web@.service=ExecStart=x\nInstances=3\n|web.env=A=\"1\"\n|web@.socket=ListenStream=3000\n|"
                             "web.target=Wants=web@0 web@1 web@2\n" } };
        char *restarted[] = { (char *) "web@0", (char *) "web@1", NULL };
        app_outcome done = { .restarted = restarted, .before = (char *) "a\"b\\c\n\x01\xff", .after = (char *) "é\t" };

        test_json_one(&web, &web, NULL,
                      "[{\"name\":\"web\",\"action\":\"unchanged\",\"instances\":{\"before\":2,\"after\":2},\"changes\":[],"
                      "\"restart\":[],\"start\":[],\"stop\":[]," NOLISTS ",\"diff\":{\"before\":\"\",\"after\":\"\"}}]");
        /* An unchanged app that is not running starts. */
        test_json_one(&web, &web, &(app_outcome){ .starts = true },
                      "[{\"name\":\"web\",\"action\":\"unchanged\",\"instances\":{\"before\":2,\"after\":2},\"changes\":[],"
                      "\"restart\":[],\"start\":[\"web@0\",\"web@1\"],\"stop\":[]," NOLISTS
                      ",\"diff\":{\"before\":\"\",\"after\":\"\"}}]");
        test_json_one(&none, &web, NULL,
                      "[{\"name\":\"web\",\"action\":\"created\",\"instances\":{\"before\":null,\"after\":2},\"changes\":[],"
                      "\"restart\":[],\"start\":[\"web@0\",\"web@1\"],\"stop\":[]," NOLISTS
                      ",\"diff\":{\"before\":\"\",\"after\":\"\"}}]");
        test_json_one(&web, &none, NULL,
                      "[{\"name\":\"web\",\"action\":\"removed\",\"instances\":{\"before\":2,\"after\":null},\"changes\":[],"
                      "\"restart\":[],\"start\":[],\"stop\":[\"web@0\",\"web@1\"]," NOLISTS
                      ",\"diff\":{\"before\":\"\",\"after\":\"\"}}]");
        test_json_one(&web, &scaled, NULL,
                      "[{\"name\":\"web\",\"action\":\"updated\",\"instances\":{\"before\":2,\"after\":3},\"changes\":[],"
                      "\"restart\":[],\"start\":[\"web@2\"],\"stop\":[]," NOLISTS
                      ",\"diff\":{\"before\":\"\",\"after\":\"\"}}]");
        /* Env values never appear; strings are JSON-escaped (a bad UTF-8 byte becomes U+FFFD). */
        test_json_one(&web, &env, &done,
                      "[{\"name\":\"web\",\"action\":\"updated\",\"instances\":{\"before\":2,\"after\":2},\"changes\":["
                      "{\"key\":\"kill_timeout\",\"before\":\"3000\",\"after\":\"5000\"},"
                      "{\"key\":\"env.A\",\"before\":\"(hidden)\",\"after\":\"(hidden)\"},"
                      "{\"key\":\"env.B\",\"before\":null,\"after\":\"(hidden)\"}],"
                      "\"restart\":[\"web@0\",\"web@1\"],\"start\":[],\"stop\":[],"
                      "\"restarted\":[\"web@0\",\"web@1\"],\"started\":[],\"stopped\":[],\"restart_units\":[],\"stop_units\":[],"
                      "\"diff\":{\"before\":\"a\\\"b\\\\c\\n\\u0001\\ufffd\",\"after\":\"é\\t\"}}]");
}

static void test_units_text(void **state) {
        (void) state;
        out_file f[] = {
                { (char *) "web@.service", (char *) "[Service]\nExecStart=x", 0644, false },
                { (char *) "web.env", (char *) "# Environment of web\nAPI_KEY=\"s3cret\"\nEMPTY=\nODD\n", 0600, false },
                { (char *) "multi-user.target.wants/web.target", (char *) "../web.target", 0777, true },
        };
        strbuf sb = STRBUF_INIT;

        applyplan_units_text(f, 3, &sb);
        assert_string_equal(strbuf_str(&sb), "# web@.service\n[Service]\nExecStart=x\n"
                                             "# web.env\n# Environment of web\nAPI_KEY=(hidden)\nEMPTY=(hidden)\nODD\n"
                                             "# multi-user.target.wants/web.target -> ../web.target\n");
        assert_null(strstr(strbuf_str(&sb), "s3cret"));
        strbuf_free(&sb);
        assert_string_equal(applyplan_action(CHANGE_SCALED), "updated");
        assert_string_equal(applyplan_action(CHANGE_CHANGED), "updated");
        assert_string_equal(applyplan_action(CHANGE_ADDED), "created");
        assert_string_equal(applyplan_action(CHANGE_REMOVED), "removed");
        assert_string_equal(applyplan_action(CHANGE_UNCHANGED), "unchanged");
}

static void test_diag_json(void **state) {
        (void) state;
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;

        diag_error(&dl, ((loc){ "/etc/pmgen/d/a\"pps.ini", 7, 13 }), "instances: expected a number, found 'two'");
        diag_warning(&dl, ((loc){ "x.js", 0, 0 }), "say \"hi\"");
        applyplan_diag_json(&dl.v[0], &sb);
        strbuf_addc(&sb, '|');
        applyplan_diag_json(&dl.v[1], &sb);
        assert_string_equal(strbuf_str(&sb),
                            "{\"file\":\"/etc/pmgen/d/a\\\"pps.ini\",\"line\":7,\"col\":13,\"level\":\"error\","
                            "\"message\":\"instances: expected a number, found 'two'\","
                            "\"text\":\"/etc/pmgen/d/a\\\"pps.ini:7:13: error: instances: expected a number, found 'two'\"}|"
                            "{\"file\":\"x.js\",\"line\":null,\"col\":null,\"level\":\"warning\",\"message\":\"say \\\"hi\\\"\","
                            "\"text\":\"x.js: warning: say \\\"hi\\\"\"}");
        strbuf_free(&sb);
        diag_list_free(&dl);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unchanged),      cmocka_unit_test(test_added_removed),
                cmocka_unit_test(test_env_change), cmocka_unit_test(test_health_change),     cmocka_unit_test(test_scaled),
                cmocka_unit_test(test_changed_and_scaled), cmocka_unit_test(test_no_unit_change),
                cmocka_unit_test(test_socket_change),  cmocka_unit_test(test_timers),
                cmocka_unit_test(test_value_text),
                cmocka_unit_test(test_json),           cmocka_unit_test(test_units_text),
                cmocka_unit_test(test_diag_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
