/* SPDX-License-Identifier: MIT */
#include "shim/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/backoff.h"
#include "health.h"
#include "shim/memory.h"

#define MS_MAX (24UL * 3600 * 1000)

static void usage(FILE *f) {
        fputs("Usage: pmgen-shim [OPTION...] -- COMMAND [ARG...]\n"
              "       pmgen-shim --reload [--env-file=PATH] [--control=PATH]\n"
              "Run COMMAND as the single child of one pmgen app instance (the unit's main process).\n"
              "\n"
              "  --app=NAME             app name (shown in ps)\n"
              "  --instance=N           instance number, exported as the instance variable\n"
              "  --instance-var=NAME    name of that variable (default NODE_APP_INSTANCE)\n"
              "  --increment-var=NAME   add the instance number to the inherited value of NAME\n"
              "  --port=N               export PORT=N (and PMGEN_PORT=N with --node-preload)\n"
              "  --backlog=N            listen backlog of the sockets, kept through the app's changes and\n"
              "                         used by the Node preload (default 511)\n"
              "  --stop-signal=SIG      signal that asks the app to stop (default SIGINT)\n"
              "  --kill-timeout=MS      SIGKILL the app this long after the stop signal (default 1600)\n"
              "  --node-preload=PATH    add --require PATH to NODE_OPTIONS\n"
              "  --bind-preload=PATH    for apps that declare no port: LD_PRELOAD PATH (libpmgen-bind.so),\n"
              "                         which takes the TCP sockets the app binds from the shim; the shim\n"
              "                         keeps them (and in systemd's fd store) for reloads and restarts\n"
              "  --exp-backoff=MS       delay quick restarts: MS, then x1.5 up to 15000, reset after 30 s up\n"
              "  --wait-ready           the app says when it is ready: process.send('ready') (it gets a Node\n"
              "                         IPC channel, NODE_CHANNEL_FD) or sd_notify READY=1\n"
              "  --listen-timeout=MS    how long a child may take to be ready (default 3000): a start goes on\n"
              "                         after it, as PM2 does; a reload gives the new child up\n"
              "  --shutdown-with-message  stop the app with the message 'shutdown' (process.on('message'))\n"
              "                         instead of the stop signal; the kill timeout still applies\n"
              "  --max-memory-restart=SIZE  replace the app (a reload) when the anonymous memory of its\n"
              "                         process tree stays over SIZE bytes; K, M, G suffixes (powers of 1024)\n"
              "  --memory-interval=MS   how often that is checked (default 1000; 3 samples in a row count)\n"
              "  --max-cpu-restart=PCT  replace the app (a reload) when it has used more than PCT\n"
              "                         percent of one CPU, every second of --cpu-window\n"
              "  --cpu-window=MS        how long that must last (default 60000)\n"
              "  --cpu-source=tree|cgroup  what is measured: the child's process tree (default), or the\n"
              "                         instance's cgroup (cpu.stat; cpuacct.usage on v1) less the shim's own\n"
              "  --health-url=URL       the health check: GET URL answers 2xx or 3xx; a bare /PATH is asked of\n"
              "                         this instance's own socket (http://HOST:PORT/PATH: that address)\n"
              "  --health-tcp=ADDR      the health check: a connection to ADDR (HOST:PORT) succeeds, or with\n"
              "                         'socket' this instance's child accepts one on its own socket\n"
              "  --health-cmd=CMD       the health check: /bin/sh -c CMD sh CHILD_PID exits 0\n"
              "  --health-interval=MS   how often the check runs on the serving child (default 5000)\n"
              "  --health-timeout=MS    how long one check may take (default 2000)\n"
              "  --health-retries=N     failures in a row that make the child unhealthy: no more watchdog\n"
              "                         pings (default 3)\n"
              "  --health-start-period=MS  how long a new child may take to pass the check (default:\n"
              "                         --listen-timeout); the check is its readiness\n"
              "  --sticky=ip            pick the instance by the client's address (needs --group-size)\n"
              "  --group-size=N         how many instances share the port\n"
              "  --reload               ask the running shim of this instance (RUNTIME_DIRECTORY) for a\n"
              "                         graceful reload and wait for its outcome (ExecReload=)\n"
              "  --env-file=PATH        with --reload: the app's environment file, read again\n"
              "  --control=PATH         with --reload: the shim's control socket\n"
              "  -h, --help             show this help\n"
              "      --version          show the version\n"
              "\n"
              "Exit status: the app's, 128+N when it was killed by signal N, 126/127 when COMMAND cannot be\n"
              "executed, 2 on usage errors, 75 after stopping the app for --max-memory-restart when no\n"
              "replacement could be started (so that systemd's Restart= starts the instance again).\n"
              "With --reload: 0 when the reload succeeded, 1 when it failed (the old child still runs).\n",
              f);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out) {
        unsigned long v;
        char *end;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *out = v;
        return 0;
}

