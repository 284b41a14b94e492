/* SPDX-License-Identifier: MIT */
/* The memory figure behind --max-memory-restart (PM2's max_memory_restart): ANONYMOUS memory only. Page
 * cache is not the app's to give back (an app that reads big files would be "over the limit" while using
 * little), and neither are the mapped binary and libraries (Node's own text is ~50 MB of RSS).
 *
 * The default source is the child's process tree (proctree_anon: RssAnon = statm resident - shared,
 * summed over the child and its descendants). It is per child, so during a reload the old child's
 * memory does not count against the new one, and it is the same on cgroup v1 and v2.
 *
 * --memory-source=cgroup reads the instance's cgroup instead (the whole unit: the shim, both children
 * during a reload, any orphan). Found from /proc/self/cgroup, it is
 *   - cgroup v1 (the memory controller's "N:memory:/PATH" line): ROOT/memory/PATH/memory.stat, field
 *     total_rss (anonymous and swap cache, transparent huge pages included: total_rss_huge is a part of
 *     it, not an addition);
 *   - cgroup v2 (the unified "0::/PATH" line, used only when no v1 memory line exists, so the hybrid
 *     layout's memory-less unified tree is not picked): ROOT/PATH/memory.stat, field anon (THP included).
 * Not memory.usage_in_bytes / memory.current: those count the page cache.
 *
 * memory_cgroup_file, memory_parse_* are pure; memory_find_cgroup and memory_read_cgroup do small reads
 * into stack buffers. All return 0 or a negative errno, write their out-parameters only on success, never
 * print and never allocate. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEMORY_CGROUP_ROOT "/sys/fs/cgroup"

/* The memory.stat file of the cgroup that proc_cgroup (the text of /proc/PID/cgroup) names, under the
 * cgroup mount root, written to buf; *v1 tells which hierarchy it is in. -ENOENT: no memory v1 line and
 * no v2 line; -EINVAL: the path is not absolute or has a "." or ".." component (a cgroup outside our
 * namespace); -ENAMETOOLONG: buf is too small. */
int memory_cgroup_file(const char *proc_cgroup, const char *root, char *buf, size_t size, int *v1);

/* A memory.stat file's content: the bytes of anonymous memory ("total_rss" for v1, "anon" for v2).
 * -ENOENT when the field is missing, -EINVAL when its value is not a number. */
int memory_parse_stat(const char *text, int v1, uint64_t *out);

/* A size on the command line: bytes, or a number with K, M or G (powers of 1024), at least 1 byte. */
int memory_parse_size(const char *s, uint64_t *out);

/* Reads proc_cgroup_path (normally /proc/self/cgroup) and resolves it with memory_cgroup_file. */
int memory_find_cgroup(const char *proc_cgroup_path, const char *root, char *buf, size_t size, int *v1);

/* The current figure from a cgroup's memory.stat. */
int memory_read_cgroup(const char *path, int v1, uint64_t *out);

/* The CPU time behind --max-cpu-restart with --cpu-source=cgroup: the instance's cgroup's, everything in it
 * (the app, what it started, the orphans the shim reaped), from which the shim takes its own.
 * cpu_cgroup_file writes candidate k of the file that holds it for the cgroup proc_cgroup names, best first:
 *   k = 0: cgroup v2's cpu.stat (usage_usec), ROOT/PATH/cpu.stat from the "0::/PATH" line;
 *   k = 1: the same under ROOT/unified (the hybrid layout's v2 tree, whose cpu.stat needs no controller);
 *   k = 2: cgroup v1's ROOT/cpuacct/PATH/cpuacct.usage (nanoseconds) from the line that has cpuacct.
 * *v1 tells the format. -ENOENT: no line for k (or k past 2); -EINVAL, -ENAMETOOLONG as above. Pure. */
int cpu_cgroup_file(const char *proc_cgroup, const char *root, int k, char *buf, size_t size, int *v1);
/* Microseconds of CPU from such a file's text. -ENOENT: no usage_usec; -EINVAL: not a number. Pure. */
int cpu_parse_usage(const char *text, int v1, uint64_t *usec);
/* Reads proc_cgroup_path and returns the first candidate that can be read and parsed. */
int cpu_find_cgroup(const char *proc_cgroup_path, const char *root, char *buf, size_t size, int *v1);
int cpu_read_cgroup(const char *path, int v1, uint64_t *usec);
