/* SPDX-License-Identifier: MIT */
#include "shim/serving.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim/proctree.h"

/* How much of a poll() array and of a select() set is looked at. */
#define SCAN_FDS_MAX 64
#define SCAN_SELECT_MAX 1024

void serving_parse_fdinfo_line(const char *line, size_t len, const uint64_t *inos, size_t n, uint64_t *seen) {
        const char *p, *end = line + len;
        unsigned long long ino;
        char num[24];
        size_t k, i;

        if (len < 4 || memcmp(line, "tfd:", 4) != 0)
                return;
        /* " ino:" then hex digits */
        for (p = line; p + 5 <= end; p++)
                if (memcmp(p, " ino:", 5) == 0)
                        break;
        if (p + 5 > end)
                return;
        p += 5;
        for (k = 0; p + k < end && k < sizeof(num) - 1 &&
                    ((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f') || (p[k] >= 'A' && p[k] <= 'F'));
             k++)
                num[k] = p[k];
        if (k == 0)
                return;
        num[k] = '\0';
        ino = strtoull(num, NULL, 16);
        for (i = 0; i < n && i < SERVING_MAX_SOCKETS; i++)
                if (inos[i] == ino)
                        *seen |= UINT64_C(1) << i;
}

int serving_parse_syscall(const char *text, long *nr, unsigned long long *arg0, unsigned long long *arg1) {
        char *end;
        long v;
        unsigned long long a, b;

        if (*text < '0' || *text > '9')
                return -EINVAL; /* "running", or "-1 …" (not in a syscall) */
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno || *end != ' ')
                return -EINVAL;
        if (strncmp(end + 1, "0x", 2) != 0)
                return -EINVAL;
        a = strtoull(end + 3, &end, 16);
        if (errno || *end != ' ' || strncmp(end + 1, "0x", 2) != 0)
                return -EINVAL;
        b = strtoull(end + 3, &end, 16);
        if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
                return -EINVAL;
        *nr = v;
        *arg0 = a;
        *arg1 = b;
        return 0;
}

typedef struct scan {
        pid_t pid;
        const uint64_t *inos;
        size_t n;
        uint64_t *seen;
} scan;

/* Streams an epoll fdinfo file line by line (it has a line per watched fd: thousands for a busy server). */
static void scan_fdinfo(const scan *s, const char *fd) {
        char path[64], buf[2048];
        size_t have = 0, start, i;
        ssize_t got;
        int f;

        snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", (long) s->pid, fd);
        f = open(path, O_RDONLY | O_CLOEXEC);
        if (f < 0)
                return;
        for (;;) {
                got = read(f, buf + have, sizeof(buf) - have);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                have += (size_t) got;
                for (start = 0, i = 0; i < have; i++)
                        if (buf[i] == '\n') {
                                serving_parse_fdinfo_line(buf + start, i - start, s->inos, s->n, s->seen);
                                start = i + 1;
                        }
                if (start == 0 && have == sizeof(buf))
                        start = have; /* an absurdly long line: drop it */
                memmove(buf, buf + start, have - start);
                have -= start;
        }
        if (have > 0)
                serving_parse_fdinfo_line(buf, have, s->inos, s->n, s->seen);
        close(f);
}

static int scan_fd(const char *fd, void *arg) {
        const scan *s = arg;
        char path[64], target[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long) s->pid, fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
                return 0;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:[eventpoll]") == 0)
                scan_fdinfo(s, fd);
        return 0;
}

static void mark_fd_inode(const scan *s, unsigned long long fd) {
        char path[64];
        struct stat st;
        size_t i;

        snprintf(path, sizeof(path), "/proc/%ld/fd/%llu", (long) s->pid, fd);
        if (stat(path, &st) < 0)
                return;
        for (i = 0; i < s->n && i < SERVING_MAX_SOCKETS; i++)
                if (s->inos[i] == (uint64_t) st.st_ino)
                        *s->seen |= UINT64_C(1) << i;
}

/* Reads size bytes at addr in the process (its memory: any thread will do). */
static int peek(pid_t pid, unsigned long long addr, void *buf, size_t size) {
        struct iovec local = { .iov_base = buf, .iov_len = size };
        struct iovec remote = { .iov_base = (void *) (uintptr_t) addr, .iov_len = size };

        return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t) size ? 0 : -EFAULT;
}

/* A thread in poll()/ppoll(): the fds it waits to read on. */
static void scan_pollfds(const scan *s, unsigned long long fds, unsigned long long nfds) {
        struct pollfd p[SCAN_FDS_MAX];
        size_t n = nfds < SCAN_FDS_MAX ? (size_t) nfds : SCAN_FDS_MAX, i;

        if (n == 0 || peek(s->pid, fds, p, n * sizeof(p[0])) < 0)
                return;
        for (i = 0; i < n; i++)
                if (p[i].fd >= 0 && (p[i].events & POLLIN))
                        mark_fd_inode(s, (unsigned long long) p[i].fd);
}

/* A thread in select()/pselect6(): the read set, fds below nfds. */
static void scan_fdset(const scan *s, unsigned long long nfds, unsigned long long readfds) {
        unsigned char set[SCAN_SELECT_MAX / 8];
        size_t n = nfds < SCAN_SELECT_MAX ? (size_t) nfds : SCAN_SELECT_MAX, fd;

        if (n == 0 || readfds == 0 || peek(s->pid, readfds, set, (n + 7) / 8) < 0)
                return;
        for (fd = 0; fd < n; fd++)
                if (set[fd / 8] & (1u << (fd % 8)))
                        mark_fd_inode(s, fd);
}

static int scan_task(const char *tid, void *arg) {
        const scan *s = arg;
        char path[64], text[256];
        unsigned long long arg0, arg1;
        long nr;

        snprintf(path, sizeof(path), "/proc/%ld/task/%s/syscall", (long) s->pid, tid);
        if (proctree_read_file(path, text, sizeof(text)) < 0 || serving_parse_syscall(text, &nr, &arg0, &arg1) < 0)
                return 0;
        switch (nr) {
#ifdef SYS_accept
        case SYS_accept:
#endif
        case SYS_accept4:
                mark_fd_inode(s, arg0);
                break;
#ifdef SYS_poll
        case SYS_poll:
#endif
        case SYS_ppoll:
                scan_pollfds(s, arg0, arg1);
                break;
#ifdef SYS_select
        case SYS_select:
#endif
        case SYS_pselect6:
                scan_fdset(s, arg0, arg1);
                break;
        }
        return 0;
}

int serving_scan(pid_t root, const uint64_t *inos, size_t n, uint64_t *seen) {
        pid_t pids[PROCTREE_MAX];
        char path[48];
        size_t count, i;
        int r;

        r = proctree_list(root, pids, PROCTREE_MAX, &count);
        if (r < 0)
                return r;
        for (i = 0; i < count; i++) {
                scan s = { .pid = pids[i], .inos = inos, .n = n, .seen = seen };

                snprintf(path, sizeof(path), "/proc/%ld/fd", (long) pids[i]);
                (void) proctree_each_entry(path, scan_fd, &s);
                snprintf(path, sizeof(path), "/proc/%ld/task", (long) pids[i]);
                (void) proctree_each_entry(path, scan_task, &s);
        }
        return 0;
}
