/* SPDX-License-Identifier: MIT */
/* What the pmgen verbs share: exit codes (pmgen(1), EXIT STATUS), their options,
 * and printing diagnostics. */
#pragma once

#include <stdbool.h>

#include "diag.h"

enum {
        EXIT_DECL = 1,   /* the declarations have errors; nothing was changed */
        EXIT_USAGE = 2,  /* bad command line */
        EXIT_SYSTEM = 3, /* a file could not be read or written, systemd could not be reached */
        EXIT_UNIT = 4,   /* systemd refused or a job failed: an instance did not start, stop or reload */
        EXIT_NOAPP = 5,  /* no such app */
};

typedef struct verb_opts {
        const char *profile;  /* --env */
        bool user;            /* --user */
        bool dry_run;         /* --dry-run */
        bool prune;           /* --prune */
        bool json;            /* --json */
        bool follow;          /* -f */
        bool err_only;        /* --err */
        bool time;            /* logs --time */
        bool update_env;      /* --update-env */
        bool quiet;           /* -q */
        bool all_env;         /* import --all-env */
        bool apply;           /* import --apply */
        long lines;           /* --lines; -1: the default */
        const char *output;   /* -o */
        const char *to;       /* --to */
} verb_opts;

void print_diags(const diag_list *dl, bool quiet);
/* Colours on stdout: a terminal, and NO_COLOR unset. */
bool use_color(void);
