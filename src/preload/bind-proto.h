/* SPDX-License-Identifier: MIT */
/* The protocol between libpmgen-bind.so (in the app) and pmgen-shim.
 *
 * For a cluster-mode app that declares no port, the shim starts the app with
 * LD_PRELOAD=libpmgen-bind.so and PMGEN_BIND_FD=N, one end of a SOCK_SEQPACKET
 * socketpair. When the app bind()s a TCP socket to a non-zero port, the library
 * sends a pmgen_bind_req and the shim answers with a pmgen_bind_rep carrying, when
 * error == 0, one file descriptor (SCM_RIGHTS): a listening socket for that address,
 * created once by the shim with SO_REUSEPORT and the unit's backlog, and kept (and
 * put in systemd's fd store) for the shim's whole life. The library dup3()s it over
 * the app's own socket, so the app's listen()/accept() use the shared socket.
 * Every instance's shim does the same, so the kernel spreads connections over the
 * instances, and a reloaded or restarted child gets the very same socket. */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#define PMGEN_BIND_MAGIC 0x706d6762u /* "pmgb" */
#define PMGEN_BIND_VERSION 1u

struct pmgen_bind_req {
        uint32_t magic;
        uint32_t version;
        int32_t v6only;                 /* IPV6_V6ONLY of the app's socket (AF_INET6), else -1 */
        uint32_t addrlen;
        struct sockaddr_storage addr;   /* what the app passed to bind() */
};

struct pmgen_bind_rep {
        uint32_t magic;
        int32_t error;                  /* 0: a socket follows (SCM_RIGHTS); else an errno for bind() */
};
