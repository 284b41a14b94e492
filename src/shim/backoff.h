/* SPDX-License-Identifier: MIT */
/* Exponential restart back-off (PM2's exp_backoff_restart_delay), kept by the shim because systemd 252
 * has no RestartSteps=.
 *
 * State lives in "$RUNTIME_DIRECTORY/backoff" (the unit keeps that directory across restarts) as one line
 * "DELAY_MS START_BOOTTIME_MS\n": the delay the next start waits before starting the child, and when the
 * child that wrote it had started (CLOCK_BOOTTIME, ms). The shim writes it when its child exits:
 *   - the run lasted >= BACKOFF_RESET_MS, or the stop was asked for: DELAY = 0;
 *   - otherwise DELAY = min(previous delay ? previous * 1.5 : base, BACKOFF_MAX_MS).
 * backoff_parse/backoff_format/backoff_next are pure; backoff_load/backoff_store do the file I/O and
 * return 0 or a negative errno, never print. Nothing here allocates. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BACKOFF_MAX_MS 15000u
#define BACKOFF_RESET_MS 30000u
/* "DELAY START\n" with both numbers at most 20 digits. */
#define BACKOFF_TEXT_MAX 48

typedef struct backoff_state {
        uint64_t delay_ms;
        uint64_t start_ms;
} backoff_state;

/* The delay for the next start after a run of run_ms that itself waited prev_ms, with base base_ms. */
uint64_t backoff_next(uint64_t prev_ms, uint64_t run_ms, uint64_t base_ms);

/* Parses "DELAY START" plus an optional trailing newline. -EINVAL on anything else. A delay above
 * BACKOFF_MAX_MS is clamped to it. */
int backoff_parse(const char *text, backoff_state *out);

/* Writes the line into buf (NUL-terminated). Returns its length, or -ENOBUFS. */
int backoff_format(char *buf, size_t size, const backoff_state *st);

/* -ENOENT when there is no state file, -EINVAL when it does not parse. */
int backoff_load(const char *path, backoff_state *out);

/* Writes tmp_path, fsyncs it and renames it to path. */
int backoff_store(const char *path, const char *tmp_path, const backoff_state *st);
