/* SPDX-License-Identifier: MIT */
/* pmgen-shim's state, shared by the loop (shim.c) and the reload (reload.c). Internal to the shim.
 *
 * The shim runs one child at a time, two during a reload: kids[cur] is the current child (the one that
 * serves), kids[!cur] the new one while it starts, or the old one while it stops after the switch. All
 * memory is set up at start; a reload allocates the new environment (and frees the old one when it is
 * committed); nothing else allocates after start-up. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shim/backoff.h"
#include "shim/bindsrv.h"
#include "health.h"
#include "shim/ipc.h"
#include "shim/options.h"
#include "shim/proctree.h"
#include "shim/sockets.h"
#include "shim/spawn.h"
#include "wedge.h"

/* How much longer than the back-off delay or listen_timeout systemd's start timeout is pushed out
 * (EXTEND_TIMEOUT_USEC only ever lengthens TimeoutStartSec=). */
#define EXTEND_SLACK_MS 5000u
/* How often a child that must be seen serving its socket is looked at. */
#define PROBE_MS 25u
/* How long a control connection may take to send its request. */
#define CLIENT_TIMEOUT_MS 5000u
/* Descendants of a stopping child remembered, to end those that left its process group. */
#define LEFTOVERS_MAX 32

typedef enum phase {
        PHASE_BACKOFF,   /* waiting out the back-off delay, no child yet */
        PHASE_STARTING,  /* the first child runs, not ready yet */
        PHASE_RUNNING,   /* READY=1 sent */
        PHASE_STOPPING,  /* for good: every child is stopped; the shim exits when none is left */
} phase;

/* What readiness a child is waited for with. */
typedef enum ready_mode {
        READY_SIGNAL,    /* its own word: process.send('ready') or READY=1 */
        READY_SERVING,   /* its own word, or being seen serving every held listening socket */
        READY_STARTED,   /* a successful exec (no sockets, no --wait-ready) */
        READY_HEALTH,    /* passing the health check (--health-*), and nothing else */
} ready_mode;

/* What a finished health check says about the child it checked. */
typedef enum health_verdict {
        HEALTH_PASS,
        HEALTH_FAIL,
        HEALTH_UNSURE,   /* another process answered, or nothing could be told: check again */
} health_verdict;

/* The health check's state (health-loop.c). */
typedef struct health_state {
        health_kind kind;                /* HEALTH_NONE: no check */
        const char *what;                /* the URL, address or command, for the log */
        health_target target;
        int diag_fd;                     /* NETLINK_SOCK_DIAG, to attribute answers; -1: cannot */
        /* the check in flight (fd >= 0 or cmd_pid > 0) */
        int fd;
        pid_t cmd_pid;
        int idx;                         /* kids[idx] is checked */
        pid_t child;                     /* its pid when the check began */
        bool for_ready;                  /* its readiness (else its liveness) */
        bool connected, sent, attributed;
        bool queue_emptied;              /* the accept queue was seen empty during this check */
        int owner;                       /* who accepted the connection (health-loop.c) */
        struct sockaddr_storage local, peer;
        char buf[16];
        size_t got;
        uint64_t started, deadline, poll_at;
        /* between checks */
        uint64_t next_at;                /* the next check; 0: none (no check configured) */
        unsigned fails;                  /* failed liveness checks in a row */
        unsigned unsure;                 /* inconclusive ones in a row */
        bool unhealthy;                  /* fails reached --health-retries: no watchdog pings */
        char last[160];                  /* why the last check failed */
        char req[HEALTH_REQUEST_MAX];
        size_t req_len;
} health_state;

typedef struct child_proc {
        pid_t pid;                   /* 0: the slot is free */
        unsigned long long seq;      /* the how-many-th child: names its notify socket */
        uint64_t start_ms;           /* CLOCK_MONOTONIC */
        ready_mode mode;
        bool ready;
        uint64_t ready_deadline;     /* 0: none */
        uint64_t probe_at;           /* next serving check; 0: none */
        uint64_t seen;               /* held sockets seen served (bits) */
        int ipc_fd;                  /* the shim's end of the Node IPC channel; -1: none */
        bool ipc_eof;
        ipc_lines ipc;
        int notify_fd;               /* its own NOTIFY_SOCKET; -1: none */
        int bind_fd;                 /* the shim's end of its bind channel (--bind-preload); -1: none */
        char notify_env[CHILD_ENV_NOTIFY_MAX + 1];
        bool stopping;
        bool stopped_by_message;
        uint64_t kill_at;            /* SIGKILL time while stopping; 0: none (sent, or not stopping) */
        proc_id left[LEFTOVERS_MAX]; /* its descendants when it was asked to stop */
        size_t n_left;
        unsigned mem_over;           /* memory samples over the limit in a row */
} child_proc;

typedef struct reload_state {
        bool active;
        const char *automatic;       /* "max_memory_restart" or "max_cpu_restart": started by the shim itself,
                                      * not by a client; NULL for a client's */
        int client_fd;               /* answered at the end; -1: none */
        int new_idx;                 /* kids[new_idx] is the new child */
        bool switched;               /* the new child is ready and current; the old one stops */
        bool takeover;               /* the old child died before the switch */
        int takeover_code;           /* its exit code, the shim's if the new one fails too */
        bool failing;                /* the new child is being killed; why says why */
        char why[256];
        uint64_t t0;
        const char *ready_how;
        /* The new child's environment ("reload-env"); committed at the switch. */
        bool has_env;
        char *env_block;             /* the request message: the variables' strings point into it */
        child_env env;
        exec_plan plan;
} reload_state;

