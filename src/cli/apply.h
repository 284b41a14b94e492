/* SPDX-License-Identifier: MIT */
/* `pmgen apply` (apply.c) and the converge engine (converge.c) that `scale`,
 * `delete` and `import --apply` share.
 *
 * apply: every FILE is compiled and validated first (any error: exit 1, nothing
 * written, nothing touched). Each source becomes one store file in the config dir
 * (store.h), normalized for this host with the --env profile merged in; the plan is
 * printed; then:
 *   1. the removed apps' targets are stopped (the units still exist);
 *   2. the store files are written (temp + fsync + rename, mode 0600) or removed;
 *   3. daemon-reload over sd-bus: the generator makes the units;
 *   4. added apps: their target starts; changed apps: the instances that stay are
 *      restarted one at a time, each waited for until active (systemd keeps their
 *      sockets, so no connection is refused); added instances start; retired ones
 *      stop, highest number first, after net.ipv4.tcp_migrate_req is enabled so the
 *      connections queued on a retired socket move to the others.
 * Unchanged apps that are not running are started; apps with autostart=false are
 * never started, only restarted when running. A second apply of the same input
 * prints "nothing to do" and touches nothing.
 *
 * A failure half way is reported with exactly what was done and what was not; the
 * previous declaration of a changed source is kept as NAME.ini~ (which the
 * generator ignores): `pmgen apply /etc/pmgen/NAME.ini~` goes back to it. */
#pragma once

#include <stddef.h>

#include "cli.h"
#include "compile.h"
#include "store.h"

/* A change to one file of the config dir. */
typedef struct store_update {
        char *name;     /* "api.ini" */
        char *old_text; /* NULL: there was no such file */
        char *new_text; /* NULL: remove the file */
        char *label;    /* for the plan: "from /srv/api/ecosystem.config.js with --env production" */
} store_update;

void store_updates_free(store_update *u, size_t n);

/* Converges the service manager to the store with the updates applied. Returns an
 * exit status (0, EXIT_DECL, EXIT_SYSTEM, EXIT_UNIT). */
int converge(const verb_opts *o, const store_paths *sp, store_update *u, size_t n);

/* What `pmgen apply --json` prints (pmgen(1)): the parts of the document, collected on
 * the way; cmd_apply prints it once at the end. With a report, the human report goes
 * to stderr and stdout holds only the JSON. Owns its buffers (apply_report_free). */
typedef struct apply_report {
        strbuf diags; /* JSON objects, comma-separated (applyplan_diag_json) */
        strbuf files; /* JSON objects, comma-separated: {"path", "source", "action"} */
        strbuf apps;  /* the "apps" array (applyplan_render_json); empty: no plan was made */
        strbuf error; /* why apply failed; empty: it did not */
        bool changed; /* something changed (with --dry-run: would change) */
        strbuf *unit_diff;    /* NULL, or receives a unified diff of each changed app's units (pmgen diff) */
        bool human_to_stdout; /* the human report stays on stdout (pmgen diff) */
} apply_report;

void apply_report_diags(apply_report *rep, const diag_list *dl); /* rep may be NULL */
void apply_report_free(apply_report *rep);
/* converge() that also fills rep (NULL: converge() itself). */
int converge_report(const verb_opts *o, const store_paths *sp, store_update *u, size_t n, apply_report *rep);

/* pmgen apply FILE… (no FILE: ecosystem.config.js and the other names PM2 looks for,
 * in the current directory). */
int cmd_apply(const verb_opts *o, int n, char **files);
/* pmgen diff FILE…: apply --dry-run, then what would change in each app's units, as a unified diff
 * (environment values hidden). */
int cmd_diff(const verb_opts *o, int n, char **files);

/* One declaration to apply: loaded, with the source it stands for. */
typedef struct apply_source {
        decl_file d;
        char *identity;   /* absolute path of the source (the one recorded in a store file) */
        char *profile;    /* NULL: none */
        bool stored;      /* a store file: its env has the profile merged already */
        const char *name; /* the store file to use, or NULL to pick one from identity */
} apply_source;

/* Applies loaded declarations (owned by the caller). An exit status. */
int apply_sources(const verb_opts *o, apply_source *src, size_t n);
/* The same, filling rep (--json; NULL: apply_sources()). */
int apply_sources_report(const verb_opts *o, apply_source *src, size_t n, apply_report *rep);
