/* SPDX-License-Identifier: MIT */
/* pmgen-shim --reload: the unit's ExecReload=+pmgen-shim --reload --env-file=%Y/NAME.env. It runs as root
 * ('+'), so it can read the 0600 environment file that the app's user cannot, and asks the instance's
 * shim (the control socket in $RUNTIME_DIRECTORY) for a graceful reload with that environment, then
 * waits for the outcome: `systemctl reload` blocks until the reload is over and fails when it failed.
 *
 * The new child's environment is the shim's start-up environment with
 *   - every assignment of the file set (the file wins, as EnvironmentFile= does over Environment=), and
 *   - every variable removed that the shim started with but that systemd no longer gives this process
 *     (read from /proc/$MAINPID/environ, with the variables systemd sets per process left alone), so a
 *     variable deleted from the declaration leaves the app too. Without MAINPID nothing is removed.
 * Prints the shim's answer (stdout when it succeeded, stderr when not) and exits 0, or 1 on failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/control.h"
#include "shim/envfile.h"
#include "shim/options.h"
#include "shim/shim.h"

/* Variables systemd sets for each process itself: a difference in them says nothing about the file. */
static const char *const per_process[] = {
        "MAINPID", "MANAGERPID", "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "LISTEN_FDS", "LISTEN_PID",
        "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "USER", "LOGNAME", "HOME", "SHELL",
        "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY",
        "CREDENTIALS_DIRECTORY", "EXIT_CODE", "EXIT_STATUS", "SERVICE_RESULT", "MONITOR_SERVICE_RESULT",
        "MONITOR_EXIT_CODE", "MONITOR_EXIT_STATUS", "MONITOR_INVOCATION_ID", "MONITOR_UNIT", "TRIGGER_UNIT",
        "TRIGGER_PATH", "TRIGGER_TIMER_REALTIME_USEC", "TRIGGER_TIMER_MONOTONIC_USEC", "PIDFILE",
};

static bool is_per_process(const char *name, size_t len) {
        size_t i;

        for (i = 0; i < sizeof(per_process) / sizeof(per_process[0]); i++)
                if (strlen(per_process[i]) == len && memcmp(per_process[i], name, len) == 0)
                        return true;
        return false;
}

/* Whether the packed list (len bytes) assigns name. */
static bool list_sets(const char *list, size_t len, const char *name, size_t nlen) {
        const char *p;

        for (p = list; p < list + len; p += strlen(p) + 1)
                if (strncmp(p, name, nlen) == 0 && p[nlen] == '=')
                        return true;
        return false;
}

/* Reads all of path (binary) into a new buffer of CONTROL_REQUEST_MAX bytes; -EFBIG when it is bigger. */
static int read_all(const char *path, char **ret, size_t *ret_len) {
        char *buf = malloc(CONTROL_REQUEST_MAX);
        size_t have = 0;
        ssize_t n = 0;
        int fd, r = 0;

        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                free(buf);
                return r;
        }
        for (;;) {
                n = read(fd, buf + have, CONTROL_REQUEST_MAX - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = -errno;
                if (n <= 0)
                        break;
                have += (size_t) n;
                if (have == CONTROL_REQUEST_MAX) {
                        r = -EFBIG;
                        break;
                }
        }
        close(fd);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = have;
        return 0;
}

/* Appends "-NAME\0" to buf (the list: its first *used bytes) for each variable of the shim's start-up
 * environment that systemd no longer gives and the list does not set. */
