/* SPDX-License-Identifier: MIT */
#include "shim/notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void notify_parse(const char *msg, size_t len, notify_msg *out) {
        const char *p = msg, *end = msg + len, *eol;
        size_t n;

        *out = (notify_msg) { 0 };
        for (; p < end; p = eol + 1) {
                eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                n = (size_t) (eol - p);
                if (n == 7 && memcmp(p, "READY=1", 7) == 0)
                        out->ready = true;
                else if (n == 10 && memcmp(p, "WATCHDOG=1", 10) == 0)
                        out->watchdog = true;
                else if (n == 10 && memcmp(p, "STOPPING=1", 10) == 0)
                        out->stopping = true;
                else if (n >= 7 && memcmp(p, "STATUS=", 7) == 0) {
                        out->status = p + 7;
                        out->status_len = n - 7;
                }
        }
}

int notify_open(const char *dir, unsigned long long seq, int *ret_fd, char *env_value, size_t size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t sa_len;
        int fd, one = 1, n, r = 0;

        if (dir)
                n = snprintf(env_value, size, "%s/notify.%llu", dir, seq);
        else
                n = snprintf(env_value, size, "@pmgen-shim/%ld/%llu", (long) getpid(), seq);
        if (n < 0 || (size_t) n >= size || (size_t) n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, env_value, (size_t) n);
        if (!dir)
                sa.sun_path[0] = '\0'; /* abstract */
        sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + (size_t) n + (dir ? 1 : 0));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                r = -errno;
        if (r == 0 && dir && unlink(env_value) < 0 && errno != ENOENT)
                r = -errno;
        if (r == 0) {
                mode_t old = umask(0177);

                if (bind(fd, (struct sockaddr *) &sa, sa_len) < 0)
                        r = -errno;
                umask(old);
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int notify_read(int fd, char *buf, size_t size) {
        union {
                struct cmsghdr h;
                char space[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *c;
        struct ucred cred = { .uid = (uid_t) -1 };
        ssize_t n;

        do
                n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        /* fds sent along (FDSTORE=1) are not ours to keep */
                        int *fds = (int *) (void *) CMSG_DATA(c);
                        size_t i, nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (i = 0; i < nfd; i++)
                                close(fds[i]);
                }
        }
        if ((cred.uid != 0 && cred.uid != geteuid()) || (size_t) n >= size || n == 0)
                return 0; /* a stranger, a truncated message, or nothing */
        buf[n] = '\0';
        return (int) n;
}

void notify_close(int fd, const char *env_value) {
        if (fd < 0)
                return;
        close(fd);
        if (env_value && env_value[0] == '/')
                unlink(env_value);
}
