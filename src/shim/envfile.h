/* SPDX-License-Identifier: MIT */
/* The instance's environment file (EnvironmentFile=%Y/NAME.env), read again for a reload so that changed
 * variables reach the new child (PM2's --update-env).
 *
 * envfile_parse reads the text the way systemd's EnvironmentFile= does (src/basic/env-file.c): one
 * KEY=VALUE per line; blank lines and lines starting with '#' or ';' are skipped, and so is a line without
 * '='; blanks around the key and around an unquoted value are dropped; '…' takes everything literally,
 * "…" honours \" \\ \` \$ and backslash-newline (other escapes stay as written); outside quotes a
 * backslash takes the next character literally and backslash-newline continues the line; quoted and
 * unquoted parts of one value are joined ("a"b'c' is abc). No $VAR expansion. Assignments whose name is
 * not [A-Za-z_][A-Za-z0-9_]* are skipped and counted, as systemd drops them with a warning.
 *
 * The result is a packed list "NAME=VALUE\0NAME=VALUE\0…" (the control protocol's form, control.h).
 * envfile_parse is pure (no I/O, no allocation: the caller gives the output buffer); envfile_merge
 * allocates the array it returns and nothing else. */
#pragma once

#include <stddef.h>

/* Parses len bytes of text into out (size bytes). On success returns 0 and sets *out_len (bytes used,
 * the NULs included), *n_vars and *n_skipped (invalid names). -EINVAL: the text contains a NUL byte;
 * -ENOBUFS: out is too small (size >= len + 1 always suffices). Later assignments of a name do not
 * replace earlier ones here; the reader of the list lets the last one win. */
int envfile_parse(const char *text, size_t len, char *out, size_t size, size_t *out_len, size_t *n_vars,
                  size_t *n_skipped);

/* Whether s[0..len) is a valid variable name ([A-Za-z_][A-Za-z0-9_]*). */
int envfile_name_valid(const char *s, size_t len);

/* The environment a child gets after a reload: base (the shim's own environ) without the variables that
 * list (len bytes, packed as above) names, then the list's assignments, in its order (the last of a name
 * wins). An entry "-NAME" only removes NAME. On success *ret is a NULL-terminated array, owned by the
 * caller (free() it, not its strings), whose strings point into base and into list: both must outlive
 * it. -EINVAL for a malformed list (an empty entry, an entry without '=' or '-', a bad name), -ENOMEM. */
int envfile_merge(char *const *base, const char *list, size_t len, char ***ret);
