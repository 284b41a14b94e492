/* SPDX-License-Identifier: MIT */
/* The shim's control socket: how `systemctl reload NAME@N` (ExecReload=+pmgen-shim --reload) reaches the
 * running shim and waits for the outcome.
 *
 * The socket is AF_UNIX SOCK_SEQPACKET at $RUNTIME_DIRECTORY/control (the unit's RuntimeDirectory=, which
 * its ExecReload= sees too), mode 0600, made by the shim as the app's user; the shim answers only peers
 * with its own uid or root (SO_PEERCRED). One request per connection, one message each way:
 *
 *   request  "reload\0"                       reload with the environment the shim has
 *            "reload-env\0" ENTRY\0 …         reload; the child's environment is the shim's own with each
 *                                             "NAME=VALUE" set and each "-NAME" removed (envfile_merge)
 *            "retire\0"                       the instance is going away (`pmgen scale` down): shut the
 *                                             listening sockets down, so that the kernel moves what is queued
 *                                             on them to the other instances' sockets
 *                                             (net.ipv4.tcp_migrate_req=1) and sends them no more; answered
 *                                             at once; the app is stopped as usual afterwards
 *   answer   "ok TEXT" or "fail TEXT"         TEXT is one line for the operator
 *
 * The answer comes when the reload is over: the new child is ready and the old one has exited, or the
 * new one was given up (the old one still serves). A request while a reload runs is answered "fail" at
 * once: two reloads never interleave.
 *
 * control_parse is pure; the rest are thin socket helpers. None print; all return 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_NAME "control"
/* The largest request: the command plus an environment of up to 64 KiB. */
#define CONTROL_REQUEST_MAX (64 * 1024 + 64)
#define CONTROL_ANSWER_MAX 512

typedef struct control_request {
        bool retire;            /* "retire": take the sockets out of service (scale-down) */
        bool with_env;          /* "reload-env": entries/len hold the list */
        const char *entries;    /* points into the message */
        size_t len;
} control_request;

/* Parses a request message. -EINVAL for an unknown command or a list that is not NUL-terminated. */
int control_parse(const char *msg, size_t len, control_request *out);

/* Creates, binds (replacing a stale socket file) and listens on dir/control; path receives the path
 * (for control_close). The fd is O_CLOEXEC|O_NONBLOCK. -ENAMETOOLONG when the path does not fit. */
int control_listen(const char *dir, int *ret_fd, char *path, size_t path_size);

/* Accepts one connection (O_CLOEXEC|O_NONBLOCK). -EPERM (the connection closed) for a peer that is
 * neither root nor our uid; -EAGAIN when there was none. */
int control_accept(int listen_fd, int *ret_fd);

/* Sends "ok TEXT"/"fail TEXT" without blocking and without SIGPIPE. */
int control_answer(int fd, bool ok, const char *text);

/* The client side: connects to path, sends the request (env: a packed list, or NULL for plain
 * "reload"), and waits for the answer, which lands in answer (NUL-terminated). */
int control_request_reload(const char *path, const char *env, size_t env_len, char *answer, size_t size);
