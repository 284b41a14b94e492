/* SPDX-License-Identifier: MIT */
/* Whether a child serves the listening sockets the shim passed it: the readiness check for apps that do
 * not say so themselves (no READY=1, no process.send('ready')).
 *
 * A process serves a socket when it waits for connections on it, which /proc shows without the app's
 * help:
 *   - event-loop servers (Node/libuv, Python asyncio, Go, Java NIO …) have the socket in an epoll set:
 *     /proc/PID/fdinfo/EPFD lists "tfd: N events: … ino:HEX", the socket's inode;
 *   - blocking servers sit in accept()/accept4() on it: /proc/PID/task/TID/syscall starts with that
 *     syscall's number and the fd, whose /proc/PID/fd/FD link names the socket's inode;
 *   - poll()/select() loops (Python's socketserver, many C servers) sit in poll, ppoll, select or
 *     pselect6: their fd list (a struct pollfd array, or a read fd_set) is read from the process with
 *     process_vm_readv (allowed: the shim's own descendants, same user).
 * The child and its descendants are looked at (an app started through a wrapper script serves from a
 * grandchild). Sockets are told apart by inode, so one the child dup()ed or got at another number counts.
 * A socket shared with the instance's other processes (the old child during a reload) is the same
 * inode, but only the child's own tree is scanned.
 *
 * serving_parse_* are pure; serving_scan reads /proc with stack buffers only. Nothing prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this many sockets are tracked (a bit each). */
#define SERVING_MAX_SOCKETS 64

/* Parses one "tfd:" line of an epoll fdinfo; marks in *seen the bit of every inos[i] it names. Other
 * lines are ignored. */
void serving_parse_fdinfo_line(const char *line, size_t len, const uint64_t *inos, size_t n, uint64_t *seen);

/* Parses /proc/PID/task/TID/syscall: the syscall number and its first two arguments. -EINVAL for
 * "running" or a process not in a syscall ("-1 …"). */
int serving_parse_syscall(const char *text, long *nr, unsigned long long *arg0, unsigned long long *arg1);

/* Scans root's process tree; ORs into *seen the bits of the sockets (inos[0..n)) that are served.
 * -ESRCH when root is gone. */
int serving_scan(pid_t root, const uint64_t *inos, size_t n, uint64_t *seen);
