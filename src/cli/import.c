/* SPDX-License-Identifier: MIT */
#include "import.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "compile.h"
#include "escape.h"
#include "host.h"
#include "parse-js.h"
#include "plan.h"
#include "store.h"
#include "write.h"

int import_env_dropped(const char *name, const char *app_name) {
        static const char *const pm2[] = { "pm_id", "unique_id", "NODE_APP_INSTANCE", "name", "status", "km_link",
                                           "vizion_running", "restart_time", "unstable_restarts", "created_at",
                                           "pm_uptime", "axm_actions", "axm_monitor", "axm_options", "axm_dynamic",
                                           "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "_pm2_version", NULL };
        static const char *const session[] = { "PATH", "HOME", "PWD", "OLDPWD", "SHELL", "SHLVL", "USER", "LOGNAME", "TERM",
                                               "COLORTERM", "MAIL", "LS_COLORS", "LESSOPEN", "LESSCLOSE", "DISPLAY",
                                               "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "MOTD_SHOWN", "HISTSIZE",
                                               "HISTFILESIZE", "HISTCONTROL", "EDITOR", "VISUAL", "PAGER", "MANPATH",
                                               "INFOPATH", "HOSTNAME", "_", "TMUX", "TMUX_PANE", "STY", "WINDOW",
                                               "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "NOTIFY_SOCKET",
                                               "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "OLDPWD", NULL };
        static const char *const session_prefix[] = { "SSH_", "XDG_", "SUDO_", "TERM_", "NVM_", "LC_TERMINAL", "VSCODE_",
                                                      "GPG_", "WSL", NULL };

        if (app_name && strcmp(name, app_name) == 0) /* PM2 stores "{}" under the obj's name */
                return 1;
        if (str_has_prefix(name, "PM2_") || str_has_prefix(name, "pm_") || str_has_prefix(name, "axm_"))
                return 1;
        for (size_t i = 0; pm2[i]; i++)
                if (strcmp(name, pm2[i]) == 0)
                        return 1;
        for (size_t i = 0; session[i]; i++)
                if (strcmp(name, session[i]) == 0)
                        return 2;
        for (size_t i = 0; session_prefix[i]; i++)
                if (str_has_prefix(name, session_prefix[i]))
                        return 2;
        return 0;
}

static const value *get(const value *o, const char *key) {
        const member *m = o && o->type == V_OBJECT ? value_object_get(o, key) : NULL;

        return m ? m->val : NULL;
}

static const char *get_str(const value *o, const char *key) {
        const value *v = get(o, key);

        return v && v->type == V_STRING && v->str.len ? v->str.s : NULL;
}

static int put(value *o, const char *key, value *v) {
        loc nowhere = { 0 };

        if (!v)
                return -ENOMEM;
        return value_object_set(o, key, v->where.file ? v->where : nowhere, v);
}

static value *str_v(const char *s, loc where) {
        return value_new_string(s, strlen(s), where);
}

/* Copies `key` when the dump has it with a type pmgen reads, unless it equals `skip`. */
static int copy_if(value *obj, const value *p, const char *key, value_type type) {
        const value *v = get(p, key);

        if (!v || v->type != type)
                return 0;
        if (type == V_STRING && v->str.len == 0)
                return 0;
        return put(obj, key, value_clone(v));
}

static bool under(const char *path, const char *dir) {
        size_t n = dir ? strlen(dir) : 0;

        return n && strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* "web-out-0.log" → "web-out.log" for cluster instances: pmgen adds -N itself. */
static char *log_path(const char *path, unsigned instances, bool merge) {
        const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.'), *dash;

        if (instances <= 1 || merge || !slash || !dot || dot < slash)
                return strdup(path);
        dash = dot;
        while (dash > slash && dash[-1] >= '0' && dash[-1] <= '9')
                dash--;
        if (dash == dot || dash[-1] != '-')
                return strdup(path);
        strbuf sb = STRBUF_INIT;

        strbuf_add(&sb, path, (size_t) (dash - 1 - path));
        strbuf_adds(&sb, dot);
        return strbuf_steal(&sb);
}

static int env_of(const value *p, const char *name, bool all_env, value *obj, strbuf *notes) {
        const value *env = get(p, "env");
        value *out;
        strbuf pm2 = STRBUF_INIT, sess = STRBUF_INIT;
        int r = 0;

        if (!env || env->type != V_OBJECT)
                return 0;
        out = value_new(V_OBJECT, env->where);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < env->obj.n && r == 0; i++) {
                const member *m = &env->obj.m[i];
                size_t bad;
                int why = import_env_dropped(m->key, name);

                if (why == 1 || (why == 2 && !all_env)) {
                        strbuf *sb = why == 1 ? &pm2 : &sess;

                        strbuf_addf(sb, "%s%s", sb->len ? " " : "", m->key);
                        continue;
                }
                if (env_name_check(m->key, &bad)) {
                        strbuf_addf(&sess, "%s'%s'", sess.len ? " " : "", m->key);
                        continue;
                }
                if (m->val->type == V_UNDEFINED || m->val->type == V_NULL)
                        continue;
                r = value_object_set(out, m->key, m->key_where, value_clone(m->val));
        }
        if (r == 0 && sess.len)
                strbuf_addf(notes, "%s: left out the session's variables %s (`--all-env` keeps them)\n", name,
                            strbuf_str(&sess));
        strbuf_free(&pm2);
        strbuf_free(&sess);
        if (r < 0 || out->obj.n == 0) {
                value_free(out);
                return r;
        }
        return put(obj, "env", out);
}

static int map_app(const value *p, unsigned instances, const char *pm2_home, bool all_env, value **ret, strbuf *notes,
                   diag_list *dl) {
        const char *name = get_str(p, "name"), *script = get_str(p, "pm_exec_path"), *cwd = get_str(p, "pm_cwd"),
                   *interp = get_str(p, "exec_interpreter"), *mode = get_str(p, "exec_mode"), *s;
        value *obj = value_new(V_OBJECT, p->where);
        const value *v, *env;
        bool merge = false;
        int r = 0;

        if (!obj)
                return -ENOMEM;
        if (!script)
                script = get_str(p, "script");
        if (!cwd)
                cwd = get_str(p, "cwd");
        if (!name || !script) {
                diag_error(dl, p->where, "a process without %s: is this PM2's dump.pm2?", name ? "pm_exec_path" : "a name");
                value_free(obj);
                return -EINVAL;
        }
        r = put(obj, "name", str_v(name, p->where));
        if (r == 0)
                r = put(obj, "script", str_v(script, p->where));
        if (r == 0 && cwd)
                r = put(obj, "cwd", str_v(cwd, p->where));
        if (r == 0 && (v = get(p, "args")) && ((v->type == V_ARRAY && v->arr.n) || (v->type == V_STRING && v->str.len)))
                r = put(obj, "args", value_clone(v));
        if (r == 0 && (v = get(p, "node_args")) && ((v->type == V_ARRAY && v->arr.n) || (v->type == V_STRING && v->str.len)))
                r = put(obj, "interpreter_args", value_clone(v));
        if (r == 0 && interp && strcmp(interp, "node") != 0)
                r = put(obj, "interpreter", str_v(interp, p->where));
        env = get(p, "env");
        bool cluster = mode && strcmp(mode, "cluster_mode") == 0;

        if (cluster && !get(env, "PORT") && !get(p, "port"))
                strbuf_addf(notes,
                            "%s: cluster mode without a port: its instances will share the port the app binds "
                            "itself (add `port` to have systemd hold it in a socket unit)\n",
                            name);
        if (r == 0 && instances > 1)
                r = put(obj, "instances", value_new_number(instances, p->where));
        if (r == 0 && (cluster || instances > 1))
                r = put(obj, "exec_mode", str_v(cluster ? "cluster" : "fork", p->where));
        if (r == 0 && (v = get(p, "port")) && v->type == V_NUMBER)
                r = put(obj, "port", value_clone(v));
        /* The user the process ran as. */
        if (r == 0 && (v = get(p, "uid")) && (v->type == V_STRING || v->type == V_NUMBER)) {
                strbuf sb = STRBUF_INIT;
                char buf[VALUE_NUMBER_BUF];

                if (v->type == V_NUMBER)
                        strbuf_adds(&sb, value_number_to_string(v->num, buf));
                else
                        strbuf_add(&sb, v->str.s, v->str.len);
                r = put(obj, "user", str_v(strbuf_str(&sb), p->where));
                strbuf_free(&sb);
        } else if (r == 0 && (s = get_str(p, "username")) && strcmp(s, "root") != 0)
                r = put(obj, "user", str_v(s, p->where));
        else if (r == 0)
                strbuf_addf(notes, "%s: ran as root under PM2; pmgen runs it as a dynamic user (set `user` if it must "
                                   "own files)\n",
                            name);
        if (r == 0 && (v = get(p, "gid")) && v->type == V_STRING && v->str.len)
                r = put(obj, "group", value_clone(v));
        /* Settings pmgen reads as they are. */
        static const struct {
                const char *key;
                value_type type;
        } same[] = {
                { "autorestart", V_BOOL },      { "autostart", V_BOOL },       { "max_restarts", V_NUMBER },
                { "min_uptime", V_NUMBER },     { "min_uptime", V_STRING },    { "restart_delay", V_NUMBER },
                { "exp_backoff_restart_delay", V_NUMBER },                     { "kill_timeout", V_NUMBER },
                { "listen_timeout", V_NUMBER }, { "wait_ready", V_BOOL },      { "shutdown_with_message", V_BOOL },
                { "max_memory_restart", V_NUMBER },                            { "max_memory_restart", V_STRING },
                { "stop_exit_codes", V_ARRAY }, { "cron_restart", V_STRING },  { "watch", V_BOOL },
                { "watch", V_ARRAY },           { "watch", V_STRING },         { "ignore_watch", V_ARRAY },
                { "increment_var", V_STRING },  { "source_map_support", V_BOOL },
        };
        for (size_t i = 0; r == 0 && i < sizeof(same) / sizeof(same[0]); i++) {
                v = get(p, same[i].key);
                if (!v || v->type != same[i].type)
                        continue;
                /* defaults PM2 writes into every dump say nothing */
                if ((strcmp(same[i].key, "autorestart") == 0 || strcmp(same[i].key, "autostart") == 0) && v->b)
                        continue;
                if (strcmp(same[i].key, "watch") == 0 && v->type == V_BOOL && !v->b)
                        continue;
                if (strcmp(same[i].key, "ignore_watch") == 0 && v->arr.n == 0)
                        continue;
                r = copy_if(obj, p, same[i].key, same[i].type);
        }
        if (r == 0 && (s = get_str(p, "instance_var")) && strcmp(s, "NODE_APP_INSTANCE") != 0)
                r = put(obj, "instance_var", str_v(s, p->where));
        if (r == 0 && (s = get_str(p, "namespace")) && strcmp(s, "default") != 0)
                r = put(obj, "namespace", str_v(s, p->where));
        if ((v = get(p, "merge_logs")) && v->type == V_BOOL)
                merge = v->b;
        /* Log files PM2 chose itself go to the journal instead. */
        static const struct {
                const char *from, *to;
        } logs[] = { { "pm_out_log_path", "out_file" }, { "pm_err_log_path", "error_file" }, { "pm_log_path", "log_file" } };
        bool kept_log = false;

        for (size_t i = 0; r == 0 && i < 3; i++) {
                char *path;

                s = get_str(p, logs[i].from);
                if (!s || under(s, pm2_home) || strcmp(s, "/dev/null") == 0)
                        continue;
                path = log_path(s, instances, merge);
                r = path ? put(obj, logs[i].to, str_v(path, p->where)) : -ENOMEM;
                free(path);
                kept_log = true;
        }
        if (r == 0 && kept_log && merge)
                r = put(obj, "merge_logs", value_new_bool(true, p->where));
        if (r == 0)
                r = env_of(p, name, all_env, obj, notes);
        if (r < 0) {
                value_free(obj);
                return r;
        }
        *ret = obj;
        return 0;
}

int import_dump(const value *dump, const char *pm2_home, bool all_env, value **ret, strbuf *notes, diag_list *dl) {
        value *root, *apps;
        const value *list = dump;
        size_t errors = dl->errors;
        int r = 0;

        if (dump->type == V_OBJECT && get(dump, "apps"))
                list = get(dump, "apps");
        if (list->type != V_ARRAY) {
                diag_error(dl, dump->where, "expected PM2's dump: an array of processes, found %s", value_type_name(dump->type));
                return -EINVAL;
        }
        root = value_new(V_OBJECT, dump->where);
        apps = value_new(V_ARRAY, dump->where);
        if (!root || !apps || value_object_set(root, "apps", dump->where, apps) < 0) {
                value_free(root);
                return -ENOMEM;
        }
        for (size_t i = 0; i < list->arr.n && r != -ENOMEM; i++) {
                const value *p = list->arr.items[i];
                const char *name = get_str(p, "name");
                unsigned count = 0;
                bool seen = false;
                value *obj = NULL;

                if (p->type != V_OBJECT) {
                        diag_error(dl, p->where, "expected a process object, found %s", value_type_name(p->type));
                        continue;
                }
                for (size_t j = 0; name && j < i && !seen; j++)
                        seen = get_str(list->arr.items[j], "name") && strcmp(get_str(list->arr.items[j], "name"), name) == 0;
                if (seen)
                        continue;
                for (size_t j = i; name && j < list->arr.n; j++)
                        if (get_str(list->arr.items[j], "name") && strcmp(get_str(list->arr.items[j], "name"), name) == 0)
                                count++;
                r = map_app(p, count ? count : 1, pm2_home, all_env, &obj, notes, dl);
                if (r == 0 && value_array_push(apps, obj) < 0)
                        r = -ENOMEM;
        }
        if (r == -ENOMEM || dl->errors > errors) {
                value_free(root);
                return r == -ENOMEM ? r : -EINVAL;
        }
        *ret = root;
        return 0;
}

/* ---- the command ---------------------------------------------------------------------------- */

static char *default_dump(void) {
        const char *home = getenv("PM2_HOME"), *h = getenv("HOME");
        strbuf sb = STRBUF_INIT;

        if (home && home[0])
                strbuf_addf(&sb, "%s/dump.pm2", home);
        else if (h && h[0])
                strbuf_addf(&sb, "%s/.pm2/dump.pm2", h);
        else
                return NULL;
        return strbuf_steal(&sb);
}

int cmd_import(const verb_opts *o, const char *dump) {
        char *dflt = NULL, cwd[PATH_MAX], *text = NULL, *abs = NULL, *home = NULL;
        size_t len = 0;
        value *raw = NULL, *tree = NULL;
        diag_list dl = DIAG_LIST_INIT;
        strbuf notes = STRBUF_INIT, out = STRBUF_INIT;
        js_host jh;
        const char *to = o->to ? o->to : (o->output && str_has_suffix(o->output, ".js")) ? "js" : "ini";
        int r, ret = 0;

        if (strcmp(to, "ini") && strcmp(to, "js") && strcmp(to, "json")) {
                fprintf(stderr, "pmgen: import: --to: expected ini, js or json, found '%s'\n", to);
                return EXIT_USAGE;
        }
        if (!dump && !(dump = dflt = default_dump())) {
                fprintf(stderr, "pmgen: import: no DUMP given and neither PM2_HOME nor HOME is set\n");
                return EXIT_USAGE;
        }
        if (!getcwd(cwd, sizeof(cwd)) || !(abs = path_resolve(cwd, dump))) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        r = read_file(dump, 64u << 20, &text, &len);
        if (r < 0) {
                fprintf(stderr, "pmgen: import: cannot read %s: %s\n", dump, strerror(-r));
                ret = EXIT_SYSTEM;
                goto out;
        }
        host_js(&jh, cwd);
        r = js_parse(dump, abs, text, len, &jh, &raw, &dl);
        if (r == 0) {
                char *slash = strrchr(abs, '/');

                home = slash && slash != abs ? xstrndup(abs, (size_t) (slash - abs)) : NULL;
                r = import_dump(raw, home, o->all_env, &tree, &notes, &dl);
        }
        if (r == 0) {
                model m = MODEL_INIT;

                /* Everything pmgen's own front ends would check. */
                r = model_build(tree, dump, &m, &dl);
                if (r == 0 && !o->apply) {
                        if (strcmp(to, "ini") == 0) {
                                strbuf_addf(&out, "; Imported by pmgen import from %s\n", abs);
                                r = value_to_ini(m.root, &out, &dl);
                        } else if (strcmp(to, "js") == 0) {
                                strbuf_addf(&out, "// Imported by pmgen import from %s\n", abs);
                                value_to_js(m.root, &out);
                        } else {
                                value_to_json(m.root, &out, 2);
                                strbuf_addc(&out, '\n');
                        }
                }
                model_free(&m);
        }
        print_diags(&dl, o->quiet);
        if (notes.len && !o->quiet)
                fprintf(stderr, "%s", strbuf_str(&notes));
        if (r < 0) {
                ret = r == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
                goto out;
        }
        if (o->apply) {
                apply_source src = { 0 };

                src.d.file = dump;
                src.d.abs_file = abs;
                src.d.dir = home ? strdup(home) : strdup("/");
                src.d.raw = tree;
                tree = NULL;
                src.identity = strdup(abs);
                src.profile = o->profile ? strdup(o->profile) : NULL;
                src.name = "pm2-dump.ini";
                abs = NULL;
                if (!src.d.dir || !src.identity || model_build(src.d.raw, dump, &src.d.m, &dl) < 0)
                        ret = EXIT_SYSTEM;
                else
                        ret = apply_sources(o, &src, 1);
                decl_free(&src.d);
                free(src.identity);
                free(src.profile);
                goto out;
        }
        if (o->output) {
                char *dir = NULL, *slash;
                char *absout = path_resolve(cwd, o->output);

                if (!absout) {
                        ret = EXIT_SYSTEM;
                        goto out;
                }
                slash = strrchr(absout, '/');
                dir = xstrndup(absout, slash == absout ? 1 : (size_t) (slash - absout));
                r = dir ? store_write_file(dir, slash + 1, strbuf_str(&out), 0600) : -ENOMEM;
                if (r < 0) {
                        fprintf(stderr, "pmgen: import: cannot write %s: %s\n", o->output, strerror(-r));
                        ret = EXIT_SYSTEM;
                } else if (!o->quiet)
                        fprintf(stderr, "pmgen: wrote %s (mode 0600: it holds the apps' environment)\n", o->output);
                free(dir);
                free(absout);
        } else if (fwrite(out.s ? out.s : "", 1, out.len, stdout) != out.len || fflush(stdout) != 0)
                ret = EXIT_SYSTEM;
out:
        free(dflt);
        free(abs);
        free(home);
        free(text);
        value_free(raw);
        value_free(tree);
        diag_list_free(&dl);
        strbuf_free(&notes);
        strbuf_free(&out);
        return ret;
}
