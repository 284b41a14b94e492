/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"

void print_diags(const diag_list *dl, bool quiet) {
        strbuf sb = STRBUF_INIT;

        for (size_t i = 0; i < dl->n; i++)
                if (!quiet || dl->v[i].level == DIAG_ERROR)
                        diag_render_one(&dl->v[i], &sb);
        if (dl->oom)
                strbuf_adds(&sb, "pmgen: out of memory while recording diagnostics\n");
        fputs(strbuf_str(&sb), stderr);
        strbuf_free(&sb);
}

bool use_color(void) {
        const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

        return isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}
