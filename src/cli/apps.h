/* SPDX-License-Identifier: MIT */
/* The apps a verb knows, and their instances: the ones declared in the store
 * (store.h) and the ones whose targets systemd has loaded with
 * Documentation=man:pmgen(1) (from `pmgen generate`). An app's instances are the
 * NAME@N.service units its NAME.target wants, plus any other NAME@N.service still
 * running; when the target is not loaded, the count its declaration gives.
 *
 * Ownership: an app_set owns everything in it (app_set_free); known_app.entry and
 * .a point into the set's store list and declarations. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "cli.h"
#include "compile.h"
#include "store.h"
#include "table.h"

typedef struct known_app {
        char *name;
        const store_entry *entry; /* the store file declaring it, or NULL */
        bool writable;            /* that file is in the config dir */
        unsigned declared;        /* instances its declaration gives (0: unknown) */
        unsigned port;
        const app *a;             /* in decls, or NULL */
        size_t decl_index;
} known_app;

typedef struct app_set {
        store_paths sp;
        store_list sl;
        decl_file *decls; /* one per store entry (unloadable ones are empty) */
        known_app *v;
        size_t n;
        pbus *bus;
} app_set;

typedef struct inst {
        unsigned n;
        bool socket;
} inst;

/* Loads the store's declarations and connects to the manager (need_bus: a failure
 * to connect is an error, else the set has no bus). Returns an exit status. */
int app_set_load(const verb_opts *o, app_set *s, bool need_bus);
void app_set_free(app_set *s);
known_app *app_find(app_set *s, const char *name);
/* The apps APP names: one app, `all` (allow_all), or the apps of a namespace. *ret
 * is malloc'd (free it, not the apps). An exit status (EXIT_NOAPP, reported). */
int app_select(app_set *s, const char *arg, bool allow_all, known_app ***ret, size_t *n);
/* app_set_load, then app_select(arg; `all` allowed): what most verbs begin with. An exit status. */
int app_set_select(const verb_opts *o, const char *arg, bool need_bus, app_set *s, known_app ***ret, size_t *n);
/* APP@N: *name_len the length of APP, *instance N (0-99999). Without '@': 0, *instance -1. -EINVAL when
 * the '@' is not followed by a number or comes first. Pure. */
int app_arg_instance(const char *arg, size_t *name_len, int *instance);
/* app_set_select, where arg may also be APP@N, one instance of one app: *instance N, else -1.
 * An exit status (EXIT_USAGE and EXIT_NOAPP reported). */
int app_set_select_instance(const verb_opts *o, const char *arg, bool need_bus, app_set *s, known_app ***ret,
                            size_t *n, int *instance);
/* Keeps only instance want in in[0..*n) (want < 0: all of them). EXIT_NOAPP (reported: verb, ka) when
 * the app has no such instance, else 0. */
int inst_keep(const char *verb, const known_app *ka, inst *in, size_t *n, int want);
/* The instances, sorted (running_only: those systemd runs now). *ret malloc'd. */
int instances_of(app_set *s, const known_app *ka, bool running_only, inst **ret, size_t *n);
int running_instances(app_set *s, const known_app *ka, inst **in, size_t *n);

/* One instance as `ls` and `monit` show it: its unit's state over sd-bus, the cgroup's figures where the
 * bus has none (cgroup v1: CPUUsageNSec is not set), the app's pid and uptime. The strings are owned
 * (inst_state_free); row's string pointers point at them (copy the struct whole, not the row alone). */
typedef struct inst_state {
        char *app, *instance, *unit, *active, *sub, *cgroup;
        inst_row row;        /* cpu_percent -1, port 0 */
        uint64_t memory_max; /* MemoryMax=; UINT64_MAX or 0: none */
} inst_state;
/* 0 or -ENOMEM (a property that cannot be read is left unknown). */
int inst_state_read(app_set *s, const known_app *ka, unsigned n, inst_state *out);
void inst_state_free(inst_state *st);

/* The app's pid: the first child of the main process when that is pmgen-shim. */
uint32_t app_pid(uint32_t main_pid);
/* app_pid() of a service's MainPID. */
uint32_t pid_of_unit(pbus *b, const char *unit);
/* How long PID has run (usec, from /proc), or UINT64_MAX. */
uint64_t pid_uptime(uint32_t pid);
uint64_t realtime_usec(void);
uint64_t mono_usec(void);
