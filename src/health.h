/* SPDX-License-Identifier: MIT */
/* The health check (--health-url, --health-tcp, --health-cmd): the readiness verdict of every new child
 * (first start, reload, memory replacement) and the liveness of the serving one, which decides whether
 * the shim pings systemd's watchdog (shim.c, on_watchdog_tick).
 *
 * A check never blocks the loop: an HTTP GET or a TCP connect is a non-blocking socket in the shim's
 * poll set, a command is a forked /bin/sh bounded by --health-timeout (then SIGKILLed with its process
 * group). One check runs at a time.
 *
 * Which child answered. A check of "this instance's socket" (a URL that is only a path, --health-tcp=socket)
 * connects to the address of the listening socket the shim holds (getsockname; a wildcard address becomes
 * the loopback one). The kernel may hand that connection to any process that accepts on the socket (the
 * old and the new child during a reload) or, behind ReusePort=, to any instance of the app. So the
 * connection is attributed before the request is sent: until a process accepted it, the server side is
 * looked up by its address pair every HEALTH_ACCEPT_POLL_MS (NETLINK_SOCK_DIAG, the kernel's socket table:
 * its inode once a process accepted it), and the inode is looked for among the open files of the checked
 * child's process tree. Accepted by another process: the check is made again at once, and counts neither
 * way. Accepted by the child: the request goes out, and whatever comes back is the child's (a TCP check
 * passes then). A connection nobody accepted within the timeout counts against the child when this
 * instance's accept queue had connections waiting at every look-up (every HEALTH_ACCEPT_POLL_MS): a child
 * that takes connections empties it in between, a hung one does not. Where the sandbox forbids netlink, nothing can be
 * attributed: the answer then counts only when the checked child is the only one of this instance (no
 * reload in progress), and a neighbour instance behind ReusePort= may answer for it.
 *
 * health_target_parse, health_parse_status and health_diag_* are pure (no I/O). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum health_kind {
        HEALTH_NONE,
        HEALTH_URL,
        HEALTH_TCP,
        HEALTH_CMD,
} health_kind;

/* The longest path of a URL, and the request the shim sends. */
#define HEALTH_PATH_MAX 1024
#define HEALTH_REQUEST_MAX (HEALTH_PATH_MAX + 256)
/* How soon a check is made again when it could not tell (another process answered), and how often a new
 * child is checked until it passes. */
#define HEALTH_AGAIN_MS 20u
/* How often a check's connection is looked up until a process accepted it. */
#define HEALTH_ACCEPT_POLL_MS 10u
#define HEALTH_READY_RETRY_MS 250u
/* Inconclusive checks in a row before the serving child waits for the next interval. */
#define HEALTH_UNSURE_MAX 32u

typedef struct health_target {
        bool self;                    /* this instance's listening socket, looked up at each check */
        struct sockaddr_storage addr; /* otherwise this address */
        socklen_t addr_len;
        char host[80];                /* the URL's HOST[:PORT] for the Host: header ("" for self) */
        const char *path;             /* URL: the path (in the option string), "/" when none */
} health_target;

/* URL: "/PATH" (self) or "http://HOST[:PORT][/PATH]"; TCP: "socket" (self) or "HOST:PORT". HOST is an
 * IPv4 address, "[IPv6]" or "localhost" (no name lookups: they would block). -EINVAL when malformed. */
int health_target_parse(health_kind kind, const char *text, health_target *out);
int health_target_check(health_kind kind, const char *text);

/* The status of an HTTP response from its first bytes: 0 with *status, -EAGAIN when more bytes are
 * needed, -EBADMSG when it is not "HTTP/1.x NNN". */
int health_parse_status(const char *buf, size_t len, int *status);

/* The NETLINK_SOCK_DIAG request for the TCP socket whose local end is src and remote end dst (both of
 * one family): writes it into buf (size >= HEALTH_DIAG_REQ_SIZE), returns its length or -EINVAL. */
#define HEALTH_DIAG_REQ_SIZE 128
int health_diag_request(const struct sockaddr_storage *src, const struct sockaddr_storage *dst, void *buf,
                        size_t size);
/* The answer to it: 0 with *inode (0: nobody accepted it, or it was closed), -ENOENT when there is no such
 * socket, -EBADMSG when the answer is malformed. */
int health_diag_parse(const void *buf, size_t len, uint64_t *inode);
