/* SPDX-License-Identifier: MIT */
/* CPU and memory figures from cgroup files (src/cli/cgroup.c), on fixture trees laid
 * out as cgroup v2 (Debian 12, Ubuntu 22.04+, Fedora), the hybrid layout of the test
 * VMs (v1 controllers + "unified"), and v1 with cpu,cpuacct mounted together. The
 * sandbox tests read the real hybrid tree; the v2 layout is only here. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cgroup.h"

static char root[64];

static void put(const char *rel, const char *text) {
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

#define CG "/system.slice/system-api.slice/api@0.service"

static int setup(void **state) {
        (void) state;
        strcpy(root, "/tmp/pmgen-test-cgroup.XXXXXX");
        assert_non_null(mkdtemp(root));
        /* v2 */
        put("v2" CG "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
        put("v2" CG "/memory.current", "52428800\n");
        /* hybrid: cpu and cpuacct apart (cpuacct not realized per unit), unified has cpu.stat */
        put("hybrid/unified" CG "/cpu.stat", "usage_usec 42\n");
        put("hybrid/memory" CG "/memory.usage_in_bytes", "9060352\n");
        put("hybrid/cpuacct/cpuacct.usage", "999999999\n"); /* the root's: never used */
        /* v1 with cpu,cpuacct together */
        put("v1/cpu,cpuacct" CG "/cpuacct.usage", "123456789\n");
        /* broken files */
        put("bad/unified" CG "/cpu.stat", "user_usec 1\n");
        put("bad/memory" CG "/memory.usage_in_bytes", "12x\n");
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        (void) state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_trees(void **state) {
        static const struct {
                const char *layout, *cg;
                int cpu_r;
                uint64_t cpu;
                int mem_r;
                uint64_t mem;
        } rows[] = {
                { "v2", CG, 0, 1500000, 0, 52428800 },
                { "hybrid", CG, 0, 42000, 0, 9060352 },
                { "v1", CG, 0, 123456789, -ENOENT, 0 },
                { "bad", CG, -ENOENT, 0, -ENOENT, 0 },
                { "v2", "/system.slice/other.service", -ENOENT, 0, -ENOENT, 0 },
                { "v2", "relative", -EINVAL, 0, -EINVAL, 0 },
                { "v2", "/system.slice/../../etc", -EINVAL, 0, -EINVAL, 0 },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char r[128];
                uint64_t x = 0;

                snprintf(r, sizeof(r), "%s/%s", root, rows[i].layout);
                assert_int_equal(cgroup_cpu_nsec(r, rows[i].cg, &x), rows[i].cpu_r);
                if (rows[i].cpu_r == 0)
                        assert_int_equal(x, rows[i].cpu);
                assert_int_equal(cgroup_memory_bytes(r, rows[i].cg, &x), rows[i].mem_r);
                if (rows[i].mem_r == 0)
                        assert_int_equal(x, rows[i].mem);
        }
}

static void test_parse(void **state) {
        uint64_t x;

        (void) state;
        assert_int_equal(cgroup_parse_cpu_stat("usage_usec 7\n", &x), 0);
        assert_int_equal(x, 7);
        assert_int_equal(cgroup_parse_cpu_stat("user_usec 1\nusage_usec 8", &x), 0);
        assert_int_equal(x, 8);
        assert_int_equal(cgroup_parse_cpu_stat("usage_usec x\n", &x), -EINVAL);
        assert_int_equal(cgroup_parse_cpu_stat("usage_usec 9 9\n", &x), -EINVAL);
        assert_int_equal(cgroup_parse_cpu_stat("", &x), -EINVAL);
        assert_int_equal(cgroup_parse_u64("12\n", &x), 0);
        assert_int_equal(x, 12);
        assert_int_equal(cgroup_parse_u64("12", &x), 0);
        assert_int_equal(cgroup_parse_u64("-1\n", &x), -EINVAL);
        assert_int_equal(cgroup_parse_u64("1\n2\n", &x), -EINVAL);
        assert_int_equal(cgroup_parse_u64("99999999999999999999999\n", &x), -EINVAL);
}

static void test_rss(void **state) {
        char r[128], line[32];
        uint64_t x = 0;

        (void) state;
        /* this very process, listed in a fixture cgroup.procs */
        snprintf(line, sizeof(line), "%ld\n", (long) getpid());
        put("rss/unified" CG "/cgroup.procs", line);
        snprintf(r, sizeof(r), "%s/rss", root);
        assert_int_equal(cgroup_rss_bytes(r, CG, &x), 0);
        assert_true(x > 1024 * 1024);
        assert_int_equal(cgroup_rss_bytes(r, "/nope.service", &x), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trees),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_rss),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
