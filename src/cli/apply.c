/* SPDX-License-Identifier: MIT */
#include "apply.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit.h"
#include "host.h"
#include "write.h"

/* ---- apply ------------------------------------------------------------------------------------ */

typedef struct existing {
        char **names;   /* files of the config dir */
        char **sources; /* the source each records, or NULL */
        size_t n;
        const char *identity; /* the source being placed */
        char **claimed; /* names already given to other sources of this run */
        size_t n_claimed;
} existing;

static bool name_taken(const char *name, void *userdata) {
        const existing *x = userdata;

        for (size_t i = 0; i < x->n_claimed; i++)
                if (strcmp(x->claimed[i], name) == 0)
                        return true;
        for (size_t i = 0; i < x->n; i++)
                if (strcmp(x->names[i], name) == 0)
                        return !x->sources[i] || strcmp(x->sources[i], x->identity) != 0;
        return false;
}

static void existing_free(existing *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->names[i]);
                free(x->sources[i]);
        }
        free(x->names);
        free(x->sources);
        free(x->claimed);
}

static int existing_load(const char *dir, existing *x) {
        store_paths one = { .dirs = (char *[]){ (char *) dir }, .n = 1 };
        store_list l = { 0 };
        const char *bad = NULL;
        int r = store_list_files(&one, &l, &bad);

        if (r < 0)
                return r;
        x->names = calloc(l.n + 1, sizeof(char *));
        x->sources = calloc(l.n + 1, sizeof(char *));
        if (!x->names || !x->sources) {
                store_list_free(&l);
                return -ENOMEM;
        }
        for (size_t i = 0; i < l.n; i++) {
                char *text = NULL, *prof = NULL;
                size_t len;

                x->names[x->n] = l.v[i].name;
                l.v[i].name = NULL;
                if (read_file(l.v[i].path, 1u << 22, &text, &len) == 0) {
                        if (store_header_parse(text, &x->sources[x->n], &prof) < 0)
                                x->sources[x->n] = NULL;
                        free(prof);
                        free(text);
                }
                x->n++;
        }
        store_list_free(&l);
        return 0;
}

static char *label_of(const char *identity, const char *profile) {
        strbuf sb = STRBUF_INIT;

        strbuf_addf(&sb, "from %s", identity);
        if (profile)
                strbuf_addf(&sb, " with --env %s", profile);
        return strbuf_steal(&sb);
}

/* Apps declared by the store (all directories) outside the files being replaced. */
static int check_conflicts(const store_paths *sp, const store_update *u, size_t n, apply_source *src, size_t ns,
                           diag_list *dl) {
        store_list l = { 0 };
        const char *bad = NULL;
        int r = store_list_files(sp, &l, &bad);

        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                const store_entry *e = &l.v[i];
                bool ours = false;
                decl_file d = { 0 };
                diag_list quiet = DIAG_LIST_INIT;

                for (size_t k = 0; k < n && !ours; k++)
                        ours = strcmp(u[k].name, e->name) == 0;
                if (ours) {
                        /* The file we write must be the one the generator reads. */
                        strbuf ourpath = STRBUF_INIT;

                        strbuf_addf(&ourpath, "%s/%s", sp->config_dir, e->name);
                        if (strcmp(e->path, strbuf_str(&ourpath)) != 0)
                                diag_error(dl, ((loc){ e->path, 0, 0 }),
                                           "this file overrides %s, which apply writes: remove it (or move it there) first",
                                           strbuf_str(&ourpath));
                        strbuf_free(&ourpath);
                        continue;
                }
                if (e->masked || store_load(e, &d, &quiet) < 0) {
                        diag_list_free(&quiet);
                        continue;
                }
                for (size_t a = 0; a < d.m.n_apps; a++)
                        for (size_t s = 0; s < ns; s++)
                                for (size_t k = 0; k < src[s].d.m.n_apps; k++)
                                        if (strcmp(src[s].d.m.apps[k].name, d.m.apps[a].name) == 0)
                                                diag_error(dl, app_loc(&src[s].d.m.apps[k], "name"),
                                                           "app '%s' is already declared in %s: `pmgen delete %s` first, "
                                                           "or apply with --prune",
                                                           d.m.apps[a].name, e->path, d.m.apps[a].name);
                decl_free(&d);
                diag_list_free(&quiet);
        }
        store_list_free(&l);
        return 0;
}

