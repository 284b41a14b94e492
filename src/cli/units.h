/* SPDX-License-Identifier: MIT */
/* Jobs on an app's units as apply and the verbs run them: one job, waited for, and
 * a sentence that says why it failed in systemd's own terms. Thin over bus.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "strbuf.h"

/* Runs METHOD (StartUnit, StopUnit, RestartUnit, TryRestartUnit, ReloadUnit) on
 * unit and waits for its job. For starts, restarts and reloads the unit must be
 * active afterwards. 0, or -1 with *why set ("api@1.service: start failed: the main
 * process exited with status 1 (Result=exit-code)"). */
int unit_job(pbus *b, const char *method, const char *unit, strbuf *why);

/* NRestarts of a service (0 when unknown). */
uint32_t unit_nrestarts(pbus *b, const char *unit);

/* After a start: the service must still be active, and not restarted since
 * `before` (its NRestarts then), until it has been up `ms`: PM2's min_uptime, the
 * time an instance must stay up to count as started. `waited` ms have passed
 * already. Polls every 100 ms and fails as soon as it is not active. 0, or -1 with
 * *why set. */
int unit_settle(pbus *b, const char *unit, uint32_t before, unsigned ms, unsigned waited, strbuf *why);

/* LoadState/ActiveState/SubState (malloc'd; any may be NULL on return). */
int unit_state(pbus *b, const char *unit, char **load, char **active, char **sub);

/* True when the unit's ActiveState is active, reloading, activating or deactivating. */
bool unit_is_running(pbus *b, const char *unit);

/* Enables net.ipv4.tcp_migrate_req (connections queued on a closed listener move to
 * the other listeners of its reuseport group) when it is 0. Returns 1 when it
 * changed it, 0 when already on or not available, -errno. */
int enable_tcp_migrate_req(void);
