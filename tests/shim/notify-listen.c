/* SPDX-License-Identifier: MIT */
/* notify-listen LOG PIDFILE -- COMMAND [ARG...]
 *
 * Plays systemd's part of sd_notify for the shim tests: binds a datagram socket at LOG.sock, runs COMMAND
 * with NOTIFY_SOCKET pointing at it (its PID goes to PIDFILE), appends every datagram it receives to LOG
 * followed by a line "-- at MS" (when it arrived: CLOCK_REALTIME in ms, as `date +%s%3N` prints it), and
 * when COMMAND has exited (and the socket is drained) exits with COMMAND's
 * status (code, or 128+signal). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void drain(int fd, FILE *log) {
        char buf[4096];
        struct timespec ts;
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
                clock_gettime(CLOCK_REALTIME, &ts);
                fwrite(buf, 1, (size_t) n, log);
                fprintf(log, "\n-- at %lld\n", (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
                fflush(log);
        }
}

int main(int argc, char **argv) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct pollfd pfd;
        int fd, status, rc;
        FILE *log, *pidf;
        pid_t pid;

        if (argc < 5 || strcmp(argv[3], "--") != 0) {
                fprintf(stderr, "usage: notify-listen LOG PIDFILE -- COMMAND [ARG...]\n");
                return 2;
        }
        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.sock", argv[1]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "notify-listen: socket path too long\n");
                return 2;
        }
        unlink(sa.sun_path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("notify-listen: socket");
                return 2;
        }
        log = fopen(argv[1], "ae");
        if (!log) {
                perror("notify-listen: log");
                return 2;
        }
        setenv("NOTIFY_SOCKET", sa.sun_path, 1);
        pid = fork();
        if (pid < 0) {
                perror("notify-listen: fork");
                return 2;
        }
        if (pid == 0) {
                execvp(argv[4], argv + 4);
                perror("notify-listen: exec");
                _exit(127);
        }
        pidf = fopen(argv[2], "we");
        if (pidf) {
                fprintf(pidf, "%ld\n", (long) pid);
                fclose(pidf);
        }
        pfd = (struct pollfd) { .fd = fd, .events = POLLIN };
        for (;;) {
                if (poll(&pfd, 1, 50) > 0)
                        drain(fd, log);
                rc = waitpid(pid, &status, WNOHANG);
                if (rc == pid)
                        break;
                if (rc < 0 && errno != EINTR) {
                        perror("notify-listen: waitpid");
                        return 2;
                }
        }
        drain(fd, log);
        fclose(log);
        unlink(sa.sun_path);
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
