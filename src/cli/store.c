/* SPDX-License-Identifier: MIT */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "parse-ini.h"
#include "write.h"

#define DECL_MAX_BYTES (4u << 20)

/* ---- paths ------------------------------------------------------------------------------- */

static int split_dirs(const char *s, store_paths *p) {
        for (const char *q = s; *q;) {
                size_t n = strcspn(q, ":");

                if (n > 0) {
                        char **nv = realloc(p->dirs, (p->n + 1) * sizeof(char *));

                        if (!nv)
                                return -ENOMEM;
                        p->dirs = nv;
                        if (!(p->dirs[p->n] = xstrndup(q, n)))
                                return -ENOMEM;
                        p->n++;
                }
                q += n;
                if (*q == ':')
                        q++;
        }
        return 0;
}

static char *user_config_dir(void) {
        const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        strbuf sb = STRBUF_INIT;

        if (x && x[0] == '/')
                strbuf_addf(&sb, "%s/pmgen", x);
        else {
                if (!home || home[0] != '/') {
                        struct passwd *pw = getpwuid(getuid());

                        home = pw ? pw->pw_dir : NULL;
                }
                if (!home || home[0] != '/')
                        return NULL;
                strbuf_addf(&sb, "%s/.config/pmgen", home);
        }
        return strbuf_steal(&sb);
}

int store_paths_get(bool user, store_paths *ret) {
        store_paths p = { .user = user };
        const char *env_dirs = getenv("PMGEN_GENERATOR_DIRS"), *env_conf = getenv("PMGEN_CONFIG_DIR");
        int r;

        if (env_conf && env_conf[0] == '/')
                p.config_dir = strdup(env_conf);
        else if (user)
                p.config_dir = user_config_dir();
        else
                p.config_dir = strdup(PMGEN_SYSCONFDIR "/pmgen");
        if (!p.config_dir) {
                r = user ? -ENOENT : -ENOMEM;
                goto fail;
        }
        if (env_dirs && env_dirs[0])
                r = split_dirs(env_dirs, &p);
        else if (user)
                r = split_dirs(p.config_dir, &p);
        else
                r = split_dirs("/run/pmgen:" PMGEN_SYSCONFDIR "/pmgen:/usr/lib/pmgen", &p);
        if (r < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        store_paths_free(&p);
        return r;
}

void store_paths_free(store_paths *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                free(p->dirs[i]);
        free(p->dirs);
        free(p->config_dir);
        memset(p, 0, sizeof(*p));
}

/* ---- listing ----------------------------------------------------------------------------- */

bool store_name_ok(const char *name, bool dropin) {
        static const char *const backups[] = { "~", ".swp", ".swo", ".bak", ".orig", ".tmp", ".dpkg-new", ".dpkg-old",
                                               ".dpkg-dist", ".dpkg-tmp", ".dpkg-bak", ".rpmnew", ".rpmsave", ".rpmorig",
                                               ".ucf-new", ".ucf-old", ".ucf-dist" };
        size_t n = strlen(name);

        if (n == 0 || name[0] == '.' || name[0] == '#' || strchr(name, '\n'))
                return false;
        for (size_t i = 0; i < sizeof(backups) / sizeof(backups[0]); i++)
                if (str_has_suffix(name, backups[i]))
                        return false;
        if (dropin)
                return n > 5 && str_has_suffix(name, ".conf");
        return n > 4 && str_has_suffix(name, ".ini");
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in dir that pass store_name_ok(), sorted. A missing dir is empty. */
static int list_dir(const char *dir, bool dropin, char ***ret, size_t *n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = NULL;
        size_t k = 0;

        *ret = NULL;
        *n = 0;
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((errno = 0, de = readdir(d))) {
                char **nv;

                if (!store_name_ok(de->d_name, dropin))
                        continue;
                nv = realloc(v, (k + 1) * sizeof(char *));
                if (!nv || !(nv[k] = strdup(de->d_name))) {
                        free(nv ? nv : v);
                        closedir(d);
                        return -ENOMEM;
                }
                v = nv;
                k++;
        }
        closedir(d);
        if (k > 1)
                qsort(v, k, sizeof(char *), cmp_str);
        *ret = v;
        *n = k;
        return 0;
}

static void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static char *join(const char *dir, const char *name) {
        strbuf sb = STRBUF_INIT;

        strbuf_addf(&sb, "%s/%s", dir, name);
        return strbuf_steal(&sb);
}

static bool is_masked(const char *path) {
        struct stat st;
        char target[16];
        ssize_t n;

        if (lstat(path, &st) < 0)
                return false;
        if (S_ISLNK(st.st_mode)) {
                n = readlink(path, target, sizeof(target) - 1);
                if (n > 0) {
                        target[n] = '\0';
                        if (strcmp(target, "/dev/null") == 0)
                                return true;
                }
                if (stat(path, &st) < 0)
                        return false;
        }
        return S_ISREG(st.st_mode) && st.st_size == 0;
}

static int find_dropins(const store_paths *p, store_entry *e) {
        char **names = NULL, **paths = NULL;
        size_t nn = 0;
        int r = 0;

        for (size_t i = 0; i < p->n && r == 0; i++) {
                char *dir = NULL, **v = NULL;
                size_t k = 0;
                strbuf sb = STRBUF_INIT;

                strbuf_addf(&sb, "%s/%s.d", p->dirs[i], e->name);
                dir = strbuf_steal(&sb);
                if (!dir)
                        return -ENOMEM;
                r = list_dir(dir, true, &v, &k);
                for (size_t j = 0; r == 0 && j < k; j++) {
                        bool seen = false;

                        for (size_t q = 0; q < nn && !seen; q++)
                                seen = strcmp(names[q], v[j]) == 0;
                        if (seen)
                                continue;
                        char **n1 = realloc(names, (nn + 1) * sizeof(char *));
                        char **p1 = n1 ? realloc(paths, (nn + 1) * sizeof(char *)) : NULL;

                        if (n1)
                                names = n1;
                        if (p1)
                                paths = p1;
                        if (!n1 || !p1 || !(paths[nn] = join(dir, v[j]))) {
                                r = -ENOMEM;
                                break;
                        }
                        names[nn] = v[j];
                        v[j] = NULL;
                        nn++;
                }
                strv_free(v, k);
                free(dir);
        }
        if (r < 0) {
                strv_free(names, nn);
                strv_free(paths, nn);
                return r;
        }
        /* In the order of their file names, whatever directory they are in. */
        for (size_t i = 1; i < nn; i++)
                for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                        char *t = names[j];

                        names[j] = names[j - 1];
                        names[j - 1] = t;
                        t = paths[j];
                        paths[j] = paths[j - 1];
                        paths[j - 1] = t;
                }
        strv_free(names, nn);
        e->dropins = paths;
        e->n_dropins = nn;
        return 0;
}

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const store_entry *) a)->name, ((const store_entry *) b)->name);
}

