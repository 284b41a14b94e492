/* SPDX-License-Identifier: MIT */
/* pmgen-shim: the main process of one app instance (NAME@N.service). It runs the app as its child and
 * stands between it and systemd:
 *   - keeps the unit's sockets for its whole life and passes each child its own copies (LISTEN_*), and
 *     looks after them: listening again when a child shut one down, sticky sessions (--sticky=ip);
 *   - sets PORT, the instance variable, the increment variable and the Node preload for the child, and
 *     gives every child a NOTIFY_SOCKET of its own;
 *   - tells systemd READY=1 once the child is ready: its own READY=1 or process.send('ready') (with
 *     --wait-ready), else once it is seen serving its sockets, else once it runs; PM2's listen_timeout
 *     bounds the wait;
 *   - replaces the child gracefully on request (pmgen-shim --reload over the control socket, the unit's
 *     ExecReload=; client.c) and over --max-memory-restart: a new child on the same sockets, the old one
 *     stopped only once the new one is ready (reload.c);
 *   - turns systemd's SIGTERM into the app's stop signal (or the message 'shutdown') with a kill timeout,
 *     forwards SIGHUP/SIGUSR1/SIGUSR2, reaps every process reparented to it, ends what a child leaves
 *     behind, pings the watchdog while the child is alive, not wedged and not unhealthy (the health
 *     check, health-loop.c, which is also the readiness of every new child when declared), and exits like a shell: the
 *     child's code or 128+signal; 127/126 when the command cannot be executed; 2 on usage errors.
 * One process, one poll() loop over a signalfd, the control socket and the children's channels, with the
 * timeout of the nearest deadline; no threads, no handlers, no allocation in steady state. This file has
 * the start-up, the loop, stopping, the memory check and the watchdog; children.c the children. */
#include "shim/shim.h"
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "shim/control.h"
#include "shim/memory.h"

extern char **environ;

/* The signals the loop reads from its signalfd; the child gets them back at SIG_DFL. */
const int handled_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };
const size_t n_handled_signals = sizeof(handled_signals) / sizeof(handled_signals[0]);

/* ---- logging and notification (formatted on the stack, one write each) ---- */

void log_line(const char *fmt, ...) {
        char buf[1024];
        size_t len = strlen("pmgen-shim: ");
        va_list ap;
        int n;

        memcpy(buf, "pmgen-shim: ", len);
        va_start(ap, fmt);
        n = vsnprintf(buf + len, sizeof(buf) - len - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        len += (size_t) n < sizeof(buf) - len - 1 ? (size_t) n : sizeof(buf) - len - 2;
        buf[len++] = '\n';
        while (write(STDERR_FILENO, buf, len) < 0 && errno == EINTR)
                ;
}

void notify(const char *fmt, ...) {
        char buf[512];
        va_list ap;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return;
        r = sd_notify(0, buf);
        if (r < 0)
                log_line("cannot notify systemd: %s", strerror(-r));
}

const char *signal_name(int sig, char *buf, size_t size) {
        const char *abbrev = sigabbrev_np(sig);

        if (abbrev)
                snprintf(buf, size, "SIG%s", abbrev);
        else
                snprintf(buf, size, "signal %d", sig);
        return buf;
}

static uint64_t clock_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

uint64_t now_ms(void) {
        return clock_ms(CLOCK_MONOTONIC);
}

uint64_t boot_ms(void) {
        return clock_ms(CLOCK_BOOTTIME);
}

static child_proc *current(shim *s) {
        return &s->kids[s->cur];
}

/* ---- start-up ---- */

static int runtime_setup(shim *s) {
        const char *dir = getenv("RUNTIME_DIRECTORY");

        if (!dir || *dir != '/')
                return 0;
        s->runtime_dir = strndup(dir, strcspn(dir, ":")); /* several RuntimeDirectory= entries: the first */
        return s->runtime_dir ? 0 : -ENOMEM;
}

static int backoff_setup(shim *s) {
        if (!s->opt.backoff_base_ms)
                return 0;
        if (!s->runtime_dir) {
                log_line("warning: RUNTIME_DIRECTORY is not set, --exp-backoff is disabled");
                return 0;
        }
        if (asprintf(&s->backoff_path, "%s/backoff", s->runtime_dir) < 0) {
                s->backoff_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&s->backoff_tmp, "%s/.backoff.tmp", s->runtime_dir) < 0) {
                s->backoff_tmp = NULL;
                return -ENOMEM;
        }
        return 0;
}

bool uses_ipc(const shim *s) {
        return s->opt.wait_ready || s->opt.shutdown_with_message;
}

