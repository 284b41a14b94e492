/* SPDX-License-Identifier: MIT */
/* The only ways a user string reaches a unit file or an environment file.
 *
 * Each escaper appends to a strbuf and is unit-tested (tests/unit/test-escape.c).
 * Validators return NULL when the string is acceptable, else a static message
 * and the byte offset of the offending character in *bad_at. Nothing here lets a
 * newline, a '\' at the end of a line, or an unescaped specifier into a unit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* App and namespace names become unit names ("NAME@.service", "NAME.target"):
 * 1-64 bytes of [A-Za-z0-9_.:-], starting with a letter or digit. */
#define NAME_MAX_LEN 64
const char *name_check(const char *name, size_t *bad_at);

/* A systemd unit name for After= and the like: [A-Za-z0-9:_.\\@-], a known type suffix, no template. */
const char *unit_name_check(const char *name, size_t *bad_at);

/* Environment variable names: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes. */
const char *env_name_check(const char *name, size_t *bad_at);

/* A value that goes on one unit line (paths, descriptions): rejects control
 * characters (newline included), and a trailing '\' (line continuation). */
const char *unit_value_check(const char *s, size_t *bad_at);

/* '%' -> "%%" (for settings that expand specifiers). Call unit_value_check first. */
void escape_specifiers(strbuf *out, const char *s);

/* One word of an ExecStart= command line. Written bare when it consists only of
 * [A-Za-z0-9_./:=,+@-] and does not start with a prefix character (@:+!|; a leading - is fine after the first word);
 * otherwise double-quoted with C escapes ("\\", "\"", "\n", "\t", "\xHH" for other
 * control bytes). Always '%' -> "%%" and '$' -> "$$" so neither specifiers nor
 * environment variables are expanded. Never emits a raw control character. */
void escape_exec_word(strbuf *out, const char *word);

/* A line "NAME=VALUE\n" for an EnvironmentFile=. VALUE is double-quoted; '"', '\\',
 * '$' and '`' are backslash-escaped; a newline is written as a literal newline
 * inside the quotes (systemd keeps it). NAME must pass env_name_check. */
void escape_env_line(strbuf *out, const char *name, const char *value);

/* A line `Environment="NAME=VALUE"\n` for a unit: '"' and '\\' backslash-escaped, '%' doubled. NAME must
 * pass env_name_check and VALUE unit_value_check. */
void escape_environment(strbuf *out, const char *name, const char *value);

/* Unit-name escaping for free-form text (systemd-escape): used for paths turned
 * into unit names. '/' -> '-', other bytes outside [A-Za-z0-9:_.] -> "\xHH". */
void escape_unit_name_part(strbuf *out, const char *s);
