/* SPDX-License-Identifier: MIT */
/* `pmgen start` as PM2 users type it (pmgen(1), start):
 *
 *   pmgen start SCRIPT [-i N|max] [--name NAME] [--port P] [--env K=V…] [--cwd DIR]
 *                      [--interpreter X] [--max-memory-restart 300M] [--cron "…"] [-- ARGS…]
 *   pmgen start ecosystem.config.js [--only A,B] [--env production]
 *   pmgen start APP|all
 *
 * Which form: an argument that is an existing regular file, that names a path
 * (has a '/'), or that ends in a script or config extension (start_form_of) is a
 * file; anything else is an app name, started as before (verbs.h, cmd_start).
 * A file is an ecosystem file by PM2's rule (it ends in .config.js, .config.cjs,
 * .config.mjs or .json) or when it is pmgen's INI form (.ini); otherwise it is a
 * script. A script becomes a declaration in pmgen's INI form (adhoc_to_ini),
 * stored as CONFIG_DIR/NAME.ini and applied by apply_sources() (apply.h), so it
 * survives reboots with no `save`. An ecosystem file is applied as `pmgen apply`
 * does; --only applies just the apps it names and keeps the others of that file
 * as they were applied before.
 *
 * The pure parts (the form, the flags, the INI text; adhoc.c) do no I/O and are
 * tested in tests/unit/test-adhoc.c; adhoc_main() and adhoc_delete() are the edge
 * (start.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "diag.h"
#include "strbuf.h"

typedef enum start_form {
        START_APP,       /* an app name or `all`: start its units */
        START_SCRIPT,    /* a program: an ad-hoc declaration */
        START_ECOSYSTEM, /* a declaration file: apply it */
} start_form;

/* is_file: ARG names an existing regular file. Pure. */
start_form start_form_of(const char *arg, bool is_file);

/* A key of the declaration set from the command line, in command-line order. */
typedef struct adhoc_kv {
        const char *key;   /* pmgen.ini(5) key (static) */
        char *val;         /* owned; for list keys the words separated by spaces */
        bool list;         /* ignore_watch, interpreter_args, stop_exit_codes: split into words */
} adhoc_kv;

typedef struct adhoc_req {
        const char *target;  /* SCRIPT, FILE or APP (borrowed from argv) */
        start_form form;
        const char *name;    /* --name (borrowed) */
        const char *profile; /* ecosystem form: --env NAME (borrowed) */
        const char *only;    /* ecosystem form: --only A,B (borrowed) */
        const char *cwd;     /* --cwd (borrowed; made absolute by the edge) */
        adhoc_kv *kv;        /* owned */
        size_t n_kv;
        char **env;          /* "K=V", owned strings; a later K replaces */
        size_t n_env;
        char **args;         /* after `--` (borrowed) */
        size_t n_args;
        bool instances;      /* -i given: cluster mode */
        bool user, dry_run, quiet, help;
        const char *ignored; /* the last flag accepted with no effect (-f, --update-env …), for a note */
} adhoc_req;

/* Parses the arguments of `pmgen start` (argv[0] is the program, as getopt sees it).
 * is_file: whether the target names an existing regular file (the caller's stat).
 * Returns 0, or -EINVAL with *err (malloc'd) saying what was wrong and, for PM2
 * flags that mean nothing under systemd, the systemd way. -ENOMEM. Pure. */
int adhoc_parse(int argc, char **argv, bool (*is_file)(const char *path), adhoc_req *ret, char **err);
void adhoc_req_free(adhoc_req *r);

/* PM2's default name for a script: its base name without the last extension
 * ("/srv/api/server.js" → "server"). malloc'd, NULL on OOM. Pure. */
char *adhoc_default_name(const char *script);

/* The declaration of a parsed script request, in pmgen's INI form (write.h): one
 * [NAME] section with script = script_abs, cwd = cwd_abs, the flags' keys in
 * command-line order (exec_mode = cluster when -i was given; relative -o, -e, -l
 * files made absolute under cwd_abs), args, then [NAME env]. 0, -EINVAL
 * (diagnostics) or -ENOMEM. Pure. */
int adhoc_to_ini(const adhoc_req *r, const char *name, const char *script_abs, const char *cwd_abs, strbuf *out,
                 diag_list *dl);

/* An app name start accepts: letters, digits, '_', '.', '-', at most 64, not
 * starting with '-' or '.', not `all`. Pure. */
bool adhoc_name_ok(const char *s);

/* --only "a,b" contains NAME. Pure. */
bool only_has(const char *only, const char *name);

/* `pmgen start …` (argv as main() passes it: argv[0] the program, then start's
 * arguments). An exit status. */
int adhoc_main(int argc, char **argv);

/* `pmgen delete APP|all`: cmd_delete() (verbs.h), then the backups (NAME.ini~) of the
 * declarations `pmgen start SCRIPT` made and delete has now removed. An exit status. */
int adhoc_delete(const verb_opts *o, const char *arg);