/* "pmgen: MESSAGE" on stderr, and the message as the report's error. */
static void __attribute__((format(printf, 2, 3))) complain(apply_report *rep, const char *fmt, ...) {
        va_list ap;
        strbuf sb = STRBUF_INIT;

        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        fprintf(stderr, "pmgen: %s\n", strbuf_str(&sb));
        if (rep && !rep->error.len)
                strbuf_adds(&rep->error, strbuf_str(&sb));
        strbuf_free(&sb);
}

int apply_sources(const verb_opts *o, apply_source *src, size_t ns) {
        return apply_sources_report(o, src, ns, NULL);
}

int apply_sources_report(const verb_opts *o, apply_source *src, size_t ns, apply_report *rep) {
        store_paths sp = { 0 };
        existing x = { 0 };
        store_update *u = NULL;
        size_t n = 0;
        diag_list dl = DIAG_LIST_INIT;
        plan_host h;
        int r, ret = 0, lock = -1;

        host_plan(&h);
        r = store_paths_get(o->user, &sp);
        if (r < 0) {
                complain(rep, "cannot find the declaration directory: %s", strerror(-r));
                return EXIT_SYSTEM;
        }
        if (!o->dry_run) {
                bool waited;

                lock = store_lock(sp.config_dir, &waited);
                if (lock < 0) {
                        complain(rep, "cannot lock %s/.lock: %s%s", sp.config_dir, strerror(-lock),
                                 lock == -EACCES ? " (run it as root, or with --user for your own systemd)" : "");
                        ret = EXIT_SYSTEM;
                        goto out;
                }
                if (waited)
                        fprintf(stderr, "pmgen: waited for another pmgen changing %s\n", sp.config_dir);
        }
        r = existing_load(sp.config_dir, &x);
        if (r < 0) {
                complain(rep, "cannot read %s: %s", sp.config_dir, strerror(-r));
                ret = EXIT_SYSTEM;
                goto out;
        }
        u = calloc(ns + x.n + 1, sizeof(store_update));
        x.claimed = calloc(ns + 1, sizeof(char *));
        if (!u || !x.claimed) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        /* Apps must be unique across the files of one apply. */
        for (size_t s = 0; s < ns; s++)
                for (size_t k = 0; k < src[s].d.m.n_apps; k++)
                        for (size_t t = 0; t < s; t++)
                                for (size_t j = 0; j < src[t].d.m.n_apps; j++)
                                        if (strcmp(src[s].d.m.apps[k].name, src[t].d.m.apps[j].name) == 0)
                                                diag_error(&dl, app_loc(&src[s].d.m.apps[k], "name"),
                                                           "app '%s' is also declared in %s", src[s].d.m.apps[k].name,
                                                           src[t].d.file);
        for (size_t s = 0; s < ns; s++) {
                strbuf text = STRBUF_INIT;
                store_update *up = &u[n];

                for (size_t t = 0; t < s; t++)
                        if (strcmp(src[t].identity, src[s].identity) == 0)
                                diag_error(&dl, ((loc){ src[s].d.file, 0, 0 }), "applied twice (also as %s)", src[t].d.file);
                x.identity = src[s].identity;
                up->name = src[s].name ? strdup(src[s].name) : edit_store_name(src[s].identity, name_taken, &x);
                if (!up->name) {
                        ret = EXIT_SYSTEM;
                        goto out;
                }
                x.claimed[x.n_claimed++] = up->name;
                up->label = label_of(src[s].identity, src[s].profile);
                r = store_render(&src[s].d, src[s].identity, src[s].profile, src[s].stored ? NULL : src[s].profile, &h,
                                 &text, &dl);
                if (r == -ENOMEM) {
                        strbuf_free(&text);
                        ret = EXIT_SYSTEM;
                        goto out;
                }
                up->new_text = r == 0 ? strbuf_steal(&text) : NULL;
                strbuf_free(&text);
                for (size_t i = 0; i < x.n; i++)
                        if (strcmp(x.names[i], up->name) == 0) {
                                strbuf path = STRBUF_INIT;
                                size_t len;

                                strbuf_addf(&path, "%s/%s", sp.config_dir, up->name);
                                if (read_file(strbuf_str(&path), 1u << 22, &up->old_text, &len) < 0)
                                        up->old_text = NULL;
                                strbuf_free(&path);
                        }
                n++;
                if (r < 0)
                        ret = EXIT_DECL;
        }
        if (ret == 0 && !diag_failed(&dl) && o->prune)
                for (size_t i = 0; i < x.n; i++) {
                        bool kept = false;
                        strbuf path = STRBUF_INIT;
                        size_t len;

                        for (size_t k = 0; k < n && !kept; k++)
                                kept = strcmp(u[k].name, x.names[i]) == 0;
                        if (kept)
                                continue;
                        strbuf_addf(&path, "%s/%s", sp.config_dir, x.names[i]);
                        u[n].name = strdup(x.names[i]);
                        u[n].label = x.sources[i] ? label_of(x.sources[i], NULL) : NULL;
                        if (read_file(strbuf_str(&path), 1u << 22, &u[n].old_text, &len) < 0)
                                u[n].old_text = NULL;
                        strbuf_free(&path);
                        if (!u[n].name) {
                                ret = EXIT_SYSTEM;
                                goto out;
                        }
                        if (u[n].old_text)
                                n++;
                        else {
                                free(u[n].name);
                                free(u[n].label);
                                u[n] = (store_update){ 0 };
                        }
                }
        if (ret == 0 && !diag_failed(&dl) && check_conflicts(&sp, u, n, src, ns, &dl) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        if (ret == 0 && diag_failed(&dl))
                ret = EXIT_DECL;
        print_diags(&dl, o->quiet);
        apply_report_diags(rep, &dl);
        if (ret == 0)
                ret = converge_report(o, &sp, u, n, rep);
        else if (ret == EXIT_DECL)
                complain(rep, "nothing was changed");
out:
        store_updates_free(u, n);
        if (lock >= 0)
                close(lock);
        existing_free(&x);
        store_paths_free(&sp);
        diag_list_free(&dl);
        return ret;
}

static const char *const default_files[] = { "ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.config.mjs",
                                             "ecosystem.json", "ecosystem.config.json", "pmgen.ini", NULL };

/* The document of apply --json (pmgen(1)). */
static void print_report(const verb_opts *o, const apply_report *rep, int ret) {
        strbuf sb = STRBUF_INIT;

        strbuf_addf(&sb, "{\"changed\":%s,\"dry_run\":%s,\"exit\":%d,\"failed\":%s,\"error\":",
                    rep->changed ? "true" : "false", o->dry_run ? "true" : "false", ret, ret ? "true" : "false");
        if (rep->error.len)
                json_escape(&sb, rep->error.s, rep->error.len);
        else if (ret)
                strbuf_adds(&sb, "\"failed\"");
        else
                strbuf_adds(&sb, "null");
        strbuf_addf(&sb, ",\n\"diagnostics\":[%s],\n\"files\":[%s],\n\"apps\":%s}\n", strbuf_str(&rep->diags),
                    strbuf_str(&rep->files), rep->apps.len ? strbuf_str(&rep->apps) : "[]");
        if (sb.oom || rep->diags.oom || rep->files.oom || rep->apps.oom || rep->error.oom)
                printf("{\"changed\":%s,\"dry_run\":%s,\"exit\":%d,\"failed\":true,\"error\":\"out of memory "
                       "while writing the report\",\"diagnostics\":[],\"files\":[],\"apps\":[]}\n",
                       rep->changed ? "true" : "false", o->dry_run ? "true" : "false", ret);
        else
                fputs(strbuf_str(&sb), stdout);
        fflush(stdout);
        strbuf_free(&sb);
}

static int apply_files(const verb_opts *o, int n, char **files, apply_report *rep);

int cmd_apply(const verb_opts *o, int n, char **files) {
        apply_report report = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, false, NULL, false };
        int ret = apply_files(o, n, files, o->json ? &report : NULL);

        apply_report_free(&report);
        return ret;
}

