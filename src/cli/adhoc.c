/* SPDX-License-Identifier: MIT */
#include "adhoc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "calendar.h"
#include "cli.h"
#include "edit.h"
#include "host.h"
#include "model.h"
#include "store.h"
#include "value.h"
#include "verbs.h"
#include "write.h"

/* ---- which form ----------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_config_name(const char *s) {
        static const char *const cfg[] = { ".config.js", ".config.cjs", ".config.mjs", ".json", ".ini", NULL };

        for (size_t i = 0; cfg[i]; i++)
                if (ends_with(s, cfg[i]))
                        return true;
        return false;
}

start_form start_form_of(const char *arg, bool is_file) {
        static const char *const script_ext[] = { ".js", ".cjs", ".mjs", ".ts", ".py", ".rb", ".sh", ".php", ".pl", NULL };
        bool file = is_file || strchr(arg, '/') != NULL;

        if (is_config_name(arg))
                return START_ECOSYSTEM;
        for (size_t i = 0; !file && script_ext[i]; i++)
                file = ends_with(arg, script_ext[i]);
        return file ? START_SCRIPT : START_APP;
}

bool only_has(const char *only, const char *name) {
        size_t n = strlen(name);

        for (const char *p = only; p && *p;) {
                size_t len = strcspn(p, ",");
                const char *w = p;
                size_t wl = len;

                while (wl && *w == ' ') {
                        w++;
                        wl--;
                }
                while (wl && w[wl - 1] == ' ')
                        wl--;
                if (wl == n && strncmp(w, name, n) == 0)
                        return true;
                p += len;
                if (*p == ',')
                        p++;
        }
        return false;
}

char *adhoc_default_name(const char *script) {
        const char *base = strrchr(script, '/');
        const char *dot;

        base = base ? base + 1 : script;
        dot = strrchr(base, '.');
        return xstrndup(base, dot && dot != base ? (size_t) (dot - base) : strlen(base));
}

/* ---- the flags -------------------------------------------------------------------------------- */

typedef enum fkind {
        F_KEY,    /* sets a key of the declaration */
        F_BOOL,   /* sets a key to a fixed value */
        F_NAME,
        F_INST,
        F_ENV,    /* K=V (script) or a profile (ecosystem file) */
        F_ONLY,
        F_CWD,
        F_USER,
        F_DRY,
        F_QUIET,
        F_HELP,
        F_NOOP,   /* accepted, no effect under systemd (noted) */
        F_REFUSE, /* an error naming the systemd way */
} fkind;

typedef struct flag {
        const char *lng;
        char shrt;
        bool arg;
        fkind kind;
        const char *key;  /* F_KEY, F_BOOL */
        const char *text; /* F_BOOL: the value; F_REFUSE, F_NOOP: why */
        char check;       /* F_KEY: 'p' port, 'u' count, 'd' duration, 's' size, 'c' cron, 'l' list of words */
} flag;

