/* SPDX-License-Identifier: MIT */
/* Tests for src/shim/proctree.c, src/shim/serving.c and src/shim/sockets.c: their parsers as tables, and
 * the /proc and socket readers against live processes this test forks (each ended by its PID). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim/proctree.h"
#include "shim/serving.h"
#include "shim/sockets.h"

static int failures;

#define CHECK(cond, ...)                                                                                          \
        do {                                                                                                      \
                if (!(cond)) {                                                                                    \
                        printf(__VA_ARGS__);                                                                      \
                        putchar('\n');                                                                            \
                        failures++;                                                                               \
                }                                                                                                 \
        } while (0)

static void pids_one(const char *text, size_t max, size_t want_n, const pid_t *want) {
        pid_t out[8] = { 0 };
        size_t n = 0, i;

        proctree_parse_pids(text, out, &n, max);
        CHECK(n == want_n, "proctree_parse_pids(\"%s\"): %zu pids, want %zu", text, n, want_n);
        for (i = 0; i < n && i < want_n; i++)
                CHECK(out[i] == want[i], "proctree_parse_pids(\"%s\")[%zu] = %d, want %d", text, i, out[i], want[i]);
}

static void start_one(const char *text, int want_r, unsigned long long want) {
        unsigned long long v = 7;
        int r = proctree_parse_start(text, &v);

        CHECK(r == want_r && (r < 0 || v == want), "proctree_parse_start(\"%.30s…\") = %d %llu, want %d %llu", text, r,
              v, want_r, want);
}

static void cpu_one(const char *text, int want_r, unsigned long long want) {
        unsigned long long v = 7;
        int r = proctree_parse_cpu(text, &v);

        CHECK(r == want_r && (r < 0 || v == want), "proctree_parse_cpu(\"%.30s…\") = %d %llu, want %d %llu", text, r, v,
              want_r, want);
}

static void anon_one(const char *text, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = proctree_parse_statm_anon(text, 4096, &v);

        CHECK(r == want_r && (r < 0 || v == want), "proctree_parse_statm_anon(\"%s\") = %d %llu, want %d %llu", text,
              r, (unsigned long long) v, want_r, (unsigned long long) want);
}

static void fdinfo_one(const char *line, uint64_t want) {
        const uint64_t inos[3] = { 0x84858, 542808, 0x10 };
        uint64_t seen = 0;

        serving_parse_fdinfo_line(line, strlen(line), inos, 3, &seen);
        CHECK(seen == want, "serving_parse_fdinfo_line(\"%s\") = %#llx, want %#llx", line, (unsigned long long) seen,
              (unsigned long long) want);
}

static void syscall_one(const char *text, int want_r, long want_nr, unsigned long long want_arg,
                        unsigned long long want_arg1) {
        unsigned long long a = 7, b = 7;
        long nr = 7;
        int r = serving_parse_syscall(text, &nr, &a, &b);

        CHECK(r == want_r && (r < 0 || (nr == want_nr && a == want_arg && b == want_arg1)),
              "serving_parse_syscall(\"%s\") = %d %ld %#llx %#llx", text, r, nr, a, b);
}

static void sleep_ms(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

        nanosleep(&ts, NULL);
}

static int listener(unsigned short *port, int reuse) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(*port) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

        if (reuse)
                setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0) {
                perror("listener");
                exit(2);
        }
        *port = ntohs(sa.sin_port);
        return fd;
}

/* A child that serves fd the way `how` says (or not), forever. */
static pid_t serve(int fd, const char *how) {
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        alarm(20);
        if (strcmp(how, "accept") == 0) {
                for (;;)
                        close(accept(fd, NULL, NULL));
        } else if (strcmp(how, "epoll") == 0) {
                struct epoll_event ev = { .events = EPOLLIN }, out;
                int ep = epoll_create1(0), other = dup(fd);

                close(fd); /* another fd number: the inode is what counts */
                epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev);
                for (;;)
                        epoll_wait(ep, &out, 1, -1);
        } else if (strcmp(how, "poll") == 0) {
                struct pollfd p[2] = { { .fd = -1 }, { .fd = dup(fd), .events = POLLIN } };

                for (;;)
                        poll(p, 2, -1);
        } else if (strcmp(how, "select") == 0) {
                for (;;) {
                        fd_set r;

                        FD_ZERO(&r);
                        FD_SET(fd, &r);
                        select(fd + 1, &r, NULL, NULL, NULL);
                }
        } else if (strcmp(how, "grandchild") == 0) {
                if (fork() == 0) {
                        alarm(20);
                        for (;;)
                                close(accept(fd, NULL, NULL));
                }
                for (;;)
                        pause();
        }
        for (;;)
                pause();
}

