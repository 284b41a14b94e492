/* SPDX-License-Identifier: MIT */
#include "shim/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CMD_RELOAD "reload"
#define CMD_RELOAD_ENV "reload-env"
#define CMD_RETIRE "retire"

int control_parse(const char *msg, size_t len, control_request *out) {
        size_t cmd_len = strnlen(msg, len);
        control_request r = { 0 };

        if (cmd_len == len)
                return -EINVAL; /* no NUL after the command */
        if (strcmp(msg, CMD_RELOAD) == 0) {
                if (cmd_len + 1 != len)
                        return -EINVAL;
        } else if (strcmp(msg, CMD_RETIRE) == 0) {
                if (cmd_len + 1 != len)
                        return -EINVAL;
                r.retire = true;
        } else if (strcmp(msg, CMD_RELOAD_ENV) == 0) {
                r.with_env = true;
                r.entries = msg + cmd_len + 1;
                r.len = len - cmd_len - 1;
                if (r.len > 0 && r.entries[r.len - 1] != '\0')
                        return -EINVAL;
        } else
                return -EINVAL;
        *out = r;
        return 0;
}

static int unix_address(const char *path, struct sockaddr_un *sa) {
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

int control_listen(const char *dir, int *ret_fd, char *path, size_t path_size) {
        struct sockaddr_un sa;
        int fd, r, n;

        n = snprintf(path, path_size, "%s/" CONTROL_NAME, dir);
        if (n < 0 || (size_t) n >= path_size)
                return -ENAMETOOLONG;
        r = unix_address(path, &sa);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (unlink(path) < 0 && errno != ENOENT)
                r = -errno;
        /* 0600 from the start (umask: fchmod() does not apply to a socket's file). */
        if (r == 0) {
                mode_t old = umask(0177);

                if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        r = -errno;
                umask(old);
        }
        if (r == 0 && listen(fd, 4) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int control_accept(int listen_fd, int *ret_fd) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int fd;

        do
                fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != 0 && cred.uid != geteuid())) {
                close(fd);
                return -EPERM;
        }
        *ret_fd = fd;
        return 0;
}

int control_answer(int fd, bool ok, const char *text) {
        char buf[CONTROL_ANSWER_MAX];
        int n = snprintf(buf, sizeof(buf), "%s %s", ok ? "ok" : "fail", text);
        ssize_t w;

        if (n < 0)
                return -EINVAL;
        if ((size_t) n >= sizeof(buf))
                n = sizeof(buf) - 1;
        do
                w = send(fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        return w < 0 ? -errno : 0;
}

int control_request_reload(const char *path, const char *env, size_t env_len, char *answer, size_t size) {
        const char *cmd = env ? CMD_RELOAD_ENV : CMD_RELOAD;
        size_t cmd_len = strlen(cmd) + 1;
        struct sockaddr_un sa;
        char *msg = NULL;
        ssize_t n;
        int fd, r;

        r = unix_address(path, &sa);
        if (r < 0)
                return r;
        if (cmd_len + env_len > CONTROL_REQUEST_MAX)
                return -E2BIG;
        msg = malloc(cmd_len + env_len);
        if (!msg)
                return -ENOMEM;
        memcpy(msg, cmd, cmd_len);
        if (env_len)
                memcpy(msg + cmd_len, env, env_len);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                goto out;
        }
        do
                n = send(fd, msg, cmd_len + env_len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EPIPE && errno != ECONNRESET) {
                r = -errno;
                goto out;
        }
        /* EPIPE: the shim refused at once and closed; its answer is still there to read. */
        do
                n = recv(fd, answer, size - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                r = -errno;
        else if (n == 0)
                r = -ECONNRESET; /* the shim went away without an answer */
        else
                answer[n] = '\0';
out:
        if (fd >= 0)
                close(fd);
        free(msg);
        return r;
}
