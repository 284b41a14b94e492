/* SPDX-License-Identifier: MIT */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *path_resolve(const char *base, const char *rel) {
        strbuf in = STRBUF_INIT, out = STRBUF_INIT;
        const char *p;

        if (rel[0] != '/') {
                strbuf_adds(&in, base);
                strbuf_addc(&in, '/');
        }
        strbuf_adds(&in, rel);
        if (in.oom)
                return NULL;
        p = strbuf_str(&in);
        while (*p) {
                size_t n;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        /* skip */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = out.s ? strrchr(out.s, '/') : NULL;

                        strbuf_truncate(&out, slash ? (size_t) (slash - out.s) : 0);
                } else {
                        strbuf_addc(&out, '/');
                        strbuf_add(&out, p, n);
                }
                p += n;
        }
        if (out.len == 0)
                strbuf_addc(&out, '/');
        strbuf_free(&in);
        return strbuf_steal(&out);
}

static const char *ext_interpreter(const char *script) {
        static const struct {
                const char *ext, *interp;
        } map[] = {
                { ".js", "node" }, { ".cjs", "node" }, { ".mjs", "node" }, { ".py", "python3" },
                { ".sh", "bash" }, { ".rb", "ruby" }, { ".php", "php" }, { ".pl", "perl" },
                { ".ts", "ts-node" }, { ".coffee", "coffee" },
        };
        const char *base = strrchr(script, '/');
        const char *dot = strrchr(base ? base : script, '.');

        if (!dot)
                return NULL;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(dot, map[i].ext) == 0)
                        return map[i].interp;
        return NULL;
}

static int push(strlist *l, const char *s) {
        char **nv = realloc(l->v, (l->n + 2) * sizeof(char *));

        if (!nv)
                return -ENOMEM;
        l->v = nv;
        l->v[l->n] = strdup(s);
        if (!l->v[l->n])
                return -ENOMEM;
        l->n++;
        l->v[l->n] = NULL;
        return 0;
}

static bool is_node(const char *path) {
        const char *b = strrchr(path, '/');

        b = b ? b + 1 : path;
        return strcmp(b, "node") == 0 || strcmp(b, "nodejs") == 0 || str_has_prefix(b, "node-");
}

static int merge_env(const app *a, const plan_opts *opts, app_plan *p, diag_list *dl) {
        const env_profile *prof = NULL;
        size_t cap = a->env.n;

        if (opts->profile) {
                for (size_t i = 0; i < a->n_profiles; i++)
                        if (strcmp(a->profiles[i].name, opts->profile) == 0)
                                prof = &a->profiles[i];
                if (!prof)
                        diag_warning(dl, a->decl->where, "app '%s' has no env_%s; using its env only", a->name,
                                     opts->profile);
                else
                        p->profile = prof->name;
        }
        if (prof)
                cap += prof->env.n;
        p->env.v = calloc(cap + 1, sizeof(env_var));
        if (!p->env.v)
                return -ENOMEM;
        for (size_t i = 0; i < a->env.n; i++)
                p->env.v[p->env.n++] = a->env.v[i];
        for (size_t i = 0; prof && i < prof->env.n; i++) {
                size_t j;

                for (j = 0; j < p->env.n; j++)
                        if (strcmp(p->env.v[j].name, prof->env.v[i].name) == 0)
                                break;
                p->env.v[j] = prof->env.v[i];
                if (j == p->env.n)
                        p->env.n++;
        }
        return 0;
}

static const char *env_get(const env_set *e, const char *name, loc *where) {
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->v[i].name, name) == 0) {
                        if (where)
                                *where = e->v[i].where;
                        return e->v[i].value;
                }
        return NULL;
}

