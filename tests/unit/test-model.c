/* SPDX-License-Identifier: MIT */
/* The model, the plan and the unit emitter, driven from in-memory INI text with a
 * fake host (no PATH, no files): types, aliases, fates, defaults, profiles, and the
 * unit lines that come out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emit.h"
#include "keys.h"
#include "model.h"
#include "parse-ini.h"
#include "plan.h"

/* ---- a fake host ---------------------------------------------------------------------------- */

static char *fake_which(void *ud, const char *cmd) {
        static const char *const known[] = { "node", "python3", "bash", "npm", NULL };

        (void) ud;
        for (size_t i = 0; known[i]; i++)
                if (strcmp(cmd, known[i]) == 0) {
                        char *r = malloc(strlen(cmd) + 10);

                        sprintf(r, "/opt/bin/%s", cmd);
                        return r;
                }
        return NULL;
}

/* Files under /srv/app exist (but npm); "runme" starts with #!. */
static int fake_sniff(void *ud, const char *path) {
        (void) ud;
        if (!str_has_prefix(path, "/srv/app/") || str_has_suffix(path, "/npm"))
                return -ENOENT;
        return str_has_suffix(path, "/runme") ? 1 : 0;
}

/* Directories: /srv/app and what is under it without a dot in its name; a.js there is a file. */
static int fake_dir(void *ud, const char *path) {
        const char *base = strrchr(path, '/');

        (void) ud;
        if (strcmp(path, "/srv/app") == 0 || (str_has_prefix(path, "/srv/app/") && !strchr(base, '.')))
                return 1;
        return strcmp(path, "/srv/app/a.js") == 0 ? 0 : -ENOENT;
}

static const plan_host host = { fake_which, fake_sniff, 4, NULL, fake_dir };
/* The units are for this machine (pmgen apply). */
static bool paths_must_exist;

/* Compiles INI text; returns the rendered diagnostics and, on success, the text of
 * the named output file (NULL: none). Both malloc'd. */
static int compile(const char *ini, const char *profile, const char *want_file, char **diags, char **file) {
        diag_list dl = DIAG_LIST_INIT;
        value *raw = NULL;
        model m = MODEL_INIT;
        out_files out = { 0 };
        strbuf sb = STRBUF_INIT;
        plan_opts po = { .profile = profile, .source = "/srv/app/apps.ini", .source_dir = "/srv/app",
                         .paths_must_exist = paths_must_exist };
        emit_opts eo = { .generator = "pmgen", .source = "/srv/app/apps.ini", .shim_path = "/usr/libexec/pmgen/pmgen-shim",
                         .preload_path = "/usr/share/pmgen/node-preload.cjs",
                         .bind_preload_path = "/usr/lib/pmgen/libpmgen-bind.so" };
        int r = ini_parse_text("apps.ini", ini, strlen(ini), &raw, &dl);

        if (r == 0)
                r = model_build(raw, "apps.ini", &m, &dl);
        for (size_t i = 0; r == 0 && i < m.n_apps; i++) {
                app_plan p;

                r = plan_app(&m.apps[i], &po, &host, &p, &dl);
                if (r == 0) {
                        r = emit_app(&p, &eo, &out, &dl);
                        plan_free(&p);
                }
        }
        *file = NULL;
        for (size_t i = 0; r == 0 && want_file && i < out.n; i++)
                if (strcmp(out.v[i].name, want_file) == 0)
                        *file = strdup(out.v[i].content);
        diag_render(&dl, &sb);
        *diags = strbuf_steal(&sb);
        out_files_free(&out);
        model_free(&m);
        value_free(raw);
        diag_list_free(&dl);
        return r;
}

/* The output file must contain every line in `lines` ('\n'-separated), or, with !present, none of them. */
static void test_unit_lines(const char *ini, const char *profile, const char *file, const char *lines, bool present) {
        char *diags, *text;
        int r = compile(ini, profile, file, &diags, &text);

        if (r != 0)
                fail_msg("compile failed: %s", diags);
        if (!text)
                fail_msg("no %s generated", file);
        for (const char *p = lines; *p;) {
                size_t n = strcspn(p, "\n");
                char *needle = malloc(n + 3);
                bool found;

                sprintf(needle, "\n%.*s\n", (int) n, p);
                found = strstr(text, needle) || str_has_prefix(text, needle + 1);
                if (found != present)
                        fail_msg("%s %s the line '%.*s':\n%s", file, present ? "lacks" : "has", (int) n, p, text);
                free(needle);
                p += n;
                if (*p)
                        p++;
        }
        free(diags);
        free(text);
}

static void test_unit_one(const char *ini, const char *profile, const char *file, const char *lines) {
        test_unit_lines(ini, profile, file, lines, true);
}

static void test_unit_lacks(const char *ini, const char *file, const char *lines) {
        test_unit_lines(ini, NULL, file, lines, false);
}

/* Compiling must fail (or warn, when expect_ok) with exactly these diagnostics. */
static void test_diag_one(const char *ini, const char *profile, bool expect_ok, const char *expected) {
        char *diags, *text;
        int r = compile(ini, profile, NULL, &diags, &text);

        if (expect_ok)
                assert_int_equal(r, 0);
        else
                assert_int_equal(r, -EINVAL);
        assert_string_equal(diags, expected);
        free(diags);
        free(text);
}

