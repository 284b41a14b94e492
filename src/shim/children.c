/* SPDX-License-Identifier: MIT */
/* The children of pmgen-shim: starting one, its readiness (its own READY=1 or 'ready', or seen serving
 * its sockets, bounded by listen_timeout), stopping it (stop signal or 'shutdown', SIGKILL after the kill
 * timeout), reaping it and everything reparented to the shim, ending what it left behind, and looking
 * after the sockets once it is gone. Two children at a time during a reload (reload.c decides what their
 * events mean then). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "shim/notify.h"
#include "shim/serving.h"
#include "shim/shim.h"

void child_slot_clear(child_proc *c) {
        if (c->ipc_fd >= 0)
                close(c->ipc_fd);
        if (c->bind_fd >= 0)
                close(c->bind_fd);
        notify_close(c->notify_fd, c->notify_env);
        *c = (child_proc) { .ipc_fd = -1, .notify_fd = -1, .bind_fd = -1 };
}

/* ---- children ---- */

/* Starts a child in kids[idx] with env and plan. Returns a negative errno when it could not be forked
 * (or its channels made); 0 otherwise, with *exec_err the exec errno (0: it runs). */
int spawn_into(shim *s, int idx, child_env *env, const exec_plan *plan, int *exec_err) {
        child_proc *c = &s->kids[idx];
        spawn_req req = {
                .plan = plan,
                .env = env,
                .n_fds = s->n_fds,
                .ipc_fd = -1,
                .bind_fd = -1,
                .mask = &s->orig_mask,
                .reset_signals = handled_signals,
                .n_reset = n_handled_signals,
                .sigpipe_action = &s->orig_sigpipe,
        };
        int r;

        *c = (child_proc) { .ipc_fd = -1, .notify_fd = -1, .bind_fd = -1, .seq = s->next_seq++ };
        r = notify_open(s->runtime_dir, c->seq, &c->notify_fd, c->notify_env, sizeof(c->notify_env));
        if (r == 0)
                r = child_env_set_notify(env, c->notify_env);
        if (r == 0 && uses_ipc(s))
                r = ipc_open(&c->ipc_fd, &req.ipc_fd);
        if (r == 0 && s->opt.bind_preload) {
                int pair[2];

                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                        r = -errno;
                else {
                        c->bind_fd = pair[0];
                        req.bind_fd = pair[1];
                }
        }
        if (r == 0) {
                c->start_ms = now_ms();
                r = spawn_child(&req, &c->pid, exec_err);
        }
        if (req.ipc_fd >= 0)
                close(req.ipc_fd); /* the child has its copy */
        if (req.bind_fd >= 0)
                close(req.bind_fd);
        if (r < 0 || *exec_err != 0)
                child_slot_clear(c);
        return r;
}

bool any_child(const shim *s) {
        return s->kids[0].pid > 0 || s->kids[1].pid > 0;
}

