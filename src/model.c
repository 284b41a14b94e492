/* SPDX-License-Identifier: MIT */
/* model_build (model.h): the apps of a declaration normalized (model-norm.c), then each as a typed struct
 * app, checked (model-check.c). */
#include "model.h"
#include "model-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- struct app from a normalized app ----------------------------------------------------- */

const value *model_get(const value *obj, const char *key) {
        const member *m = value_object_get(obj, key);

        return m ? m->val : NULL;
}

static const value *get(const value *obj, const char *key) {
        return model_get(obj, key);
}

bool model_user_is_root(const char *user) {
        return user && (strcmp(user, "root") == 0 || strcmp(user, "0") == 0);
}

loc app_loc(const app *a, const char *key) {
        const member *m = value_object_get(a->decl, key);

        return m ? m->val->where : a->decl->where;
}

static char *dup_str(const value *obj, const char *key, bool *oom) {
        const value *v = get(obj, key);
        char *s;

        if (!v || v->type != V_STRING)
                return NULL;
        s = strdup(v->str.s);
        if (!s)
                *oom = true;
        return s;
}

static void list_of(const value *obj, const char *key, strlist *out, bool *oom) {
        const value *v = get(obj, key);

        if (!v || v->type != V_ARRAY)
                return;
        out->v = calloc(v->arr.n + 1, sizeof(char *));
        if (!out->v) {
                *oom = true;
                return;
        }
        for (size_t i = 0; i < v->arr.n; i++) {
                out->v[i] = strdup(v->arr.items[i]->str.s);
                if (!out->v[i])
                        *oom = true;
                else
                        out->n++;
        }
}

static uint64_t num_of(const value *obj, const char *key, uint64_t dflt, bool is_size) {
        const value *v = get(obj, key);
        uint64_t x = dflt;

        if (!v)
                return dflt;
        if (v->type == V_NUMBER)
                return (uint64_t) v->num;
        if (v->type == V_STRING)
                (void) (is_size ? parse_size(v->str.s, &x) : parse_duration_ms(v->str.s, &x));
        return x;
}

static bool bool_of(const value *obj, const char *key, bool dflt) {
        const value *v = get(obj, key);

        return v && v->type == V_BOOL ? v->b : dflt;
}

static int env_of(const value *obj, env_set *out) {
        out->v = calloc(obj->obj.n + 1, sizeof(env_var));
        if (!out->v)
                return -ENOMEM;
        for (size_t i = 0; i < obj->obj.n; i++) {
                env_var *e = &out->v[out->n];

                e->name = strdup(obj->obj.m[i].key);
                e->value = strdup(obj->obj.m[i].val->str.s);
                e->where = obj->obj.m[i].val->where;
                out->n++;
                if (!e->name || !e->value)
                        return -ENOMEM;
        }
        return 0;
}

static void env_free(env_set *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->v[i].name);
                free(e->v[i].value);
        }
        free(e->v);
        e->v = NULL;
        e->n = 0;
}

