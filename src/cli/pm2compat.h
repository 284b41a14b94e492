/* SPDX-License-Identifier: MIT */
/* The `pm2` compatibility command (pmgen-pm2(1)): pmgen itself, run under the name
 * `pm2` or `pmgen-pm2` (main.c dispatches on argv[0], as it does for the generator).
 * The Debian package pmgen-pm2-compat makes /usr/bin/pm2 an alternative pointing at
 * /usr/bin/pmgen-pm2, so it never replaces a real PM2 without consent.
 *
 * pm2_map() turns PM2's command line into what pmgen does (pure, tested in
 * tests/unit/test-pm2compat.c); pm2_main() does it: most commands become one pmgen
 * command run in place (execv of /proc/self/exe), a few run several (a reload of an
 * ecosystem file applies it, then reloads each of its apps), jlist reshapes
 * `pmgen ls --json` into PM2's JSON (pm2_jlist), sendSignal signals the apps'
 * processes, and the commands that mean nothing under systemd (save, resurrect,
 * startup, flush …) say why and succeed, so deploy scripts keep running. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"
#include "value.h"

typedef enum pm2_kind {
        PM2_EXEC,      /* run pmgen with argv */
        PM2_FILE,      /* apply `file` (pmgen start FILE …), then `then` on each app of it */
        PM2_FILE_APPS, /* `then` on each app of `file` (stop, delete) */
        PM2_JLIST,     /* pmgen ls --json in PM2's shape */
        PM2_SIGNAL,    /* send `signal` to every running instance of `app` (by_id: to process `app`, a pm_id) */
        PM2_ID,        /* run pmgen with argv once argv[id_at], a pm_id, is made APP@N (id_app: APP) */
        PM2_IDS,       /* print the pm_ids of `app` (pm2_ids) */
        PM2_PIDS,      /* print the pids of `app`, or of every instance when app is NULL (pm2_pids) */
        PM2_NOTE,      /* nothing to do under systemd: print message, exit 0 */
        PM2_ERROR,     /* print message, exit 2 */
        PM2_VERSION,
        PM2_HELP,
} pm2_kind;

#define PM2_ARGV_MAX 96

typedef struct pm2_action {
        pm2_kind kind;
        const char *argv[PM2_ARGV_MAX]; /* PM2_EXEC: pmgen's argv ("pmgen", …, NULL); borrowed strings */
        int argc;
        const char *file;    /* PM2_FILE, PM2_FILE_APPS */
        const char *then;    /* "reload", "restart", "stop", "delete" */
        const char *profile; /* --env */
        const char *only;    /* --only */
        const char *app;     /* PM2_SIGNAL, PM2_IDS, PM2_PIDS (NULL: every app) */
        int signal;          /* PM2_SIGNAL */
        bool by_id;          /* PM2_SIGNAL: app is a pm_id */
        int id_at;           /* PM2_ID: the argv index of the pm_id */
        bool id_app;         /* PM2_ID: the pm_id becomes its app's name (describe, env), not APP@N */
        char *id_target;     /* PM2_ID: what pm2_main put at argv[id_at]. malloc'd */
        bool pretty;         /* prettylist */
        bool user;           /* act on the user manager (pm2_map's user argument) */
        bool quiet;          /* -s, --silent */
        char *message;       /* PM2_NOTE, PM2_ERROR; a notice before PM2_EXEC (may be NULL). malloc'd */
} pm2_action;

/* argv: pm2's (argv[0] the program). user: add --user (pm2 runs as a normal user:
 * their own systemd). 0, or -ENOMEM. Pure. */
int pm2_map(int argc, char **argv, bool user, pm2_action *ret);
void pm2_action_free(pm2_action *a);

/* "SIGUSR2", "USR2", "12" → 12; -EINVAL. Pure. */
int pm2_signal_number(const char *s);

/* PM2's process id under pmgen: the position of an instance's row in `pmgen ls --json` (apps by name,
 * instances by number), as jlist prints it. The row's "APP@N" (app_only: "APP") into out; -ENOENT when
 * there is no such row, -EINVAL when rows is not that shape. Pure. */
int pm2_id_target(const value *ls, const char *id, bool app_only, strbuf *out);

/* pm2 id APP: the pm_ids of APP's rows as PM2 prints them (node's console.log of an array): "[ 0, 1 ]\n",
 * "[]\n" when there are none. 0, or -EINVAL (not that shape). Pure. */
int pm2_ids(const value *ls, const char *name, strbuf *out);

/* pm2 pid [APP]: the "pid" of APP's rows (of every row when app is NULL), one a line, 0 for an instance
 * that is not running (as jlist shows it, and as PM2 prints a stopped process). 0, or -EINVAL. Pure. */
int pm2_pids(const value *ls, const char *name, strbuf *out);

/* The rows of `pmgen ls --json` (an array of objects) as PM2's jlist: one object
 * per instance with name, pm_id (the row's position), pid, monit.memory, monit.cpu,
 * pm2_env.status, .restart_time, .pm_uptime (ms since the epoch: now_ms minus the
 * uptime; 0 when not running), .instances, .NODE_APP_INSTANCE, .unit, .port.
 * pretty: indented (prettylist). 0 or -EINVAL (not that shape). Pure. */
int pm2_jlist(const value *ls, uint64_t now_ms, bool pretty, strbuf *out);

/* The command. An exit status. */
int pm2_main(int argc, char **argv);