/* Picks the memory source. Returns 0, or an exit code after logging. */
static int memory_setup(shim *s) {
        char path[PATH_MAX];
        uint64_t bytes;
        int r;

        if (s->opt.max_cpu && s->opt.cpu_source == MEMORY_SOURCE_CGROUP) {
                r = cpu_find_cgroup(s->opt.proc_cgroup, s->opt.cgroup_root, path, sizeof(path), &s->cpu_v1);
                if (r == 0 && !(s->cpu_path = strdup(path))) {
                        log_line("cannot prepare the CPU check: %s", strerror(ENOMEM));
                        return 1;
                }
                if (r < 0)
                        log_line("warning: --cpu-source=cgroup: no CPU figure for the cgroup in %s (%s): the app's "
                                 "process tree is measured instead", s->opt.proc_cgroup, strerror(-r));
        }
        if (s->opt.max_cpu)
                log_line("max_cpu_restart %lu%% of a CPU for %lu ms in a row, sampled every %d ms from %s%s",
                         s->opt.max_cpu, s->opt.cpu_window_ms, CPU_INTERVAL_MS,
                         s->cpu_path ? s->cpu_path : "the app's process tree (/proc/PID/stat)",
                         s->cpu_path ? ", less the shim's own" : "");
        if (!s->opt.max_memory)
                return 0;
        if (s->opt.memory_source == MEMORY_SOURCE_CGROUP) {
                r = memory_find_cgroup(s->opt.proc_cgroup, s->opt.cgroup_root, path, sizeof(path), &s->memory_v1);
                if (r == 0)
                        r = memory_read_cgroup(path, s->memory_v1, &bytes);
                if (r < 0) {
                        log_line("--memory-source=cgroup: no anonymous memory figure for the cgroup in %s: %s",
                                 s->opt.proc_cgroup, strerror(-r));
                        return 1;
                }
                s->memory_path = strdup(path);
                if (!s->memory_path) {
                        log_line("cannot prepare the memory check: %s", strerror(ENOMEM));
                        return 1;
                }
        }
        log_line("max_memory_restart %llu MB, checked every %lu ms (%u samples in a row) from %s%s",
                 (unsigned long long) (s->opt.max_memory >> 20), s->opt.memory_interval_ms, MEMORY_SAMPLES_OVER,
                 s->memory_path ? s->memory_path : "the app's process tree (RssAnon, /proc/PID/statm)",
                 s->memory_path ? (s->memory_v1 ? " (total_rss)" : " (anon)") : "");
        return 0;
}

/* ---- --bind-preload: the sockets the app binds, kept by bindsrv ---- */

/* Holds one of bindsrv's sockets like the unit's: repaired after a child, served by the next one. */
static void bind_hold(shim *s, int fd) {
        int r;

        if (!s->held || s->n_held >= s->n_fds + BINDSRV_MAX)
                return;
        r = sockets_hold(fd, s->opt.backlog_given ? s->opt.backlog : 0, &s->held[s->n_held]);
        if (r < 0) {
                log_line("warning: cannot look after socket fd %d: %s", fd, strerror(-r));
                return;
        }
        if (s->held[s->n_held].listening_stream && s->n_inos < sizeof(s->inos) / sizeof(s->inos[0]))
                s->inos[s->n_inos++] = s->held[s->n_held].ino;
        s->n_held++;
}

/* $RUNTIME_DIRECTORY/NAME, replaced whole (a temporary file renamed over it); a warning when it cannot be. */
static void runtime_write(shim *s, const char *name, const char *text, size_t len) {
        char path[PATH_MAX], tmp[PATH_MAX];
        size_t off = 0;
        ssize_t n;
        int fd, r = 0;

        if (!s->runtime_dir)
                return;
        snprintf(path, sizeof(path), "%s/%s", s->runtime_dir, name);
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", s->runtime_dir, name);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                log_line("warning: cannot write %s: %m", tmp);
                return;
        }
        while (off < len) {
                n = write(fd, text + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                off += (size_t) n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                log_line("warning: cannot write %s: %s", path, strerror(-r));
                unlink(tmp);
        }
}

/* $RUNTIME_DIRECTORY/ports: a "tcp ADDR:PORT" line per socket, for pmgen describe. */
static void bind_write_ports(shim *s) {
        char desc[BINDSRV_MAX * 64];
        size_t len, i;

        bindsrv_describe(&s->bind, desc, sizeof(desc) - 1);
        len = strlen(desc);
        for (i = 0; i < len; i++) /* ", " between entries: one a line */
                if (desc[i] == ',' && desc[i + 1] == ' ') {
                        desc[i] = '\n';
                        memmove(desc + i + 1, desc + i + 2, len - i - 1);
                        len--;
                }
        if (len > 0)
                desc[len++] = '\n';
        runtime_write(s, "ports", desc, len);
}

/* $RUNTIME_DIRECTORY/replaced: how many times the shim replaced the app on its own (max_memory_restart,
 * max_cpu_restart), which systemd's NRestarts does not count; pmgen ls adds it to the restarts, as PM2
 * counts those. The directory outlives a restart of the instance (RuntimeDirectoryPreserve=restart), so
 * the count goes on from the file. */
static void replaced_load(shim *s) {
        char path[PATH_MAX], text[32];

        if (!s->runtime_dir)
                return;
        snprintf(path, sizeof(path), "%s/replaced", s->runtime_dir);
        if (proctree_read_file(path, text, sizeof(text)) == 0)
                s->replaced = strtoul(text, NULL, 10);
}

void replaced_count(shim *s) {
        char text[32];
        int n;

        s->replaced++;
        n = snprintf(text, sizeof(text), "%lu\n", s->replaced);
        runtime_write(s, "replaced", text, (size_t) n);
}

/* Takes the sockets systemd passed back from the fd store (FDNAME=pmgen-bind) out of the ones passed
 * on to the child: bindsrv keeps them; the others move down to fd 3…. */
