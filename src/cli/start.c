/* SPDX-License-Identifier: MIT */
/* `pmgen start` and `pmgen delete`, the edge (adhoc.h): a script's declaration written to the config
 * dir and applied with apply_sources() (apply.c), an ecosystem file applied whole or --only some of its
 * apps, an app name started (verbs.c); delete's removal of the backups of start's declarations. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adhoc.h"
#include "apply.h"
#include "cli.h"
#include "edit.h"
#include "host.h"
#include "store.h"
#include "verbs.h"

static const char start_usage[] =
        "Usage: pmgen start SCRIPT [-i N|max] [--name NAME] [--port P] [--env K=V]... [--cwd DIR]\n"
        "                   [--interpreter X] [--max-memory-restart 300M] [--cron \"...\"] [-- ARGS...]\n"
        "       pmgen start ecosystem.config.js [--only A,B] [--env NAME]\n"
        "       pmgen start APP|all\n"
        "\n"
        "A SCRIPT is declared in pmgen's INI form as CONFIG_DIR/NAME.ini (/etc/pmgen, or\n"
        "~/.config/pmgen with --user) and applied: it runs now and after every boot.\n"
        "The argument is a file when it exists, has a '/' or ends in .js .cjs .mjs .ts .py\n"
        ".rb .sh .php .pl; .config.js .config.cjs .config.mjs .json .ini files are ecosystem\n"
        "files (applied like `pmgen apply`); anything else names an app to start.\n"
        "\n"
        "PM2's flags: -i/--instances, -n/--name, --port, --env KEY=VALUE, --cwd, --interpreter,\n"
        "--interpreter-args/--node-args, --max-memory-restart, -c/--cron, --watch [PATHS],\n"
        "--ignore-watch, -o/--output, -e/--error, -l/--log, --merge-logs, --disable-logs, --time,\n"
        "--restart-delay, --exp-backoff-restart-delay, --max-restarts, --min-uptime,\n"
        "-k/--kill-timeout, --listen-timeout, --wait-ready, --shutdown-with-message,\n"
        "--no-autorestart, --no-autostart, --stop-exit-codes, --namespace, --uid, --gid,\n"
        "--instance-var, --source-map-support; pmgen's: --user, --dry-run, -q. -w is PM2's\n"
        "--write and -m its --mini-list (accepted, no effect). See pmgen(1), start.\n";

static bool regular_file(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The store file of the config dir whose header names `identity`; *name and *text malloc'd. */
static int find_stored(const char *dir, const char *identity, char **name, char **text) {
        DIR *d = opendir(dir);
        struct dirent *e;
        int r = -ENOENT;

        if (!d)
                return errno == ENOENT ? -ENOENT : -errno;
        while (r == -ENOENT && (e = readdir(d))) {
                strbuf path = STRBUF_INIT;
                char *t = NULL, *src = NULL, *prof = NULL;
                size_t len;

                if (!store_name_ok(e->d_name, false))
                        continue;
                strbuf_addf(&path, "%s/%s", dir, e->d_name);
                if (read_file(strbuf_str(&path), 1u << 22, &t, &len) == 0 && store_header_parse(t, &src, &prof) == 0 &&
                    strcmp(src, identity) == 0) {
                        *name = strdup(e->d_name);
                        *text = t;
                        t = NULL;
                        r = *name ? 0 : -ENOMEM;
                }
                free(t);
                free(src);
                free(prof);
                strbuf_free(&path);
        }
        closedir(d);
        return r;
}

