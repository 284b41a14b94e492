/* SPDX-License-Identifier: MIT */
/* Unit rendering: an app_plan becomes the text of its units. Pure and
 * deterministic (same plan, same bytes); every user string goes through escape.c.
 *
 * Per app NAME:
 *   NAME@.service   Type=notify, the shim as main process, restart policy, logs
 *   NAME@.socket    only in cluster mode with a port: ReusePort=yes, Backlog=
 *   NAME.target     wants every instance (and its socket, timer, path unit)
 *   NAME.env        the merged environment (EnvironmentFile=, mode 0600)
 *   NAME-cron.timer + NAME-cron.service    cron_restart
 *   NAME-watch.path + NAME-watch.service   watch
 *   multi-user.target.wants/NAME.target, pmgen.target.wants/NAME.target  (symlinks;
 *   none when autostart is false)
 *
 * Ownership: out_files owns every name and content; out_files_free() releases them. */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "plan.h"

typedef struct out_file {
        char *name;        /* relative to the output directory, e.g. "hello@.service" */
        char *content;     /* file text, or the symlink target */
        unsigned mode;     /* 0644, 0600 */
        bool symlink;
} out_file;

typedef struct out_files {
        out_file *v;
        size_t n;
} out_files;

typedef struct emit_opts {
        const char *generator;    /* "pmgen" or "pmgen-generator", for the header */
        const char *source;       /* the declaration (absolute), for SourcePath= */
        const char *shim_path;    /* absolute path of pmgen-shim */
        const char *preload_path; /* absolute path of node-preload.cjs */
} emit_opts;

/* Appends the files of one app. 0, -EINVAL (diagnostics) or -ENOMEM. */
int emit_app(const app_plan *p, const emit_opts *opts, out_files *out, diag_list *dl);
void out_files_free(out_files *f);