static void bind_setup(shim *s) {
        unsigned i, keep = 0;
        int fd, r;

        if (!s->opt.bind_preload)
                return;
        bindsrv_init(&s->bind, (int) s->opt.backlog);
        for (i = 0; i < s->n_fds; i++) {
                fd = SD_LISTEN_FDS_START + (int) i;
                if (strcmp(s->fd_names[i], BINDSRV_FDNAME) != 0) {
                        if (keep != i) {
                                if (dup3(fd, SD_LISTEN_FDS_START + (int) keep, O_CLOEXEC) < 0)
                                        log_line("warning: cannot move socket fd %d: %m", fd);
                                close(fd);
                                s->fd_names[keep] = s->fd_names[i];
                        }
                        keep++;
                        continue;
                }
                free(s->fd_names[i]);
                r = fcntl(fd, F_DUPFD_CLOEXEC, SD_LISTEN_FDS_START + (int) s->n_fds);
                close(fd);
                if (r < 0) {
                        log_line("warning: cannot take socket fd %d from the fd store: %m", fd);
                        continue;
                }
                fd = r;
                r = bindsrv_adopt(&s->bind, fd);
                if (r < 0) {
                        log_line("warning: dropping fd %d from the fd store (not a listening TCP socket): %s", fd,
                                 strerror(-r));
                        close(fd);
                }
        }
        s->n_fds = keep;
}

/* A request from kids[idx]'s libpmgen-bind.so. */
void on_bind(shim *s, int idx) {
        child_proc *c = &s->kids[idx];
        char desc[BINDSRV_MAX * 64];
        int created, r;

        r = bindsrv_handle(&s->bind, c->bind_fd, &created);
        if (r < 0) {
                /* the child exited, or exec'd something that closed it */
                close(c->bind_fd);
                c->bind_fd = -1;
                return;
        }
        if (created < 0)
                return;
        bind_hold(s, created);
        bindsrv_describe(&s->bind, desc, sizeof(desc));
        log_line("child %ld bound a port: the shim holds %s", (long) c->pid, desc);
        r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" BINDSRV_FDNAME, &created, 1);
        if (r < 0)
                log_line("warning: cannot put the socket in systemd's fd store: %s", strerror(-r));
        bind_write_ports(s);
}

/* Holds the sockets: inodes for the serving check, the backlog to keep, sticky sessions. */
static int sockets_setup(shim *s) {
        unsigned i;
        int r;

        if (s->n_fds == 0 && !s->opt.bind_preload)
                return 0;
        s->held = calloc(s->n_fds + (s->opt.bind_preload ? BINDSRV_MAX : 0) + 1, sizeof(held_socket));
        if (!s->held)
                return -ENOMEM;
        s->n_held = s->n_fds;
        for (i = 0; i < s->n_fds; i++) {
                r = sockets_hold(SD_LISTEN_FDS_START + (int) i, s->opt.backlog_given ? s->opt.backlog : 0, &s->held[i]);
                if (r < 0)
                        return r;
                if (s->held[i].listening_stream && s->n_inos < sizeof(s->inos) / sizeof(s->inos[0]))
                        s->inos[s->n_inos++] = s->held[i].ino;
                if (s->opt.sticky && s->held[i].listening_stream) {
                        r = sockets_attach_sticky(s->held[i].fd, s->opt.group_size);
                        if (r < 0)
                                log_line("warning: sticky sessions: cannot attach to socket fd %d: %s", s->held[i].fd,
                                         strerror(-r));
                        else
                                log_line("sticky sessions: clients are spread over %u instances by their address",
                                         s->opt.group_size);
                }
        }
        for (i = 0; i < s->bind.n; i++)
                bind_hold(s, s->bind.s[i].fd);
        if (s->bind.n > 0) {
                char desc[BINDSRV_MAX * 64];

                bindsrv_describe(&s->bind, desc, sizeof(desc));
                log_line("took back from systemd's fd store: %s", desc);
                bind_write_ports(s);
        }
        return 0;
}

static void watchdog_setup(shim *s) {
        uint64_t usec = 0;

        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
                return;
        s->wd_ms = usec / 1000 ? usec / 1000 : 1;
        s->wd_tick_at = s->wd_ping_at = now_ms();
}

/* The wedge test's socket-table connection, opened when first needed; false (after saying so once) when
 * it cannot be had, e.g. under RestrictAddressFamilies= without AF_NETLINK. */
