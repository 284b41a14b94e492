/* SPDX-License-Identifier: MIT */
/* The JS-lite front end: reads ecosystem.config.js/.cjs/.mjs/.json as a safe
 * subset of JavaScript and returns the value it exports. Nothing is executed.
 *
 * Supported: module.exports = EXPR; module.exports.apps = EXPR; export default EXPR;
 * a bare top-level array/object expression; object/array literals (trailing commas,
 * quoted/unquoted/computed-free keys, shorthand `{ name }`, spread `...name`);
 * '…' "…" `…${expr}…` strings; numbers (dec, hex, 1_000, exponents); true false null
 * undefined NaN Infinity; top-level const/let/var NAME = EXPR (and destructuring of
 * require() and process.env); references to those names; __dirname, __filename;
 * + - * / % (JavaScript's coercions: '6' - 1 is 5, 'a' * 1 is NaN, 7 / 2 is 3.5),
 * unary - + !, ===, !==, ==, !=, ?:, ||, ??, &&, parentheses; parseInt(x[, radix]),
 * parseFloat(x), Number(x), String(x), Number.parseInt/parseFloat,
 * Math.max/min/floor/ceil/round; require('path') / require('node:path') with
 * path.join/resolve/basename/dirname; require('os') with os.cpus().length,
 * os.availableParallelism() (host->ncpus) and os.homedir() (host->homedir);
 * process.env.X and process.env['X']; process.cwd(); import.meta.url/dirname/filename
 * with url.fileURLToPath; // and block comments; hashbang; ASI. os.hostname() is an
 * error: the units would carry the name of the machine that compiles them.
 *
 * Evaluation follows JavaScript where it matters for side effects: the right side
 * of || && ?? and the branch of ?: that JavaScript would skip are still read (for
 * errors) but load nothing.
 *
 * dotenv: require('dotenv').config([{ path, override }]), dotenv.config() after
 * `import dotenv from 'dotenv'` or `import { config }`, require('dotenv/config') and
 * `import 'dotenv/config'` read the .env files through host->read_file with
 * dotenv's rules (js-dotenv.h), and process.env.X after that statement sees them;
 * a variable already set in pmgen's environment keeps its value unless override
 * (dotenv's default). path may be a string or a list (the first file that sets a
 * variable wins; with override, the last); '~' is host->homedir. DOTENV_CONFIG_PATH and
 * DOTENV_CONFIG_OVERRIDE are read as dotenv reads them. The default file, and a
 * relative path, are taken from the declaration's directory, not from the current
 * directory as dotenv does: `pm2 start` is run from the app's directory, where the
 * file usually is, while pmgen runs from anywhere (the generator from /), and the
 * units must not depend on where it was started. A missing file is a warning
 * (dotenv ignores it silently); a file that cannot be read is an error; the
 * processEnv, fast and secure options and encodings other than UTF-8 are errors.
 * config() returns { parsed: { … every variable the files set } }, as dotenv does.
 *
 * `{ ...process.env }` copies only the variables the file names by name
 * anywhere — process.env.NAME, process.env['NAME'] and the keys of
 * `{ NAME, … } = process.env` — that are set (pmgen's environment and what dotenv
 * loaded before the spread), in the order the file first names them, with a
 * warning that lists them: the whole compile-time environment (HOME, PATH,
 * SUDO_USER, secrets of the shell that ran pmgen) is never what a unit should
 * carry. process.env anywhere else than a spread or a member is an error.
 *
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
        /* Reads a whole .env file for dotenv (path is absolute): 0 with *ret
         * (malloc'd, NUL-terminated, freed by the parser) and *len, or -errno
         * (-ENOENT: no such file). NULL: every file is missing. */
        int (*read_file)(void *userdata, const char *path, char **ret, size_t *len);
        const char *homedir; /* absolute; os.homedir() and dotenv's '~'; NULL: unknown */
} js_host;

/* file: the path as given (used in diagnostics); abs_file: its absolute path (for
 * __filename/__dirname). Returns 0 with *ret set, or -EINVAL (diagnostics in dl)
 * or -ENOMEM. Warnings may be added on success. */
int js_parse(const char *file, const char *abs_file, const char *text, size_t len,
             const js_host *host, value **ret, diag_list *dl);
