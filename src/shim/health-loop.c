/* SPDX-License-Identifier: MIT */
/* The health check on the shim's loop (see health.h for what is checked and how an answer is attributed).
 *
 * One check at a time, of one child:
 *   - a new child (first start, reload, memory replacement) not ready yet: checked every
 *     HEALTH_READY_RETRY_MS until it passes (child_ready) or its ready deadline passes (child_not_ready);
 *   - the serving child, every --health-interval: --health-retries failures in a row make it unhealthy
 *     (the watchdog pings stop: systemd restarts the instance after WatchdogSec=), a pass makes it healthy
 *     again;
 *   - an inconclusive check (another process answered) is made again HEALTH_AGAIN_MS later.
 * Nothing here allocates; the request is formatted once at setup. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/proctree.h"
#include "shim/shim.h"

enum { OWNER_UNKNOWN, OWNER_CHILD, OWNER_OTHER, OWNER_NOBODY };

int health_setup(shim *s) {
        health_state *h = &s->health;
        const options *o = &s->opt;
        int r;

        h->fd = h->diag_fd = -1;
        h->kind = o->health_url ? HEALTH_URL : o->health_tcp ? HEALTH_TCP : o->health_cmd ? HEALTH_CMD : HEALTH_NONE;
        if (h->kind == HEALTH_NONE)
                return 0;
        h->what = o->health_url ? o->health_url : o->health_tcp ? o->health_tcp : o->health_cmd;
        if (h->kind != HEALTH_CMD) {
                r = health_target_parse(h->kind, h->what, &h->target); /* checked by options_parse */
                if (r < 0)
                        return EXIT_USAGE;
        }
        if (h->target.self) {
                h->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
                if (h->diag_fd < 0)
                        log_line("warning: health check: no NETLINK_SOCK_DIAG (%m): an answer cannot be told from "
                                 "another process's, it counts when this instance runs one child");
        }
        log_line("health check: %s %s every %lu ms (timeout %lu ms, unhealthy after %lu failures in a row; a new "
                 "child has %lu ms to pass)", h->kind == HEALTH_URL ? "GET" : h->kind == HEALTH_TCP ? "connect to" : "run",
                 h->what, o->health_interval_ms, o->health_timeout_ms, o->health_retries,
                 o->health_start_period_ms ? o->health_start_period_ms : o->listen_timeout_ms);
        if (h->kind == HEALTH_URL) {
                int n = snprintf(h->req, sizeof(h->req),
                                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pmgen-shim\r\nAccept: */*\r\n\r\n",
                                 h->target.path, h->target.self ? "localhost" : h->target.host);

                if (n < 0 || (size_t) n >= sizeof(h->req))
                        return EXIT_USAGE;
                h->req_len = (size_t) n;
        }
        h->next_at = now_ms();
        return 0;
}

static void check_end(health_state *h) {
        if (h->fd >= 0)
                close(h->fd); /* SO_LINGER 0: a reset, no TIME_WAIT left behind */
        h->fd = -1;
        h->cmd_pid = 0;
        h->connected = h->sent = h->attributed = h->queue_emptied = false;
        h->owner = OWNER_UNKNOWN;
        h->got = 0;
        h->deadline = h->poll_at = 0;
}

void health_cleanup(shim *s) {
        health_state *h = &s->health;

        if (h->cmd_pid > 0) {
                kill(-h->cmd_pid, SIGKILL);
                kill(h->cmd_pid, SIGKILL);
        }
        check_end(h);
        if (h->diag_fd >= 0)
                close(h->diag_fd);
        h->diag_fd = -1;
}

static bool in_flight(const health_state *h) {
        return h->fd >= 0 || h->cmd_pid > 0;
}

/* ---- who accepted the connection ---- */

typedef struct fd_match {
        pid_t pid;
        char want[40];
} fd_match;

static int match_fd(const char *fd, void *arg) {
        const fd_match *m = arg;
        char path[64], target[40];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long) m->pid, fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
                return 0;
        target[n] = '\0';
        return strcmp(target, m->want) == 0;
}

