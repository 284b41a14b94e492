/* SPDX-License-Identifier: MIT */
/* The declaration store (src/cli/store.c): file names it reads, the header line apply
 * writes, the search path with its first-wins order, masks and drop-ins (on a
 * fixture tree in a temporary directory), and the normalized declaration apply
 * stores (profile merged, paths absolute, interpreter resolved) with a fake host. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/host.h"
#include "cli/store.h"
#include "parse-ini.h"

static void test_name_ok(void **state) {
        static const struct {
                const char *name;
                bool dropin, want;
        } rows[] = {
                { "api.ini", false, true },       { "api.ini~", false, false },     { ".api.ini", false, false },
                { "#api.ini#", false, false },    { "api.ini.dpkg-new", false, false }, { "api.ini.rpmsave", false, false },
                { "api.ini.swp", false, false },  { "api.js", false, false },       { ".ini", false, false },
                { "x.ini", false, true },         { "10-port.conf", true, true },   { "10-port.conf~", true, false },
                { "10-port.ini", true, false },   { ".#api.ini.123", false, false },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                assert_int_equal(store_name_ok(rows[i].name, rows[i].dropin), rows[i].want);
}

static void test_header_one(const char *text, int want_r, const char *src, const char *prof) {
        char *s = NULL, *p = NULL;
        int r = store_header_parse(text, &s, &p);

        assert_int_equal(r, want_r);
        if (r == 0) {
                assert_string_equal(s, src);
                if (prof)
                        assert_string_equal(p, prof);
                else
                        assert_null(p);
        }
        free(s);
        free(p);
}

static void test_header(void **state) {
        (void) state;
        test_header_one("; Applied by pmgen from /srv/a/ecosystem.config.js with --env production\n[a]\n", 0,
                        "/srv/a/ecosystem.config.js", "production");
        test_header_one("; Applied by pmgen from /srv/a/apps.ini\n", 0, "/srv/a/apps.ini", NULL);
        test_header_one("; Applied by pmgen from /srv/my apps/x.js\r\n", 0, "/srv/my apps/x.js", NULL);
        test_header_one("; Applied by pmgen from /srv/a b with --env two words\n", 0, "/srv/a b with --env two words", NULL);
        test_header_one("; Applied by pmgen from relative.js\n", -ENOENT, NULL, NULL);
        test_header_one("[a]\nscript = x\n", -ENOENT, NULL, NULL);
        test_header_one("", -ENOENT, NULL, NULL);
}

/* ---- a fixture tree ------------------------------------------------------------------------ */

static char root[64];

