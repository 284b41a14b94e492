/* SPDX-License-Identifier: MIT */
#include "harden.h"

#include <string.h>

#include "escape.h"

enum {
        L_DEFAULT = 1 << 0, /* written at `default` */
        L_STRICT = 1 << 1,  /* written at `strict` */
        F_SYSTEM = 1 << 2,  /* needs the system manager (namespaces, mounts, capabilities) */
        F_NOT_ROOT = 1 << 3, /* left out when the app runs as root */
        F_HOME = 1 << 4,    /* ProtectHome=: its value depends on where the app lives */
        F_RW = 1 << 5,      /* ReadWritePaths=: from read_write_paths */
};
#define L_BOTH (L_DEFAULT | L_STRICT)

static const struct profile_line {
        const char *directive;
        const char *value;
        unsigned flags;
} profile[] = {
        { "NoNewPrivileges", "yes", L_BOTH },
        { "PrivateTmp", "yes", L_BOTH },
        { "ProtectSystem", "strict", L_BOTH | F_SYSTEM },
        { "ReadWritePaths", NULL, L_BOTH | F_SYSTEM | F_RW },
        { "ProtectHome", NULL, L_BOTH | F_SYSTEM | F_HOME },
        { "PrivateDevices", "yes", L_BOTH | F_SYSTEM },
        { "DevicePolicy", "closed", L_BOTH | F_SYSTEM },
        { "PrivateIPC", "yes", L_BOTH | F_SYSTEM },
        { "PrivateUsers", "yes", L_STRICT | F_SYSTEM | F_NOT_ROOT },
        { "ProtectKernelTunables", "yes", L_BOTH | F_SYSTEM },
        { "ProtectKernelModules", "yes", L_BOTH | F_SYSTEM },
        { "ProtectKernelLogs", "yes", L_BOTH | F_SYSTEM },
        { "ProtectControlGroups", "yes", L_BOTH | F_SYSTEM },
        { "ProtectClock", "yes", L_BOTH | F_SYSTEM },
        { "ProtectHostname", "yes", L_BOTH | F_SYSTEM },
        { "ProtectProc", "invisible", L_BOTH | F_SYSTEM },
        { "ProcSubset", "pid", L_STRICT | F_SYSTEM },
        { "KeyringMode", "private", L_BOTH | F_SYSTEM },
        { "RemoveIPC", "yes", L_BOTH | F_SYSTEM },
        { "CapabilityBoundingSet", "", L_BOTH | F_SYSTEM | F_NOT_ROOT },
        { "AmbientCapabilities", "", L_BOTH | F_SYSTEM | F_NOT_ROOT },
        { "RestrictNamespaces", "yes", L_BOTH },
        { "RestrictRealtime", "yes", L_BOTH },
        { "RestrictSUIDSGID", "yes", L_BOTH },
        { "LockPersonality", "yes", L_BOTH },
        { "RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK", L_DEFAULT },
        { "RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX", L_STRICT },
        { "SystemCallArchitectures", "native", L_BOTH },
        { "SystemCallFilter", "@system-service", L_BOTH },
        { "SystemCallFilter",
          "~@privileged @resources @mount @swap @reboot @raw-io @module @obsolete @debug @cpu-emulation @clock",
          L_BOTH | F_NOT_ROOT },
        { "SystemCallFilter", "pkey_alloc pkey_free pkey_mprotect", L_BOTH | F_NOT_ROOT },
        { "SystemCallErrorNumber", "EPERM", L_BOTH },
        { "UMask", "0027", L_DEFAULT },
        { "UMask", "0077", L_STRICT },
};

/* What hardening_override may set: the profile's directives and these. */
static const char *const extra_directives[] = {
        "MemoryDenyWriteExecute", "PrivateNetwork", "PrivateMounts", "IPAddressAllow", "IPAddressDeny",
        "ReadOnlyPaths", "InaccessiblePaths", "NoExecPaths", "ExecPaths", "BindPaths", "BindReadOnlyPaths",
        "TemporaryFileSystem", "RestrictFileSystems", "SocketBindAllow", "SocketBindDeny", "SecureBits", NULL,
};

