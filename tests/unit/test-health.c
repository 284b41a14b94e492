/* SPDX-License-Identifier: MIT */
/* The health check's pure parsers (src/health.c): targets, the HTTP status line, the socket-table
 * request and its answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

/* kind, text → -EINVAL, or self / the address as "ADDR PORT" / the Host: / the path. */
static void test_target_one(health_kind kind, const char *text, int expected_r, bool self, const char *addr,
                            const char *host, const char *path) {
        health_target t;
        char buf[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];
        int r = health_target_parse(kind, text, &t);

        assert_int_equal(r, expected_r);
        assert_int_equal(health_target_check(kind, text), expected_r);
        if (r < 0)
                return;
        assert_int_equal(t.self, self);
        if (!self) {
                if (t.addr.ss_family == AF_INET) {
                        const struct sockaddr_in *in = (const struct sockaddr_in *) &t.addr;

                        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
                        snprintf(buf, sizeof(buf), "%s %u", ip, ntohs(in->sin_port));
                        assert_int_equal(t.addr_len, sizeof(*in));
                } else {
                        const struct sockaddr_in6 *in = (const struct sockaddr_in6 *) &t.addr;

                        assert_int_equal(t.addr.ss_family, AF_INET6);
                        inet_ntop(AF_INET6, &in->sin6_addr, ip, sizeof(ip));
                        snprintf(buf, sizeof(buf), "%s %u", ip, ntohs(in->sin6_port));
                        assert_int_equal(t.addr_len, sizeof(*in));
                }
                assert_string_equal(buf, addr);
                assert_string_equal(t.host, host);
        }
        if (kind == HEALTH_URL)
                assert_string_equal(t.path, path);
}

static void test_targets(void **state) {
        (void) state;
        test_target_one(HEALTH_URL, "/healthz", 0, true, NULL, NULL, "/healthz");
        test_target_one(HEALTH_URL, "/a?b=c&d=%20", 0, true, NULL, NULL, "/a?b=c&d=%20");
        test_target_one(HEALTH_URL, "http://127.0.0.1:8080/ping", 0, false, "127.0.0.1 8080", "127.0.0.1:8080", "/ping");
        test_target_one(HEALTH_URL, "http://10.0.0.2", 0, false, "10.0.0.2 80", "10.0.0.2", "/");
        test_target_one(HEALTH_URL, "http://localhost:3000/", 0, false, "127.0.0.1 3000", "localhost:3000", "/");
        test_target_one(HEALTH_URL, "http://[::1]:9000/x", 0, false, "::1 9000", "[::1]:9000", "/x");
        test_target_one(HEALTH_URL, "http://[::1]/x", 0, false, "::1 80", "[::1]", "/x");
        test_target_one(HEALTH_URL, "healthz", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "/a b", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "/a\r\nX-Evil: 1", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "https://127.0.0.1/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://example.com/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://127.0.0.1:0/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://127.0.0.1:65536/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://127.0.0.1:/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://127.0.0.1:80x/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http://[::1/", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_URL, "http:///x", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_TCP, "socket", 0, true, NULL, NULL, NULL);
        test_target_one(HEALTH_TCP, "127.0.0.1:6379", 0, false, "127.0.0.1 6379", "127.0.0.1:6379", NULL);
        test_target_one(HEALTH_TCP, "[::1]:5432", 0, false, "::1 5432", "[::1]:5432", NULL);
        test_target_one(HEALTH_TCP, "127.0.0.1", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_TCP, "6379", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_TCP, "db:5432", -EINVAL, false, NULL, NULL, NULL);
        test_target_one(HEALTH_CMD, "true", -EINVAL, false, NULL, NULL, NULL);
}

static void test_status_one(const char *text, int expected_r, int expected_status) {
        int status = -1;

        assert_int_equal(health_parse_status(text, strlen(text), &status), expected_r);
        if (expected_r == 0)
                assert_int_equal(status, expected_status);
}

static void test_status(void **state) {
        (void) state;
        test_status_one("HTTP/1.1 200 OK\r\n", 0, 200);
        test_status_one("HTTP/1.0 503 Service Unavailable\r\n", 0, 503);
        test_status_one("HTTP/1.1 204\r\n", 0, 204);
        test_status_one("HTTP/1.1 302", 0, 302);
        test_status_one("HTTP/1.1 20", -EAGAIN, 0);
        test_status_one("HTTP/", -EAGAIN, 0);
        test_status_one("", -EAGAIN, 0);
        test_status_one("HTTP/2 200 OK\r\n", -EBADMSG, 0);
        test_status_one("SSH-2.0-OpenSSH", -EBADMSG, 0);
        test_status_one("HTTP/1.1 2000 OK", -EBADMSG, 0);
        test_status_one("HTTP/1.1 2x0 OK", -EBADMSG, 0);
}

static void test_diag(void **state) {
        struct sockaddr_storage src = { 0 }, dst = { 0 }, six = { 0 };
        struct sockaddr_in *s4 = (struct sockaddr_in *) &src, *d4 = (struct sockaddr_in *) &dst;
        unsigned char buf[HEALTH_DIAG_REQ_SIZE];
        const struct nlmsghdr *h = (const void *) buf;
        const struct inet_diag_req_v2 *req = NLMSG_DATA(h);
        struct {
                struct nlmsghdr nlh;
                union {
                        struct inet_diag_msg msg;
                        struct nlmsgerr err;
                };
        } ans;
        uint64_t inode = 0;
        int len;

        (void) state;
        s4->sin_family = d4->sin_family = AF_INET;
        s4->sin_port = htons(8080);
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        d4->sin_port = htons(40000);
        d4->sin_addr.s_addr = htonl(0x7f000002);
        len = health_diag_request(&src, &dst, buf, sizeof(buf));
        assert_int_equal(len, (int) (sizeof(struct nlmsghdr) + sizeof(struct inet_diag_req_v2)));
        assert_int_equal(h->nlmsg_len, len);
        assert_int_equal(h->nlmsg_type, SOCK_DIAG_BY_FAMILY);
        assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST); /* one socket, not a dump */
        assert_int_equal(req->sdiag_family, AF_INET);
        assert_int_equal(req->sdiag_protocol, IPPROTO_TCP);
        assert_int_equal(req->id.idiag_sport, htons(8080));
        assert_int_equal(req->id.idiag_dport, htons(40000));
        assert_int_equal(req->id.idiag_src[0], htonl(INADDR_LOOPBACK));
        assert_int_equal(req->id.idiag_dst[0], htonl(0x7f000002));
        assert_int_equal(req->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
        six.ss_family = AF_INET6;
        assert_int_equal(health_diag_request(&src, &six, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(health_diag_request(&src, &dst, buf, 8), -EINVAL);

        memset(&ans, 0, sizeof(ans));
        ans.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        ans.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
        ans.msg.idiag_inode = 4242;
        assert_int_equal(health_diag_parse(&ans, sizeof(ans), &inode), 0);
        assert_int_equal(inode, 4242);
        assert_int_equal(health_diag_parse(&ans, 4, &inode), -EBADMSG);
        ans.nlh.nlmsg_type = NLMSG_ERROR;
        ans.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
        ans.err.error = -ENOENT;
        assert_int_equal(health_diag_parse(&ans, sizeof(ans), &inode), -ENOENT);
        ans.err.error = -EPERM;
        assert_int_equal(health_diag_parse(&ans, sizeof(ans), &inode), -EPERM);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_targets),
                cmocka_unit_test(test_status),
                cmocka_unit_test(test_diag),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
