/* SPDX-License-Identifier: MIT */
#include "pm2compat.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adhoc.h"
#include "cli.h"
#include "compile.h"
#include "parse-js.h"
#include "table.h"

/* ---- the mapping (pure) ---------------------------------------------------------------------------- */

static void push(pm2_action *a, const char *s) {
        if (a->argc < PM2_ARGV_MAX - 1) {
                a->argv[a->argc++] = s;
                a->argv[a->argc] = NULL;
        }
}

static int say(pm2_action *a, pm2_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(pm2_action *a, pm2_kind kind, const char *fmt, ...) {
        strbuf sb = STRBUF_INIT;
        va_list ap;

        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        free(a->message);
        a->message = strbuf_steal(&sb);
        a->kind = kind;
        return a->message ? 0 : -ENOMEM;
}

static bool is_id(const char *s) {
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* An app (or all, or a namespace), or a pm_id: resolved by pm2_main (pm2_id_target) before pmgen runs. */
static void push_target(pm2_action *a, const char *s, bool app_only) {
        if (is_id(s)) {
                a->kind = PM2_ID;
                a->id_at = a->argc;
                a->id_app = app_only;
        }
        push(a, s);
}

static bool is_file_arg(const char *s) {
        return start_form_of(s, false) == START_ECOSYSTEM;
}

int pm2_signal_number(const char *s) {
        static const struct {
                const char *name;
                int sig;
        } sigs[] = { { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
                     { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
                     { "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "ALRM", SIGALRM } };
        char *end = NULL;
        long x;

        if (is_id(s)) {
                errno = 0;
                x = strtol(s, &end, 10);
                return errno || x < 1 || x > 64 ? -EINVAL : (int) x;
        }
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                if (strcmp(sigs[i].name, s) == 0)
                        return sigs[i].sig;
        return -EINVAL;
}

#define SETTINGS "declare settings in the ecosystem file (pmgen apply) or with `systemctl edit NAME@.service`"
#define MODULES "pmgen has no module system: install what an app needs with npm"
#define PM2IO "PM2.io does not exist under pmgen"
#define GIT "pmgen does not pull code: update the checkout with your deploy tool, then `pm2 reload ecosystem.config.js`"
#define METRICS "system and process metrics: `pmgen monit`, `pmgen ls`, systemd-cgtop"

/* PM2 commands that have no pmgen counterpart, and what to do instead. */
static const struct {
        const char *cmd;
        const char *instead;
} unmapped[] = {
        { "deploy", "deploy with your deploy tool, then `pm2 startOrReload ecosystem.config.js` (pmgen apply)" },
        { "install", MODULES },
        { "module:install", MODULES },
        { "uninstall", MODULES },
        { "module:uninstall", MODULES },
        { "module:update", MODULES },
        { "module:generate", MODULES },
        { "module:publish", MODULES },
        { "publish", MODULES },
        { "package", MODULES },
        { "autoinstall", MODULES },
        { "set", SETTINGS },
        { "multiset", SETTINGS },
        { "get", SETTINGS " (pmgen has no module settings to read)" },
        { "unset", SETTINGS },
        { "conf", SETTINGS },
        { "config", SETTINGS },
        { "reset", "restart counts are systemd's NRestarts, cleared when a unit restarts from a failed state "
                   "(`systemctl reset-failed 'NAME@*'`); an app that reached max_restarts starts again with "
                   "`pmgen reset NAME`" },
        { "trigger", "PM2 actions do not exist under pmgen: send a signal with `pm2 sendSignal SIGNAL NAME`" },
        { "inspect", "add --inspect to interpreter_args in the declaration and reload" },
        { "profile:cpu", "add --cpu-prof to interpreter_args in the declaration and reload (node writes the profile "
                         "when it exits)" },
        { "profile:mem", "add --heap-prof to interpreter_args in the declaration and reload (node writes the profile "
                         "when it exits)" },
        { "link", PM2IO },
        { "unlink", PM2IO },
        { "plus", PM2IO },
        { "register", PM2IO },
        { "login", PM2IO },
        { "logout", PM2IO },
        { "monitor", PM2IO },
        { "unmonitor", PM2IO },
        { "open", PM2IO },
        { "sysmonit", METRICS },
        { "slist", METRICS },
        { "sysinfos", METRICS },
        { "serve", "serve static files with a web server, or declare a script that does" },
        { "expose", "serve static files with a web server, or declare a script that does" },
        { "report", "`pmgen describe NAME` and `journalctl -u 'NAME@*'`" },
        { "ecosystem", "write the file by hand, or `pmgen import` PM2's dump" },
        { "init", "write the file by hand, or `pmgen import` PM2's dump" },
        { "create", "write the file by hand, or `pmgen import` PM2's dump" },
        { "attach", "`pmgen logs NAME -f` follows its output" },
        { "send", "an instance's stdin is not connected under systemd: talk to the app over its port or a signal "
                  "(`pm2 sendSignal`)" },
        { "pull", GIT },
        { "forward", GIT },
        { "backward", GIT },
        { "logrotate", "the journal rotates itself (journald.conf: SystemMaxUse=); for apps with out_file/error_file, "
                       "copy contrib/logrotate.d/pmgen (in /usr/share/doc/pmgen/examples) to /etc/logrotate.d and "
                       "set its path (copytruncate)" },
};

/* PM2 commands that mean nothing under systemd: they succeed with a word on why. */
static const struct {
        const char *cmd;
        const char *why;
} notes[] = {
        { "save", "nothing to save: pmgen's declarations (/etc/pmgen, ~/.config/pmgen) persist as they are applied" },
        { "dump", "nothing to save: pmgen's declarations (/etc/pmgen, ~/.config/pmgen) persist as they are applied" },
        { "cleardump", "nothing to clear: pmgen keeps no dump; an app is forgotten when it is deleted (`pmgen delete NAME`)" },
        { "resurrect", "nothing to resurrect: systemd starts every declared app at boot (`pmgen start all` starts stopped ones)" },
        { "startup", "nothing to install: pmgen's systemd generator makes every declared app start at boot" },
        { "unstartup", "nothing to remove: an app stops starting at boot when it is deleted (`pmgen delete NAME`)" },
        { "update", "nothing to update: there is no daemon; systemd runs the apps" },
        { "updatePM2", "nothing to update: there is no daemon; systemd runs the apps" },
        { "deepUpdate", "nothing to update: there is no daemon; systemd runs the apps" },
        { "flush", "nothing flushed: the journal rotates by itself (journald.conf: SystemMaxUse=; `journalctl "
                   "--vacuum-time=1s` empties it); an app with out_file/error_file writes to those files, which "
                   "pmgen does not truncate: `truncate -s 0 FILE`, or rotate them with logrotate (contrib/logrotate.d, "
                   "copytruncate)" },
        { "reloadLogs", "nothing to reopen: journald needs no log reopening, and systemd opens out_file/error_file "
                        "with O_APPEND, so logrotate's copytruncate (contrib/logrotate.d) needs no reopening either" },
        { "reloadLogsSilently", "nothing to reopen: journald needs no log reopening, and systemd opens "
                                "out_file/error_file with O_APPEND (rotate them with logrotate's copytruncate)" },
        { "ping", "pong: no daemon to ping, systemd runs the apps" },
};

typedef struct popts {
        const char *profile, *only, *lines, *name, *instances;
        bool update_env, err, out, nostream, json, watch, no_watch, timestamp;
        const char *pos[8];
        int npos;
} popts;

/* The options of every command but start (whose arguments go to pmgen start as they are). */
static int parse_opts(pm2_action *a, const char *cmd, int argc, char **argv, int i, popts *p) {
        bool logs = strcmp(cmd, "logs") == 0 || strcmp(cmd, "log") == 0;

        for (; i < argc; i++) {
                const char *s = argv[i];
                const char **val = NULL;

                if (strcmp(s, "--env") == 0)
                        val = &p->profile;
                else if (strcmp(s, "--only") == 0)
                        val = &p->only;
                else if (strcmp(s, "--lines") == 0 || (logs && strcmp(s, "-n") == 0))
                        val = &p->lines;
                else if (strcmp(s, "--name") == 0 || strcmp(s, "-n") == 0)
                        val = &p->name;
                else if (strcmp(s, "-i") == 0 || strcmp(s, "--instances") == 0)
                        val = &p->instances;
                else if (strcmp(s, "--parallel") == 0 || strcmp(s, "--wait-ready") == 0) {
                        /* accepted: rolling reloads go one instance at a time and wait for readiness anyway */
                        if (strcmp(s, "--parallel") == 0)
                                i++;
                        continue;
                } else if (strcmp(s, "--timestamp") == 0 || strncmp(s, "--timestamp=", 12) == 0) {
                        /* --timestamp [format]: commander takes the next word as the format */
                        p->timestamp = true;
                        if (s[11] == '\0' && i + 1 < argc && argv[i + 1][0] != '-')
                                i++;
                        continue;
                } else if (strcmp(s, "--update-env") == 0 || strcmp(s, "-a") == 0)
                        p->update_env = true;
                else if (strcmp(s, "--err") == 0)
                        p->err = true;
                else if (strcmp(s, "--out") == 0)
                        p->out = true;
                else if (strcmp(s, "--nostream") == 0)
                        p->nostream = true;
                else if (strcmp(s, "--json") == 0)
                        p->json = true;
                else if (strcmp(s, "--watch") == 0)
                        p->watch = true;
                else if (strcmp(s, "--no-watch") == 0)
                        p->no_watch = true;
                else if (strcmp(s, "-s") == 0 || strcmp(s, "--silent") == 0)
                        a->quiet = true;
                else if (strcmp(s, "-f") == 0 || strcmp(s, "--force") == 0 || strcmp(s, "--no-color") == 0 ||
                         strcmp(s, "--raw") == 0 || strcmp(s, "--mini-list") == 0 || strcmp(s, "-m") == 0 ||
                         strcmp(s, "--no-daemon") == 0)
                        ;
                else if (s[0] == '-' && s[1])
                        return say(a, PM2_ERROR, "pm2 %s: option %s has no pmgen counterpart (see pmgen-pm2(1))", cmd, s);
                else if (p->npos < 8)
                        p->pos[p->npos++] = s;
                else
                        return say(a, PM2_ERROR, "pm2 %s: too many arguments", cmd);
                if (val) {
                        if (i + 1 >= argc)
                                return say(a, PM2_ERROR, "pm2 %s: %s needs a value", cmd, s);
                        *val = argv[++i];
                }
        }
        if (p->name)
                return say(a, PM2_ERROR, "pm2 %s --name: only `pm2 start SCRIPT --name NAME` names an app; declare "
                                         "the name in the ecosystem file",
                           cmd);
        if (p->instances)
                return say(a, PM2_ERROR, "pm2 %s -i: change an app's instances with `pm2 scale APP N`, or declare "
                                         "them in the ecosystem file",
                           cmd);
        if (p->out)
                return say(a, PM2_ERROR, "pm2 %s --out: the journal does not record which stream a line came from: "
                                         "`pm2 logs` shows both, --err the lines at priority warning or worse; an app "
                                         "with out_file writes its stdout to that file",
                           cmd);
        if (p->timestamp && !logs)
                return say(a, PM2_ERROR, "pm2 %s: option --timestamp goes with pm2 logs", cmd);
        return 0;
}

static void common(pm2_action *a) {
        if (a->user)
                push(a, "--user");
        if (a->quiet)
                push(a, "-q");
}

int pm2_map(int argc, char **argv, bool user, pm2_action *a) {
        const char *cmd = NULL;
        popts p = { 0 };
        int i = 1, r;

        *a = (pm2_action){ .kind = PM2_EXEC, .user = user };
        push(a, "pmgen");
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *s = argv[i];

                if (strcmp(s, "-v") == 0 || strcmp(s, "-V") == 0 || strcmp(s, "--version") == 0) {
                        a->kind = PM2_VERSION;
                        return 0;
                }
                if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
                        a->kind = PM2_HELP;
                        return 0;
                }
                if (strcmp(s, "-s") == 0 || strcmp(s, "--silent") == 0)
                        a->quiet = true;
                else if (strcmp(s, "--no-color") != 0)
                        return say(a, PM2_ERROR, "pm2: option %s before the command has no pmgen counterpart", s);
        }
        if (i >= argc) {
                a->kind = PM2_HELP;
                return 0;
        }
        cmd = argv[i++];
        if (argc > PM2_ARGV_MAX - 8)
                return say(a, PM2_ERROR, "pm2 %s: too many arguments", cmd);
        if (strcmp(cmd, "version") == 0) {
                a->kind = PM2_VERSION;
                return 0;
        }
        if (strcmp(cmd, "help") == 0) {
                a->kind = PM2_HELP;
                return 0;
        }
        for (size_t k = 0; k < sizeof(notes) / sizeof(notes[0]); k++)
                if (strcmp(cmd, notes[k].cmd) == 0)
                        return say(a, PM2_NOTE, "pm2 %s: %s", cmd, notes[k].why);
        for (size_t k = 0; k < sizeof(unmapped) / sizeof(unmapped[0]); k++)
                if (strcmp(cmd, unmapped[k].cmd) == 0 || (strncmp(cmd, "module:", 7) == 0 && strcmp(unmapped[k].cmd, "install") == 0))
                        return say(a, PM2_ERROR, "pm2 %s: not under pmgen: %s", cmd, unmapped[k].instead);
        /* start: pmgen start takes PM2's flags itself (adhoc.h). */
        if (strcmp(cmd, "start") == 0) {
                push(a, "start");
                if (i + 1 == argc && is_id(argv[i])) { /* pm2 start 3: start that stopped process again */
                        push_target(a, argv[i], false);
                        common(a);
                        return 0;
                }
                for (; i < argc; i++) {
                        if (strcmp(argv[i], "--") == 0)
                                break;
                        push(a, argv[i]);
                }
                common(a);
                for (; i < argc; i++)
                        push(a, argv[i]);
                return 0;
        }
        if ((r = parse_opts(a, cmd, argc, argv, i, &p)) < 0 || a->kind == PM2_ERROR)
                return r;
        a->profile = p.profile;
        a->only = p.only;
        if (strcmp(cmd, "startOrReload") == 0 || strcmp(cmd, "startOrGracefulReload") == 0 ||
            strcmp(cmd, "startOrRestart") == 0) {
                if (p.npos != 1 || !is_file_arg(p.pos[0]))
                        return say(a, PM2_ERROR, "pm2 %s: expected an ecosystem file (.config.js, .json or .ini)", cmd);
                if (p.watch || p.no_watch)
                        return say(a, PM2_ERROR, "pm2 %s --watch: declare watch in the ecosystem file and apply it "
                                                 "(pmgen makes a NAME-watch.path unit)", cmd);
                a->kind = PM2_FILE;
                a->file = p.pos[0];
                a->then = strcmp(cmd, "startOrRestart") == 0 ? "restart" : "reload";
                return 0;
        }
        if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0 || strcmp(cmd, "reload") == 0 ||
            strcmp(cmd, "gracefulReload") == 0 || strcmp(cmd, "delete") == 0 || strcmp(cmd, "del") == 0) {
                const char *verb = strcmp(cmd, "gracefulReload") == 0 ? "reload" : strcmp(cmd, "del") == 0 ? "delete" : cmd;

                if (p.npos != 1)
                        return say(a, PM2_ERROR, "pm2 %s: expected one app name, all, or an ecosystem file", cmd);
                if (p.watch || p.no_watch)
                        return say(a, PM2_ERROR, "pm2 %s --watch: declare watch in the ecosystem file and apply it "
                                                 "(pmgen makes a NAME-watch.path unit)", cmd);
                if (is_id(p.pos[0]) && strcmp(verb, "delete") == 0)
                        return say(a, PM2_ERROR, "pm2 %s %s: pmgen deletes whole apps: pm2 delete NAME (pm2 jlist shows "
                                                 "the name of pm_id %s), or stop one instance: pm2 stop %s",
                                   cmd, p.pos[0], p.pos[0], p.pos[0]);
                if (is_file_arg(p.pos[0])) {
                        a->file = p.pos[0];
                        a->then = verb;
                        a->kind = strcmp(verb, "stop") == 0 || strcmp(verb, "delete") == 0 ? PM2_FILE_APPS : PM2_FILE;
                        return 0;
                }
                if (p.profile || p.only)
                        return say(a, PM2_ERROR, "pm2 %s %s: --env and --only go with an ecosystem file", cmd, p.pos[0]);
                push(a, verb);
                push_target(a, p.pos[0], false);
                if (p.update_env && strcmp(verb, "restart") == 0)
                        push(a, "--update-env");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "monit") == 0 || strcmp(cmd, "imonit") == 0 || strcmp(cmd, "dashboard") == 0 ||
            strcmp(cmd, "dash") == 0) {
                push(a, "monit");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "list") == 0 || strcmp(cmd, "ls") == 0 || strcmp(cmd, "l") == 0 || strcmp(cmd, "status") == 0 ||
            strcmp(cmd, "ps") == 0) {
                push(a, "ls");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "jlist") == 0 || strcmp(cmd, "prettylist") == 0) {
                a->kind = PM2_JLIST;
                a->pretty = cmd[0] == 'p';
                push(a, "ls");
                push(a, "--json");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "logs") == 0 || strcmp(cmd, "log") == 0) {
                if (p.npos > 1)
                        return say(a, PM2_ERROR, "pm2 logs: expected at most one app");
                push(a, "logs");
                if (p.npos && strcmp(p.pos[0], "all") != 0)
                        push_target(a, p.pos[0], false);
                if (p.lines) {
                        push(a, "--lines");
                        push(a, p.lines);
                }
                if (!p.nostream)
                        push(a, "--follow");
                if (p.err)
                        push(a, "--err");
                if (p.timestamp)
                        push(a, "--time");
                if (p.json)
                        push(a, "--json");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "describe") == 0 || strcmp(cmd, "desc") == 0 || strcmp(cmd, "show") == 0 ||
            strcmp(cmd, "info") == 0 || strcmp(cmd, "env") == 0) {
                if (p.npos != 1)
                        return say(a, PM2_ERROR, "pm2 %s: expected one app name", cmd);
                /* env: the environment the app really runs with (pmgen env takes the app: its first instance) */
                push(a, strcmp(cmd, "env") == 0 ? "env" : "describe");
                push_target(a, p.pos[0], true);
                common(a);
                return 0;
        }
        if (strcmp(cmd, "scale") == 0) {
                if (p.npos != 2)
                        return say(a, PM2_ERROR, "pm2 scale: expected APP N (or +N, -N)");
                push(a, "scale");
                push(a, p.pos[0]);
                push(a, p.pos[1]);
                common(a);
                return 0;
        }
        if (strcmp(cmd, "sendSignal") == 0) {
                if (p.npos != 2)
                        return say(a, PM2_ERROR, "pm2 sendSignal: expected SIGNAL APP");
                a->signal = pm2_signal_number(p.pos[0]);
                if (a->signal < 0)
                        return say(a, PM2_ERROR, "pm2 sendSignal: '%s' is not a signal (SIGUSR2, USR2 or a number)",
                                   p.pos[0]);
                a->kind = PM2_SIGNAL;
                a->app = p.pos[1];
                a->by_id = is_id(p.pos[1]);
                push(a, "ls");
                push(a, "--json");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "id") == 0 || strcmp(cmd, "pid") == 0) {
                if (cmd[0] == 'i' ? p.npos != 1 : p.npos > 1)
                        return say(a, PM2_ERROR, "pm2 %s: expected %s", cmd, cmd[0] == 'i' ? "one app name" : "at most one app name");
                a->kind = cmd[0] == 'i' ? PM2_IDS : PM2_PIDS;
                a->app = p.npos ? p.pos[0] : NULL;
                push(a, "ls");
                push(a, "--json");
                common(a);
                return 0;
        }
        if (strcmp(cmd, "examples") == 0) {
                a->kind = PM2_HELP;
                return 0;
        }
        if (strcmp(cmd, "kill") == 0) {
                push(a, "stop");
                push(a, "all");
                common(a);
                return say(a, PM2_EXEC, "pm2 kill: there is no daemon to kill; stopping every app (they start again "
                                        "at boot: `pmgen delete` removes one)");
        }
        if (strcmp(cmd, "stopAll") == 0 || strcmp(cmd, "restartAll") == 0)
                return say(a, PM2_ERROR, "pm2 %s: `pm2 %s all`", cmd, strcmp(cmd, "stopAll") == 0 ? "stop" : "restart");
        return say(a, PM2_ERROR, "pm2 %s: unknown command; pmgen-pm2(1) lists what PM2's commands become, `pmgen --help` "
                                 "pmgen's own", cmd);
}