/* Whether pid's process tree has the socket with this inode open. */
static bool tree_has(pid_t pid, uint64_t inode) {
        pid_t pids[PROCTREE_MAX];
        char path[48];
        size_t n = 0, i;
        fd_match m;

        if (proctree_list(pid, pids, PROCTREE_MAX, &n) < 0)
                return false;
        snprintf(m.want, sizeof(m.want), "socket:[%llu]", (unsigned long long) inode);
        for (i = 0; i < n; i++) {
                m.pid = pids[i];
                snprintf(path, sizeof(path), "/proc/%ld/fd", (long) pids[i]);
                if (proctree_each_entry(path, match_fd, &m) > 0)
                        return true;
        }
        return false;
}

/* Looks the server side of the check's connection up in the kernel's socket table. */
static int attribute(shim *s) {
        health_state *h = &s->health;
        char req[HEALTH_DIAG_REQ_SIZE], ans[512];
        uint64_t inode = 0;
        ssize_t n;
        int len, r;

        if (h->diag_fd < 0)
                return OWNER_UNKNOWN;
        len = health_diag_request(&h->peer, &h->local, req, sizeof(req));
        if (len < 0 || send(h->diag_fd, req, (size_t) len, MSG_DONTWAIT) != len)
                return OWNER_UNKNOWN;
        n = recv(h->diag_fd, ans, sizeof(ans), MSG_DONTWAIT); /* the kernel answered during send() */
        r = n > 0 ? health_diag_parse(ans, (size_t) n, &inode) : -EAGAIN;
        while (n > 0) /* nothing may stay queued for the next question */
                n = recv(h->diag_fd, ans, sizeof(ans), MSG_DONTWAIT);
        if (r < 0 || inode == 0)
                return r == 0 ? OWNER_NOBODY : OWNER_UNKNOWN;
        return tree_has(s->kids[h->idx].pid, inode) ? OWNER_CHILD : OWNER_OTHER;
}

/* Whether a connection waits in this instance's accept queue (sampled at every look-up of an unaccepted
 * check: a child that takes connections empties it between two samples, a hung one never does). */
static bool queue_waiting(const shim *s) {
        unsigned w, limit;
        size_t i;

        for (i = 0; i < s->n_held; i++)
                if (s->held[i].tcp && s->held[i].listening_stream && sockets_queue(s->held[i].fd, &w, &limit) == 0 &&
                    w > 0)
                        return true;
        return false;
}

/* ---- verdicts ---- */

static bool only_child(const shim *s, int idx) {
        return s->kids[!idx].pid <= 0;
}

static void verdict(shim *s, health_verdict v, const char *why) {
        health_state *h = &s->health;
        int idx = h->idx;
        child_proc *c = &s->kids[idx];
        bool for_ready = h->for_ready;
        uint64_t now = now_ms(), took = now - h->started;
        char many[96];

        check_end(h);
        if (c->pid != h->child || c->stopping) {
                h->next_at = now + HEALTH_AGAIN_MS; /* that child is gone or going: the next one is checked */
                return;
        }
        if (v == HEALTH_UNSURE) {
                if (++h->unsure < HEALTH_UNSURE_MAX || for_ready) {
                        h->next_at = now + HEALTH_AGAIN_MS;
                        return;
                }
                v = HEALTH_FAIL;
                snprintf(many, sizeof(many), "%u checks in a row were answered by other processes", h->unsure);
                why = many;
        }
        h->unsure = 0;
        if (for_ready) {
                if (v == HEALTH_PASS) {
                        h->fails = 0;
                        if (h->unhealthy)
                                log_line("health check: child %ld passes", (long) c->pid);
                        h->unhealthy = false;
                        h->next_at = now + s->opt.health_interval_ms;
                        child_ready(s, idx, "its health check passed");
                        return;
                }
                if (strcmp(h->last, why) != 0) /* once per reason, not every 250 ms */
                        log_line("health check: new child %ld does not pass yet: %s", (long) c->pid, why);
                snprintf(h->last, sizeof(h->last), "%s", why);
                h->next_at = now + HEALTH_READY_RETRY_MS;
                return;
        }
        h->next_at = now + s->opt.health_interval_ms;
        if (v == HEALTH_PASS) {
                if (h->unhealthy) {
                        log_line("health check: child %ld passes again after %u failures; watchdog pings resume",
                                 (long) c->pid, h->fails);
                        notify("STATUS=running pid %ld", (long) c->pid);
                }
                h->fails = 0;
                h->unhealthy = false;
                h->last[0] = '\0';
                return;
        }
        snprintf(h->last, sizeof(h->last), "%s", why);
        h->fails++;
        log_line("health check of child %ld failed (%u of %lu) after %llu ms: %s", (long) c->pid, h->fails,
                 s->opt.health_retries, (unsigned long long) took, why);
        if (h->fails >= s->opt.health_retries && !h->unhealthy) {
                h->unhealthy = true;
                log_line("child %ld is unhealthy: %u failed health checks in a row; no more watchdog pings%s",
                         (long) c->pid, h->fails,
                         s->wd_ms ? " (systemd restarts the instance after WatchdogSec=)" : " (no WatchdogSec=: nothing "
                                                                                            "restarts it)");
                notify("STATUS=pid %ld is unhealthy: %s", (long) c->pid, why);
        }
}