static bool wedge_open(shim *s) {
        const struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

        if (s->wedge_fd >= 0)
                return true;
        if (s->wedge_fallback)
                return false;
        s->wedge_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (s->wedge_fd < 0) {
                log_line("warning: watchdog: no NETLINK_SOCK_DIAG (%m): a wedged child is told by its accept queue's "
                         "length alone, which an overloaded one can match");
                s->wedge_fallback = true;
                return false;
        }
        (void) setsockopt(s->wedge_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return true;
}

static void wedge_close(shim *s) {
        if (s->wedge_fd >= 0)
                close(s->wedge_fd);
        s->wedge_fd = -1;
}

/* One dump of the socket table for port: the cookies of its connections not accepted yet. */
static int wedge_dump(shim *s, int family, uint16_t port, uint64_t *cookies, size_t max, size_t *n) {
        static union {
                struct nlmsghdr align;
                char buf[32768];
        } ans;
        char req[WEDGE_DIAG_REQ_SIZE];
        int len = wedge_diag_request(family, port, ++s->wedge_seq, req, sizeof(req));

        if (len < 0)
                return len;
        if (send(s->wedge_fd, req, (size_t) len, 0) != len)
                return -errno;
        for (int i = 0; i < 1024; i++) {
                struct iovec iov = { .iov_base = ans.buf, .iov_len = sizeof(ans.buf) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t got = recvmsg(s->wedge_fd, &mh, 0);
                int r;

                if (got < 0)
                        return -errno;
                if (mh.msg_flags & MSG_TRUNC)
                        return -EMSGSIZE;
                r = wedge_diag_parse(ans.buf, (size_t) got, port, cookies, max, n);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return -E2BIG;
}

/* How long the oldest connection not accepted yet on the held TCP sockets' ports has waited (ms);
 * -errno when the socket table cannot tell (the caller falls back to the queue's length). */
static int wedge_age(shim *s, uint64_t now, uint64_t *age) {
        uint64_t cookies[WEDGE_TRACK_MAX];
        size_t n = 0;
        int r = 0;

        if (!wedge_open(s))
                return -ENOTSUP;
        for (unsigned i = 0; r == 0 && i < s->n_held; i++) {
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);
                uint16_t port;

                if (!s->held[i].tcp || getsockname(s->held[i].fd, (struct sockaddr *) &ss, &sl) < 0)
                        continue;
                port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &ss)->sin6_port)
                                                : ntohs(((struct sockaddr_in *) &ss)->sin_port);
                r = wedge_dump(s, ss.ss_family, port, cookies, WEDGE_TRACK_MAX, &n);
        }
        if (r < 0) {
                /* a dump cut short leaves datagrams behind: the next tick starts on a new connection */
                log_line("warning: watchdog: reading the socket table failed: %s", strerror(-r));
                wedge_close(s);
                return r;
        }
        *age = wedge_track_update(&s->wedge, cookies, n, now);
        return 0;
}

/* Returns 0, or an exit code when start-up failed (after logging why). */
static int shim_setup(shim *s) {
        struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
        env_spec spec;
        size_t i;
        int r;

        /* Block before anything can arrive, then make sure none is ignored: an ignored SIGCHLD would
         * auto-reap, and the child must not inherit an ignored SIGINT. */
        sigemptyset(&s->handled);
        for (i = 0; i < n_handled_signals; i++)
                sigaddset(&s->handled, handled_signals[i]);
        if (sigprocmask(SIG_BLOCK, &s->handled, &s->orig_mask) < 0) {
                log_line("cannot block signals: %m");
                return 1;
        }
        for (i = 0; i < n_handled_signals; i++)
                sigaction(handled_signals[i], &dfl, NULL);
        /* A closed stderr or a vanished control client must not kill the shim; the child gets SIGPIPE
         * back as the shim found it (the unit's IgnoreSIGPIPE=). */
        sigaction(SIGPIPE, &ign, &s->orig_sigpipe);

        r = sd_listen_fds_with_names(1, &s->fd_names);
        if (r < 0) {
                log_line("cannot take the sockets passed by systemd: %s", strerror(-r));
                return 1;
        }
        s->n_fds = (unsigned) r;
        bind_setup(s);

        spec = s->spec = (env_spec) {
                .has_port = s->opt.has_port,
                .port = s->opt.port,
                .has_instance = s->opt.has_instance,
                .instance = s->opt.instance,
                .instance_var = s->opt.instance_var,
                .increment_var = s->opt.increment_var,
                .node_preload = s->opt.node_preload,
                .bind_preload = s->opt.bind_preload,
                .backlog = s->opt.backlog,
                /* An app told to stop by a message handles it itself; for a signal, the preload drains the
                 * app's servers if the app has no handler, within 3/4 of the time before SIGKILL. */
                .drain_signal = s->opt.shutdown_with_message ? 0 : s->opt.stop_signal,
                .drain_ms = s->opt.kill_timeout_ms / 4 * 3,
                .n_fds = s->n_fds,
                .fd_names = s->fd_names,
                .node_channel = uses_ipc(s),
                .child_notify = true,
        };
        r = child_env_build(&s->env, environ, &spec);
        if (r == -ENOENT || r == -EINVAL || r == -ERANGE) {
                const char *v = getenv(s->opt.increment_var);

                if (r == -ENOENT)
                        log_line("--increment-var=%s: %s is not set", s->opt.increment_var, s->opt.increment_var);
                else
                        log_line("--increment-var=%s: '%s' is not a number%s", s->opt.increment_var, v ? v : "",
                                 r == -ERANGE ? " in range" : "");
                return EXIT_USAGE;
        }
        if (r == 0)
                r = exec_plan_build(&s->plan, s->opt.command, child_env_get(&s->env, "PATH"));
        if (r == 0)
                r = runtime_setup(s);
        if (r == 0) {
                replaced_load(s);
                r = backoff_setup(s);
        }
        if (r == 0)
                r = sockets_setup(s);
        if (r < 0) {
                log_line("cannot prepare the child: %s", strerror(-r));
                return 1;
        }

        /* Orphans of the app are reparented to us, and reaped by the loop. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_line("warning: cannot become a subreaper: %m");
        s->sfd = signalfd(-1, &s->handled, SFD_CLOEXEC | SFD_NONBLOCK);
        if (s->sfd < 0) {
                log_line("cannot create signalfd: %m");
                return 1;
        }
        if (s->runtime_dir) {
                r = control_listen(s->runtime_dir, &s->control_fd, s->control_path, sizeof(s->control_path));
                if (r < 0) {
                        log_line("warning: no control socket in %s (reloads are not possible): %s", s->runtime_dir,
                                 strerror(-r));
                        s->control_fd = -1;
                }
        }
        watchdog_setup(s);
        r = health_setup(s);
        if (r != 0)
                return r;
        return memory_setup(s);
}

static void shim_cleanup(shim *s) {
        unsigned i;

        if (s->sfd >= 0)
                close(s->sfd);
        wedge_close(s);
        health_cleanup(s);
        child_slot_clear(&s->kids[0]);
        child_slot_clear(&s->kids[1]);
        if (s->reload.client_fd >= 0)
                close(s->reload.client_fd);
        reload_free(&s->reload);
        if (s->client_fd >= 0)
                close(s->client_fd);
        if (s->control_fd >= 0) {
                close(s->control_fd);
                unlink(s->control_path);
        }
        for (i = 0; i < s->n_fds; i++)
                close(SD_LISTEN_FDS_START + (int) i);
        if (s->fd_names) {
                for (i = 0; i < s->n_fds; i++)
                        free(s->fd_names[i]);
                free(s->fd_names);
        }
        free(s->held);
        if (s->bind.n > 0 && s->runtime_dir) {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/ports", s->runtime_dir);
                unlink(path);
        }
        bindsrv_close_all(&s->bind);
        child_env_free(&s->env);
        exec_plan_free(&s->plan);
        free(s->env_block);
        free(s->runtime_dir);
        free(s->backoff_path);
        free(s->backoff_tmp);
        free(s->memory_path);
        free(s->cpu_path);
}

/* ---- back-off ---- */

static void backoff_save(shim *s, uint64_t delay_ms) {
        backoff_state st = { .delay_ms = delay_ms, .start_ms = s->child_start_boot_ms };
        int r;

        if (!s->backoff_path)
                return;
        r = backoff_store(s->backoff_path, s->backoff_tmp, &st);
        if (r < 0)
                log_line("warning: cannot write %s: %s", s->backoff_path, strerror(-r));
}

/* Called when the current child's run ended (exit, or exec failure). */
void backoff_child_ended(shim *s) {
        uint64_t run_ms = boot_ms() - s->child_start_boot_ms;

        backoff_save(s, s->stop_requested ? 0
                                          : backoff_next(s->backoff.delay_ms, run_ms, s->opt.backoff_base_ms));
}

/* The delay this start has to wait, from the state file. */
static uint64_t backoff_delay(shim *s) {
        int r;

        if (!s->backoff_path)
                return 0;
        r = backoff_load(s->backoff_path, &s->backoff);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_line("warning: ignoring %s: %s", s->backoff_path,
                         r == -EINVAL ? "not \"DELAY_MS START_MS\"" : strerror(-r));
                s->backoff = (backoff_state) { 0 };
                return 0;
        }
        return s->backoff.delay_ms;
}

