/* SPDX-License-Identifier: MIT */
/* Table tests for src/shim/envfile.c (EnvironmentFile= syntax, the merge of a reload's variables) and the
 * request parsing of src/shim/control.c and src/shim/notify.c. run.sh builds this with those files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/control.h"
#include "shim/envfile.h"
#include "shim/notify.h"

static int failures;

/* want: the expected list with '|' for each NUL ("A=1|B=2|"), or NULL for an error want_r. */
static void parse_one(const char *text, int want_r, const char *want, size_t want_skipped) {
        char out[512], shown[512];
        size_t len = 0, n = 0, skipped = 0, i;
        int r = envfile_parse(text, strlen(text), out, sizeof(out), &len, &n, &skipped);

        for (i = 0; r == 0 && i < len && i < sizeof(shown) - 1; i++)
                shown[i] = out[i] ? out[i] : '|';
        shown[r == 0 ? i : 0] = '\0';
        if (r != want_r || (r == 0 && (strcmp(shown, want) != 0 || skipped != want_skipped))) {
                printf("envfile_parse(\"%s\") = %d \"%s\" (skipped %zu), want %d \"%s\" (skipped %zu)\n", text, r,
                       shown, skipped, want_r, want ? want : "", want_skipped);
                failures++;
        }
}

/* list: entries separated by '|'; want: the merged environment joined by ' '. */
static void merge_one(const char *const *base, const char *list, int want_r, const char *want) {
        char packed[256], got[512] = "";
        size_t len = strlen(list), i;
        char **v = NULL;
        int r;

        memcpy(packed, list, len + 1);
        for (i = 0; i < len; i++)
                if (packed[i] == '|')
                        packed[i] = '\0';
        r = envfile_merge((char *const *) base, packed, len, &v);
        for (i = 0; r == 0 && v[i]; i++) {
                strcat(got, i ? " " : "");
                strcat(got, v[i]);
        }
        if (r != want_r || (r == 0 && strcmp(got, want) != 0)) {
                printf("envfile_merge(\"%s\") = %d \"%s\", want %d \"%s\"\n", list, r, got, want_r, want ? want : "");
                failures++;
        }
        free(v);
}

static void request_one(const char *msg, size_t len, int want_r, int want_env, size_t want_len) {
        control_request req = { .len = 99 };
        int r = control_parse(msg, len, &req);

        if (r != want_r || (r == 0 && (req.with_env != want_env || req.len != want_len))) {
                printf("control_parse(\"%s\", %zu) = %d env=%d len=%zu, want %d env=%d len=%zu\n", msg, len, r,
                       req.with_env, req.len, want_r, want_env, want_len);
                failures++;
        }
}

static void notify_one(const char *msg, int ready, int watchdog, const char *status) {
        notify_msg m;

        notify_parse(msg, strlen(msg), &m);
        if (m.ready != ready || m.watchdog != watchdog || (!status != !m.status) ||
            (status && (strlen(status) != m.status_len || memcmp(status, m.status, m.status_len) != 0))) {
                printf("notify_parse(\"%s\"): ready=%d watchdog=%d status=%.*s\n", msg, m.ready, m.watchdog,
                       (int) m.status_len, m.status ? m.status : "");
                failures++;
        }
}