static const flag flags[] = {
        { "name", 'n', true, F_NAME, NULL, NULL, 0 },
        { "instances", 'i', true, F_INST, "instances", NULL, 0 },
        { "port", 0, true, F_KEY, "port", NULL, 'p' },
        { "env", 0, true, F_ENV, NULL, NULL, 0 },
        { "only", 0, true, F_ONLY, NULL, NULL, 0 },
        { "cwd", 0, true, F_CWD, NULL, NULL, 0 },
        { "interpreter", 0, true, F_KEY, "interpreter", NULL, 0 },
        { "interpreter-args", 0, true, F_KEY, "interpreter_args", NULL, 'l' },
        { "node-args", 0, true, F_KEY, "interpreter_args", NULL, 'l' },
        { "max-memory-restart", 0, true, F_KEY, "max_memory_restart", NULL, 's' },
        { "cron", 'c', true, F_KEY, "cron_restart", NULL, 'c' },
        { "cron-restart", 0, true, F_KEY, "cron_restart", NULL, 'c' },
        { "watch", 'w', false, F_BOOL, "watch", "true", 0 },
        { "ignore-watch", 0, true, F_KEY, "ignore_watch", NULL, 'l' },
        { "output", 'o', true, F_KEY, "out_file", NULL, 0 },
        { "error", 'e', true, F_KEY, "error_file", NULL, 0 },
        { "log", 'l', true, F_KEY, "log_file", NULL, 0 },
        { "merge-logs", 'm', false, F_BOOL, "merge_logs", "true", 0 },
        { "time", 0, false, F_BOOL, "time", "true", 0 },
        { "log-date-format", 0, true, F_KEY, "log_date_format", NULL, 0 },
        { "restart-delay", 0, true, F_KEY, "restart_delay", NULL, 'd' },
        { "exp-backoff-restart-delay", 0, true, F_KEY, "exp_backoff_restart_delay", NULL, 'd' },
        { "max-restarts", 0, true, F_KEY, "max_restarts", NULL, 'u' },
        { "min-uptime", 0, true, F_KEY, "min_uptime", NULL, 'd' },
        { "kill-timeout", 0, true, F_KEY, "kill_timeout", NULL, 'd' },
        { "listen-timeout", 0, true, F_KEY, "listen_timeout", NULL, 'd' },
        { "wait-ready", 0, false, F_BOOL, "wait_ready", "true", 0 },
        { "shutdown-with-message", 0, false, F_BOOL, "shutdown_with_message", "true", 0 },
        { "no-autorestart", 0, false, F_BOOL, "autorestart", "false", 0 },
        { "stop-exit-codes", 0, true, F_KEY, "stop_exit_codes", NULL, 'l' },
        { "namespace", 0, true, F_KEY, "namespace", NULL, 0 },
        { "uid", 0, true, F_KEY, "user", NULL, 0 },
        { "gid", 0, true, F_KEY, "group", NULL, 0 },
        { "source-map-support", 0, false, F_BOOL, "source_map_support", "true", 0 },
        { "disable-source-map-support", 0, false, F_BOOL, "disable_source_map_support", "true", 0 },
        { "instance-var", 0, true, F_KEY, "instance_var", NULL, 0 },
        { "user", 0, false, F_USER, NULL, NULL, 0 },
        { "dry-run", 0, false, F_DRY, NULL, NULL, 0 },
        { "quiet", 'q', false, F_QUIET, NULL, NULL, 0 },
        { "silent", 's', false, F_QUIET, NULL, NULL, 0 },
        { "help", 'h', false, F_HELP, NULL, NULL, 0 },
        { "force", 'f', false, F_NOOP, NULL, "start converges: an unchanged app is left running, a changed one restarts", 0 },
        { "update-env", 0, false, F_NOOP, NULL, "start always applies the environment given", 0 },
        { "no-vizion", 0, false, F_NOOP, NULL, "pmgen never reads version control metadata", 0 },
        { "no-pmx", 0, false, F_NOOP, NULL, "pmgen has no metrics module", 0 },
        { "no-automation", 0, false, F_NOOP, NULL, "pmgen has no metrics module", 0 },
        { "disable-trace", 0, false, F_NOOP, NULL, "pmgen has no tracing module", 0 },
        { "no-color", 0, false, F_NOOP, NULL, "colours are only used on a terminal, never with NO_COLOR", 0 },
        { "no-daemon", 0, false, F_REFUSE, NULL,
          "systemd runs the app, there is no pmgen daemon: follow its output with `pmgen logs NAME -f`", 0 },
        { "attach", 0, false, F_REFUSE, NULL, "follow the app's output with `pmgen logs NAME -f`", 0 },
        { "execute-command", 'x', false, F_REFUSE, NULL, "give the program as SCRIPT with --interpreter none", 0 },
        { "no-treekill", 0, false, F_REFUSE, NULL, "systemd always stops the whole cgroup of an instance (KillMode=mixed)", 0 },
        { "kill-retry-time", 0, true, F_REFUSE, NULL, "pmgen-shim sends SIGKILL once --kill-timeout has passed", 0 },
        { "log-type", 0, true, F_REFUSE, NULL, "the journal keeps structured records: journalctl -o json -u 'NAME@*'", 0 },
        { "trace", 0, false, F_REFUSE, NULL, "PM2's tracing module does not exist under pmgen", 0 },
        { "deep-monitoring", 0, false, F_REFUSE, NULL, "PM2's metrics module does not exist under pmgen: `pmgen ls`", 0 },
        { "append-env-to-name", 0, false, F_REFUSE, NULL, "unit names do not change with the environment", 0 },
        { "filter-env", 0, true, F_REFUSE, NULL, "units start with a clean environment: only the variables you declare "
                                                  "(--env KEY=VALUE) reach the app", 0 },
        { NULL, 'u', true, F_REFUSE, NULL, "-u names PM2's user: run the app as a user with --uid USER "
                                           "(pmgen's --user is the user manager)", 0 },
};