static void put_file(const char *rel, const char *text) {
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

static int setup(void **state) {
        (void) state;
        strcpy(root, "/tmp/pmgen-test-store.XXXXXX");
        assert_non_null(mkdtemp(root));
        put_file("run/api.ini", "[api]\nscript = /srv/run.js\n");
        put_file("etc/api.ini", "[api]\nscript = /srv/etc.js\n");
        put_file("etc/web.ini", "[web]\nscript = /srv/web.js\ninstances = 2\n[web env]\nA = 1\nB = 2\n");
        put_file("etc/web.ini~", "[old]\nscript = /srv/old.js\n");
        put_file("etc/.web.ini.swp", "junk");
        put_file("etc/notes.txt", "junk");
        put_file("lib/web.ini.d/20-b.conf", "[web]\ninstances = 4\n[web env]\nB = lib\n");
        put_file("etc/web.ini.d/10-a.conf", "[web]\nkill_timeout = 5000\n[worker]\nscript = /srv/w.js\n");
        put_file("lib/web.ini.d/10-a.conf", "[web]\nkill_timeout = 1\n"); /* shadowed by etc's 10-a.conf */
        put_file("lib/gone.ini", "[gone]\nscript = /srv/gone.js\n");
        put_file("etc/gone.ini", ""); /* masks it */
        put_file("lib/only.ini", "[only]\nscript = /srv/only.js\n");
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        (void) state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void paths(store_paths *sp, char *dirs[3]) {
        static char a[96], b[96], c[96];

        snprintf(a, sizeof(a), "%s/run", root);
        snprintf(b, sizeof(b), "%s/etc", root);
        snprintf(c, sizeof(c), "%s/lib", root);
        dirs[0] = a;
        dirs[1] = b;
        dirs[2] = c;
        *sp = (store_paths){ .dirs = dirs, .n = 3, .config_dir = b };
}

static void test_list(void **state) {
        char *dirs[3];
        store_paths sp;
        store_list l;
        const char *bad = NULL;
        char want[128];

        (void) state;
        paths(&sp, dirs);
        assert_int_equal(store_list_files(&sp, &l, &bad), 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.v[0].name, "api.ini");
        snprintf(want, sizeof(want), "%s/run/api.ini", root);
        assert_string_equal(l.v[0].path, want);
        snprintf(want, sizeof(want), "%s/etc/api.ini", root);
        assert_string_equal(l.v[0].shadowed, want);
        assert_string_equal(l.v[1].name, "gone.ini");
        assert_true(l.v[1].masked);
        assert_string_equal(l.v[2].name, "only.ini");
        assert_false(l.v[2].masked);
        assert_string_equal(l.v[3].name, "web.ini");
        assert_int_equal(l.v[3].n_dropins, 2);
        snprintf(want, sizeof(want), "%s/etc/web.ini.d/10-a.conf", root);
        assert_string_equal(l.v[3].dropins[0], want);
        snprintf(want, sizeof(want), "%s/lib/web.ini.d/20-b.conf", root);
        assert_string_equal(l.v[3].dropins[1], want);

        /* The drop-ins: a key replaces, env merges by variable, a new section adds an app. */
        decl_file d;
        diag_list dl = DIAG_LIST_INIT;

        assert_int_equal(store_load(&l.v[3], &d, &dl), 0);
        assert_int_equal(d.m.n_apps, 2);
        assert_string_equal(d.m.apps[0].name, "web");
        assert_int_equal(d.m.apps[0].instances_count, 4);
        assert_int_equal(d.m.apps[0].kill_timeout_ms, 5000);
        assert_int_equal(d.m.apps[0].env.n, 2);
        assert_string_equal(d.m.apps[0].env.v[0].value, "1");
        assert_string_equal(d.m.apps[0].env.v[1].value, "lib");
        assert_string_equal(d.m.apps[1].name, "worker");
        decl_free(&d);
        diag_list_free(&dl);
        store_list_free(&l);
}

static void test_paths_env(void **state) {
        store_paths sp;

        (void) state;
        setenv("PMGEN_GENERATOR_DIRS", "/a:/b::/c", 1);
        setenv("PMGEN_CONFIG_DIR", "/b", 1);
        assert_int_equal(store_paths_get(false, &sp), 0);
        assert_int_equal(sp.n, 3);
        assert_string_equal(sp.dirs[0], "/a");
        assert_string_equal(sp.dirs[2], "/c");
        assert_string_equal(sp.config_dir, "/b");
        store_paths_free(&sp);
        unsetenv("PMGEN_GENERATOR_DIRS");
        unsetenv("PMGEN_CONFIG_DIR");
        assert_int_equal(store_paths_get(false, &sp), 0);
        assert_int_equal(sp.n, 3);
        assert_string_equal(sp.dirs[0], "/run/pmgen");
        assert_string_equal(sp.dirs[1], "/etc/pmgen");
        assert_string_equal(sp.dirs[2], "/usr/lib/pmgen");
        assert_string_equal(sp.config_dir, "/etc/pmgen");
        store_paths_free(&sp);
        setenv("XDG_CONFIG_HOME", "/home/u/.cfg", 1);
        assert_int_equal(store_paths_get(true, &sp), 0);
        assert_int_equal(sp.n, 1);
        assert_string_equal(sp.dirs[0], "/home/u/.cfg/pmgen");
        assert_string_equal(sp.config_dir, "/home/u/.cfg/pmgen");
        store_paths_free(&sp);
        unsetenv("XDG_CONFIG_HOME");
}

/* ---- what apply stores ---------------------------------------------------------------------- */

static char *fake_which(void *ud, const char *cmd) {
        char *r;

        (void) ud;
        if (strcmp(cmd, "node") != 0 && strcmp(cmd, "python3") != 0)
                return NULL;
        r = malloc(strlen(cmd) + 10);
        sprintf(r, "/opt/bin/%s", cmd);
        return r;
}

static int fake_sniff(void *ud, const char *path) {
        (void) ud;
        return str_has_suffix(path, "/runme") ? 1 : 0;
}

static void test_render_one(const char *ini, const char *profile, const char *want) {
        static const plan_host host = { fake_which, fake_sniff, 4, NULL, NULL };
        decl_file d;
        diag_list dl = DIAG_LIST_INIT;
        strbuf sb = STRBUF_INIT;

        assert_int_equal(store_load_text("/srv/app/apps.ini", ini, strlen(ini), &d, &dl), 0);
        int r = store_render(&d, "/srv/app/apps.ini", profile, profile, &host, &sb, &dl);

        if (r != 0) {
                strbuf e = STRBUF_INIT;

                diag_render(&dl, &e);
                print_error("%s", strbuf_str(&e));
                strbuf_free(&e);
        }
        assert_int_equal(r, 0);
        assert_string_equal(strbuf_str(&sb), want);
        /* and it reads back as the same declaration, with nothing left to resolve */
        decl_file again;

        assert_int_equal(store_load_text("/etc/pmgen/apps.ini", sb.s, sb.len, &again, &dl), 0);
        assert_false(diag_failed(&dl));
        decl_free(&again);
        strbuf_free(&sb);
        decl_free(&d);
        diag_list_free(&dl);
}

static void test_render(void **state) {
        (void) state;
        test_render_one("[web]\nscript = server.js\ncwd = sub\ninstances = 2\nexec_mode = fork\nout_file = logs/out.log\n"
                        "[web env]\nA = 1\nGREETING = dev\n[web env_production]\nGREETING = prod\n",
                        "production",
                        "; Applied by pmgen from /srv/app/apps.ini with --env production\n"
                        "; Written by `pmgen apply`: change the source and apply it again (see pmgen(1)).\n"
                        "\n[web]\nscript = /srv/app/sub/server.js\ncwd = /srv/app/sub\ninterpreter = /opt/bin/node\n"
                        "exec_mode = fork\ninstances = 2\nout_file = /srv/app/sub/logs/out.log\n"
                        "\n[web env]\nA = 1\nGREETING = prod\n");
        test_render_one("[tool]\nscript = ./runme\nargs = a \"b c\"\nwatch = conf other\n", NULL,
                        "; Applied by pmgen from /srv/app/apps.ini\n"
                        "; Written by `pmgen apply`: change the source and apply it again (see pmgen(1)).\n"
                        "\n[tool]\nscript = /srv/app/runme\ncwd = /srv/app\ninterpreter = none\nargs = a \"b c\"\n"
                        "watch = /srv/app/conf /srv/app/other\n");
        test_render_one("[py]\ninterpreter = python3\nscript = w.py\n", NULL,
                        "; Applied by pmgen from /srv/app/apps.ini\n"
                        "; Written by `pmgen apply`: change the source and apply it again (see pmgen(1)).\n"
                        "\n[py]\nscript = /srv/app/w.py\ncwd = /srv/app\ninterpreter = /opt/bin/python3\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_ok),   cmocka_unit_test(test_header),
                cmocka_unit_test(test_list),      cmocka_unit_test(test_paths_env),
                cmocka_unit_test(test_render),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