static int app_from(const value *v, app *a, diag_list *dl) {
        bool oom = false;
        const value *mode, *inst, *port, *codes;

        memset(a, 0, sizeof(*a));
        a->decl = v;
        a->name = dup_str(v, "name", &oom);
        a->script = dup_str(v, "script", &oom);
        list_of(v, "args", &a->args, &oom);
        a->cwd = dup_str(v, "cwd", &oom);
        a->interpreter = dup_str(v, "interpreter", &oom);
        list_of(v, "interpreter_args", &a->interpreter_args, &oom);
        mode = get(v, "exec_mode");
        if (mode) {
                const char *s = mode->str.s;

                if (strcmp(s, "fork") == 0 || strcmp(s, "fork_mode") == 0)
                        a->mode = EXEC_FORK;
                else if (strcmp(s, "cluster") == 0 || strcmp(s, "cluster_mode") == 0)
                        a->mode = EXEC_CLUSTER;
        }
        inst = get(v, "instances");
        if (inst && inst->type == V_STRING) {
                a->instances = INST_MAX;
        } else if (inst) {
                if (inst->num == 0)
                        a->instances = INST_MAX;
                else if (inst->num < 0) {
                        a->instances = INST_ALL_BUT;
                        a->instances_count = (unsigned) -inst->num;
                } else {
                        a->instances = INST_COUNT;
                        a->instances_count = (unsigned) inst->num;
                }
        }
        port = get(v, "port");
        a->port = port ? (unsigned) port->num : 0;
        a->backlog = (unsigned) num_of(v, "backlog", 0, false);
        a->user = dup_str(v, "user", &oom);
        a->group = dup_str(v, "group", &oom);
        a->autorestart = bool_of(v, "autorestart", true);
        a->autostart = bool_of(v, "autostart", true);
        a->max_restarts = (unsigned) num_of(v, "max_restarts", 16, false);
        a->min_uptime_ms = num_of(v, "min_uptime", 1000, false);
        a->restart_delay_ms = num_of(v, "restart_delay", 0, false);
        a->exp_backoff_ms = num_of(v, "exp_backoff_restart_delay", 0, false);
        a->kill_timeout_ms = num_of(v, "kill_timeout", 1600, false);
        a->listen_timeout_set = get(v, "listen_timeout") != NULL;
        a->listen_timeout_ms = num_of(v, "listen_timeout", 3000, false);
        a->wait_ready = bool_of(v, "wait_ready", false);
        a->shutdown_with_message = bool_of(v, "shutdown_with_message", false);
        a->max_memory_restart = num_of(v, "max_memory_restart", 0, true);
        a->memory_max = num_of(v, "memory_max", 0, true);
        a->cpu_quota = cpu_quota_of(get(v, "cpu_quota"));
        a->max_cpu_restart = cpu_quota_of(get(v, "max_cpu_restart"));
        a->cpu_window_ms = num_of(v, "max_cpu_restart_window", 0, false);
        const value *sticky = get(v, "sticky");

        a->sticky_ip = sticky && sticky->type == V_STRING && strcmp(sticky->str.s, "ip") == 0;
        const value *hv = get(v, "health");

        if (hv && hv->type == V_OBJECT) {
                static const char *const kinds[] = { "url", "tcp", "cmd" };

                for (size_t i = 0; i < 3; i++)
                        if (get(hv, kinds[i])) {
                                a->health.kind = (health_check_kind) (HC_URL + i);
                                a->health.target = dup_str(hv, kinds[i], &oom);
                        }
                a->health.interval_ms = num_of(hv, "interval", HEALTH_DEFAULT_INTERVAL_MS, false);
                a->health.timeout_ms = num_of(hv, "timeout", HEALTH_DEFAULT_TIMEOUT_MS, false);
                a->health.retries = (unsigned) num_of(hv, "retries", HEALTH_DEFAULT_RETRIES, false);
                a->health.start_period_ms = num_of(hv, "start_period", 0, false);
        }
        codes = get(v, "stop_exit_codes");
        if (codes) {
                a->stop_exit_codes = calloc(codes->arr.n + 1, sizeof(unsigned));
                if (!a->stop_exit_codes)
                        oom = true;
                for (size_t i = 0; a->stop_exit_codes && i < codes->arr.n; i++)
                        a->stop_exit_codes[a->n_stop_exit_codes++] = (unsigned) codes->arr.items[i]->num;
        }
        a->instance_var = dup_str(v, "instance_var", &oom);
        a->increment_var = dup_str(v, "increment_var", &oom);
        a->out_file = dup_str(v, "out_file", &oom);
        a->error_file = dup_str(v, "error_file", &oom);
        a->log_file = dup_str(v, "log_file", &oom);
        a->log_date_format = dup_str(v, "log_date_format", &oom);
        a->merge_logs = bool_of(v, "merge_logs", false);
        a->disable_logs = bool_of(v, "disable_logs", false);
        a->cron_restart = dup_str(v, "cron_restart", &oom);
        const value *w = get(v, "watch");

        if (w && w->type == V_BOOL)
                a->watch = w->b;
        else if (w) {
                a->watch = true;
                list_of(v, "watch", &a->watch_paths, &oom);
        }
        a->source_map_support = bool_of(v, "source_map_support", false) && !bool_of(v, "disable_source_map_support", false);
        a->namespace = dup_str(v, "namespace", &oom);
        const value *hl = get(v, "hardening");

        if (hl && hl->type == V_STRING)
                a->hardening = strcmp(hl->str.s, "off") == 0      ? HARDEN_OFF
                               : strcmp(hl->str.s, "strict") == 0 ? HARDEN_STRICT
                                                                  : HARDEN_DEFAULT;
        list_of(v, "hardening_override", &a->hardening_override, &oom);
        list_of(v, "read_write_paths", &a->read_write_paths, &oom);
        list_of(v, "depends_on", &a->depends_on, &oom);
        list_of(v, "after", &a->after, &oom);

        const value *e = get(v, "env");

        if (e && env_of(e, &a->env) < 0)
                oom = true;
        for (size_t i = 0; i < v->obj.n; i++)
                if (str_has_prefix(v->obj.m[i].key, "env_"))
                        a->n_profiles++;
        if (a->n_profiles) {
                a->profiles = calloc(a->n_profiles, sizeof(env_profile));
                if (!a->profiles)
                        oom = true;
                for (size_t i = 0, j = 0; a->profiles && i < v->obj.n; i++) {
                        const member *m = &v->obj.m[i];

                        if (!str_has_prefix(m->key, "env_"))
                                continue;
                        a->profiles[j].name = strdup(m->key + 4);
                        a->profiles[j].where = m->key_where;
                        if (!a->profiles[j].name || env_of(m->val, &a->profiles[j].env) < 0)
                                oom = true;
                        j++;
                }
        }
        return oom ? -ENOMEM : check_app(a, dl);
}

