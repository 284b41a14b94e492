/* SPDX-License-Identifier: MIT */
/* pmgen-shim's command line. options_parse borrows its strings from argv; nothing is allocated. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Exit codes (documented in --help). */
#define EXIT_USAGE 2
/* The shim stopped the app for --max-memory-restart. EX_TEMPFAIL: not 0 and not in the unit's
 * SuccessExitStatus= (130 143), so systemd's Restart=always (or on-failure) starts the instance again. */
#define EXIT_MEMORY_RESTART 75
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

typedef enum memory_source_opt {
        MEMORY_SOURCE_TREE,     /* RssAnon of the child's process tree (the default) */
        MEMORY_SOURCE_CGROUP,   /* the anonymous memory in the instance's cgroup's memory.stat */
} memory_source_opt;

/* How many samples in a row must be over --max-memory-restart before the child is replaced. */
#define MEMORY_SAMPLES_OVER 3
/* How often --max-cpu-restart samples the CPU time. */
#define CPU_INTERVAL_MS 1000

typedef struct options {
        const char *app;
        bool has_instance;
        unsigned long instance;
        const char *instance_var;
        const char *increment_var;
        bool has_port;
        unsigned port;
        unsigned backlog;
        bool backlog_given;
        int stop_signal;
        unsigned long kill_timeout_ms;
        const char *node_preload;
        const char *bind_preload;       /* --bind-preload: LD_PRELOAD library, sockets from bindsrv */
        unsigned long backoff_base_ms;  /* 0: --exp-backoff not given */
        unsigned long listen_timeout_ms;
        bool wait_ready;
        bool shutdown_with_message;
        uint64_t max_memory;            /* bytes; 0: --max-memory-restart not given */
        unsigned long memory_interval_ms;
        unsigned long max_cpu;          /* percent of one CPU; 0: --max-cpu-restart not given */
        unsigned long cpu_window_ms;    /* --cpu-window */
        memory_source_opt cpu_source;   /* --cpu-source: the child's process tree (/proc/PID/stat), or the
                                         * instance's cgroup (cpu.stat, cpuacct.usage) less the shim's own */
        bool sticky;                    /* --sticky=ip */
        unsigned group_size;            /* --group-size: the instances sharing the port */
        /* health check (health.h): at most one of the three */
        const char *health_url;         /* --health-url: "/PATH" (this instance's socket) or http://HOST:PORT/PATH */
        const char *health_tcp;         /* --health-tcp: "socket" (this instance's socket) or HOST:PORT */
        const char *health_cmd;         /* --health-cmd: /bin/sh -c CMD sh CHILD_PID; exit 0 passes */
        unsigned long health_interval_ms;
        unsigned long health_timeout_ms;
        unsigned long health_retries;
        unsigned long health_start_period_ms; /* 0: readiness is bounded by --listen-timeout */
        /* client mode (pmgen-shim --reload): */
        bool reload;
        const char *env_file;
        const char *control_path;       /* NULL: $RUNTIME_DIRECTORY/control */
        /* hidden, for tests: */
        memory_source_opt memory_source;
        const char *cgroup_root;
        const char *proc_cgroup;
        char **command;
} options;

/* Returns -1 to go on, or the exit code (0 after --help/--version, EXIT_USAGE after an error, which it
 * has printed). With --reload, command is NULL. */
int options_parse(options *o, int argc, char **argv);