static int add_removals(char *buf, size_t size, size_t *used, size_t *n) {
        const char *mainpid = getenv("MAINPID"), *p, *end;
        char path[64], name[256], *text = NULL;
        size_t len = 0, nlen, list_len = *used;
        long pid;
        int r;

        if (!mainpid || (pid = strtol(mainpid, NULL, 10)) <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
        r = read_all(path, &text, &len);
        if (r < 0)
                return r;
        end = text + len;
        for (p = text; p < end; p += strnlen(p, (size_t) (end - p)) + 1) {
                nlen = strcspn(p, "=");
                if (p + nlen >= end || p[nlen] != '=' || nlen >= sizeof(name) || !envfile_name_valid(p, nlen) ||
                    is_per_process(p, nlen) || list_sets(buf, list_len, p, nlen))
                        continue;
                memcpy(name, p, nlen);
                name[nlen] = '\0';
                if (getenv(name))
                        continue; /* systemd still gives it (Environment=, or the file) */
                if (*used + nlen + 2 > size) {
                        r = -E2BIG;
                        break;
                }
                buf[(*used)++] = '-';
                memcpy(buf + *used, name, nlen + 1);
                *used += nlen + 1;
                (*n)++;
        }
        free(text);
        return r;
}

int client_reload(const options *o) {
        char control_path[4096], answer[CONTROL_ANSWER_MAX + 1];
        const char *dir = getenv("RUNTIME_DIRECTORY");
        char *text = NULL, *list = NULL;
        size_t text_len = 0, list_len = 0, n_vars = 0, n_skipped = 0, n_removed = 0;
        int r, code = 1;

        if (o->control_path)
                snprintf(control_path, sizeof(control_path), "%s", o->control_path);
        else if (dir && *dir == '/')
                snprintf(control_path, sizeof(control_path), "%.*s/" CONTROL_NAME, (int) strcspn(dir, ":"), dir);
        else {
                fputs("pmgen-shim: --reload: RUNTIME_DIRECTORY is not set (run it as the unit's ExecReload=, or give "
                      "--control=PATH)\n", stderr);
                return 1;
        }
        if (o->env_file) {
                r = read_all(o->env_file, &text, &text_len);
                if (r < 0) {
                        fprintf(stderr, "pmgen-shim: --reload: cannot read %s: %s\n", o->env_file,
                                r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
                        goto out;
                }
                list = malloc(CONTROL_REQUEST_MAX);
                if (!list) {
                        fprintf(stderr, "pmgen-shim: --reload: %s\n", strerror(ENOMEM));
                        goto out;
                }
                r = envfile_parse(text, text_len, list, CONTROL_REQUEST_MAX, &list_len, &n_vars, &n_skipped);
                if (r < 0) {
                        fprintf(stderr, "pmgen-shim: --reload: cannot read %s: %s\n", o->env_file,
                                r == -EINVAL ? "it contains a NUL byte" : strerror(-r));
                        goto out;
                }
                if (n_skipped)
                        fprintf(stderr, "pmgen-shim: --reload: %s: %zu assignment%s with an invalid name ignored\n",
                                o->env_file, n_skipped, n_skipped == 1 ? "" : "s");
                r = add_removals(list, CONTROL_REQUEST_MAX, &list_len, &n_removed);
                if (r < 0)
                        fprintf(stderr, "pmgen-shim: --reload: warning: cannot tell which variables were removed: %s\n",
                                strerror(-r));
        }
        r = control_request_reload(control_path, o->env_file ? (list ? list : "") : NULL, list_len, answer,
                                   sizeof(answer));
        if (r < 0) {
                fprintf(stderr, "pmgen-shim: --reload: %s: %s%s\n", control_path, strerror(-r),
                        r == -ENOENT || r == -ECONNREFUSED ? " (is the instance running?)" : "");
                goto out;
        }
        if (strncmp(answer, "ok ", 3) == 0) {
                printf("reloaded: %s\n", answer + 3);
                if (o->env_file)
                        printf("environment: %zu variable%s from %s, %zu removed\n", n_vars, n_vars == 1 ? "" : "s",
                               o->env_file, n_removed);
                code = 0;
        } else
                fprintf(stderr, "pmgen-shim: reload failed: %s\n", strncmp(answer, "fail ", 5) == 0 ? answer + 5 : answer);
out:
        free(text);
        free(list);
        return code;
}
