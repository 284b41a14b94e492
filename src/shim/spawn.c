/* SPDX-License-Identifier: MIT */
#include "shim/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#define LISTEN_PID_PREFIX "LISTEN_PID="
#define PID_DIGITS_MAX 20

/* Variables the child never inherits from the shim: the sockets are re-announced for the child's own
 * PID, the notify socket and watchdog belong to the shim (the unit's main process), and a Node channel
 * the shim was given is not the child's (the shim announces its own). */
static const char *const dropped_vars[] = {
        "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC",
        "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "PMGEN_DRAIN",
};

/* ---- environment ---- */

static size_t name_len(const char *entry) {
        const char *eq = strchr(entry, '=');

        return eq ? (size_t) (eq - entry) : strlen(entry);
}

static size_t env_find(const child_env *e, const char *name, size_t len) {
        size_t i;

        for (i = 0; i < e->n; i++)
                if (name_len(e->envp[i]) == len && memcmp(e->envp[i], name, len) == 0)
                        return i;
        return e->n;
}

const char *child_env_get(const child_env *e, const char *name) {
        size_t len = strlen(name), i = env_find(e, name, len);

        if (i == e->n || e->envp[i][len] != '=')
                return NULL;
        return e->envp[i] + len + 1;
}

static void env_unset(child_env *e, const char *name) {
        size_t len = strlen(name), i = env_find(e, name, len);

        if (i == e->n)
                return;
        memmove(e->envp + i, e->envp + i + 1, (e->n - i) * sizeof(char *)); /* moves the NULL too */
        e->n--;
}

/* Takes ownership of entry ("NAME=VALUE", heap) and sets it, replacing any entry of that name. */
static int env_put(child_env *e, char *entry) {
        size_t len, i;

        if (!entry)
                return -ENOMEM;
        if (e->n_own == CHILD_ENV_OWN_MAX || e->n + 1 >= e->cap) { /* sized by child_env_build */
                free(entry);
                return -ENOBUFS;
        }
        e->own[e->n_own++] = entry;
        len = name_len(entry);
        i = env_find(e, entry, len);
        e->envp[i] = entry;
        if (i == e->n)
                e->envp[++e->n] = NULL;
        return 0;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static int parse_ll(const char *s, long long *out) {
        long long v;
        char *end;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || (*s != '-' && (*s < '0' || *s > '9')))
                return -EINVAL;
        if (errno == ERANGE)
                return -ERANGE;
        *out = v;
        return 0;
}

/* NODE_OPTIONS splits on spaces; inside "…" a backslash escapes the next character. */
static char *node_options_with_require(const char *old, const char *path) {
        bool quote = strpbrk(path, " \"\\") != NULL;
        size_t len = strlen("NODE_OPTIONS=") + (old ? strlen(old) + 1 : 0) + strlen("--require ") +
                     2 * strlen(path) + 3;
        char *s = malloc(len), *p;

        if (!s)
                return NULL;
        p = stpcpy(s, "NODE_OPTIONS=");
        if (old && *old) {
                p = stpcpy(p, old);
                *p++ = ' ';
        }
        p = stpcpy(p, "--require ");
        if (quote)
                *p++ = '"';
        for (; *path; path++) {
                if (quote && (*path == '"' || *path == '\\'))
                        *p++ = '\\';
                *p++ = *path;
        }
        if (quote)
                *p++ = '"';
        *p = '\0';
        return s;
}

static char *join_names(char **names, unsigned n) {
        size_t len = strlen("LISTEN_FDNAMES=") + 1;
        unsigned i;
        char *s, *p;

        for (i = 0; i < n; i++)
                len += strlen(names[i]) + 1;
        s = malloc(len);
        if (!s)
                return NULL;
        p = stpcpy(s, "LISTEN_FDNAMES=");
        for (i = 0; i < n; i++) {
                if (i > 0)
                        *p++ = ':';
                p = stpcpy(p, names[i]);
        }
        return s;
}

static int env_set_increment(child_env *e, const env_spec *spec) {
        const char *old = child_env_get(e, spec->increment_var);
        long long v;
        int r;

        if (!old)
                return -ENOENT;
        r = parse_ll(old, &v);
        if (r < 0)
                return r;
        if (spec->instance > (unsigned long long) LLONG_MAX - (v < 0 ? 0 : (unsigned long long) v))
                return -ERANGE;
        return env_put(e, xprintf("%s=%lld", spec->increment_var, v + (long long) spec->instance));
}

