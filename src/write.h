/* SPDX-License-Identifier: MIT */
/* Writers for a value tree: JSON, an ecosystem.config.js, and pmgen's INI form.
 * Used by `pmgen convert` and `--eval`. Output is deterministic (member order as
 * in the tree). Pure: they append to a strbuf and never print.
 *
 * value_to_ini expects the normalized declaration shape produced by
 * model.root: { apps: [ { name, scalar keys…, list keys (arrays of strings, numbers or booleans),
 * env: {K: "V"}, env_<profile>: {…} } ] } and writes one [name] section per app,
 * then [name env] / [name env_<profile>] sections. Strings that need it are
 * written double-quoted with C escapes; arrays as space-separated words, each
 * double-quoted when needed. Returns -EINVAL (with a diagnostic) for shapes INI
 * cannot express. */
#pragma once

#include "diag.h"
#include "strbuf.h"
#include "value.h"

void value_to_json(const value *v, strbuf *out, int indent);   /* indent 0 = compact */
void value_to_js(const value *v, strbuf *out);                 /* "module.exports = {…};\n" */
int value_to_ini(const value *v, strbuf *out, diag_list *dl);
/* A JSON string literal of s (len bytes): quotes, C0 escapes, invalid UTF-8 as U+FFFD. */
void json_escape(strbuf *out, const char *s, size_t len);
