/* SPDX-License-Identifier: MIT */
/* The host as the compiler sees it: environment, CPUs, PATH lookup, files.
 * The core reaches these only through the callbacks in js_host and plan_host. */
#pragma once

#include <stddef.h>

#include "emit.h"
#include "parse-js.h"
#include "plan.h"

void host_js(js_host *h, const char *cwd);
void host_plan(plan_host *h);
long host_ncpus(void);

/* Reads a whole file (at most max bytes, else -EFBIG). *ret is malloc'd and
 * NUL-terminated. 0 or -errno. */
int read_file(const char *path, size_t max, char **ret, size_t *len);

/* Writes every file under dir (created if needed), each through a temporary file
 * in the same directory, fsync and rename; symlinks likewise. Stops at the first
 * failure and returns -errno with *failed naming the file. */
int write_out_files(const char *dir, const out_files *f, const char **failed);
