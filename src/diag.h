/* SPDX-License-Identifier: MIT */
/* Diagnostics: every problem found in a declaration, with its place.
 *
 * Core code never prints: it appends to a diag_list and keeps going where it can,
 * and the edge (CLI, generator) prints them all and decides the exit code.
 * Rendering: "FILE:LINE:COL: error: MESSAGE" (warning/note likewise). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* A place in a declaration file. line and col are 1-based; col counts bytes.
 * file is borrowed: it must outlive every loc that points to it (the parse
 * input owns it). line == 0 means "no position" (whole file or command line). */
typedef struct loc {
        const char *file;
        unsigned line;
        unsigned col;
} loc;

typedef enum diag_level {
        DIAG_NOTE,
        DIAG_WARNING,
        DIAG_ERROR,
} diag_level;

typedef struct diag {
        diag_level level;
        loc where;
        char *msg; /* owned */
} diag;

typedef struct diag_list {
        diag *v;
        size_t n;
        size_t cap;
        size_t errors;
        size_t warnings;
        bool oom; /* a diagnostic could not be recorded: treat as an error */
} diag_list;

#define DIAG_LIST_INIT { NULL, 0, 0, 0, 0, false }

void diag_add(diag_list *dl, diag_level level, loc where, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
#define diag_error(dl, where, ...) diag_add((dl), DIAG_ERROR, (where), __VA_ARGS__)
#define diag_warning(dl, where, ...) diag_add((dl), DIAG_WARNING, (where), __VA_ARGS__)
#define diag_note(dl, where, ...) diag_add((dl), DIAG_NOTE, (where), __VA_ARGS__)

static inline bool diag_failed(const diag_list *dl) {
        return dl->errors > 0 || dl->oom;
}

/* Append one rendered line per diagnostic ("file:line:col: level: msg\n"). */
void diag_render(const diag_list *dl, strbuf *out);
void diag_render_one(const diag *d, strbuf *out);
void diag_list_free(diag_list *dl);

/* Message helpers shared by the front ends and the model. */

/* Levenshtein distance, capped: returns a value > max once it exceeds max. */
unsigned edit_distance(const char *a, const char *b, unsigned max);
/* Describe a byte for a message: "'x'", "newline", "byte 0x01", "space". */
const char *describe_char(unsigned char c, char buf[16]);
