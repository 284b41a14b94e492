/* SPDX-License-Identifier: MIT */
#include "keys.h"

#include <string.h>

#include "diag.h"

#define M(n, al, t, note) { n, al, t, KF_MAPPED, note }
#define I(n, al, note) { n, al, KT_ANY, KF_IGNORED, note }
#define R(n, al, note) { n, al, KT_ANY, KF_REJECTED, note }

const key_def key_table[] = {
        M("name", NULL, KT_STRING, "the unit names: NAME@.service, NAME@.socket, NAME.target"),
        M("script", "exec", KT_STRING, "the program the shim runs (ExecStart=)"),
        M("args", NULL, KT_STRLIST, "arguments after the script"),
        M("cwd", NULL, KT_STRING, "WorkingDirectory= (relative to the declaration file's directory)"),
        M("interpreter", "exec_interpreter", KT_STRING, "resolved to an absolute path at compile time; \"none\" runs the script directly"),
        M("interpreter_args", "node_args interpreterArgs", KT_STRLIST, "arguments between the interpreter and the script"),
        M("exec_mode", NULL, KT_STRING, "fork, or cluster (one socket unit per instance with ReusePort=yes)"),
        M("instances", NULL, KT_INSTANCES, "the number of NAME@N instances the target wants"),
        M("port", NULL, KT_UINT, "ListenStream= of NAME@.socket; PORT in the app's environment"),
        M("backlog", NULL, KT_UINT, "Backlog= of NAME@.socket (pmgen's addition; default 4096)"),
        M("env", NULL, KT_ENV, "the app's environment (EnvironmentFile=, mode 0600)"),
        M("user", "uid username", KT_STRING, "User= (default: DynamicUser=yes)"),
        M("group", "gid", KT_STRING, "Group="),
        M("autorestart", NULL, KT_BOOL, "Restart=always, or Restart=no when false"),
        M("autostart", NULL, KT_BOOL, "false: the target does not start the instances"),
        M("depends_on", NULL, KT_STRLIST, "Wants= and After= on each named app's target: its instances start first (pmgen's addition)"),
        M("after", NULL, KT_STRLIST, "After= on each named systemd unit, e.g. postgresql.service (pmgen's addition)"),
        M("max_restarts", NULL, KT_UINT, "StartLimitBurst="),
        M("min_uptime", NULL, KT_DURATION, "StartLimitIntervalSec= = max_restarts x (min_uptime + restart_delay)"),
        M("restart_delay", NULL, KT_DURATION, "RestartSec= (default 0, as in PM2: a crashed instance restarts at once)"),
        M("exp_backoff_restart_delay", NULL, KT_DURATION, "the shim's --exp-backoff (x1.5 per quick crash, up to 15 s)"),
        M("stop_exit_codes", NULL, KT_UINTLIST, "RestartPreventExitStatus="),
        M("kill_timeout", NULL, KT_DURATION, "the shim's --kill-timeout; TimeoutStopSec= adds a margin"),
        M("listen_timeout", NULL, KT_DURATION, "the shim's --listen-timeout"),
        M("wait_ready", NULL, KT_BOOL, "the shim's --wait-ready (process.send('ready'))"),
        M("shutdown_with_message", NULL, KT_BOOL, "the shim's --shutdown-with-message"),
        M("max_memory_restart", NULL, KT_SIZE, "the shim's --max-memory-restart: a graceful replacement when the app's anonymous memory stays over it"),
        M("memory_max", NULL, KT_SIZE, "MemoryMax= of each instance's cgroup, the app and all it spawned: a hard limit (pmgen's addition)"),
        M("max_cpu_restart", NULL, KT_STRING, "the shim's --max-cpu-restart: a graceful replacement when the app's process tree stays over this share of a CPU, as \"90%\", for max_cpu_restart_window (pmgen's addition)"),
        M("max_cpu_restart_window", NULL, KT_DURATION, "the shim's --cpu-window: how long max_cpu_restart must be exceeded (default 60s; pmgen's addition)"),
        M("cpu_quota", NULL, KT_STRING, "CPUQuota= of each instance, as \"150%\" (1.5 CPUs) or a number of percent (pmgen's addition)"),
        M("health", NULL, KT_HEALTH, "{ url | tcp | cmd, interval, timeout, retries, start_period }: the readiness of every new process and the liveness the shim pets systemd's watchdog with (WatchdogSec=; pmgen's addition)"),
        M("sticky", NULL, KT_STRING, "\"ip\": a client address always reaches the same instance (pmgen's addition; the shim's --sticky=ip)"),
        M("instance_var", NULL, KT_STRING, "the variable that holds the instance number (default NODE_APP_INSTANCE)"),
        M("increment_var", NULL, KT_STRING, "the shim adds the instance number to this variable"),
        M("out_file", "output out out_log", KT_STRING, "StandardOutput=append:FILE (default: the journal); stderr stays in the journal unless error_file or log_file is set"),
        M("error_file", "error err err_file err_log", KT_STRING, "StandardError=append:FILE (default: the journal)"),
        M("log_file", "log", KT_STRING, "StandardOutput= and StandardError= when out_file/error_file are not set"),
        M("merge_logs", "combine_logs", KT_BOOL, "false: FILE gets -N (the instance) before its extension"),
        M("disable_logs", NULL, KT_BOOL, "StandardOutput=null and StandardError=null"),
        M("time", NULL, KT_BOOL, "the journal always timestamps; kept for compatibility"),
        M("log_date_format", NULL, KT_STRING, "how `pmgen logs` prints each line's time (moment.js tokens; the journal stamps every line, stderr included)"),
        M("cron_restart", "cron", KT_STRING, "NAME-cron.timer (OnCalendar=) restarting the instances"),
        M("watch", NULL, KT_WATCH, "NAME-watch.path (PathChanged=) restarting the instances"),
        M("ignore_watch", NULL, KT_STRLIST, "paths a path unit does not watch anyway (it is not recursive)"),
        M("source_map_support", NULL, KT_BOOL, "node --enable-source-maps"),
        M("disable_source_map_support", NULL, KT_BOOL, "no --enable-source-maps"),
        M("namespace", NULL, KT_STRING, "the target is also PartOf=pmgen-ns@NAMESPACE.target"),
        M("hardening", NULL, KT_STRING, "the sandboxing profile: \"default\", \"strict\" or \"off\" (pmgen's addition)"),
        M("hardening_override", NULL, KT_STRLIST, "\"Directive=value\" lines replacing the profile's lines for that directive (pmgen's addition)"),
        M("read_write_paths", NULL, KT_STRLIST, "ReadWritePaths= (relative to cwd): where the app may write besides its runtime directory (pmgen's addition)"),
        I("vizion", NULL, "pmgen does not track version control metadata"),
        I("pmx", NULL, "PM2's metrics module does not exist under pmgen"),
        I("automation", NULL, "PM2's metrics module does not exist under pmgen"),
        I("trace", NULL, "PM2's tracing module does not exist under pmgen"),
        I("disable_trace", NULL, "PM2's tracing module does not exist under pmgen"),
        I("v8", NULL, "PM2's metrics module does not exist under pmgen"),
        I("event_loop_inspector", NULL, "PM2's metrics module does not exist under pmgen"),
        I("deep_monitoring", NULL, "PM2's metrics module does not exist under pmgen"),
        I("treekill", NULL, "systemd always stops the whole cgroup (KillMode=mixed)"),
        I("kill_retry_time", NULL, "the shim sends SIGKILL once kill_timeout has passed"),
        I("windowsHide", NULL, "Windows only"),
        I("force", NULL, "systemd never starts an instance twice"),
        I("watch_delay", NULL, "path units restart as soon as the path changes"),
        I("watch_options", NULL, "path units have no chokidar options"),
        I("filter_env", NULL, "units start with a clean environment; only declared variables reach the app"),
        I("append_env_to_name", NULL, "unit names do not change per environment"),
        I("pid_file", "pid", "systemd tracks the main PID (systemctl show -p MainPID)"),
        I("log_type", NULL, "the journal stores structured entries (journalctl -o json)"),
        I("io", NULL, "PM2.io does not exist under pmgen"),
        I("write", NULL, "PM2 internal"),
        I("name_prefix", NULL, "PM2 internal"),
        I("post_update", NULL, "pmgen does not pull code; run it in your deploy step"),
        R("deploy", NULL, "use your deploy tool; pmgen manages runtime"),
        R("install_url", NULL, "install modules with your package manager; pmgen manages runtime"),
        R("execute_command", NULL, "give the command as `script` with `interpreter: \"none\"`"),
        R("env_file", NULL, "declare the variables in `env` (pmgen does not read .env files)"),
};
const size_t key_table_len = sizeof(key_table) / sizeof(key_table[0]);

static bool alias_matches(const char *aliases, const char *name) {
        size_t n = strlen(name);

        for (const char *p = aliases; p && *p;) {
                size_t len = strcspn(p, " ");

                if (len == n && strncmp(p, name, n) == 0)
                        return true;
                p += len;
                p += strspn(p, " ");
        }
        return false;
}

const key_def *key_lookup(const char *name) {
        for (size_t i = 0; i < key_table_len; i++)
                if (strcmp(key_table[i].name, name) == 0 || alias_matches(key_table[i].aliases, name))
                        return &key_table[i];
        return NULL;
}

const char *key_suggest(const char *name) {
        const char *best = NULL;
        unsigned best_d = 3;
        size_t n = strlen(name);
        unsigned max = n <= 4 ? 1 : n <= 8 ? 2 : 3;

        for (size_t i = 0; i < key_table_len; i++) {
                unsigned d = edit_distance(name, key_table[i].name, max);

                if (d <= max && d < best_d) {
                        best = key_table[i].name;
                        best_d = d;
                }
        }
        return best;
}