void pm2_action_free(pm2_action *a) {
        if (!a)
                return;
        free(a->message);
        a->message = NULL;
        free(a->id_target);
        a->id_target = NULL;
}

/* ---- jlist (pure) ------------------------------------------------------------------------------------ */

static const value *field(const value *o, const char *key) {
        const member *m = value_object_get(o, key);

        return m ? m->val : NULL;
}

static const char *str_of(const value *o, const char *key) {
        const value *v = field(o, key);

        return v && v->type == V_STRING ? v->str.s : NULL;
}

static double num_of(const value *o, const char *key, double dflt) {
        const value *v = field(o, key);

        return v && v->type == V_NUMBER ? v->num : dflt;
}

static void nl(strbuf *out, bool pretty, int depth) {
        if (pretty) {
                strbuf_addc(out, '\n');
                for (int i = 0; i < depth; i++)
                        strbuf_adds(out, "  ");
        }
}

/* "key": (with the separator before it unless first) */
static void key(strbuf *out, bool pretty, int depth, bool *first, const char *k) {
        if (!*first)
                strbuf_addc(out, ',');
        *first = false;
        nl(out, pretty, depth);
        json_string(out, k);
        strbuf_adds(out, pretty ? ": " : ":");
}

int pm2_id_target(const value *ls, const char *id, bool app_only, strbuf *out) {
        const value *r;
        const char *an, *inst;
        char *end = NULL;
        unsigned long k;

        if (!ls || ls->type != V_ARRAY)
                return -EINVAL;
        errno = 0;
        k = strtoul(id, &end, 10);
        if (!is_id(id) || errno || *end || k >= ls->arr.n)
                return -ENOENT;
        r = ls->arr.items[k];
        an = r->type == V_OBJECT ? str_of(r, "app") : NULL;
        inst = r->type == V_OBJECT ? str_of(r, "instance") : NULL;
        if (!an || !inst)
                return -EINVAL;
        strbuf_adds(out, an);
        if (!app_only)
                strbuf_addf(out, "@%s", inst);
        return out->oom ? -ENOMEM : 0;
}

