/* SPDX-License-Identifier: MIT */
/* The watchdog's wedge test: the socket-table request, the parser of the kernel's answer, and the aging of
 * the connections that wait (src/wedge.c). */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "wedge.h"

static void test_request(void **state) {
        unsigned char buf[WEDGE_DIAG_REQ_SIZE];
        const struct nlmsghdr *h = (const void *) buf;
        const struct inet_diag_req_v2 *r = NLMSG_DATA(h);
        const struct rtattr *a = (const void *) (r + 1);
        const struct inet_diag_bc_op *op = RTA_DATA(a);
        int len;

        (void) state;
        len = wedge_diag_request(AF_INET6, 8080, 7, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(h->nlmsg_len, len);
        assert_int_equal(h->nlmsg_type, SOCK_DIAG_BY_FAMILY);
        assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
        assert_int_equal(h->nlmsg_seq, 7);
        assert_int_equal(r->sdiag_family, AF_INET6);
        assert_int_equal(r->sdiag_protocol, IPPROTO_TCP);
        assert_int_equal(r->idiag_states, 1u << 1 | 1u << 8); /* ESTABLISHED, CLOSE_WAIT */
        assert_int_equal(a->rta_type, INET_DIAG_REQ_BYTECODE);
        assert_int_equal(RTA_PAYLOAD(a), 4 * sizeof(*op));
        /* sport >= 8080, then sport <= 8080; each "no" jumps 4 bytes past the end (reject) */
        assert_int_equal(op[0].code, INET_DIAG_BC_S_GE);
        assert_int_equal(op[0].yes, 8);
        assert_int_equal(op[0].no, 20);
        assert_int_equal(op[1].no, 8080);
        assert_int_equal(op[2].code, INET_DIAG_BC_S_LE);
        assert_int_equal(op[2].yes, 8);
        assert_int_equal(op[2].no, 12);
        assert_int_equal(op[3].no, 8080);
        assert_int_equal(wedge_diag_request(AF_INET, 80, 1, buf, sizeof(buf)), len);
        assert_int_equal(wedge_diag_request(AF_UNIX, 80, 1, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(wedge_diag_request(AF_INET, 0, 1, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(wedge_diag_request(AF_INET, 80, 1, buf, 16), -EINVAL);
}

/* Appends one SOCK_DIAG_BY_FAMILY record to buf at *off. */
static void put_sock(unsigned char *buf, size_t *off, uint16_t sport, uint8_t state, uint32_t inode, uint64_t cookie) {
        struct nlmsghdr *h = (void *) (buf + *off);
        struct inet_diag_msg *m = NLMSG_DATA(h);

        memset(h, 0, NLMSG_SPACE(sizeof(*m)));
        h->nlmsg_len = NLMSG_LENGTH(sizeof(*m));
        h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        m->idiag_family = AF_INET6;
        m->idiag_state = state;
        m->idiag_inode = inode;
        m->id.idiag_sport = htons(sport);
        m->id.idiag_cookie[0] = (uint32_t) cookie;
        m->id.idiag_cookie[1] = (uint32_t) (cookie >> 32);
        *off += NLMSG_SPACE(sizeof(*m));
}

static void put_type(unsigned char *buf, size_t *off, uint16_t type, int error) {
        struct nlmsghdr *h = (void *) (buf + *off);

        memset(h, 0, NLMSG_SPACE(sizeof(struct nlmsgerr)));
        h->nlmsg_type = type;
        h->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int));
        if (type == NLMSG_ERROR)
                ((struct nlmsgerr *) NLMSG_DATA(h))->error = error;
        *off += NLMSG_ALIGN(h->nlmsg_len);
}

static void test_parse(void **state) {
        unsigned char buf[4096];
        uint64_t cookies[4];
        size_t off = 0, n = 0;

        (void) state;
        put_sock(buf, &off, 8080, 1, 0, 0x100000001ull); /* waiting: counted */
        put_sock(buf, &off, 8080, 1, 777, 2);            /* accepted (it has a file): not counted */
        put_sock(buf, &off, 8081, 1, 0, 3);              /* another port */
        put_sock(buf, &off, 8080, 10, 0, 4);             /* LISTEN */
        put_sock(buf, &off, 8080, 8, 0, 5);              /* CLOSE_WAIT: the client gave up, still queued */
        assert_int_equal(wedge_diag_parse(buf, off, 8080, cookies, 4, &n), 0); /* no NLMSG_DONE yet */
        assert_int_equal(n, 2);
        assert_true(cookies[0] == 0x100000001ull);
        assert_true(cookies[1] == 5);
        /* the next datagram ends the dump; max bounds what is kept */
        off = 0;
        put_sock(buf, &off, 8080, 1, 0, 6);
        put_sock(buf, &off, 8080, 1, 0, 7);
        put_sock(buf, &off, 8080, 1, 0, 8);
        put_type(buf, &off, NLMSG_DONE, 0);
        assert_int_equal(wedge_diag_parse(buf, off, 8080, cookies, 4, &n), 1);
        assert_int_equal(n, 4);
        assert_true(cookies[3] == 7);
        /* errors */
        off = 0;
        put_type(buf, &off, NLMSG_ERROR, -EINVAL);
        n = 0;
        assert_int_equal(wedge_diag_parse(buf, off, 8080, cookies, 4, &n), -EINVAL);
        off = 0;
        put_type(buf, &off, NLMSG_ERROR, 0);
        assert_int_equal(wedge_diag_parse(buf, off, 8080, cookies, 4, &n), -EBADMSG);
        off = 0;
        put_sock(buf, &off, 8080, 1, 0, 9);
        assert_int_equal(wedge_diag_parse(buf, off - 1, 8080, cookies, 4, &n), -EBADMSG); /* cut short */
        assert_int_equal(wedge_diag_parse(buf, 3, 8080, cookies, 4, &n), -EBADMSG);
        ((struct nlmsghdr *) (void *) buf)->nlmsg_type = RTM_NEWLINK;
        assert_int_equal(wedge_diag_parse(buf, off, 8080, cookies, 4, &n), -EBADMSG);
}

static void test_track(void **state) {
        wedge_track t = { .n = 0 };
        const uint64_t a[] = { 1, 2, 3 }, busy[] = { 3, 4, 5 }, later[] = { 5, 6 }, dup[] = { 6, 6, 6 };
        uint64_t many[WEDGE_TRACK_MAX + 10];

        (void) state;
        assert_int_equal(wedge_track_update(&t, NULL, 0, 1000), 0);
        assert_int_equal(wedge_track_update(&t, a, 3, 1000), 0);
        /* a busy server: 1 and 2 were taken, 3 still waits (since 1000), 4 and 5 are new */
        assert_int_equal(wedge_track_update(&t, busy, 3, 1500), 500);
        assert_int_equal(t.n, 3);
        /* 3 and 4 were taken: the oldest is 5, seen at 1500 */
        assert_int_equal(wedge_track_update(&t, later, 2, 2500), 1000);
        /* a queue that never moves ages */
        assert_int_equal(wedge_track_update(&t, later, 2, 4000), 2500);
        assert_int_equal(wedge_track_update(&t, dup, 3, 4100), 1600); /* 5 was taken; 6 waits since 2500 */
        assert_int_equal(t.n, 1);
        /* an empty queue forgets everything */
        assert_int_equal(wedge_track_update(&t, NULL, 0, 5000), 0);
        assert_int_equal(t.n, 0);
        for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
                many[i] = 100 + i;
        assert_int_equal(wedge_track_update(&t, many, sizeof(many) / sizeof(many[0]), 6000), 0);
        assert_int_equal(t.n, WEDGE_TRACK_MAX);
        assert_int_equal(wedge_track_update(&t, many, sizeof(many) / sizeof(many[0]), 9000), 3000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_track),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
