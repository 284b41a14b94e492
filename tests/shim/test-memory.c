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

/* A cgroup v1 memory.stat (this machine's, shortened): lots of page cache, little anonymous memory. */
#define V1_STAT "cache 9531392\nrss 7700480\nrss_huge 0\nshmem 9084928\nmapped_file 7602176\ndirty 12288\n" \
                "writeback 0\nswap 0\npgpgin 99846\npgpgout 95639\ninactive_anon 0\nactive_anon 1531904\n" \
                "inactive_file 24576\nactive_file 421888\nunevictable 15253504\n" \
                "hierarchical_memory_limit 9223372036854771712\ntotal_cache 244654080\ntotal_rss 13881344\n" \
                "total_rss_huge 2097152\ntotal_shmem 9084928\ntotal_mapped_file 11067392\n"
/* A cgroup v2 memory.stat (a Node app's, shortened). */
#define V2_STAT "anon 52985856\nfile 536870912\nkernel 2629632\nkernel_stack 262144\npagetables 1003520\n" \
                "sec_pagetables 0\npercpu 480\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n" \
                "file_mapped 46399488\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 4194304\n" \
                "file_thp 0\nshmem_thp 0\ninactive_anon 52842496\nactive_anon 135168\n"

static void cgroup_one(const char *text, const char *root, int want_r, const char *want_path) {
        char buf[256] = "untouched";
        int v1 = -1, r = memory_cgroup_file(text, root, buf, sizeof(buf), &v1);

        if (r != want_r || (r == 0 && strcmp(buf, want_path) != 0) ||
            (r == 0 && v1 != (strstr(want_path, "/memory/") != NULL || strncmp(want_path + strlen(root), "/memory/", 8) == 0))) {
                printf("memory_cgroup_file(\"%s\", \"%s\") = %d \"%s\", want %d \"%s\"\n", text, root, r,
                       r == 0 ? buf : "", want_r, want_path ? want_path : "");
                failures++;
        }
}

static void stat_one(const char *text, int v1, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = memory_parse_stat(text, v1, &v);

        if (r != want_r || (r == 0 && v != want) || (r < 0 && v != 7)) {
                printf("memory_parse_stat(\"%.40s…\", v1=%d) = %d %llu, want %d %llu\n", text, v1, r,
                       (unsigned long long) v, want_r, (unsigned long long) want);
                failures++;
        }
}

static void cpu_file_one(const char *text, int k, int want_r, const char *want_path, int want_v1) {
        char buf[256] = "untouched";
        int v1 = -1, r = cpu_cgroup_file(text, "/r", k, buf, sizeof(buf), &v1);

        if (r != want_r || (r == 0 && (strcmp(buf, want_path) != 0 || v1 != want_v1))) {
                printf("cpu_cgroup_file(\"%s\", %d) = %d \"%s\" v1=%d, want %d \"%s\" v1=%d\n", text, k, r,
                       r == 0 ? buf : "", v1, want_r, want_path ? want_path : "", want_v1);
                failures++;
        }
}

