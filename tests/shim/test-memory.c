/* SPDX-License-Identifier: MIT */
/* Table tests for src/shim/memory.c. run.sh builds this with that file: test-memory TMPDIR
 * (TMPDIR receives a fixture cgroup tree for the file readers). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/memory.h"

static int failures;

static void cgroup_one(const char *text, const char *root, int want_r, const char *want_path) {
        char buf[256] = "untouched";
        int r = memory_cgroup_file(text, root, buf, sizeof(buf));

        if (r != want_r || (r == 0 && strcmp(buf, want_path) != 0)) {
                printf("memory_cgroup_file(\"%s\", \"%s\") = %d \"%s\", want %d \"%s\"\n", text, root, r,
                       r == 0 ? buf : "", want_r, want_path ? want_path : "");
                failures++;
        }
}

static void bytes_one(const char *text, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = memory_parse_bytes(text, &v);

        if (r != want_r || (r == 0 && v != want) || (r < 0 && v != 7)) {
                printf("memory_parse_bytes(\"%s\") = %d %llu, want %d %llu\n", text, r, (unsigned long long) v,
                       want_r, (unsigned long long) want);
                failures++;
        }
}

static void statm_one(const char *text, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = memory_parse_statm(text, 4096, &v);

        if (r != want_r || (r == 0 && v != want) || (r < 0 && v != 7)) {
                printf("memory_parse_statm(\"%s\") = %d %llu, want %d %llu\n", text, r, (unsigned long long) v,
                       want_r, (unsigned long long) want);
                failures++;
        }
}

static void size_one(const char *text, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = memory_parse_size(text, &v);

        if (r != want_r || (r == 0 && v != want) || (r < 0 && v != 7)) {
                printf("memory_parse_size(\"%s\") = %d %llu, want %d %llu\n", text, r, (unsigned long long) v,
                       want_r, (unsigned long long) want);
                failures++;
        }
}

static int write_file(const char *path, const char *content) {
        FILE *f = fopen(path, "w");

        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                printf("cannot write %s\n", path);
                failures++;
                return -1;
        }
        return 0;
}

static void find_one(const char *dir, const char *proc_text, const char *want_suffix, uint64_t want_bytes) {
        char proc[4200], path[4096], want[4200];
        uint64_t bytes = 0;
        int r;

        snprintf(proc, sizeof(proc), "%s/proc-cgroup", dir);
        snprintf(want, sizeof(want), "%s/%s", dir, want_suffix);
        if (write_file(proc, proc_text) < 0)
                return;
        r = memory_find_cgroup(proc, dir, path, sizeof(path));
        if (r == 0)
                r = memory_read_cgroup(path, &bytes);
        if (r != 0 || strcmp(path, want) != 0 || bytes != want_bytes) {
                printf("find+read \"%s\": %d \"%s\" %llu, want \"%s\" %llu\n", proc_text, r, path,
                       (unsigned long long) bytes, want, (unsigned long long) want_bytes);
                failures++;
        }
}

int main(int argc, char **argv) {
        const char *v1 = "12:pids:/system.slice/web@1.service\n"
                         "11:cpu,cpuacct:/system.slice/web@1.service\n"
                         "4:memory:/system.slice/web@1.service\n"
                         "1:name=systemd:/system.slice/web@1.service\n"
                         "0::/system.slice/web@1.service\n";
        char path[4200], sub[4096], big[300];
        uint64_t bytes;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: test-memory TMPDIR\n");
                return 2;
        }

        /* v2: the unified line */
        cgroup_one("0::/system.slice/web@1.service\n", "/sys/fs/cgroup", 0,
                   "/sys/fs/cgroup/system.slice/web@1.service/memory.current");
        cgroup_one("0::/system.slice/web@1.service", "/r", 0, "/r/system.slice/web@1.service/memory.current");
        cgroup_one("0::/\n", "/r", 0, "/r/memory.current");
        cgroup_one("0::/a:b/c\n", "/r", 0, "/r/a:b/c/memory.current");
        /* v1 and hybrid: the memory controller wins over the unified line, in any order */
        cgroup_one(v1, "/sys/fs/cgroup", 0, "/sys/fs/cgroup/memory/system.slice/web@1.service/memory.usage_in_bytes");
        cgroup_one("0::/x\n4:memory:/y\n", "/r", 0, "/r/memory/y/memory.usage_in_bytes");
        cgroup_one("4:memory:/\n", "/r", 0, "/r/memory/memory.usage_in_bytes");
        cgroup_one("4:foo,memory,bar:/z\n", "/r", 0, "/r/memory/z/memory.usage_in_bytes");
        cgroup_one("4:memory:/process_api/212311c0\n0::/\n", "/r", 0,
                   "/r/memory/process_api/212311c0/memory.usage_in_bytes");
        /* lines that are not what we look for */
        cgroup_one("4:memoryx:/y\n", "/r", -ENOENT, NULL);
        cgroup_one("4:xmemory:/y\n1:name=systemd:/z\n", "/r", -ENOENT, NULL);
        cgroup_one("1::/y\n", "/r", -ENOENT, NULL);
        cgroup_one("00:/y\n", "/r", -ENOENT, NULL);
        cgroup_one("", "/r", -ENOENT, NULL);
        cgroup_one("garbage\n\n", "/r", -ENOENT, NULL);
        /* paths outside our cgroup namespace or not absolute */
        cgroup_one("0::/../../system.slice/x\n", "/r", -EINVAL, NULL);
        cgroup_one("4:memory:/a/..\n", "/r", -EINVAL, NULL);
        cgroup_one("0::/a/./b\n", "/r", -EINVAL, NULL);
        cgroup_one("0::relative\n", "/r", -EINVAL, NULL);
        cgroup_one("0::\n", "/r", -EINVAL, NULL);
        cgroup_one("0::/a/..b/c...\n", "/r", 0, "/r/a/..b/c.../memory.current");
        /* too long for the buffer */
        memset(big, 'x', sizeof(big));
        memcpy(big, "0::/", 4);
        big[sizeof(big) - 1] = '\0';
        cgroup_one(big, "/r", -ENAMETOOLONG, NULL);

        bytes_one("123\n", 0, 123);
        bytes_one("0", 0, 0);
        bytes_one("18446744073709551615\n", 0, UINT64_MAX);
        bytes_one("18446744073709551616\n", -EINVAL, 0);
        bytes_one("max\n", -EINVAL, 0);
        bytes_one("", -EINVAL, 0);
        bytes_one("12 \n", -EINVAL, 0);
        bytes_one("-1\n", -EINVAL, 0);
        bytes_one("1\n\n", -EINVAL, 0);

        statm_one("1000 250 100 10 0 300 0\n", 0, 250 * 4096);
        statm_one("1000 250", 0, 250 * 4096);
        statm_one("1000", -EINVAL, 0);
        statm_one("1000 x 1", -EINVAL, 0);
        statm_one("", -EINVAL, 0);

        size_one("1", 0, 1);
        size_one("33554432", 0, 33554432);
        size_one("512K", 0, 512 * 1024);
        size_one("32M", 0, 32ULL << 20);
        size_one("32m", 0, 32ULL << 20);
        size_one("2G", 0, 2ULL << 30);
        size_one("0", -ERANGE, 0);
        size_one("0M", -ERANGE, 0);
        size_one("99999999999G", -ERANGE, 0);
        size_one("", -EINVAL, 0);
        size_one("M", -EINVAL, 0);
        size_one("1.5G", -EINVAL, 0);
        size_one("32MB", -EINVAL, 0);
        size_one("-1", -EINVAL, 0);
        size_one(" 1", -EINVAL, 0);

        /* the readers, on a fixture tree under TMPDIR */
        snprintf(sub, sizeof(sub), "%s/memory", argv[1]);
        mkdir(sub, 0755);
        snprintf(sub, sizeof(sub), "%s/memory/app", argv[1]);
        mkdir(sub, 0755);
        snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", sub);
        write_file(path, "4096\n");
        snprintf(sub, sizeof(sub), "%s/v2app", argv[1]);
        mkdir(sub, 0755);
        snprintf(path, sizeof(path), "%s/memory.current", sub);
        write_file(path, "8192\n");
        find_one(argv[1], "3:memory:/app\n0::/v2app\n", "memory/app/memory.usage_in_bytes", 4096);
        find_one(argv[1], "0::/v2app\n", "v2app/memory.current", 8192);
        snprintf(path, sizeof(path), "%s/no-such-file", argv[1]);
        r = memory_find_cgroup(path, argv[1], sub, sizeof(sub));
        if (r != -ENOENT) {
                printf("memory_find_cgroup of a missing file: %d, want -ENOENT\n", r);
                failures++;
        }
        snprintf(path, sizeof(path), "%s/no-such-cgroup/memory.current", argv[1]);
        r = memory_read_cgroup(path, &bytes);
        if (r != -ENOENT) {
                printf("memory_read_cgroup of a missing file: %d, want -ENOENT\n", r);
                failures++;
        }
        r = memory_read_rss(getpid(), &bytes);
        if (r != 0 || bytes < 4096 || bytes > (1ULL << 30)) {
                printf("memory_read_rss(self) = %d %llu\n", r, (unsigned long long) bytes);
                failures++;
        }

        printf("test-memory: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
