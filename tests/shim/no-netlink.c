/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD for the shim tests: socket(AF_NETLINK, ...) fails with EAFNOSUPPORT, as under a unit's
 * RestrictAddressFamilies= without AF_NETLINK (hardening: strict). Every other socket is made as usual. */
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
        static int (*real)(int, int, int);

        if (domain == AF_NETLINK) {
                errno = EAFNOSUPPORT;
                return -1;
        }
        if (!real)
                real = (int (*)(int, int, int)) dlsym(RTLD_NEXT, "socket");
        return real(domain, type, protocol);
}