typedef struct shim {
        options opt;
        phase phase;
        int sfd;
        char *runtime_dir;           /* the first RuntimeDirectory=, or NULL */
        /* sockets */
        unsigned n_fds;
        char **fd_names;
        held_socket *held;           /* n_fds from systemd, then bindsrv's sockets: n_held in all */
        unsigned n_held;
        bindsrv bind;                /* --bind-preload: the sockets the app bound */
        uint64_t inos[64];           /* the listening ones' inodes, for the serving check */
        size_t n_inos;
        /* signals */
        sigset_t orig_mask;
        sigset_t handled;
        struct sigaction orig_sigpipe;
        /* the children */
        env_spec spec;               /* what every child's environment gets (reload.c builds new ones) */
        child_env env;
        exec_plan plan;
        char *env_block;             /* owner of variables a reload set (NULL before any) */
        child_proc kids[2];
        int cur;
        unsigned long long next_seq;
        bool notify_learned;         /* a child said READY=1: wait for it from later children */
        bool retired;                /* "retire": the listening sockets are shut down for good */
        bool done;
        int exit_code;
        bool stop_requested;
        /* back-off */
        char *backoff_path;
        char *backoff_tmp;
        backoff_state backoff;
        uint64_t backoff_at;
        uint64_t child_start_boot_ms; /* CLOCK_BOOTTIME, for the back-off state */
        /* memory */
        uint64_t memory_at;
        char *memory_path;           /* the cgroup's memory.stat; NULL: the process tree */
        int memory_v1;
        bool memory_warned;
        bool memory_restart;         /* the stop was for max_memory_restart: exit EXIT_MEMORY_RESTART */
        unsigned long replaced;      /* replacements of its own ($RUNTIME_DIRECTORY/replaced) */
        /* cpu (--max-cpu-restart): the current child's tree, sampled every second */
        uint64_t cpu_at, cpu_last_ms, cpu_over_ms;
        unsigned long long cpu_last_usec; /* the last sample (cpu_sample) */
        pid_t cpu_pid;               /* the child the last sample is of */
        char *cpu_path;              /* --cpu-source=cgroup: the cgroup's cpu.stat or cpuacct.usage; NULL: the tree */
        int cpu_v1;
        /* watchdog */
        uint64_t wd_ms;              /* WATCHDOG_USEC in ms; 0: off */
        uint64_t wd_tick_at, wd_ping_at;
        health_state health;
        uint64_t wedged_since;       /* the oldest waiting connection came (or, without the socket table,
                                      * the queue was seen non-empty and not shrinking) at; 0: none waits */
        unsigned wedge_last;
        bool wedged;
        int wedge_fd;                /* NETLINK_SOCK_DIAG for the wedge test (wedge.h); -1: not open */
        bool wedge_fallback;         /* the socket table cannot be read: the queue's length decides */
        uint32_t wedge_seq;
        wedge_track wedge;
        /* control socket */
        int control_fd;
        char control_path[108];
        int client_fd;               /* a connection whose request has not come yet; -1: none */
        uint64_t client_deadline;
        reload_state reload;
} shim;

/* shim.c */
extern const int handled_signals[];
extern const size_t n_handled_signals;
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *signal_name(int sig, char *buf, size_t size);
uint64_t now_ms(void);                       /* CLOCK_MONOTONIC */
uint64_t boot_ms(void);                      /* CLOCK_BOOTTIME (the back-off state's clock) */
bool uses_ipc(const shim *s);
void backoff_child_ended(shim *s);
void memory_timer_start(shim *s);
void replaced_count(shim *s); /* one more replacement of the shim's own: counted and written down */
void memory_restart(shim *s, const char *why);

/* children.c */
void child_slot_clear(child_proc *c);        /* closes its channels, frees the slot */
int spawn_into(shim *s, int idx, child_env *env, const exec_plan *plan, int *exec_err);
void start_first_child(shim *s);
bool any_child(const shim *s);
void readiness_begin(shim *s, int idx, bool first);
void child_ready(shim *s, int idx, const char *how);
void probe_serving(shim *s, int idx);
void child_not_ready(shim *s, int idx);
void stop_child(shim *s, int idx, const char *why);
void kill_timeout(shim *s, int idx);
void kill_child(shim *s, int idx);
void reap(shim *s);
void reap_at_exit(void);
/* Shuts the held TCP listening sockets down (the instance is retired); how many. */
unsigned sockets_retire(shim *s);
void on_ipc(shim *s, int idx);
void on_notify(shim *s, int idx);
void on_bind(shim *s, int idx);

/* health-loop.c */
int health_setup(shim *s);                   /* 0, or an exit code after logging */
void health_cleanup(shim *s);
void health_watch(shim *s);                  /* a new child waits for its check: check now */
int health_poll_fd(const shim *s, short *events);
void health_on_event(shim *s, short revents);
void health_deadlines(shim *s, uint64_t now);
uint64_t health_next(const shim *s);         /* the earliest deadline, 0: none */
bool health_reaped(shim *s, pid_t pid, int status); /* whether pid was the check's command */
void health_child_gone(shim *s, int idx);

/* client.c: pmgen-shim --reload (prints, returns the exit code) */
int client_reload(const options *o);

/* reload.c */
void reload_request(shim *s, int client_fd, char *msg, size_t len);
void reload_begin(shim *s, const char *automatic, int client_fd, char *env_block, const char *entries, size_t len);
void reload_new_ready(shim *s);
void reload_new_not_ready(shim *s);
void reload_child_reaped(shim *s, int idx, pid_t pid, int code, const char *how);
void reload_abort(shim *s, const char *why);
void reload_free(reload_state *r);
