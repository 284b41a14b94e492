/* SPDX-License-Identifier: MIT */
/* `pmgen env APP`. */
#pragma once

#include <stddef.h>

#include "cli.h"
#include "strbuf.h"

/* One line per NAME=VALUE of block (an environ block: NUL-separated, len bytes) with its source:
 * "declared" (in declared, a NULL-terminated list; the value masked unless env_shown), "pmgen" (what the
 * shim and the unit add), "declared, extended by pmgen" or "systemd". Pure. */
void env_report(const char *block, size_t len, const char *const *declared, strbuf *out);

int cmd_env(const verb_opts *o, const char *app);
