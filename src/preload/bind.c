/* SPDX-License-Identifier: MIT */
/* libpmgen-bind.so: gives a cluster-mode app the listening socket its shim holds.
 *
 * Loaded with LD_PRELOAD by pmgen-shim for apps that declare no port (the app picks
 * its port in code). It wraps bind() and listen():
 *   bind(fd, addr) of a TCP socket (AF_INET/AF_INET6) to a non-zero port asks the
 *   shim (over the socket in PMGEN_BIND_FD, see bind-proto.h) for the socket of that
 *   address and dup3()s it over fd, keeping fd's O_NONBLOCK and FD_CLOEXEC;
 *   listen(fd, n) on such a socket uses the unit's backlog (PMGEN_BACKLOG) instead of
 *   n, so the app cannot shrink the queue every instance shares.
 * Anything else (UDP, Unix sockets, port 0, no PMGEN_BIND_FD, or a socket the shim
 * refuses with an error other than a real bind error) goes to the real bind().
 * Statically linked programs (Go) never see this library: declare a port instead.
 *
 * No heap, no globals beyond a small table guarded by a mutex; async-signal-safety
 * is not required (bind/listen are not called from signal handlers). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/bind-proto.h"

#define MAX_SHARED 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        dev_t dev;
        ino_t ino;
} shared[MAX_SHARED];
static unsigned n_shared;

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*listen_fn)(int, int);

static int env_int(const char *name, int dflt) {
        const char *s = getenv(name);
        char *end = NULL;
        long v;

        if (!s || !*s)
                return dflt;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > 1 << 20)
                return dflt;
        return (int) v;
}

static int is_shared(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return 0;
        for (unsigned i = 0; i < n_shared; i++)
                if (shared[i].dev == st.st_dev && shared[i].ino == st.st_ino)
                        return 1;
        return 0;
}

static void remember(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0 || is_shared(fd) || n_shared == MAX_SHARED)
                return;
        shared[n_shared].dev = st.st_dev;
        shared[n_shared].ino = st.st_ino;
        n_shared++;
}

/* Asks the shim; returns a new fd, or -errno. */
static int ask_shim(int chan, const struct sockaddr *addr, socklen_t len, int v6only) {
        struct pmgen_bind_req req;
        struct pmgen_bind_rep rep;
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { &rep, sizeof(rep) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        ssize_t n;

        memset(&req, 0, sizeof(req));
        req.magic = PMGEN_BIND_MAGIC;
        req.version = PMGEN_BIND_VERSION;
        req.v6only = v6only;
        req.addrlen = len;
        memcpy(&req.addr, addr, len);
        do
                n = send(chan, &req, sizeof(req), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t) sizeof(req))
                return -EIO;
        do
                n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t) sizeof(rep) || rep.magic != PMGEN_BIND_MAGIC)
                return -EIO;
        if (rep.error != 0)
                return -rep.error;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(c), sizeof(fd));
                        return fd;
                }
        return -EIO;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        static bind_fn real_bind;
        int chan = env_int("PMGEN_BIND_FD", -1), type = 0, v6only = -1, r;
        socklen_t tl = sizeof(type);

        if (!real_bind)
                real_bind = (bind_fn) dlsym(RTLD_NEXT, "bind");
        if (!real_bind) {
                errno = ENOSYS;
                return -1;
        }
        if (chan < 0 || !addr || len > sizeof(struct sockaddr_storage) ||
            (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
                return real_bind(fd, addr, len);
        if (addr->sa_family == AF_INET && (len < sizeof(struct sockaddr_in) || ((const struct sockaddr_in *) addr)->sin_port == 0))
                return real_bind(fd, addr, len);
        if (addr->sa_family == AF_INET6 &&
            (len < sizeof(struct sockaddr_in6) || ((const struct sockaddr_in6 *) addr)->sin6_port == 0))
                return real_bind(fd, addr, len);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
                return real_bind(fd, addr, len);
        if (addr->sa_family == AF_INET6) {
                socklen_t vl = sizeof(v6only);

                if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &vl) < 0)
                        v6only = 0;
        }

        int saved = errno, fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

        pthread_mutex_lock(&lock);
        r = ask_shim(chan, addr, len, v6only);
        if (r >= 0) {
                int got = r;

                if (fl >= 0 && (fl & O_NONBLOCK))
                        (void) fcntl(got, F_SETFL, fcntl(got, F_GETFL) | O_NONBLOCK);
                r = dup3(got, fd, fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
                close(got);
                if (r >= 0) {
                        remember(fd);
                        r = 0;
                } else
                        r = -errno;
        }
        pthread_mutex_unlock(&lock);
        if (r == -EIO) /* the shim is gone or confused: behave as without pmgen */
                return real_bind(fd, addr, len);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        errno = saved;
        return 0;
}

int listen(int fd, int backlog) {
        static listen_fn real_listen;
        int ours;

        if (!real_listen)
                real_listen = (listen_fn) dlsym(RTLD_NEXT, "listen");
        if (!real_listen) {
                errno = ENOSYS;
                return -1;
        }
        pthread_mutex_lock(&lock);
        ours = n_shared > 0 && is_shared(fd);
        pthread_mutex_unlock(&lock);
        if (ours)
                backlog = env_int("PMGEN_BACKLOG", backlog);
        return real_listen(fd, backlog);
}
