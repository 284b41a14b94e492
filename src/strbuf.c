/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(strbuf *sb, size_t extra) {
        size_t need, cap;
        char *p;

        if (sb->oom)
                return false;
        if (extra > (size_t) -1 / 2 - sb->len) {
                sb->oom = true;
                return false;
        }
        need = sb->len + extra + 1;
        if (need <= sb->cap)
                return true;
        cap = sb->cap ? sb->cap : 64;
        while (cap < need)
                cap *= 2;
        p = realloc(sb->s, cap);
        if (!p) {
                sb->oom = true;
                return false;
        }
        sb->s = p;
        sb->cap = cap;
        return true;
}

void strbuf_add(strbuf *sb, const char *p, size_t n) {
        if (!grow(sb, n))
                return;
        if (n)
                memcpy(sb->s + sb->len, p, n);
        sb->len += n;
        sb->s[sb->len] = '\0';
}

void strbuf_adds(strbuf *sb, const char *s) {
        strbuf_add(sb, s, strlen(s));
}

void strbuf_addc(strbuf *sb, char c) {
        strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(strbuf *sb, const char *fmt, va_list ap) {
        va_list aq;
        int n;

        va_copy(aq, ap);
        n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0) {
                sb->oom = true;
                return;
        }
        if (!grow(sb, (size_t) n))
                return;
        vsnprintf(sb->s + sb->len, (size_t) n + 1, fmt, ap);
        sb->len += (size_t) n;
}

void strbuf_addf(strbuf *sb, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        strbuf_vaddf(sb, fmt, ap);
        va_end(ap);
}

void strbuf_truncate(strbuf *sb, size_t len) {
        if (len < sb->len) {
                sb->len = len;
                sb->s[len] = '\0';
        }
}

const char *strbuf_str(const strbuf *sb) {
        return sb->s ? sb->s : "";
}

char *strbuf_steal(strbuf *sb) {
        char *r;

        if (sb->oom) {
                strbuf_free(sb);
                return NULL;
        }
        r = sb->s ? sb->s : strdup("");
        *sb = (strbuf) STRBUF_INIT;
        return r;
}

void strbuf_free(strbuf *sb) {
        if (!sb)
                return;
        free(sb->s);
        *sb = (strbuf) STRBUF_INIT;
}

char *xstrndup(const char *s, size_t n) {
        char *r = malloc(n + 1);

        if (!r)
                return NULL;
        memcpy(r, s, n);
        r[n] = '\0';
        return r;
}

bool str_has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}
