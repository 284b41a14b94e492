/* SPDX-License-Identifier: MIT */
#pragma once
/* The watchdog's wedge test (pmgen-shim): how long the oldest connection has waited, not accepted, in the
 * accept queue of a listening TCP socket.
 *
 * A connection the app has not accept()ed yet is a full socket in the kernel's table with no file behind
 * it: NETLINK_SOCK_DIAG reports it with inode 0. The shim dumps the ESTABLISHED and CLOSE_WAIT sockets whose
 * local port is its own (a client that gave up leaves its connection in the queue, in CLOSE_WAIT), keeps
 * the time it first saw each such connection by its socket cookie, and calls the child wedged when one has
 * waited half the watchdog period. A busy server takes its queue in order, so no connection waits that
 * long, however long its queue is; a server that takes nothing lets the oldest age.
 *
 * Everything here is pure (no I/O): the request, the parser of the kernel's answer, the tracking. */
#include <stddef.h>
#include <stdint.h>

#define WEDGE_DIAG_REQ_SIZE 128
/* Connections tracked at most: a wedged queue has its oldest among the first ones seen. */
#define WEDGE_TRACK_MAX 64

typedef struct {
        uint64_t cookie;
        uint64_t since; /* first seen waiting (the caller's clock, ms) */
} wedge_conn;

typedef struct {
        wedge_conn c[WEDGE_TRACK_MAX];
        size_t n;
} wedge_track;

/* The dump request for the TCP sockets of family (AF_INET or AF_INET6) in states ESTABLISHED and
 * CLOSE_WAIT whose local port is port (host order), filtered in the kernel. Writes it into buf
 * (size >= WEDGE_DIAG_REQ_SIZE); returns its length, or -EINVAL. */
int wedge_diag_request(int family, uint16_t port, uint32_t seq, void *buf, size_t size);

/* One datagram of the kernel's answer: appends to cookies (up to max, *n counts them) the cookie of every
 * socket with local port port, inode 0 (not accepted) and state ESTABLISHED or CLOSE_WAIT. Returns 1 when
 * the dump is complete (NLMSG_DONE), 0 when more datagrams follow, -errno for an error answer,
 * -EBADMSG for a malformed one. */
int wedge_diag_parse(const void *buf, size_t len, uint16_t port, uint64_t *cookies, size_t max, size_t *n);

/* The connections waiting now are cookies[0..n): those seen before keep their time, new ones get now,
 * the rest (accepted or gone) are forgotten. Returns how long the oldest has waited, in ms (0: none). */
uint64_t wedge_track_update(wedge_track *t, const uint64_t *cookies, size_t n, uint64_t now);
