/* SPDX-License-Identifier: MIT */
/* The declaration store: the directories the generator compiles at every boot and
 * daemon-reload, and where `pmgen apply` keeps what it applied.
 *
 * System manager: /run/pmgen, /etc/pmgen, /usr/lib/pmgen, searched in that order;
 * the first file of a name wins (a file in /etc/pmgen replaces one of the same name
 * in /usr/lib/pmgen, as systemd's own directories do). `pmgen apply` writes to
 * /etc/pmgen. User manager: ~/.config/pmgen ($XDG_CONFIG_HOME/pmgen) only.
 * $PMGEN_GENERATOR_DIRS (colon-separated, first wins) replaces the search path and
 * $PMGEN_CONFIG_DIR the directory apply writes to (tests run without root so).
 *
 * A declaration is NAME.ini (pmgen.ini(5)); NAME.ini.d/ *.conf drop-ins, from every
 * directory of the path (the first of a name wins), are read in file-name order and
 * override the base: a key replaces the base's, env sections merge variable by
 * variable, a section of an app the base does not have adds that app. Hidden files
 * and backups (~, .swp, .dpkg-*, .rpm*, .bak, .orig, #…#) are ignored. A declaration
 * that is empty or a symlink to /dev/null masks the ones below it.
 *
 * A file written by apply starts with a line naming what it came from:
 *   ; Applied by pmgen from /srv/api/ecosystem.config.js with --env production
 * and holds the declaration normalized for this host: the profile merged into env
 * (no env_* sections), every path absolute, the interpreter resolved. Mode 0600.
 *
 * Ownership: every struct owns its strings; the *_free functions release them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"
#include "diag.h"
#include "plan.h"
#include "strbuf.h"

#define STORE_HEADER_PREFIX "; Applied by pmgen from "

typedef struct store_paths {
        char **dirs; /* search order, first wins */
        size_t n;
        char *config_dir; /* where apply, scale and delete write */
        bool user;
} store_paths;

/* From the environment (see above). 0 or -ENOMEM, -ENOENT (no home directory). */
int store_paths_get(bool user, store_paths *ret);
void store_paths_free(store_paths *p);

/* True for a file name the store reads: NAME.ini (or, with dropin, NAME.conf), not
 * hidden, not a backup. Pure. */
bool store_name_ok(const char *name, bool dropin);

typedef struct store_entry {
        char *name;     /* "api.ini" */
        char *path;     /* the winning file */
        char **dropins; /* NAME.ini.d/ *.conf paths, in the order they apply */
        size_t n_dropins;
        bool masked;    /* empty or a link to /dev/null */
        char *shadowed; /* a lower-priority file of the same name, or NULL */
} store_entry;

typedef struct store_list {
        store_entry *v; /* sorted by name */
        size_t n;
} store_list;

/* Lists the effective declarations of the search path. Missing directories are
 * fine. 0 or -errno (an unreadable directory; *bad names it, static until the next
 * call). */
int store_list_files(const store_paths *p, store_list *ret, const char **bad);
void store_list_free(store_list *l);

/* Reads, parses and builds the model of one entry, drop-ins merged. The entry must
 * outlive *ret (diagnostics borrow its paths). 0, -EINVAL (diagnostics) or -errno. */
int store_load(const store_entry *e, decl_file *ret, diag_list *dl);

/* Parses a declaration held in memory (what apply is about to write) as the
 * generator will read it from `path`. text is copied. */
int store_load_text(const char *path, const char *text, size_t len, decl_file *ret, diag_list *dl);

/* The header line written by apply; *source and *profile (NULL when none) are
 * malloc'd. -ENOENT when text does not start with one. Pure. */
int store_header_parse(const char *text, char **source, char **profile);

/* Renders a loaded declaration as apply stores it (see above): the header naming
 * source and label_profile, then the apps normalized by plan_app() for this host
 * with plan_profile (NULL: none). 0, -EINVAL (diagnostics) or -ENOMEM. Pure apart
 * from the plan host. */
int store_render(const decl_file *d, const char *source, const char *label_profile, const char *plan_profile,
                 const plan_host *h, strbuf *out, diag_list *dl);

/* The emit options the generator uses (units for the store path `source`). */
void store_emit_opts(bool user, const char *source, emit_opts *eo);

/* Emits every app of d as the generator does; out gets the files of all apps.
 * Per-app ranges: app i's files are out->v[first[i]] .. out->v[first[i+1]-1] (first
 * is malloc'd, n_apps + 1 entries; may be NULL when not wanted). */
int store_emit(const decl_file *d, bool user, out_files *out, size_t **first, diag_list *dl);

/* Serializes the commands that change the store (apply, scale, delete): an
 * exclusive flock on DIR/.lock (created with DIR when missing), waiting for another
 * one to finish (*waited says so). Returns the fd to close, or -errno. */
int store_lock(const char *dir, bool *waited);

/* Writes text to dir/name through a temporary file (mode, fsync, rename, fsync of
 * the directory); creates dir (0755) when missing. 0 or -errno. */
int store_write_file(const char *dir, const char *name, const char *text, unsigned mode);