int store_list_files(const store_paths *p, store_list *ret, const char **bad) {
        static char badbuf[4096];
        store_list l = { 0 };
        int r = 0;

        for (size_t i = 0; i < p->n && r == 0; i++) {
                char **v = NULL;
                size_t k = 0;

                r = list_dir(p->dirs[i], false, &v, &k);
                if (r < 0) {
                        snprintf(badbuf, sizeof(badbuf), "%s", p->dirs[i]);
                        *bad = badbuf;
                        break;
                }
                for (size_t j = 0; j < k && r == 0; j++) {
                        store_entry *e = NULL;

                        for (size_t q = 0; q < l.n; q++)
                                if (strcmp(l.v[q].name, v[j]) == 0)
                                        e = &l.v[q];
                        if (e) {
                                if (!e->shadowed && !(e->shadowed = join(p->dirs[i], v[j])))
                                        r = -ENOMEM;
                                continue;
                        }
                        store_entry *nv = realloc(l.v, (l.n + 1) * sizeof(store_entry));

                        if (!nv) {
                                r = -ENOMEM;
                                break;
                        }
                        l.v = nv;
                        e = &l.v[l.n];
                        *e = (store_entry){ .name = v[j] };
                        v[j] = NULL;
                        l.n++;
                        if (!(e->path = join(p->dirs[i], e->name)))
                                r = -ENOMEM;
                        else
                                e->masked = is_masked(e->path);
                }
                strv_free(v, k);
        }
        for (size_t i = 0; i < l.n && r == 0; i++)
                if (!l.v[i].masked)
                        r = find_dropins(p, &l.v[i]);
        if (r < 0) {
                store_list_free(&l);
                return r;
        }
        if (l.n > 1)
                qsort(l.v, l.n, sizeof(store_entry), entry_cmp);
        *ret = l;
        return 0;
}

void store_list_free(store_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].path);
                free(l->v[i].shadowed);
                strv_free(l->v[i].dropins, l->v[i].n_dropins);
        }
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* ---- loading ----------------------------------------------------------------------------- */

static char *dir_of(const char *abs) {
        const char *slash = strrchr(abs, '/');

        return !slash || slash == abs ? strdup("/") : xstrndup(abs, (size_t) (slash - abs));
}

