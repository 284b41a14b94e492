/* SPDX-License-Identifier: MIT */
/* Tests for src/shim/ipc.c. run.sh builds this with that file: test-ipc */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim/ipc.h"

static int failures;

/* Feeds the chunks (NULL-terminated) one call each; want: the result of each call as a string of
 * 'y'/'n'. */
static void feed_one(const char *const *chunks, const char *want) {
        ipc_lines l = { 0 };
        char got[16] = "";
        size_t i;

        for (i = 0; chunks[i] && i < sizeof(got) - 1; i++)
                got[i] = ipc_lines_feed(&l, chunks[i], strlen(chunks[i]), IPC_READY) ? 'y' : 'n';
        got[i] = '\0';
        if (strcmp(got, want) != 0) {
                printf("ipc_lines_feed(");
                for (i = 0; chunks[i]; i++)
                        printf("%s\"%s\"", i ? ", " : "", chunks[i]);
                printf(") = %s, want %s\n", got, want);
                failures++;
        }
}

#define FEED(want, ...) feed_one((const char *const[]) { __VA_ARGS__, NULL }, want)

int main(void) {
        char long_line[IPC_LINE_MAX + 16], buf[64];
        int shim_end, child_end, r, flags;
        ssize_t n;

        FEED("y", "\"ready\"\n");
        FEED("n", "\"ready\"");                                   /* no newline yet */
        FEED("ny", "\"ready\"", "\n");
        FEED("nny", "\"re", "ady", "\"\n");
        FEED("y", "{\"cmd\":\"NODE_X\"}\n\"ready\"\n{\"a\":1}\n");  /* among other messages */
        FEED("nn", "ready\n", "\"ready\" \n");                     /* not the JSON string "ready" */
        FEED("n", "{\"type\":\"ready\"}\n");
        FEED("n", "\"readyy\"\n\"rea\"\n");
        FEED("ny", "\"ready\"\"", "\n\"ready\"\n");                /* the first line is longer */
        /* a line longer than the buffer that ends like "ready" is skipped whole */
        memset(long_line, 'x', sizeof(long_line));
        memcpy(long_line + sizeof(long_line) - 9, "\"ready\"\n", 9);
        FEED("n", long_line);
        FEED("nny", long_line, "\"ready\"", "\n");
        FEED("ny", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "xx\"\n\"ready\"\n");

        r = ipc_open(&shim_end, &child_end);
        if (r < 0) {
                printf("ipc_open: %s\n", strerror(-r));
                return 1;
        }
        flags = fcntl(shim_end, F_GETFL);
        if (!(flags & O_NONBLOCK) || (fcntl(child_end, F_GETFL) & O_NONBLOCK) ||
            !(fcntl(shim_end, F_GETFD) & FD_CLOEXEC) || !(fcntl(child_end, F_GETFD) & FD_CLOEXEC)) {
                printf("ipc_open: wrong flags\n");
                failures++;
        }
        r = ipc_send(shim_end, IPC_SHUTDOWN);
        n = read(child_end, buf, sizeof(buf) - 1);
        if (r != 0 || n != (ssize_t) strlen(IPC_SHUTDOWN) || memcmp(buf, "\"shutdown\"\n", (size_t) n) != 0) {
                printf("ipc_send: %d, the child read %zd bytes\n", r, n);
                failures++;
        }
        close(child_end);
        r = ipc_send(shim_end, IPC_SHUTDOWN);
        if (r != -EPIPE) {
                printf("ipc_send to a closed peer: %d, want -EPIPE\n", r);
                failures++;
        }
        close(shim_end);

        printf("test-ipc: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
