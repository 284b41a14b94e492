/* SPDX-License-Identifier: MIT */
/* The JS-lite front end: reads ecosystem.config.js/.cjs/.mjs/.json as a safe
 * subset of JavaScript and returns the value it exports. Nothing is executed.
 *
 * Supported: module.exports = EXPR; module.exports.apps = EXPR; export default EXPR;
 * a bare top-level array/object expression; object/array literals (trailing commas,
 * quoted/unquoted/computed-free keys, shorthand `{ name }`, spread `...name`);
 * '…' "…" `…${expr}…` strings; numbers (dec, hex, 1_000, exponents); true false null
 * undefined; top-level const/let/var NAME = EXPR (and destructuring of require());
 * references to those names; __dirname, __filename; + (string/number), unary -,
 * !, ===, !==, ==, !=, ?:, ||, ??, &&; require('path') / require('node:path') with
 * path.join/resolve/basename/dirname; process.env.X and process.env['X'];
 * os.cpus().length; process.cwd(); // and block comments; hashbang; ASI.
 * Anything else is a diagnostic naming the construct at file:line:col and suggesting
 * `--eval` for files that really need code.
 *
 * Ownership: *ret is a fresh tree owned by the caller (value_free). Locations
 * point at `file`, which must outlive the tree. */
#pragma once

#include <stddef.h>

#include "diag.h"
#include "value.h"

typedef struct js_host {
        /* Looks up an environment variable at compile time; NULL when unset. */
        const char *(*getenv)(void *userdata, const char *name);
        long ncpus;          /* what os.cpus().length evaluates to */
        const char *cwd;     /* absolute; for process.cwd() and path.resolve() */
        void *userdata;
} js_host;

/* file: the path as given (used in diagnostics); abs_file: its absolute path (for
 * __filename/__dirname). Returns 0 with *ret set, or -EINVAL (diagnostics in dl)
 * or -ENOMEM. Warnings may be added on success. */
int js_parse(const char *file, const char *abs_file, const char *text, size_t len,
             const js_host *host, value **ret, diag_list *dl);
