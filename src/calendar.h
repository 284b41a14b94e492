/* SPDX-License-Identifier: MIT */
/* cron_restart: PM2's cron expression (5 fields, or 6 with seconds first, as the
 * `cron` npm package PM2 uses reads it) converted to a systemd OnCalendar= value.
 *
 *   "0 3 * * *"      -> "*-*-* 03:00:00"
 *   "*\/15 * * * *"  -> "*-*-* *:00/15:00"
 *   "0 0 * * 1-5"    -> "Mon..Fri *-*-* 00:00:00"
 *   "@daily"         -> "*-*-* 00:00:00"
 *
 * Supports *, N, N-M, N-M/S, *\/S, lists, month and weekday names, @yearly/@annually,
 * @monthly, @weekly, @daily/@midnight, @hourly. A cron expression with both day-of-
 * month and day-of-week restricted means "either" in cron but "both" in systemd:
 * that is rejected with an explanation (write two expressions as separate apps or
 * use a systemd timer directly). Pure; no I/O. */
#pragma once

#include <stddef.h>

#include "strbuf.h"

/* On success returns 0 and appends the OnCalendar= value to out. On error returns
 * -EINVAL, and writes a message ("field 2 (hour): 24 is out of range 0-23") to
 * err, plus the 0-based byte offset in expr the message is about to *err_col. */
int cron_to_oncalendar(const char *expr, strbuf *out, strbuf *err, size_t *err_col);