static bool rows_ok(const value *ls) {
        if (!ls || ls->type != V_ARRAY)
                return false;
        for (size_t i = 0; i < ls->arr.n; i++)
                if (ls->arr.items[i]->type != V_OBJECT || !str_of(ls->arr.items[i], "app"))
                        return false;
        return true;
}

int pm2_ids(const value *ls, const char *name, strbuf *out) {
        bool first = true;

        if (!rows_ok(ls))
                return -EINVAL;
        strbuf_addc(out, '[');
        for (size_t i = 0; i < ls->arr.n; i++)
                if (strcmp(str_of(ls->arr.items[i], "app"), name) == 0) {
                        strbuf_addf(out, "%s %zu", first ? "" : ",", i);
                        first = false;
                }
        strbuf_adds(out, first ? "]\n" : " ]\n");
        return out->oom ? -ENOMEM : 0;
}

int pm2_pids(const value *ls, const char *name, strbuf *out) {
        if (!rows_ok(ls))
                return -EINVAL;
        for (size_t i = 0; i < ls->arr.n; i++) {
                const value *r = ls->arr.items[i];
                double pid = num_of(r, "pid", 0);

                if (!name || strcmp(str_of(r, "app"), name) == 0)
                        strbuf_addf(out, "%.0f\n", pid > 0 ? pid : 0);
        }
        return out->oom ? -ENOMEM : 0;
}

