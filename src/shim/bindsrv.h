/* SPDX-License-Identifier: MIT */
/* The shim's side of libpmgen-bind.so (src/preload/bind-proto.h): the listening
 * sockets an app without a declared port asks for, created once, kept for the
 * shim's life, and handed to every child that binds the same address. */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

#define BINDSRV_MAX 16
#define BINDSRV_FDNAME "pmgen-bind" /* FDNAME= of these sockets in systemd's fd store */

typedef struct bindsrv_sock {
        struct sockaddr_storage addr; /* as bound (getsockname) */
        socklen_t len;
        int v6only;                   /* -1 for AF_INET */
        int fd;
} bindsrv_sock;

typedef struct bindsrv {
        bindsrv_sock s[BINDSRV_MAX];
        unsigned n;
        int backlog;
} bindsrv;

void bindsrv_init(bindsrv *b, int backlog);
/* Takes over a socket systemd passed back from the fd store (FDNAME=pmgen-bind):
 * 0, or -errno when it is not a listening TCP socket (the caller closes it). */
int bindsrv_adopt(bindsrv *b, int fd);
/* Serves one request waiting on chan (the shim's end of PMGEN_BIND_FD). *created is
 * set to the new socket's fd when one was made (the caller stores it with FDSTORE=1),
 * else -1. Returns 0, or -errno when the channel is broken (close it). */
int bindsrv_handle(bindsrv *b, int chan, int *created);
/* "tcp 0.0.0.0:3000, tcp [::]:3000" for describe/STATUS. */
void bindsrv_describe(const bindsrv *b, char *buf, size_t size);
void bindsrv_close_all(bindsrv *b);
