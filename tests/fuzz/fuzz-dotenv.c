/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for dotenv_parse(): arbitrary bytes as a .env file. It
 * checks what every entry must be: a key of [A-Za-z0-9_.-]+ that is not
 * __proto__, and a value of valid UTF-8 without NUL bytes (bad bytes became
 * U+FFFD), whose length is the given one. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-dotenv.h"
#include "js-lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *userdata, const char *key, const char *val, size_t len) {
        (void) userdata;
        if (!key[0] || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(key) ||
            strcmp(key, "__proto__") == 0) {
                fprintf(stderr, "bad key '%s'\n", key);
                abort();
        }
        if (strlen(val) != len || val[len] != '\0') {
                fprintf(stderr, "value of %s: length %zu, NUL at %zu\n", key, len, strlen(val));
                abort();
        }
        for (size_t i = 0; i < len;) {
                unsigned cp;
                size_t n = js_utf8_decode((const unsigned char *) val + i, len - i, &cp);

                if (n == 0) {
                        fprintf(stderr, "value of %s: byte %zu is not UTF-8\n", key, i);
                        abort();
                }
                i += n;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        unsigned line = 0, col = 0;
        int r;

        if (size > 1 << 16)
                return 0;
        r = dotenv_parse((const char *) data, size, check, NULL, &line, &col);
        if (r == -EINVAL && (line == 0 || col == 0 || !memchr(data, 0, size)))
                abort();
        return 0;
}