static int resolve_program(const app *a, const plan_opts *opts, const plan_host *host, bool cwd_missing, app_plan *p,
                           diag_list *dl) {
        char *script_abs = NULL, *interp_abs = NULL;
        const char *interp = a->interpreter;
        int r = 0, kind;
        bool command = false;

        if (strchr(a->script, '/') == NULL && !ext_interpreter(a->script)) {
                /* "npm", "yarn": a command on PATH, unless a file of that name is in cwd */
                char *local = path_resolve(p->cwd, a->script);

                if (!local)
                        return -ENOMEM;
                if (host->sniff(host->userdata, local) == -ENOENT) {
                        script_abs = host->which(host->userdata, a->script);
                        if (!script_abs) {
                                diag_error(dl, app_loc(a, "script"),
                                           "script '%s': no such file in %s and no such command on PATH", a->script, p->cwd);
                                free(local);
                                return -EINVAL;
                        }
                        command = true;
                        free(local);
                } else
                        script_abs = local;
        } else {
                script_abs = path_resolve(p->cwd, a->script);
        }
        if (!script_abs)
                return -ENOMEM;

        kind = command ? 1 : host->sniff(host->userdata, script_abs);
        if (kind == -ENOENT && !(interp && strcmp(interp, "none") == 0)) {
                if (opts->paths_must_exist) {
                        diag_error(dl, app_loc(a, "script"), "script '%s' does not exist (%s)", a->script, script_abs);
                        r = -EINVAL;
                        goto out;
                }
                if (!cwd_missing) /* already said */
                        diag_warning(dl, app_loc(a, "script"), "script %s does not exist on this machine", script_abs);
        }
        if (!interp) {
                interp = ext_interpreter(script_abs);
                if (!interp)
                        interp = kind == 1 ? "none" : "node"; /* PM2 runs extension-less files (bin/www) with node */
        }
        if (strcmp(interp, "none") != 0) {
                if (interp[0] == '/')
                        interp_abs = strdup(interp);
                else if (strchr(interp, '/'))
                        interp_abs = path_resolve(p->cwd, interp);
                else {
                        interp_abs = host->which(host->userdata, interp);
                        if (!interp_abs) {
                                diag_error(dl, app_loc(a, a->interpreter ? "interpreter" : "script"),
                                           "interpreter '%s' not found on PATH (units have no login PATH, so pmgen "
                                           "resolves it now): install it or set interpreter to an absolute path",
                                           interp);
                                r = -EINVAL;
                                goto out;
                        }
                }
                if (!interp_abs) {
                        r = -ENOMEM;
                        goto out;
                }
                p->node = is_node(interp_abs);
                if (push(&p->argv, interp_abs) < 0)
                        goto oom;
                for (size_t i = 0; i < a->interpreter_args.n; i++)
                        if (push(&p->argv, a->interpreter_args.v[i]) < 0)
                                goto oom;
                if (p->node && a->source_map_support && push(&p->argv, "--enable-source-maps") < 0)
                        goto oom;
        } else if (kind == -ENOENT) {
                diag_error(dl, app_loc(a, "script"), "script '%s' does not exist (%s)", a->script, script_abs);
                r = -EINVAL;
                goto out;
        }
        if (push(&p->argv, script_abs) < 0)
                goto oom;
        for (size_t i = 0; i < a->args.n; i++)
                if (push(&p->argv, a->args.v[i]) < 0)
                        goto oom;
        goto out;
oom:
        r = -ENOMEM;
out:
        free(script_abs);
        free(interp_abs);
        return r;
}

/* read_write_paths relative to cwd. systemd refuses to start a unit whose ReadWritePaths= does not
 * exist, so a missing one is said now: a warning, an error for apply. */