#define SHIM "ExecStart=/usr/libexec/pmgen/pmgen-shim --app=api --instance=%i"

/* depends_on and after (start order). */
static void test_depends(void **state) {
        (void) state;
        test_unit_one("[api]\nscript = a.js\ndepends_on = worker\nafter = postgresql.service redis-server.service\n"
                      "[worker]\nscript = a.js\n",
                      NULL, "api@.service",
                      "After=network.target\nWants=worker.target\nAfter=worker.target\nAfter=postgresql.service\n"
                      "After=redis-server.service");
        test_unit_lacks("[api]\nscript = a.js\ndepends_on = worker\n[worker]\nscript = a.js\n", "worker@.service",
                        "Wants=api.target\nAfter=api.target");
        test_diag_one("[api]\nscript = a.js\ndepends_on = cache\n", NULL, true,
                      "apps.ini:3:14: warning: depends_on 'cache': no app of that name in this file; cache.target must "
                      "come from another declaration\n");
        test_diag_one("[a]\nscript = a.js\ndepends_on = b\n[b]\nscript = a.js\ndepends_on = c\n[c]\nscript = a.js\n"
                      "depends_on = a\n",
                      NULL, false,
                      "apps.ini:9:14: error: depends_on makes a cycle: a → b → c → a (systemd could not order these "
                      "apps)\n");
        test_diag_one("[api]\nscript = a.js\ndepends_on = api\n", NULL, false,
                      "apps.ini:3:14: error: app 'api' depends on itself\n");
        test_diag_one("[api]\nscript = a.js\ndepends_on = a/b\n", NULL, false,
                      "apps.ini:3:14: error: depends_on 'a/b': a name may contain only letters, digits, '_', '.', ':' "
                      "and '-' (it becomes a unit name), found '/'\n");
        test_diag_one("[api]\nscript = a.js\nafter = postgresql\n", NULL, false,
                      "apps.ini:3:9: error: after 'postgresql': expected a systemd unit name with its type, such as "
                      "postgresql.service or network-online.target\n");
        test_diag_one("[api]\nscript = a.js\nafter = getty@.service\n", NULL, false,
                      "apps.ini:3:9: error: after 'getty@.service': expected a unit, not a template "
                      "(name@instance.service, not name@.service)\n");
        test_diag_one("[api]\nscript = a.js\nafter = \"a b.service\"\n", NULL, false,
                      "apps.ini:3:9: error: after 'a b.service': expected a systemd unit name: letters, digits, ':', '_', "
                      "'.', '\\', '@' and '-'\n");
}

/* Limits per instance; PM2's variables in the environment. */
static void test_limits_env(void **state) {
        (void) state;
        test_unit_one("[api]\nscript = a.js\nmemory_max = 512M\ncpu_quota = 150%\n", NULL, "api@.service",
                      "MemoryMax=536870912\nCPUQuota=150%");
        test_unit_one("[api]\nscript = a.js\ncpu_quota = 50\n", NULL, "api@.service", "CPUQuota=50%");
        test_unit_lacks("[api]\nscript = a.js\n", "api@.service", "MemoryMax=\nCPUQuota=");
        test_unit_one("[api]\nscript = a.js\nmax_cpu_restart = 90%\nmax_cpu_restart_window = 2m\n", NULL, "api@.service",
                      SHIM " --kill-timeout=1600 --max-cpu-restart=90 --cpu-source=cgroup --cpu-window=120000 -- /opt/bin/node /srv/app/a.js");
        test_diag_one("[api]\nscript = a.js\nmax_cpu_restart = lots\n", NULL, false,
                      "apps.ini:3:19: error: max_cpu_restart: expected a percentage such as \"150%\" (1 to 100000), found "
                      "'lots'\n");
        test_diag_one("[api]\nscript = a.js\nmax_cpu_restart = 90\nmax_cpu_restart_window = 500\n", NULL, false,
                      "apps.ini:4:26: error: max_cpu_restart_window: expected 1s or more\n");
        test_diag_one("[api]\nscript = a.js\ncpu_quota = 1.5\n", NULL, false,
                      "apps.ini:3:13: error: cpu_quota: expected a percentage such as \"150%\" (1 to 100000), found "
                      "'1.5'\n");
        test_diag_one("[api]\nscript = a.js\nmemory_max = lots\n", NULL, false,
                      "apps.ini:3:14: error: memory_max: expected a size such as 512K, 200M or 1G, found 'lots'\n");
        test_unit_one("[api]\nscript = a.js\ninstances = 3\nport = 80\nnamespace = shop\n", NULL, "api@.service",
                      "Environment=\"name=api\"\nEnvironment=pm_id=%i\nEnvironment=\"exec_mode=cluster_mode\"\n"
                      "Environment=\"pm_exec_path=/srv/app/a.js\"\n"
                      "Environment=\"pm_cwd=/srv/app\"\nEnvironment=\"namespace=shop\"");
        /* not `instances`: scaling would change the unit of every instance */
        test_unit_lacks("[api]\nscript = a.js\ninstances = 3\nport = 80\n", "api@.service", "Environment=\"instances=3\"");
        test_unit_one("[w]\nscript = a.js\nargs = --x y\n", NULL, "w@.service",
                      "Environment=\"exec_mode=fork_mode\"\nEnvironment=\"pm_exec_path=/srv/app/a.js\"");
}