/* The child's wait for readiness: see ready_mode. first: the instance's first start (not a reload). */
void readiness_begin(shim *s, int idx, bool first) {
        child_proc *c = &s->kids[idx];

        c->ready = false;
        if (s->health.kind != HEALTH_NONE) {
                uint64_t wait = s->opt.health_start_period_ms ? s->opt.health_start_period_ms : s->opt.listen_timeout_ms;

                c->mode = READY_HEALTH;
                c->ready_deadline = now_ms() + wait;
                health_watch(s);
                if (first)
                        notify("STATUS=waiting for pid %ld to pass its health check\nEXTEND_TIMEOUT_USEC=%llu",
                               (long) c->pid, (unsigned long long) (wait + EXTEND_SLACK_MS) * 1000);
                return;
        }
        if (s->opt.wait_ready || s->notify_learned)
                c->mode = READY_SIGNAL;
        else if (s->n_inos > 0 || (s->opt.bind_preload && first))
                /* With --bind-preload and no socket yet, the first child is waited for until it binds and
                 * serves (listen_timeout if it never does); a later one only when there is a socket (an
                 * app that binds nothing is not held up at every reload). */
                c->mode = READY_SERVING;
        else
                c->mode = READY_STARTED;
        if (c->mode == READY_STARTED) {
                c->ready = true;
                if (first) {
                        s->phase = PHASE_RUNNING;
                        notify("READY=1\nSTATUS=running pid %ld", (long) c->pid);
                }
                return;
        }
        c->ready_deadline = now_ms() + s->opt.listen_timeout_ms;
        if (c->mode == READY_SERVING)
                c->probe_at = now_ms();
        if (!first)
                return;
        if (c->mode == READY_SIGNAL)
                notify("STATUS=waiting for '%s' from pid %ld\nEXTEND_TIMEOUT_USEC=%llu",
                       s->opt.wait_ready ? "ready" : "READY=1", (long) c->pid,
                       (unsigned long long) (s->opt.listen_timeout_ms + EXTEND_SLACK_MS) * 1000);
        else
                notify("STATUS=waiting for pid %ld to serve its socket\nEXTEND_TIMEOUT_USEC=%llu", (long) c->pid,
                       (unsigned long long) (s->opt.listen_timeout_ms + EXTEND_SLACK_MS) * 1000);
}

/* The child said or showed it is ready (how: for the log). */
void child_ready(shim *s, int idx, const char *how) {
        child_proc *c = &s->kids[idx];

        if (c->ready || c->stopping)
                return;
        c->ready = true;
        c->ready_deadline = c->probe_at = 0;
        if (s->reload.active && idx == s->reload.new_idx && !s->reload.switched) {
                s->reload.ready_how = how;
                reload_new_ready(s);
                return;
        }
        if (idx == s->cur && s->phase == PHASE_STARTING) {
                log_line("child %ld is ready (%s) after %llu ms", (long) c->pid, how,
                         (unsigned long long) (now_ms() - c->start_ms));
                s->phase = PHASE_RUNNING;
                notify("READY=1\nSTATUS=running pid %ld", (long) c->pid);
        }
}

/* listen_timeout passed without readiness. */
void child_not_ready(shim *s, int idx) {
        child_proc *c = &s->kids[idx];

        c->ready_deadline = c->probe_at = 0;
        if (s->reload.active && idx == s->reload.new_idx && !s->reload.switched) {
                reload_new_not_ready(s);
                return;
        }
        if (idx != s->cur || s->phase != PHASE_STARTING)
                return;
        /* PM2 does not hold a start back for a missing 'ready': after listen_timeout the app counts as up. */
        c->ready = true;
        s->phase = PHASE_RUNNING;
        if (c->mode == READY_HEALTH) {
                /* the start goes on (as PM2 does after listen_timeout), but the child counts as unhealthy from
                 * now: no watchdog pings until a check passes, so systemd restarts it after WatchdogSec= */
                log_line("child %ld did not pass its health check within %lu ms (%s); continuing, unhealthy",
                         (long) c->pid, s->opt.health_start_period_ms ? s->opt.health_start_period_ms
                                                                      : s->opt.listen_timeout_ms,
                         s->health.last[0] ? s->health.last : "no check finished");
                s->health.fails = (unsigned) s->opt.health_retries;
                s->health.unhealthy = true;
                notify("READY=1\nSTATUS=pid %ld is unhealthy (its health check did not pass)", (long) c->pid);
        } else if (c->mode == READY_SIGNAL && s->opt.wait_ready) {
                log_line("no 'ready' from the app within %lu ms (wait_ready); continuing as PM2 does",
                         s->opt.listen_timeout_ms);
                notify("READY=1\nSTATUS=running pid %ld (no 'ready' within %lu ms)", (long) c->pid,
                       s->opt.listen_timeout_ms);
        } else if (c->mode == READY_SIGNAL) {
                log_line("no READY=1 from child %ld within %lu ms; continuing as PM2 does", (long) c->pid,
                         s->opt.listen_timeout_ms);
                notify("READY=1\nSTATUS=running pid %ld (no READY=1 within %lu ms)", (long) c->pid,
                       s->opt.listen_timeout_ms);
        } else {
                log_line("warning: child %ld does not serve its socket after %lu ms; continuing as PM2 does",
                         (long) c->pid, s->opt.listen_timeout_ms);
                notify("READY=1\nSTATUS=running pid %ld (not seen serving within %lu ms)", (long) c->pid,
                       s->opt.listen_timeout_ms);
        }
}