static const flag *find_long(const char *name, size_t len) {
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (flags[i].lng && strlen(flags[i].lng) == len && strncmp(flags[i].lng, name, len) == 0)
                        return &flags[i];
        return NULL;
}

static const flag *find_short(char c) {
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (flags[i].shrt == c)
                        return &flags[i];
        return NULL;
}

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...) {
        strbuf sb = STRBUF_INIT;
        va_list ap;

        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        *err = strbuf_steal(&sb);
        return *err ? -EINVAL : -ENOMEM;
}

static bool env_name_ok(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

static bool app_name_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return strcmp(s, "all") != 0;
}

/* A value of a flag, checked as its key will read it. NULL when fine, else what was expected. */
static const char *check_value(char check, const char *v) {
        char *end = NULL;
        uint64_t x;
        unsigned long long u;

        switch (check) {
        case 'p':
                errno = 0;
                u = strtoull(v, &end, 10);
                return errno || !*v || *end || !isdigit((unsigned char) v[0]) || u < 1 || u > 65535
                               ? "a port from 1 to 65535"
                               : NULL;
        case 'u':
                errno = 0;
                u = strtoull(v, &end, 10);
                return errno || !*v || *end || !isdigit((unsigned char) v[0]) || u > 1000000 ? "a whole number" : NULL;
        case 'd':
                return parse_duration_ms(v, &x) < 0 ? "a duration in ms or such as 10s" : NULL;
        case 's':
                return parse_size(v, &x) < 0 ? "a size such as 512K, 300M or 1G" : NULL;
        case 'c': {
                strbuf out = STRBUF_INIT, e = STRBUF_INIT;
                size_t col = 0;
                int r = cron_to_oncalendar(v, &out, &e, &col);

                strbuf_free(&out);
                strbuf_free(&e);
                return r < 0 ? "a cron expression such as \"0 3 * * *\"" : NULL;
        }
        default:
                return strchr(v, '\n') ? "a value without a newline" : NULL;
        }
}

static int instances_ok(const char *v) {
        char *end = NULL;
        long x;

        if (strcmp(v, "max") == 0)
                return 0;
        errno = 0;
        x = strtol(v, &end, 10);
        return errno || !*v || *end || x < -1024 || x > 1024 ? -EINVAL : 0;
}

static int kv_set(adhoc_req *r, const char *key, const char *val, bool list) {
        char *copy = strdup(val);
        adhoc_kv *nv;

        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_kv; i++)
                if (strcmp(r->kv[i].key, key) == 0) {
                        free(r->kv[i].val);
                        r->kv[i].val = copy;
                        return 0;
                }
        nv = realloc(r->kv, (r->n_kv + 1) * sizeof(adhoc_kv));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        r->kv = nv;
        r->kv[r->n_kv++] = (adhoc_kv){ key, copy, list };
        return 0;
}

static int req_env_set(adhoc_req *r, const char *kv) {
        size_t klen = strcspn(kv, "=");
        char *copy = strdup(kv), **nv;

        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_env; i++)
                if (strncmp(r->env[i], kv, klen + 1) == 0) {
                        free(r->env[i]);
                        r->env[i] = copy;
                        return 0;
                }
        nv = realloc(r->env, (r->n_env + 1) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        r->env = nv;
        r->env[r->n_env++] = copy;
        return 0;
}