int child_env_build(child_env *out, char *const *base, const env_spec *spec) {
        child_env e = { 0 };
        size_t i, n_base = 0;
        int r = 0;

        while (base && base[n_base])
                n_base++;
        e.cap = n_base + CHILD_ENV_OWN_MAX + 1;
        e.envp = calloc(e.cap, sizeof(char *));
        if (!e.envp)
                return -ENOMEM;
        for (i = 0; i < n_base; i++)
                e.envp[e.n++] = base[i];
        for (i = 0; i < sizeof(dropped_vars) / sizeof(dropped_vars[0]); i++)
                env_unset(&e, dropped_vars[i]);

        if (spec->has_port)
                r = env_put(&e, xprintf("PORT=%u", spec->port));
        if (r == 0 && spec->has_instance)
                r = env_put(&e, xprintf("%s=%lu", spec->instance_var, spec->instance));
        if (r == 0 && spec->increment_var)
                r = env_set_increment(&e, spec);
        if (r == 0 && spec->node_preload) {
                r = env_put(&e, node_options_with_require(child_env_get(&e, "NODE_OPTIONS"), spec->node_preload));
                if (r == 0)
                        r = env_put(&e, xprintf("PMGEN_BACKLOG=%u", spec->backlog));
                if (r == 0 && spec->has_port)
                        r = env_put(&e, xprintf("PMGEN_PORT=%u", spec->port));
                if (r == 0 && spec->drain_signal > 0 && sigabbrev_np(spec->drain_signal))
                        r = env_put(&e, xprintf("PMGEN_DRAIN=SIG%s,%lu", sigabbrev_np(spec->drain_signal),
                                                spec->drain_ms));
        }
        if (r == 0 && spec->bind_preload) {
                const char *old = child_env_get(&e, "LD_PRELOAD");

                r = env_put(&e, old && *old ? xprintf("LD_PRELOAD=%s:%s", old, spec->bind_preload)
                                            : xprintf("LD_PRELOAD=%s", spec->bind_preload));
                if (r == 0)
                        r = env_put(&e, xprintf("PMGEN_BIND_FD=%d", SPAWN_BIND_FD(spec->n_fds)));
                if (r == 0 && !spec->node_preload)
                        r = env_put(&e, xprintf("PMGEN_BACKLOG=%u", spec->backlog));
        }
        if (r == 0 && spec->n_fds > 0) {
                r = env_put(&e, xprintf("LISTEN_FDS=%u", spec->n_fds));
                if (r == 0)
                        r = env_put(&e, join_names(spec->fd_names, spec->n_fds));
                if (r == 0)
                        r = env_put(&e, xprintf("%-*s", (int) (strlen(LISTEN_PID_PREFIX) + PID_DIGITS_MAX),
                                                LISTEN_PID_PREFIX "0"));
                if (r == 0)
                        e.listen_pid = e.own[e.n_own - 1];
        }
        if (r == 0 && spec->node_channel) {
                r = env_put(&e, xprintf("NODE_CHANNEL_FD=%d", SPAWN_IPC_FD(spec->n_fds)));
                if (r == 0)
                        r = env_put(&e, strdup("NODE_CHANNEL_SERIALIZATION_MODE=json"));
        }
        if (r == 0 && spec->child_notify) {
                r = env_put(&e, xprintf("%-*s", (int) (strlen("NOTIFY_SOCKET=") + CHILD_ENV_NOTIFY_MAX), "NOTIFY_SOCKET="));
                if (r == 0)
                        e.notify = e.own[e.n_own - 1];
        }
        if (r < 0) {
                child_env_free(&e);
                return r;
        }
        *out = e;
        return 0;
}

int child_env_set_notify(child_env *e, const char *value) {
        if (!e->notify)
                return -EINVAL;
        if (strlen(value) > CHILD_ENV_NOTIFY_MAX)
                return -ENAMETOOLONG;
        strcpy(e->notify + strlen("NOTIFY_SOCKET="), value);
        return 0;
}

void child_env_free(child_env *e) {
        size_t i;

        if (!e)
                return;
        for (i = 0; i < e->n_own; i++)
                free(e->own[i]);
        free(e->envp);
        *e = (child_env) { 0 };
}

/* ---- command search ---- */

int exec_plan_build(exec_plan *out, char *const *argv, const char *path_env) {
        const char *file = argv[0], *dir, *colon;
        char default_path[64];
        exec_plan p = { .argv = argv };
        size_t n = 1, flen = strlen(file), dlen;
        int r = 0;

        if (!strchr(file, '/') && !path_env) {
                if (confstr(_CS_PATH, default_path, sizeof(default_path)) - 1 >= sizeof(default_path) - 1)
                        strcpy(default_path, "/bin:/usr/bin");
                path_env = default_path;
        }
        if (!strchr(file, '/'))
                for (dir = path_env; *dir; dir++)
                        n += *dir == ':';
        p.paths = calloc(n + 1, sizeof(char *));
        if (!p.paths)
                return -ENOMEM;
        if (strchr(file, '/')) {
                p.paths[p.n] = strdup(file);
                if (!p.paths[p.n++])
                        r = -ENOMEM;
        } else if (*file != '\0') { /* an empty name has no candidates: ENOENT, like execvp */
                for (dir = path_env; r == 0; dir = colon + 1) {
                        colon = strchrnul(dir, ':');
                        dlen = (size_t) (colon - dir);
                        /* An empty element means the current directory. */
                        p.paths[p.n] = dlen ? xprintf("%.*s/%.*s", (int) dlen, dir, (int) flen, file)
                                            : xprintf("./%s", file);
                        if (!p.paths[p.n++])
                                r = -ENOMEM;
                        if (*colon == '\0')
                                break;
                }
        }
        if (r < 0) {
                exec_plan_free(&p);
                return r;
        }
        *out = p;
        return 0;
}

