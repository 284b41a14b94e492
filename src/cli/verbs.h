/* SPDX-License-Identifier: MIT */
/* PM2's verbs over sd-bus and sd-journal: ls, logs, reload, restart, start, stop,
 * scale, delete, describe (pmgen(1)). Each returns an exit status.
 *
 * The apps a verb knows are the ones declared in the store (store.h) and the ones
 * whose units are loaded with Documentation=man:pmgen(1) (from `pmgen generate`).
 * An app's instances are the NAME@N.service units its NAME.target wants, plus any
 * other NAME@N.service still running; when the target is not loaded, the count
 * its declaration gives. APP may be `all` where PM2 accepts it, or a namespace. */
#pragma once

#include "cli.h"

int cmd_ls(const verb_opts *o);
int cmd_logs(const verb_opts *o, const char *app);
int cmd_reload(const verb_opts *o, const char *app);
int cmd_restart(const verb_opts *o, const char *app);
int cmd_start(const verb_opts *o, const char *app);
int cmd_stop(const verb_opts *o, const char *app);
int cmd_reset(const verb_opts *o, const char *app);
int cmd_scale(const verb_opts *o, const char *app, const char *count);
int cmd_delete(const verb_opts *o, const char *app);
int cmd_describe(const verb_opts *o, const char *app);

/* "3" → 3, "+2" with current 3 → 5, "-1" → 2. 0 or -EINVAL (not a count, or a
 * result outside 1..1024). Pure. */
int scale_count(const char *arg, unsigned current, unsigned *ret);
/* Is an environment variable's value shown by describe? Only names that are not
 * secrets by nature (NODE_ENV, PORT, HOST, TZ, LANG, LOG_LEVEL …). Pure. */
bool env_shown(const char *name);