int cmd_diff(const verb_opts *o, int n, char **files) {
        verb_opts dry = *o;
        strbuf diff = STRBUF_INIT;
        apply_report report = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, false, &diff, true };
        int ret;

        dry.dry_run = true;
        dry.json = false;
        ret = apply_files(&dry, n, files, &report);
        if (ret == 0) {
                fputs(diff.len ? "\n" : "no unit would change\n", stdout);
                fputs(strbuf_str(&diff), stdout);
        }
        strbuf_free(&diff);
        apply_report_free(&report);
        return ret;
}

static int apply_files(const verb_opts *o, int n, char **files, apply_report *rep) {
        compile_opts co = { .shim_path = PMGEN_SHIM_PATH, .preload_path = PMGEN_NODE_PRELOAD_PATH,
                            .bind_preload_path = PMGEN_BIND_PRELOAD_PATH, .generator = "pmgen",
                            .paths_must_exist = true };
        apply_source *src;
        diag_list dl = DIAG_LIST_INIT;
        char *dflt[2] = { NULL, NULL };
        int ret = 0, r = 0;

        if (n == 0) {
                for (size_t i = 0; default_files[i] && !dflt[0]; i++)
                        if (access(default_files[i], F_OK) == 0)
                                dflt[0] = (char *) default_files[i];
                if (!dflt[0]) {
                        fprintf(stderr, "pmgen: apply: no FILE given and no ecosystem.config.js (or .cjs, .mjs, .json, "
                                        "pmgen.ini) here\nTry 'pmgen --help'.\n");
                        return EXIT_USAGE;
                }
                files = dflt;
                n = 1;
        }
        src = calloc((size_t) n + 1, sizeof(apply_source));
        if (!src)
                return EXIT_SYSTEM;
        for (int i = 0; i < n; i++) {
                int q = decl_load(files[i], &co, &src[i].d, &dl);
                char *rec = NULL, *recprof = NULL;

                if (q < 0) {
                        if (r == 0 || q != -EINVAL)
                                r = q;
                        continue;
                }
                /* A store file (NAME.ini~ included) stands for the source it records. */
                if (store_header_parse(src[i].d.text, &rec, &recprof) == 0) {
                        /* its env already has the profile it was applied with */
                        src[i].identity = rec;
                        src[i].profile = recprof;
                        src[i].stored = true;
                } else {
                        src[i].identity = strdup(src[i].d.abs_file);
                        src[i].profile = o->profile ? strdup(o->profile) : NULL;
                }
                if (!src[i].identity)
                        r = -ENOMEM;
        }
        if (r == 0 && diag_failed(&dl))
                r = -EINVAL;
        print_diags(&dl, o->quiet);
        apply_report_diags(rep, &dl);
        if (r < 0) {
                ret = r == -EINVAL ? EXIT_DECL : EXIT_SYSTEM;
                complain(rep, "nothing was changed");
        } else
                ret = apply_sources_report(o, src, (size_t) n, rep);
        if (rep && o->json)
                print_report(o, rep, ret);
        for (int i = 0; i < n; i++) {
                decl_free(&src[i].d);
                free(src[i].identity);
                free(src[i].profile);
        }
        free(src);
        diag_list_free(&dl);
        return ret;
}
