/* SPDX-License-Identifier: MIT */
/* The pure parts of the health check (pmgen-shim's --health-*): its target, the HTTP status line, the
 * socket-table request. model.c checks a declared target with the same parser. */
#include "health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HOST[:PORT] (port_needed: the port must be there) into out. */
static int parse_authority(const char *s, size_t len, bool port_needed, unsigned dflt_port, health_target *out) {
        char host[64];
        const char *colon = NULL;
        size_t hlen;
        unsigned long port = dflt_port;
        struct sockaddr_in *in4 = (struct sockaddr_in *) &out->addr;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &out->addr;

        if (len == 0 || len >= sizeof(out->host))
                return -EINVAL;
        if (s[0] == '[') {
                const char *close = memchr(s, ']', len);

                if (!close)
                        return -EINVAL;
                hlen = (size_t) (close - s) - 1;
                if (hlen == 0 || hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, hlen);
                if (close + 1 < s + len) {
                        if (close[1] != ':')
                                return -EINVAL;
                        colon = close + 1;
                }
        } else {
                colon = memchr(s, ':', len);
                hlen = colon ? (size_t) (colon - s) : len;
                if (hlen == 0 || hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, hlen);
        }
        host[hlen] = '\0';
        if (colon) {
                char num[8], *end;
                size_t nlen = (size_t) (s + len - colon - 1);

                if (nlen == 0 || nlen >= sizeof(num) || colon[1] < '0' || colon[1] > '9')
                        return -EINVAL;
                memcpy(num, colon + 1, nlen);
                num[nlen] = '\0';
                port = strtoul(num, &end, 10);
                if (*end || port == 0 || port > 65535)
                        return -EINVAL;
        } else if (port_needed)
                return -EINVAL;
        memset(&out->addr, 0, sizeof(out->addr));
        if (s[0] == '[') {
                if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
                        return -EINVAL;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                out->addr_len = sizeof(*in6);
        } else {
                if (strcmp(host, "localhost") == 0)
                        strcpy(host, "127.0.0.1");
                if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
                        return -EINVAL;
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t) port);
                out->addr_len = sizeof(*in4);
        }
        memcpy(out->host, s, len);
        out->host[len] = '\0';
        return 0;
}

/* A path that can go in a request line as it is: printable, no spaces. */
static bool path_ok(const char *p) {
        size_t n = strlen(p);

        if (n == 0 || n > HEALTH_PATH_MAX || p[0] != '/')
                return false;
        for (; *p; p++)
                if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

int health_target_parse(health_kind kind, const char *text, health_target *out) {
        health_target t = { 0 };
        const char *slash;
        int r;

        if (kind == HEALTH_URL) {
                if (text[0] == '/') {
                        if (!path_ok(text))
                                return -EINVAL;
                        t.self = true;
                        t.path = text;
                } else {
                        if (strncmp(text, "http://", 7) != 0)
                                return -EINVAL;
                        text += 7;
                        slash = strchr(text, '/');
                        r = parse_authority(text, slash ? (size_t) (slash - text) : strlen(text), false, 80, &t);
                        if (r < 0)
                                return r;
                        t.path = slash ? slash : "/";
                        if (!path_ok(t.path))
                                return -EINVAL;
                }
        } else if (kind == HEALTH_TCP) {
                if (strcmp(text, "socket") == 0)
                        t.self = true;
                else if ((r = parse_authority(text, strlen(text), true, 0, &t)) < 0)
                        return r;
        } else
                return -EINVAL;
        *out = t;
        return 0;
}

int health_target_check(health_kind kind, const char *text) {
        health_target t;

        return health_target_parse(kind, text, &t);
}

int health_parse_status(const char *buf, size_t len, int *status) {
        static const char prefix[] = "HTTP/1.";
        size_t n = len < 12 ? len : 12, i;

        for (i = 0; i < n; i++) {
                char c = buf[i];
                bool ok = i < 7 ? c == prefix[i] : i == 7 ? (c >= '0' && c <= '9') : i == 8 ? c == ' '
                                                                                         : (c >= '0' && c <= '9');
                if (!ok)
                        return -EBADMSG;
        }
        if (len < 12 || (len > 12 && buf[12] != ' ' && buf[12] != '\r'))
                return len < 12 ? -EAGAIN : -EBADMSG;
        *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
        return 0;
}

static int diag_addr(const struct sockaddr_storage *a, __be16 *port, __be32 addr[4]) {
        memset(addr, 0, 16);
        if (a->ss_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) a;

                *port = in->sin_port;
                memcpy(addr, &in->sin_addr, 4);
                return 0;
        }
        if (a->ss_family == AF_INET6) {
                const struct sockaddr_in6 *in = (const struct sockaddr_in6 *) a;

                *port = in->sin6_port;
                memcpy(addr, &in->sin6_addr, 16);
                return 0;
        }
        return -EINVAL;
}

int health_diag_request(const struct sockaddr_storage *src, const struct sockaddr_storage *dst, void *buf,
                        size_t size) {
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 r;
        } req;

        if (size < sizeof(req) || sizeof(req) > HEALTH_DIAG_REQ_SIZE || src->ss_family != dst->ss_family)
                return -EINVAL;
        memset(&req, 0, sizeof(req));
        req.nlh.nlmsg_len = sizeof(req);
        req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        req.nlh.nlmsg_flags = NLM_F_REQUEST;
        req.nlh.nlmsg_seq = 1;
        req.r.sdiag_family = (uint8_t) src->ss_family;
        req.r.sdiag_protocol = IPPROTO_TCP;
        req.r.idiag_states = ~0u;
        req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
        if (diag_addr(src, &req.r.id.idiag_sport, req.r.id.idiag_src) < 0 ||
            diag_addr(dst, &req.r.id.idiag_dport, req.r.id.idiag_dst) < 0)
                return -EINVAL;
        memcpy(buf, &req, sizeof(req));
        return (int) sizeof(req);
}

int health_diag_parse(const void *buf, size_t len, uint64_t *inode) {
        const struct nlmsghdr *h = buf;

        if (len < sizeof(*h) || h->nlmsg_len > len || h->nlmsg_len < sizeof(*h))
                return -EBADMSG;
        if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);

                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                        return -EBADMSG;
                return e->error == 0 ? -EBADMSG : e->error == -ENOENT ? -ENOENT : e->error;
        }
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                return -EBADMSG;
        *inode = ((const struct inet_diag_msg *) NLMSG_DATA(h))->idiag_inode;
        return 0;
}
