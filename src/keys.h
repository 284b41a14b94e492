/* SPDX-License-Identifier: MIT */
/* The fate of every attribute PM2's ecosystem file accepts (PM2 7's schema), plus
 * pmgen's own. One row per key: its type, its aliases, and what happens to it.
 * man/pmgen.ini.5 documents the same table; tests/unit/test-model.c checks that
 * every row is reachable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum key_type {
        KT_STRING,      /* a non-empty string */
        KT_BOOL,
        KT_UINT,        /* a non-negative integer (numeric strings allowed, as PM2 does) */
        KT_DURATION,    /* ms: number, or "10s"/"5m"/"1h" string (PM2's stime) */
        KT_SIZE,        /* bytes: number, or "200M"/"1G"/"512K" string (PM2's sbyte) */
        KT_STRLIST,     /* array of strings, or one string split like PM2 splits args */
        KT_UINTLIST,    /* array of integers (stop_exit_codes) */
        KT_INSTANCES,   /* integer, or "max", or "-N" */
        KT_ENV,         /* object of scalars; values become strings */
        KT_WATCH,       /* bool, string or array of strings */
        KT_HEALTH,      /* object: one of url, tcp, cmd; interval, timeout, retries, start_period */
        KT_ANY,         /* ignored keys: any shape */
} key_type;

typedef enum key_fate {
        KF_MAPPED,      /* used */
        KF_IGNORED,     /* meaningless under systemd: warning with `note` */
        KF_REJECTED,    /* error with `note` */
} key_fate;

typedef struct key_def {
        const char *name;       /* canonical (snake_case, as PM2 documents it) */
        const char *aliases;    /* space-separated other spellings PM2 accepts, or NULL */
        key_type type;
        key_fate fate;
        const char *note;       /* what it maps to / why ignored or rejected */
} key_def;

extern const key_def key_table[];
extern const size_t key_table_len;

/* Finds a key by canonical name or alias; NULL when unknown. env_<profile> keys
 * are not in the table (model.c handles them). */
const key_def *key_lookup(const char *name);
/* Closest canonical name or alias within a small edit distance, or NULL. */
const char *key_suggest(const char *name);