void adhoc_req_free(adhoc_req *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_kv; i++)
                free(r->kv[i].val);
        free(r->kv);
        for (size_t i = 0; i < r->n_env; i++)
                free(r->env[i]);
        free(r->env);
        *r = (adhoc_req){ 0 };
}

/* What a flag's kind may go with. */
static const char *flag_form_error(const flag *f, start_form form) {
        if (f->kind == F_USER || f->kind == F_DRY || f->kind == F_QUIET || f->kind == F_HELP || f->kind == F_NOOP ||
            f->kind == F_REFUSE)
                return NULL;
        if (form == START_APP)
                return "an app name";
        if (form == START_ECOSYSTEM && f->kind != F_ENV && f->kind != F_ONLY)
                return "an ecosystem file (set it in the file, or start a script)";
        if (form == START_SCRIPT && f->kind == F_ONLY)
                return "a script (--only picks apps of an ecosystem file)";
        return NULL;
}

typedef struct given {
        const flag *f;
        const char *val;
        bool shrt;           /* given as -c */
} given;

int adhoc_parse(int argc, char **argv, bool (*is_file)(const char *path), adhoc_req *ret, char **err) {
        adhoc_req r = { 0 };
        given *g = calloc((size_t) argc + 1, sizeof(given));
        size_t ng = 0;
        char spelled[64];
        int q = 0;

        *err = NULL;
        if (!g)
                return -ENOMEM;
        for (int i = 1; i < argc && q == 0; i++) {
                const char *a = argv[i];
                const flag *f = NULL;
                const char *val = NULL;

                if (strcmp(a, "--") == 0) {
                        r.args = argv + i + 1;
                        r.n_args = (size_t) (argc - i - 1);
                        break;
                }
                if (a[0] != '-' || a[1] == '\0') {
                        if (r.target)
                                q = fail(err, "one SCRIPT, FILE or APP at a time: '%s' and '%s' (arguments for the script go "
                                              "after --)", r.target, a);
                        r.target = a;
                        continue;
                }
                if (a[1] == '-') {
                        size_t len = strcspn(a + 2, "=");

                        f = find_long(a + 2, len);
                        snprintf(spelled, sizeof(spelled), "--%.*s", (int) (len > 40 ? 40 : len), a + 2);
                        if (!f) {
                                q = fail(err, "unknown option %s (see pmgen(1), START)", spelled);
                                break;
                        }
                        if (a[2 + len] == '=') {
                                if (!f->arg) {
                                        q = fail(err, "%s takes no value", spelled);
                                        break;
                                }
                                val = a + 3 + len;
                        }
                } else {
                        f = find_short(a[1]);
                        snprintf(spelled, sizeof(spelled), "-%c", a[1]);
                        if (!f) {
                                q = fail(err, "unknown option %s (see pmgen(1), START)", spelled);
                                break;
                        }
                        if (a[2]) {
                                if (!f->arg) {
                                        q = fail(err, "%s takes no value (found '%s')", spelled, a);
                                        break;
                                }
                                val = a + 2;
                        }
                }
                if (f->arg && !val) {
                        if (i + 1 >= argc) {
                                q = fail(err, "%s needs a value", spelled);
                                break;
                        }
                        val = argv[++i];
                }
                if (f->kind == F_REFUSE) {
                        q = fail(err, "%s has no meaning under systemd: %s", spelled, f->text);
                        break;
                }
                g[ng].f = f;
                g[ng].val = val;
                g[ng].shrt = a[1] != '-';
                ng++;
        }
        if (q == 0 && !r.target) {
                bool help = false;

                for (size_t k = 0; k < ng; k++)
                        help = help || g[k].f->kind == F_HELP;
                if (!help)
                        q = fail(err, "expected SCRIPT, ecosystem FILE or APP|all");
        }
        if (q == 0 && r.target)
                r.form = start_form_of(r.target, is_file && is_file(r.target));
        if (q == 0 && r.n_args && r.form != START_SCRIPT)
                q = fail(err, "arguments after -- go to a script; %s is %s", r.target,
                         r.form == START_APP ? "an app name" : "an ecosystem file");
        for (size_t k = 0; q == 0 && k < ng; k++) {
                const flag *f = g[k].f;
                const char *v = g[k].val, *bad;
                char dash[48];

                if (g[k].shrt || !f->lng)
                        snprintf(dash, sizeof(dash), "-%c", f->shrt);
                else
                        snprintf(dash, sizeof(dash), "--%s", f->lng);
                if (r.target && (bad = flag_form_error(f, r.form))) {
                        if (r.form == START_APP)
                                q = fail(err, "%s goes with a script or an ecosystem file; '%s' is not a file here, so it "
                                              "names an app%s",
                                         dash, r.target,
                                         f->kind == F_INST ? " (`pmgen scale APP N` changes its instances)" : "");
                        else
                                q = fail(err, "%s does not go with %s", dash, bad);
                        break;
                }
                switch (f->kind) {
                case F_NAME:
                        if (!app_name_ok(v))
                                q = fail(err, "--name: expected letters, digits, '_', '.' or '-' (at most 64, not 'all'), "
                                              "found '%s'",
                                         v);
                        r.name = v;
                        break;
                case F_INST:
                        if (instances_ok(v) < 0)
                                q = fail(err, "%s: expected a number from -1024 to 1024 or max, found '%s'", dash, v);
                        else {
                                q = kv_set(&r, "instances", v, false);
                                r.instances = true;
                        }
                        break;
                case F_KEY:
                        if ((bad = check_value(f->check, v)))
                                q = fail(err, "%s: expected %s, found '%s'", dash, bad, v);
                        else
                                q = kv_set(&r, f->key, v, f->check == 'l');
                        break;
                case F_BOOL:
                        q = kv_set(&r, f->key, f->text, false);
                        break;
                case F_ENV: {
                        const char *eq = strchr(v, '=');

                        if (r.form == START_ECOSYSTEM) {
                                if (eq || !env_name_ok(v, strlen(v)))
                                        q = fail(err, "--env: expected the name of an env_NAME profile of %s, found '%s'",
                                                 r.target, v);
                                r.profile = v;
                        } else if (!eq)
                                q = fail(err, "--env %s: a script takes variables, --env KEY=VALUE (--env NAME picks the "
                                              "env_NAME profile of an ecosystem file)",
                                         v);
                        else if (!env_name_ok(v, (size_t) (eq - v)) || strchr(v, '\n'))
                                q = fail(err, "--env: '%.*s' is not a variable name (letters, digits and '_')",
                                         (int) (eq - v > 64 ? 64 : eq - v), v);
                        else
                                q = req_env_set(&r, v);
                        break;
                }
                case F_ONLY:
                        r.only = v;
                        break;
                case F_CWD:
                        if (!*v || strchr(v, '\n'))
                                q = fail(err, "--cwd: expected a directory");
                        r.cwd = v;
                        break;
                case F_USER:
                        r.user = true;
                        break;
                case F_DRY:
                        r.dry_run = true;
                        break;
                case F_QUIET:
                        r.quiet = true;
                        break;
                case F_HELP:
                        r.help = true;
                        break;
                case F_NOOP:
                        r.ignored = f->lng;
                        break;
                case F_REFUSE:
                        break;
                }
        }
        for (size_t i = 0; q == 0 && i < r.n_args; i++)
                if (strchr(r.args[i], '\n'))
                        q = fail(err, "an argument after -- has a newline");
        free(g);
        if (q < 0) {
                adhoc_req_free(&r);
                return q;
        }
        *ret = r;
        return 0;
}

