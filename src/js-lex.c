/* SPDX-License-Identifier: MIT */
#include "js-lex.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js-number.h"
#include "strbuf.h"

typedef struct lexer {
        const char *file;
        const unsigned char *t;
        size_t len, i;
        unsigned line;
        size_t line_start;
        locale_t cloc;
        diag_list *dl;
        size_t errors0;
        bool stop, oom;
        js_tokens *out;
        /* One entry per open '{' or '${': 1 when it opened a template substitution. */
        unsigned char *braces;
        size_t nbraces, capbraces;
} lexer;

static const char *const puncts[] = {
        ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "?\?=",
        "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=",
        "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>",
        "{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "+", "-", "*", "/", "%", "&", "|",
        "^", "!", "~", "?", ":", "=", ".", "@", "#",
};

static const char *const reserved[] = {
        "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default",
        "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function",
        "if", "implements", "import", "in", "instanceof", "interface", "let", "new", "null",
        "package", "private", "protected", "public", "return", "static", "super", "switch", "this",
        "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
};

size_t js_utf8_decode(const unsigned char *s, size_t n, unsigned *cp) {
        unsigned c, lo = 0x80, hi = 0xbf;
        size_t need;

        if (n == 0)
                return 0;
        c = s[0];
        if (c < 0x80) {
                *cp = c;
                return 1;
        }
        if (c < 0xc2 || c > 0xf4)
                return 0;
        if (c < 0xe0) {
                need = 2;
                c &= 0x1f;
        } else if (c < 0xf0) {
                need = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f; /* no UTF-16 surrogates */
                c &= 0x0f;
        } else {
                need = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
                c &= 0x07;
        }
        if (n < need || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t k = 1; k < need; k++) {
                if ((s[k] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[k] & 0x3f);
        }
        *cp = c;
        return need;
}

static void utf8_put(strbuf *sb, unsigned cp) {
        char b[4];

        if (cp < 0x80) {
                b[0] = (char) cp;
                strbuf_add(sb, b, 1);
        } else if (cp < 0x800) {
                b[0] = (char) (0xc0 | (cp >> 6));
                b[1] = (char) (0x80 | (cp & 0x3f));
                strbuf_add(sb, b, 2);
        } else if (cp < 0x10000) {
                b[0] = (char) (0xe0 | (cp >> 12));
                b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[2] = (char) (0x80 | (cp & 0x3f));
                strbuf_add(sb, b, 3);
        } else {
                b[0] = (char) (0xf0 | (cp >> 18));
                b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[3] = (char) (0x80 | (cp & 0x3f));
                strbuf_add(sb, b, 4);
        }
}

bool js_is_space_cp(unsigned cp) {
        return cp == 0xa0 || cp == 0xfeff || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
               cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static bool is_digit(unsigned c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static int hex_val(unsigned c) {
        if (is_digit(c))
                return (int) (c - '0');
        c |= 0x20;
        if (c >= 'a' && c <= 'f')
                return (int) (c - 'a' + 10);
        return -1;
}

static bool is_radix_digit(unsigned c, int radix) {
        int v = hex_val(c);

        return v >= 0 && v < radix;
}

static loc here(const lexer *lx) {
        return (loc) { lx->file, lx->line, (unsigned) (lx->i - lx->line_start + 1) };
}

static void lex_error(lexer *lx, loc where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lex_error(lexer *lx, loc where, const char *fmt, ...) {
        strbuf sb = STRBUF_INIT;
        va_list ap;

        if (lx->stop)
                return;
        va_start(ap, fmt);
        strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        diag_error(lx->dl, where, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
        if (lx->dl->errors - lx->errors0 >= JS_MAX_ERRORS) {
                diag_error(lx->dl, where, "too many errors; giving up");
                lx->stop = true;
        }
}

/* The length of the line terminator at i (LF, CR, CRLF, U+2028, U+2029), or 0. */
static size_t line_term(const lexer *lx, size_t i) {
        const unsigned char *t = lx->t;

        if (i >= lx->len)
                return 0;
        if (t[i] == '\n')
                return 1;
        if (t[i] == '\r')
                return i + 1 < lx->len && t[i + 1] == '\n' ? 2 : 1;
        if (t[i] == 0xe2 && i + 2 < lx->len && t[i + 1] == 0x80 && (t[i + 2] == 0xa8 || t[i + 2] == 0xa9))
                return 3;
        return 0;
}

static void eat_newline(lexer *lx, size_t n) {
        lx->i += n;
        lx->line++;
        lx->line_start = lx->i;
}

/* Skips an invalid byte and the continuation bytes after it (one error each). */
static void skip_bad_utf8(lexer *lx) {
        lx->i++;
        while (lx->i < lx->len && (lx->t[lx->i] & 0xc0) == 0x80)
                lx->i++;
}

/* Copies one (validated) UTF-8 sequence of a string into sb. */
static void copy_utf8(lexer *lx, strbuf *sb) {
        unsigned cp;
        size_t n = js_utf8_decode(lx->t + lx->i, lx->len - lx->i, &cp);

        if (n == 0) {
                lex_error(lx, here(lx), "found byte 0x%02x, expected UTF-8 text", lx->t[lx->i]);
                skip_bad_utf8(lx);
                return;
        }
        strbuf_add(sb, (const char *) lx->t + lx->i, n);
        lx->i += n;
}

static void skip_space(lexer *lx, bool *nl) {
        const unsigned char *t = lx->t;

        while (lx->i < lx->len) {
                unsigned c = t[lx->i], cp;
                size_t n;

                if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
                        lx->i++;
                } else if ((n = line_term(lx, lx->i))) {
                        eat_newline(lx, n);
                        *nl = true;
                } else if (c >= 0x80) {
                        n = js_utf8_decode(t + lx->i, lx->len - lx->i, &cp);
                        if (n == 0 || !js_is_space_cp(cp))
                                return;
                        lx->i += n;
                } else if (c == '/' && lx->i + 1 < lx->len && t[lx->i + 1] == '/') {
                        while (lx->i < lx->len && !line_term(lx, lx->i))
                                lx->i++;
                } else if (c == '/' && lx->i + 1 < lx->len && t[lx->i + 1] == '*') {
                        loc start = here(lx);

                        lx->i += 2;
                        for (;;) {
                                if (lx->i >= lx->len) {
                                        lex_error(lx, start, "found an unterminated /* comment, expected */");
                                        return;
                                }
                                if (t[lx->i] == '*' && lx->i + 1 < lx->len && t[lx->i + 1] == '/') {
                                        lx->i += 2;
                                        break;
                                }
                                if ((n = line_term(lx, lx->i))) {
                                        eat_newline(lx, n);
                                        *nl = true;
                                } else {
                                        lx->i++;
                                }
                        }
                } else {
                        return;
                }
        }
}

static void push_brace(lexer *lx, unsigned char kind) {
        if (lx->nbraces == lx->capbraces) {
                size_t cap = lx->capbraces ? lx->capbraces * 2 : 16;
                unsigned char *p = realloc(lx->braces, cap);

                if (!p) {
                        lx->oom = true;
                        return;
                }
                lx->braces = p;
                lx->capbraces = cap;
        }
        lx->braces[lx->nbraces++] = kind;
}

static void lex_name(lexer *lx, js_token *tok) {
        size_t start = lx->i;

        while (lx->i < lx->len) {
                unsigned c = lx->t[lx->i], cp;
                size_t n;

                if (is_alpha(c) || is_digit(c)) {
                        lx->i++;
                        continue;
                }
                if (c < 0x80)
                        break;
                n = js_utf8_decode(lx->t + lx->i, lx->len - lx->i, &cp);
                if (n == 0 || js_is_space_cp(cp) || cp == 0x2028 || cp == 0x2029)
                        break;
                lx->i += n;
        }
        tok->type = JT_NAME;
        tok->len = lx->i - start;
        tok->s = xstrndup((const char *) lx->t + start, tok->len);
        if (!tok->s)
                lx->oom = true;
        if (lx->i < lx->len && lx->t[lx->i] == '\\') {
                lex_error(lx, here(lx), "found '\\' in a name, expected letters, digits, '_' or '$'");
                lx->i++;
        }
}

/* Parses \uXXXX or \u{X…} at `at` (the backslash) without consuming it. Returns its
 * length, or 0 if malformed; *cp is 0x110000 when the value is out of range. */
static size_t parse_u(const lexer *lx, size_t at, unsigned *cp) {
        const unsigned char *t = lx->t;
        size_t i = at + 2;
        unsigned v = 0;

        if (at + 1 >= lx->len || t[at] != '\\' || t[at + 1] != 'u')
                return 0;
        if (i < lx->len && t[i] == '{') {
                size_t digits = 0;

                for (i++; i < lx->len && hex_val(t[i]) >= 0; i++, digits++)
                        if (v <= 0x10ffff)
                                v = v * 16 + (unsigned) hex_val(t[i]);
                if (digits == 0 || i >= lx->len || t[i] != '}')
                        return 0;
                *cp = v > 0x10ffff ? 0x110000 : v;
                return i + 1 - at;
        }
        for (int k = 0; k < 4; k++, i++) {
                if (i >= lx->len || hex_val(t[i]) < 0)
                        return 0;
                v = v * 16 + (unsigned) hex_val(t[i]);
        }
        *cp = v;
        return i - at;
}

static void nul_error(lexer *lx, loc where, size_t from) {
        size_t n = lx->i - from;

        lex_error(lx, where, "found '%.*s' in a string, but NUL bytes are not allowed", (int) (n > 12 ? 12 : n),
                  (const char *) lx->t + from);
}

/* Decodes the escape at lx->i (a backslash) into sb. */
static void lex_escape(lexer *lx, strbuf *sb) {
        const unsigned char *t = lx->t;
        size_t start = lx->i, n;
        loc w = here(lx);
        unsigned c, cp, lo;

        lx->i++;
        if (lx->i >= lx->len)
                return; /* the caller reports the unterminated string */
        if ((n = line_term(lx, lx->i))) {
                eat_newline(lx, n); /* line continuation */
                return;
        }
        c = t[lx->i];
        switch (c) {
        case 'n':
        case 't':
        case 'r':
        case 'b':
        case 'f':
        case 'v':
                strbuf_addc(sb, c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : '\v');
                lx->i++;
                return;
        case '0':
                if (lx->i + 1 >= lx->len || !is_digit(t[lx->i + 1])) {
                        lx->i++;
                        nul_error(lx, w, start);
                        return;
                }
                /* fall through */
        case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
                lx->i++;
                lex_error(lx, w, "found '\\%c', expected an escape such as \\n or \\x41 (octal escapes are not allowed)", c);
                return;
        case 'x':
                if (lx->i + 2 < lx->len && hex_val(t[lx->i + 1]) >= 0 && hex_val(t[lx->i + 2]) >= 0) {
                        cp = (unsigned) (hex_val(t[lx->i + 1]) * 16 + hex_val(t[lx->i + 2]));
                        lx->i += 3;
                        if (cp == 0)
                                nul_error(lx, w, start);
                        else
                                utf8_put(sb, cp);
                        return;
                }
                lx->i++;
                lex_error(lx, w, "found an invalid \\x escape, expected \\x and two hex digits");
                return;
        case 'u':
                n = parse_u(lx, start, &cp);
                if (n == 0) {
                        lx->i++;
                        lex_error(lx, w, "found an invalid \\u escape, expected \\u and four hex digits or \\u{…}");
                        return;
                }
                lx->i = start + n;
                if (cp > 0x10ffff) {
                        lex_error(lx, w, "found an escape beyond \\u{10FFFF}, expected a Unicode code point");
                        return;
                }
                if (cp >= 0xd800 && cp <= 0xdbff && (n = parse_u(lx, lx->i, &lo)) && lo >= 0xdc00 && lo <= 0xdfff) {
                        lx->i += n;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xd800 && cp <= 0xdfff) {
                        lex_error(lx, w, "found a lone surrogate \\u%04X, expected a complete Unicode character", cp);
                        return;
                }
                if (cp == 0)
                        nul_error(lx, w, start);
                else
                        utf8_put(sb, cp);
                return;
        default:
                if (c >= 0x80)
                        copy_utf8(lx, sb);
                else if (c == 0) {
                        lx->i++;
                        lex_error(lx, w, "found byte 0x00 in a string, but NUL bytes are not allowed");
                } else {
                        strbuf_addc(sb, (char) c);
                        lx->i++;
                }
                return;
        }
}

static void lex_string(lexer *lx, js_token *tok) {
        unsigned char q = lx->t[lx->i++];
        strbuf sb = STRBUF_INIT;

        for (;;) {
                unsigned char c;
                size_t n;

                if (lx->i >= lx->len || ((n = line_term(lx, lx->i)) && n < 3)) {
                        lex_error(lx, tok->where, "found an unterminated string, expected a closing %c", q);
                        break;
                }
                c = lx->t[lx->i];
                if (c == q) {
                        lx->i++;
                        break;
                }
                if (c == '\\')
                        lex_escape(lx, &sb);
                else if (c == 0) {
                        lex_error(lx, here(lx), "found byte 0x00 in a string, but NUL bytes are not allowed");
                        lx->i++;
                } else if (c >= 0x80)
                        copy_utf8(lx, &sb);
                else {
                        strbuf_addc(&sb, (char) c);
                        lx->i++;
                }
        }
        tok->type = JT_STRING;
        tok->len = sb.len;
        tok->s = strbuf_steal(&sb);
        if (!tok->s)
                lx->oom = true;
}

/* lx->i is just after the '`' (head) or the '}' that closes a substitution. */
static void lex_template(lexer *lx, js_token *tok, bool head) {
        strbuf sb = STRBUF_INIT;

        tok->type = head ? JT_TEMPLATE : JT_TEMPLATE_TAIL;
        for (;;) {
                unsigned char c;
                size_t n;

                if (lx->i >= lx->len) {
                        lex_error(lx, tok->where, "found an unterminated template string, expected a closing `");
                        break;
                }
                c = lx->t[lx->i];
                if (c == '`') {
                        lx->i++;
                        break;
                }
                if (c == '$' && lx->i + 1 < lx->len && lx->t[lx->i + 1] == '{') {
                        lx->i += 2;
                        tok->type = head ? JT_TEMPLATE_HEAD : JT_TEMPLATE_MIDDLE;
                        push_brace(lx, 1);
                        break;
                }
                if (c == '\\')
                        lex_escape(lx, &sb);
                else if ((n = line_term(lx, lx->i))) {
                        /* CR and CRLF read as LF in template text */
                        if (n == 3)
                                strbuf_add(&sb, (const char *) lx->t + lx->i, 3);
                        else
                                strbuf_addc(&sb, '\n');
                        eat_newline(lx, n);
                } else if (c == 0) {
                        lex_error(lx, here(lx), "found byte 0x00 in a string, but NUL bytes are not allowed");
                        lx->i++;
                } else if (c >= 0x80)
                        copy_utf8(lx, &sb);
                else {
                        strbuf_addc(&sb, (char) c);
                        lx->i++;
                }
        }
        tok->len = sb.len;
        tok->s = strbuf_steal(&sb);
        if (!tok->s)
                lx->oom = true;
}

static void lex_regex(lexer *lx, js_token *tok) {
        bool in_class = false;

        lx->i++;
        for (;;) {
                unsigned char c;

                if (lx->i >= lx->len || line_term(lx, lx->i)) {
                        lex_error(lx, tok->where, "found an unterminated regular expression, expected a closing /");
                        break;
                }
                c = lx->t[lx->i++];
                if (c == '\\') {
                        if (lx->i < lx->len && !line_term(lx, lx->i))
                                lx->i++;
                } else if (c == '[')
                        in_class = true;
                else if (c == ']')
                        in_class = false;
                else if (c == '/' && !in_class)
                        break;
        }
        while (lx->i < lx->len && (is_alpha(lx->t[lx->i]) || is_digit(lx->t[lx->i])))
                lx->i++;
        tok->type = JT_REGEX;
}

/* A '/' starts a regular expression unless the previous token ends an operand. */
static bool regex_allowed(const lexer *lx) {
        static const char *const kw[] = { "return", "typeof", "instanceof", "in", "of", "new", "delete",
                                          "void", "throw", "case", "do", "else", "yield", "await" };
        const js_token *prev;

        if (lx->out->n == 0)
                return true;
        prev = &lx->out->v[lx->out->n - 1];
        switch (prev->type) {
        case JT_NAME:
                for (size_t k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
                        if (strcmp(prev->s, kw[k]) == 0)
                                return true;
                return false;
        case JT_PUNCT:
                return !js_tok_punct(prev, ")") && !js_tok_punct(prev, "]") && !js_tok_punct(prev, "}");
        default:
                return false;
        }
}

/* Digits of `radix` with numeric separators, appended to sb without the '_'. */
static size_t lex_digits(lexer *lx, strbuf *sb, int radix) {
        size_t n = 0;

        while (lx->i < lx->len) {
                unsigned char c = lx->t[lx->i];

                if (is_radix_digit(c, radix)) {
                        strbuf_addc(sb, (char) c);
                        n++;
                } else if (c == '_') {
                        if (lx->i == 0 || !is_radix_digit(lx->t[lx->i - 1], radix) || lx->i + 1 >= lx->len ||
                            !is_radix_digit(lx->t[lx->i + 1], radix))
                                lex_error(lx, here(lx), "found '_' in a number, expected digits on both sides of it");
                } else
                        break;
                lx->i++;
        }
        return n;
}

static void lex_number(lexer *lx, js_token *tok) {
        const unsigned char *t = lx->t;
        size_t start = lx->i;
        strbuf sb = STRBUF_INIT;
        unsigned c1 = start + 1 < lx->len ? t[start + 1] | 0x20 : 0;
        double v = 0;

        if (t[start] == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
                int radix = c1 == 'x' ? 16 : c1 == 'o' ? 8 : 2;

                lx->i += 2;
                if (lex_digits(lx, &sb, radix) == 0)
                        lex_error(lx, tok->where, "found '0%c' without digits, expected a number such as 0%c1", c1, c1);
                else
                        v = js_digits_to_double(strbuf_str(&sb), sb.len, radix, lx->cloc, &lx->oom);
        } else if (t[start] == '0' && start + 1 < lx->len && (is_digit(t[start + 1]) || t[start + 1] == '_')) {
                while (lx->i < lx->len && (is_digit(t[lx->i]) || t[lx->i] == '_'))
                        lx->i++;
                lex_error(lx, tok->where, "found '%.*s', expected a number without a leading zero (octal is written 0o…)",
                          (int) (lx->i - start > 24 ? 24 : lx->i - start), (const char *) t + start);
        } else {
                lex_digits(lx, &sb, 10);
                if (lx->i < lx->len && t[lx->i] == '.') {
                        strbuf_addc(&sb, '.');
                        lx->i++;
                        lex_digits(lx, &sb, 10);
                }
                if (lx->i < lx->len && (t[lx->i] | 0x20) == 'e') {
                        strbuf_addc(&sb, 'e');
                        lx->i++;
                        if (lx->i < lx->len && (t[lx->i] == '+' || t[lx->i] == '-'))
                                strbuf_addc(&sb, (char) t[lx->i++]);
                        if (lex_digits(lx, &sb, 10) == 0)
                                lex_error(lx, tok->where, "found '%.*s', expected digits after the exponent",
                                          (int) (lx->i - start > 24 ? 24 : lx->i - start), (const char *) t + start);
                }
                if (sb.oom)
                        lx->oom = true;
                v = strtod_l(strbuf_str(&sb), NULL, lx->cloc);
        }
        strbuf_free(&sb);
        if (lx->i < lx->len && t[lx->i] == 'n') {
                lex_error(lx, tok->where, "found a BigInt literal, expected a number (BigInt is not supported)");
                lx->i++;
        } else if (lx->i < lx->len && (is_alpha(t[lx->i]) || is_digit(t[lx->i]) || t[lx->i] >= 0x80)) {
                char buf[16];

                lex_error(lx, here(lx), "found %s right after a number, expected a space or an operator",
                          describe_char(t[lx->i], buf));
                while (lx->i < lx->len && (is_alpha(t[lx->i]) || is_digit(t[lx->i])))
                        lx->i++;
        }
        tok->type = JT_NUMBER;
        tok->num = v;
}

static bool lex_punct(lexer *lx, js_token *tok) {
        const unsigned char *t = lx->t + lx->i;
        size_t avail = lx->len - lx->i;

        for (size_t k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
                size_t n = strlen(puncts[k]);

                if (n > avail || memcmp(t, puncts[k], n) != 0)
                        continue;
                if (strcmp(puncts[k], "?.") == 0 && n < avail && is_digit(t[n]))
                        continue; /* a ? .5 : b */
                memcpy(tok->p, puncts[k], n + 1);
                tok->type = JT_PUNCT;
                lx->i += n;
                if (t[0] == '{')
                        push_brace(lx, 0);
                else if (t[0] == '}' && lx->nbraces)
                        lx->nbraces--;
                return true;
        }
        return false;
}

static void push_token(lexer *lx, js_token *tok) {
        js_tokens *out = lx->out;

        if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 256;
                js_token *v = realloc(out->v, cap * sizeof(*v));

                if (!v) {
                        free(tok->s);
                        lx->oom = true;
                        return;
                }
                out->v = v;
                out->cap = cap;
        }
        out->v[out->n++] = *tok;
}

static void lex_one(lexer *lx, js_token *tok) {
        unsigned c = lx->t[lx->i];

        if (is_alpha(c) || c >= 0x80) {
                unsigned cp;

                if (c >= 0x80 && js_utf8_decode(lx->t + lx->i, lx->len - lx->i, &cp) == 0) {
                        lex_error(lx, tok->where, "found byte 0x%02x, expected UTF-8 text", c);
                        skip_bad_utf8(lx);
                        return;
                }
                lex_name(lx, tok);
        } else if (is_digit(c) || (c == '.' && lx->i + 1 < lx->len && is_digit(lx->t[lx->i + 1])))
                lex_number(lx, tok);
        else if (c == '\'' || c == '"')
                lex_string(lx, tok);
        else if (c == '`') {
                lx->i++;
                lex_template(lx, tok, true);
        } else if (c == '}' && lx->nbraces && lx->braces[lx->nbraces - 1] == 1) {
                lx->nbraces--;
                lx->i++;
                lex_template(lx, tok, false);
        } else if (c == '/' && regex_allowed(lx))
                lex_regex(lx, tok);
        else if (!lex_punct(lx, tok)) {
                char buf[16];

                lex_error(lx, tok->where, "found %s, expected a name, value or operator", describe_char((unsigned char) c, buf));
                lx->i++;
        }
}

int js_lex(const char *file, const char *text, size_t len, locale_t cloc, js_tokens *ret, diag_list *dl) {
        lexer lx = {
                .file = file, .t = (const unsigned char *) text, .len = len, .line = 1, .cloc = cloc,
                .dl = dl, .errors0 = dl->errors, .out = ret,
        };
        js_token eof = { .type = JT_EOF };

        *ret = (js_tokens) { NULL, 0, 0 };
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                lx.i = lx.line_start = 3;
        if (lx.i + 1 < len && text[lx.i] == '#' && text[lx.i + 1] == '!')
                while (lx.i < len && !line_term(&lx, lx.i))
                        lx.i++;
        while (!lx.stop && !lx.oom) {
                bool nl = false;
                js_token tok = { .type = JT_EOF };

                skip_space(&lx, &nl);
                tok.nl_before = nl;
                tok.where = here(&lx);
                tok.off = lx.i;
                if (lx.i >= len)
                        break;
                lex_one(&lx, &tok);
                tok.end = lx.i;
                if (tok.type != JT_EOF)
                        push_token(&lx, &tok);
        }
        free(lx.braces);
        eof.nl_before = true;
        eof.where = here(&lx);
        eof.off = eof.end = lx.i;
        if (!lx.oom)
                push_token(&lx, &eof);
        if (lx.oom) {
                js_tokens_free(ret);
                return -ENOMEM;
        }
        return 0;
}

void js_tokens_free(js_tokens *t) {
        if (!t)
                return;
        for (size_t k = 0; k < t->n; k++)
                free(t->v[k].s);
        free(t->v);
        *t = (js_tokens) { NULL, 0, 0 };
}

bool js_tok_punct(const js_token *t, const char *p) {
        return t->type == JT_PUNCT && strcmp(t->p, p) == 0;
}

bool js_tok_name(const js_token *t, const char *name) {
        return t->type == JT_NAME && strcmp(t->s, name) == 0;
}

/* At most max bytes of s, not cutting a UTF-8 sequence. */
static int clip(const char *s, size_t len, size_t max) {
        if (len <= max)
                return (int) len;
        while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80)
                max--;
        return (int) max;
}

const char *js_tok_describe(const js_token *t, const char *text, char buf[64]) {
        int n;

        switch (t->type) {
        case JT_EOF:
                return "end of file";
        case JT_NAME:
                n = clip(t->s, t->len, 40);
                snprintf(buf, 64, "'%.*s%s'", n, t->s, (size_t) n < t->len ? "…" : "");
                return buf;
        case JT_NUMBER:
                n = clip(text + t->off, t->end - t->off, 40);
                snprintf(buf, 64, "'%.*s%s'", n, text + t->off, (size_t) n < t->end - t->off ? "…" : "");
                return buf;
        case JT_STRING:
                return "a string";
        case JT_TEMPLATE:
        case JT_TEMPLATE_HEAD:
        case JT_TEMPLATE_MIDDLE:
        case JT_TEMPLATE_TAIL:
                return "a template string";
        case JT_REGEX:
                return "a regular expression";
        case JT_PUNCT:
                snprintf(buf, 64, "'%s'", t->p);
                return buf;
        }
        return "a token";
}

bool js_is_reserved(const char *name) {
        for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
                if (strcmp(name, reserved[k]) == 0)
                        return true;
        return false;
}