static void usage_one(const char *text, int v1, int want_r, uint64_t want) {
        uint64_t v = 7;
        int r = cpu_parse_usage(text, v1, &v);

        if (r != want_r || (r == 0 && v != want) || (r < 0 && v != 7)) {
                printf("cpu_parse_usage(\"%.40s\", v1=%d) = %d %llu, want %d %llu\n", text, v1, r,
                       (unsigned long long) v, want_r, (unsigned long long) want);
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
        int r, v1 = 0;

        snprintf(proc, sizeof(proc), "%s/proc-cgroup", dir);
        snprintf(want, sizeof(want), "%s/%s", dir, want_suffix);
        if (write_file(proc, proc_text) < 0)
                return;
        r = memory_find_cgroup(proc, dir, path, sizeof(path), &v1);
        if (r == 0)
                r = memory_read_cgroup(path, v1, &bytes);
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
        int r, is_v1;

        if (argc != 2) {
                fprintf(stderr, "usage: test-memory TMPDIR\n");
                return 2;
        }

        /* v2: the unified line */
        cgroup_one("0::/system.slice/web@1.service\n", "/sys/fs/cgroup", 0,
                   "/sys/fs/cgroup/system.slice/web@1.service/memory.stat");
        cgroup_one("0::/system.slice/web@1.service", "/r", 0, "/r/system.slice/web@1.service/memory.stat");
        cgroup_one("0::/\n", "/r", 0, "/r/memory.stat");
        cgroup_one("0::/a:b/c\n", "/r", 0, "/r/a:b/c/memory.stat");
        /* v1 and hybrid: the memory controller wins over the unified line, in any order */
        cgroup_one(v1, "/sys/fs/cgroup", 0, "/sys/fs/cgroup/memory/system.slice/web@1.service/memory.stat");
        cgroup_one("0::/x\n4:memory:/y\n", "/r", 0, "/r/memory/y/memory.stat");
        cgroup_one("4:memory:/\n", "/r", 0, "/r/memory/memory.stat");
        cgroup_one("4:foo,memory,bar:/z\n", "/r", 0, "/r/memory/z/memory.stat");
        cgroup_one("4:memory:/process_api/212311c0\n0::/\n", "/r", 0, "/r/memory/process_api/212311c0/memory.stat");
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
        cgroup_one("0::/a/..b/c...\n", "/r", 0, "/r/a/..b/c.../memory.stat");
        /* too long for the buffer */
        memset(big, 'x', sizeof(big));
        memcpy(big, "0::/", 4);
        big[sizeof(big) - 1] = '\0';
        cgroup_one(big, "/r", -ENAMETOOLONG, NULL);

        /* memory.stat: anonymous memory only, never the page cache */
        stat_one(V1_STAT, 1, 0, 13881344);          /* total_rss (total_rss_huge is part of it) */
        stat_one(V2_STAT, 0, 0, 52985856);          /* anon (anon_thp is part of it) */
        stat_one(V2_STAT, 1, -ENOENT, 0);           /* a v2 file has no total_rss */
        stat_one("rss 5\ntotal_rss_huge 7\n", 1, -ENOENT, 0);
        stat_one("anon_thp 5\nanon 9", 0, 0, 9);    /* the last line without a newline */
        stat_one("file 100\nanon x\n", 0, -EINVAL, 0);
        stat_one("anon 12 \n", 0, -EINVAL, 0);
        stat_one("anon 18446744073709551616\n", 0, -EINVAL, 0);
        stat_one("", 0, -ENOENT, 0);
        stat_one("anon", 0, -ENOENT, 0);

        /* the CPU time's files, best first: v2 cpu.stat, the hybrid layout's unified cpu.stat, v1 cpuacct */
        cpu_file_one(v1, 0, 0, "/r/system.slice/web@1.service/cpu.stat", 0);
        cpu_file_one(v1, 1, 0, "/r/unified/system.slice/web@1.service/cpu.stat", 0);
        cpu_file_one(v1, 2, 0, "/r/cpuacct/system.slice/web@1.service/cpuacct.usage", 1);
        cpu_file_one(v1, 3, -ENOENT, NULL, 0);
        cpu_file_one("0::/a\n", 2, -ENOENT, NULL, 0);
        cpu_file_one("3:cpuacct:/b\n", 0, -ENOENT, NULL, 0);
        cpu_file_one("3:cpuacct:/b\n", 2, 0, "/r/cpuacct/b/cpuacct.usage", 1);
        cpu_file_one("3:cpu:/b\n", 2, -ENOENT, NULL, 0);
        cpu_file_one("0::/\n", 0, 0, "/r/cpu.stat", 0);
        cpu_file_one("0::/../x\n", 0, -EINVAL, NULL, 0);
        usage_one("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n", 0, 0, 123456);
        usage_one("nr_periods 0\nusage_usec 9", 0, 0, 9);
        usage_one("user_usec 5\n", 0, -ENOENT, 0);
        usage_one("usage_usec x\n", 0, -EINVAL, 0);
        usage_one("2500000000\n", 1, 0, 2500000);    /* cpuacct.usage: nanoseconds */
        usage_one("12ab\n", 1, -EINVAL, 0);

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
        snprintf(path, sizeof(path), "%s/memory.stat", sub);
        write_file(path, V1_STAT);
        snprintf(sub, sizeof(sub), "%s/v2app", argv[1]);
        mkdir(sub, 0755);
        snprintf(path, sizeof(path), "%s/memory.stat", sub);
        write_file(path, V2_STAT);
        find_one(argv[1], "3:memory:/app\n0::/v2app\n", "memory/app/memory.stat", 13881344);
        find_one(argv[1], "0::/v2app\n", "v2app/memory.stat", 52985856);
        snprintf(path, sizeof(path), "%s/no-such-file", argv[1]);
        r = memory_find_cgroup(path, argv[1], sub, sizeof(sub), &is_v1);
        if (r != -ENOENT) {
                printf("memory_find_cgroup of a missing file: %d, want -ENOENT\n", r);
                failures++;
        }
        snprintf(path, sizeof(path), "%s/no-such-cgroup/memory.stat", argv[1]);
        r = memory_read_cgroup(path, 0, &bytes);
        if (r != -ENOENT) {
                printf("memory_read_cgroup of a missing file: %d, want -ENOENT\n", r);
                failures++;
        }

        /* the CPU reader picks the first candidate that reads: here the hybrid layout's unified tree */
        snprintf(sub, sizeof(sub), "%s/unified", argv[1]);
        mkdir(sub, 0755);
        snprintf(sub, sizeof(sub), "%s/unified/cpuapp", argv[1]);
        mkdir(sub, 0755);
        snprintf(path, sizeof(path), "%s/cpu.stat", sub);
        write_file(path, "usage_usec 777\nuser_usec 700\n");
        snprintf(path, sizeof(path), "%s/proc-cgroup-cpu", argv[1]);
        write_file(path, "5:cpu,cpuacct:/cpuapp\n0::/cpuapp\n");
        r = cpu_find_cgroup(path, argv[1], sub, sizeof(sub), &is_v1);
        if (r != 0 || strstr(sub, "/unified/cpuapp/cpu.stat") == NULL || is_v1 || cpu_read_cgroup(sub, 0, &bytes) != 0 ||
            bytes != 777) {
                printf("cpu_find_cgroup: %d \"%s\", want the unified cpu.stat (777)\n", r, sub);
                failures++;
        }

        printf("test-memory: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
