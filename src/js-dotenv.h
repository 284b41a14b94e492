/* SPDX-License-Identifier: MIT */
/* The .env format exactly as dotenv's parse() reads it (its default parser, the
 * LINE regular expression of dotenv 17's lib/main.js), for the JS-lite front
 * end's dotenv support:
 *
 *   KEY=VALUE and KEY: VALUE lines (keys of letters, digits, '_', '.', '-'), an
 *   optional `export ` prefix, white space around '=' ignored; values in '…',
 *   "…" or `…` may span lines, keep their inner text as is, and "…" expands \n
 *   and \r; an unquoted value ends at '#' or the end of the line and is trimmed;
 *   `# comments`; CRLF read as LF; lines that match nothing are skipped without a
 *   word, as dotenv does. Bytes that are not UTF-8 become U+FFFD, as node's
 *   decoder makes them. */
#pragma once

#include <stddef.h>

/* Called for every KEY=VALUE in file order (a key may come again: the later one
 * wins, as with dotenv). key is NUL-terminated; value has len bytes, no NUL,
 * and is NUL-terminated too. Both are valid until the callback returns. A
 * negative return stops parsing and is returned. */
typedef int (*dotenv_fn)(void *userdata, const char *key, const char *value, size_t len);

/* Returns 0, -ENOMEM, a callback's error, or -EINVAL with *line and *col
 * (1-based, col in bytes) set to the first NUL byte (values cannot hold one). */
int dotenv_parse(const char *text, size_t len, dotenv_fn fn, void *userdata, unsigned *line, unsigned *col);
