/* SPDX-License-Identifier: MIT */
/* dotenv's parser is one regular expression applied with the m and g flags:
 *
 *   (?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|
 *   \s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)
 *
 * followed by value.trim(), the removal of /^(['"`])([\s\S]*)\1$/mg and, for a
 * value that started with '"', \n and \r expanded. This file does the same with
 * explicit loops; each step names the part of the expression it matches and how
 * the regular expression engine would backtrack there. \s is JavaScript's white
 * space including line breaks; `$` and `^` also match at U+2028 and U+2029. */
#include "js-dotenv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "js-lex.h"
#include "js-number.h"
#include "strbuf.h"

#define NO_MATCH ((size_t) -1)

typedef struct text {
        const char *s;
        size_t n;
} text;

static size_t ws(const text *t, size_t i) {
        return i < t->n ? js_space_len(t->s + i, t->n - i) : 0;
}

/* A line terminator (there is no CR left): \n, U+2028, U+2029. */
static size_t lt(const char *s, size_t n, size_t i) {
        if (i >= n)
                return 0;
        if (s[i] == '\n')
                return 1;
        if (i + 2 < n && (unsigned char) s[i] == 0xe2 && (unsigned char) s[i + 1] == 0x80 &&
            ((unsigned char) s[i + 2] == 0xa8 || (unsigned char) s[i + 2] == 0xa9))
                return 3;
        return 0;
}

static bool line_start(const char *s, size_t i) {
        return i == 0 || s[i - 1] == '\n' ||
               (i >= 3 && (unsigned char) s[i - 3] == 0xe2 && (unsigned char) s[i - 2] == 0x80 &&
                ((unsigned char) s[i - 1] == 0xa8 || (unsigned char) s[i - 1] == 0xa9));
}

static size_t skip_ws(const text *t, size_t i) {
        size_t k;

        while ((k = ws(t, i)))
                i += k;
        return i;
}

static bool key_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
}

/* `\s*(?:#.*)?(?:$|$)` at pos: where the match ends, or NO_MATCH. \s* takes the
 * whole run of white space first, then gives back down to a line end. */
static size_t tail(const text *t, size_t pos) {
        size_t e = pos, last_lt = NO_MATCH, k;

        while ((k = ws(t, e))) {
                if (lt(t->s, t->n, e))
                        last_lt = e;
                e += k;
        }
        if (e == t->n)
                return e;
        if (t->s[e] == '#') {
                while (e < t->n && !lt(t->s, t->n, e))
                        e++;
                return e;
        }
        return last_lt;
}

typedef struct match {
        size_t key, key_end, val, val_end, end;
} match;

/* The value group and the tail from v (just after the separator). The lazy \s*?
 * before the group never needs to grow: with it empty, the unquoted
 * alternative or the empty value always lets the tail match. */
static void match_value(const text *t, size_t v, match *m) {
        size_t w = skip_ws(t, v);

        if (w < t->n && (t->s[w] == '\'' || t->s[w] == '"' || t->s[w] == '`')) {
                /* `\s*'(?:\\'|[^'])*'`: greedily up to the first quote without a
                 * backslash before it; backtracking then tries every \' before
                 * that one, last first, as the closing quote. */
                char q = t->s[w];
                size_t x = w + 1, greedy = NO_MATCH, end;

                for (;;) {
                        const char *f = x < t->n ? memchr(t->s + x, q, t->n - x) : NULL;

                        if (!f)
                                break;
                        x = (size_t) (f - t->s);
                        if (t->s[x - 1] != '\\') {
                                greedy = x;
                                break;
                        }
                        x++;
                }
                x = greedy != NO_MATCH ? greedy + 1 : t->n;
                while (x-- > w + 1) {
                        if (t->s[x] != q || (x != greedy && t->s[x - 1] != '\\'))
                                continue;
                        end = tail(t, x + 1);
                        if (end != NO_MATCH) {
                                m->val = v;
                                m->val_end = x + 1;
                                m->end = end;
                                return;
                        }
                }
        }
        m->val = m->val_end = v;
        if (v < t->n && t->s[v] != '#' && t->s[v] != '\n') {
                /* `[^#\r\n]+`: up to a '#' or the end of the line */
                while (m->val_end < t->n && t->s[m->val_end] != '#' && t->s[m->val_end] != '\n')
                        m->val_end++;
        }
        m->end = tail(t, m->val_end); /* cannot fail: a '#', a line end or the end follows */
}

/* `([\w.-]+)(?:\s*=\s*?|:\s+?)` and the rest, with the key at k. */
static bool match_key(const text *t, size_t k, match *m) {
        size_t e = k, s, v;

        while (e < t->n && key_char(t->s[e]))
                e++;
        if (e == k)
                return false;
        s = skip_ws(t, e);
        if (s < t->n && t->s[s] == '=')
                v = s + 1;
        else if (e < t->n && t->s[e] == ':' && ws(t, e + 1))
                v = e + 1 + ws(t, e + 1);
        else
                return false;
        m->key = k;
        m->key_end = e;
        match_value(t, v, m);
        return true;
}

/* One attempt at the line start p; *skipped is where the leading \s* ended. */
static bool match_at(const text *t, size_t p, match *m, size_t *skipped) {
        size_t i = skip_ws(t, p);

        *skipped = i;
        if (t->n - i > 6 && memcmp(t->s + i, "export", 6) == 0 && ws(t, i + 6) &&
            match_key(t, skip_ws(t, i + 6), m))
                return true;
        return match_key(t, i, m);
}

