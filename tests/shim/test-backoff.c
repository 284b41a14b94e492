/* SPDX-License-Identifier: MIT */
/* Table tests for src/shim/backoff.c. run.sh builds this with that file: test-backoff TMPDIR */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim/backoff.h"

static int failures;

static void next_one(uint64_t prev, uint64_t run, uint64_t base, uint64_t want) {
        uint64_t got = backoff_next(prev, run, base);

        if (got != want) {
                printf("backoff_next(%llu, %llu, %llu) = %llu, want %llu\n", (unsigned long long) prev,
                       (unsigned long long) run, (unsigned long long) base, (unsigned long long) got,
                       (unsigned long long) want);
                failures++;
        }
}

static void parse_one(const char *text, int want_r, uint64_t want_delay, uint64_t want_start) {
        backoff_state st = { 7, 7 };
        int r = backoff_parse(text, &st);

        if (r != want_r || (r == 0 && (st.delay_ms != want_delay || st.start_ms != want_start)) ||
            (r < 0 && (st.delay_ms != 7 || st.start_ms != 7))) {
                printf("backoff_parse(\"%s\") = %d {%llu %llu}, want %d {%llu %llu}\n", text, r,
                       (unsigned long long) st.delay_ms, (unsigned long long) st.start_ms, want_r,
                       (unsigned long long) want_delay, (unsigned long long) want_start);
                failures++;
        }
}

static void file_one(const char *dir, const char *content, int want_r, uint64_t want_delay) {
        char path[4096];
        backoff_state st = { 0 };
        FILE *f;
        int r;

        snprintf(path, sizeof(path), "%s/state", dir);
        f = fopen(path, "w");
        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                printf("cannot write %s\n", path);
                failures++;
                return;
        }
        r = backoff_load(path, &st);
        if (r != want_r || (r == 0 && st.delay_ms != want_delay)) {
                printf("backoff_load(\"%s\") = %d delay %llu, want %d delay %llu\n", content, r,
                       (unsigned long long) st.delay_ms, want_r, (unsigned long long) want_delay);
                failures++;
        }
}

int main(int argc, char **argv) {
        char path[4096], tmp[4096], buf[BACKOFF_TEXT_MAX];
        backoff_state st = { 0 }, in = { 15000, 18446744073709551615ULL };
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: test-backoff TMPDIR\n");
                return 2;
        }

        /* first quick crash: base; then x1.5 (integer), capped at 15 s; >= 30 s up resets */
        next_one(0, 0, 100, 100);
        next_one(0, 29999, 100, 100);
        next_one(100, 500, 100, 150);
        next_one(150, 500, 100, 225);
        next_one(225, 500, 100, 337);
        next_one(337, 500, 100, 505);
        next_one(10000, 500, 100, 15000);
        next_one(15000, 500, 100, 15000);
        next_one(UINT64_MAX, 500, 100, 15000);
        next_one(0, 0, 20000, 15000);
        next_one(9000, 30000, 100, 0);
        next_one(0, 30000, 100, 0);
        next_one(15000, 86400000, 100, 0);

        parse_one("0 0", 0, 0, 0);
        parse_one("150 123456\n", 0, 150, 123456);
        parse_one("99999 1\n", 0, BACKOFF_MAX_MS, 1);
        parse_one("", -EINVAL, 0, 0);
        parse_one("150", -EINVAL, 0, 0);
        parse_one("150 ", -EINVAL, 0, 0);
        parse_one(" 150 1", -EINVAL, 0, 0);
        parse_one("150  1", -EINVAL, 0, 0);
        parse_one("-1 1", -EINVAL, 0, 0);
        parse_one("150 -1", -EINVAL, 0, 0);
        parse_one("150 1\n\n", -EINVAL, 0, 0);
        parse_one("150 1 2", -EINVAL, 0, 0);
        parse_one("0x10 1", -EINVAL, 0, 0);
        parse_one("1 99999999999999999999999", -EINVAL, 0, 0);

        r = backoff_format(buf, sizeof(buf), &in);
        if (r < 0 || strcmp(buf, "15000 18446744073709551615\n") != 0) {
                printf("backoff_format: %d \"%s\"\n", r, buf);
                failures++;
        }
        if (backoff_format(buf, 5, &in) != -ENOBUFS) {
                printf("backoff_format into 5 bytes did not fail\n");
                failures++;
        }

        snprintf(path, sizeof(path), "%s/backoff", argv[1]);
        snprintf(tmp, sizeof(tmp), "%s/.backoff.tmp", argv[1]);
        if (backoff_load(path, &st) != -ENOENT) {
                printf("backoff_load of a missing file is not -ENOENT\n");
                failures++;
        }
        in = (backoff_state) { 337, 42 };
        r = backoff_store(path, tmp, &in);
        if (r < 0 || backoff_load(path, &st) < 0 || st.delay_ms != 337 || st.start_ms != 42) {
                printf("store/load round trip: %d {%llu %llu}\n", r, (unsigned long long) st.delay_ms,
                       (unsigned long long) st.start_ms);
                failures++;
        }
        if (access(tmp, F_OK) == 0) {
                printf("backoff_store left %s behind\n", tmp);
                failures++;
        }
        snprintf(path, sizeof(path), "%s/no-such-dir/backoff", argv[1]);
        snprintf(tmp, sizeof(tmp), "%s/no-such-dir/.backoff.tmp", argv[1]);
        if (backoff_store(path, tmp, &in) != -ENOENT) {
                printf("backoff_store into a missing directory is not -ENOENT\n");
                failures++;
        }

        file_one(argv[1], "300 5\n", 0, 300);
        file_one(argv[1], "300 5", 0, 300);
        file_one(argv[1], "garbage\n", -EINVAL, 0);
        file_one(argv[1], "", -EINVAL, 0);
        file_one(argv[1], "1 2\n                                                        \n", -EINVAL, 0);

        printf("test-backoff: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