/* instances: max under a CPU bandwidth limit (src/cli/host.c reads cpu.max or v1's cfs files). */
static void test_cpu_max(void **state) {
        (void) state;
        assert_int_equal(plan_cpus_from_cpu_max("max 100000\n"), 0);
        assert_int_equal(plan_cpus_from_cpu_max("100000 100000\n"), 1);
        assert_int_equal(plan_cpus_from_cpu_max("150000 100000\n"), 2);
        assert_int_equal(plan_cpus_from_cpu_max("50000 100000"), 1);
        assert_int_equal(plan_cpus_from_cpu_max("400000 100000\n"), 4);
        assert_int_equal(plan_cpus_from_cpu_max("-1 100000\n"), 0); /* v1: no limit */
        assert_int_equal(plan_cpus_from_cpu_max("100000"), 0);
        assert_int_equal(plan_cpus_from_cpu_max("100000 0"), 0);
        assert_int_equal(plan_cpus_from_cpu_max("x y"), 0);
        assert_int_equal(plan_cpus_from_cpu_max("100000 100000 junk"), 0);
}

/* The sandbox of NAME@.service (src/harden.c). */
static void test_hardening(void **state) {
        (void) state;
        /* default */
        test_unit_one("[api]\nscript = a.js\n", NULL, "api@.service",
                      "NoNewPrivileges=yes\nPrivateTmp=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateDevices=yes\n"
                      "CapabilityBoundingSet=\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK\n"
                      "SystemCallFilter=@system-service\nSystemCallFilter=pkey_alloc pkey_free pkey_mprotect\n"
                      "SystemCallErrorNumber=EPERM\nUMask=0027\nDynamicUser=yes");
        test_unit_lacks("[api]\nscript = a.js\n", "api@.service", "PrivateUsers=yes\nProcSubset=pid\nReadWritePaths=");
        /* strict */
        test_unit_one("[api]\nscript = a.js\nhardening = strict\n", NULL, "api@.service",
                      "PrivateUsers=yes\nProcSubset=pid\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\nUMask=0077");
        test_unit_lacks("[api]\nscript = a.js\nhardening = strict\n", "api@.service", "UMask=0027");
        /* off: nothing */
        test_unit_lacks("[api]\nscript = a.js\nhardening = off\n", "api@.service",
                        "NoNewPrivileges=yes\nPrivateTmp=yes\nProtectSystem=strict\nSystemCallFilter=@system-service");
        /* read_write_paths, relative to cwd */
        test_unit_one("[api]\nscript = a.js\nread_write_paths = data /srv/app/cache\n", NULL, "api@.service",
                      "ReadWritePaths=/srv/app/data\nReadWritePaths=/srv/app/cache");
        /* an app in a home directory: ProtectHome=read-only */
        test_unit_one("[api]\nscript = a.js\ncwd = /home/deploy/api\n", NULL, "api@.service", "ProtectHome=read-only");
        test_unit_one("[api]\nscript = a.js\ninterpreter = /root/.nvm/node\n", NULL, "api@.service", "ProtectHome=read-only");
        /* root keeps its capabilities and privileged system calls */
        test_unit_lacks("[api]\nscript = a.js\nuser = root\n", "api@.service",
                        "CapabilityBoundingSet=\nAmbientCapabilities=\n"
                        "SystemCallFilter=~@privileged @resources @mount @swap @reboot @raw-io @module @obsolete @debug "
                        "@cpu-emulation @clock");
        test_unit_one("[api]\nscript = a.js\nuser = root\n", NULL, "api@.service", "ProtectSystem=strict");
        /* uid 0 is root too */
        test_unit_lacks("[api]\nscript = a.js\nuser = 0\n", "api@.service",
                        "CapabilityBoundingSet=\nAmbientCapabilities=\n"
                        "SystemCallFilter=~@privileged @resources @mount @swap @reboot @raw-io @module @obsolete @debug "
                        "@cpu-emulation @clock");
        test_unit_one("[api]\nscript = a.js\nuser = 0\n", NULL, "api@.service", "User=0");
        /* another uid is not */
        test_unit_one("[api]\nscript = a.js\nuser = 1000\n", NULL, "api@.service",
                      "CapabilityBoundingSet=\nAmbientCapabilities=");
        /* overrides replace the profile's lines of their directive, in order */
        test_unit_one("[api]\nscript = a.js\nhardening_override = ProtectHome=tmpfs \"SystemCallFilter=@system-service "
                      "@resources\" MemoryDenyWriteExecute=yes\n",
                      NULL, "api@.service",
                      "ProtectSystem=strict\nProtectHome=tmpfs\nSystemCallFilter=@system-service @resources\n"
                      "MemoryDenyWriteExecute=yes");
        test_unit_lacks("[api]\nscript = a.js\nhardening_override = \"SystemCallFilter=@system-service @resources\"\n",
                        "api@.service", "ProtectHome=tmpfs\nSystemCallFilter=pkey_alloc pkey_free pkey_mprotect");
}