/* An answer from the socket: counts when it came from the checked child (see health.h). */
static void verdict_owned(shim *s, health_verdict v, const char *why) {
        health_state *h = &s->health;

        if (h->target.self && h->owner == OWNER_OTHER)
                v = HEALTH_UNSURE;
        else if (h->target.self && h->owner != OWNER_CHILD && !only_child(s, h->idx))
                v = HEALTH_UNSURE;
        verdict(s, v, why);
}

/* ---- starting a check ---- */

/* The address of this instance's listening TCP socket, the wildcard made loopback. */
static int self_address(const shim *s, struct sockaddr_storage *out, socklen_t *len) {
        size_t i;

        for (i = 0; i < s->n_held; i++) {
                socklen_t l = sizeof(*out);

                if (!s->held[i].tcp || !s->held[i].listening_stream ||
                    getsockname(s->held[i].fd, (struct sockaddr *) out, &l) < 0)
                        continue;
                if (out->ss_family == AF_INET) {
                        struct sockaddr_in *in = (struct sockaddr_in *) out;

                        if (in->sin_addr.s_addr == htonl(INADDR_ANY))
                                in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                } else if (out->ss_family == AF_INET6) {
                        struct sockaddr_in6 *in = (struct sockaddr_in6 *) out;

                        if (IN6_IS_ADDR_UNSPECIFIED(&in->sin6_addr))
                                in->sin6_addr = in6addr_loopback;
                } else
                        continue;
                *len = l;
                return 0;
        }
        return -ENOENT;
}

static void start_connect(shim *s) {
        health_state *h = &s->health;
        struct sockaddr_storage addr = h->target.addr;
        socklen_t len = h->target.addr_len;
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        char why[128];

        if (h->target.self && self_address(s, &addr, &len) < 0) {
                verdict(s, HEALTH_UNSURE, "the instance has no listening TCP socket yet");
                return;
        }
        h->peer = addr;
        h->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (h->fd < 0) {
                snprintf(why, sizeof(why), "socket: %s", strerror(errno));
                verdict(s, HEALTH_FAIL, why);
                return;
        }
        (void) setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        if (connect(h->fd, (struct sockaddr *) &addr, len) < 0 && errno != EINPROGRESS) {
                snprintf(why, sizeof(why), "connect: %s", strerror(errno));
                verdict(s, HEALTH_FAIL, why);
        }
}

static void start_cmd(shim *s) {
        health_state *h = &s->health;
        char pid[24], why[128];
        char *argv[] = { "sh", "-c", (char *) s->opt.health_cmd, "sh", pid, NULL };
        pid_t p;

        snprintf(pid, sizeof(pid), "%ld", (long) h->child);
        p = fork();
        if (p < 0) {
                snprintf(why, sizeof(why), "fork: %s", strerror(errno));
                verdict(s, HEALTH_FAIL, why);
                return;
        }
        if (p == 0) {
                /* async-signal-safe only: the mask and SIGPIPE as the app gets them, a group of its own */
                sigprocmask(SIG_SETMASK, &s->orig_mask, NULL);
                sigaction(SIGPIPE, &s->orig_sigpipe, NULL);
                setpgid(0, 0);
                execve("/bin/sh", argv, s->env.envp);
                _exit(EXIT_NOT_FOUND);
        }
        setpgid(p, p); /* (either side may win the race) */
        h->cmd_pid = p;
}

/* Which child to check now; -1: none. */
static int pick(const shim *s, bool *for_ready) {
        const child_proc *c;

        if (s->phase == PHASE_STOPPING || s->phase == PHASE_BACKOFF)
                return -1;
        if (s->reload.active && !s->reload.switched) {
                c = &s->kids[s->reload.new_idx];
                *for_ready = true;
                return c->pid > 0 && !c->ready && !c->stopping && c->mode == READY_HEALTH ? s->reload.new_idx : -1;
        }
        if (s->reload.active)
                return -1; /* the old child stops */
        c = &s->kids[s->cur];
        if (c->pid <= 0 || c->stopping)
                return -1;
        *for_ready = !c->ready;
        return c->ready || c->mode == READY_HEALTH ? s->cur : -1;
}