static void app_free(app *a) {
        free(a->name);
        free(a->script);
        strlist_free(&a->args);
        free(a->cwd);
        free(a->interpreter);
        strlist_free(&a->interpreter_args);
        env_free(&a->env);
        for (size_t i = 0; a->profiles && i < a->n_profiles; i++) {
                free(a->profiles[i].name);
                env_free(&a->profiles[i].env);
        }
        free(a->profiles);
        free(a->user);
        free(a->group);
        free(a->stop_exit_codes);
        free(a->health.target);
        free(a->instance_var);
        free(a->increment_var);
        free(a->out_file);
        free(a->error_file);
        free(a->log_file);
        free(a->cron_restart);
        strlist_free(&a->watch_paths);
        free(a->namespace);
        free(a->log_date_format);
        strlist_free(&a->hardening_override);
        strlist_free(&a->read_write_paths);
        strlist_free(&a->depends_on);
        strlist_free(&a->after);
}

void model_free(model *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_apps; i++)
                app_free(&m->apps[i]);
        free(m->apps);
        value_free(m->root);
        m->apps = NULL;
        m->root = NULL;
        m->n_apps = 0;
}

/* The list of apps, whatever shape the file has. */
static const value *apps_of(const value *raw, const char *file, diag_list *dl) {
        if (raw->type == V_ARRAY)
                return raw;
        if (raw->type != V_OBJECT) {
                diag_error(dl, raw->where, "expected the declaration to be an object with 'apps' or an array of apps, found %s",
                           value_type_name(raw->type));
                return NULL;
        }
        const member *apps = value_object_get(raw, "apps");

        for (size_t i = 0; i < raw->obj.n; i++) {
                const member *m = &raw->obj.m[i];

                if (strcmp(m->key, "apps") == 0)
                        continue;
                if (!apps)
                        break; /* a single app object: its keys are checked as an app's */
                if (strcmp(m->key, "deploy") == 0)
                        diag_warning(dl, m->key_where,
                                     "'deploy' is ignored here: `pmgen deploy-export` turns it into an Ansible inventory and "
                                     "playbook");
                else
                        diag_error(dl, m->key_where, "unknown top-level key '%s' (expected 'apps')", m->key);
        }
        if (!apps)
                return raw;
        if (apps->val->type != V_ARRAY && apps->val->type != V_OBJECT) {
                diag_error(dl, apps->val->where, "apps: expected an array of apps, found %s", value_type_name(apps->val->type));
                return NULL;
        }
        (void) file;
        return apps->val;
}