void memory_timer_start(shim *s) {
        if (s->opt.max_memory)
                s->memory_at = now_ms() + s->opt.memory_interval_ms;
        if (s->opt.max_cpu)
                s->cpu_at = now_ms() + CPU_INTERVAL_MS;
}


/* ---- stopping ---- */

static void stop(shim *s, int sig) {
        char name[32];

        s->stop_requested = true;
        signal_name(sig, name, sizeof(name));
        if (s->phase == PHASE_BACKOFF) {
                log_line("%s during back-off, not starting the app", name);
                s->child_start_boot_ms = s->backoff.start_ms;
                backoff_save(s, 0);
                s->done = true;
                s->exit_code = 0;
                return;
        }
        if (s->phase == PHASE_STOPPING) {
                /* Asked to stop while restarting for memory: this is a stop now, exit like one. */
                s->memory_restart = false;
                return;
        }
        s->phase = PHASE_STOPPING;
        if (s->reload.active)
                reload_abort(s, "the instance is stopping");
        notify("STATUS=stopping");
        stop_child(s, s->cur, name);
        stop_child(s, !s->cur, name);
        if (!any_child(s))
                s->done = true;
}

/* The fallback of a memory replacement that could not be done: stop like a stop and exit
 * EXIT_MEMORY_RESTART, for systemd's Restart= to start the instance again. */
void memory_restart(shim *s, const char *why) {
        log_line("%s; restarting the instance", why);
        notify("STATUS=restarting: %s", why);
        s->memory_restart = true;
        s->stop_requested = true; /* not a crash: no back-off */
        s->phase = PHASE_STOPPING;
        stop_child(s, s->cur, "max_memory_restart");
}

