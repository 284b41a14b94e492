/* SPDX-License-Identifier: MIT */
#include "shim/sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

static int tcp_info(int fd, struct tcp_info *ti) {
        socklen_t len = sizeof(*ti);

        memset(ti, 0, sizeof(*ti));
        return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) < 0 ? -errno : 0;
}

int sockets_hold(int fd, unsigned backlog, held_socket *h) {
        int type = 0, acc = 0, proto = 0;
        socklen_t len;
        struct tcp_info ti;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        *h = (held_socket) { .fd = fd, .ino = (uint64_t) st.st_ino };
        if (!S_ISSOCK(st.st_mode))
                return 0;
        len = sizeof(type);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
                return 0;
        len = sizeof(acc);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
                acc = 0;
        len = sizeof(proto);
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
                proto = 0;
        h->listening_stream = type == SOCK_STREAM && acc;
        h->tcp = h->listening_stream && proto == IPPROTO_TCP;
        h->backlog = backlog;
        h->keep_backlog = backlog != 0;
        if (!backlog && h->tcp && tcp_info(fd, &ti) == 0)
                h->backlog = ti.tcpi_sacked;
        return 0;
}

int sockets_repair(const held_socket *h, repair_result *result, unsigned *old_backlog) {
        struct tcp_info ti;
        socklen_t len;
        int acc = 0;

        *result = REPAIR_NONE;
        if (!h->listening_stream)
                return 0;
        len = sizeof(acc);
        if (getsockopt(h->fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
                return -errno;
        if (!acc) {
                if (listen(h->fd, h->backlog ? (int) h->backlog : SOMAXCONN) < 0)
                        return -errno;
                *result = REPAIR_RELISTENED;
                return 0;
        }
        if (h->tcp && h->keep_backlog && tcp_info(h->fd, &ti) == 0 && ti.tcpi_sacked != h->backlog) {
                *old_backlog = ti.tcpi_sacked;
                if (listen(h->fd, (int) h->backlog) < 0)
                        return -errno;
                *result = REPAIR_BACKLOG;
        }
        return 0;
}

int sockets_queue(int fd, unsigned *waiting, unsigned *limit) {
        struct tcp_info ti;
        int r = tcp_info(fd, &ti);

        if (r < 0)
                return r;
        if (ti.tcpi_state != 10 /* TCP_LISTEN */)
                return -ENOTCONN;
        *waiting = ti.tcpi_unacked;
        *limit = ti.tcpi_sacked;
        return 0;
}

void sticky_program(unsigned group_size, struct sock_filter *out) {
        /* Classic BPF runs on the SYN with its data past the TCP header; SKF_NET_OFF reaches the IP
         * header. Loads that fail end the program with 0 (the group's first socket). */
        const struct sock_filter prog[STICKY_PROGRAM_LEN] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t) SKF_NET_OFF),
                /* 1 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
                /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 2, 0),
                /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) SKF_NET_OFF + 12), /* IPv4 source */
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0),                          /* to 15 */
                /* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) SKF_NET_OFF + 8),  /* IPv6 source */
                /* 6 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
                /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) SKF_NET_OFF + 12),
                /* 8 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
                /* 9 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
                /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) SKF_NET_OFF + 16),
                /* 11 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
                /* 12 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
                /* 13 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) SKF_NET_OFF + 20),
                /* 14 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
                /* 15 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2654435761u), /* Knuth's multiplicative hash */
                /* 16 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
                /* 17 */ BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, group_size ? group_size : 1),
                /* 18 */ BPF_STMT(BPF_RET | BPF_A, 0),
        };

        memcpy(out, prog, sizeof(prog));
}

int sockets_attach_sticky(int fd, unsigned group_size) {
        struct sock_filter code[STICKY_PROGRAM_LEN];
        struct sock_fprog prog = { .len = STICKY_PROGRAM_LEN, .filter = code };

        sticky_program(group_size, code);
        return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0 ? -errno : 0;
}