static void test_units(void **state) {
        (void) state;
        test_unit_one("[api]\nscript = server.js\n", NULL, "api@.service",
                      "Type=notify\n" SHIM " --kill-timeout=1600 -- /opt/bin/node /srv/app/server.js\n"
                      "WorkingDirectory=/srv/app\nDynamicUser=yes\nRestart=always\nRestartSec=0s\n"
                      "StartLimitBurst=16\nStartLimitIntervalSec=16s\nTimeoutStopSec=6600ms\nKillMode=mixed\n"
                      "SyslogIdentifier=api\nLogExtraFields=PMGEN_APP=api\nEnvironmentFile=%Y/api.env\n"
                      "SourcePath=/srv/app/apps.ini\nPartOf=api.target");
        test_unit_one("[api]\nscript = server.js\nexec_mode = cluster\ninstances = 2\nport = 3000\n", NULL,
                      "api@.service",
                      SHIM " --port=3000 --backlog=4096 --kill-timeout=1600 "
                           "--node-preload=/usr/share/pmgen/node-preload.cjs -- /opt/bin/node /srv/app/server.js\n"
                      "Requires=api@%i.socket\nAfter=api@%i.socket network.target");
        test_unit_one("[api]\nscript = server.js\nexec_mode = cluster\ninstances = 2\nport = 3000\nbacklog = 512\n", NULL,
                      "api@.socket", "ListenStream=3000\nReusePort=yes\nBacklog=512\nService=api@%i.service");
        test_unit_one("[api]\nscript = server.js\nexec_mode = cluster\ninstances = 2\nport = 3000\n", NULL, "api.target",
                      "Wants=api@0.socket\nWants=api@0.service\nWants=api@1.socket\nWants=api@1.service\n"
                      "PartOf=pmgen.target\nWantedBy=multi-user.target pmgen.target");
        /* cluster mode without a port: no socket unit; the shim takes what the app binds (libpmgen-bind.so)
         * and keeps it in systemd's fd store */
        test_unit_one("[api]\nscript = server.js\nexec_mode = cluster\ninstances = 2\n", NULL, "api@.service",
                      SHIM " --backlog=4096 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "--bind-preload=/usr/lib/pmgen/libpmgen-bind.so -- "
                           "/opt/bin/node /srv/app/server.js\n"
                      "After=network.target\nFileDescriptorStoreMax=16\nMode=cluster");
        test_unit_one("[api]\nscript = server.js\ninstances = 2\nbacklog = 64\n", NULL, "api@.service",
                      SHIM " --backlog=64 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "--bind-preload=/usr/lib/pmgen/libpmgen-bind.so -- "
                           "/opt/bin/node /srv/app/server.js");
        test_unit_one("[api]\nscript = server.js\nexec_mode = cluster\ninstances = 2\n", NULL, "api.target",
                      "Wants=api@0.service\nWants=api@1.service");
        /* instances: max is every CPU (4 here), -1 all but one, exec_mode defaults to cluster for node */
        test_unit_one("[api]\nscript = a.js\ninstances = max\nport = 1\n", NULL, "api.target", "Wants=api@3.service");
        test_unit_one("[api]\nscript = a.js\ninstances = -1\nport = 1\n", NULL, "api.target", "Description=pmgen app api (3 instances)");
        test_unit_one("[api]\nscript = a.js\ninstances = -9\nport = 1\n", NULL, "api.target", "Description=pmgen app api (1 instance)");
        test_unit_one("[api]\nscript = a.js\ninstances = 0\nport = 1\n", NULL, "api.target", "Description=pmgen app api (4 instances)");
        test_unit_one("[api]\nscript = a.js\ninstances = 2\nport = 1\n", NULL, "api@.socket", "ListenStream=1");
        /* interpreters */
        test_unit_one("[api]\nscript = w.py\n", NULL, "api@.service", SHIM " --kill-timeout=1600 -- /opt/bin/python3 /srv/app/w.py");
        test_unit_one("[api]\nscript = s.sh\n", NULL, "api@.service", SHIM " --kill-timeout=1600 -- /opt/bin/bash /srv/app/s.sh");
        test_unit_one("[api]\nscript = runme\n", NULL, "api@.service", SHIM " --kill-timeout=1600 -- /srv/app/runme");
        test_unit_one("[api]\nscript = bin/www\n", NULL, "api@.service", SHIM " --kill-timeout=1600 -- /opt/bin/node /srv/app/bin/www");
        test_unit_one("[api]\nscript = npm\nargs = start\n", NULL, "api@.service", SHIM " --kill-timeout=1600 -- /opt/bin/npm start");
        test_unit_one("[api]\nscript = a.js\ninterpreter = /usr/local/bin/node18\nnode_args = --inspect \"--title=a b\"\n", NULL,
                      "api@.service", SHIM " --kill-timeout=1600 -- /usr/local/bin/node18 --inspect \"--title=a b\" /srv/app/a.js");
        test_unit_one("[api]\nscript = a.js\nsource_map_support = true\n", NULL, "api@.service",
                      SHIM " --kill-timeout=1600 -- /opt/bin/node --enable-source-maps /srv/app/a.js");
        /* restart policy, timeouts, users */
        test_unit_one("[api]\nscript = a.js\nautorestart = false\nmax_restarts = 3\nmin_uptime = 2s\nrestart_delay = 500\n"
                      "kill_timeout = 3s\nuser = node\ngroup = web\nstop_exit_codes = 0 2\n", NULL, "api@.service",
                      "Restart=no\nRestartSec=500ms\nStartLimitBurst=3\nStartLimitIntervalSec=7500ms\n"
                      "TimeoutStopSec=8s\nUser=node\nGroup=web\nRestartPreventExitStatus=0 2\n"
                      SHIM " --kill-timeout=3000 -- /opt/bin/node /srv/app/a.js");
        test_unit_one("[api]\nscript = a.js\nmax_memory_restart = 200M\nexp_backoff_restart_delay = 100\nwait_ready = yes\n"
                      "listen_timeout = 8000\nshutdown_with_message = true\ninstance_var = ID\nincrement_var = PORT2\n", NULL,
                      "api@.service",
                      SHIM " --instance-var=ID --increment-var=PORT2 --kill-timeout=1600 --listen-timeout=8000 --wait-ready "
                           "--shutdown-with-message --max-memory-restart=209715200 --exp-backoff=100 -- /opt/bin/node /srv/app/a.js");
        /* logs */
        test_unit_one("[api]\nscript = a.js\nout_file = logs/out.log\nerror_file = /dev/null\ninstances = 2\nexec_mode = fork\n", NULL,
                      "api@.service", "StandardOutput=append:/srv/app/logs/out-%i.log\nStandardError=null");
        test_unit_one("[api]\nscript = a.js\nlog_file = /var/log/a.log\nmerge_logs = true\ninstances = 2\nexec_mode = fork\n", NULL,
                      "api@.service", "StandardOutput=append:/var/log/a.log\nStandardError=append:/var/log/a.log");
        test_unit_one("[api]\nscript = a.js\ndisable_logs = true\n", NULL, "api@.service", "StandardOutput=null\nStandardError=null");
        /* env and profiles: env_<profile> over env, values escaped */
        test_unit_one("[api]\nscript = a.js\n[api env]\nA = 1\nB = \"two words\"\n[api env_production]\nB = prod\nC = \"$x\\\"\"\n",
                      "production", "api.env", "A=\"1\"\nB=\"prod\"\nC=\"\\$x\\\"\"");
        test_unit_one("[api]\nscript = a.js\n[api env]\nPORT = 4000\n", NULL, "api@.service",
                      SHIM " --port=4000 --kill-timeout=1600 -- /opt/bin/node /srv/app/a.js");
        /* cron and watch */
        test_unit_one("[api]\nscript = a.js\ncron_restart = 0 3 * * *\n", NULL, "api-cron.timer", "OnCalendar=*-*-* 03:00:00");
        test_unit_one("[api]\nscript = a.js\ncron = 0 3 * * *\n", NULL, "api-cron.service",
                      "Type=oneshot\nExecStart=systemctl --no-block try-restart api@*.service");
        test_unit_one("[api]\nscript = a.js\nwatch = src \"my lib\"\n", NULL, "api-watch.path",
                      "PathChanged=/srv/app/src\nPathChanged=/srv/app/my lib\nUnit=api-watch.service");
        test_unit_one("[api]\nscript = a.js\nwatch = true\n", NULL, "api-watch.path", "PathChanged=/srv/app");
        test_unit_one("[api]\nscript = a.js\nnamespace = backend\n", NULL, "api.target",
                      "PartOf=pmgen-ns@backend.target\nWantedBy=pmgen-ns@backend.target");
        /* reload: the shim as root, with the environment file read again */
        test_unit_one("[api]\nscript = a.js\n", NULL, "api@.service",
                      "ExecReload=+/usr/libexec/pmgen/pmgen-shim --reload --env-file=%Y/api.env");
        /* sticky: ip (pmgen's addition) gives the shim the group's size, in cluster mode only */
        test_unit_one("[api]\nscript = a.js\nexec_mode = cluster\ninstances = 3\nport = 3000\nsticky = ip\n", NULL,
                      "api@.service",
                      SHIM " --port=3000 --backlog=4096 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "--sticky=ip --group-size=3 -- /opt/bin/node /srv/app/a.js");
        test_unit_one("[api]\nscript = a.js\nexec_mode = cluster\ninstances = 2\nport = 3000\nsticky = none\n", NULL,
                      "api@.service",
                      SHIM " --port=3000 --backlog=4096 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "-- /opt/bin/node /srv/app/a.js");
        /* health (pmgen's addition): the shim's options, WatchdogSec= = interval x retries + timeout + 2 s */
        test_unit_one("[api]\nscript = a.js\nexec_mode = cluster\nport = 3000\n[api health]\nurl = /healthz\n", NULL,
                      "api@.service",
                      SHIM " --port=3000 --backlog=4096 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "--health-url=/healthz --health-interval=5000 --health-timeout=2000 --health-retries=3 -- "
                           "/opt/bin/node /srv/app/a.js");
        test_unit_one("[api]\nscript = a.js\nexec_mode = cluster\nport = 3000\n[api health]\nurl = /healthz\n", NULL,
                      "api@.service", "WatchdogSec=19s\nWatchdogSignal=SIGTERM");
        test_unit_one("[api]\nscript = a.js\n[api health]\ncmd = \"curl -f localhost:$PORT/ || test 100% = $1\"\n"
                      "interval = 1s\ntimeout = 250\nretries = 2\nstart_period = 1m\n", NULL, "api@.service",
                      SHIM " --kill-timeout=1600 \"--health-cmd=curl -f localhost:$$PORT/ || test 100%% = $$1\" "
                           "--health-interval=1000 --health-timeout=250 --health-retries=2 --health-start-period=60000 -- "
                           "/opt/bin/node /srv/app/a.js\n");
        test_unit_one("[api]\nscript = a.js\n[api health]\ncmd = true\ninterval = 1s\ntimeout = 250\nretries = 2\n", NULL,
                      "api@.service", "WatchdogSec=4250ms\n");
        test_unit_one("[api]\nscript = a.js\n[api health]\ntcp = 6379\n", NULL, "api@.service",
                      SHIM " --kill-timeout=1600 --health-tcp=127.0.0.1:6379 --health-interval=5000 --health-timeout=2000 "
                           "--health-retries=3 -- /opt/bin/node /srv/app/a.js");
        test_unit_one("[api]\nscript = a.js\nexec_mode = cluster\n[api health]\ntcp = yes\n", NULL, "api@.service",
                      SHIM " --backlog=4096 --kill-timeout=1600 --node-preload=/usr/share/pmgen/node-preload.cjs "
                           "--bind-preload=/usr/lib/pmgen/libpmgen-bind.so --health-tcp=socket --health-interval=5000 "
                           "--health-timeout=2000 --health-retries=3 -- /opt/bin/node /srv/app/a.js");
        /* specifiers in paths are escaped */
        test_unit_one("[api]\nscript = a.js\ncwd = /srv/app/100%\n", NULL, "api@.service", "WorkingDirectory=/srv/app/100%%");
}

static void test_diags(void **state) {
        (void) state;
        test_diag_one("[api]\nscript = a.js\nmax_memory_restat = 1M\n", NULL, false,
                      "apps.ini:3:1: error: unknown attribute 'max_memory_restat' (did you mean 'max_memory_restart'?)\n");
        test_diag_one("[api]\nscript = a.js\nvizion = true\n", NULL, true,
                      "apps.ini:3:1: warning: 'vizion' is ignored: pmgen does not track version control metadata\n");
        test_diag_one("[api]\nscript = a.js\nport = 0\n", NULL, false,
                      "apps.ini:3:8: error: port: expected a whole number from 1 to 65535, found 0\n");
        test_diag_one("[api]\nscript = a.js\ninstances = lots\n", NULL, false,
                      "apps.ini:3:13: error: instances: expected a number, \"max\" or -N, found 'lots'\n");
        test_diag_one("[api]\nscript = a.js\nmin_uptime = 10 sec\n", NULL, false,
                      "apps.ini:3:14: error: min_uptime: expected milliseconds or a duration such as 10s, 5m or 1h, found '10 sec'\n");
        test_diag_one("[api]\nscript = a.js\nmax_memory_restart = 1T\n", NULL, false,
                      "apps.ini:3:22: error: max_memory_restart: expected a size such as 512K, 200M or 1G, found '1T'\n");
        test_diag_one("[api]\nscript = a.js\nautorestart = maybe\n", NULL, false,
                      "apps.ini:3:15: error: autorestart: expected true or false, found 'maybe'\n");
        test_diag_one("[api]\nscript = a.js\nexec_mode = fork\nexec = b.js\n", NULL, false,
                      "apps.ini:4:1: error: 'script' is set twice (also as an alias)\n");
        test_diag_one("[api]\nscript = a.js\ninterpreter = ruby9\n", NULL, false,
                      "apps.ini:3:15: error: interpreter 'ruby9' not found on PATH (units have no login PATH, so pmgen resolves "
                      "it now): install it or set interpreter to an absolute path\n");
        test_diag_one("[api]\nscript = a.js\n[api env]\nPORT = http\n", NULL, false,
                      "apps.ini:4:8: error: PORT 'http' is not a port number (1-65535)\n");
        test_diag_one("[api]\nscript = a.js\n", "staging", true,
                      "apps.ini:1:1: warning: app 'api' has no env_staging; using its env only\n");
        test_diag_one("[api]\nscript = /elsewhere/a.js\n", NULL, true,
                      "apps.ini:2:10: warning: script /elsewhere/a.js does not exist on this machine\n");
        /* a working directory that is missing here: said once (not again for the script in it) */
        test_diag_one("[api]\nscript = a.js\ncwd = /opt/api\n", NULL, true,
                      "apps.ini:3:7: warning: cwd /opt/api does not exist on this machine\n");
        test_diag_one("[api]\nscript = b.js\ncwd = a.js\n", NULL, false,
                      "apps.ini:3:7: error: cwd /srv/app/a.js is not a directory\n");
        /* for pmgen apply, the units are for this machine: a missing cwd or script is an error */
        paths_must_exist = true;
        test_diag_one("[api]\nscript = a.js\ncwd = /opt/api\n", NULL, false,
                      "apps.ini:3:7: error: cwd /opt/api does not exist, expected the app's directory\n");
        test_diag_one("[api]\nscript = /elsewhere/a.js\n", NULL, false,
                      "apps.ini:2:10: error: script '/elsewhere/a.js' does not exist (/elsewhere/a.js)\n");
        test_diag_one("[api]\nscript = a.js\ncwd = sub\n", NULL, true, "");
        test_diag_one("[api]\nscript = a.js\nread_write_paths = /var/lib/nope\n", NULL, false,
                      "apps.ini:3:20: error: read_write_paths: /var/lib/nope does not exist (systemd would not start the "
                      "app)\n");
        paths_must_exist = false;
        test_diag_one("[api]\nscript = a.js\nuser = root\n", NULL, true,
                      "apps.ini:3:8: warning: app 'api' runs as root: give it a user of its own\n");
        test_diag_one("[api]\nscript = a.js\nuser = 0\n", NULL, true,
                      "apps.ini:3:8: warning: app 'api' runs as root (uid 0): give it a user of its own\n");
        test_diag_one("[api]\nscript = a.js\nuser = 1000\n", NULL, true, "");
        test_diag_one("[api]\nscript = a.js\nhardening = paranoid\n", NULL, false,
                      "apps.ini:3:13: error: hardening: expected \"default\", \"strict\" or \"off\", found 'paranoid'\n");
        test_diag_one("[api]\nscript = a.js\nhardening_override = User=root\n", NULL, false,
                      "apps.ini:3:22: error: hardening_override: 'User': expected one of systemd's sandboxing directives "
                      "(the hardening profile's, MemoryDenyWriteExecute, PrivateNetwork, PrivateMounts, IPAddressAllow, "
                      "IPAddressDeny, ReadOnlyPaths, InaccessiblePaths, NoExecPaths, ExecPaths, BindPaths, "
                      "BindReadOnlyPaths, TemporaryFileSystem, RestrictFileSystems, SocketBindAllow, SocketBindDeny, "
                      "SecureBits)\n");
        test_diag_one("[api]\nscript = a.js\nhardening_override = \"ProtectHome = yes\"\n", NULL, false,
                      "apps.ini:3:22: error: hardening_override: expected 'Directive=value' (no spaces before '='), "
                      "found 'ProtectHome = yes'\n");
        test_diag_one("[api]\nscript = a.js\nhardening_override = ReadOnlyPaths=/x%i\n", NULL, false,
                      "apps.ini:3:22: error: hardening_override: ReadOnlyPaths: '%' and '\\' are not allowed (no specifiers "
                      "or escapes in overrides)\n");
        test_diag_one("[api]\nscript = a.js\nread_write_paths = \"a b\"\n", NULL, false,
                      "apps.ini:3:20: error: read_write_paths 'a b': expected a path without spaces, quotes or '\\'\n");
        test_diag_one("[api]\nscript = a.js\nread_write_paths = -/x\n", NULL, false,
                      "apps.ini:3:20: error: read_write_paths '-/x': expected a path, not a '-' or '+' prefix\n");
        test_diag_one("[api]\nscript = a.js\nread_write_paths = /var/lib/nope\n", NULL, true,
                      "apps.ini:3:20: warning: read_write_paths: /var/lib/nope does not exist on this machine\n");
        test_diag_one("[api]\nscript = a.js\nsticky = cookie\n", NULL, false,
                      "apps.ini:3:10: error: sticky: expected \"ip\" or \"none\", found 'cookie'\n");
        test_diag_one("[api]\nscript = a.js\nsticky = ip\n", NULL, true,
                      "apps.ini:3:10: warning: app 'api': sticky applies to cluster mode (a port shared by instances); "
                      "ignored\n");
        /* health (pmgen's addition) */
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\ntcp = 9000\n", NULL, false,
                      "apps.ini:5:1: error: health: 'url' and 'tcp' are alternatives: give one of url, tcp and cmd\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\ninterval = 1s\n", NULL, false,
                      "apps.ini:3:1: error: health: expected one of url, tcp or cmd (what to check)\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\nintervall = 1s\n", NULL, false,
                      "apps.ini:5:1: error: health: unknown key 'intervall' (did you mean 'interval'?)\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\nhttp = 1\n", NULL, false,
                      "apps.ini:5:1: error: health: unknown key 'http': expected url, tcp, cmd, interval, timeout, "
                      "retries or start_period\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\ntimeout = soon\n", NULL, false,
                      "apps.ini:5:11: error: health.timeout: expected milliseconds or a duration such as 10s, 5m or 1h, "
                      "found 'soon'\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\nretries = 0\n", NULL, false,
                      "apps.ini:5:11: error: health.retries: expected a whole number from 1 to 1000, found 0\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /a\ninterval = 5\n", NULL, false,
                      "apps.ini:5:12: error: health.interval: expected from 10 ms to 24 h\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\ntcp = no\n", NULL, false,
                      "apps.ini:4:7: error: health.tcp: expected true (the instance's socket), a port or \"HOST:PORT\", "
                      "found false\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\ntcp = 70000\n", NULL, false,
                      "apps.ini:4:7: error: health.tcp: expected a port from 1 to 65535\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\ntcp = db.local:5432\n", NULL, false,
                      "apps.ini:4:7: error: health.tcp: expected true (the instance's own socket), a port or \"HOST:PORT\" "
                      "with HOST an IPv4 address, [IPv6] or localhost, found 'db.local:5432'\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = https://127.0.0.1/a\n", NULL, false,
                      "apps.ini:4:7: error: health.url: expected a path such as /healthz (asked of the instance's own "
                      "socket) or http://HOST[:PORT]/PATH with HOST an IPv4 address, [IPv6] or localhost, and no spaces, "
                      "found 'https://127.0.0.1/a'\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = \"/a b\"\n", NULL, false,
                      "apps.ini:4:7: error: health.url: expected a path such as /healthz (asked of the instance's own "
                      "socket) or http://HOST[:PORT]/PATH with HOST an IPv4 address, [IPv6] or localhost, and no spaces, "
                      "found '/a b'\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\ncmd = \"a\\nb\"\n", NULL, false,
                      "apps.ini:4:7: error: health.cmd: control characters (such as a newline) cannot appear here\n");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = /healthz\n", NULL, false,
                      "apps.ini:3:1: error: health: url '/healthz' checks the instance's own socket, but app 'api' runs in "
                      "fork mode without one: use exec_mode cluster (with a port or without), or give an address "
                      "(http://127.0.0.1:PORT/healthz)\n");
        test_diag_one("[api]\nscript = a.js\nexec_mode = cluster\n[api health]\nurl = /healthz\n", NULL, true, "");
        test_diag_one("[api]\nscript = a.js\n[api health]\nurl = http://127.0.0.1:3000/healthz\n", NULL, true, "");
        test_diag_one("[api]\nscript = a.js\ndeploy = x\n", NULL, false,
                      "apps.ini:3:1: error: 'deploy' is not supported: use your deploy tool; pmgen manages runtime\n");
        test_diag_one("[api]\nscript = a.js\ncron_restart = 0 0 1 * 1\n", NULL, false,
                      "apps.ini:3:16: error: cron_restart '0 0 1 * 1': day of month (field 3) and day of week (field 5) are "
                      "both restricted: cron runs the job on days matching EITHER, but systemd's OnCalendar= requires BOTH; "
                      "restrict only one of them (or schedule the two cases separately)\n");
}

