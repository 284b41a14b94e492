/* SPDX-License-Identifier: MIT */
/* A child's process tree, from /proc: its descendants (for the memory figure, the serving check and the
 * clean-up after a replaced child) and its anonymous memory.
 *
 * Descendants come from /proc/PID/task/TID/children (every thread's list: a child forked by any thread
 * counts). Directories are read with getdents64 into stack buffers, so a scan allocates nothing (the
 * shim samples every second). A process that disappears during a scan is skipped.
 *
 * proctree_parse_* are pure. All return 0 or a negative errno and never print. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How many processes a scan looks at, the root included; a bigger tree is cut there. */
#define PROCTREE_MAX 256

typedef struct proc_id {
        pid_t pid;
        unsigned long long start;  /* start time in clock ticks (field 22 of /proc/PID/stat): tells a
                                    * process from a later one with the same PID */
} proc_id;

/* Whitespace-separated PIDs (the text of a children file) appended to out[*n…max). */
void proctree_parse_pids(const char *text, pid_t *out, size_t *n, size_t max);

/* The start time from the text of /proc/PID/stat (after the last ')'). */
int proctree_parse_start(const char *text, unsigned long long *out);

/* The CPU time in clock ticks from the text of /proc/PID/stat: utime + stime + cutime + cstime (fields
 * 14-17: its own and that of the children it has waited for). */
int proctree_parse_cpu(const char *text, unsigned long long *out);

/* The CPU time (clock ticks) of pid's tree. */
int proctree_cpu(pid_t pid, unsigned long long *ticks);

/* /proc/PID/statm: (resident - shared) pages times page_size, that is RssAnon (file-backed and shared
 * memory resident pages are not counted). */
int proctree_parse_statm_anon(const char *text, uint64_t page_size, uint64_t *out);

/* pid and its descendants, breadth first, pid first. *n receives the count (>= 1 when pid exists).
 * -ESRCH when pid is gone. */
int proctree_list(pid_t pid, pid_t *out, size_t max, size_t *n);

/* The sum of RssAnon over pid's tree; *n_procs (may be NULL) the number of processes counted. */
int proctree_anon(pid_t pid, uint64_t *bytes, size_t *n_procs);

/* The same over the processes below the calling process (itself not counted): with the shim a
 * subreaper, the app and everything it started, those whose parent died included. */
int proctree_anon_below_self(uint64_t *bytes, size_t *n_procs);

/* The identity of a live process (for a later proctree_same). */
int proctree_id(pid_t pid, proc_id *out);

/* Whether the process id names still exists (same PID, same start time). */
int proctree_same(const proc_id *id);

/* Calls fn(name, arg) for every entry of the directory at path, "." and ".." excluded, stopping when fn
 * returns non-zero (that value is returned). */
int proctree_each_entry(const char *path, int (*fn)(const char *name, void *arg), void *arg);

/* Reads all of path into buf (NUL-terminated); -EFBIG when it does not fit. */
int proctree_read_file(const char *path, char *buf, size_t size);
