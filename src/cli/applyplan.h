/* SPDX-License-Identifier: MIT */
/* The plan of `pmgen apply`: what changes between the declarations applied before
 * and the ones being applied, app by app. Pure: declarations and their generated
 * units in, a list of changes out (tests/unit/test-applyplan.c).
 *
 * An app is
 *   added      only in the new declarations;
 *   removed    only in the old ones;
 *   changed    an attribute other than `instances` differs (listed old → new; the
 *              values of env variables are never shown, only that they changed);
 *   scaled     only the instance count differs;
 *   unchanged  otherwise.
 * What to do to a changed app is decided from its generated units, not from the
 * attributes: a different NAME@.service or NAME.env restarts the instances one at a
 * time, a different NAME@.socket also replaces their sockets, a timer or path unit
 * that differs is restarted and one that is gone is stopped. An attribute that
 * changes no unit (say `time`) changes nothing that runs.
 *
 * Ownership: the plan owns its strings and arrays (applyplan_free); the app
 * snapshots it is built from are borrowed for the call only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "emit.h"
#include "strbuf.h"
#include "value.h"

typedef struct app_snap {
        const char *name;
        const value *decl;       /* the normalized app object */
        unsigned instances;      /* resolved for this host */
        bool socket;             /* cluster mode with a port */
        bool autostart;
        unsigned min_uptime_ms;  /* how long a started instance must stay up (PM2's min_uptime) */
        const out_file *units;   /* this app's generated files */
        size_t n_units;
} app_snap;

typedef enum change_kind {
        CHANGE_UNCHANGED,
        CHANGE_ADDED,
        CHANGE_CHANGED,
        CHANGE_SCALED,
        CHANGE_REMOVED,
} change_kind;

typedef struct attr_change {
        char *key;      /* "kill_timeout", "env.API_KEY" */
        char *old_text; /* as written in the declaration; NULL: not set (or an env value: never shown) */
        char *new_text;
        bool secret;    /* an env variable: show only added/removed/changed */
} attr_change;

typedef struct app_change {
        char *name;
        change_kind kind;
        unsigned old_instances, new_instances; /* 0 when absent */
        bool old_socket, new_socket;
        bool autostart;
        unsigned min_uptime_ms;  /* of the new declaration (the old one for a removed app) */
        attr_change *attrs;
        size_t n_attrs;
        bool restart;          /* roll the instances that stay */
        bool replace_sockets;  /* NAME@.socket differs (or appears/goes) */
        char **restart_units;  /* other units (timers, paths) to restart: NULL-terminated */
        char **stop_units;     /* units gone from the new declaration: NULL-terminated */
} app_change;

typedef struct apply_plan {
        app_change *v; /* new apps in their order, then the removed ones */
        size_t n;
} apply_plan;

/* 0 or -ENOMEM. */
int applyplan_build(const app_snap *old_apps, size_t n_old, const app_snap *new_apps, size_t n_new, apply_plan *ret);
void applyplan_free(apply_plan *p);
/* True when nothing runs differently (every app unchanged). */
bool applyplan_is_noop(const apply_plan *p);
/* The plan as printed by apply (one line per app, its attributes below it). */
void applyplan_render(const apply_plan *p, strbuf *out);
/* How a value is shown in the plan: strings as they are, lists space-separated,
 * other values as JSON. */
void applyplan_value_text(const value *v, strbuf *out);

/* ---- pmgen apply --json ---------------------------------------------------------------------
 * What happened to each app of a plan, and the JSON document apply prints with --json
 * (pmgen(1), APPLY --json). Pure: strings in, text out. */

typedef struct app_outcome {
        char **restarted;     /* instances restarted ("web@0"), NULL-terminated; NULL: none */
        char **started;       /* instances started */
        char **stopped;       /* instances stopped */
        char *before, *after; /* the app's units as one text (applyplan_units_text); NULL: no units */
        bool starts;          /* unchanged but not running: its target starts */
} app_outcome;

/* Appends a copy of s to a NULL-terminated list. 0 or -ENOMEM. */
int applyplan_strv_push(char ***v, const char *s);
void app_outcomes_free(app_outcome *o, size_t n);
/* "created", "updated" (changed or scaled), "unchanged", "removed". */
const char *applyplan_action(change_kind k);
/* The files of one app as a single text for a diff: "# NAME\n" and its content for each
 * file, "# NAME -> TARGET" for a symlink. The values of NAME.env are never shown
 * ("KEY=(hidden)"); the plan's attributes say which variable changed. */
void applyplan_units_text(const out_file *f, size_t n, strbuf *out);
/* The "apps" array: one object per plan entry (outcomes: one per entry, or NULL):
 *   {"name", "action", "instances": {"before", "after"}, "changes": [{"key", "before", "after"}],
 *    "restart", "start", "stop": the instances the plan restarts/starts/stops,
 *    "restarted", "started", "stopped": those it did, "restart_units", "stop_units",
 *    "diff": {"before", "after"}}
 * Env variables appear in "changes" with "(hidden)" in place of their values. */
void applyplan_render_json(const apply_plan *p, const app_outcome *outcomes, strbuf *out);
/* A diagnostic as {"file", "line", "col", "level", "message", "text"} ("text": as printed). */
void applyplan_diag_json(const diag *d, strbuf *out);