static int parse_signal(const char *s) {
        unsigned long v;
        const char *abbrev;
        int sig;

        if (parse_ulong(s, 1, (unsigned long) SIGRTMAX, &v) == 0)
                return (int) v;
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (sig = 1; sig < SIGRTMIN; sig++) {
                abbrev = sigabbrev_np(sig);
                if (abbrev && strcmp(abbrev, s) == 0)
                        return sig;
        }
        return -EINVAL;
}

static bool valid_var_name(const char *s) {
        if (*s == '\0' || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

static int parse_memory_source(const char *s, memory_source_opt *out) {
        static const char *const names[] = { "tree", "cgroup" };
        size_t i;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i]) == 0) {
                        *out = (memory_source_opt) i;
                        return 0;
                }
        return -EINVAL;
}

enum {
        OPT_APP = 0x100, OPT_INSTANCE, OPT_INSTANCE_VAR, OPT_INCREMENT_VAR, OPT_PORT, OPT_BACKLOG,
        OPT_STOP_SIGNAL, OPT_KILL_TIMEOUT, OPT_NODE_PRELOAD, OPT_EXP_BACKOFF, OPT_LISTEN_TIMEOUT,
        OPT_WAIT_READY, OPT_SHUTDOWN_WITH_MESSAGE, OPT_MAX_MEMORY_RESTART, OPT_MEMORY_INTERVAL, OPT_MAX_CPU_RESTART,
        OPT_CPU_WINDOW, OPT_CPU_SOURCE,
        OPT_MEMORY_SOURCE, OPT_CGROUP_ROOT, OPT_PROC_CGROUP, OPT_VERSION, OPT_STICKY, OPT_GROUP_SIZE,
        OPT_RELOAD, OPT_ENV_FILE, OPT_CONTROL, OPT_BIND_PRELOAD, OPT_HEALTH_URL, OPT_HEALTH_TCP, OPT_HEALTH_CMD,
        OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT, OPT_HEALTH_RETRIES, OPT_HEALTH_START_PERIOD,
};

