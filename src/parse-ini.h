/* SPDX-License-Identifier: MIT */
/* The INI front end (pmgen.ini(5)), read with libinih.
 *
 *   ; comment            # comment
 *   [api]                one section per app; the section name is the app's name
 *   script = server.js   keys are the ecosystem file's attribute names
 *   [api env]            the app's `env` object
 *   [api env_production] the app's `env_production` object
 *
 * The result has the same shape as the JS-lite front end's:
 *   { "apps": [ { "name": "api", "script": "server.js", "env": { … }, … } ] }
 * Every scalar is a V_STRING with `untyped` set, holding the text as written after
 * trimming (quotes and escapes are NOT interpreted here: model.c reads a scalar by
 * the type its key wants, see model_scalar_* ). Locations are exact: line, and the
 * column where the value (or key, for key_where) starts.
 *
 * libinih quirks the reader guards against, each reported as an error with its
 * line: lines longer than INI_MAX_LINE-1 bytes (libinih would cut them), section
 * names longer than 49 bytes, indented lines (libinih joins them to the previous
 * key), duplicate keys and duplicate sections, a key outside any section, a line
 * that is neither. An inline comment starts at " ;" (whitespace then ';'); a ';'
 * inside double quotes is kept (the reader hides it from libinih).
 *
 * Ownership: *ret is owned by the caller; locations borrow `file`. */
#pragma once

#include <stddef.h>

#include "diag.h"
#include "value.h"

int ini_parse_text(const char *file, const char *text, size_t len, value **ret, diag_list *dl);