static void check_begin(shim *s) {
        health_state *h = &s->health;
        bool for_ready = false;
        int idx = pick(s, &for_ready);
        uint64_t now = now_ms();

        if (idx < 0) {
                h->next_at = now + HEALTH_READY_RETRY_MS;
                return;
        }
        h->next_at = 0;
        h->idx = idx;
        h->child = s->kids[idx].pid;
        h->for_ready = for_ready;
        h->started = now;
        h->deadline = now + s->opt.health_timeout_ms;
        if (h->kind == HEALTH_CMD)
                start_cmd(s);
        else
                start_connect(s);
}

void health_watch(shim *s) {
        health_state *h = &s->health;

        if (h->kind == HEALTH_NONE)
                return;
        if (h->cmd_pid > 0) {
                kill(-h->cmd_pid, SIGKILL);
                kill(h->cmd_pid, SIGKILL);
        }
        check_end(h); /* whatever ran was about another child */
        h->unsure = 0;
        h->last[0] = '\0';
        h->next_at = now_ms();
}

void health_child_gone(shim *s, int idx) {
        health_state *h = &s->health;

        if (h->kind != HEALTH_NONE && in_flight(h) && h->idx == idx)
                health_watch(s);
}

/* ---- events ---- */

int health_poll_fd(const shim *s, short *events) {
        const health_state *h = &s->health;

        /* before the request is sent, only the end of the connection is of interest */
        *events = !h->connected ? POLLOUT : h->sent ? POLLIN : POLLRDHUP;
        return h->fd;
}

static void send_request(shim *s) {
        health_state *h = &s->health;
        char why[160];
        ssize_t n;

        n = send(h->fd, h->req, h->req_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n != (ssize_t) h->req_len) {
                snprintf(why, sizeof(why), "cannot send the request: %s", n < 0 ? strerror(errno) : "short write");
                verdict_owned(s, HEALTH_FAIL, why);
                return;
        }
        h->sent = true;
}

static void on_connected(shim *s) {
        health_state *h = &s->health;
        socklen_t len = sizeof(h->local);
        int err = 0;
        socklen_t elen = sizeof(err);
        char why[160];

        if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                err = errno;
        if (err) {
                snprintf(why, sizeof(why), "connect: %s", strerror(err));
                verdict(s, HEALTH_FAIL, why);
                return;
        }
        h->connected = true;
        if (getsockname(h->fd, (struct sockaddr *) &h->local, &len) < 0)
                h->local.ss_family = AF_UNSPEC;
        if (h->target.self && h->diag_fd >= 0) {
                /* first who accepts it: the request goes only to the checked child, which then cannot have
                 * closed the connection before it is looked up (poll_accepted) */
                h->poll_at = now_ms();
                return;
        }
        if (h->kind == HEALTH_TCP) {
                verdict_owned(s, HEALTH_PASS, "connected");
                return;
        }
        send_request(s);
}

static void on_answer(shim *s) {
        health_state *h = &s->health;
        char why[160];
        ssize_t n;
        int status, r;

        n = recv(h->fd, h->buf + h->got, sizeof(h->buf) - h->got, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0) {
                snprintf(why, sizeof(why), "no answer: %s", strerror(errno));
                verdict_owned(s, HEALTH_FAIL, why);
                return;
        }
        h->got += (size_t) n;
        r = health_parse_status(h->buf, h->got, &status);
        if (r == -EAGAIN && n > 0)
                return;
        if (r < 0) {
                snprintf(why, sizeof(why), n == 0 ? "the connection was closed without an answer"
                                                  : "the answer is not HTTP/1.x");
                verdict_owned(s, HEALTH_FAIL, why);
                return;
        }
        snprintf(why, sizeof(why), "GET %s answered %d", h->target.path, status);
        verdict_owned(s, status >= 200 && status < 400 ? HEALTH_PASS : HEALTH_FAIL, why);
}

