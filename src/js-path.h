/* SPDX-License-Identifier: MIT */
/* Node's path.posix functions, byte for byte, for the JS-lite front end
 * (parse-js.c): what `path.join(__dirname, '../logs')` evaluates to in node is
 * what pmgen computes. Each appends its result to out; check out->oom once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

typedef struct js_str {
        const char *s;
        size_t len;
} js_str;

void js_path_normalize(js_str path, strbuf *out);
void js_path_join(const js_str *parts, size_t n, strbuf *out);
/* cwd: absolute, used when no part is absolute. */
void js_path_resolve(const js_str *parts, size_t n, js_str cwd, strbuf *out);
void js_path_dirname(js_str path, strbuf *out);
/* ext: path.basename's optional second argument (ext.s == NULL: absent). */
void js_path_basename(js_str path, js_str ext, strbuf *out);
