/* SPDX-License-Identifier: MIT */
#include "shim/proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SMALL_FILE_MAX 4096

struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

int proctree_each_entry(const char *path, int (*fn)(const char *name, void *arg), void *arg) {
        char buf[2048] __attribute__((aligned(8)));
        struct linux_dirent64 *d;
        long n, off;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while (r == 0) {
                n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                for (off = 0; off < n && r == 0; off += d->d_reclen) {
                        d = (struct linux_dirent64 *) (void *) (buf + off);
                        if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
                                r = fn(d->d_name, arg);
                }
        }
        close(fd);
        return r;
}

int proctree_read_file(const char *path, char *buf, size_t size) {
        size_t len = 0;
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                n = read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len == size - 1) {
                        r = -EFBIG;
                        break;
                }
        }
        close(fd);
        if (r == 0)
                buf[len] = '\0';
        return r;
}

void proctree_parse_pids(const char *text, pid_t *out, size_t *n, size_t max) {
        const char *p = text;
        char *end;
        long v;

        while (*n < max) {
                while (*p == ' ' || *p == '\n')
                        p++;
                if (*p < '0' || *p > '9')
                        return;
                errno = 0;
                v = strtol(p, &end, 10);
                if (errno || v <= 0 || v > 0x3fffffff)
                        return;
                out[(*n)++] = (pid_t) v;
                p = end;
        }
}

/* The text of field `want` (3 or more) of /proc/PID/stat, after the command's closing ')'. */
static const char *stat_field(const char *text, int want) {
        const char *p = strrchr(text, ')');

        if (!p)
                return NULL;
        p++;
        for (int field = 2; field < want; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return NULL;
                p++;
        }
        return *p >= '0' && *p <= '9' ? p : NULL;
}

int proctree_parse_cpu(const char *text, unsigned long long *out) {
        const char *p = stat_field(text, 14);
        unsigned long long sum = 0;

        for (int i = 0; i < 4; i++) {
                char *end;

                if (!p || *p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                sum += strtoull(p, &end, 10);
                if (errno || *end != ' ')
                        return -EINVAL;
                p = end + 1;
        }
        *out = sum;
        return 0;
}

int proctree_parse_start(const char *text, unsigned long long *out) {
        const char *p = stat_field(text, 22);
        unsigned long long v;
        char *end;

        if (!p)
                return -EINVAL;
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
                return -EINVAL;
        *out = v;
        return 0;
}

static int parse_u64(const char *s, const char **end, uint64_t *out) {
        unsigned long long v;
        char *e;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno)
                return -EINVAL;
        *end = e;
        *out = v;
        return 0;
}

int proctree_parse_statm_anon(const char *text, uint64_t page_size, uint64_t *out) {
        uint64_t size, resident, shared;
        const char *p;

        if (parse_u64(text, &p, &size) < 0 || *p != ' ' || parse_u64(p + 1, &p, &resident) < 0 || *p != ' ' ||
            parse_u64(p + 1, &p, &shared) < 0 || (*p != ' ' && *p != '\n' && *p != '\0'))
                return -EINVAL;
        resident = resident > shared ? resident - shared : 0;
        if (page_size && resident > UINT64_MAX / page_size)
                return -ERANGE;
        *out = resident * page_size;
        return 0;
}

typedef struct children_scan {
        pid_t pid;
        pid_t *out;
        size_t *n;
        size_t max;
} children_scan;

static int add_task_children(const char *tid, void *arg) {
        children_scan *c = arg;
        char path[64], text[SMALL_FILE_MAX];

        snprintf(path, sizeof(path), "/proc/%ld/task/%s/children", (long) c->pid, tid);
        if (proctree_read_file(path, text, sizeof(text)) == 0)
                proctree_parse_pids(text, c->out, c->n, c->max);
        return *c->n >= c->max;
}

int proctree_list(pid_t pid, pid_t *out, size_t max, size_t *n) {
        char path[48];
        size_t count = 0, i;

        if (max == 0)
                return -ENOBUFS;
        out[count++] = pid;
        for (i = 0; i < count && count < max; i++) {
                children_scan c = { .pid = out[i], .out = out, .n = &count, .max = max };
                int r;

                snprintf(path, sizeof(path), "/proc/%ld/task", (long) out[i]);
                r = proctree_each_entry(path, add_task_children, &c);
                if (r < 0 && i == 0)
                        return r == -ENOENT ? -ESRCH : r;
        }
        *n = count;
        return 0;
}

/* Sums what parse reads from /proc/P/<file> over pid's tree; *counted: the processes read. -ESRCH when
 * pid itself cannot be read. */
static int tree_sum(pid_t pid, const char *file, int (*parse)(const char *text, uint64_t *v), uint64_t *sum,
                    size_t *counted) {
        pid_t pids[PROCTREE_MAX];
        char path[48], text[1024];
        uint64_t v;
        size_t n, i;
        int r;

        r = proctree_list(pid, pids, PROCTREE_MAX, &n);
        if (r < 0)
                return r;
        *sum = 0;
        *counted = 0;
        for (i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "/proc/%ld/%s", (long) pids[i], file);
                if (proctree_read_file(path, text, sizeof(text)) < 0 || parse(text, &v) < 0) {
                        if (i == 0)
                                return -ESRCH;
                        continue; /* gone meanwhile */
                }
                *sum += v;
                (*counted)++;
        }
        return 0;
}

static int parse_anon(const char *text, uint64_t *v) {
        long page = sysconf(_SC_PAGESIZE);

        return proctree_parse_statm_anon(text, page > 0 ? (uint64_t) page : 4096, v);
}

static int parse_cpu(const char *text, uint64_t *v) {
        unsigned long long t;
        int r = proctree_parse_cpu(text, &t);

        *v = t;
        return r;
}

int proctree_anon(pid_t pid, uint64_t *bytes, size_t *n_procs) {
        size_t counted;
        int r = tree_sum(pid, "statm", parse_anon, bytes, &counted);

        if (r == 0 && n_procs)
                *n_procs = counted;
        return r;
}

int proctree_anon_below_self(uint64_t *bytes, size_t *n_procs) {
        uint64_t all, own;
        size_t counted;
        char text[256];
        int r = tree_sum(getpid(), "statm", parse_anon, &all, &counted);

        if (r == 0)
                r = proctree_read_file("/proc/self/statm", text, sizeof(text));
        if (r == 0)
                r = parse_anon(text, &own);
        if (r < 0)
                return r;
        *bytes = all > own ? all - own : 0;
        if (n_procs)
                *n_procs = counted - 1;
        return 0;
}

int proctree_cpu(pid_t pid, unsigned long long *ticks) {
        uint64_t sum;
        size_t counted;
        int r = tree_sum(pid, "stat", parse_cpu, &sum, &counted);

        if (r == 0)
                *ticks = sum;
        return r;
}

int proctree_id(pid_t pid, proc_id *out) {
        char path[48], text[1024];
        unsigned long long start;
        int r;

        snprintf(path, sizeof(path), "/proc/%ld/stat", (long) pid);
        r = proctree_read_file(path, text, sizeof(text));
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = proctree_parse_start(text, &start);
        if (r < 0)
                return r;
        *out = (proc_id) { .pid = pid, .start = start };
        return 0;
}

int proctree_same(const proc_id *id) {
        proc_id now;

        return proctree_id(id->pid, &now) == 0 && now.start == id->start;
}
