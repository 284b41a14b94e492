/* SPDX-License-Identifier: MIT */
/* The app the shim tests run under pmgen-shim. Every mode gives up after 30 s (alarm), so a broken test
 * never leaves it behind.
 *
 *   child check-listen NAMES       LISTEN_FDS=1, LISTEN_PID=getpid(), LISTEN_FDNAMES=NAMES, fd 3 a listening
 *                                  socket without FD_CLOEXEC; plus everything check-plain checks; then
 *                                  accept two connections on fd 3 (blocking) and exit
 *   child sigpipe                  print "ignored" or "default": SIGPIPE's disposition
 *   child check-plain              no LISTEN_*, no WATCHDOG_*, NOTIFY_SOCKET only the child's own (not the
 *                                  shim's), no fd of the shim's own (signalfd, timerfd, control socket),
 *                                  handled signals neither blocked nor ignored, a process group of its own
 *   child wait-signal SIG CODE PIDFILE   exit CODE on SIG (prints "got SIG")
 *   child ignore SIG PIDFILE       ignore SIG and wait
 *   child record PIDFILE           print "got HUP|USR1|USR2" for each; exit 0 on SIGINT
 *   child orphan PIDFILE GRANDFILE leave an orphan that writes "PID PPID" to GRANDFILE after 200 ms and
 *                                  exits 200 ms later; exit 5 after 2 s
 *   child alloc MB PIDFILE         allocate and touch MB MiB, then wait; exit 0 on SIGINT
 *   child check-ipc FD PIDFILE     NODE_CHANNEL_FD=FD, NODE_CHANNEL_SERIALIZATION_MODE=json, FD a blocking
 *                                  AF_UNIX stream socket without FD_CLOEXEC, plus check-plain; then, if all
 *                                  passed, write the line "ready" (JSON) to it; exit 0 on SIGINT
 *   child serve LOG                serve fd 3 with blocking accept()s; append "PID V=$V W=$W" to LOG at start
 *                                  and "PID INT MS" when SIGINT comes (CLOCK_REALTIME ms), then exit 0.
 *                                  CHILD_MODE in the environment changes it: "crash" exits 3 at once,
 *                                  "hold" never accepts, "slow:MS" waits MS before serving, "unhealthy"
 *                                  answers 503 (a health check that fails on a process that serves),
 *                                  "wedge:MS" stops accepting MS ms after the start (and lives on)
 *   child notify-late MS LOG       like serve at once, and a helper process it forks says READY=1 on
 *                                  NOTIFY_SOCKET after MS ms ("PID READY MS" in LOG first)
 *   child wedge-after MS PIDFILE   accept on fd 3 for MS ms, then never again; exit 0 on SIGINT
 *   child slow-accept MS PIDFILE   accept (and close) one connection on fd 3 every MS ms; exit 0 on SIGINT
 *   child notify-ready MS LOG      like serve, but say READY=1 on NOTIFY_SOCKET MS ms after start (first
 *                                  appending "PID READY MS" to LOG); never serves before that
 *   child grandkids LOG            like serve, and leave two sleeping grandchildren: one in its process
 *                                  group, one in a session of its own ("PID kids G1 G2" in LOG)
 *   child shut-on-int LOG          like serve, but shutdown() fd 3 on SIGINT before exiting
 *   child hold PIDFILE             keep fd 3 and never accept; exit 0 on SIGINT
 *   child alloc-once MB PIDFILE MARK   as alloc when MARK does not exist (creating it), else allocate nothing
 *   child crash                    exit 3 at once
 * Exit 1 with a message on stderr when a check fails. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

static int failures;

#define CHECK(cond, ...)                                        \
        do {                                                    \
                if (!(cond)) {                                  \
                        fprintf(stderr, "child: " __VA_ARGS__); \
                        fputc('\n', stderr);                    \
                        failures++;                             \
                }                                               \
        } while (0)

static volatile sig_atomic_t got;

static void on_signal(int sig) {
        got = sig;
}

static int sig_by_name(const char *s) {
        static const struct { const char *name; int sig; } t[] = {
                { "INT", SIGINT }, { "TERM", SIGTERM }, { "QUIT", SIGQUIT }, { "HUP", SIGHUP },
                { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
        };
        size_t i;

        for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (strcmp(t[i].name, s) == 0)
                        return t[i].sig;
        fprintf(stderr, "child: unknown signal %s\n", s);
        exit(1);
}

static void write_pidfile(const char *path) {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%ld\n", (long) getpid()) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
                perror("child: pidfile");
                exit(1);
        }
}

static void sleep_ms(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void check_status_mask(const char *field) {
        char line[256];
        unsigned long long mask = 0;
        FILE *f = fopen("/proc/self/status", "r");
        int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };
        size_t i;

        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0)
                        mask = strtoull(line + strlen(field), NULL, 16);
        fclose(f);
        for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                CHECK(!(mask & (1ULL << (sigs[i] - 1))), "signal %d is in %s", sigs[i], field);
}

static void check_plain(void) {
        const char *banned[] = { "WATCHDOG_PID", "WATCHDOG_USEC" }, *ns = getenv("NOTIFY_SOCKET");
        char path[300], target[256];
        struct dirent *de;
        ssize_t n;
        size_t i;
        DIR *d;

        for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
                CHECK(!getenv(banned[i]), "%s is set", banned[i]);
        CHECK(ns && (strncmp(ns, "@pmgen-shim/", 12) == 0 || strstr(ns, "/notify.")),
              "NOTIFY_SOCKET=%s is not the child's own", ns ? ns : "(unset)");
        CHECK(getpgrp() == getpid(), "process group %ld, not its own", (long) getpgrp());
        check_status_mask("SigBlk:");
        check_status_mask("SigIgn:");
        d = opendir("/proc/self/fd");
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                CHECK(!strstr(target, "signalfd") && !strstr(target, "timerfd") &&
                              (atoi(de->d_name) <= 3 || !strstr(target, "socket:")) ,
                      "inherited fd %s -> %s", de->d_name, target);
        }
        closedir(d);
}

static void check_ipc(int fd) {
        const char *v = getenv("NODE_CHANNEL_FD"), *mode = getenv("NODE_CHANNEL_SERIALIZATION_MODE");
        int type = 0, flags;
        struct sockaddr_storage sa;
        socklen_t len = sizeof(type);

        CHECK(v && atoi(v) == fd, "NODE_CHANNEL_FD=%s, want %d", v ? v : "(unset)", fd);
        CHECK(mode && strcmp(mode, "json") == 0, "NODE_CHANNEL_SERIALIZATION_MODE=%s", mode ? mode : "(unset)");
        CHECK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM,
              "fd %d is not a stream socket", fd);
        len = sizeof(sa);
        CHECK(getsockname(fd, (struct sockaddr *) &sa, &len) == 0 && sa.ss_family == AF_UNIX, "fd %d is not AF_UNIX", fd);
        flags = fcntl(fd, F_GETFD);
        CHECK(flags >= 0 && !(flags & FD_CLOEXEC), "fd %d has FD_CLOEXEC", fd);
        flags = fcntl(fd, F_GETFL);
        CHECK(flags >= 0 && !(flags & O_NONBLOCK), "fd %d is O_NONBLOCK", fd);
}

static void check_listen(const char *names) {
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID"), *fdnames = getenv("LISTEN_FDNAMES");
        int accepting = 0, type = 0, flags;
        socklen_t len = sizeof(accepting);

        CHECK(fds && strcmp(fds, "1") == 0, "LISTEN_FDS=%s, want 1", fds ? fds : "(unset)");
        CHECK(pid && atol(pid) == (long) getpid(), "LISTEN_PID=%s, want %ld", pid ? pid : "(unset)", (long) getpid());
        CHECK(fdnames && strcmp(fdnames, names) == 0, "LISTEN_FDNAMES=%s, want %s", fdnames ? fdnames : "(unset)", names);
        CHECK(getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting,
              "fd 3 is not a listening socket");
        len = sizeof(type);
        CHECK(getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM, "fd 3 is not SOCK_STREAM");
        flags = fcntl(3, F_GETFD);
        CHECK(flags >= 0 && !(flags & FD_CLOEXEC), "fd 3 has FD_CLOEXEC");
        CHECK(fcntl(4, F_GETFD) < 0 || getsockopt(4, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0,
              "fd 4 is a socket too");
}

static long long realtime_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_to(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_to(const char *path, const char *fmt, ...) {
        char line[512];
        va_list ap;
        int n, fd;

        va_start(ap, fmt);
        n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || n < 0 || write(fd, line, (size_t) n) != n)
                perror("child: log");
        if (fd >= 0)
                close(fd);
}

/* Accepts on fd 3 until SIGINT (blocking accept, interrupted by the signal). With CHILD_MODE=wedge:MS,
 * stops accepting (but lives on) MS ms after the start. */
