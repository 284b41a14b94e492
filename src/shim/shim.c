/* SPDX-License-Identifier: MIT */
/* pmgen-shim: the main process of one app instance (NAME@N.service). It runs the app as its only
 * child and stands between it and systemd:
 *   - keeps the unit's sockets for its whole life and passes the child its own copies (LISTEN_*);
 *   - sets PORT, the instance variable, the increment variable and the Node preload for the child;
 *   - tells systemd READY=1 once the child runs, or with --wait-ready once it says process.send('ready')
 *     over a Node IPC channel (or listen_timeout passed), and holds back a crash-looping start
 *     (--exp-backoff);
 *   - turns systemd's SIGTERM into the app's stop signal (or the message 'shutdown') with a kill timeout,
 *     forwards SIGHUP/SIGUSR1/SIGUSR2, reaps every process reparented to it, and exits like a shell: the
 *     child's code or 128+signal; 127/126 when the command cannot be executed; 2 on usage errors;
 *   - with --max-memory-restart, samples the instance's memory and, over the limit, stops the app and
 *     exits EXIT_MEMORY_RESTART for systemd to restart it.
 * One process, one poll() loop over a signalfd, a state timerfd, a sampling timerfd and the IPC socket;
 * no threads, no handlers, no allocation after start-up. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "shim/backoff.h"
#include "shim/ipc.h"
#include "shim/memory.h"
#include "shim/options.h"
#include "shim/spawn.h"

/* How much longer than the back-off delay or listen_timeout systemd's start timeout is pushed out
 * (EXTEND_TIMEOUT_USEC only ever lengthens TimeoutStartSec=). */
#define EXTEND_SLACK_MS 5000u

extern char **environ;

/* The signals the loop reads from its signalfd; the child gets them back at SIG_DFL. */
static const int handled_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };

/* What the state timer (tfd) means depends on the state: the back-off delay, listen_timeout while
 * STARTING with --wait-ready, the kill timeout while STOPPING. */
typedef enum shim_state {
        STATE_BACKOFF,   /* waiting out the back-off delay, no child yet */
        STATE_STARTING,  /* child exec'd, readiness not yet known */
        STATE_RUNNING,   /* READY=1 sent */
        STATE_STOPPING,  /* stop signal or message sent, kill timer armed */
} shim_state;

/* One run of the app. v1 has one at a time; a graceful memory restart (new child first, the old one
 * stopped once the new one is ready) would hold two. */
typedef struct child_proc {
        pid_t pid;               /* 0: none */
        int ipc_fd;              /* the shim's end of the Node IPC channel; -1: none */
        bool ipc_eof;            /* the child closed its end: no more polling, the fd stays open */
        ipc_lines ipc;
        bool stopped_by_message; /* the stop went over IPC (--shutdown-with-message) */
} child_proc;

typedef struct shim {
        options opt;
        shim_state state;
        int sfd;
        int tfd;                /* state timer */
        int mfd;                /* memory sampling timer (periodic); -1 without --max-memory-restart */
        char *memory_path;      /* the cgroup file sampled; NULL: the child's RSS */
        bool memory_warned;     /* a failed sample was logged */
        bool memory_restart;    /* the stop was for max_memory_restart: exit EXIT_MEMORY_RESTART */
        unsigned n_fds;
        char **fd_names;
        sigset_t orig_mask;
        sigset_t handled;
        struct sigaction orig_sigpipe;
        child_env env;
        exec_plan plan;
        child_proc child;
        bool done;
        int exit_code;
        bool stop_requested;
        /* back-off state file, both NULL when disabled */
        char *backoff_path;
        char *backoff_tmp;
        backoff_state backoff;  /* what the file said at start */
        uint64_t child_start_ms;
} shim;

/* ---- logging and notification (formatted on the stack, one write each) ---- */

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
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

static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify(const char *fmt, ...) {
        char buf[256];
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

static const char *signal_name(int sig, char *buf, size_t size) {
        const char *abbrev = sigabbrev_np(sig);

        if (abbrev)
                snprintf(buf, size, "SIG%s", abbrev);
        else
                snprintf(buf, size, "signal %d", sig);
        return buf;
}

static uint64_t now_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* ---- start-up ---- */

static int backoff_setup(shim *s) {
        const char *dir = getenv("RUNTIME_DIRECTORY");
        size_t len;

        if (!s->opt.backoff_base_ms)
                return 0;
        if (!dir || *dir != '/') {
                log_line("warning: RUNTIME_DIRECTORY is not set, --exp-backoff is disabled");
                return 0;
        }
        len = strcspn(dir, ":"); /* several RuntimeDirectory= entries: use the first */
        if (asprintf(&s->backoff_path, "%.*s/backoff", (int) len, dir) < 0) {
                s->backoff_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&s->backoff_tmp, "%.*s/.backoff.tmp", (int) len, dir) < 0) {
                s->backoff_tmp = NULL;
                return -ENOMEM;
        }
        return 0;
}

