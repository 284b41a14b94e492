/* SPDX-License-Identifier: MIT */
#include "shim/backoff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t backoff_next(uint64_t prev_ms, uint64_t run_ms, uint64_t base_ms) {
        uint64_t next;

        if (run_ms >= BACKOFF_RESET_MS)
                return 0;
        if (prev_ms == 0)
                next = base_ms;
        else if (prev_ms >= BACKOFF_MAX_MS)
                next = BACKOFF_MAX_MS;
        else
                next = prev_ms + prev_ms / 2;
        return next < BACKOFF_MAX_MS ? next : BACKOFF_MAX_MS;
}

static int parse_u64(const char *s, const char **end, uint64_t *out) {
        unsigned long long v;
        char *e;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno != 0)
                return -EINVAL;
        *end = e;
        *out = v;
        return 0;
}

int backoff_parse(const char *text, backoff_state *out) {
        uint64_t delay, start;
        const char *p;

        if (parse_u64(text, &p, &delay) < 0 || *p != ' ')
                return -EINVAL;
        if (parse_u64(p + 1, &p, &start) < 0)
                return -EINVAL;
        if (*p == '\n')
                p++;
        if (*p != '\0')
                return -EINVAL;
        out->delay_ms = delay < BACKOFF_MAX_MS ? delay : BACKOFF_MAX_MS;
        out->start_ms = start;
        return 0;
}

int backoff_format(char *buf, size_t size, const backoff_state *st) {
        int n;

        n = snprintf(buf, size, "%llu %llu\n", (unsigned long long) st->delay_ms,
                     (unsigned long long) st->start_ms);
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        return n;
}

int backoff_load(const char *path, backoff_state *out) {
        char buf[BACKOFF_TEXT_MAX + 1];
        size_t len = 0;
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* Read one byte more than a valid file can hold, so an oversized one is rejected. */
        while (len < sizeof(buf) - 1) {
                n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len >= BACKOFF_TEXT_MAX || memchr(buf, '\0', len)) {
                r = -EINVAL;
                goto out;
        }
        buf[len] = '\0';
        r = backoff_parse(buf, out);
out:
        close(fd);
        return r;
}

int backoff_store(const char *path, const char *tmp_path, const backoff_state *st) {
        char buf[BACKOFF_TEXT_MAX];
        size_t off = 0;
        ssize_t n;
        int fd, len, r = 0;

        len = backoff_format(buf, sizeof(buf), st);
        if (len < 0)
                return len;
        fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        while (off < (size_t) len) {
                n = write(fd, buf + off, (size_t) len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto out;
                }
                off += (size_t) n;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto out;
        }
        r = close(fd) < 0 ? -errno : 0;
        fd = -1;
        if (r == 0 && rename(tmp_path, path) < 0)
                r = -errno;
out:
        if (fd >= 0)
                close(fd);
        if (r < 0)
                unlink(tmp_path);
        return r;
}