static void on_memory_timer(shim *s) {
        child_proc *c = current(s);
        unsigned long long mb, limit_mb = s->opt.max_memory >> 20;
        size_t procs = 0;
        uint64_t bytes;
        char what[160];
        int r;

        s->memory_at = now_ms() + s->opt.memory_interval_ms;
        if (s->phase != PHASE_RUNNING || s->reload.active || c->pid <= 0 || c->stopping)
                return;
        /* Not during a reload (above): then everything below the shim is the current child, what it started,
         * and what they left behind (the shim is their subreaper). */
        r = s->memory_path ? memory_read_cgroup(s->memory_path, s->memory_v1, &bytes) : proctree_anon_below_self(&bytes, &procs);
        if (r < 0) {
                if (!s->memory_warned)
                        log_line("warning: cannot read the memory use from %s: %s",
                                 s->memory_path ? s->memory_path : "/proc/PID/statm", strerror(-r));
                s->memory_warned = true;
                return;
        }
        if (bytes <= s->opt.max_memory) {
                c->mem_over = 0;
                return;
        }
        if (++c->mem_over < MEMORY_SAMPLES_OVER)
                return;
        c->mem_over = 0;
        mb = bytes >> 20;
        if (s->memory_path)
                snprintf(what, sizeof(what), "the instance's cgroup");
        else
                snprintf(what, sizeof(what), "child %ld and %zu descendant%s", (long) c->pid, procs ? procs - 1 : 0,
                         procs == 2 ? "" : "s");
        log_line("memory: %llu MB anonymous in %s, over max_memory_restart %llu MB in %u samples in a row; "
                 "replacing the child", mb, what, limit_mb, MEMORY_SAMPLES_OVER);
        reload_begin(s, "max_memory_restart", -1, NULL, NULL, 0);
}

/* --max-cpu-restart: every second, the CPU the current child's tree used since the last sample; over the
 * limit for the whole window in a row: a graceful replacement. A new child starts a new count. */
/* The CPU time (µs) that --max-cpu-restart measures now: the instance's cgroup's less the shim's own, or
 * the current child's process tree's. */
static int cpu_sample(shim *s, pid_t pid, unsigned long long *usec) {
        unsigned long long ticks;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t cg;
        struct rusage ru;
        int r;

        if (s->cpu_path) {
                unsigned long long self;

                r = cpu_read_cgroup(s->cpu_path, s->cpu_v1, &cg);
                if (r < 0)
                        return r;
                if (getrusage(RUSAGE_SELF, &ru) < 0)
                        return -errno;
                self = (unsigned long long) ru.ru_utime.tv_sec * 1000000 + (unsigned long long) ru.ru_utime.tv_usec +
                       (unsigned long long) ru.ru_stime.tv_sec * 1000000 + (unsigned long long) ru.ru_stime.tv_usec;
                *usec = cg > self ? cg - self : 0;
                return 0;
        }
        r = proctree_cpu(pid, &ticks);
        if (r < 0 || hz <= 0)
                return r < 0 ? r : -EINVAL;
        *usec = ticks * 1000000ULL / (unsigned long long) hz;
        return 0;
}

static void on_cpu_timer(shim *s) {
        child_proc *c = current(s);
        uint64_t now = now_ms();
        unsigned long long usec = 0;

        s->cpu_at = now + CPU_INTERVAL_MS;
        if (s->phase != PHASE_RUNNING || s->reload.active || c->pid <= 0 || c->stopping || cpu_sample(s, c->pid, &usec) < 0)
                return;
        if (c->pid != s->cpu_pid || now <= s->cpu_last_ms || usec < s->cpu_last_usec) {
                s->cpu_pid = c->pid; /* a new child, or a descendant's time went with it: start again */
                s->cpu_over_ms = 0;
        } else {
                uint64_t dt = now - s->cpu_last_ms;
                unsigned long long used_ms = (usec - s->cpu_last_usec) / 1000ULL;

                if (used_ms * 100 > (unsigned long long) s->opt.max_cpu * dt)
                        s->cpu_over_ms += dt;
                else
                        s->cpu_over_ms = 0;
        }
        s->cpu_last_ms = now;
        s->cpu_last_usec = usec;
        if (s->cpu_over_ms < s->opt.cpu_window_ms)
                return;
        log_line("cpu: %s %ld %s used more than %lu%% of a CPU for %llu ms in a row, over max_cpu_restart; "
                 "replacing the child", s->cpu_path ? "the instance's cgroup (child" : "child", (long) c->pid,
                 s->cpu_path ? "and all it started, less the shim)" : "and its descendants", s->opt.max_cpu,
                 (unsigned long long) s->cpu_over_ms);
        s->cpu_over_ms = 0;
        reload_begin(s, "max_cpu_restart", -1, NULL, NULL, 0);
}

/* ---- the watchdog ---- */

/* Whether the current child looks wedged: a connection has waited in its sockets' accept queue, not
 * accepted, for half the watchdog period (at least a second), as the socket table tells (wedge.h). Without
 * the socket table: the queue has been non-empty, and not shrinking, that long, a reload aside (two
 * children share the queue then, and the new one may still be starting). */