/* ---- the declaration --------------------------------------------------------------------------- */

static int obj_str(value *o, const char *key, const char *s, loc w) {
        value *v = value_new_string(s, strlen(s), w);

        return v ? value_object_set(o, key, w, v) : -ENOMEM;
}

static int obj_words(value *o, const char *key, const char *s, loc w) {
        value *arr = value_new(V_ARRAY, w);
        int r = 0;

        if (!arr)
                return -ENOMEM;
        for (const char *p = s; r == 0 && *p;) {
                size_t len;

                p += strspn(p, " \t");
                len = strcspn(p, " \t");
                if (len) {
                        value *word = value_new_string(p, len, w);

                        r = word ? value_array_push(arr, word) : -ENOMEM;
                }
                p += len;
        }
        return r == 0 ? value_object_set(o, key, w, arr) : (value_free(arr), r);
}

int adhoc_to_ini(const adhoc_req *r, const char *name, const char *script_abs, const char *cwd_abs, strbuf *out,
                 diag_list *dl) {
        loc w = { "(command line)", 0, 0 };
        value *root = value_new(V_OBJECT, w), *apps = value_new(V_ARRAY, w), *ao = value_new(V_OBJECT, w);
        int q;

        if (!root || !apps || !ao) {
                value_free(root);
                value_free(apps);
                value_free(ao);
                return -ENOMEM;
        }
        q = value_object_set(root, "apps", w, apps);
        if (q == 0)
                q = value_array_push(apps, ao);
        else
                value_free(ao);
        if (q == 0)
                q = obj_str(ao, "name", name, w);
        if (q == 0)
                q = obj_str(ao, "script", script_abs, w);
        if (q == 0 && cwd_abs)
                q = obj_str(ao, "cwd", cwd_abs, w);
        for (size_t i = 0; q == 0 && i < r->n_kv; i++) {
                q = r->kv[i].list ? obj_words(ao, r->kv[i].key, r->kv[i].val, w) : obj_str(ao, r->kv[i].key, r->kv[i].val, w);
                /* PM2: -i puts the ao in cluster mode */
                if (q == 0 && strcmp(r->kv[i].key, "instances") == 0)
                        q = obj_str(ao, "exec_mode", "cluster", w);
        }
        if (q == 0 && r->n_args) {
                value *arr = value_new(V_ARRAY, w);

                q = arr ? 0 : -ENOMEM;
                for (size_t i = 0; q == 0 && i < r->n_args; i++) {
                        value *s = value_new_string(r->args[i], strlen(r->args[i]), w);

                        q = s ? value_array_push(arr, s) : -ENOMEM;
                }
                if (q == 0)
                        q = value_object_set(ao, "args", w, arr);
                else
                        value_free(arr);
        }
        if (q == 0 && r->n_env) {
                value *env = value_new(V_OBJECT, w);

                q = env ? 0 : -ENOMEM;
                for (size_t i = 0; q == 0 && i < r->n_env; i++) {
                        const char *eq = strchr(r->env[i], '=');
                        char *k = xstrndup(r->env[i], (size_t) (eq - r->env[i]));

                        q = k ? obj_str(env, k, eq + 1, w) : -ENOMEM;
                        free(k);
                }
                if (q == 0)
                        q = value_object_set(ao, "env", w, env);
                else
                        value_free(env);
        }
        if (q == 0)
                q = value_to_ini(root, out, dl);
        if (q == 0 && out->oom)
                q = -ENOMEM;
        value_free(root);
        return q;
}

/* ---- the edge ---------------------------------------------------------------------------------- */

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
        "--interpreter-args/--node-args, --max-memory-restart, -c/--cron, -w/--watch,\n"
        "--ignore-watch, -o/--output, -e/--error, -l/--log, -m/--merge-logs, --time,\n"
        "--restart-delay, --exp-backoff-restart-delay, --max-restarts, --min-uptime,\n"
        "--kill-timeout, --listen-timeout, --wait-ready, --shutdown-with-message,\n"
        "--no-autorestart, --stop-exit-codes, --namespace, --uid, --gid, --instance-var,\n"
        "--source-map-support; pmgen's: --user, --dry-run, -q. See pmgen(1), START.\n";

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
        if (!r->name && !app_name_ok(name)) {
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