static bool uses_ipc(const shim *s) {
        return s->opt.wait_ready || s->opt.shutdown_with_message;
}

/* Picks the memory source and creates the sampling timer. Returns 0, or an exit code after logging. */
static int memory_setup(shim *s) {
        char path[PATH_MAX];
        uint64_t bytes;
        int r;

        if (!s->opt.max_memory)
                return 0;
        if (s->opt.memory_source != MEMORY_SOURCE_RSS) {
                r = memory_find_cgroup(s->opt.proc_cgroup, s->opt.cgroup_root, path, sizeof(path));
                if (r == 0)
                        r = memory_read_cgroup(path, &bytes);
                if (r == 0) {
                        s->memory_path = strdup(path);
                        if (!s->memory_path) {
                                log_line("cannot prepare the memory check: %s", strerror(ENOMEM));
                                return 1;
                        }
                } else if (s->opt.memory_source == MEMORY_SOURCE_CGROUP) {
                        log_line("--memory-source=cgroup: no memory figure for the cgroup in %s: %s",
                                 s->opt.proc_cgroup, strerror(-r));
                        return 1;
                }
        }
        s->mfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->mfd < 0) {
                log_line("cannot create timerfd: %m");
                return 1;
        }
        log_line("max_memory_restart %llu MB, checked every %lu ms from %s",
                 (unsigned long long) (s->opt.max_memory >> 20), s->opt.memory_interval_ms,
                 s->memory_path ? s->memory_path : "the app's RSS (/proc/PID/statm)");
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
        for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
                sigaddset(&s->handled, handled_signals[i]);
        if (sigprocmask(SIG_BLOCK, &s->handled, &s->orig_mask) < 0) {
                log_line("cannot block signals: %m");
                return 1;
        }
        for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
                sigaction(handled_signals[i], &dfl, NULL);
        /* A closed stderr must not kill the shim; the child gets SIGPIPE back as the shim found it (the
         * unit's IgnoreSIGPIPE=). */
        sigaction(SIGPIPE, &ign, &s->orig_sigpipe);

        r = sd_listen_fds_with_names(1, &s->fd_names);
        if (r < 0) {
                log_line("cannot take the sockets passed by systemd: %s", strerror(-r));
                return 1;
        }
        s->n_fds = (unsigned) r;

        spec = (env_spec) {
                .has_port = s->opt.has_port,
                .port = s->opt.port,
                .has_instance = s->opt.has_instance,
                .instance = s->opt.instance,
                .instance_var = s->opt.instance_var,
                .increment_var = s->opt.increment_var,
                .node_preload = s->opt.node_preload,
                .backlog = s->opt.backlog,
                .n_fds = s->n_fds,
                .fd_names = s->fd_names,
                .node_channel = uses_ipc(s),
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
                r = backoff_setup(s);
        if (r < 0) {
                log_line("cannot prepare the child: %s", strerror(-r));
                return 1;
        }

        /* Orphans of the app are reparented to us, and reaped by the loop. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_line("warning: cannot become a subreaper: %m");
        s->sfd = signalfd(-1, &s->handled, SFD_CLOEXEC | SFD_NONBLOCK);
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->sfd < 0 || s->tfd < 0) {
                log_line("cannot create signalfd/timerfd: %m");
                return 1;
        }
        return memory_setup(s);
}

static void shim_cleanup(shim *s) {
        unsigned i;

        if (s->sfd >= 0)
                close(s->sfd);
        if (s->tfd >= 0)
                close(s->tfd);
        if (s->mfd >= 0)
                close(s->mfd);
        if (s->child.ipc_fd >= 0)
                close(s->child.ipc_fd);
        for (i = 0; i < s->n_fds; i++)
                close(SD_LISTEN_FDS_START + (int) i);
        if (s->fd_names) {
                for (i = 0; i < s->n_fds; i++)
                        free(s->fd_names[i]);
                free(s->fd_names);
        }
        child_env_free(&s->env);
        exec_plan_free(&s->plan);
        free(s->backoff_path);
        free(s->backoff_tmp);
        free(s->memory_path);
}

/* ---- the child ---- */

static struct timespec ms_to_timespec(uint64_t ms) {
        return (struct timespec) { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000 };
}

/* Arms the state timer to fire once after ms. */
static void timer_arm(shim *s, uint64_t ms) {
        struct itimerspec its = { .it_value = ms_to_timespec(ms) };

        if (ms == 0)
                its.it_value.tv_nsec = 1; /* zero would disarm */
        if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
                log_line("cannot arm the timer: %m");
}

static void timer_disarm(shim *s) {
        struct itimerspec its = { 0 };

        timerfd_settime(s->tfd, 0, &its, NULL);
}

static void backoff_save(shim *s, uint64_t delay_ms) {
        backoff_state st = { .delay_ms = delay_ms, .start_ms = s->child_start_ms };
        int r;

        if (!s->backoff_path)
                return;
        r = backoff_store(s->backoff_path, s->backoff_tmp, &st);
        if (r < 0)
                log_line("warning: cannot write %s: %s", s->backoff_path, strerror(-r));
}

/* Called when the child's run ended (exit, or exec failure). */
static void backoff_child_ended(shim *s) {
        uint64_t run_ms = now_ms(CLOCK_BOOTTIME) - s->child_start_ms;

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

static void ipc_close(child_proc *c) {
        if (c->ipc_fd >= 0)
                close(c->ipc_fd);
        c->ipc_fd = -1;
        c->ipc_eof = false;
        c->ipc = (ipc_lines) { 0 };
}

/* Readiness. Without --wait-ready a successful exec is ready. With it, the child is STARTING until its
 * "ready" line arrives (on_ipc) or listen_timeout passes (on_timer); other checks (relayed sd_notify,
 * the accept queue draining) would hook in the same way. */
static void child_ready(shim *s) {
        s->state = STATE_RUNNING;
        notify("READY=1\nSTATUS=running pid %ld", (long) s->child.pid);
}

static void readiness_begin(shim *s) {
        s->state = STATE_STARTING;
        if (!s->opt.wait_ready) {
                child_ready(s);
                return;
        }
        notify("STATUS=waiting for 'ready' from pid %ld\nEXTEND_TIMEOUT_USEC=%llu", (long) s->child.pid,
               (unsigned long long) (s->opt.listen_timeout_ms + EXTEND_SLACK_MS) * 1000);
        timer_arm(s, s->opt.listen_timeout_ms);
}

/* PM2 does not hold a start back for a missing 'ready': after listen_timeout the app counts as up. */
static void readiness_timed_out(shim *s) {
        log_line("no 'ready' from the app within %lu ms (wait_ready); continuing as PM2 does",
                 s->opt.listen_timeout_ms);
        s->state = STATE_RUNNING;
        notify("READY=1\nSTATUS=running pid %ld (no 'ready' within %lu ms)", (long) s->child.pid,
               s->opt.listen_timeout_ms);
}

static void memory_timer_start(shim *s) {
        struct itimerspec its;

        if (s->mfd < 0)
                return;
        its.it_value = its.it_interval = ms_to_timespec(s->opt.memory_interval_ms);
        if (timerfd_settime(s->mfd, 0, &its, NULL) < 0)
                log_line("cannot arm the memory timer: %m");
}

static void start_child(shim *s) {
        spawn_req req = {
                .plan = &s->plan,
                .env = &s->env,
                .n_fds = s->n_fds,
                .ipc_fd = -1,
                .mask = &s->orig_mask,
                .reset_signals = handled_signals,
                .n_reset = sizeof(handled_signals) / sizeof(handled_signals[0]),
                .sigpipe_action = &s->orig_sigpipe,
        };
        int r, err;

        s->child_start_ms = now_ms(CLOCK_BOOTTIME);
        r = uses_ipc(s) ? ipc_open(&s->child.ipc_fd, &req.ipc_fd) : 0;
        if (r < 0) {
                log_line("cannot create the IPC channel: %s", strerror(-r));
                s->done = true;
                s->exit_code = 1;
                return;
        }
        r = spawn_child(&req, &s->child.pid, &err);
        if (req.ipc_fd >= 0)
                close(req.ipc_fd); /* the child has its copy */
        if (r < 0) {
                log_line("cannot start '%s': %s", s->opt.command[0], strerror(-r));
                ipc_close(&s->child);
                s->done = true;
                s->exit_code = 1;
                return;
        }
        if (err != 0) {
                log_line("cannot execute '%s': %s", s->opt.command[0], strerror(err));
                ipc_close(&s->child);
                s->child.pid = 0;
                backoff_child_ended(s);
                s->done = true;
                s->exit_code = err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
                return;
        }
        readiness_begin(s);
        memory_timer_start(s);
}

static void child_exited(shim *s, int status) {
        char name[32];

        if (WIFSIGNALED(status)) {
                log_line("child %ld killed by signal %s%s", (long) s->child.pid,
                         signal_name(WTERMSIG(status), name, sizeof(name)), WCOREDUMP(status) ? " (core dumped)" : "");
                s->exit_code = 128 + WTERMSIG(status);
        } else {
                log_line("child %ld exited with status %d", (long) s->child.pid, WEXITSTATUS(status));
                s->exit_code = WEXITSTATUS(status);
        }
        if (s->memory_restart) {
                log_line("exiting with status %d for systemd to restart the app (max_memory_restart)",
                         EXIT_MEMORY_RESTART);
                s->exit_code = EXIT_MEMORY_RESTART;
        }
        backoff_child_ended(s);
        ipc_close(&s->child);
        s->child.pid = 0;
        s->done = true;
}

static void reap(shim *s) {
        pid_t pid;
        int status;

        for (;;) {
                pid = waitpid(-1, &status, WNOHANG);
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return; /* 0: children left but none exited; ECHILD: none left */
                if (pid == s->child.pid && (WIFEXITED(status) || WIFSIGNALED(status)))
                        child_exited(s, status);
        }
}

/* Asks the child to stop: the message 'shutdown' with --shutdown-with-message (the stop signal when
 * that cannot be written), else the stop signal; SIGKILL after the kill timeout either way. `why` starts
 * the log line. */
static void stop_child(shim *s, const char *why) {
        child_proc *c = &s->child;
        char name[32];
        int r;

        s->state = STATE_STOPPING;
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
        timer_arm(s, s->opt.kill_timeout_ms);
}

static void stop(shim *s, int sig) {
        char name[32];

        s->stop_requested = true;
        signal_name(sig, name, sizeof(name));
        if (s->state == STATE_BACKOFF) {
                log_line("%s during back-off, not starting the app", name);
                s->child_start_ms = s->backoff.start_ms;
                backoff_save(s, 0);
                s->done = true;
                s->exit_code = 0;
                return;
        }
        if (s->state == STATE_STOPPING) {
                /* Asked to stop while restarting for memory: this is a stop now, exit like one. */
                s->memory_restart = false;
                return;
        }
        if (s->child.pid <= 0)
                return;
        notify("STATUS=stopping");
        stop_child(s, name);
}

/* v1 restarts the instance for memory through systemd: stop the child like a stop, then exit
 * EXIT_MEMORY_RESTART (child_exited), and Restart= starts a new shim. A graceful replacement starts the
 * new child here and calls stop_child() on the old one once the new one is ready. */
static void memory_restart(shim *s, uint64_t bytes) {
        unsigned long long mb = bytes >> 20, limit_mb = s->opt.max_memory >> 20;

        log_line("memory %llu MB over max_memory_restart %llu MB; restarting", mb, limit_mb);
        notify("STATUS=restarting: memory %llu MB over max_memory_restart %llu MB", mb, limit_mb);
        s->memory_restart = true;
        s->stop_requested = true; /* not a crash: no back-off */
        stop_child(s, "max_memory_restart");
}

static void on_memory_timer(shim *s) {
        uint64_t bytes;
        int r;

        if ((s->state != STATE_STARTING && s->state != STATE_RUNNING) || s->child.pid <= 0)
                return;
        r = s->memory_path ? memory_read_cgroup(s->memory_path, &bytes) : memory_read_rss(s->child.pid, &bytes);
        if (r < 0) {
                if (!s->memory_warned)
                        log_line("warning: cannot read the memory use from %s: %s",
                                 s->memory_path ? s->memory_path : "/proc/PID/statm", strerror(-r));
                s->memory_warned = true;
                return;
        }
        if (bytes > s->opt.max_memory)
                memory_restart(s, bytes);
}

/* The child's end of the IPC channel spoke (or closed): look for "ready", drop everything else. */
static void on_ipc(shim *s) {
        child_proc *c = &s->child;
        char buf[512];
        ssize_t n;

        n = read(c->ipc_fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                /* EOF (or a reset): nothing more will come, but the child may live on. Keep the fd: closing
                 * it changes nothing for the child, and the stop message still tries it. */
                c->ipc_eof = true;
                if (s->state == STATE_STARTING)
                        log_line("child %ld closed its IPC channel before sending 'ready'", (long) c->pid);
                return;
        }
        if (ipc_lines_feed(&c->ipc, buf, (size_t) n, IPC_READY) && s->state == STATE_STARTING) {
                timer_disarm(s);
                child_ready(s);
        }
}

static void on_signal(shim *s, const struct signalfd_siginfo *si) {
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
        default: /* SIGHUP, SIGUSR1, SIGUSR2: the app's business */
                if (s->child.pid > 0 && kill(s->child.pid, sig) < 0 && errno != ESRCH)
                        log_line("cannot forward signal %d to child %ld: %m", sig, (long) s->child.pid);
                break;
        }
}

static void on_timer(shim *s) {
        child_proc *c = &s->child;
        char name[32];

        if (s->state == STATE_BACKOFF) {
                start_child(s);
        } else if (s->state == STATE_STARTING && s->opt.wait_ready) {
                readiness_timed_out(s);
        } else if (s->state == STATE_STOPPING && c->pid > 0) {
                log_line("child %ld still running %lu ms after %s, sending SIGKILL", (long) c->pid,
                         s->opt.kill_timeout_ms,
                         c->stopped_by_message ? "the message 'shutdown'"
                                               : signal_name(s->opt.stop_signal, name, sizeof(name)));
                if (kill(c->pid, SIGKILL) < 0 && errno != ESRCH)
                        log_line("cannot kill child %ld: %m", (long) c->pid);
        }
}

/* Reads a timerfd; true when it expired. */
static bool timer_fired(int fd) {
        uint64_t expirations;

        return read(fd, &expirations, sizeof(expirations)) == (ssize_t) sizeof(expirations);
}

static int shim_run(shim *s) {
        enum { P_SIGNAL, P_TIMER, P_MEMORY, P_IPC, P_N };
        struct signalfd_siginfo si[8];
        struct pollfd pfd[P_N];
        uint64_t delay;
        ssize_t n;
        size_t i;

        delay = backoff_delay(s);
        if (delay > 0) {
                log_line("last run was short, backing off for %llu ms", (unsigned long long) delay);
                notify("STATUS=backing off for %llu ms\nEXTEND_TIMEOUT_USEC=%llu", (unsigned long long) delay,
                       (unsigned long long) (delay + EXTEND_SLACK_MS) * 1000);
                s->state = STATE_BACKOFF;
                timer_arm(s, delay);
        } else
                start_child(s);

        while (!s->done) {
                /* A negative fd is skipped by poll(): no sampling timer, no channel, or one at EOF. */
                pfd[P_SIGNAL] = (struct pollfd) { .fd = s->sfd, .events = POLLIN };
                pfd[P_TIMER] = (struct pollfd) { .fd = s->tfd, .events = POLLIN };
                pfd[P_MEMORY] = (struct pollfd) { .fd = s->mfd, .events = POLLIN };
                pfd[P_IPC] = (struct pollfd) { .fd = s->child.ipc_eof ? -1 : s->child.ipc_fd, .events = POLLIN };
                if (poll(pfd, P_N, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_line("poll: %m");
                        return 1;
                }
                /* Signals first: a child that exited or a stop that came in wins over the rest. Then
                 * 'ready' before the timers, so it beats a listen_timeout that expired meanwhile. */
                while (!s->done && (pfd[P_SIGNAL].revents & POLLIN)) {
                        n = read(s->sfd, si, sizeof(si));
                        if (n <= 0)
                                break;
                        for (i = 0; i < (size_t) n / sizeof(si[0]) && !s->done; i++)
                                on_signal(s, &si[i]);
                }
                if (!s->done && s->child.ipc_fd >= 0 && (pfd[P_IPC].revents & (POLLIN | POLLHUP | POLLERR)))
                        on_ipc(s);
                if (!s->done && (pfd[P_TIMER].revents & POLLIN) && timer_fired(s->tfd))
                        on_timer(s);
                if (!s->done && (pfd[P_MEMORY].revents & POLLIN) && timer_fired(s->mfd))
                        on_memory_timer(s);
        }
        return s->exit_code;
}

int main(int argc, char **argv) {
        shim s = { .sfd = -1, .tfd = -1, .mfd = -1, .child = { .ipc_fd = -1 } };
        int code;

        code = options_parse(&s.opt, argc, argv);
        if (code >= 0)
                return code;
        code = shim_setup(&s);
        if (code == 0)
                code = shim_run(&s);
        shim_cleanup(&s);
        return code;
}
