/* SPDX-License-Identifier: MIT */
/* A unified diff of two texts, line by line (longest common subsequence), for `pmgen diff`. Pure. */
#pragma once

#include "strbuf.h"

/* Appends "--- label_a\n+++ label_b\n" and "@@ -A,N +B,M @@" hunks with `context` unchanged lines
 * around each change; nothing when the texts are equal. Texts of more than LINEDIFF_MAX_LINES lines each
 * are shown whole, as removed and added. */
#define LINEDIFF_MAX_LINES 4000
void line_diff(strbuf *out, const char *a, const char *b, const char *label_a, const char *label_b, unsigned context);