void health_on_event(shim *s, short revents) {
        health_state *h = &s->health;

        if (h->fd < 0)
                return;
        if (!h->connected) {
                if (revents & (POLLOUT | POLLERR | POLLHUP))
                        on_connected(s);
                return;
        }
        if (h->sent && (revents & (POLLIN | POLLERR | POLLHUP)))
                on_answer(s);
        else if (!h->sent && (revents & (POLLRDHUP | POLLERR | POLLHUP))) {
                if (h->owner != OWNER_CHILD && h->owner != OWNER_OTHER)
                        h->owner = attribute(s);
                verdict_owned(s, HEALTH_FAIL, "the connection was closed before the request was sent");
        }
}

/* A check of the instance's own socket: has a process accepted the connection, and which? */
static void poll_accepted(shim *s) {
        health_state *h = &s->health;

        h->poll_at = 0;
        h->owner = attribute(s);
        if (!queue_waiting(s))
                h->queue_emptied = true;
        if (h->owner != OWNER_CHILD && h->owner != OWNER_OTHER) {
                h->poll_at = now_ms() + HEALTH_ACCEPT_POLL_MS;
                return;
        }
        h->attributed = true;
        if (h->kind == HEALTH_TCP)
                verdict_owned(s, HEALTH_PASS, "accepted");
        else /* to another process too: it gets a whole request (its answer does not count) */
                send_request(s);
}

static void on_timeout(shim *s) {
        health_state *h = &s->health;
        char why[160];

        if (h->kind == HEALTH_CMD) {
                kill(-h->cmd_pid, SIGKILL);
                kill(h->cmd_pid, SIGKILL);
                snprintf(why, sizeof(why), "'%s' did not finish within %lu ms (killed)", s->opt.health_cmd,
                         s->opt.health_timeout_ms);
                verdict(s, HEALTH_FAIL, why);
                return;
        }
        if (!h->connected) {
                snprintf(why, sizeof(why), "no connection within %lu ms", s->opt.health_timeout_ms);
                verdict(s, HEALTH_FAIL, why);
                return;
        }
        if (h->target.self && !h->attributed && h->diag_fd >= 0) {
                /* nobody took it: it waits in an accept queue, this instance's when that was never seen
                 * empty during the check (else a neighbour's behind ReusePort=, or the old child's) */
                h->owner = attribute(s);
                if (h->owner == OWNER_NOBODY || h->owner == OWNER_UNKNOWN)
                        h->owner = !h->queue_emptied && queue_waiting(s) ? OWNER_CHILD : OWNER_OTHER;
                snprintf(why, sizeof(why), "not accepted within %lu ms", s->opt.health_timeout_ms);
                verdict_owned(s, HEALTH_FAIL, why);
                return;
        }
        snprintf(why, sizeof(why), h->kind == HEALTH_TCP ? "not accepted within %lu ms" : "no answer within %lu ms",
                 s->opt.health_timeout_ms);
        verdict_owned(s, HEALTH_FAIL, why);
}

void health_deadlines(shim *s, uint64_t now) {
        health_state *h = &s->health;

        if (h->kind == HEALTH_NONE)
                return;
        if (in_flight(h)) {
                if (h->poll_at && now >= h->poll_at)
                        poll_accepted(s);
                if (in_flight(h) && now >= h->deadline)
                        on_timeout(s);
                return;
        }
        if (h->next_at && now >= h->next_at)
                check_begin(s);
}

uint64_t health_next(const shim *s) {
        const health_state *h = &s->health;
        uint64_t next;

        if (h->kind == HEALTH_NONE)
                return 0;
        if (!in_flight(h))
                return h->next_at;
        next = h->deadline;
        if (h->poll_at && h->poll_at < next)
                next = h->poll_at;
        return next;
}

bool health_reaped(shim *s, pid_t pid, int status) {
        health_state *h = &s->health;
        char why[160];

        if (h->kind != HEALTH_CMD || pid != h->cmd_pid || pid <= 0)
                return false;
        kill(-pid, SIGKILL); /* what it left in its group */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                verdict(s, HEALTH_PASS, "exited 0");
                return true;
        }
        if (WIFSIGNALED(status))
                snprintf(why, sizeof(why), "'%s' was killed by signal %d", s->opt.health_cmd, WTERMSIG(status));
        else
                snprintf(why, sizeof(why), "'%s' exited with status %d", s->opt.health_cmd, WEXITSTATUS(status));
        verdict(s, HEALTH_FAIL, why);
        return true;
}