/* value.trim(), then .replace(/^(['"`])([\s\S]*)\1$/mg, '$2'), then for a value
 * that started with '"', \n and \r expanded. */
static void finish_value(const char *s, size_t n, strbuf *out) {
        strbuf stripped = STRBUF_INIT;
        size_t k;
        char first;

        while ((k = js_space_len(s, n))) {
                s += k;
                n -= k;
        }
        for (bool more = true; more && n > 0;) {
                more = false;
                for (k = 1; k <= 3 && k <= n; k++)
                        if (js_space_len(s + n - k, k) == k) {
                                n -= k;
                                more = true;
                                break;
                        }
        }
        first = n ? s[0] : 0;
        for (size_t i = 0; i < n;) {
                if (line_start(s, i) && (s[i] == '\'' || s[i] == '"' || s[i] == '`')) {
                        size_t e = n;

                        while (e-- > i + 1)
                                if (s[e] == s[i] && (e + 1 == n || lt(s, n, e + 1)))
                                        break;
                        if (e > i && e < n) {
                                strbuf_add(&stripped, s + i + 1, e - i - 1);
                                i = e + 1;
                                continue;
                        }
                }
                strbuf_addc(&stripped, s[i++]);
        }
        s = strbuf_str(&stripped);
        n = stripped.len;
        for (size_t i = 0; i < n; i++) {
                if (first == '"' && s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 'r')) {
                        strbuf_addc(out, s[++i] == 'n' ? '\n' : '\r');
                        continue;
                }
                strbuf_addc(out, s[i]);
        }
        if (stripped.oom)
                out->oom = true;
        strbuf_free(&stripped);
}

/* How many bytes at s[0..n) one U+FFFD replaces when they are not UTF-8: the
 * maximal subpart of a sequence (WHATWG's decoder, as node's Buffer#toString). */
static size_t bad_prefix(const unsigned char *s, size_t n) {
        unsigned char c = s[0], lo = 0x80, hi = 0xbf;
        size_t need, k = 1;

        if (c < 0xc2 || c > 0xf4)
                return 1;
        need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
        if (c == 0xe0)
                lo = 0xa0;
        else if (c == 0xed)
                hi = 0x9f;
        else if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        while (k <= need && k < n && s[k] >= lo && s[k] <= hi) {
                k++;
                lo = 0x80;
                hi = 0xbf;
        }
        return k;
}

/* CRLF and CR become LF (dotenv's first step); bytes that are not UTF-8 become U+FFFD. */
static void normalize(const char *in, size_t len, strbuf *out) {
        const unsigned char *u = (const unsigned char *) in;

        for (size_t i = 0; i < len;) {
                unsigned cp;
                size_t k;

                if (u[i] == '\r') {
                        strbuf_addc(out, '\n');
                        i += i + 1 < len && u[i + 1] == '\n' ? 2 : 1;
                } else if (u[i] < 0x80) {
                        strbuf_addc(out, (char) u[i++]);
                } else if ((k = js_utf8_decode(u + i, len - i, &cp))) {
                        strbuf_add(out, in + i, k);
                        i += k;
                } else {
                        strbuf_adds(out, "\xef\xbf\xbd");
                        i += bad_prefix(u + i, len - i);
                }
        }
}

int dotenv_parse(const char *in, size_t len, dotenv_fn fn, void *userdata, unsigned *line, unsigned *col) {
        const char *nul = memchr(in, '\0', len);
        strbuf norm = STRBUF_INIT, val = STRBUF_INIT;
        text t;
        size_t p = 0;
        int r = 0;

        if (nul) {
                unsigned l = 1;
                size_t start = 0;

                for (size_t i = 0; i < (size_t) (nul - in); i++)
                        if (in[i] == '\n' || (in[i] == '\r' && in[i + 1] != '\n')) {
                                l++;
                                start = i + 1;
                        }
                *line = l;
                *col = (unsigned) ((size_t) (nul - in) - start + 1);
                return -EINVAL;
        }
        normalize(in, len, &norm);
        if (norm.oom) {
                r = -ENOMEM;
                goto out;
        }
        t = (text) { strbuf_str(&norm), norm.len };
        while (p < t.n) {
                size_t skipped;
                match m;

                if (!line_start(t.s, p)) {
                        while (p < t.n && !lt(t.s, t.n, p))
                                p++;
                        p += lt(t.s, t.n, p);
                        continue;
                }
                if (!match_at(&t, p, &m, &skipped)) {
                        /* Every line start up to where \s* stopped fails the same way. */
                        p = skipped > p ? skipped : p + 1;
                        continue;
                }
                p = m.end > p ? m.end : p + 1;
                if (m.key_end - m.key == strlen("__proto__") && memcmp(t.s + m.key, "__proto__", m.key_end - m.key) == 0)
                        continue; /* obj['__proto__'] = 'x' sets nothing in JavaScript */
                strbuf_truncate(&val, 0);
                finish_value(t.s + m.val, m.val_end - m.val, &val);
                if (val.oom) {
                        r = -ENOMEM;
                        goto out;
                }
                {
                        char *key = xstrndup(t.s + m.key, m.key_end - m.key);

                        if (!key) {
                                r = -ENOMEM;
                                goto out;
                        }
                        r = fn(userdata, key, strbuf_str(&val), val.len);
                        free(key);
                }
                if (r < 0)
                        goto out;
        }
out:
        strbuf_free(&norm);
        strbuf_free(&val);
        return r;
}