int pm2_jlist(const value *ls, uint64_t now_ms, bool pretty, strbuf *out) {
        if (!ls || ls->type != V_ARRAY)
                return -EINVAL;
        for (size_t i = 0; i < ls->arr.n; i++) {
                const value *r = ls->arr.items[i];

                if (r->type != V_OBJECT || !str_of(r, "app") || !str_of(r, "instance") || !str_of(r, "status"))
                        return -EINVAL;
        }
        strbuf_addc(out, '[');
        for (size_t i = 0; i < ls->arr.n; i++) {
                const value *r = ls->arr.items[i];
                const char *an = str_of(r, "app"), *inst = str_of(r, "instance"), *unit = str_of(r, "unit");
                double pid = num_of(r, "pid", 0), up = num_of(r, "uptime_ms", -1), cpu = num_of(r, "cpu_percent", 0),
                       mem = num_of(r, "memory_bytes", 0), restarts = num_of(r, "restarts", 0), port = num_of(r, "port", 0);
                uint64_t started = up >= 0 && (uint64_t) up <= now_ms ? now_ms - (uint64_t) up : 0;
                unsigned count = 0;
                bool first = true, f2, f3;

                for (size_t k = 0; k < ls->arr.n; k++)
                        count += strcmp(str_of(ls->arr.items[k], "app"), an) == 0;
                if (i)
                        strbuf_addc(out, ',');
                nl(out, pretty, 1);
                strbuf_addc(out, '{');
                key(out, pretty, 2, &first, "pid");
                strbuf_addf(out, "%.0f", pid);
                key(out, pretty, 2, &first, "name");
                json_string(out, an);
                key(out, pretty, 2, &first, "pm_id");
                strbuf_addf(out, "%zu", i);
                key(out, pretty, 2, &first, "monit");
                strbuf_addc(out, '{');
                f2 = true;
                key(out, pretty, 3, &f2, "memory");
                strbuf_addf(out, "%.0f", mem);
                key(out, pretty, 3, &f2, "cpu");
                strbuf_addf(out, "%.1f", cpu);
                nl(out, pretty, 2);
                strbuf_addc(out, '}');
                key(out, pretty, 2, &first, "pm2_env");
                strbuf_addc(out, '{');
                f3 = true;
                key(out, pretty, 3, &f3, "name");
                json_string(out, an);
                key(out, pretty, 3, &f3, "pm_id");
                strbuf_addf(out, "%zu", i);
                key(out, pretty, 3, &f3, "status");
                json_string(out, str_of(r, "status"));
                key(out, pretty, 3, &f3, "restart_time");
                strbuf_addf(out, "%.0f", restarts);
                key(out, pretty, 3, &f3, "unstable_restarts");
                strbuf_adds(out, "0");
                key(out, pretty, 3, &f3, "pm_uptime");
                strbuf_addf(out, "%" PRIu64, started);
                key(out, pretty, 3, &f3, "created_at");
                strbuf_addf(out, "%" PRIu64, started);
                key(out, pretty, 3, &f3, "instances");
                strbuf_addf(out, "%u", count);
                key(out, pretty, 3, &f3, "NODE_APP_INSTANCE");
                strbuf_adds(out, inst);
                key(out, pretty, 3, &f3, "namespace");
                json_string(out, "default");
                key(out, pretty, 3, &f3, "unit");
                json_string(out, unit ? unit : "");
                key(out, pretty, 3, &f3, "port");
                if (port > 0)
                        strbuf_addf(out, "%.0f", port);
                else
                        strbuf_adds(out, "null");
                nl(out, pretty, 2);
                strbuf_addc(out, '}');
                nl(out, pretty, 1);
                strbuf_addc(out, '}');
        }
        if (ls->arr.n)
                nl(out, pretty, 0);
        strbuf_adds(out, "]\n");
        return out->oom ? -ENOMEM : 0;
}