static void on_watchdog_tick(shim *s) {
        child_proc *c = current(s);
        uint64_t now = now_ms(), wedge_ms = s->wd_ms / 2 > 1000 ? s->wd_ms / 2 : 1000, age = 0;
        unsigned waiting = 0, w, limit;
        size_t i;

        s->wd_tick_at = now + (s->wd_ms / 2 < 1000 ? (s->wd_ms / 2 ? s->wd_ms / 2 : 1) : 1000);
        for (i = 0; i < s->n_held; i++)
                if (s->held[i].tcp && sockets_queue(s->held[i].fd, &w, &limit) == 0)
                        waiting += w;
        if (waiting == 0 || c->pid <= 0) {
                s->wedged_since = 0;
                s->wedge.n = 0;
        } else if (wedge_age(s, now, &age) == 0) {
                s->wedged_since = age ? now - age : 0;
        } else if (s->reload.active) {
                s->wedged_since = 0;
        } else if (s->wedged_since == 0 || waiting < s->wedge_last) {
                s->wedged_since = now; /* it moves */
        }
        s->wedge_last = waiting;
        if (s->wedged_since && now - s->wedged_since >= wedge_ms) {
                if (!s->wedged)
                        log_line("child %ld looks wedged: %u connection%s waiting on its socket, none taken for "
                                 "%llu ms; no more watchdog pings", (long) c->pid, waiting, waiting == 1 ? "" : "s",
                                 (unsigned long long) (now - s->wedged_since));
                s->wedged = true;
                notify("STATUS=child %ld looks wedged (%u connections waiting)", (long) c->pid, waiting);
                return;
        }
        if (s->wedged) {
                log_line("child %ld takes connections again; watchdog pings resume", (long) c->pid);
                notify("STATUS=running pid %ld", (long) c->pid);
        }
        s->wedged = false;
        if (s->health.unhealthy)
                return; /* the health check failed --health-retries times in a row (health-loop.c) */
        if (now >= s->wd_ping_at && (c->pid > 0 || s->phase == PHASE_BACKOFF)) {
                notify("WATCHDOG=1");
                s->wd_ping_at = now + s->wd_ms / 2;
        }
}

static void on_signal(shim *s, const struct signalfd_siginfo *si) {
        child_proc *c = current(s);
        int sig = (int) si->ssi_signo;

        switch (sig) {
        case SIGCHLD:
                reap(s);
                break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
                stop(s, sig);
                break;
        default: /* SIGHUP, SIGUSR1, SIGUSR2: the app's business (a reload goes over the control socket) */
                if (c->pid > 0 && kill(c->pid, sig) < 0 && errno != ESRCH)
                        log_line("cannot forward signal %d to child %ld: %m", sig, (long) c->pid);
                break;
        }
}

/* ---- the control socket ---- */

static void on_control(shim *s) {
        int fd, r;

        r = control_accept(s->control_fd, &fd);
        if (r == -EPERM) {
                log_line("refused a control connection from another user");
                return;
        }
        if (r < 0)
                return;
        if (s->client_fd >= 0) {
                /* (a reload in progress is refused once the request is read: reload_request) */
                log_line("refused a control request: another one is being read");
                control_answer(fd, false, "another reload request is being read; try again");
                close(fd);
                return;
        }
        s->client_fd = fd;
        s->client_deadline = now_ms() + CLIENT_TIMEOUT_MS;
}

