/* SPDX-License-Identifier: MIT */
/* The pure part of `pmgen start` (adhoc.h): which form an argument is, PM2's flags, the declaration's
 * INI text. No I/O; the edge is start.c. */
#include "adhoc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "model.h"
#include "value.h"
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
        F_WATCH,  /* --watch [PATHS]: watch = true, or the paths (comma-separated) */
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
        { "watch", 0, false, F_WATCH, "watch", NULL, 0 },
        { "write", 'w', false, F_NOOP, NULL, "start always writes the declaration (/etc/pmgen/NAME.ini; pmgen describe NAME)", 0 },
        { "watch-delay", 0, true, F_NOOP, NULL, "a path unit restarts the app as soon as a watched path changes", 0 },
        { "no-autostart", 0, false, F_BOOL, "autostart", "false", 0 },
        { "disable-logs", 0, false, F_BOOL, "disable_logs", "true", 0 },
        { "ignore-watch", 0, true, F_KEY, "ignore_watch", NULL, 'l' },
        { "output", 'o', true, F_KEY, "out_file", NULL, 0 },
        { "error", 'e', true, F_KEY, "error_file", NULL, 0 },
        { "log", 'l', true, F_KEY, "log_file", NULL, 0 },
        { "merge-logs", 0, false, F_BOOL, "merge_logs", "true", 0 },
        { "mini-list", 'm', false, F_NOOP, NULL, "pmgen start prints no process list (pmgen ls does)", 0 },
        { "sort", 0, true, F_NOOP, NULL, "pmgen start prints no process list (pmgen ls does)", 0 },
        { "time", 0, false, F_BOOL, "time", "true", 0 },
        { "log-date-format", 0, true, F_KEY, "log_date_format", NULL, 0 },
        { "restart-delay", 0, true, F_KEY, "restart_delay", NULL, 'd' },
        { "exp-backoff-restart-delay", 0, true, F_KEY, "exp_backoff_restart_delay", NULL, 'd' },
        { "max-restarts", 0, true, F_KEY, "max_restarts", NULL, 'u' },
        { "min-uptime", 0, true, F_KEY, "min_uptime", NULL, 'd' },
        { "kill-timeout", 'k', true, F_KEY, "kill_timeout", NULL, 'd' },
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
        { "update-env", 'a', false, F_NOOP, NULL, "start always applies the environment given", 0 },
        { "no-vizion", 0, false, F_NOOP, NULL, "pmgen never reads version control metadata", 0 },
        { "no-pmx", 0, false, F_NOOP, NULL, "pmgen has no metrics module", 0 },
        { "no-automation", 0, false, F_NOOP, NULL, "pmgen has no metrics module", 0 },
        { "disable-trace", 0, false, F_NOOP, NULL, "pmgen has no tracing module", 0 },
        { "no-color", 0, false, F_NOOP, NULL, "colours are only used on a terminal, never with NO_COLOR", 0 },
        { "no-daemon", 0, false, F_REFUSE, NULL,
          "systemd runs the app, there is no pmgen daemon: follow its output with `pmgen logs NAME -f`", 0 },
        { "attach", 0, false, F_REFUSE, NULL, "follow the app's output with `pmgen logs NAME -f`", 0 },
        { "execute-command", 'x', false, F_REFUSE, NULL, "a binary or a #! script runs directly already (unless its "
                                                         "extension names an interpreter); to run any other program "
                                                         "directly, give it as SCRIPT with --interpreter none", 0 },
        { "no-treekill", 0, false, F_REFUSE, NULL, "systemd always stops the whole cgroup of an instance (KillMode=mixed)", 0 },
        { "kill-retry-time", 0, true, F_REFUSE, NULL, "pmgen-shim sends SIGKILL once --kill-timeout has passed", 0 },
        { "log-type", 0, true, F_REFUSE, NULL, "the journal keeps structured records: journalctl -o json -u 'NAME@*'", 0 },
        { "trace", 0, false, F_REFUSE, NULL, "PM2's tracing module does not exist under pmgen", 0 },
        { "deep-monitoring", 0, false, F_REFUSE, NULL, "PM2's metrics module does not exist under pmgen: `pmgen ls`", 0 },
        { "v8", 0, false, F_REFUSE, NULL, "PM2's metrics module does not exist under pmgen: `pmgen ls`, `pmgen monit`", 0 },
        { "event-loop-inspector", 0, false, F_REFUSE, NULL, "PM2's metrics module does not exist under pmgen: `pmgen monit`", 0 },
        { "events", 0, false, F_REFUSE, NULL, "PM2's event bus does not exist under pmgen: `journalctl -f -u 'NAME@*'` "
                                              "shows starts, stops and crashes", 0 },
        { "pid", 'p', true, F_REFUSE, NULL, "systemd tracks the main pid: systemctl show -p MainPID NAME@N (the shim; "
                                            "`pmgen ls --json` has the app's pid)", 0 },
        { "hp", 0, true, F_REFUSE, NULL, "a startup option: there is no startup script, pmgen's generator starts every "
                                         "declared app at boot", 0 },
        { "wait-ip", 0, false, F_REFUSE, NULL, "a startup option: there is no startup script; add `after: "
                                               "[\"network-online.target\"]` to the app's declaration", 0 },
        { "service-name", 0, true, F_REFUSE, NULL, "a startup option: there is no startup script; the units are "
                                                   "named after the app (NAME@N.service, NAME.target)", 0 },
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