void exec_plan_free(exec_plan *p) {
        size_t i;

        if (!p || !p->paths)
                return;
        for (i = 0; i < p->n; i++)
                free(p->paths[i]);
        free(p->paths);
        *p = (exec_plan) { 0 };
}

/* ---- fork and exec ---- */

/* Async-signal-safe: writes the decimal pid and a NUL at dst (room for PID_DIGITS_MAX + 1). */
static void write_pid(char *dst, pid_t pid) {
        char tmp[PID_DIGITS_MAX];
        unsigned long v = (unsigned long) pid;
        size_t n = 0;

        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0 && n < sizeof(tmp));
        while (n > 0)
                *dst++ = tmp[--n];
        *dst = '\0';
}

/* Runs in the child between fork and exec: async-signal-safe calls only, never returns. */
static void __attribute__((noreturn)) child_exec(const spawn_req *req, int err_fd) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        bool saw_eacces = false;
        int err = ENOENT, fd, flags, bind_fd = req->bind_fd;
        size_t i;

        for (i = 0; i < req->n_reset; i++)
                sigaction(req->reset_signals[i], &dfl, NULL);
        if (req->sigpipe_action)
                sigaction(SIGPIPE, req->sigpipe_action, NULL);
        if (sigprocmask(SIG_SETMASK, req->mask, NULL) < 0)
                goto fail;
        /* A process group of its own: the shim ends what the child leaves behind with it. */
        if (setpgid(0, 0) < 0)
                goto fail;
        /* sd_listen_fds() left the sockets at 3… with FD_CLOEXEC; the child's are the same descriptors
         * without it. */
        for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + (int) req->n_fds; fd++) {
                flags = fcntl(fd, F_GETFD);
                if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                        goto fail;
        }
        /* The IPC end goes right after them. Whatever the shim had there is O_CLOEXEC and not the
         * child's, except the error pipe: move that out of the way first. dup2 clears FD_CLOEXEC, but
         * does nothing when the end is already there. */
        if (bind_fd >= 0) {
                /* Out of the way of both targets: the error pipe, and the bind end of the IPC target. */
                fd = SPAWN_IPC_FD(req->n_fds);
                if (err_fd == fd || err_fd == fd + 1) {
                        flags = fcntl(err_fd, F_DUPFD_CLOEXEC, fd + 2);
                        if (flags < 0)
                                goto fail;
                        err_fd = flags;
                }
                if (bind_fd == fd) {
                        flags = fcntl(bind_fd, F_DUPFD_CLOEXEC, fd + 2);
                        if (flags < 0)
                                goto fail;
                        bind_fd = flags;
                }
        }
        if (req->ipc_fd >= 0) {
                fd = SPAWN_IPC_FD(req->n_fds);
                if (err_fd == fd) {
                        flags = fcntl(err_fd, F_DUPFD_CLOEXEC, fd + 1);
                        if (flags < 0)
                                goto fail;
                        err_fd = flags;
                }
                if (req->ipc_fd == fd) {
                        flags = fcntl(fd, F_GETFD);
                        if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                                goto fail;
                } else if (dup2(req->ipc_fd, fd) < 0)
                        goto fail;
        }
        if (bind_fd >= 0) {
                fd = SPAWN_BIND_FD(req->n_fds);
                if (bind_fd == fd) {
                        flags = fcntl(fd, F_GETFD);
                        if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                                goto fail;
                } else if (dup2(bind_fd, fd) < 0)
                        goto fail;
        }
        if (req->env->listen_pid)
                write_pid(req->env->listen_pid + strlen(LISTEN_PID_PREFIX), getpid());

        /* execvp's search: skip candidates that do not exist, remember EACCES, stop at any other error.
         * Unlike execvp, a file without a #! line is not handed to /bin/sh (ENOEXEC is reported). */
        for (i = 0; i < req->plan->n; i++) {
                execve(req->plan->paths[i], req->plan->argv, req->env->envp);
                err = errno;
                if (err == EACCES)
                        saw_eacces = true;
                else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT)
                        goto report;
        }
        if (saw_eacces)
                err = EACCES;
        goto report;
fail:
        err = errno;
report:
        while (write(err_fd, &err, sizeof(err)) < 0 && errno == EINTR)
                ;
        _exit(127);
}

int spawn_child(const spawn_req *req, pid_t *ret_pid, int *exec_errno) {
        int pipefd[2], err = 0, r = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto out;
        }
        if (pid == 0)
                child_exec(req, pipefd[1]);

        close(pipefd[1]);
        pipefd[1] = -1;
        /* EOF: exec closed the pipe. An int: exec failed with that errno. */
        do
                n = read(pipefd[0], &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t) sizeof(err)) {
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        } else
                err = 0;
        *ret_pid = pid;
        *exec_errno = err;
out:
        close(pipefd[0]);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        return r;
}