static void end(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* Polls serving_scan for up to 2 s. */
static uint64_t scan_until(pid_t pid, const uint64_t *inos, size_t n, uint64_t want) {
        uint64_t seen = 0;
        int i;

        for (i = 0; i < 80 && (seen & want) != want; i++) {
                serving_scan(pid, inos, n, &seen);
                if ((seen & want) != want)
                        sleep_ms(25);
        }
        return seen;
}

static void live_serving(void) {
        unsigned short p1 = 0, p2 = 0;
        int a = listener(&p1, 0), b = listener(&p2, 0);
        struct stat st;
        uint64_t inos[2], seen;
        const char *hows[] = { "accept", "epoll", "poll", "select", "grandchild" };
        pid_t pid;
        size_t i;

        fstat(a, &st);
        inos[0] = st.st_ino;
        fstat(b, &st);
        inos[1] = st.st_ino;
        for (i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
                pid = serve(a, hows[i]);
                seen = scan_until(pid, inos, 2, 1);
                CHECK(seen == 1, "serving_scan of a child serving by %s: %#llx, want 0x1", hows[i], (unsigned long long) seen);
                if (strcmp(hows[i], "grandchild") == 0) {
                        pid_t tree[8];
                        size_t n = 0;

                        CHECK(proctree_list(pid, tree, 8, &n) == 0 && n == 2 && tree[0] == pid,
                              "proctree_list of a child with a grandchild: %zu pids", n);
                        if (n == 2)
                                kill(tree[1], SIGKILL);
                }
                end(pid);
        }
        pid = serve(a, "sleep");
        sleep_ms(100);
        seen = 0;
        CHECK(serving_scan(pid, inos, 2, &seen) == 0 && seen == 0, "a child that only holds the socket: %#llx",
              (unsigned long long) seen);
        end(pid);
        seen = 0;
        CHECK(serving_scan(pid, inos, 2, &seen) == -ESRCH, "serving_scan of a reaped child: want -ESRCH");
        close(a);
        close(b);
}

static void live_tree(void) {
        uint64_t bytes = 0;
        size_t procs = 0;
        proc_id id;
        pid_t pid;

        CHECK(proctree_anon(getpid(), &bytes, &procs) == 0 && bytes > 4096 && procs == 1,
              "proctree_anon(self) = %llu bytes in %zu processes", (unsigned long long) bytes, procs);
        pid = fork();
        if (pid == 0) {
                volatile char *p = malloc(16 << 20);
                size_t k;

                for (k = 0; p && k < (16u << 20); k += 4096)
                        p[k] = 1;
                alarm(20);
                for (;;)
                        pause();
        }
        sleep_ms(300);
        CHECK(proctree_anon(getpid(), &bytes, &procs) == 0 && bytes >= (16u << 20) && procs == 2,
              "proctree_anon(self + a child with 16 MiB) = %llu bytes in %zu processes", (unsigned long long) bytes, procs);
        CHECK(proctree_id(pid, &id) == 0 && proctree_same(&id), "proctree_id/same of a live child");
        end(pid);
        CHECK(!proctree_same(&id), "proctree_same of a reaped child");
        CHECK(proctree_anon(pid, &bytes, &procs) == -ESRCH, "proctree_anon of a reaped child: want -ESRCH");
}

/* Connects from 127.0.0.SRC and returns which of fds accepted (-1: none within 2 s). */
static int lands_on(unsigned short port, int src, const int *fds, int n) {
        struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000 | (unsigned) src) };
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port) };
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), i, k, got = -1;

        if (bind(c, (struct sockaddr *) &from, sizeof(from)) < 0 || connect(c, (struct sockaddr *) &to, sizeof(to)) < 0) {
                close(c);
                return -2;
        }
        for (k = 0; k < 200 && got < 0; k++) {
                for (i = 0; i < n && got < 0; i++) {
                        int a = accept4(fds[i], NULL, NULL, SOCK_NONBLOCK);

                        if (a >= 0) {
                                close(a);
                                got = i;
                        }
                }
                if (got < 0)
                        sleep_ms(10);
        }
        close(c);
        return got;
}

