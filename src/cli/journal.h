/* SPDX-License-Identifier: MIT */
/* `pmgen logs` and the recent exits of `pmgen describe`, from sd-journal.
 *
 * An app's records are those journald tagged PMGEN_APP=NAME (the units set
 * LogExtraFields=PMGEN_APP=NAME and PMGEN_INSTANCE=%i), or with SYSLOG_IDENTIFIER=NAME
 * from one of its units; journald merges them in time order across files. System
 * apps' records are those without _SYSTEMD_USER_UNIT, the user manager's those with
 * it and the caller's _UID.
 *
 * journald does not record which stream (stdout or stderr) a line came from, so
 * --err shows the records at priority warning or worse: an app's stderr lines get
 * that priority when it writes them with a "<4>"/"<3>" prefix (SyslogLevelPrefix=). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strbuf.h"

typedef struct log_query {
        const char *const *apps; /* NULL-terminated */
        bool user;
        long lines;              /* the last N records (then -f follows) */
        bool follow, err_only, json, color;
        bool time;                      /* --time: every line with its time */
        const char *const *time_formats; /* per app (parallel to apps; NULL entries): log_date_format */
        const char *instance;           /* only this instance's records (pmgen logs APP@N); NULL: all */
} log_query;

/* Prints; 0, or -errno (-EPIPE when the reader went away: not an error). */
int journal_logs(const log_query *q, FILE *out);

/* One record as `pmgen logs` prints it. Pure (tests/unit/test-table.c). */
typedef struct log_line {
        uint64_t usec;       /* realtime */
        const char *app, *instance, *message;
        size_t message_len;
        int priority;        /* -1: unknown */
        uint32_t pid;
        bool from_systemd;   /* a record of systemd itself about the unit */
        const char *time_format; /* NULL, or the moment.js format (timefmt.h) of the time before the message */
} log_line;
/* "INSTANCE|APP  | [TIME: ]MESSAGE\n" (the app padded to width; TIME in local time), or one JSON object a
 * line. */
void log_render(const log_line *l, int width, bool json, bool color, strbuf *out);

typedef struct unit_exit {
        uint64_t usec;
        char *unit;
        char *message; /* systemd's "Main process exited, code=exited, status=1/FAILURE" */
} unit_exit;
/* The last `max` exits of the main process of units named PREFIX… (newest last). */
int journal_unit_exits(const char *prefix, bool user, size_t max, unit_exit **ret, size_t *n);
void unit_exits_free(unit_exit *v, size_t n);
