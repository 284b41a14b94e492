/* SPDX-License-Identifier: MIT */
/* Timestamps in PM2's log_date_format, which is a moment.js format: YYYY YY MM M DD D HH H hh h mm m
 * ss s SSS A a Z ZZ, [literal text] in brackets; any other character stands for itself. Pure. */
#pragma once

#include <time.h>

#include "strbuf.h"

/* What `pmgen logs --time` prints for an app without log_date_format. */
#define TIMEFMT_DEFAULT "YYYY-MM-DDTHH:mm:ss.SSSZ"

/* Appends tm (broken down in the zone whose offset from UTC is gmtoff seconds) and ms in fmt. */
void timefmt_moment(strbuf *out, const char *fmt, const struct tm *tm, unsigned ms, long gmtoff);
