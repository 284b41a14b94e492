/* SPDX-License-Identifier: MIT */
/* The memory figure behind --max-memory-restart (PM2's max_memory_restart).
 *
 * The preferred source is the instance's cgroup, which holds the app's whole process tree (and the shim,
 * a few hundred kB): found from /proc/self/cgroup, it is
 *   - cgroup v1 (the memory controller's "N:memory:/PATH" line): ROOT/memory/PATH/memory.usage_in_bytes;
 *   - cgroup v2 (the unified "0::/PATH" line, used only when no v1 memory line exists, so the hybrid
 *     layout's memory-less unified tree is not picked): ROOT/PATH/memory.current.
 * The fallback is the child's resident set from /proc/PID/statm (PM2 looks at the main pid only, too).
 *
 * memory_cgroup_file, memory_parse_* are pure; memory_find_cgroup and memory_read_* do small reads into
 * stack buffers. All return 0 or a negative errno, write their out-parameters only on success, never
 * print and never allocate. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEMORY_CGROUP_ROOT "/sys/fs/cgroup"

/* The file that holds the memory use of the cgroup that proc_cgroup (the text of /proc/PID/cgroup)
 * names, under the cgroup mount root, written to buf. -ENOENT: no memory v1 line and no v2 line;
 * -EINVAL: the path is not absolute or has a "." or ".." component (a cgroup outside our namespace);
 * -ENAMETOOLONG: buf is too small. */
int memory_cgroup_file(const char *proc_cgroup, const char *root, char *buf, size_t size);

/* A cgroup memory file's content: decimal bytes and an optional newline ("max" and anything else:
 * -EINVAL). */
int memory_parse_bytes(const char *text, uint64_t *out);

/* /proc/PID/statm's content: its second field (resident pages) times page_size. */
int memory_parse_statm(const char *text, uint64_t page_size, uint64_t *out);

/* A size on the command line: bytes, or a number with K, M or G (powers of 1024), at least 1 byte. */
int memory_parse_size(const char *s, uint64_t *out);

/* Reads proc_cgroup_path (normally /proc/self/cgroup) and resolves it with memory_cgroup_file. */
int memory_find_cgroup(const char *proc_cgroup_path, const char *root, char *buf, size_t size);

/* The current figure from a cgroup memory file. */
int memory_read_cgroup(const char *path, uint64_t *out);

/* The resident set of pid from /proc/PID/statm. -ESRCH when it is gone. */
int memory_read_rss(pid_t pid, uint64_t *out);
