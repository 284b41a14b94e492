/* SPDX-License-Identifier: MIT */
/* pmgen-shim: the main process of one app instance (NAME@N.service). It runs the app as its only
 * child and stands between it and systemd:
 *   - keeps the unit's sockets for its whole life and passes the child its own copies (LISTEN_*);
 *   - sets PORT, the instance variable, the increment variable and the Node preload for the child;
 *   - tells systemd READY=1 once the child runs, and holds back a crash-looping start (--exp-backoff);
 *   - turns systemd's SIGTERM into the app's stop signal with a kill timeout, forwards SIGHUP/SIGUSR1/
 *     SIGUSR2, reaps every process reparented to it, and exits like a shell: the child's code or
 *     128+signal; 127/126 when the command cannot be executed; 2 on usage errors.
 * One process, one poll() loop over a signalfd and a timerfd; no threads, no handlers, no allocation
 * after start-up. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "shim/spawn.h"

#define EXIT_USAGE 2
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
/* How much longer than the back-off delay systemd's start timeout is pushed out. */
#define BACKOFF_EXTEND_SLACK_MS 5000u

extern char **environ;

/* The signals the loop reads from its signalfd; the child gets them back at SIG_DFL. */
static const int handled_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };

typedef struct options {
        const char *app;
        bool has_instance;
        unsigned long instance;
        const char *instance_var;
        const char *increment_var;
        bool has_port;
        unsigned port;
        unsigned backlog;
        int stop_signal;
        unsigned long kill_timeout_ms;
        const char *node_preload;
        unsigned long backoff_base_ms;  /* 0: --exp-backoff not given */
        char **command;
} options;

typedef enum shim_state {
        STATE_BACKOFF,   /* waiting out the back-off delay, no child yet */
        STATE_STARTING,  /* child exec'd, readiness not yet known */
        STATE_RUNNING,   /* READY=1 sent */
        STATE_STOPPING,  /* stop signal sent, kill timer armed */
} shim_state;

