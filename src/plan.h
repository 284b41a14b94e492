/* SPDX-License-Identifier: MIT */
/* The plan: one app of the model resolved for this host and profile.
 *
 * Resolution is what cannot be decided from the file alone: the env profile
 * (--env NAME: env_NAME over env, PM2's order), the instance count (`max` and -N
 * from the host's CPUs), the working directory and script as absolute paths
 * (relative ones are relative to the declaration's directory, then to cwd), the
 * interpreter as an absolute path (units have no login PATH), and the port
 * (`port`, else PORT in the chosen environment). The host is reached only through
 * plan_host's callbacks, so this file is tested from memory.
 *
 * Ownership: a plan owns its strings; plan_free() releases them. It borrows the
 * app (the model must outlive it). */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "model.h"

typedef struct plan_host {
        /* Absolute path of a command found on PATH (or where nvm puts node), as a
         * malloc'd string; NULL when not found. */
        char *(*which)(void *userdata, const char *cmd);
        /* What the file at an absolute path is: 1 = runs by itself ("#!" or ELF),
         * 0 = a script for an interpreter, -ENOENT = missing. */
        int (*sniff)(void *userdata, const char *path);
        long ncpus;
        void *userdata;
        /* What is at an absolute path: 1 a directory, 0 something else, -ENOENT nothing; NULL: the
         * working directory is not checked. */
        int (*dir)(void *userdata, const char *path);
} plan_host;

typedef struct plan_opts {
        const char *profile;     /* --env NAME, or NULL */
        const char *source;      /* the declaration file, absolute */
        const char *source_dir;  /* its directory */
        bool paths_must_exist;   /* the units are for this very machine (apply): a missing working
                                  * directory or script is an error, not a warning */
} plan_opts;

typedef struct app_plan {
        const app *a;
        char *cwd;              /* absolute */
        strlist argv;           /* interpreter, interpreter args, script, args (or script, args) */
        bool node;              /* the interpreter is node */
        unsigned instances;
        unsigned port;          /* 0: none */
        bool socket;            /* cluster mode with a port: NAME@.socket */
        bool bind_preload;      /* cluster mode without a port: the shim's --bind-preload takes the
                                 * sockets the app binds (no socket unit) */
        strlist rw_paths;       /* read_write_paths, absolute */
        env_set env;            /* merged environment (borrowed strings) */
        const char *profile;    /* the profile applied, or NULL */
} app_plan;

/* 0, -EINVAL (diagnostics in dl) or -ENOMEM. */
int plan_app(const app *a, const plan_opts *opts, const plan_host *host, app_plan *ret, diag_list *dl);
void plan_free(app_plan *p);

/* The CPUs a cgroup's CPU bandwidth limit allows: "QUOTA PERIOD" as in cgroup v2's cpu.max (v1: the
 * contents of cpu.cfs_quota_us and cpu.cfs_period_us joined by a space), rounded up; 0 when there is no
 * limit ("max", v1's -1) or the text is not that. */
long plan_cpus_from_cpu_max(const char *text);

/* Joins and normalizes like Node's path.resolve(base, rel) for absolute base. */
char *path_resolve(const char *base, const char *rel);