/* ---- the edge ------------------------------------------------------------------------------------------ */

static const char pm2_usage[] =
        "Usage: pm2 COMMAND [ARG...]   (pmgen's PM2 compatibility command; see pmgen-pm2(1))\n"
        "\n"
        "  start SCRIPT|FILE|APP [PM2 flags]   pmgen start (a script is declared and applied)\n"
        "  stop|restart|reload|delete APP|all|FILE\n"
        "  startOrReload|startOrRestart|startOrGracefulReload FILE [--env NAME] [--only A,B]\n"
        "  list|ls|status, jlist, prettylist, logs [APP] [--lines N] [--nostream] [--err]\n"
        "  monit|dashboard (pmgen monit)\n"
        "  describe|show APP, env APP, id APP, pid [APP], scale APP N, sendSignal SIGNAL APP, kill\n"
        "  save, cleardump, resurrect, startup, unstartup, update, flush, reloadLogs, ping: nothing\n"
        "    to do under systemd (each says why and exits 0)\n"
        "  PM2's other commands (set, install, link, serve, pull …) say what to do instead (exit 2)\n";

static const char *self_exe(void) {
        return "/proc/self/exe";
}

/* Runs pmgen with argv (NULL-terminated), waits. Its exit status. out: its stdout, when wanted. */
static int run_pmgen(const char *const *argv, strbuf *out) {
        int fds[2] = { -1, -1 }, status;
        pid_t pid;

        if (out && pipe2(fds, O_CLOEXEC) < 0)
                return EXIT_SYSTEM;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                if (out) {
                        close(fds[0]);
                        close(fds[1]);
                }
                return EXIT_SYSTEM;
        }
        if (pid == 0) {
                if (out && dup2(fds[1], STDOUT_FILENO) < 0)
                        _exit(EXIT_SYSTEM);
                execv(self_exe(), (char *const *) argv);
                _exit(127);
        }
        if (out) {
                char buf[8192];
                ssize_t n;

                close(fds[1]);
                while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                break;
                        strbuf_add(out, buf, (size_t) n);
                }
                close(fds[0]);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return EXIT_SYSTEM;
        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_SYSTEM;
}

