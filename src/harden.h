/* SPDX-License-Identifier: MIT */
/* The sandboxing lines of NAME@.service: a profile per `hardening` level, the app's
 * `read_write_paths`, and its `hardening_override` lines.
 *
 *   off       nothing (what systemd implies for DynamicUser= stays)
 *   default   what a web app or a worker survives: no new privileges, no capabilities, a read-only
 *             file system but for the app's ReadWritePaths= and its runtime directory, private /tmp,
 *             devices and IPC, kernel, clock, cgroup and hostname protections, no namespaces, a
 *             seccomp allow-list (@system-service without @privileged @resources and the rest, with
 *             pkey_* added back: Node calls pkey_alloc), IPv4/IPv6/Unix/netlink sockets, UMask=0027
 *   strict    default plus PrivateUsers=yes, ProcSubset=pid (no /proc/cpuinfo, /proc/meminfo: Node's
 *             os.cpus() is empty), no netlink (os.networkInterfaces() fails), UMask=0077
 *
 * Adjustments: ProtectHome= is read-only instead of yes when the app lives under /home, /root or
 * /run/user (its cwd, interpreter, script or a read-write path), else it could not start; an app that
 * runs as root keeps its capabilities (CapabilityBoundingSet= and PrivateUsers= are left out). In the
 * user manager (no privileges to set up namespaces), only the settings enforced by seccomp or the
 * process itself are written.
 *
 * An override `Directive=value` replaces every line the profile has for that directive (or adds one);
 * several overrides of one directive are all written, in order. Pure: tested from memory. */
#pragma once

#include <stdbool.h>

#include "model.h"
#include "strbuf.h"

/* NULL when name is a directive hardening_override may set, else a message listing them. */
const char *harden_directive_check(const char *name);

/* NULL when an override's value (after '=') may go on a unit line, else what is wrong; *bad_at is the
 * offset of the offending byte. */
const char *harden_value_check(const char *v, size_t *bad_at);

/* NULL when a read_write_paths entry may go into ReadWritePaths=, else what is wrong. */
const char *harden_path_check(const char *path, size_t *bad_at);

/* Appends the lines. rw_paths: the app's read_write_paths as absolute paths; home_paths: the app's
 * cwd, interpreter and script (what decides ProtectHome=); user_manager: units for `systemd --user`. */
void harden_render(strbuf *sb, const app *a, const strlist *rw_paths, const strlist *home_paths, bool user_manager);