typedef struct shim {
        options opt;
        shim_state state;
        int sfd;
        int tfd;
        unsigned n_fds;
        char **fd_names;
        sigset_t orig_mask;
        sigset_t handled;
        struct sigaction orig_sigpipe;
        child_env env;
        exec_plan plan;
        pid_t child;
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

/* ---- command line ---- */

static void usage(FILE *f) {
        fputs("Usage: pmgen-shim [OPTION...] -- COMMAND [ARG...]\n"
              "Run COMMAND as the single child of one pmgen app instance (the unit's main process).\n"
              "\n"
              "  --app=NAME             app name (shown in ps)\n"
              "  --instance=N           instance number, exported as the instance variable\n"
              "  --instance-var=NAME    name of that variable (default NODE_APP_INSTANCE)\n"
              "  --increment-var=NAME   add the instance number to the inherited value of NAME\n"
              "  --port=N               export PORT=N (and PMGEN_PORT=N with --node-preload)\n"
              "  --backlog=N            listen backlog the Node preload uses (default 511)\n"
              "  --stop-signal=SIG      signal that asks the app to stop (default SIGINT)\n"
              "  --kill-timeout=MS      SIGKILL the app this long after the stop signal (default 1600)\n"
              "  --node-preload=PATH    add --require PATH to NODE_OPTIONS\n"
              "  --exp-backoff=MS       delay quick restarts: MS, then x1.5 up to 15000, reset after 30 s up\n"
              "  -h, --help             show this help\n"
              "      --version          show the version\n"
              "\n"
              "Exit status: the app's, 128+N when it was killed by signal N, 126/127 when COMMAND cannot be\n"
              "executed, 2 on usage errors.\n",
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

enum {
        OPT_APP = 0x100, OPT_INSTANCE, OPT_INSTANCE_VAR, OPT_INCREMENT_VAR, OPT_PORT, OPT_BACKLOG,
        OPT_STOP_SIGNAL, OPT_KILL_TIMEOUT, OPT_NODE_PRELOAD, OPT_EXP_BACKOFF, OPT_VERSION,
};

/* Returns -1 to go on, or the exit code (0 after --help/--version, EXIT_USAGE after an error). */
static int parse_options(options *o, int argc, char **argv) {
        static const struct option longopts[] = {
                { "app",           required_argument, NULL, OPT_APP },
                { "instance",      required_argument, NULL, OPT_INSTANCE },
                { "instance-var",  required_argument, NULL, OPT_INSTANCE_VAR },
                { "increment-var", required_argument, NULL, OPT_INCREMENT_VAR },
                { "port",          required_argument, NULL, OPT_PORT },
                { "backlog",       required_argument, NULL, OPT_BACKLOG },
                { "stop-signal",   required_argument, NULL, OPT_STOP_SIGNAL },
                { "kill-timeout",  required_argument, NULL, OPT_KILL_TIMEOUT },
                { "node-preload",  required_argument, NULL, OPT_NODE_PRELOAD },
                { "exp-backoff",   required_argument, NULL, OPT_EXP_BACKOFF },
                { "help",          no_argument,       NULL, 'h' },
                { "version",       no_argument,       NULL, OPT_VERSION },
                {}
        };
        unsigned long v;
        int c, r, idx;

        *o = (options) {
                .instance_var = "NODE_APP_INSTANCE",
                .backlog = 511,
                .stop_signal = SIGINT,
                .kill_timeout_ms = 1600,
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
                        break;
                case OPT_STOP_SIGNAL:
                        r = o->stop_signal = parse_signal(optarg);
                        break;
                case OPT_KILL_TIMEOUT:
                        r = parse_ulong(optarg, 0, 24UL * 3600 * 1000, &o->kill_timeout_ms);
                        break;
                case OPT_NODE_PRELOAD:
                        if (*optarg == '\0') {
                                fputs("pmgen-shim: --node-preload: empty path\n", stderr);
                                return EXIT_USAGE;
                        }
                        o->node_preload = optarg;
                        break;
                case OPT_EXP_BACKOFF:
                        r = parse_ulong(optarg, 1, BACKOFF_MAX_MS, &o->backoff_base_ms);
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
                        if (optopt && optopt < 0x100)
                                fprintf(stderr, "pmgen-shim: unknown option '-%c'\n", optopt);
                        else
                                fprintf(stderr, "pmgen-shim: unknown option '%s'\n", argv[optind - 1]);
                        return EXIT_USAGE;
                }
                if (r < 0) {
                        fprintf(stderr, "pmgen-shim: --%s: invalid value '%s'%s\n", longopts[idx].name, optarg,
                                r == -ERANGE ? " (out of range)" : "");
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fputs("pmgen-shim: missing COMMAND (pmgen-shim [OPTION...] -- COMMAND [ARG...])\n", stderr);
                return EXIT_USAGE;
        }
        if (o->increment_var && !o->has_instance) {
                fputs("pmgen-shim: --increment-var needs --instance\n", stderr);
                return EXIT_USAGE;
        }
        o->command = argv + optind;
        return -1;
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
        return 0;
}

static void shim_cleanup(shim *s) {
        unsigned i;

        if (s->sfd >= 0)
                close(s->sfd);
        if (s->tfd >= 0)
                close(s->tfd);
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
}

/* ---- the child ---- */

static void timer_arm(shim *s, uint64_t ms) {
        struct itimerspec its = {
                .it_value = { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000 },
        };

        if (ms == 0)
                its.it_value.tv_nsec = 1; /* zero would disarm */
        if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
                log_line("cannot arm the timer: %m");
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

/* Readiness: v1 takes a successful exec as ready. A real check (relayed sd_notify, accept queue
 * draining) hooks in here: it sets STATE_STARTING, and the loop calls child_ready() when it passes. */
static void child_ready(shim *s) {
        s->state = STATE_RUNNING;
        notify("READY=1\nSTATUS=running pid %ld", (long) s->child);
}

static void readiness_begin(shim *s) {
        s->state = STATE_STARTING;
        child_ready(s);
}

static void start_child(shim *s) {
        spawn_req req = {
                .plan = &s->plan,
                .env = &s->env,
                .n_fds = s->n_fds,
                .mask = &s->orig_mask,
                .reset_signals = handled_signals,
                .n_reset = sizeof(handled_signals) / sizeof(handled_signals[0]),
                .sigpipe_action = &s->orig_sigpipe,
        };
        int r, err;

        s->child_start_ms = now_ms(CLOCK_BOOTTIME);
        r = spawn_child(&req, &s->child, &err);
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
        readiness_begin(s);
}

static void child_exited(shim *s, int status) {
        char name[32];

        if (WIFSIGNALED(status)) {
                log_line("child %ld killed by signal %s%s", (long) s->child,
                         signal_name(WTERMSIG(status), name, sizeof(name)), WCOREDUMP(status) ? " (core dumped)" : "");
                s->exit_code = 128 + WTERMSIG(status);
        } else {
                log_line("child %ld exited with status %d", (long) s->child, WEXITSTATUS(status));
                s->exit_code = WEXITSTATUS(status);
        }
        backoff_child_ended(s);
        s->child = 0;
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
                if (pid == s->child && (WIFEXITED(status) || WIFSIGNALED(status)))
                        child_exited(s, status);
        }
}

static void stop(shim *s, int sig) {
        char name[32], name2[32];

        s->stop_requested = true;
        if (s->state == STATE_BACKOFF) {
                log_line("%s during back-off, not starting the app", signal_name(sig, name, sizeof(name)));
                s->child_start_ms = s->backoff.start_ms;
                backoff_save(s, 0);
                s->done = true;
                s->exit_code = 0;
                return;
        }
        if (s->state == STATE_STOPPING || s->child <= 0)
                return;
        log_line("%s: stopping child %ld with %s", signal_name(sig, name, sizeof(name)), (long) s->child,
                 signal_name(s->opt.stop_signal, name2, sizeof(name2)));
        s->state = STATE_STOPPING;
        notify("STATUS=stopping");
        if (kill(s->child, s->opt.stop_signal) < 0 && errno != ESRCH)
                log_line("cannot signal child %ld: %m", (long) s->child);
        timer_arm(s, s->opt.kill_timeout_ms);
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
                if (s->child > 0 && kill(s->child, sig) < 0 && errno != ESRCH)
                        log_line("cannot forward signal %d to child %ld: %m", sig, (long) s->child);
                break;
        }
}

static void on_timer(shim *s) {
        char name[32];

        if (s->state == STATE_BACKOFF) {
                start_child(s);
        } else if (s->state == STATE_STOPPING && s->child > 0) {
                log_line("child %ld still running %lu ms after %s, sending SIGKILL", (long) s->child,
                         s->opt.kill_timeout_ms, signal_name(s->opt.stop_signal, name, sizeof(name)));
                if (kill(s->child, SIGKILL) < 0 && errno != ESRCH)
                        log_line("cannot kill child %ld: %m", (long) s->child);
        }
}

static int shim_run(shim *s) {
        struct signalfd_siginfo si[8];
        struct pollfd pfd[2];
        uint64_t delay, expirations;
        ssize_t n;
        size_t i;

        delay = backoff_delay(s);
        if (delay > 0) {
                log_line("last run was short, backing off for %llu ms", (unsigned long long) delay);
                notify("STATUS=backing off for %llu ms\nEXTEND_TIMEOUT_USEC=%llu", (unsigned long long) delay,
                       (unsigned long long) (delay + BACKOFF_EXTEND_SLACK_MS) * 1000);
                s->state = STATE_BACKOFF;
                timer_arm(s, delay);
        } else
                start_child(s);

        pfd[0] = (struct pollfd) { .fd = s->sfd, .events = POLLIN };
        pfd[1] = (struct pollfd) { .fd = s->tfd, .events = POLLIN };
        while (!s->done) {
                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_line("poll: %m");
                        return 1;
                }
                /* Signals first: a child that exited or a stop that came in wins over the timer. */
                while (!s->done && (pfd[0].revents & POLLIN)) {
                        n = read(s->sfd, si, sizeof(si));
                        if (n <= 0)
                                break;
                        for (i = 0; i < (size_t) n / sizeof(si[0]) && !s->done; i++)
                                on_signal(s, &si[i]);
                }
                if (!s->done && (pfd[1].revents & POLLIN) &&
                    read(s->tfd, &expirations, sizeof(expirations)) == (ssize_t) sizeof(expirations))
                        on_timer(s);
        }
        return s->exit_code;
}

int main(int argc, char **argv) {
        shim s = { .sfd = -1, .tfd = -1 };
        int code;

        code = parse_options(&s.opt, argc, argv);
        if (code >= 0)
                return code;
        code = shim_setup(&s);
        if (code == 0)
                code = shim_run(&s);
        shim_cleanup(&s);
        return code;
}
