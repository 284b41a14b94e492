/* SPDX-License-Identifier: MIT */
#include "bindsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload/bind-proto.h"

void bindsrv_init(bindsrv *b, int backlog) {
        memset(b, 0, sizeof(*b));
        b->backlog = backlog > 0 ? backlog : 4096;
}

static int v6only_of(int fd, int family) {
        int v = 0;
        socklen_t l = sizeof(v);

        if (family != AF_INET6)
                return -1;
        return getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l) < 0 ? 0 : v;
}

static bool same(const bindsrv_sock *s, const struct sockaddr *a, int v6only) {
        if (s->addr.ss_family != a->sa_family)
                return false;
        if (a->sa_family == AF_INET) {
                const struct sockaddr_in *x = (const void *) &s->addr, *y = (const void *) a;

                return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        const struct sockaddr_in6 *x = (const void *) &s->addr, *y = (const void *) a;

        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
               s->v6only == v6only;
}

int bindsrv_adopt(bindsrv *b, int fd) {
        bindsrv_sock *s;
        int type = 0, acc = 0;
        socklen_t l = sizeof(type);

        if (b->n == BINDSRV_MAX)
                return -ENOSPC;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM)
                return -EBADF;
        l = sizeof(acc);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0 || !acc)
                return -EBADF;
        s = &b->s[b->n];
        s->len = sizeof(s->addr);
        if (getsockname(fd, (struct sockaddr *) &s->addr, &s->len) < 0)
                return -errno;
        if (s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6)
                return -EAFNOSUPPORT;
        s->v6only = v6only_of(fd, s->addr.ss_family);
        s->fd = fd;
        b->n++;
        return 0;
}

/* The socket for (addr, v6only): an existing one, or a new one. 0 or -errno. */
static int socket_for(bindsrv *b, const struct sockaddr *a, socklen_t len, int v6only, int *fd, int *created) {
        int one = 1, s;

        for (unsigned i = 0; i < b->n; i++)
                if (same(&b->s[i], a, v6only)) {
                        *fd = b->s[i].fd;
                        return 0;
                }
        if (b->n == BINDSRV_MAX)
                return -EMFILE;
        s = socket(a->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
            (a->sa_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
            bind(s, a, len) < 0 || listen(s, b->backlog) < 0) {
                int e = errno;

                close(s);
                return -e;
        }
        if (bindsrv_adopt(b, s) < 0) {
                close(s);
                return -EIO;
        }
        *fd = s;
        *created = s;
        return 0;
}

int bindsrv_handle(bindsrv *b, int chan, int *created) {
        struct pmgen_bind_req req;
        struct pmgen_bind_rep rep = { PMGEN_BIND_MAGIC, 0 };
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { &rep, sizeof(rep) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;
        int fd = -1;

        *created = -1;
        n = recv(chan, &req, sizeof(req), MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -ECONNRESET;
        if (n != (ssize_t) sizeof(req) || req.magic != PMGEN_BIND_MAGIC || req.version != PMGEN_BIND_VERSION ||
            req.addrlen > sizeof(req.addr) || (req.addr.ss_family != AF_INET && req.addr.ss_family != AF_INET6))
                rep.error = EINVAL;
        else {
                int r = socket_for(b, (const struct sockaddr *) &req.addr, req.addrlen,
                                   req.addr.ss_family == AF_INET6 ? (req.v6only ? 1 : 0) : -1, &fd, created);

                rep.error = r < 0 ? -r : 0;
        }
        if (rep.error == 0) {
                struct cmsghdr *c;

                memset(cbuf, 0, sizeof(cbuf));
                mh.msg_control = cbuf;
                mh.msg_controllen = sizeof(cbuf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        do
                n = sendmsg(chan, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        return n == (ssize_t) sizeof(rep) ? 0 : -EPIPE;
}

void bindsrv_describe(const bindsrv *b, char *buf, size_t size) {
        size_t off = 0;

        if (size)
                buf[0] = '\0';
        for (unsigned i = 0; i < b->n && off < size; i++) {
                char ip[INET6_ADDRSTRLEN] = "?";
                unsigned port;
                int w;

                if (b->s[i].addr.ss_family == AF_INET) {
                        const struct sockaddr_in *a = (const void *) &b->s[i].addr;

                        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
                        port = ntohs(a->sin_port);
                        w = snprintf(buf + off, size - off, "%stcp %s:%u", i ? ", " : "", ip, port);
                } else {
                        const struct sockaddr_in6 *a = (const void *) &b->s[i].addr;

                        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
                        port = ntohs(a->sin6_port);
                        w = snprintf(buf + off, size - off, "%stcp [%s]:%u", i ? ", " : "", ip, port);
                }
                if (w < 0)
                        break;
                off += (size_t) w;
        }
}

void bindsrv_close_all(bindsrv *b) {
        for (unsigned i = 0; i < b->n; i++)
                close(b->s[i].fd);
        b->n = 0;
}