bool adhoc_name_ok(const char *s) {
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
                                q = fail(err, "unknown option %s (see pmgen start --help)", spelled);
                                break;
                        }
                        if (a[2 + len] == '=') {
                                if (!f->arg && f->kind != F_WATCH) {
                                        q = fail(err, "%s takes no value", spelled);
                                        break;
                                }
                                val = a + 3 + len;
                        }
                } else {
                        f = find_short(a[1]);
                        snprintf(spelled, sizeof(spelled), "-%c", a[1]);
                        if (!f) {
                                q = fail(err, "unknown option %s (see pmgen start --help)", spelled);
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
                /* --watch [PATHS]: the next word is its paths once the script is named (pmgen start app.js --watch
                 * src); before it, the word is the script (pmgen start --watch app.js) */
                if (f->kind == F_WATCH && !val && r.target && i + 1 < argc && argv[i + 1][0] != '-')
                        val = argv[++i];
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
        if (q == 0 && r.n_args && r.form == START_APP)
                q = fail(err, "arguments after -- go to a script; '%s' is not a file here, so it names an app (a program "
                              "such as npm: give its path, `pmgen start \"$(command -v npm)\" --name app -- start`)",
                         r.target);
        else if (q == 0 && r.n_args && r.form != START_SCRIPT)
                q = fail(err, "arguments after -- go to a script; %s is an ecosystem file", r.target);
        for (size_t k = 0; q == 0 && k < ng; k++) {
                const flag *f = g[k].f;
                const char *v = g[k].val, *bad;
                char dash[48];

                /* -e is PM2's --error for a script; for an ecosystem file it is pmgen's -e, --env */
                if (r.form == START_ECOSYSTEM && g[k].shrt && f->shrt == 'e')
                        f = find_long("env", 3);

                if (g[k].shrt || !f->lng)
                        snprintf(dash, sizeof(dash), "-%c", f->shrt);
                else
                        snprintf(dash, sizeof(dash), "--%s", f->lng);
                if (r.target && (bad = flag_form_error(f, r.form))) {
                        if (r.form == START_APP)
                                q = fail(err, "%s goes with a script or an ecosystem file; '%s' is not a file here, so it "
                                              "names an app%s",
                                         dash, r.target,
                                         f->kind == F_INST ? " (`pmgen scale APP N` changes its instances)"
                                                           : " (a program such as npm: give its path, `pmgen start "
                                                             "\"$(command -v npm)\" --name app -- start`)");
                        else
                                q = fail(err, "%s does not go with %s", dash, bad);
                        break;
                }
                switch (f->kind) {
                case F_NAME:
                        if (!adhoc_name_ok(v))
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
                case F_WATCH:
                        if (!v)
                                q = kv_set(&r, "watch", "true", false);
                        else if (!*v || strspn(v, ", ") == strlen(v) || strchr(v, '\n'))
                                q = fail(err, "--watch: expected paths separated by commas, found '%s'", v);
                        else if ((q = kv_set(&r, "watch", v, true)) == 0)
                                for (size_t j = 0; j < r.n_kv; j++)
                                        if (strcmp(r.kv[j].key, "watch") == 0)
                                                for (char *c = r.kv[j].val; *c; c++)
                                                        *c = *c == ',' ? ' ' : *c;
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
                const char *k = r->kv[i].key;

                /* log files as PM2 takes them: relative to the working directory */
                if (cwd_abs && r->kv[i].val[0] != '/' &&
                    (strcmp(k, "out_file") == 0 || strcmp(k, "error_file") == 0 || strcmp(k, "log_file") == 0)) {
                        strbuf p = STRBUF_INIT;

                        strbuf_addf(&p, "%s/%s", cwd_abs, r->kv[i].val);
                        q = p.oom ? -ENOMEM : obj_str(ao, k, strbuf_str(&p), w);
                        strbuf_free(&p);
                        continue;
                }
                q = r->kv[i].list ? obj_words(ao, k, r->kv[i].val, w) : obj_str(ao, k, r->kv[i].val, w);
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
