/* SPDX-License-Identifier: MIT */
/* Small text edits of a store file (pmgen.ini(5)) that keep everything else as it
 * is, comments included: what `pmgen scale` and `pmgen delete` change. Pure
 * (tests/unit/test-edit.c). The caller parses the result before writing it. */
#pragma once

#include <stdbool.h>

/* Sets `instances = count` in the [app] section (replacing the line, or adding one
 * after the header). *ret is malloc'd. 0, -ENOENT (no [app] section), -ENOMEM. */
int edit_set_instances(const char *text, const char *app, unsigned count, char **ret);

/* Removes the [app], [app env] and [app env_*] sections (and the comment lines just
 * above them). *empty: no section is left. 0, -ENOENT, -ENOMEM. */
int edit_remove_app(const char *text, const char *app, char **ret, bool *empty);

/* The store file name for a source: its base name without the last extension,
 * ".ini" appended ("/srv/api/ecosystem.config.js" → "ecosystem.config.ini"); when
 * `taken` says a name belongs to another source, "-2", "-3" … before ".ini".
 * taken(name, userdata) returns true when the name is used by another source. */
char *edit_store_name(const char *source, bool (*taken)(const char *name, void *userdata), void *userdata);