void probe_serving(shim *s, int idx) {
        child_proc *c = &s->kids[idx];
        uint64_t all = s->n_inos >= 64 ? UINT64_MAX : (UINT64_C(1) << s->n_inos) - 1;

        c->probe_at = 0;
        if (s->n_inos > 0 && serving_scan(c->pid, s->inos, s->n_inos, &c->seen) == 0 && (c->seen & all) == all) {
                child_ready(s, idx, "serving its socket");
                return;
        }
        if (!c->ready && !c->stopping)
                c->probe_at = now_ms() + PROBE_MS;
}

void start_first_child(shim *s) {
        int r, err = 0;

        s->cur = 0;
        s->child_start_boot_ms = boot_ms();
        r = spawn_into(s, 0, &s->env, &s->plan, &err);
        if (r < 0) {
                log_line("cannot start '%s': %s", s->opt.command[0], strerror(-r));
                s->done = true;
                s->exit_code = 1;
                return;
        }
        if (err != 0) {
                log_line("cannot execute '%s': %s", s->opt.command[0], strerror(err));
                backoff_child_ended(s);
                s->done = true;
                s->exit_code = err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
                return;
        }
        s->phase = PHASE_STARTING;
        readiness_begin(s, 0, true);
        memory_timer_start(s);
}

/* Remembers the child's descendants, to end the ones that leave its process group. */
static void remember_descendants(child_proc *c) {
        pid_t pids[PROCTREE_MAX];
        size_t n = 0, i;

        c->n_left = 0;
        if (proctree_list(c->pid, pids, PROCTREE_MAX, &n) < 0)
                return;
        for (i = 1; i < n && c->n_left < LEFTOVERS_MAX; i++)
                if (proctree_id(pids[i], &c->left[c->n_left]) == 0)
                        c->n_left++;
}

/* Asks kids[idx] to stop: the message 'shutdown' with --shutdown-with-message (the stop signal when
 * that cannot be written), else the stop signal; SIGKILL after the kill timeout either way. `why` starts
 * the log line. */
void stop_child(shim *s, int idx, const char *why) {
        child_proc *c = &s->kids[idx];
        char name[32];
        int r;

        if (c->pid <= 0 || c->stopping)
                return;
        c->stopping = true;
        c->ready_deadline = c->probe_at = 0;
        remember_descendants(c);
        signal_name(s->opt.stop_signal, name, sizeof(name));
        c->stopped_by_message = false;
        if (s->opt.shutdown_with_message) {
                r = c->ipc_fd >= 0 ? ipc_send(c->ipc_fd, IPC_SHUTDOWN) : -ENOTCONN;
                if (r == 0) {
                        log_line("%s: stopping child %ld with the message 'shutdown'", why, (long) c->pid);
                        c->stopped_by_message = true;
                } else
                        log_line("%s: cannot send 'shutdown' to child %ld (%s), stopping it with %s", why,
                                 (long) c->pid, strerror(-r), name);
        } else
                log_line("%s: stopping child %ld with %s", why, (long) c->pid, name);
        if (!c->stopped_by_message && kill(c->pid, s->opt.stop_signal) < 0 && errno != ESRCH)
                log_line("cannot signal child %ld: %m", (long) c->pid);
        c->kill_at = now_ms() + s->opt.kill_timeout_ms;
}

/* Gives a child up at once (a reload's new child that was not ready): SIGKILL, and what it started
 * goes with it when it is reaped. */
