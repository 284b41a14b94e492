/* SPDX-License-Identifier: MIT */
/* The Node IPC channel the shim gives its child for --wait-ready and --shutdown-with-message.
 *
 * A socketpair(AF_UNIX, SOCK_STREAM): the child gets its end at a fixed fd announced as NODE_CHANNEL_FD
 * (with NODE_CHANNEL_SERIALIZATION_MODE=json), so Node sets up process.send()/'message'. Messages are
 * newline-delimited JSON: process.send('ready') arrives as the line "ready" in quotes, and the shim's
 * "shutdown" line reaches the app as process.on('message') with 'shutdown' (what PM2 sends).
 *
 * ipc_lines is a line scanner over a fixed buffer: it only has to recognise short lines, so a longer one
 * is skipped to its newline without being stored. Nothing here allocates or prints; functions return 0
 * or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define IPC_READY "\"ready\""
#define IPC_SHUTDOWN "\"shutdown\"\n"
/* The longest line ipc_lines can match. */
#define IPC_LINE_MAX 32

typedef struct ipc_lines {
        size_t len;              /* bytes of the current line in line[] */
        bool overflow;           /* the current line is longer than line[]: it matches nothing */
        char line[IPC_LINE_MAX];
} ipc_lines;

/* Feeds n bytes of the stream. True when a complete line equal to want (without its newline) was among
 * them; a partial line is kept for the next call. */
bool ipc_lines_feed(ipc_lines *l, const char *data, size_t n, const char *want);

/* Creates the pair, both ends O_CLOEXEC; the shim's end is also O_NONBLOCK, the child's is not (it gets
 * its own open file description). */
int ipc_open(int *shim_end, int *child_end);

/* Writes msg in one go without blocking and without SIGPIPE. -EAGAIN when it does not fit (a partial
 * write counts as that), -EPIPE/-ECONNRESET when the child closed its end. */
int ipc_send(int fd, const char *msg);
