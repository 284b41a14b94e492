/* SPDX-License-Identifier: MIT */
#include "shim/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool ipc_lines_feed(ipc_lines *l, const char *data, size_t n, const char *want) {
        size_t want_len = strlen(want);
        bool seen = false;
        const char *nl;
        size_t chunk;

        while (n > 0) {
                nl = memchr(data, '\n', n);
                chunk = nl ? (size_t) (nl - data) : n;
                if (!l->overflow && chunk <= sizeof(l->line) - l->len) {
                        memcpy(l->line + l->len, data, chunk);
                        l->len += chunk;
                } else
                        l->overflow = true;
                if (!nl)
                        break;
                if (!l->overflow && l->len == want_len && memcmp(l->line, want, want_len) == 0)
                        seen = true;
                l->len = 0;
                l->overflow = false;
                data = nl + 1;
                n -= chunk + 1;
        }
        return seen;
}

int ipc_open(int *shim_end, int *child_end) {
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;

                close(sv[0]);
                close(sv[1]);
                return r;
        }
        *shim_end = sv[0];
        *child_end = sv[1];
        return 0;
}

int ipc_send(int fd, const char *msg) {
        size_t len = strlen(msg);
        ssize_t n;

        do
                n = send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EAGAIN;
}
