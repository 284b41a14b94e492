/* SPDX-License-Identifier: MIT */
/* The compile pipeline shared by the CLI verbs (and the generator): read a
 * declaration file, parse it with the front end its extension names, build the
 * model, plan every app for this host and emit its units. */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "emit.h"
#include "model.h"

typedef struct compile_opts {
        const char *profile;      /* --env NAME */
        bool eval;                /* --eval: let node evaluate the file */
        const char *shim_path;
        const char *preload_path;
        const char *bind_preload_path;
        const char *generator;    /* name in the header line */
        bool user;                /* units for the user manager (generate --user) */
        bool paths_must_exist;    /* apply: a missing cwd or script is an error */
} compile_opts;

typedef struct decl_file {
        const char *file; /* as given (borrowed: must outlive every diagnostic) */
        char *abs_file;
        char *dir;
        char *text;
        size_t len;
        value *raw;
        model m;
} decl_file;

typedef enum decl_format {
        FORMAT_UNKNOWN,
        FORMAT_JS,
        FORMAT_INI,
} decl_format;

decl_format decl_format_of(const char *path);

/* 0, -EINVAL (diagnostics in dl) or -errno (I/O: a diagnostic names the file). */
int decl_load(const char *file, const compile_opts *o, decl_file *ret, diag_list *dl);
int decl_emit(const decl_file *d, const compile_opts *o, out_files *out, diag_list *dl);
void decl_free(decl_file *d);