static void on_client(shim *s) {
        char probe;
        char *msg;
        ssize_t n;
        int fd = s->client_fd;

        n = recv(fd, &probe, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        s->client_fd = -1;
        s->client_deadline = 0;
        if (n <= 0) {
                close(fd);
                return;
        }
        if ((size_t) n > CONTROL_REQUEST_MAX) {
                control_answer(fd, false, "the request is too big");
                close(fd);
                return;
        }
        msg = malloc((size_t) n);
        if (!msg || recv(fd, msg, (size_t) n, MSG_DONTWAIT) != n) {
                control_answer(fd, false, "cannot read the request");
                free(msg);
                close(fd);
                return;
        }
        reload_request(s, fd, msg, (size_t) n); /* takes fd and msg */
}

/* ---- the loop ---- */

static uint64_t earliest(uint64_t a, uint64_t b) {
        return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

static void run_deadlines(shim *s) {
        uint64_t now = now_ms();
        int i;

        if (s->phase == PHASE_BACKOFF && s->backoff_at && now >= s->backoff_at) {
                s->backoff_at = 0;
                start_first_child(s);
        }
        for (i = 0; i < 2 && !s->done; i++) {
                child_proc *c = &s->kids[i];

                if (c->pid <= 0)
                        continue;
                if (c->kill_at && now >= c->kill_at)
                        kill_timeout(s, i);
                if (c->probe_at && now >= c->probe_at && !c->ready)
                        probe_serving(s, i);
                if (c->ready_deadline && now >= c->ready_deadline && !c->ready)
                        child_not_ready(s, i);
        }
        if (!s->done && s->memory_at && now >= s->memory_at)
                on_memory_timer(s);
        if (!s->done && s->cpu_at && now >= s->cpu_at)
                on_cpu_timer(s);
        if (!s->done)
                health_deadlines(s, now_ms());
        if (!s->done && s->wd_ms && now >= s->wd_tick_at)
                on_watchdog_tick(s);
        if (!s->done && s->client_fd >= 0 && now >= s->client_deadline) {
                control_answer(s->client_fd, false, "no request came");
                close(s->client_fd);
                s->client_fd = -1;
        }
}

static int poll_timeout(const shim *s) {
        uint64_t next = 0, now = now_ms();
        int i;

        if (s->phase == PHASE_BACKOFF)
                next = earliest(next, s->backoff_at);
        for (i = 0; i < 2; i++) {
                const child_proc *c = &s->kids[i];

                if (c->pid <= 0)
                        continue;
                next = earliest(next, c->kill_at);
                if (!c->ready) {
                        next = earliest(next, c->probe_at);
                        next = earliest(next, c->ready_deadline);
                }
        }
        next = earliest(next, s->memory_at);
        next = earliest(next, s->cpu_at);
        next = earliest(next, health_next(s));
        if (s->wd_ms)
                next = earliest(next, s->wd_tick_at);
        if (s->client_fd >= 0)
                next = earliest(next, s->client_deadline);
        if (next == 0)
                return -1;
        return next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int) (next - now);
}

static int shim_run(shim *s) {
        enum { P_SIGNAL, P_CONTROL, P_CLIENT, P_IPC0, P_IPC1, P_NOTIFY0, P_NOTIFY1, P_BIND0, P_BIND1, P_HEALTH, P_N };
        struct signalfd_siginfo si[8];
        struct pollfd pfd[P_N];
        uint64_t delay;
        ssize_t n;
        size_t i;
        int k;

        delay = backoff_delay(s);
        if (delay > 0) {
                log_line("last run was short, backing off for %llu ms", (unsigned long long) delay);
                notify("STATUS=backing off for %llu ms\nEXTEND_TIMEOUT_USEC=%llu", (unsigned long long) delay,
                       (unsigned long long) (delay + EXTEND_SLACK_MS) * 1000);
                s->phase = PHASE_BACKOFF;
                s->backoff_at = now_ms() + delay;
        } else
                start_first_child(s);

        while (!s->done) {
                /* A negative fd is skipped by poll(). */
                pfd[P_SIGNAL] = (struct pollfd) { .fd = s->sfd, .events = POLLIN };
                pfd[P_CONTROL] = (struct pollfd) { .fd = s->control_fd, .events = POLLIN };
                pfd[P_CLIENT] = (struct pollfd) { .fd = s->client_fd, .events = POLLIN };
                for (k = 0; k < 2; k++) {
                        child_proc *c = &s->kids[k];

                        pfd[P_IPC0 + k] = (struct pollfd) { .fd = c->pid > 0 && !c->ipc_eof ? c->ipc_fd : -1,
                                                            .events = POLLIN };
                        pfd[P_NOTIFY0 + k] = (struct pollfd) { .fd = c->pid > 0 ? c->notify_fd : -1, .events = POLLIN };
                        pfd[P_BIND0 + k] = (struct pollfd) { .fd = c->pid > 0 ? c->bind_fd : -1, .events = POLLIN };
                }
                pfd[P_HEALTH].fd = health_poll_fd(s, &pfd[P_HEALTH].events);
                pfd[P_HEALTH].revents = 0;
                if (poll(pfd, P_N, poll_timeout(s)) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_line("poll: %m");
                        return 1;
                }
                /* Readiness words first, so a 'ready' beats a listen_timeout that expired meanwhile; then
                 * signals (a child that exited, a stop); then requests and deadlines. */
                for (k = 0; k < 2 && !s->done; k++) {
                        if (s->kids[k].notify_fd >= 0 && (pfd[P_NOTIFY0 + k].revents & POLLIN))
                                on_notify(s, k);
                        if (s->kids[k].ipc_fd >= 0 && (pfd[P_IPC0 + k].revents & (POLLIN | POLLHUP | POLLERR)))
                                on_ipc(s, k);
                        if (s->kids[k].bind_fd >= 0 && (pfd[P_BIND0 + k].revents & (POLLIN | POLLHUP | POLLERR)))
                                on_bind(s, k);
                }
                while (!s->done && (pfd[P_SIGNAL].revents & POLLIN)) {
                        n = read(s->sfd, si, sizeof(si));
                        if (n <= 0)
                                break;
                        for (i = 0; i < (size_t) n / sizeof(si[0]) && !s->done; i++)
                                on_signal(s, &si[i]);
                }
                if (!s->done && pfd[P_HEALTH].fd >= 0 && pfd[P_HEALTH].revents)
                        health_on_event(s, pfd[P_HEALTH].revents);
                if (!s->done && s->control_fd >= 0 && (pfd[P_CONTROL].revents & POLLIN))
                        on_control(s);
                if (!s->done && s->client_fd >= 0 && (pfd[P_CLIENT].revents & (POLLIN | POLLHUP | POLLERR)))
                        on_client(s);
                if (!s->done)
                        run_deadlines(s);
        }
        return s->exit_code;
}

int main(int argc, char **argv) {
        shim s = {
                .sfd = -1, .control_fd = -1, .client_fd = -1, .wedge_fd = -1,
                .kids = { { .ipc_fd = -1, .notify_fd = -1, .bind_fd = -1 }, { .ipc_fd = -1, .notify_fd = -1, .bind_fd = -1 } },
                .reload = { .client_fd = -1 },
                .health = { .fd = -1, .diag_fd = -1 },
        };
        int code;

        code = options_parse(&s.opt, argc, argv);
        if (code >= 0)
                return code;
        if (s.opt.reload)
                return client_reload(&s.opt);
        code = shim_setup(&s);
        if (code == 0) {
                code = shim_run(&s);
                reap_at_exit();
        }
        shim_cleanup(&s);
        return code;
}
