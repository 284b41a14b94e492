/* SPDX-License-Identifier: MIT */
#include "shim/memory.h"
#include "shim/proctree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Big enough for /proc/self/cgroup with every v1 hierarchy and container-length paths. */
#define PROC_CGROUP_MAX 8192
/* memory.stat: ~40 lines on v1, ~50 on v2. */
#define MEMORY_STAT_MAX 4096

/* Whether the comma-separated list [s, end) contains name. */
static bool list_has(const char *s, const char *end, const char *name) {
        size_t len = strlen(name);
        const char *comma;

        while (s < end) {
                comma = memchr(s, ',', (size_t) (end - s));
                if (!comma)
                        comma = end;
                if ((size_t) (comma - s) == len && memcmp(s, name, len) == 0)
                        return true;
                s = comma + 1;
        }
        return false;
}

/* An absolute path without "." or ".." components. */
static bool path_ok(const char *p, size_t len) {
        size_t i = 0, start;

        if (len == 0 || p[0] != '/')
                return false;
        while (i < len) {
                while (i < len && p[i] == '/')
                        i++;
                start = i;
                while (i < len && p[i] != '/')
                        i++;
                if ((i - start == 1 && p[start] == '.') || (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
                        return false;
        }
        return true;
}

/* In /proc/PID/cgroup's text: the path of the v2 line ("0::/PATH") and of the v1 line whose controllers
 * include controller (NULL: none looked for). */
static void cgroup_lines(const char *proc_cgroup, const char *controller, const char **v1, size_t *v1_len,
                         const char **v2, size_t *v2_len) {
        const char *line = proc_cgroup, *eol, *c1, *c2;

        *v1 = *v2 = NULL;
        *v1_len = *v2_len = 0;
        for (; *line; line = *eol ? eol + 1 : eol) {
                eol = strchrnul(line, '\n');
                c1 = memchr(line, ':', (size_t) (eol - line));
                c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;
                if (!c2)
                        continue;
                if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
                        *v2 = c2 + 1;
                        *v2_len = (size_t) (eol - *v2);
                } else if (controller && list_has(c1 + 1, c2, controller)) {
                        *v1 = c2 + 1;
                        *v1_len = (size_t) (eol - *v1);
                }
        }
}

/* ROOT[/MID]/PATH/FILE for a cgroup path from /proc/PID/cgroup. */
static int cgroup_file(const char *root, const char *mid, const char *path, size_t len, const char *file, char *buf,
                       size_t size) {
        int n;

        if (!path_ok(path, len))
                return -EINVAL;
        /* Without its slashes at both ends: "/" (the root cgroup) becomes empty. */
        while (len > 0 && path[len - 1] == '/')
                len--;
        while (len > 0 && path[0] == '/') {
                path++;
                len--;
        }
        n = snprintf(buf, size, "%s%s%s%s%.*s/%s", root, mid ? "/" : "", mid ? mid : "", len ? "/" : "", (int) len, path,
                     file);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

int memory_cgroup_file(const char *proc_cgroup, const char *root, char *buf, size_t size, int *is_v1) {
        const char *v1, *v2;
        size_t v1_len, v2_len;
        int r;

        cgroup_lines(proc_cgroup, "memory", &v1, &v1_len, &v2, &v2_len);
        if (!v1 && !v2)
                return -ENOENT;
        r = v1 ? cgroup_file(root, "memory", v1, v1_len, "memory.stat", buf, size)
               : cgroup_file(root, NULL, v2, v2_len, "memory.stat", buf, size);
        if (r == 0)
                *is_v1 = v1 != NULL;
        return r;
}

int cpu_cgroup_file(const char *proc_cgroup, const char *root, int k, char *buf, size_t size, int *is_v1) {
        const char *v1, *v2;
        size_t v1_len, v2_len;
        int r;

        cgroup_lines(proc_cgroup, "cpuacct", &v1, &v1_len, &v2, &v2_len);
        switch (k) {
        case 0:
        case 1:
                if (!v2)
                        return -ENOENT;
                r = cgroup_file(root, k == 0 ? NULL : "unified", v2, v2_len, "cpu.stat", buf, size);
                break;
        case 2:
                if (!v1)
                        return -ENOENT;
                r = cgroup_file(root, "cpuacct", v1, v1_len, "cpuacct.usage", buf, size);
                break;
        default:
                return -ENOENT;
        }
        if (r == 0)
                *is_v1 = k == 2;
        return r;
}

static int parse_u64(const char *s, const char **end, uint64_t *out) {
        unsigned long long v;
        char *e;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno != 0)
                return -EINVAL;
        *end = e;
        *out = v;
        return 0;
}

int memory_parse_stat(const char *text, int v1, uint64_t *out) {
        const char *key = v1 ? "total_rss" : "anon", *line, *p;
        size_t klen = strlen(key);
        uint64_t v;

        for (line = text; *line; line = *p ? p + 1 : p) {
                p = strchrnul(line, '\n');
                if ((size_t) (p - line) > klen && memcmp(line, key, klen) == 0 && line[klen] == ' ') {
                        const char *end;

                        if (parse_u64(line + klen + 1, &end, &v) < 0 || end != p)
                                return -EINVAL;
                        *out = v;
                        return 0;
                }
        }
        return -ENOENT;
}

int cpu_parse_usage(const char *text, int v1, uint64_t *usec) {
        const char *end;
        uint64_t v;

        if (v1) { /* cpuacct.usage: nanoseconds, one number */
                if (parse_u64(text, &end, &v) < 0 || (*end != '\0' && *end != '\n'))
                        return -EINVAL;
                *usec = v / 1000;
                return 0;
        }
        for (const char *line = text, *p; *line; line = *p ? p + 1 : p) {
                p = strchrnul(line, '\n');
                if ((size_t) (p - line) > 11 && memcmp(line, "usage_usec ", 11) == 0) {
                        if (parse_u64(line + 11, &end, &v) < 0 || end != p)
                                return -EINVAL;
                        *usec = v;
                        return 0;
                }
        }
        return -ENOENT;
}

int memory_parse_size(const char *s, uint64_t *out) {
        uint64_t v, mult = 1;
        const char *p;

        if (parse_u64(s, &p, &v) < 0)
                return -EINVAL;
        switch (*p) {
        case 'K': case 'k': mult = 1024; p++; break;
        case 'M': case 'm': mult = 1024 * 1024; p++; break;
        case 'G': case 'g': mult = 1024 * 1024 * 1024; p++; break;
        }
        if (*p != '\0')
                return -EINVAL;
        if (v == 0 || v > UINT64_MAX / mult)
                return -ERANGE;
        *out = v * mult;
        return 0;
}

int memory_find_cgroup(const char *proc_cgroup_path, const char *root, char *buf, size_t size, int *v1) {
        char text[PROC_CGROUP_MAX];
        int r;

        r = proctree_read_file(proc_cgroup_path, text, sizeof(text));
        if (r < 0)
                return r;
        return memory_cgroup_file(text, root, buf, size, v1);
}

int memory_read_cgroup(const char *path, int v1, uint64_t *out) {
        char text[MEMORY_STAT_MAX];
        int r;

        r = proctree_read_file(path, text, sizeof(text));
        return r < 0 ? r : memory_parse_stat(text, v1, out);
}

int cpu_find_cgroup(const char *proc_cgroup_path, const char *root, char *buf, size_t size, int *v1) {
        char text[PROC_CGROUP_MAX];
        uint64_t usec;
        int r, last = -ENOENT;

        r = proctree_read_file(proc_cgroup_path, text, sizeof(text));
        if (r < 0)
                return r;
        for (int k = 0; k < 3; k++) {
                r = cpu_cgroup_file(text, root, k, buf, size, v1);
                if (r == -ENOENT)
                        continue;
                if (r == 0)
                        r = cpu_read_cgroup(buf, *v1, &usec);
                if (r == 0)
                        return 0;
                last = r;
        }
        return last;
}

int cpu_read_cgroup(const char *path, int v1, uint64_t *usec) {
        char text[MEMORY_STAT_MAX];
        int r;

        r = proctree_read_file(path, text, sizeof(text));
        return r < 0 ? r : cpu_parse_usage(text, v1, usec);
}
