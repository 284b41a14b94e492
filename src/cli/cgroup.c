/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "strbuf.h"

int cgroup_parse_u64(const char *text, uint64_t *ret) {
        char *end = NULL;
        unsigned long long x;

        if (!text || text[0] < '0' || text[0] > '9')
                return -EINVAL;
        errno = 0;
        x = strtoull(text, &end, 10);
        if (errno || (*end && *end != '\n') || (*end == '\n' && end[1]))
                return -EINVAL;
        *ret = x;
        return 0;
}

int cgroup_parse_cpu_stat(const char *text, uint64_t *usec) {
        for (const char *p = text; p && *p;) {
                size_t n = strcspn(p, "\n");

                if (n > 11 && strncmp(p, "usage_usec ", 11) == 0) {
                        char *end = NULL;
                        unsigned long long x;

                        if (p[11] < '0' || p[11] > '9')
                                return -EINVAL;
                        errno = 0;
                        x = strtoull(p + 11, &end, 10);
                        if (errno || (*end && *end != '\n'))
                                return -EINVAL;
                        *usec = x;
                        return 0;
                }
                p += n;
                if (*p)
                        p++;
        }
        return -EINVAL;
}

static bool cg_ok(const char *cg) {
        return cg && cg[0] == '/' && !strstr(cg, "/../") && !str_has_suffix(cg, "/..") && !strchr(cg, '\n');
}

/* Reads ROOT/SUB/CG/FILE (SUB may be ""). */
static int read_at(const char *root, const char *sub, const char *cg, const char *file, char **text) {
        strbuf sb = STRBUF_INIT;
        size_t len;
        int r;

        strbuf_addf(&sb, "%s%s%s%s/%s", root, sub[0] ? "/" : "", sub, strcmp(cg, "/") == 0 ? "" : cg, file);
        if (sb.oom)
                return -ENOMEM;
        r = read_file(strbuf_str(&sb), 4096, text, &len);
        strbuf_free(&sb);
        return r;
}

int cgroup_cpu_nsec(const char *root, const char *cg, uint64_t *ret) {
        static const char *const v2[] = { "", "unified" }, *const v1[] = { "cpu,cpuacct", "cpuacct" };
        char *text = NULL;
        uint64_t x;

        if (!cg_ok(cg))
                return -EINVAL;
        for (size_t i = 0; i < 2; i++)
                if (read_at(root, v2[i], cg, "cpu.stat", &text) == 0) {
                        int r = cgroup_parse_cpu_stat(text, &x);

                        free(text);
                        if (r == 0) {
                                *ret = x * 1000;
                                return 0;
                        }
                }
        for (size_t i = 0; i < 2; i++)
                if (read_at(root, v1[i], cg, "cpuacct.usage", &text) == 0) {
                        int r = cgroup_parse_u64(text, &x);

                        free(text);
                        if (r == 0) {
                                *ret = x;
                                return 0;
                        }
                }
        return -ENOENT;
}

int cgroup_memory_bytes(const char *root, const char *cg, uint64_t *ret) {
        static const struct {
                const char *sub, *file;
        } at[] = { { "", "memory.current" }, { "memory", "memory.usage_in_bytes" } };
        char *text = NULL;
        uint64_t x;

        if (!cg_ok(cg))
                return -EINVAL;
        for (size_t i = 0; i < 2; i++)
                if (read_at(root, at[i].sub, cg, at[i].file, &text) == 0) {
                        int r = cgroup_parse_u64(text, &x);

                        free(text);
                        if (r == 0) {
                                *ret = x;
                                return 0;
                        }
                }
        return -ENOENT;
}

int cgroup_rss_bytes(const char *root, const char *cg, uint64_t *ret) {
        static const char *const subs[] = { "", "unified", "systemd" };
        long page = sysconf(_SC_PAGESIZE);
        char *procs = NULL;

        if (!cg_ok(cg))
                return -EINVAL;
        for (size_t i = 0; i < 3 && !procs; i++)
                if (read_at(root, subs[i], cg, "cgroup.procs", &procs) < 0)
                        procs = NULL;
        if (!procs)
                return -ENOENT;
        uint64_t sum = 0;

        for (char *p = procs; *p;) {
                char *end = NULL, path[64], *statm = NULL;
                unsigned long pid = strtoul(p, &end, 10);
                size_t len;

                if (end == p)
                        break;
                p = end + strspn(end, "\n");
                snprintf(path, sizeof(path), "/proc/%lu/statm", pid);
                if (read_file(path, 256, &statm, &len) == 0) {
                        char *q = strchr(statm, ' ');

                        if (q)
                                sum += strtoull(q + 1, NULL, 10) * (uint64_t) (page > 0 ? page : 4096);
                        free(statm);
                }
        }
        free(procs);
        *ret = sum;
        return 0;
}
