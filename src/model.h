/* SPDX-License-Identifier: MIT */
/* The model: a validated, typed declaration of apps.
 *
 * model_build() reads the value tree either front end produced, checks every key
 * against keys.c's table (unknown keys are errors with a did-you-mean, ignored
 * keys warn, rejected keys are errors), coerces INI's untyped text to the type
 * the key wants, canonicalizes aliases, and fills `struct app`. It keeps the
 * normalized declaration as a value tree too (model.root), which `pmgen convert`
 * writes back out. Declared values only: nothing is resolved against a host or a
 * profile here (that is plan.c).
 *
 * Ownership: a model owns its apps, their strings and its root tree; model_free()
 * releases all. Locations borrow the parse input's file name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "value.h"

typedef struct env_var {
        char *name;
        char *value;
        loc where;
} env_var;

typedef struct env_set {
        env_var *v;
        size_t n;
} env_set;

typedef struct env_profile {
        char *name; /* "production" for env_production */
        loc where;
        env_set env;
} env_profile;

typedef enum exec_mode {
        EXEC_UNSET,
        EXEC_FORK,
        EXEC_CLUSTER,
} exec_mode;

typedef enum instances_kind {
        INST_UNSET,
        INST_COUNT,   /* instances.count */
        INST_MAX,     /* "max", 0: every CPU */
        INST_ALL_BUT, /* -N: every CPU but count, at least 1 */
} instances_kind;

typedef enum harden_level {
        HARDEN_DEFAULT, /* unset */
        HARDEN_OFF,
        HARDEN_STRICT,
} harden_level;

/* health: the check pmgen-shim runs (--health-*). */
typedef enum health_check_kind {
        HC_NONE,
        HC_URL,       /* target: "/PATH" or "http://HOST[:PORT]/PATH" */
        HC_TCP,       /* target: "socket" (the instance's own) or "HOST:PORT" */
        HC_CMD,       /* target: a shell command */
} health_check_kind;

typedef struct health_decl {
        health_check_kind kind;
        char *target;
        uint64_t interval_ms, timeout_ms, start_period_ms; /* start_period_ms 0: listen_timeout */
        unsigned retries;
} health_decl;

/* health's defaults (man/pmgen.ini.5, HEALTH CHECKS; the shim's are the same) */
#define HEALTH_DEFAULT_INTERVAL_MS 5000
#define HEALTH_DEFAULT_TIMEOUT_MS 2000
#define HEALTH_DEFAULT_RETRIES 3

typedef struct strlist {
        char **v;
        size_t n;
} strlist;

typedef struct app {
        const value *decl;   /* the normalized app object in model.root (for locations) */
        char *name;
        char *script;
        strlist args;
        char *cwd;
        char *interpreter;   /* NULL: decided from the script */
        strlist interpreter_args;
        exec_mode mode;
        instances_kind instances;
        unsigned instances_count;
        unsigned port;       /* 0: none declared */
        unsigned backlog;    /* 0: default */
        env_set env;
        env_profile *profiles;
        size_t n_profiles;
        char *user, *group;
        bool autorestart, autostart;
        unsigned max_restarts;
        uint64_t min_uptime_ms, restart_delay_ms, exp_backoff_ms, kill_timeout_ms, listen_timeout_ms;
        bool listen_timeout_set;
        bool wait_ready, shutdown_with_message;
        uint64_t max_memory_restart; /* bytes, 0: none */
        uint64_t memory_max;         /* bytes, 0: none */
        unsigned cpu_quota;          /* percent of one CPU, 0: none */
        unsigned max_cpu_restart;    /* percent of one CPU, 0: none */
        uint64_t cpu_window_ms;      /* max_cpu_restart_window, 0: the shim's default */
        bool sticky_ip;      /* sticky: "ip" (pmgen's addition) */
        health_decl health;  /* (pmgen's addition) */
        unsigned *stop_exit_codes;
        size_t n_stop_exit_codes;
        char *instance_var, *increment_var;
        char *out_file, *error_file, *log_file;
        char *log_date_format;      /* moment.js format (timefmt.h) for `pmgen logs`, or NULL */
        bool merge_logs, disable_logs;
        char *cron_restart;
        bool watch;          /* watch the app's directory, or watch_paths when given */
        strlist watch_paths;
        bool source_map_support;
        char *namespace;
        harden_level hardening;
        strlist hardening_override; /* "Directive=value", checked */
        strlist read_write_paths;   /* as declared (plan.c makes them absolute) */
        strlist depends_on;         /* app names, checked (no cycle among the file's apps) */
        strlist after;              /* systemd unit names, checked */
} app;

typedef struct model {
        value *root; /* { "apps": [ normalized app objects ] } */
        app *apps;
        size_t n_apps;
} model;

#define MODEL_INIT { NULL, NULL, 0 }

/* `raw` is what js_parse() or ini_parse_text() returned; `file` is the declaration
 * (for whole-file diagnostics). Returns 0 (warnings may be in dl), -EINVAL (errors
 * in dl; *out untouched) or -ENOMEM. */
int model_build(const value *raw, const char *file, model *out, diag_list *dl);
void model_free(model *m);

/* Where the key was declared in the app (its value), else the app object itself. */
loc app_loc(const app *a, const char *key);

/* Whether a `user` value names root: "root" or uid 0 ("0", as systemd's User= takes a uid; systemd refuses
 * leading zeros). Pure: no user database is read. */
bool model_user_is_root(const char *user);

/* Parsers shared with plan.c and the tests. 0 or -EINVAL. */
int parse_duration_ms(const char *s, uint64_t *ret); /* "1500", "10s", "5m", "1h" */
int parse_size(const char *s, uint64_t *ret);        /* "512", "300K", "200M", "1G" */
/* PM2's args splitting of one string (quotes kept inside key="a b" words). */
int split_args_pm2(const char *s, strlist *out);
void strlist_free(strlist *l);
