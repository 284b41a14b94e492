/* SPDX-License-Identifier: MIT */
/* `pmgen import`: PM2's process dump (~/.pm2/dump.pm2, what `pm2 save` writes: a
 * JSON array with one object per process, read with the JS-lite front end) as
 * pmgen declarations.
 *
 * Processes of the same name are one app; their count is `instances`. Fields:
 *   name → name, pm_exec_path → script, pm_cwd → cwd, args → args,
 *   node_args → interpreter_args, exec_interpreter → interpreter (not when node),
 *   exec_mode cluster_mode/fork_mode → cluster/fork, env → env (filtered, below),
 *   uid/username (unless root) → user, gid → group, and as they are: autorestart,
 *   autostart, max_restarts, min_uptime, restart_delay, exp_backoff_restart_delay,
 *   kill_timeout, listen_timeout, wait_ready, shutdown_with_message,
 *   max_memory_restart, stop_exit_codes, cron_restart, watch, ignore_watch,
 *   instance_var, increment_var, merge_logs, namespace (not "default"),
 *   source_map_support; pm_out_log_path/pm_err_log_path → out_file/error_file
 *   unless they are PM2's default files under PM2_HOME/logs (then the journal).
 * env holds the environment PM2 started the process with, the shell's included:
 * PM2's own variables are dropped always, the usual session variables (PATH, HOME,
 * PWD, SHELL, TERM, SSH_*, XDG_* …) unless all_env, and every dropped name is
 * listed in the notes. A cluster-mode app without PORT in its env becomes fork mode
 * (pmgen needs a port to give every instance the same socket), with a note. */
#pragma once

#include <stdbool.h>

#include "cli.h"
#include "diag.h"
#include "strbuf.h"
#include "value.h"

/* dump: what js_parse() read; pm2_home: the dump's directory (for PM2's default log
 * paths), or NULL. *ret: { apps: [...] }, for model_build(). Notes (one per line)
 * say what was dropped or changed. 0, -EINVAL (diagnostics) or -ENOMEM. Pure. */
int import_dump(const value *dump, const char *pm2_home, bool all_env, value **ret, strbuf *notes, diag_list *dl);

/* Is an environment variable of the dump left out? 1: PM2's own, 2: a session
 * variable (kept with all_env), 0: kept. Pure. */
int import_env_dropped(const char *name, const char *app_name);

/* pmgen import [DUMP] [-o FILE] [--to ini|js] [--apply [--env] [--dry-run]]. */
int cmd_import(const verb_opts *o, const char *dump);