static int start_script(const adhoc_req *r, const verb_opts *v) {
        store_paths sp = { 0 };
        strbuf text = STRBUF_INIT, path = STRBUF_INIT, fname = STRBUF_INIT;
        diag_list dl = DIAG_LIST_INIT;
        char *script = NULL, *cwd = NULL, *name = NULL, *old = NULL, *src = NULL, *prof = NULL;
        apply_source as = { 0 };
        size_t len;
        int ret = 0, q;

        script = realpath(r->target, NULL);
        if (!script || !regular_file(script)) {
                fprintf(stderr, "pmgen: start: %s: %s\n", r->target, script ? "not a regular file" : strerror(errno));
                ret = EXIT_USAGE;
                goto out;
        }
        cwd = r->cwd ? realpath(r->cwd, NULL) : getcwd(NULL, 0);
        if (!cwd) {
                fprintf(stderr, "pmgen: start: --cwd %s: %s\n", r->cwd ? r->cwd : ".", strerror(errno));
                ret = EXIT_USAGE;
                goto out;
        }
        name = r->name ? strdup(r->name) : adhoc_default_name(script);
        if (!name) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        if (!r->name && !adhoc_name_ok(name)) {
                fprintf(stderr, "pmgen: start: '%s' cannot be an app name: give one with --name\n", name);
                ret = EXIT_USAGE;
                goto out;
        }
        q = adhoc_to_ini(r, name, script, cwd, &text, &dl);
        if (q < 0) {
                print_diags(&dl, v->quiet);
                ret = q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        if (store_paths_get(v->user, &sp) < 0) {
                fprintf(stderr, "pmgen: cannot find the declaration directory\n");
                ret = EXIT_SYSTEM;
                goto out;
        }
        strbuf_addf(&fname, "%s.ini", name);
        strbuf_addf(&path, "%s/%s", sp.config_dir, strbuf_str(&fname));
        /* NAME.ini is this command's own declaration, or another source's: never overwrite that. */
        if (read_file(strbuf_str(&path), 1u << 22, &old, &len) == 0 &&
            (store_header_parse(old, &src, &prof) < 0 || strcmp(src, strbuf_str(&path)) != 0)) {
                fprintf(stderr,
                        "pmgen: start: %s holds the declaration%s%s: choose another --name, or `pmgen delete` its apps "
                        "first\n",
                        strbuf_str(&path), src ? " applied from " : " written by hand", src ? src : "");
                ret = EXIT_DECL;
                goto out;
        }
        q = store_load_text(strbuf_str(&path), strbuf_str(&text), text.len, &as.d, &dl);
        if (q < 0) {
                print_diags(&dl, v->quiet);
                ret = q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                if (ret == EXIT_DECL)
                        fprintf(stderr, "pmgen: nothing was changed\n");
                goto out;
        }
        print_diags(&dl, v->quiet);
        /* The declaration is its own source: `pmgen apply CONFIG_DIR/NAME.ini` after an edit. */
        as.identity = strdup(strbuf_str(&path));
        as.name = strbuf_str(&fname);
        if (!as.identity) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        if (r->ignored && !v->quiet)
                fprintf(stderr, "pmgen: start: --%s has no effect here\n", r->ignored);
        ret = apply_sources(v, &as, 1);
out:
        decl_free(&as.d);
        free(as.identity);
        free(script);
        free(cwd);
        free(name);
        free(old);
        free(src);
        free(prof);
        strbuf_free(&text);
        strbuf_free(&path);
        strbuf_free(&fname);
        store_paths_free(&sp);
        diag_list_free(&dl);
        return ret;
}

/* The leading comment lines of a store file (its header) skipped. */
static const char *after_header(const char *t) {
        while (*t == ';' || *t == '\n') {
                const char *nl = strchr(t, '\n');

                if (!nl)
                        return t + strlen(t);
                t = nl + 1;
        }
        return t;
}

/* `pmgen start FILE --only A,B`: the named apps from FILE, the file's others as applied before. */
static int start_only(const adhoc_req *r, const verb_opts *v) {
        compile_opts co = { .shim_path = PMGEN_SHIM_PATH, .preload_path = PMGEN_NODE_PRELOAD_PATH,
                            .bind_preload_path = PMGEN_BIND_PRELOAD_PATH, .generator = "pmgen",
                            .paths_must_exist = true };
        diag_list dl = DIAG_LIST_INIT;
        decl_file d = { 0 };
        store_paths sp = { 0 };
        strbuf text = STRBUF_INIT, all = STRBUF_INIT, loadpath = STRBUF_INIT;
        char *oldname = NULL, *oldtext = NULL, *cur = NULL;
        apply_source as = { 0 };
        plan_host h;
        int ret = 0, q;

        q = decl_load(r->target, &co, &d, &dl);
        print_diags(&dl, v->quiet);
        if (q < 0 || diag_failed(&dl)) {
                fprintf(stderr, "pmgen: nothing was changed\n");
                ret = q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        for (const char *p = r->only; *p;) {
                size_t n = strcspn(p, ",");
                bool found = false;

                for (size_t i = 0; i < d.m.n_apps && !found; i++)
                        found = strlen(d.m.apps[i].name) == n && strncmp(d.m.apps[i].name, p, n) == 0;
                if (!found && n) {
                        fprintf(stderr, "pmgen: start: --only: %s declares no app '%.*s'\n", r->target, (int) n, p);
                        ret = EXIT_NOAPP;
                        goto out;
                }
                p += n;
                p += *p == ',';
        }
        host_plan(&h);
        diag_list_free(&dl);
        dl = (diag_list) DIAG_LIST_INIT;
        q = store_render(&d, d.abs_file, r->profile, r->profile, &h, &text, &dl);
        print_diags(&dl, v->quiet);
        if (q < 0) {
                ret = q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        cur = strbuf_steal(&text);
        for (size_t i = 0; cur && i < d.m.n_apps; i++) {
                char *next = NULL;
                bool empty;

                if (only_has(r->only, d.m.apps[i].name))
                        continue;
                if (edit_remove_app(cur, d.m.apps[i].name, &next, &empty) == 0) {
                        free(cur);
                        cur = next;
                }
        }
        if (!cur || store_paths_get(v->user, &sp) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        strbuf_adds(&all, cur);
        /* The apps of this file applied before and not named: kept as they are. */
        if (find_stored(sp.config_dir, d.abs_file, &oldname, &oldtext) == 0) {
                for (size_t i = 0; i < d.m.n_apps; i++) {
                        char *next = NULL;
                        bool empty;

                        if (only_has(r->only, d.m.apps[i].name) && edit_remove_app(oldtext, d.m.apps[i].name, &next, &empty) == 0) {
                                free(oldtext);
                                oldtext = next;
                        }
                }
                strbuf_addf(&all, "\n%s", after_header(oldtext));
                strbuf_addf(&loadpath, "%s/%s", sp.config_dir, oldname);
        } else
                strbuf_adds(&loadpath, d.abs_file);
        diag_list_free(&dl);
        dl = (diag_list) DIAG_LIST_INIT;
        q = store_load_text(strbuf_str(&loadpath), strbuf_str(&all), all.len, &as.d, &dl);
        print_diags(&dl, v->quiet);
        if (q < 0) {
                ret = q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        as.identity = d.abs_file;
        as.profile = (char *) r->profile;
        as.stored = true;
        as.name = oldname;
        ret = apply_sources(v, &as, 1);
out:
        decl_free(&as.d);
        decl_free(&d);
        free(oldname);
        free(oldtext);
        free(cur);
        strbuf_free(&text);
        strbuf_free(&all);
        strbuf_free(&loadpath);
        store_paths_free(&sp);
        diag_list_free(&dl);
        return ret;
}

int adhoc_main(int argc, char **argv) {
        adhoc_req r;
        verb_opts v = { .lines = -1 };
        char *err = NULL;
        int q = adhoc_parse(argc, argv, regular_file, &r, &err), ret;

        if (q < 0) {
                fprintf(stderr, "pmgen: start: %s\nTry 'pmgen start --help'.\n", err ? err : strerror(-q));
                free(err);
                return q == -ENOMEM ? EXIT_SYSTEM : EXIT_USAGE;
        }
        if (r.help) {
                fputs(start_usage, stdout);
                adhoc_req_free(&r);
                return 0;
        }
        v.user = r.user;
        v.quiet = r.quiet;
        v.dry_run = r.dry_run;
        v.profile = r.profile;
        switch (r.form) {
        case START_APP:
                if (r.dry_run) {
                        fprintf(stderr, "pmgen: start %s: --dry-run goes with a script or an ecosystem file\n", r.target);
                        ret = EXIT_USAGE;
                } else
                        ret = cmd_start(&v, r.target);
                break;
        case START_ECOSYSTEM:
                if (r.only)
                        ret = start_only(&r, &v);
                else {
                        char *files[1] = { (char *) r.target };

                        ret = cmd_apply(&v, 1, files);
                }
                break;
        default:
                ret = start_script(&r, &v);
                break;
        }
        adhoc_req_free(&r);
        return ret;
}

/* ---- delete -------------------------------------------------------------------------------------- */

/* A declaration made by `pmgen start SCRIPT` names itself as its source; once delete has removed it, its
 * backup NAME.ini~ goes too, so that nothing of the app is left (PM2's delete forgets the process). */
static void remove_adhoc_backups(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d))) {
                size_t n = strlen(e->d_name);
                strbuf bak = STRBUF_INIT, live = STRBUF_INIT;
                char *t = NULL, *src = NULL, *prof = NULL;
                size_t len;
                struct stat st;

                if (n < 6 || e->d_name[0] == '.' || strcmp(e->d_name + n - 5, ".ini~") != 0)
                        continue;
                strbuf_addf(&bak, "%s/%s", dir, e->d_name);
                strbuf_addf(&live, "%s/%.*s", dir, (int) (n - 1), e->d_name);
                if (!bak.oom && !live.oom && lstat(strbuf_str(&live), &st) < 0 && errno == ENOENT &&
                    read_file(strbuf_str(&bak), 1u << 22, &t, &len) == 0 && store_header_parse(t, &src, &prof) == 0 &&
                    strcmp(src, strbuf_str(&live)) == 0) {
                        if (unlink(strbuf_str(&bak)) == 0)
                                printf("  removed %s\n", strbuf_str(&bak));
                        else
                                fprintf(stderr, "pmgen: cannot remove %s: %s\n", strbuf_str(&bak), strerror(errno));
                }
                free(t);
                free(src);
                free(prof);
                strbuf_free(&bak);
                strbuf_free(&live);
        }
        closedir(d);
}

int adhoc_delete(const verb_opts *o, const char *arg) {
        store_paths sp = { 0 };
        int ret = cmd_delete(o, arg);

        if (ret == 0 && !o->dry_run && store_paths_get(o->user, &sp) == 0) {
                int lock;
                bool waited;

                lock = store_lock(sp.config_dir, &waited);
                if (lock >= 0) {
                        remove_adhoc_backups(sp.config_dir);
                        close(lock);
                }
                store_paths_free(&sp);
        }
        return ret;
}
