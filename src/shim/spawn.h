/* SPDX-License-Identifier: MIT */
/* Starting the app: its environment, the execvp-style search for its command, and fork/exec.
 *
 * Everything the child needs is prepared before fork (environment array, candidate paths), because
 * between fork and exec the child only makes async-signal-safe calls: it resets the shim's signals,
 * becomes the leader of a process group of its own (so what it leaves behind can be ended with it),
 * marks the sockets inheritable, puts the Node IPC channel right after them, writes its own PID into
 * LISTEN_PID, execs, and on failure sends errno over an O_CLOEXEC pipe and _exits.
 *
 * Ownership: child_env and exec_plan own what they allocate (child_env_free/exec_plan_free, NULL-safe
 * on zeroed structs); strings of the inherited environment and of argv are borrowed. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* What the child's environment gets on top of the shim's. */
typedef struct env_spec {
        bool has_port;
        unsigned port;              /* PORT=, and PMGEN_PORT= with node_preload */
        bool has_instance;
        unsigned long instance;     /* <instance_var>= */
        const char *instance_var;
        const char *increment_var;  /* <var> = its inherited value + instance, or NULL */
        const char *node_preload;   /* NODE_OPTIONS += --require PATH, or NULL */
        const char *bind_preload;   /* LD_PRELOAD += PATH, PMGEN_BIND_FD=<SPAWN_BIND_FD(n_fds)>, PMGEN_BACKLOG=;
                                     * or NULL */
        unsigned backlog;           /* PMGEN_BACKLOG= with node_preload */
        int drain_signal;           /* with node_preload, non-zero: PMGEN_DRAIN=SIG<name>,<drain_ms>, the stop
                                     * signal on which the preload drains an app that does not handle it */
        unsigned long drain_ms;
        unsigned n_fds;             /* sockets passed on at fd 3…; 0: no LISTEN_* at all */
        char **fd_names;            /* their names, n_fds entries */
        bool node_channel;          /* NODE_CHANNEL_FD=<SPAWN_IPC_FD(n_fds)>, NODE_CHANNEL_SERIALIZATION_MODE=json */
        bool child_notify;          /* room for NOTIFY_SOCKET=, set per child with child_env_set_notify */
} env_spec;

/* Where the child finds its end of the Node IPC channel: right after the sockets. */
#define SPAWN_IPC_FD(n_fds) (3 + (int) (n_fds))
/* And its end of the bind channel (--bind-preload) right after that (whether there is an IPC channel
 * or not). */
#define SPAWN_BIND_FD(n_fds) (4 + (int) (n_fds))

/* Slots for the strings child_env_build creates (PORT, instance, increment, NODE_OPTIONS, PMGEN_BACKLOG,
 * PMGEN_PORT, PMGEN_DRAIN, LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID, NODE_CHANNEL_FD, NODE_CHANNEL_SERIALIZATION_MODE,
 * NOTIFY_SOCKET, LD_PRELOAD, PMGEN_BIND_FD, the bind-preload's PMGEN_BACKLOG). */
#define CHILD_ENV_OWN_MAX 16
/* The longest NOTIFY_SOCKET value (a socket path). */
#define CHILD_ENV_NOTIFY_MAX 108

typedef struct child_env {
        char **envp;                /* NULL-terminated, owned array */
        size_t n;
        size_t cap;
        char *own[CHILD_ENV_OWN_MAX];
        size_t n_own;
        char *listen_pid;           /* "LISTEN_PID=" plus room for the digits the child writes, or NULL */
        char *notify;               /* "NOTIFY_SOCKET=" plus room for a path, or NULL */
} child_env;

/* Builds the child's environment from base (the shim's environ): drops LISTEN_FDS, LISTEN_PID,
 * LISTEN_FDNAMES, NOTIFY_SOCKET, WATCHDOG_PID, WATCHDOG_USEC, NODE_CHANNEL_FD,
 * NODE_CHANNEL_SERIALIZATION_MODE and PMGEN_DRAIN, then sets what spec asks for.
 * Errors: -ENOMEM; for increment_var -ENOENT (not set) or -EINVAL/-ERANGE (not a number, overflow). */
int child_env_build(child_env *out, char *const *base, const env_spec *spec);
void child_env_free(child_env *e);
/* The value of name in e, or NULL. */
const char *child_env_get(const child_env *e, const char *name);
/* Sets NOTIFY_SOCKET for the next spawn (env built with child_notify). -ENAMETOOLONG, -EINVAL without
 * the slot. */
int child_env_set_notify(child_env *e, const char *value);

/* The files execvp would try for argv[0], in order, given PATH (NULL: the libc default). */
typedef struct exec_plan {
        char *const *argv;          /* borrowed */
        char **paths;               /* NULL-terminated, owned */
        size_t n;
} exec_plan;

int exec_plan_build(exec_plan *out, char *const *argv, const char *path_env);
void exec_plan_free(exec_plan *p);

typedef struct spawn_req {
        const exec_plan *plan;
        child_env *env;
        unsigned n_fds;             /* sockets at SD_LISTEN_FDS_START… to pass on */
        int ipc_fd;                 /* the child's end of the IPC channel, passed on at SPAWN_IPC_FD(n_fds);
                                     * -1: none (always set it: 0 is a descriptor) */
        int bind_fd;                /* the child's end of the bind channel, passed on at SPAWN_BIND_FD(n_fds);
                                     * -1: none */
        const sigset_t *mask;       /* signal mask the child gets */
        const int *reset_signals;   /* signals set back to SIG_DFL in the child */
        size_t n_reset;
        const struct sigaction *sigpipe_action; /* SIGPIPE as the shim found it, or NULL */
} spawn_req;

/* Forks and execs. Returns a negative errno when the shim could not fork. Otherwise 0, with *ret_pid the
 * child and *exec_errno 0 when exec succeeded; when it failed, *exec_errno is its errno and the child has
 * already been reaped. */
int spawn_child(const spawn_req *req, pid_t *ret_pid, int *exec_errno);
