/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated byte string.
 *
 * Ownership: a strbuf owns its buffer. strbuf_free() releases it (NULL-safe);
 * strbuf_steal() hands the buffer to the caller (free() it) and resets the strbuf.
 * Appends never fail silently: on allocation failure the strbuf remembers it
 * (sb->oom) and every later append is a no-op, so callers check once at the end. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
        char *s;    /* NUL-terminated, or NULL while empty and never grown */
        size_t len;
        size_t cap;
        bool oom;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0, false }

void strbuf_add(strbuf *sb, const char *p, size_t n);
void strbuf_adds(strbuf *sb, const char *s);
void strbuf_addc(strbuf *sb, char c);
void strbuf_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void strbuf_truncate(strbuf *sb, size_t len);
/* The contents ("" when empty); valid until the next append. */
const char *strbuf_str(const strbuf *sb);
/* Returns the heap string ("" allocated when empty) or NULL on OOM; resets sb. */
char *strbuf_steal(strbuf *sb);
void strbuf_free(strbuf *sb);

/* Small helpers used across the core. */
char *xstrndup(const char *s, size_t n); /* NULL on OOM */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