int model_build(const value *raw, const char *file, model *out, diag_list *dl) {
        size_t errors = dl->errors;
        const value *apps = apps_of(raw, file, dl);
        value *root = NULL, *arr = NULL;
        model m = MODEL_INIT;
        int r = 0;

        if (!apps)
                return -EINVAL;
        root = value_new(V_OBJECT, raw->where);
        arr = value_new(V_ARRAY, apps->where);
        if (!root || !arr || value_object_set(root, "apps", apps->where, arr) < 0) {
                value_free(root);
                return -ENOMEM;
        }
        size_t n = apps->type == V_ARRAY ? apps->arr.n : 1;

        for (size_t i = 0; i < n; i++) {
                value *app_v = NULL;

                r = normalize_app(apps->type == V_ARRAY ? apps->arr.items[i] : apps, dl, &app_v);
                if (r == -ENOMEM)
                        goto fail;
                if (r == 0 && value_array_push(arr, app_v) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (dl->errors > errors) {
                r = -EINVAL;
                goto fail;
        }
        m.root = root;
        m.apps = calloc(arr->arr.n + 1, sizeof(app));
        if (!m.apps) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < arr->arr.n; i++) {
                r = app_from(arr->arr.items[i], &m.apps[i], dl);
                m.n_apps++;
                if (r == -ENOMEM)
                        goto fail_model;
        }
        for (size_t i = 0; i < m.n_apps; i++)
                for (size_t j = 0; j < i; j++)
                        if (m.apps[i].name && m.apps[j].name && strcmp(m.apps[i].name, m.apps[j].name) == 0) {
                                loc first = app_loc(&m.apps[j], "name");

                                diag_error(dl, app_loc(&m.apps[i], "name"), "app '%s' is declared twice (first at line %u)",
                                           m.apps[i].name, first.line);
                        }
        check_depends(&m, dl);
        if (dl->errors > errors) {
                r = -EINVAL;
                goto fail_model;
        }
        *out = m;
        return 0;
fail_model:
        model_free(&m);
        return r;
fail:
        value_free(root);
        return r;
}

/* ---- shared parsers ----------------------------------------------------------------------- */

static int parse_scaled(const char *s, const char *suffixes, const uint64_t *mult, uint64_t *ret) {
        char *end = NULL;
        unsigned long long x;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        if (*end) {
                const char *p = strchr(suffixes, *end);

                if (!p || end[1])
                        return -EINVAL;
                uint64_t f = mult[p - suffixes];

                if (x > UINT64_MAX / f)
                        return -EINVAL;
                x *= f;
        }
        *ret = x;
        return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret) {
        static const uint64_t mult[] = { 1000, 60000, 3600000 };

        return parse_scaled(s, "smh", mult, ret);
}

int parse_size(const char *s, uint64_t *ret) {
        static const uint64_t mult[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024, 1024, 1024 * 1024, 1024 * 1024 * 1024 };

        return parse_scaled(s, "KMGkmg", mult, ret);
}

void strlist_free(strlist *l) {
        if (!l || !l->v)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

/* PM2 (lib/Common.js): args.match(/[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g),
 * then a word wholly in quotes loses them. */
int split_args_pm2(const char *s, strlist *out) {
        size_t cap = 8;
        strlist l = { calloc(cap + 1, sizeof(char *)), 0 };
        const char *p = s;

        if (!l.v)
                return -ENOMEM;
        while (*p) {
                const char *start, *end = NULL;
                size_t strip = 0;

                p += strspn(p, " \t\n\r\f\v");
                if (!*p)
                        break;
                start = p;
                /* [^\s"'=]+=("…"|'…') */
                size_t k = strcspn(p, " \t\n\r\f\v\"'=");

                if (k > 0 && p[k] == '=' && (p[k + 1] == '"' || p[k + 1] == '\'')) {
                        const char *close = strchr(p + k + 2, p[k + 1]);

                        if (close)
                                end = close + 1;
                }
                if (!end && (*p == '"' || *p == '\'')) {
                        const char *close = strchr(p + 1, *p);

                        if (close) {
                                end = close + 1;
                                strip = 1;
                        }
                }
                if (!end)
                        end = p + strcspn(p, " \t\n\r\f\v");
                if (l.n == cap) {
                        char **nv = realloc(l.v, (cap * 2 + 1) * sizeof(char *));

                        if (!nv) {
                                strlist_free(&l);
                                return -ENOMEM;
                        }
                        l.v = nv;
                        cap *= 2;
                }
                l.v[l.n] = xstrndup(start + strip, (size_t) (end - start) - 2 * strip);
                if (!l.v[l.n]) {
                        strlist_free(&l);
                        return -ENOMEM;
                }
                l.n++;
                p = end;
        }
        *out = l;
        return 0;
}
