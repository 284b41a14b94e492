/* SPDX-License-Identifier: MIT */
/* The listening sockets the shim holds for the instance (from systemd, at fd 3 …) and the care they get:
 *   - their inodes, by which the serving check (serving.h) recognises them in a child;
 *   - repair after a child exits: a child can shutdown() the shared listener or listen() it again with a
 *     smaller backlog; SO_ACCEPTCONN and TCP_INFO tell, and listen() from the shim restores it;
 *   - the accept queue (TCP_INFO on a listening socket: tcpi_unacked waiting, tcpi_sacked the backlog),
 *     for the watchdog's "wedged" test;
 *   - sticky sessions: a classic BPF program on the reuseport group (SO_ATTACH_REUSEPORT_CBPF) that picks
 *     the group's socket by a hash of the client's address.
 *
 * sticky_program is pure; the rest are thin wrappers around getsockopt/listen/setsockopt. Nothing prints
 * or allocates. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#define STICKY_PROGRAM_LEN 19

typedef struct held_socket {
        int fd;
        uint64_t ino;
        bool listening_stream;  /* SOCK_STREAM and listening when the shim started */
        bool tcp;
        unsigned backlog;       /* what listen() restores: --backlog, else the backlog found at start */
        bool keep_backlog;      /* --backlog was given: a child's other backlog is set back too */
} held_socket;

/* Fills h for fd; backlog: the --backlog given, or 0 (the one the socket has is used to listen again,
 * and a child may change it). */
int sockets_hold(int fd, unsigned backlog, held_socket *h);

typedef enum repair_result {
        REPAIR_NONE,            /* fine as it was */
        REPAIR_RELISTENED,      /* it did not listen any more: listen() again */
        REPAIR_BACKLOG,         /* it listened with another backlog: set back */
} repair_result;

/* Checks a held listening socket and repairs it. *old_backlog receives what it had (REPAIR_BACKLOG). */
int sockets_repair(const held_socket *h, repair_result *result, unsigned *old_backlog);

/* The accept queue of a TCP listening socket: connections waiting, and the backlog limit. */
int sockets_queue(int fd, unsigned *waiting, unsigned *limit);

/* The sticky program for a group of group_size sockets: IPv4 source address, or the XOR of the four
 * words of an IPv6 one, times a multiplicative hash constant, >> 16, mod group_size. out must hold
 * STICKY_PROGRAM_LEN instructions. */
void sticky_program(unsigned group_size, struct sock_filter *out);

/* Attaches it to the reuseport group of fd (any member will do; it replaces the group's program). */
int sockets_attach_sticky(int fd, unsigned group_size);