static void live_sockets(void) {
        unsigned short port = 0;
        int fds[3], first[8], i, src, hit[3] = { 0 };
        unsigned waiting = 9, limit = 9;
        repair_result res;
        held_socket h;
        struct sock_filter prog[STICKY_PROGRAM_LEN];
        unsigned old = 0;

        sticky_program(3, prog);
        CHECK(prog[17].k == 3 && prog[18].code == (BPF_RET | BPF_A), "sticky_program: mod %u", prog[17].k);
        fds[0] = listener(&port, 1);
        fds[1] = listener(&port, 1);
        fds[2] = listener(&port, 1);
        for (i = 0; i < 3; i++)
                fcntl(fds[i], F_SETFL, O_NONBLOCK);
        CHECK(sockets_attach_sticky(fds[1], 3) == 0, "sockets_attach_sticky: %m");
        /* every source address always lands on the same socket, and the sources spread */
        for (src = 1; src <= 8; src++) {
                first[src - 1] = lands_on(port, src, fds, 3);
                CHECK(first[src - 1] >= 0, "127.0.0.%d: no socket accepted", src);
                if (first[src - 1] >= 0)
                        hit[first[src - 1]]++;
                for (i = 0; i < 4; i++)
                        CHECK(lands_on(port, src, fds, 3) == first[src - 1], "127.0.0.%d moved from socket %d", src,
                              first[src - 1]);
        }
        CHECK((hit[0] > 0) + (hit[1] > 0) + (hit[2] > 0) >= 2, "8 sources all on one socket: %d %d %d", hit[0], hit[1],
              hit[2]);

        /* the queue, and the repair of a listener a child shut down or shrank */
        CHECK(sockets_hold(fds[0], 64, &h) == 0 && h.listening_stream && h.tcp && h.backlog == 64,
              "sockets_hold: listening %d tcp %d backlog %u", h.listening_stream, h.tcp, h.backlog);
        CHECK(sockets_queue(fds[0], &waiting, &limit) == 0 && waiting == 0 && limit == 16,
              "sockets_queue: %u waiting, limit %u", waiting, limit);
        CHECK(sockets_repair(&h, &res, &old) == 0 && res == REPAIR_BACKLOG && old == 16, "repair of backlog 16: %d %u",
              res, old);
        CHECK(sockets_repair(&h, &res, &old) == 0 && res == REPAIR_NONE, "repair of a good listener: %d", res);
        shutdown(fds[0], SHUT_RDWR);
        CHECK(sockets_queue(fds[0], &waiting, &limit) == -ENOTCONN, "sockets_queue of a shut listener");
        CHECK(sockets_repair(&h, &res, &old) == 0 && res == REPAIR_RELISTENED, "repair of a shut listener: %d", res);
        CHECK(sockets_queue(fds[0], &waiting, &limit) == 0 && limit == 64, "after the repair: limit %u", limit);
        for (i = 0; i < 3; i++)
                close(fds[i]);
}

int main(void) {
        const pid_t p3[] = { 12, 345, 6 };

        pids_one("12 345 6 ", 8, 3, p3);
        pids_one("12 345 6", 2, 2, p3);
        pids_one("", 8, 0, NULL);
        pids_one("\n", 8, 0, NULL);
        pids_one("12 x 6", 8, 1, p3);

        start_one("1234 (node) S 1 1234 1234 0 -1 4194560 500 0 0 0 10 5 0 0 20 0 11 0 987654 1000 500\n", 0, 987654);
        start_one("1 (a) b) c) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 1 1", 0, 42);
        start_one("1 (x) S 1 2", -EINVAL, 0);
        start_one("no paren", -EINVAL, 0);
        /* utime stime cutime cstime are fields 14-17: 10 + 5 + 3 + 2 */
        cpu_one("1234 (node) S 1 1234 1234 0 -1 4194560 500 0 0 0 10 5 3 2 20 0 11 0 987654 1000 500\n", 0, 20);
        cpu_one("1 (a) b) c) S 1 1 1 0 -1 0 0 0 0 0 100 200 0 0 20 0 1 0 42 1 1", 0, 300);
        cpu_one("1 (x) S 1 2 3", -EINVAL, 0);
        cpu_one("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 x 0 0 20", -EINVAL, 0);

        anon_one("1000 250 100 10 0 300 0\n", 0, 150 * 4096);
        anon_one("1000 250 300 10 0 300 0\n", 0, 0);
        anon_one("1000 250", -EINVAL, 0);
        anon_one("1000 x 1", -EINVAL, 0);
        anon_one("", -EINVAL, 0);

        fdinfo_one("tfd:       15 events:       19 data:                f  pos:0 ino:84858 sdev:9", 3);
        fdinfo_one("tfd:        3 events:       19 data:                3  pos:0 ino:10 sdev:f", 4);
        fdinfo_one("tfd:        3 events:       19 data:                3  pos:0 ino:848580 sdev:f", 0);
        fdinfo_one("pos:\t0", 0);
        fdinfo_one("tfd: 3 ino:", 0);
        fdinfo_one("ino:\t84858", 0); /* the epoll fd's own inode line */

        syscall_one("288 0x3 0x0 0x0 0x80800 0x0 0x0 0x7ffd 0x7f", 0, 288, 3, 0);
        syscall_one("43 0x11 0x7ffd 0x7ffd 0x0 0x0 0x0 0x7ffd 0x7f\n", 0, 43, 0x11, 0x7ffd);
        syscall_one("7 0x7ffc1234 0x1 0x1f4 0x0 0x0 0x0 0x7ffd 0x7f", 0, 7, 0x7ffc1234, 1);
        syscall_one("running", -EINVAL, 0, 0, 0);
        syscall_one("-1 0x7ffd 0x7f", -EINVAL, 0, 0, 0);
        syscall_one("232 3 0", -EINVAL, 0, 0, 0);
        syscall_one("43 0x3", -EINVAL, 0, 0, 0);

        live_serving();
        live_tree();
        live_sockets();

        printf("test-proc: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