static const char *app_name_of(const value *obj) {
        const member *m = obj->type == V_OBJECT ? value_object_get(obj, "name") : NULL;

        return m && m->val->type == V_STRING ? m->val->str.s : NULL;
}

/* Merges the drop-in tree `in` into `base` (both { apps: [...] } from the INI reader). */
static int merge_tree(value *base, const value *in) {
        const member *bm = value_object_get(base, "apps"), *im = value_object_get(in, "apps");

        if (!bm || !im || bm->val->type != V_ARRAY || im->val->type != V_ARRAY)
                return 0;
        for (size_t i = 0; i < im->val->arr.n; i++) {
                const value *ia = im->val->arr.items[i];
                const char *name = app_name_of(ia);
                value *ba = NULL;

                for (size_t j = 0; name && j < bm->val->arr.n; j++) {
                        const char *bn = app_name_of(bm->val->arr.items[j]);

                        if (bn && strcmp(bn, name) == 0)
                                ba = bm->val->arr.items[j];
                }
                if (!ba) {
                        value *c = value_clone(ia);

                        if (!c || value_array_push(bm->val, c) < 0)
                                return -ENOMEM;
                        continue;
                }
                for (size_t k = 0; k < ia->obj.n; k++) {
                        const member *m = &ia->obj.m[k];
                        const member *old = value_object_get(ba, m->key);

                        if (strcmp(m->key, "name") == 0)
                                continue;
                        if (old && old->val->type == V_OBJECT && m->val->type == V_OBJECT) {
                                for (size_t q = 0; q < m->val->obj.n; q++) {
                                        const member *e = &m->val->obj.m[q];
                                        value *c = value_clone(e->val);

                                        if (!c || value_object_set(old->val, e->key, e->key_where, c) < 0)
                                                return -ENOMEM;
                                }
                                continue;
                        }
                        value *c = value_clone(m->val);

                        if (!c || value_object_set(ba, m->key, m->key_where, c) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int load_common(decl_file *d, const store_entry *e, diag_list *dl) {
        int r;

        r = ini_parse_text(d->file, d->text, d->len, &d->raw, dl);
        for (size_t i = 0; r == 0 && e && i < e->n_dropins; i++) {
                char *text = NULL;
                size_t len = 0;
                value *tree = NULL;

                r = read_file(e->dropins[i], DECL_MAX_BYTES, &text, &len);
                if (r < 0) {
                        diag_error(dl, ((loc){ e->dropins[i], 0, 0 }), "cannot read: %s", strerror(-r));
                        break;
                }
                r = ini_parse_text(e->dropins[i], text, len, &tree, dl);
                free(text);
                if (r == 0)
                        r = merge_tree(d->raw, tree);
                value_free(tree);
        }
        if (r == 0)
                r = model_build(d->raw, d->file, &d->m, dl);
        return r;
}

int store_load(const store_entry *e, decl_file *ret, diag_list *dl) {
        decl_file d = { .file = e->path };
        int r;

        if (!(d.abs_file = strdup(e->path)) || !(d.dir = dir_of(e->path))) {
                r = -ENOMEM;
                goto fail;
        }
        r = read_file(e->path, DECL_MAX_BYTES, &d.text, &d.len);
        if (r < 0) {
                diag_error(dl, ((loc){ e->path, 0, 0 }), "cannot read: %s", r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                goto fail;
        }
        if ((r = load_common(&d, e, dl)) < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        decl_free(&d);
        return r;
}

int store_load_text(const char *path, const char *text, size_t len, decl_file *ret, diag_list *dl) {
        decl_file d = { .file = path };
        int r;

        if (!(d.abs_file = strdup(path)) || !(d.dir = dir_of(path)) || !(d.text = xstrndup(text, len))) {
                r = -ENOMEM;
                goto fail;
        }
        d.len = len;
        if ((r = load_common(&d, NULL, dl)) < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        decl_free(&d);
        return r;
}

/* ---- the header line --------------------------------------------------------------------- */

int store_header_parse(const char *text, char **source, char **profile) {
        static const char with[] = " with --env ";
        const char *end, *p;
        char *src = NULL, *prof = NULL;

        if (!str_has_prefix(text, STORE_HEADER_PREFIX))
                return -ENOENT;
        p = text + strlen(STORE_HEADER_PREFIX);
        end = p + strcspn(p, "\n");
        if (end > p && end[-1] == '\r')
                end--;
        for (const char *w = end; w > p; w--)
                if ((size_t) (end - w) > strlen(with) && strncmp(w, with, strlen(with)) == 0) {
                        const char *name = w + strlen(with);

                        if (strcspn(name, " \t") >= (size_t) (end - name)) {
                                prof = xstrndup(name, (size_t) (end - name));
                                if (!prof)
                                        return -ENOMEM;
                                end = w;
                        }
                        break;
                }
        if (end == p || *p != '/') {
                free(prof);
                return -ENOENT;
        }
        src = xstrndup(p, (size_t) (end - p));
        if (!src) {
                free(prof);
                return -ENOMEM;
        }
        *source = src;
        *profile = prof;
        return 0;
}

/* ---- rendering what apply stores ---------------------------------------------------------- */

static int set(value *obj, const char *key, loc where, value *v) {
        return v ? value_object_set(obj, key, where, v) : -ENOMEM;
}

static value *str_v(const char *s, loc where) {
        return value_new_string(s, strlen(s), where);
}

static value *abs_path_v(const char *cwd, const value *v) {
        char *abs;
        value *r;

        if (v->type != V_STRING || strcmp(v->str.s, "/dev/null") == 0)
                return value_clone(v);
        abs = path_resolve(cwd, v->str.s);
        if (!abs)
                return NULL;
        r = str_v(abs, v->where);
        free(abs);
        return r;
}

/* One app as stored: the normalized object with everything plan resolved baked in. */
static int render_app(const value *decl, const app_plan *p, value **ret) {
        const app *a = p->a;
        value *o = value_new(V_OBJECT, decl->where), *env;
        size_t script_at = p->argv.n - a->args.n - 1;
        bool seen_interp = false, seen_cwd = false;
        int r = 0;

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < decl->obj.n && r == 0; i++) {
                const member *m = &decl->obj.m[i];
                loc w = m->val->where;

                if (strcmp(m->key, "env") == 0 || str_has_prefix(m->key, "env_"))
                        continue;
                if (strcmp(m->key, "cwd") == 0) {
                        r = set(o, "cwd", m->key_where, str_v(p->cwd, w));
                        seen_cwd = true;
                } else if (strcmp(m->key, "script") == 0) {
                        r = set(o, "script", m->key_where, str_v(p->argv.v[script_at], w));
                        if (r == 0 && !seen_cwd) {
                                r = set(o, "cwd", m->key_where, str_v(p->cwd, w));
                                seen_cwd = true;
                        }
                        if (r == 0 && !value_object_get(decl, "interpreter")) {
                                r = set(o, "interpreter", m->key_where, str_v(script_at > 0 ? p->argv.v[0] : "none", w));
                                seen_interp = true;
                        }
                } else if (strcmp(m->key, "interpreter") == 0) {
                        if (!seen_interp)
                                r = set(o, "interpreter", m->key_where,
                                        str_v(script_at > 0 ? p->argv.v[0] : "none", w));
                        seen_interp = true;
                } else if (strcmp(m->key, "out_file") == 0 || strcmp(m->key, "error_file") == 0 ||
                           strcmp(m->key, "log_file") == 0) {
                        r = set(o, m->key, m->key_where, abs_path_v(p->cwd, m->val));
                } else if (strcmp(m->key, "watch") == 0 && m->val->type == V_ARRAY) {
                        value *arr = value_new(V_ARRAY, w);

                        for (size_t k = 0; arr && k < m->val->arr.n; k++)
                                if (value_array_push(arr, abs_path_v(p->cwd, m->val->arr.items[k])) < 0) {
                                        value_free(arr);
                                        arr = NULL;
                                }
                        r = set(o, m->key, m->key_where, arr);
                } else
                        r = set(o, m->key, m->key_where, value_clone(m->val));
        }
        if (r == 0 && p->env.n) {
                env = value_new(V_OBJECT, decl->where);
                for (size_t i = 0; env && i < p->env.n; i++)
                        if (value_object_set(env, p->env.v[i].name, p->env.v[i].where,
                                             str_v(p->env.v[i].value, p->env.v[i].where)) < 0) {
                                value_free(env);
                                env = NULL;
                        }
                r = set(o, "env", decl->where, env);
        }
        if (r < 0) {
                value_free(o);
                return r;
        }
        *ret = o;
        return 0;
}

int store_render(const decl_file *d, const char *source, const char *profile, const char *plan_profile,
                 const plan_host *h, strbuf *out, diag_list *dl) {
        plan_opts po = { .profile = plan_profile, .source = d->abs_file, .source_dir = d->dir };
        const member *apps = value_object_get(d->m.root, "apps");
        value *root = NULL, *arr = NULL;
        loc whole = { d->file, 0, 0 };
        int r = 0;

        if (!apps || apps->val->arr.n != d->m.n_apps)
                return -EINVAL;
        if (strchr(source, '\n') || (profile && strchr(profile, '\n')))
                return -EINVAL;
        root = value_new(V_OBJECT, whole);
        arr = value_new(V_ARRAY, whole);
        if (!root || !arr || value_object_set(root, "apps", whole, arr) < 0) {
                value_free(root);
                return -ENOMEM;
        }
        for (size_t i = 0; i < d->m.n_apps; i++) {
                app_plan p;
                value *o = NULL;
                int q = plan_app(&d->m.apps[i], &po, h, &p, dl);

                if (q == 0) {
                        q = render_app(apps->val->arr.items[i], &p, &o);
                        plan_free(&p);
                        if (q == 0 && value_array_push(arr, o) < 0)
                                q = -ENOMEM;
                }
                if (q == -ENOMEM) {
                        r = q;
                        break;
                }
                if (q < 0)
                        r = q;
        }
        if (r == 0) {
                strbuf_addf(out, "%s%s", STORE_HEADER_PREFIX, source);
                if (profile)
                        strbuf_addf(out, " with --env %s", profile);
                strbuf_adds(out, "\n; Written by `pmgen apply`: change the source and apply it again (see pmgen(1)).\n");
                r = value_to_ini(root, out, dl);
                if (r == 0 && out->oom)
                        r = -ENOMEM;
        }
        value_free(root);
        return r;
}

/* ---- emitting as the generator does ------------------------------------------------------ */

void store_emit_opts(bool user, const char *source, emit_opts *eo) {
        *eo = (emit_opts){ .generator = user ? "pmgen-user-generator" : "pmgen-generator",
                           .source = source,
                           .shim_path = PMGEN_SHIM_PATH,
                           .preload_path = PMGEN_NODE_PRELOAD_PATH,
                           .bind_preload_path = PMGEN_BIND_PRELOAD_PATH,
                           .automatic = true,
                           .user = user };
}

int store_emit(const decl_file *d, bool user, out_files *out, size_t **first, diag_list *dl) {
        plan_host h;
        plan_opts po = { .source = d->abs_file, .source_dir = d->dir };
        emit_opts eo;
        size_t *f = NULL;
        int r = 0;

        store_emit_opts(user, d->abs_file, &eo);
        host_plan(&h);
        if (first && !(f = calloc(d->m.n_apps + 1, sizeof(size_t))))
                return -ENOMEM;
        for (size_t i = 0; i < d->m.n_apps; i++) {
                app_plan p;
                int q;

                if (f)
                        f[i] = out->n;
                q = plan_app(&d->m.apps[i], &po, &h, &p, dl);
                if (q == 0) {
                        q = emit_app(&p, &eo, out, dl);
                        plan_free(&p);
                }
                if (q == -ENOMEM) {
                        r = q;
                        break;
                }
                if (q < 0)
                        r = q;
        }
        if (f)
                f[d->m.n_apps] = out->n;
        if (r < 0 || !first)
                free(f);
        else
                *first = f;
        return r;
}

/* ---- writing ----------------------------------------------------------------------------- */

int store_write_file(const char *dir, const char *name, const char *text, unsigned mode) {
        out_file f = { .name = (char *) name, .content = (char *) text, .mode = mode };
        out_files fs = { .v = &f, .n = 1 };
        const char *failed;

        return write_out_files(dir, &fs, &failed);
}

int store_lock(const char *dir, bool *waited) {
        strbuf path = STRBUF_INIT;
        int fd, r = 0;

        *waited = false;
        /* mkdir -p: ~/.config may not exist yet either */
        strbuf_adds(&path, dir);
        for (char *p = path.s ? path.s + 1 : NULL; p && !path.oom; p++)
                if (*p == '/' || *p == '\0') {
                        char c = *p;

                        *p = '\0';
                        if (mkdir(path.s, 0755) < 0 && errno != EEXIST) {
                                r = -errno;
                                strbuf_free(&path);
                                return r;
                        }
                        *p = c;
                        if (!c)
                                break;
                }
        strbuf_truncate(&path, 0);
        strbuf_addf(&path, "%s/.lock", dir);
        if (path.oom)
                return -ENOMEM;
        fd = open(strbuf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        strbuf_free(&path);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        r = -errno;
                else {
                        *waited = true;
                        while (flock(fd, LOCK_EX) < 0)
                                if (errno != EINTR) {
                                        r = -errno;
                                        break;
                                }
                }
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}