static int resolve_rw_paths(const app *a, const plan_opts *opts, const plan_host *host, app_plan *p, diag_list *dl) {
        const value *decl = value_object_get(a->decl, "read_write_paths") ? value_object_get(a->decl, "read_write_paths")->val
                                                                           : NULL;

        for (size_t i = 0; i < a->read_write_paths.n; i++) {
                char *abs = path_resolve(p->cwd, a->read_write_paths.v[i]);
                loc where = decl && i < decl->arr.n ? decl->arr.items[i]->where : app_loc(a, "read_write_paths");
                int r;

                if (!abs)
                        return -ENOMEM;
                r = host->dir ? host->dir(host->userdata, abs) : 1;
                if (r == -ENOENT && opts->paths_must_exist) {
                        diag_error(dl, where, "read_write_paths: %s does not exist (systemd would not start the app)", abs);
                        free(abs);
                        return -EINVAL;
                }
                if (r == -ENOENT)
                        diag_warning(dl, where, "read_write_paths: %s does not exist on this machine", abs);
                r = push(&p->rw_paths, abs);
                free(abs);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The working directory must be one; on a machine that is not the target (generate) its absence is only
 * a warning. 1: it is missing (warned), 0: fine, -EINVAL. */
static int check_cwd(const app *a, const plan_opts *opts, const plan_host *host, const char *cwd, diag_list *dl) {
        int d = host->dir ? host->dir(host->userdata, cwd) : 1;

        if (d == 0) {
                diag_error(dl, app_loc(a, "cwd"), "cwd %s is not a directory", cwd);
                return -EINVAL;
        }
        if (d == -ENOENT && opts->paths_must_exist) {
                diag_error(dl, app_loc(a, "cwd"), "cwd %s does not exist, expected the app's directory", cwd);
                return -EINVAL;
        }
        if (d == -ENOENT) {
                diag_warning(dl, app_loc(a, "cwd"), "cwd %s does not exist on this machine", cwd);
                return 1;
        }
        return 0;
}

long plan_cpus_from_cpu_max(const char *text) {
        char *end;
        long long quota, period;

        while (*text == ' ' || *text == '\t')
                text++;
        if (strncmp(text, "max", 3) == 0)
                return 0;
        errno = 0;
        quota = strtoll(text, &end, 10);
        if (errno || end == text || quota <= 0)
                return 0; /* -1: v1's "no limit" */
        text = end;
        period = strtoll(text, &end, 10);
        if (errno || end == text || period <= 0)
                return 0;
        while (*end == ' ' || *end == '\t' || *end == '\n')
                end++;
        if (*end)
                return 0;
        return (long) ((quota + period - 1) / period);
}

int plan_app(const app *a, const plan_opts *opts, const plan_host *host, app_plan *ret, diag_list *dl) {
        app_plan p = { .a = a };
        long ncpus = host->ncpus > 0 ? host->ncpus : 1;
        int r;

        p.cwd = path_resolve(opts->source_dir, a->cwd ? a->cwd : ".");
        if (!p.cwd)
                return -ENOMEM;
        r = merge_env(a, opts, &p, dl);
        if (r < 0)
                goto fail;
        r = check_cwd(a, opts, host, p.cwd, dl);
        if (r < 0)
                goto fail;
        r = resolve_program(a, opts, host, r == 1, &p, dl);
        if (r < 0)
                goto fail;
        r = resolve_rw_paths(a, opts, host, &p, dl);
        if (r < 0)
                goto fail;

        switch (a->instances) {
        case INST_UNSET:
                p.instances = 1;
                break;
        case INST_COUNT:
                p.instances = a->instances_count;
                break;
        case INST_MAX:
                p.instances = (unsigned) ncpus;
                break;
        case INST_ALL_BUT:
                p.instances = ncpus > (long) a->instances_count ? (unsigned) (ncpus - (long) a->instances_count) : 1;
                break;
        }

        p.port = a->port;
        if (!p.port) {
                loc where;
                const char *s = env_get(&p.env, "PORT", &where);

                if (s) {
                        char *end = NULL;
                        unsigned long x;

                        errno = 0;
                        x = strtoul(s, &end, 10);
                        if (*s < '1' || *s > '9' || *end || errno || x > 65535) {
                                diag_error(dl, where, "PORT '%s' is not a port number (1-65535)", s);
                                r = -EINVAL;
                                goto fail;
                        }
                        p.port = (unsigned) x;
                }
        }
        exec_mode mode = a->mode;

        /* PM2 runs node apps that declare instances in cluster mode; one instance
         * without a port is the same as fork mode. */
        if (mode == EXEC_UNSET)
                mode = a->instances != INST_UNSET && p.node && (p.instances > 1 || p.port) ? EXEC_CLUSTER : EXEC_FORK;
        /* Cluster mode without a port: the app picks its port in code; the shim hands every instance
         * the socket it binds (libpmgen-bind.so). */
        if (mode == EXEC_CLUSTER) {
                if (p.port)
                        p.socket = true;
                else
                        p.bind_preload = true;
        }
        if ((a->health.kind == HC_URL && a->health.target[0] == '/') ||
            (a->health.kind == HC_TCP && strcmp(a->health.target, "socket") == 0)) {
                if (!p.socket && !p.bind_preload) {
                        diag_error(dl, app_loc(a, "health"), "health: %s '%s' checks the instance's own socket, but "
                                   "app '%s' runs in fork mode without one: use exec_mode cluster (with a port or "
                                   "without), or give an address (http://127.0.0.1:PORT%s)", a->health.kind == HC_URL ?
                                   "url" : "tcp", a->health.target, a->name,
                                   a->health.kind == HC_URL ? a->health.target : "");
                        r = -EINVAL;
                        goto fail;
                }
        }
        *ret = p;
        return 0;
fail:
        plan_free(&p);
        return r;
}

void plan_free(app_plan *p) {
        if (!p)
                return;
        free(p->cwd);
        strlist_free(&p->argv);
        strlist_free(&p->rw_paths);
        free(p->env.v);
        p->cwd = NULL;
        p->env.v = NULL;
}