void kill_child(shim *s, int idx) {
        child_proc *c = &s->kids[idx];

        if (c->pid <= 0)
                return;
        c->stopping = true;
        c->ready_deadline = c->probe_at = c->kill_at = 0;
        remember_descendants(c);
        if (kill(c->pid, SIGKILL) < 0 && errno != ESRCH)
                log_line("cannot kill child %ld: %m", (long) c->pid);
}

void kill_timeout(shim *s, int idx) {
        child_proc *c = &s->kids[idx];
        char name[32];

        c->kill_at = 0;
        log_line("child %ld still running %lu ms after %s, sending SIGKILL", (long) c->pid, s->opt.kill_timeout_ms,
                 c->stopped_by_message ? "the message 'shutdown'" : signal_name(s->opt.stop_signal, name, sizeof(name)));
        if (kill(c->pid, SIGKILL) < 0 && errno != ESRCH)
                log_line("cannot kill child %ld: %m", (long) c->pid);
}

/* The child's process group (its pid: the leader is a zombie still, so the id is not reused) and the
 * descendants remembered at its stop get SIGKILL: nothing of a child outlives it. */
static void end_leftovers(child_proc *c) {
        size_t i;

        kill(-c->pid, SIGKILL);
        for (i = 0; i < c->n_left; i++)
                if (proctree_same(&c->left[i]))
                        kill(c->left[i].pid, SIGKILL);
}

unsigned sockets_retire(shim *s) {
        unsigned n = 0;

        /* shutdown() stops the socket itself, in every process that holds it (systemd, the shim, the
         * app): it leaves the reuseport group, and the kernel moves its queue to the group's other sockets
         * when net.ipv4.tcp_migrate_req=1 (resets it otherwise). */
        for (unsigned i = 0; i < s->n_held; i++)
                if (s->held[i].listening_stream && s->held[i].tcp && shutdown(s->held[i].fd, SHUT_RDWR) == 0)
                        n++;
        s->retired = true;
        return n;
}

/* After any child exited: the held sockets must still listen, with the backlog the unit asked for (not
 * once retired). */
static void sockets_check(shim *s) {
        repair_result res;
        unsigned i, old = 0;
        int r;

        if (s->retired)
                return;

        for (i = 0; i < s->n_held; i++) {
                const char *name = i < s->n_fds ? s->fd_names[i] : BINDSRV_FDNAME;

                r = sockets_repair(&s->held[i], &res, &old);
                if (r < 0)
                        log_line("warning: cannot check socket fd %d: %s", s->held[i].fd, strerror(-r));
                else if (res == REPAIR_RELISTENED)
                        log_line("socket fd %d (%s) no longer listened (a child shut it down); listening again "
                                 "with backlog %u", s->held[i].fd, name, s->held[i].backlog);
                else if (res == REPAIR_BACKLOG)
                        log_line("socket fd %d (%s) had backlog %u (a child changed it); set back to %u",
                                 s->held[i].fd, name, old, s->held[i].backlog);
        }
}

