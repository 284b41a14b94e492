/* SPDX-License-Identifier: MIT */
/* The INI front end (pmgen.ini(5)), read with libinih.
 *
 *   ; comment            # comment
 *   [api]                one section per app; the section name is the app's name
 *   script = server.js   keys are the ecosystem file's attribute names
 *   args = --port 3000   a list: words separated by spaces, each optionally "quoted"
 *   args += --verbose    a long value continues on `KEY +=` lines (see parse-ini.c)
 *   [api env]            the app's `env` object
 *   [api env_production] the app's `env_production` object
 *
 * The result has the same shape as the JS-lite front end's:
 *   { "apps": [ { "name": "api", "script": "server.js", "env": { … }, … } ] }
 * Every scalar is a V_STRING with `untyped` set, holding the text as written after
 * trimming (quotes and escapes are NOT interpreted here: model.c reads a scalar by
 * the type its key wants, with ini_unquote() or ini_split_words() below). A value
 * continued with `KEY +=` lines holds its pieces joined by '\n' (a newline can never
 * come from a single line, so it marks the piece boundary). Locations are exact:
 * line, and the column where the value (or key, for key_where) starts. Apps are in
 * the order of their [NAME] headers; each app's env sections come after its keys.
 *
 * libinih quirks the reader guards against, each reported as an error with its
 * line: lines longer than INI_MAX_LINE-2 bytes (libinih would cut them and parse the
 * rest as a new line), section names longer than 49 bytes (truncated), indented
 * lines (joined to the previous key), NUL bytes (the rest of the line would vanish),
 * ':' as a key/value separator, text after a section's ']' (ignored), duplicate keys
 * and duplicate sections, a key outside any section, a line that is neither. An
 * inline comment starts at " ;" (whitespace then ';'); a ';' inside double quotes is
 * kept (the reader hides it from libinih). A UTF-8 BOM and CRLF line ends are
 * accepted; other control characters than tab are not.
 *
 * Ownership: *ret is owned by the caller; locations borrow `file`. */
#pragma once

#include <stddef.h>

#include "diag.h"
#include "strbuf.h"
#include "value.h"

/* Longest line (bytes, without the newline) and longest section name (bytes between
 * the brackets) pmgen.ini accepts; fixed by libinih's INI_MAX_LINE and MAX_SECTION
 * (parse-ini.c checks them against <ini.h>). The writer keeps to them too. */
#define PMGEN_INI_LINE_MAX 198
#define PMGEN_INI_SECTION_MAX 49
/* Largest file ini_parse_text() reads. */
#define PMGEN_INI_FILE_MAX (4 * 1024 * 1024) /* as the CLI reads (DECL_MAX_BYTES) */

/* Parses a whole pmgen.ini text (need not be NUL-terminated). Returns 0 with *ret
 * set to { apps: [...] }, -EINVAL when it reported errors to dl (*ret untouched), or
 * -ENOMEM. Every error in the file is reported, not only the first. */
int ini_parse_text(const char *file, const char *text, size_t len, value **ret, diag_list *dl);

/* Reads one untyped scalar (the raw text of a value): bare text is taken as it is;
 * text starting with '"' must be exactly one double-quoted string, whose escapes
 * \\ \" \n \t \r \xHH are decoded (\x00 is not allowed); a '"' anywhere else is an
 * error. The pieces of a value continued with `KEY +=` ('\n'-separated) are read
 * each on its own and concatenated with nothing between them.
 * Appends the result to out and returns 0; or returns -EINVAL with *err_col set to
 * the byte offset in text to add to the value's column (0 for a problem in a `+=`
 * piece, whose message says so) and *err_msg to a static message, out unchanged;
 * or -ENOMEM. */
int ini_unquote(const char *text, size_t len, strbuf *out, size_t *err_col, const char **err_msg);

/* Reads an untyped list: words separated by whitespace (a `+=` piece boundary
 * separates words too), each bare (no '"' in it) or one double-quoted string with
 * the escapes above, followed by whitespace or the end. Returns 0 with *words a
 * heap array of *n heap strings (NULL and 0 for no words; the caller frees each word
 * and the array), or -EINVAL with *err_col and *err_msg as for ini_unquote(), or -ENOMEM. */
int ini_split_words(const char *text, size_t len, char ***words, size_t *n, size_t *err_col,
                    const char **err_msg);