static void serve_until_int(const char *log, int shut) {
        struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: accept() returns EINTR */
        const char *mode = getenv("CHILD_MODE");
        long long wedge_at = mode && strncmp(mode, "wedge:", 6) == 0 ? realtime_ms() + atol(mode + 6) : 0;
        sigset_t none;
        int c;

        sigemptyset(&none);
        sigaction(SIGINT, &sa, NULL);
        while (!got) {
                if (wedge_at) {
                        struct pollfd pfd = { .fd = 3, .events = POLLIN };

                        if (realtime_ms() >= wedge_at) {
                                while (!got)
                                        sigsuspend(&none);
                                break;
                        }
                        if (poll(&pfd, 1, 50) <= 0)
                                continue;
                }
                c = accept(3, NULL, NULL);
                if (c >= 0) {
                        static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
                        static const char sick[] = "HTTP/1.0 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nsick\n";
                        const char *m = getenv("CHILD_MODE");
                        bool unhealthy = m && strcmp(m, "unhealthy") == 0;
                        char buf[1024];

                        (void) !read(c, buf, sizeof(buf));
                        /* (a client may have reset the connection: no SIGPIPE) */
                        if (unhealthy)
                                (void) !send(c, sick, sizeof(sick) - 1, MSG_NOSIGNAL);
                        else
                                (void) !send(c, resp, sizeof(resp) - 1, MSG_NOSIGNAL);
                        close(c);
                }
        }
        log_to(log, "%ld INT %lld\n", (long) getpid(), realtime_ms());
        if (shut)
                shutdown(3, SHUT_RDWR);
        exit(0);
}

