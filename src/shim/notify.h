/* SPDX-License-Identifier: MIT */
/* A child's own sd_notify socket. Every child gets NOTIFY_SOCKET pointing at a datagram socket of its
 * own that the shim reads, so READY=1 and STATUS= are known to come from that child (or a process it
 * started, which inherits the variable): during a reload the old and the new child never mix. The shim
 * alone talks to systemd (MAINPID stays the shim; a child's MAINPID= is ignored).
 *
 * The socket is $RUNTIME_DIRECTORY/notify.SEQ, mode 0600, when there is a runtime directory, else an
 * abstract name "@pmgen-shim/PID/SEQ". Messages from another uid than ours (or root) are dropped
 * (SCM_CREDENTIALS), which matters for the abstract name.
 *
 * notify_parse is pure; notify_open/notify_read/notify_close are thin socket helpers. Nothing prints or
 * allocates. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#define NOTIFY_PATH_MAX sizeof(((struct sockaddr_un *) 0)->sun_path)
#define NOTIFY_MSG_MAX 4096

typedef struct notify_msg {
        bool ready;             /* READY=1 */
        bool watchdog;          /* WATCHDOG=1 */
        bool stopping;          /* STOPPING=1 */
        const char *status;     /* STATUS= value (not NUL-terminated), or NULL */
        size_t status_len;
} notify_msg;

/* Reads the newline-separated assignments of one datagram. Unknown ones are ignored. */
void notify_parse(const char *msg, size_t len, notify_msg *out);

/* Creates the child's socket (O_CLOEXEC|O_NONBLOCK, SO_PASSCRED). dir: the runtime directory or NULL.
 * env_value receives what NOTIFY_SOCKET must be (a path, or "@name"). */
int notify_open(const char *dir, unsigned long long seq, int *ret_fd, char *env_value, size_t size);

/* Receives one datagram into buf (NUL-terminated, size >= 2). Returns its length, 0 for one to ignore
 * (another uid, or empty), -EAGAIN when none is waiting. */
int notify_read(int fd, char *buf, size_t size);

/* Closes fd and removes the socket file (env_value as notify_open wrote it). NULL-safe on fd < 0. */
void notify_close(int fd, const char *env_value);