/* Every key of the table is documented in pmgen.ini(5), and every alias resolves. */
static void test_key_table(void **state) {
        FILE *f = fopen("man/pmgen.ini.5", "re");
        char *man = calloc(1, 1 << 20);
        size_t n;

        (void) state;
        assert_non_null(f);
        n = fread(man, 1, (1 << 20) - 1, f);
        fclose(f);
        man[n] = '\0';
        for (size_t i = 0; i < key_table_len; i++) {
                char needle[128];

                snprintf(needle, sizeof(needle), ".It Ic %s", key_table[i].name);
                if (!strstr(man, needle))
                        fail_msg("man/pmgen.ini.5 does not document '%s'", key_table[i].name);
                assert_ptr_equal(key_lookup(key_table[i].name), &key_table[i]);
        }
        assert_ptr_equal(key_lookup("node_args"), key_lookup("interpreter_args"));
        assert_ptr_equal(key_lookup("exec_interpreter"), key_lookup("interpreter"));
        assert_ptr_equal(key_lookup("err_file"), key_lookup("error_file"));
        assert_null(key_lookup("nonsense"));
        assert_string_equal(key_suggest("instnaces"), "instances");
        assert_string_equal(key_suggest("autorestrat"), "autorestart");
        assert_null(key_suggest("zzzzzzzzzz"));
        free(man);
}