static void print_argv(const pm2_action *a, const char *const *argv) {
        if (a->quiet || !isatty(STDERR_FILENO))
                return;
        fputs("pm2 →", stderr);
        for (size_t i = 0; argv[i]; i++)
                fprintf(stderr, " %s", argv[i]);
        fputc('\n', stderr);
}

/* pmgen ls --json, parsed. */
static int ls_rows(const pm2_action *a, value **rows) {
        const char *argv[] = { "pmgen", "ls", "--json", a->user ? "--user" : NULL, NULL };
        strbuf out = STRBUF_INIT;
        diag_list dl = DIAG_LIST_INIT;
        int ret = run_pmgen(argv, &out), q;

        if (ret == 0) {
                q = js_parse("pmgen ls --json", "/pmgen-ls.json", strbuf_str(&out), out.len, NULL, rows, &dl);
                if (q < 0) {
                        fprintf(stderr, "pm2: cannot read pmgen ls --json\n");
                        ret = EXIT_SYSTEM;
                }
        }
        strbuf_free(&out);
        diag_list_free(&dl);
        return ret;
}

/* jlist and prettylist, pm2 id APP, pm2 pid [APP]: pmgen ls --json's rows, printed in PM2's shape. */
static int do_rows(const pm2_action *a) {
        value *rows = NULL;
        strbuf out = STRBUF_INIT;
        struct timespec ts;
        int ret = ls_rows(a, &rows), r = 0;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (ret == 0)
                r = a->kind == PM2_IDS    ? pm2_ids(rows, a->app, &out)
                    : a->kind == PM2_PIDS ? pm2_pids(rows, a->app, &out)
                                          : pm2_jlist(rows, (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000,
                                                      a->pretty, &out);
        if (r < 0) {
                fprintf(stderr, "pm2: pmgen ls --json is not in the expected shape\n");
                ret = EXIT_SYSTEM;
        }
        if (ret == 0 && (fwrite(strbuf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0))
                ret = EXIT_SYSTEM;
        value_free(rows);
        strbuf_free(&out);
        return ret;
}

/* A pm_id (pm2_id_target) for pmgen: put in place in a->argv. An exit status. */
static int resolve_id(pm2_action *a, const char *id, bool app_only, char **target) {
        value *rows = NULL;
        strbuf sb = STRBUF_INIT;
        int ret = ls_rows(a, &rows), q;

        if (ret == 0 && (q = pm2_id_target(rows, id, app_only, &sb)) < 0) {
                if (q == -ENOENT)
                        fprintf(stderr, "pm2: no process with pm_id %s (pm2 jlist lists them; a pm_id is an instance's "
                                        "place in pmgen ls)\n", id);
                else
                        fprintf(stderr, "pm2: pmgen ls --json is not in the expected shape\n");
                ret = q == -ENOENT ? EXIT_NOAPP : EXIT_SYSTEM;
        }
        value_free(rows);
        if (ret == 0)
                *target = strbuf_steal(&sb);
        strbuf_free(&sb);
        return ret == 0 && !*target ? EXIT_SYSTEM : ret;
}

static int do_signal(const pm2_action *a) {
        value *rows = NULL;
        int ret = ls_rows(a, &rows), sent = 0, known = 0;

        for (size_t i = 0; ret == 0 && rows && rows->type == V_ARRAY && i < rows->arr.n; i++) {
                const value *r = rows->arr.items[i];
                const char *an = str_of(r, "app");
                double pid = num_of(r, "pid", 0);

                if (!an || (a->by_id ? strtoul(a->app, NULL, 10) != i : strcmp(an, a->app) != 0))
                        continue;
                known++;
                if (pid < 1 || pid > 4194304)
                        continue;
                if (kill((pid_t) pid, a->signal) < 0)
                        fprintf(stderr, "pm2: kill %.0f: %s\n", pid, strerror(errno));
                else {
                        sent++;
                        if (!a->quiet)
                                printf("signal %d sent to %s instance %s (pid %.0f)\n", a->signal, an, str_of(r, "instance"),
                                       pid);
                }
        }
        value_free(rows);
        if (ret)
                return ret;
        if (!known) {
                fprintf(stderr, a->by_id ? "pm2 sendSignal: no process with pm_id %s (pm2 jlist lists them)\n"
                                         : "pm2 sendSignal: no app '%s'\n", a->app);
                return EXIT_NOAPP;
        }
        if (!sent) {
                fprintf(stderr, "pm2 sendSignal: no running instance of %s\n", a->app);
                return EXIT_UNIT;
        }
        return 0;
}

/* reload/restart/stop/delete of every app of an ecosystem file (after applying it, for PM2_FILE). */
static int do_file(const pm2_action *a) {
        compile_opts co = { .shim_path = PMGEN_SHIM_PATH, .preload_path = PMGEN_NODE_PRELOAD_PATH,
                            .bind_preload_path = PMGEN_BIND_PRELOAD_PATH, .generator = "pmgen", .profile = a->profile };
        diag_list dl = DIAG_LIST_INIT;
        decl_file d = { 0 };
        int ret = 0, q;

        q = decl_load(a->file, &co, &d, &dl);
        print_diags(&dl, a->quiet);
        diag_list_free(&dl);
        if (q < 0)
                return q == -ENOMEM ? EXIT_SYSTEM : EXIT_DECL;
        if (a->kind == PM2_FILE) {
                const char *argv[12] = { "pmgen", "start", a->file };
                int n = 3;

                if (a->profile) {
                        argv[n++] = "--env";
                        argv[n++] = a->profile;
                }
                if (a->only) {
                        argv[n++] = "--only";
                        argv[n++] = a->only;
                }
                if (a->user)
                        argv[n++] = "--user";
                if (a->quiet)
                        argv[n++] = "-q";
                argv[n] = NULL;
                print_argv(a, argv);
                ret = run_pmgen(argv, NULL);
        }
        for (size_t i = 0; ret == 0 && i < d.m.n_apps; i++) {
                const char *argv[8] = { "pmgen", a->then, d.m.apps[i].name };
                int n = 3;

                if (a->only && !only_has(a->only, d.m.apps[i].name))
                        continue;
                if (a->user)
                        argv[n++] = "--user";
                if (a->quiet)
                        argv[n++] = "-q";
                argv[n] = NULL;
                print_argv(a, argv);
                q = run_pmgen(argv, NULL);
                /* stop/delete: an app of the file that was never applied is not an error */
                if (q && !(q == EXIT_NOAPP && a->kind == PM2_FILE_APPS))
                        ret = q;
        }
        decl_free(&d);
        return ret;
}

int pm2_main(int argc, char **argv) {
        pm2_action a;
        int ret;

        if (pm2_map(argc, argv, getuid() != 0, &a) < 0) {
                fprintf(stderr, "pm2: out of memory\n");
                return EXIT_SYSTEM;
        }
        switch (a.kind) {
        case PM2_VERSION:
                puts(PMGEN_VERSION);
                ret = 0;
                break;
        case PM2_HELP:
                fputs(pm2_usage, stdout);
                ret = 0;
                break;
        case PM2_NOTE:
                if (!a.quiet)
                        fprintf(stderr, "%s\n", a.message);
                ret = 0;
                break;
        case PM2_ERROR:
                fprintf(stderr, "%s\n", a.message);
                ret = EXIT_USAGE;
                break;
        case PM2_JLIST:
        case PM2_IDS:
        case PM2_PIDS:
                ret = do_rows(&a);
                break;
        case PM2_SIGNAL:
                ret = do_signal(&a);
                break;
        case PM2_FILE:
        case PM2_FILE_APPS:
                ret = do_file(&a);
                break;
        case PM2_ID:
                ret = resolve_id(&a, a.argv[a.id_at], a.id_app, &a.id_target);
                if (ret)
                        break;
                a.argv[a.id_at] = a.id_target;
                /* fall through */
        default:
                if (a.message && !a.quiet)
                        fprintf(stderr, "%s\n", a.message);
                print_argv(&a, a.argv);
                fflush(stdout);
                fflush(stderr);
                execv(self_exe(), (char *const *) a.argv);
                fprintf(stderr, "pm2: cannot run pmgen (%s): %s\n", self_exe(), strerror(errno));
                ret = EXIT_SYSTEM;
                break;
        }
        pm2_action_free(&a);
        return ret;
}