static int send_ready(void) {
        const char *ns = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        int fd, r;

        if (!ns || strlen(ns) >= sizeof(sa.sun_path))
                return -1;
        strcpy(sa.sun_path, ns);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(ns) + (ns[0] == '@' ? 0 : 1));
        if (ns[0] == '@')
                sa.sun_path[0] = '\0';
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        r = fd < 0 ? -1 : (int) sendto(fd, "STATUS=warm\nREADY=1", 19, 0, (struct sockaddr *) &sa, len);
        if (fd >= 0)
                close(fd);
        return r < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = on_signal };
        const char *mode = argc > 1 ? argv[1] : "";
        sigset_t none;
        pid_t i_pid, g_pid;
        FILE *f;

        alarm(30);
        sigemptyset(&none);
        if (strcmp(mode, "check-listen") == 0 && argc == 3) {
                check_listen(argv[2]);
                check_plain();
                if (!failures) {
                        close(accept(3, NULL, NULL));
                        close(accept(3, NULL, NULL));
                }
        } else if (strcmp(mode, "serve") == 0 && argc == 3) {
                const char *v = getenv("V"), *w = getenv("W"), *m = getenv("CHILD_MODE");

                log_to(argv[2], "%ld V=%s W=%s\n", (long) getpid(), v ? v : "(unset)", w ? w : "(unset)");
                if (m && strcmp(m, "crash") == 0)
                        return 3;
                if (m && strcmp(m, "hold") == 0) {
                        sigaction(SIGINT, &sa, NULL);
                        while (!got)
                                sigsuspend(&none);
                        return 0;
                }
                if (m && strncmp(m, "slow:", 5) == 0)
                        sleep_ms(atol(m + 5));
                serve_until_int(argv[2], 0);
        } else if (strcmp(mode, "notify-late") == 0 && argc == 4) {
                log_to(argv[3], "%ld start\n", (long) getpid());
                if (fork() == 0) {
                        sleep_ms(atol(argv[2]));
                        log_to(argv[3], "%ld READY %lld\n", (long) getppid(), realtime_ms());
                        _exit(send_ready() < 0 ? 1 : 0);
                }
                serve_until_int(argv[3], 0);
        } else if (strcmp(mode, "wedge-after") == 0 && argc == 4) {
                long long until = realtime_ms() + atol(argv[2]);
                struct pollfd pfd = { .fd = 3, .events = POLLIN };

                sigaction(SIGINT, &sa, NULL);
                write_pidfile(argv[3]);
                while (!got && realtime_ms() < until)
                        if (poll(&pfd, 1, 50) > 0)
                                close(accept(3, NULL, NULL));
                while (!got)
                        sigsuspend(&none);
                return 0;
        } else if (strcmp(mode, "slow-accept") == 0 && argc == 4) {
                struct pollfd pfd = { .fd = 3, .events = POLLIN };

                sigaction(SIGINT, &sa, NULL);
                write_pidfile(argv[3]);
                while (!got) {
                        if (poll(&pfd, 1, 50) > 0) {
                                close(accept(3, NULL, NULL));
                                sleep_ms(atol(argv[2]));
                        }
                }
                return 0;
        } else if (strcmp(mode, "shut-on-int") == 0 && argc == 3) {
                log_to(argv[2], "%ld start\n", (long) getpid());
                serve_until_int(argv[2], 1);
        } else if (strcmp(mode, "notify-ready") == 0 && argc == 4) {
                log_to(argv[3], "%ld start\n", (long) getpid());
                sleep_ms(atol(argv[2]));
                log_to(argv[3], "%ld READY %lld\n", (long) getpid(), realtime_ms());
                if (send_ready() < 0) {
                        perror("child: sd_notify");
                        return 1;
                }
                serve_until_int(argv[3], 0);
        } else if (strcmp(mode, "grandkids") == 0 && argc == 3) {
                pid_t g1 = fork(), g2;

                if (g1 == 0) {
                        alarm(60);
                        for (;;)
                                pause();
                }
                g2 = fork();
                if (g2 == 0) {
                        setsid();
                        alarm(60);
                        for (;;)
                                pause();
                }
                log_to(argv[2], "%ld kids %ld %ld\n", (long) getpid(), (long) g1, (long) g2);
                serve_until_int(argv[2], 0);
        } else if (strcmp(mode, "hold") == 0 && argc == 3) {
                sigaction(SIGINT, &sa, NULL);
                write_pidfile(argv[2]);
                while (!got)
                        sigsuspend(&none);
                return 0;
        } else if (strcmp(mode, "crash") == 0) {
                return 3;
        } else if (strcmp(mode, "alloc-once") == 0 && argc == 5) {
                size_t size = access(argv[4], F_OK) == 0 ? 0 : (size_t) atol(argv[2]) << 20;
                char *p = NULL;

                sigaction(SIGINT, &sa, NULL);
                if (size) {
                        log_to(argv[4], "%ld\n", (long) getpid());
                        p = malloc(size);
                        if (!p)
                                return 1;
                        memset(p, 1, size);
                }
                write_pidfile(argv[3]);
                while (!got)
                        sigsuspend(&none);
                printf("got INT with %d\n", size ? p[size - 1] : 0);
                free(p);
                return 0;
        } else if (strcmp(mode, "sigpipe") == 0) {
                struct sigaction old;

                sigaction(SIGPIPE, NULL, &old);
                puts(old.sa_handler == SIG_IGN ? "ignored" : "default");
        } else if (strcmp(mode, "check-plain") == 0) {
                CHECK(!getenv("LISTEN_FDS") && !getenv("LISTEN_PID") && !getenv("LISTEN_FDNAMES"),
                      "LISTEN_* set without sockets");
                check_plain();
        } else if (strcmp(mode, "wait-signal") == 0 && argc == 5) {
                sigaction(sig_by_name(argv[2]), &sa, NULL);
                write_pidfile(argv[4]);
                while (!got)
                        sigsuspend(&none);
                printf("got %s\n", argv[2]);
                return atoi(argv[3]);
        } else if (strcmp(mode, "ignore") == 0 && argc == 4) {
                signal(sig_by_name(argv[2]), SIG_IGN);
                write_pidfile(argv[3]);
                for (;;)
                        pause();
        } else if (strcmp(mode, "record") == 0 && argc == 3) {
                sigaction(SIGHUP, &sa, NULL);
                sigaction(SIGUSR1, &sa, NULL);
                sigaction(SIGUSR2, &sa, NULL);
                sigaction(SIGINT, &sa, NULL);
                setvbuf(stdout, NULL, _IONBF, 0);
                write_pidfile(argv[2]);
                for (;;) {
                        sigsuspend(&none);
                        if (got == SIGINT)
                                return 0;
                        printf("got %s\n", got == SIGHUP ? "HUP" : got == SIGUSR1 ? "USR1" : "USR2");
                        got = 0;
                }
        } else if (strcmp(mode, "orphan") == 0 && argc == 4) {
                i_pid = fork();
                if (i_pid == 0) {
                        g_pid = fork();
                        if (g_pid == 0) {
                                sleep_ms(200);
                                f = fopen(argv[3], "w");
                                if (f) {
                                        fprintf(f, "%ld %ld\n", (long) getpid(), (long) getppid());
                                        fclose(f);
                                }
                                sleep_ms(200);
                                _exit(0);
                        }
                        _exit(0);
                }
                waitpid(i_pid, NULL, 0);
                write_pidfile(argv[2]);
                sleep_ms(2000);
                return 5;
        } else if (strcmp(mode, "check-ipc") == 0 && argc == 4) {
                int fd = atoi(argv[2]);

                check_ipc(fd);
                check_plain();
                if (failures)
                        return 1;
                sigaction(SIGINT, &sa, NULL);
                write_pidfile(argv[3]);
                if (write(fd, "\"ready\"\n", 8) != 8) {
                        perror("child: write");
                        return 1;
                }
                while (!got)
                        sigsuspend(&none);
                return 0;
        } else if (strcmp(mode, "alloc") == 0 && argc == 4) {
                size_t size = (size_t) atol(argv[2]) << 20;
                char *p;

                sigaction(SIGINT, &sa, NULL); /* the stop may come while it still allocates */
                p = malloc(size);
                if (!p) {
                        perror("child: malloc");
                        return 1;
                }
                memset(p, 1, size);
                write_pidfile(argv[3]);
                while (!got)
                        sigsuspend(&none);
                printf("got INT with %d\n", p[size - 1]);
                free(p);
                return 0;
        } else {
                fprintf(stderr, "child: bad arguments\n");
                return 1;
        }
        return failures ? 1 : 0;
}