static int exit_code_of(int status) {
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* kids[idx] has been reaped with status. */
static void child_reaped(shim *s, int idx, int status) {
        child_proc *c = &s->kids[idx];
        pid_t pid = c->pid;
        char name[32], how[96];
        int code = exit_code_of(status);

        if (WIFSIGNALED(status)) {
                snprintf(how, sizeof(how), "was killed by signal %s%s",
                         signal_name(WTERMSIG(status), name, sizeof(name)), WCOREDUMP(status) ? " (core dumped)" : "");
                log_line("child %ld killed by signal %s%s", (long) pid, name, WCOREDUMP(status) ? " (core dumped)" : "");
        } else {
                snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
                log_line("child %ld exited with status %d", (long) pid, WEXITSTATUS(status));
        }
        child_slot_clear(c);
        health_child_gone(s, idx);
        sockets_check(s);

        if (s->reload.active) {
                /* reload.c decides: the new child failed, the old one is gone, or the current one died */
                reload_child_reaped(s, idx, pid, code, how);
        } else if (idx == s->cur) {
                s->exit_code = code;
                if (s->memory_restart) {
                        log_line("exiting with status %d for systemd to restart the app (max_memory_restart)",
                                 EXIT_MEMORY_RESTART);
                        s->exit_code = EXIT_MEMORY_RESTART;
                }
                backoff_child_ended(s);
                s->phase = PHASE_STOPPING;
                stop_child(s, !s->cur, "the current child ended");
        }
        if (s->phase == PHASE_STOPPING && !any_child(s))
                s->done = true;
}

static int slot_of(const shim *s, pid_t pid) {
        if (pid > 0 && s->kids[0].pid == pid)
                return 0;
        if (pid > 0 && s->kids[1].pid == pid)
                return 1;
        return -1;
}

void reap(shim *s) {
        siginfo_t si;
        int status, idx;
        pid_t pid;

        for (;;) {
                si.si_pid = 0;
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* ECHILD: none left */
                }
                pid = si.si_pid;
                if (pid == 0)
                        return; /* children left, none exited */
                idx = slot_of(s, pid);
                if (idx >= 0)
                        end_leftovers(&s->kids[idx]); /* while the zombie still holds the group's id */
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (idx >= 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
                        child_reaped(s, idx, status);
                else if (idx < 0)
                        (void) health_reaped(s, pid, status);
        }
}

/* At exit: what end_leftovers killed is ours to reap (we are its subreaper); wait for it a little, so
 * nothing is left as a zombie for PID 1. A process that escaped is left to systemd (KillMode=mixed). */
void reap_at_exit(void) {
        uint64_t until = now_ms() + 1000;
        pid_t pid;

        for (;;) {
                pid = waitpid(-1, NULL, WNOHANG);
                if (pid > 0 || (pid < 0 && errno == EINTR))
                        continue;
                if (pid < 0 || now_ms() >= until)
                        return; /* ECHILD: none left */
                poll(NULL, 0, 10);
        }
}

/* ---- the children's channels ---- */

/* The child's end of the IPC channel spoke (or closed): look for "ready", drop everything else. */
void on_ipc(shim *s, int idx) {
        child_proc *c = &s->kids[idx];
        char buf[512];
        ssize_t n;

        n = read(c->ipc_fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                /* EOF (or a reset): nothing more will come, but the child may live on. Keep the fd: closing
                 * it changes nothing for the child, and the stop message still tries it. */
                c->ipc_eof = true;
                if (!c->ready && s->opt.wait_ready)
                        log_line("child %ld closed its IPC channel before sending 'ready'", (long) c->pid);
                return;
        }
        if (ipc_lines_feed(&c->ipc, buf, (size_t) n, IPC_READY) && !c->ready && c->mode != READY_HEALTH)
                child_ready(s, idx, "'ready' message");
}

/* The child's own sd_notify socket. */
void on_notify(shim *s, int idx) {
        child_proc *c = &s->kids[idx];
        char buf[NOTIFY_MSG_MAX];
        notify_msg m;
        int n, i;

        for (i = 0; i < 16 && c->notify_fd >= 0; i++) {
                n = notify_read(c->notify_fd, buf, sizeof(buf));
                if (n < 0)
                        return;
                if (n == 0)
                        continue;
                notify_parse(buf, (size_t) n, &m);
                if (m.status && idx == s->cur && !s->reload.active && s->phase == PHASE_RUNNING)
                        notify("STATUS=%.*s", (int) m.status_len, m.status);
                if (m.ready) {
                        if (!s->notify_learned && !s->opt.wait_ready)
                                log_line("child %ld speaks sd_notify: later children are waited for until they "
                                         "send READY=1", (long) c->pid);
                        s->notify_learned = true;
                        if (!c->ready && c->mode != READY_HEALTH)
                                child_ready(s, idx, "READY=1");
                }
        }
}
