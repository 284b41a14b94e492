/* SPDX-License-Identifier: MIT */
/* The watchdog's wedge test: the socket-table request, its parser, and the tracking of waiting
 * connections (wedge.h). No I/O. */
#include "wedge.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

enum { TCP_STATE_ESTABLISHED = 1, TCP_STATE_CLOSE_WAIT = 8 };

int wedge_diag_request(int family, uint16_t port, uint32_t seq, void *buf, size_t size) {
        /* sport >= port && sport <= port: a jump past the end of the program rejects (iproute2's encoding) */
        const struct inet_diag_bc_op prog[4] = {
                { INET_DIAG_BC_S_GE, 8, 20 }, { 0, 0, port }, { INET_DIAG_BC_S_LE, 8, 12 }, { 0, 0, port },
        };
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 r;
                struct rtattr rta;
                struct inet_diag_bc_op prog[4];
        } req;

        if ((family != AF_INET && family != AF_INET6) || port == 0 || size < sizeof(req) ||
            sizeof(req) > WEDGE_DIAG_REQ_SIZE)
                return -EINVAL;
        memset(&req, 0, sizeof(req));
        req.nlh.nlmsg_len = sizeof(req);
        req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.nlh.nlmsg_seq = seq;
        req.r.sdiag_family = (uint8_t) family;
        req.r.sdiag_protocol = IPPROTO_TCP;
        req.r.idiag_states = 1u << TCP_STATE_ESTABLISHED | 1u << TCP_STATE_CLOSE_WAIT;
        req.rta.rta_len = RTA_LENGTH(sizeof(prog));
        req.rta.rta_type = INET_DIAG_REQ_BYTECODE;
        memcpy(req.prog, prog, sizeof(prog));
        memcpy(buf, &req, sizeof(req));
        return (int) sizeof(req);
}

int wedge_diag_parse(const void *buf, size_t len, uint16_t port, uint64_t *cookies, size_t max, size_t *n) {
        const char *p = buf;

        while (len > 0) {
                const struct nlmsghdr *h = (const struct nlmsghdr *) (const void *) p;
                size_t step;

                if (len < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
                        return -EBADMSG;
                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = NLMSG_DATA(h);

                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error >= 0)
                                return -EBADMSG;
                        return e->error;
                }
                if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                        return -EBADMSG;
                {
                        const struct inet_diag_msg *m = NLMSG_DATA(h);

                        if (m->idiag_inode == 0 && ntohs(m->id.idiag_sport) == port &&
                            (m->idiag_state == TCP_STATE_ESTABLISHED || m->idiag_state == TCP_STATE_CLOSE_WAIT) &&
                            *n < max)
                                cookies[(*n)++] = (uint64_t) m->id.idiag_cookie[0] |
                                                  (uint64_t) m->id.idiag_cookie[1] << 32;
                }
                step = NLMSG_ALIGN(h->nlmsg_len);
                if (step >= len)
                        break;
                p += step;
                len -= step;
        }
        return 0;
}

uint64_t wedge_track_update(wedge_track *t, const uint64_t *cookies, size_t n, uint64_t now) {
        wedge_track next = { .n = 0 };
        uint64_t oldest = now;

        for (size_t i = 0; i < n && next.n < WEDGE_TRACK_MAX; i++) {
                uint64_t since = now;
                bool dup = false;

                for (size_t k = 0; k < next.n; k++)
                        dup = dup || next.c[k].cookie == cookies[i];
                if (dup)
                        continue;
                for (size_t k = 0; k < t->n; k++)
                        if (t->c[k].cookie == cookies[i]) {
                                since = t->c[k].since;
                                break;
                        }
                next.c[next.n++] = (wedge_conn){ .cookie = cookies[i], .since = since };
                if (since < oldest)
                        oldest = since;
        }
        *t = next;
        return now - oldest;
}
