/* SPDX-License-Identifier: MIT */
/* CPU and memory figures of a unit's cgroup, read from the cgroup file systems when
 * systemd does not report them over sd-bus (CPUUsageNSec is "[not set]" on cgroup
 * v1 hierarchies where cpu and cpuacct are mounted apart, as on the test VMs).
 *
 * `root` is where the hierarchies are mounted (/sys/fs/cgroup; a fixture tree in
 * the tests), `cg` the unit's ControlGroup ("/system.slice/system-api.slice/api@0.service").
 * Tried in this order:
 *   CPU:    v2 ROOT/CG/cpu.stat usage_usec, hybrid ROOT/unified/CG/cpu.stat,
 *           v1 ROOT/cpu,cpuacct/CG/cpuacct.usage, ROOT/cpuacct/CG/cpuacct.usage
 *   memory: v2 ROOT/CG/memory.current, v1 ROOT/memory/CG/memory.usage_in_bytes
 * Only the unit's own cgroup counts: a parent's figures would be other units' too.
 * 0, or -ENOENT when no hierarchy has the figure, -EINVAL for a bad cg. */
#pragma once

#include <stdint.h>

int cgroup_cpu_nsec(const char *root, const char *cg, uint64_t *ret);
int cgroup_memory_bytes(const char *root, const char *cg, uint64_t *ret);
/* The last resort for memory (a user manager on cgroup v1 has no memory cgroup of
 * its own): the resident set of every process listed in CG/cgroup.procs (v2,
 * ROOT/unified or ROOT/systemd), from /proc/PID/statm. */
int cgroup_rss_bytes(const char *root, const char *cg, uint64_t *ret);

/* "usage_usec 123\nuser_usec …" → 123. 0 or -EINVAL. Pure. */
int cgroup_parse_cpu_stat(const char *text, uint64_t *usec);
/* One decimal number and a newline, as cpuacct.usage and memory.current hold. Pure. */
int cgroup_parse_u64(const char *text, uint64_t *ret);