int main(void) {
        const char *base[] = { "PATH=/bin", "A=old", "KEEP=1", "GONE=x", NULL };
        char small[4];
        size_t len, n, skipped;

        /* what pmgen writes (escape_env_line) */
        parse_one("# Environment of pmgen app web; do not edit.\nNODE_ENV=\"production\"\nQ=\"a \\\"b\\\" \\\\ \\$HOME \\`x\\`\"\n",
                  0, "NODE_ENV=production|Q=a \"b\" \\ $HOME `x`|", 0);
        /* systemd's syntax */
        parse_one("A=1\nB = 2 \n  C=3", 0, "A=1|B=2|C=3|", 0);
        parse_one("; comment\n# comment\n\nA=x # not a comment\n", 0, "A=x # not a comment|", 0);
        parse_one("A='single $x \\n'\n", 0, "A=single $x \\n|", 0);
        parse_one("A=\"tab\\tkept\"\n", 0, "A=tab\\tkept|", 0);
        parse_one("A=\"two\\\nlines\"\n", 0, "A=twolines|", 0);
        parse_one("A=\"multi\nline\"\n", 0, "A=multi\nline|", 0);
        parse_one("A=one\\\n two\n", 0, "A=one two|", 0);
        parse_one("A=a\\ b\\\\c\n", 0, "A=a b\\c|", 0);
        parse_one("A=\"x\"'y'z\n", 0, "A=xyz|", 0);
        parse_one("A=\"  padded  \"  \n", 0, "A=  padded  |", 0);
        parse_one("A=\nB=\"\"\n", 0, "A=|B=|", 0);
        parse_one("novalue\nA=1\n", 0, "A=1|", 0);
        parse_one("1BAD=1\nbad-name=2\nGOOD_1=3\n", 0, "GOOD_1=3|", 2);
        parse_one("A=1\nA=2\n", 0, "A=1|A=2|", 0);
        parse_one("A=\"unterminated", 0, "A=unterminated|", 0);
        parse_one("", 0, "", 0);
        if (envfile_parse("A=1\0B=2", 7, small, sizeof(small), &len, &n, &skipped) != -EINVAL) {
                puts("envfile_parse with a NUL byte: want -EINVAL");
                failures++;
        }
        if (envfile_parse("LONGNAME=1", 10, small, sizeof(small), &len, &n, &skipped) != -ENOBUFS) {
                puts("envfile_parse into a small buffer: want -ENOBUFS");
                failures++;
        }

        merge_one(base, "", 0, "PATH=/bin A=old KEEP=1 GONE=x");
        merge_one(base, "A=new|", 0, "PATH=/bin KEEP=1 GONE=x A=new");
        merge_one(base, "A=new|-GONE|NEW=1|", 0, "PATH=/bin KEEP=1 A=new NEW=1");
        merge_one(base, "NEW=1|NEW=2|", 0, "PATH=/bin A=old KEEP=1 GONE=x NEW=2");
        merge_one(base, "-NOTSET|", 0, "PATH=/bin A=old KEEP=1 GONE=x");
        merge_one(base, "noequals|", -EINVAL, NULL);
        merge_one(base, "-|", -EINVAL, NULL);
        merge_one(base, "1A=2|", -EINVAL, NULL);
        merge_one(base, "|", -EINVAL, NULL);

        request_one("reload", 7, 0, 0, 0);
        request_one("reload-env", 11, 0, 1, 0);
        request_one("reload-env\0A=1\0", 15, 0, 1, 4);
        request_one("reload-env\0A=1", 14, -EINVAL, 0, 0);
        request_one("reload\0A=1\0", 11, -EINVAL, 0, 0);
        request_one("reload", 6, -EINVAL, 0, 0);
        request_one("restart", 8, -EINVAL, 0, 0);
        /* retire (scale-down): nothing after the command */
        request_one("retire", 7, 0, 0, 0);
        request_one("retire\0x\0", 9, -EINVAL, 0, 0);
        {
                control_request req;

                if (control_parse("retire", 7, &req) != 0 || !req.retire || control_parse("reload", 7, &req) != 0 ||
                    req.retire) {
                        printf("control_parse: retire flag wrong\n");
                        failures++;
                }
        }
        request_one("", 1, -EINVAL, 0, 0);

        notify_one("READY=1", 1, 0, NULL);
        notify_one("STATUS=warming up\nREADY=1\n", 1, 0, "warming up");
        notify_one("WATCHDOG=1", 0, 1, NULL);
        notify_one("READY=0\nMAINPID=1\nREADY=11", 0, 0, NULL);
        notify_one("STATUS=", 0, 0, "");

        printf("test-envfile: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
