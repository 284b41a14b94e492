/* SPDX-License-Identifier: MIT */
/* The tokenizer of the JS-lite front end (parse-js.c). It turns a whole file
 * into an array of tokens ending with JT_EOF, decoding string and template
 * escapes and numbers on the way. Problems are diagnostics; lexing continues
 * after them (a bad byte is skipped, an unterminated string ends at its line).
 *
 * Ownership: the token array and each token's text are owned by the js_tokens
 * and freed by js_tokens_free(). Locations point at `file`. */
#pragma once

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Both the lexer and the parser stop after this many errors. */
#define JS_MAX_ERRORS 50

typedef enum js_tok_type {
        JT_EOF,
        JT_NAME,            /* identifier or reserved word, in s */
        JT_STRING,          /* '…' or "…": decoded bytes in s/len */
        JT_NUMBER,          /* num */
        JT_TEMPLATE,        /* `…` without substitutions: cooked text in s/len */
        JT_TEMPLATE_HEAD,   /* `…${ */
        JT_TEMPLATE_MIDDLE, /* }…${ */
        JT_TEMPLATE_TAIL,   /* }…` */
        JT_REGEX,           /* /…/flags (only recognised to reject it) */
        JT_PUNCT,           /* p: "{", "===", "...", "=>" … */
} js_tok_type;

typedef struct js_token {
        js_tok_type type;
        bool nl_before; /* a line terminator precedes it (automatic semicolon insertion) */
        loc where;
        char *s;        /* owned, NUL-terminated; NULL for other types */
        size_t len;
        double num;
        char p[5];
        size_t off, end; /* the token's bytes in the source, for messages */
} js_token;

typedef struct js_tokens {
        js_token *v;
        size_t n, cap;
} js_tokens;

/* Tokenizes text[0..len). Returns 0 (errors, if any, are in dl and *ret still
 * ends with JT_EOF) or -ENOMEM. cloc is a "C" locale for strtod_l(). */
int js_lex(const char *file, const char *text, size_t len, locale_t cloc, js_tokens *ret, diag_list *dl);
void js_tokens_free(js_tokens *t);

bool js_tok_punct(const js_token *t, const char *p);
bool js_tok_name(const js_token *t, const char *name);
/* "end of file", "'foo'", "'=>'", "a string", "'0x1f'" … for "found X" messages. */
const char *js_tok_describe(const js_token *t, const char *text, char buf[64]);
/* A reserved word of JavaScript (strict mode), not usable as a variable name. */
bool js_is_reserved(const char *name);

/* White space other than ASCII and the line terminators: U+00A0, U+FEFF and Unicode's Zs. */
bool js_is_space_cp(unsigned cp);

/* The length of the valid UTF-8 sequence at s (1..4, n bytes available) with *cp
 * set to its code point, or 0 if it is not valid UTF-8. */
size_t js_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);