int options_parse(options *o, int argc, char **argv) {
        static const struct option longopts[] = {
                { "app",                   required_argument, NULL, OPT_APP },
                { "instance",              required_argument, NULL, OPT_INSTANCE },
                { "instance-var",          required_argument, NULL, OPT_INSTANCE_VAR },
                { "increment-var",         required_argument, NULL, OPT_INCREMENT_VAR },
                { "port",                  required_argument, NULL, OPT_PORT },
                { "backlog",               required_argument, NULL, OPT_BACKLOG },
                { "stop-signal",           required_argument, NULL, OPT_STOP_SIGNAL },
                { "kill-timeout",          required_argument, NULL, OPT_KILL_TIMEOUT },
                { "node-preload",          required_argument, NULL, OPT_NODE_PRELOAD },
                { "bind-preload",          required_argument, NULL, OPT_BIND_PRELOAD },
                { "exp-backoff",           required_argument, NULL, OPT_EXP_BACKOFF },
                { "listen-timeout",        required_argument, NULL, OPT_LISTEN_TIMEOUT },
                { "wait-ready",            no_argument,       NULL, OPT_WAIT_READY },
                { "shutdown-with-message", no_argument,       NULL, OPT_SHUTDOWN_WITH_MESSAGE },
                { "max-memory-restart",    required_argument, NULL, OPT_MAX_MEMORY_RESTART },
                { "memory-interval",       required_argument, NULL, OPT_MEMORY_INTERVAL },
                { "max-cpu-restart",       required_argument, NULL, OPT_MAX_CPU_RESTART },
                { "cpu-window",            required_argument, NULL, OPT_CPU_WINDOW },
                { "cpu-source",            required_argument, NULL, OPT_CPU_SOURCE },
                { "sticky",                required_argument, NULL, OPT_STICKY },
                { "group-size",            required_argument, NULL, OPT_GROUP_SIZE },
                { "health-url",            required_argument, NULL, OPT_HEALTH_URL },
                { "health-tcp",            required_argument, NULL, OPT_HEALTH_TCP },
                { "health-cmd",            required_argument, NULL, OPT_HEALTH_CMD },
                { "health-interval",       required_argument, NULL, OPT_HEALTH_INTERVAL },
                { "health-timeout",        required_argument, NULL, OPT_HEALTH_TIMEOUT },
                { "health-retries",        required_argument, NULL, OPT_HEALTH_RETRIES },
                { "health-start-period",   required_argument, NULL, OPT_HEALTH_START_PERIOD },
                { "reload",                no_argument,       NULL, OPT_RELOAD },
                { "env-file",              required_argument, NULL, OPT_ENV_FILE },
                { "control",               required_argument, NULL, OPT_CONTROL },
                /* Not in --help: let the tests pick the memory source and fake the cgroup tree. */
                { "memory-source",         required_argument, NULL, OPT_MEMORY_SOURCE },
                { "cgroup-root",           required_argument, NULL, OPT_CGROUP_ROOT },
                { "proc-cgroup",           required_argument, NULL, OPT_PROC_CGROUP },
                { "help",                  no_argument,       NULL, 'h' },
                { "version",               no_argument,       NULL, OPT_VERSION },
                {}
        };
        const char *arg;
        unsigned long v;
        int c, r, idx;

        *o = (options) {
                .instance_var = "NODE_APP_INSTANCE",
                .backlog = 511,
                .stop_signal = SIGINT,
                .kill_timeout_ms = 1600,
                .listen_timeout_ms = 3000,
                .memory_interval_ms = 1000,
                .cpu_window_ms = 60000,
                .health_interval_ms = 5000,
                .health_timeout_ms = 2000,
                .health_retries = 3,
                .cgroup_root = MEMORY_CGROUP_ROOT,
                .proc_cgroup = "/proc/self/cgroup",
        };
        opterr = 0;
        /* '+': stop at COMMAND, so its own options are left alone. */
        while ((c = getopt_long(argc, argv, "+:h", longopts, &idx)) >= 0) {
                r = 0;
                switch (c) {
                case OPT_APP:
                        o->app = optarg;
                        break;
                case OPT_INSTANCE:
                        r = parse_ulong(optarg, 0, UINT_MAX, &v);
                        o->has_instance = true;
                        o->instance = v;
                        break;
                case OPT_INSTANCE_VAR:
                case OPT_INCREMENT_VAR:
                        if (!valid_var_name(optarg)) {
                                fprintf(stderr, "pmgen-shim: --%s: '%s' is not a valid variable name\n",
                                        c == OPT_INSTANCE_VAR ? "instance-var" : "increment-var", optarg);
                                return EXIT_USAGE;
                        }
                        *(c == OPT_INSTANCE_VAR ? &o->instance_var : &o->increment_var) = optarg;
                        break;
                case OPT_PORT:
                        r = parse_ulong(optarg, 1, 65535, &v);
                        o->has_port = true;
                        o->port = (unsigned) v;
                        break;
                case OPT_BACKLOG:
                        r = parse_ulong(optarg, 1, INT_MAX, &v);
                        o->backlog = (unsigned) v;
                        o->backlog_given = true;
                        break;
                case OPT_STOP_SIGNAL:
                        r = o->stop_signal = parse_signal(optarg);
                        break;
                case OPT_KILL_TIMEOUT:
                        r = parse_ulong(optarg, 0, MS_MAX, &o->kill_timeout_ms);
                        break;
                case OPT_NODE_PRELOAD:
                case OPT_BIND_PRELOAD:
                case OPT_CGROUP_ROOT:
                case OPT_PROC_CGROUP:
                case OPT_ENV_FILE:
                case OPT_CONTROL:
                        if (*optarg == '\0') {
                                fprintf(stderr, "pmgen-shim: --%s: empty path\n", longopts[idx].name);
                                return EXIT_USAGE;
                        }
                        *(c == OPT_NODE_PRELOAD ? &o->node_preload
                          : c == OPT_BIND_PRELOAD ? &o->bind_preload
                          : c == OPT_CGROUP_ROOT ? &o->cgroup_root
                          : c == OPT_PROC_CGROUP ? &o->proc_cgroup
                          : c == OPT_ENV_FILE ? &o->env_file : &o->control_path) = optarg;
                        break;
                case OPT_STICKY:
                        if (strcmp(optarg, "ip") == 0)
                                o->sticky = true;
                        else if (strcmp(optarg, "none") == 0)
                                o->sticky = false;
                        else
                                r = -EINVAL;
                        break;
                case OPT_GROUP_SIZE:
                        r = parse_ulong(optarg, 1, 65535, &v);
                        o->group_size = (unsigned) v;
                        break;
                case OPT_HEALTH_URL:
                        r = health_target_check(HEALTH_URL, optarg);
                        o->health_url = optarg;
                        break;
                case OPT_HEALTH_TCP:
                        r = health_target_check(HEALTH_TCP, optarg);
                        o->health_tcp = optarg;
                        break;
                case OPT_HEALTH_CMD:
                        r = *optarg && !strchr(optarg, '\n') ? 0 : -EINVAL;
                        o->health_cmd = optarg;
                        break;
                case OPT_HEALTH_INTERVAL:
                        r = parse_ulong(optarg, 10, MS_MAX, &o->health_interval_ms);
                        break;
                case OPT_HEALTH_TIMEOUT:
                        r = parse_ulong(optarg, 10, MS_MAX, &o->health_timeout_ms);
                        break;
                case OPT_HEALTH_RETRIES:
                        r = parse_ulong(optarg, 1, 1000, &o->health_retries);
                        break;
                case OPT_HEALTH_START_PERIOD:
                        r = parse_ulong(optarg, 0, MS_MAX, &o->health_start_period_ms);
                        break;
                case OPT_RELOAD:
                        o->reload = true;
                        break;
                case OPT_EXP_BACKOFF:
                        r = parse_ulong(optarg, 1, BACKOFF_MAX_MS, &o->backoff_base_ms);
                        break;
                case OPT_LISTEN_TIMEOUT:
                        r = parse_ulong(optarg, 0, MS_MAX, &o->listen_timeout_ms);
                        break;
                case OPT_WAIT_READY:
                        o->wait_ready = true;
                        break;
                case OPT_SHUTDOWN_WITH_MESSAGE:
                        o->shutdown_with_message = true;
                        break;
                case OPT_MAX_MEMORY_RESTART:
                        r = memory_parse_size(optarg, &o->max_memory);
                        break;
                case OPT_MEMORY_INTERVAL:
                        r = parse_ulong(optarg, 1, MS_MAX, &o->memory_interval_ms);
                        break;
                case OPT_MAX_CPU_RESTART:
                        r = parse_ulong(optarg, 1, 100000, &o->max_cpu);
                        break;
                case OPT_CPU_WINDOW:
                        r = parse_ulong(optarg, 1000, MS_MAX, &o->cpu_window_ms);
                        break;
                case OPT_MEMORY_SOURCE:
                        r = parse_memory_source(optarg, &o->memory_source);
                        break;
                case OPT_CPU_SOURCE:
                        r = parse_memory_source(optarg, &o->cpu_source);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        puts("pmgen-shim " PMGEN_VERSION);
                        return 0;
                case ':':
                        fprintf(stderr, "pmgen-shim: option '%s' needs a value (--option=VALUE)\n", argv[optind - 1]);
                        return EXIT_USAGE;
                default:
                        arg = argv[optind - 1];
                        if (optopt && strncmp(arg, "--", 2) == 0) /* a known flag given "=VALUE" */
                                fprintf(stderr, "pmgen-shim: option '%.*s' takes no value\n",
                                        (int) strcspn(arg, "="), arg);
                        else if (optopt && optopt < 0x100)
                                fprintf(stderr, "pmgen-shim: unknown option '-%c'\n", optopt);
                        else
                                fprintf(stderr, "pmgen-shim: unknown option '%s'\n", arg);
                        return EXIT_USAGE;
                }
                if (r < 0) {
                        fprintf(stderr, "pmgen-shim: --%s: invalid value '%s'%s\n", longopts[idx].name, optarg,
                                r == -ERANGE ? " (out of range)" : "");
                        return EXIT_USAGE;
                }
        }
        if (o->reload) {
                if (optind < argc) {
                        fprintf(stderr, "pmgen-shim: --reload takes no COMMAND, found '%s'\n", argv[optind]);
                        return EXIT_USAGE;
                }
                return -1;
        }
        if (o->env_file || o->control_path) {
                fprintf(stderr, "pmgen-shim: --%s needs --reload\n", o->env_file ? "env-file" : "control");
                return EXIT_USAGE;
        }
        if (optind >= argc) {
                fputs("pmgen-shim: missing COMMAND (pmgen-shim [OPTION...] -- COMMAND [ARG...])\n", stderr);
                return EXIT_USAGE;
        }
        if (!!o->health_url + !!o->health_tcp + !!o->health_cmd > 1) {
                fputs("pmgen-shim: give one of --health-url, --health-tcp and --health-cmd\n", stderr);
                return EXIT_USAGE;
        }
        if (o->sticky && !o->group_size) {
                fputs("pmgen-shim: --sticky=ip needs --group-size\n", stderr);
                return EXIT_USAGE;
        }
        if (o->increment_var && !o->has_instance) {
                fputs("pmgen-shim: --increment-var needs --instance\n", stderr);
                return EXIT_USAGE;
        }
        o->command = argv + optind;
        return -1;
}