static bool in_profile(const char *name) {
        for (size_t i = 0; i < sizeof(profile) / sizeof(profile[0]); i++)
                if (strcmp(profile[i].directive, name) == 0)
                        return true;
        return false;
}

const char *harden_directive_check(const char *name) {
        if (in_profile(name))
                return NULL;
        for (size_t i = 0; extra_directives[i]; i++)
                if (strcmp(extra_directives[i], name) == 0)
                        return NULL;
        return "expected one of systemd's sandboxing directives (the hardening profile's, MemoryDenyWriteExecute, "
               "PrivateNetwork, PrivateMounts, IPAddressAllow, IPAddressDeny, ReadOnlyPaths, InaccessiblePaths, "
               "NoExecPaths, ExecPaths, BindPaths, BindReadOnlyPaths, TemporaryFileSystem, RestrictFileSystems, "
               "SocketBindAllow, SocketBindDeny, SecureBits)";
}

/* unit_value_check, then none of the bytes in `banned`: NULL, or msg (or unit_value_check's) with *bad_at. */
static const char *check_bytes(const char *s, const char *banned, const char *msg, size_t *bad_at) {
        const char *m = unit_value_check(s, bad_at);
        size_t n = strcspn(s, banned);

        if (m)
                return m;
        if (!s[n])
                return NULL;
        *bad_at = n;
        return msg;
}

const char *harden_value_check(const char *v, size_t *bad_at) {
        return check_bytes(v, "%\\", "'%' and '\\' are not allowed (no specifiers or escapes in overrides)", bad_at);
}

const char *harden_path_check(const char *path, size_t *bad_at) {
        const char *msg = check_bytes(path, " \t\"'\\", "expected a path without spaces, quotes or '\\'", bad_at);

        if (msg)
                return msg;
        if (path[0] == '-' || path[0] == '+') {
                *bad_at = 0;
                return "expected a path, not a '-' or '+' prefix";
        }
        return NULL;
}

static bool under_home(const char *path) {
        static const char *const homes[] = { "/home", "/root", "/run/user", NULL };

        for (size_t i = 0; homes[i]; i++) {
                size_t n = strlen(homes[i]);

                if (strncmp(path, homes[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
                        return true;
        }
        return false;
}

static bool overridden(const app *a, const char *directive) {
        size_t n = strlen(directive);

        for (size_t i = 0; i < a->hardening_override.n; i++)
                if (strncmp(a->hardening_override.v[i], directive, n) == 0 && a->hardening_override.v[i][n] == '=')
                        return true;
        return false;
}

void harden_render(strbuf *sb, const app *a, const strlist *rw_paths, const strlist *home_paths, bool user_manager) {
        unsigned level = a->hardening == HARDEN_STRICT ? L_STRICT : a->hardening == HARDEN_DEFAULT ? L_DEFAULT : 0;
        bool root = model_user_is_root(a->user) && !user_manager;
        bool home = false;

        for (size_t i = 0; i < home_paths->n && !home; i++)
                home = under_home(home_paths->v[i]);
        for (size_t i = 0; i < rw_paths->n && !home; i++)
                home = under_home(rw_paths->v[i]);

        for (size_t i = 0; level && i < sizeof(profile) / sizeof(profile[0]); i++) {
                const struct profile_line *l = &profile[i];

                if (!(l->flags & level) || (user_manager && (l->flags & F_SYSTEM)) || (root && (l->flags & F_NOT_ROOT)) ||
                    overridden(a, l->directive))
                        continue;
                if (l->flags & F_RW) {
                        for (size_t j = 0; j < rw_paths->n; j++) {
                                strbuf_adds(sb, "ReadWritePaths=");
                                escape_specifiers(sb, rw_paths->v[j]);
                                strbuf_addc(sb, '\n');
                        }
                        continue;
                }
                strbuf_addf(sb, "%s=%s\n", l->directive, l->flags & F_HOME ? (home ? "read-only" : "yes") : l->value);
        }
        for (size_t i = 0; i < a->hardening_override.n; i++)
                strbuf_addf(sb, "%s\n", a->hardening_override.v[i]);
}
