/* SPDX-License-Identifier: MIT */
/* The service manager over sd-bus: a thin edge over libsystemd, no policy.
 *
 * As root (system manager) and for the user manager it talks to systemd's private
 * socket directly, as systemctl does (/run/systemd/private,
 * $XDG_RUNTIME_DIR/systemd/private), so no D-Bus daemon is needed; otherwise it
 * uses the system bus. Jobs are waited for through the JobRemoved signal, so a
 * start job of a Type=notify unit is over when the instance reported READY=1 (or
 * failed).
 *
 * Errors: functions return 0 or a negative errno; those that take `err` fill it
 * with systemd's own message (free with sd_bus_error_free). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

typedef struct pbus pbus;

/* Connects and subscribes to job signals. *what names the endpoint (static). */
int pbus_open(bool user, pbus **ret, const char **what);
void pbus_close(pbus *b);
/* Whether b talks to the user manager. */
bool pbus_user(const pbus *b);

/* Manager.Reload(): the generators run and units are reloaded; returns when done. */
int pbus_reload(pbus *b, sd_bus_error *err);

/* Manager.ResetFailedUnit(unit): forgets its failure and its start-limit count. */
int pbus_reset_failed(pbus *b, const char *unit, sd_bus_error *err);

/* StartUnit/StopUnit/RestartUnit/ReloadUnit/TryRestartUnit(unit, "replace"): the
 * job is queued; *job (malloc'd) is its object path. */
int pbus_job_start(pbus *b, const char *method, const char *unit, char **job, sd_bus_error *err);
/* Waits for a job queued by pbus_job_start; *result (malloc'd): "done", "failed",
 * "canceled", "timeout", "dependency", "skipped". -ETIME after timeout_usec. */
int pbus_job_wait(pbus *b, const char *job, uint64_t timeout_usec, char **result);
/* Both: 0 with *result, or <0 with err set. */
int pbus_job_run(pbus *b, const char *method, const char *unit, char **result, sd_bus_error *err);

/* Properties. iface: "Unit", "Service", "Socket" (org.freedesktop.systemd1. is
 * prepended). One Properties.GetAll call fills every row whose name it returns;
 * rows it does not return keep their value. Types: 's' (char **, malloc'd), 'b'
 * (bool *), 'u' (uint32_t *), 'i' (int32_t *), 't' (uint64_t *), 'S' (strv: char
 * ***, NULL-terminated, malloc'd), 'L' (Listen a(ss): char ***, "type addr" strings). */
typedef struct pbus_prop {
        const char *name;
        char type;
        void *dest;
} pbus_prop;
int pbus_get_props(pbus *b, const char *unit, const char *iface, const pbus_prop *props, sd_bus_error *err);

typedef struct pbus_unit {
        char *name, *load, *active, *sub;
} pbus_unit;
/* Manager.ListUnitsByPatterns([], patterns): the loaded units that match. */
int pbus_list_units(pbus *b, const char *const *patterns, pbus_unit **ret, size_t *n, sd_bus_error *err);
void pbus_units_free(pbus_unit *v, size_t n);
void pbus_strv_free(char **v);

/* A short human reason for a failed call ("Unit api@0.service not found."). */
const char *pbus_error_message(const sd_bus_error *e, int r);