static void test_parsers(void **state) {
        uint64_t x;
        strlist l = { 0 };

        (void) state;
        assert_int_equal(parse_size("200M", &x), 0);
        assert_int_equal(x, 200u << 20);
        assert_int_equal(parse_size("1G", &x), 0);
        assert_int_equal(x, 1u << 30);
        assert_int_equal(parse_size("512", &x), 0);
        assert_int_equal(x, 512);
        assert_int_equal(parse_size("1.5G", &x), -EINVAL);
        assert_int_equal(parse_size("M", &x), -EINVAL);
        assert_int_equal(parse_size("99999999999999999999G", &x), -EINVAL);
        assert_int_equal(parse_duration_ms("10s", &x), 0);
        assert_int_equal(x, 10000);
        assert_int_equal(parse_duration_ms("2h", &x), 0);
        assert_int_equal(x, 7200000);
        assert_int_equal(parse_duration_ms("-1", &x), -EINVAL);
        /* PM2's args splitting */
        assert_int_equal(split_args_pm2("--a=\"x y\" 'b c' \"d\" e", &l), 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.v[0], "--a=\"x y\"");
        assert_string_equal(l.v[1], "b c");
        assert_string_equal(l.v[2], "d");
        assert_string_equal(l.v[3], "e");
        strlist_free(&l);
        assert_int_equal(split_args_pm2("   ", &l), 0);
        assert_int_equal(l.n, 0);
        strlist_free(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units), cmocka_unit_test(test_hardening), cmocka_unit_test(test_depends),
                cmocka_unit_test(test_limits_env), cmocka_unit_test(test_cpu_max), cmocka_unit_test(test_diags), cmocka_unit_test(test_key_table),
                cmocka_unit_test(test_parsers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
