/* SPDX-License-Identifier: MIT */
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *verb_of(const char *method) {
        if (strcmp(method, "StartUnit") == 0)
                return "start";
        if (strcmp(method, "StopUnit") == 0)
                return "stop";
        if (strcmp(method, "ReloadUnit") == 0)
                return "reload";
        return "restart";
}

/* ": the main process exited with status 3 (Result=exit-code)", from the service's last run. */
static void append_exit(pbus *b, const char *unit, strbuf *why) {
        char *res = NULL;
        int32_t status = 0, code = 0;
        pbus_prop sprops[] = { { "Result", 's', &res }, { "ExecMainCode", 'i', &code }, { "ExecMainStatus", 'i', &status },
                               { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!str_has_suffix(unit, ".service"))
                return;
        (void) pbus_get_props(b, unit, "Service", sprops, &e);
        sd_bus_error_free(&e);
        if (code == 1) /* CLD_EXITED */
                strbuf_addf(why, ": the main process exited with status %d", status);
        else if (code == 2 || code == 3) /* CLD_KILLED, CLD_DUMPED */
                strbuf_addf(why, ": the main process was killed by signal %d", status);
        if (res && strcmp(res, "success") != 0)
                strbuf_addf(why, " (Result=%s)", res);
        free(res);
}

static void explain_failure(pbus *b, const char *unit, const char *verb, const char *result, strbuf *why) {
        char *active = NULL;

        (void) unit_state(b, unit, NULL, &active, NULL);
        strbuf_addf(why, "%s: %s %s", unit, verb, result ? result : "failed");
        if (result && strcmp(result, "done") == 0 && active)
                strbuf_addf(why, ", but it is %s", active);
        append_exit(b, unit, why);
        free(active);
}

int unit_job(pbus *b, const char *method, const char *unit, strbuf *why) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *result = NULL;
        const char *verb = verb_of(method);
        int r = pbus_job_run(b, method, unit, &result, &e);

        if (r < 0) {
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.JobTypeNotApplicable") && strcmp(verb, "reload") == 0)
                        strbuf_addf(why,
                                    "%s cannot reload: its unit has no ExecReload= (this pmgen-shim has no graceful reload"
                                    " yet; use restart)",
                                    unit);
                else
                        strbuf_addf(why, "%s: %s refused: %s", unit, verb, pbus_error_message(&e, r));
                sd_bus_error_free(&e);
                return -1;
        }
        sd_bus_error_free(&e);
        if (strcmp(result, "done") != 0) {
                explain_failure(b, unit, verb, result, why);
                free(result);
                return -1;
        }
        free(result);
        if (strcmp(verb, "stop") != 0 && strcmp(method, "TryRestartUnit") != 0 && str_has_suffix(unit, ".service")) {
                char *active = NULL;

                (void) unit_state(b, unit, NULL, &active, NULL);
                if (!active || (strcmp(active, "active") != 0 && strcmp(active, "reloading") != 0)) {
                        explain_failure(b, unit, verb, "done", why);
                        free(active);
                        return -1;
                }
                free(active);
        }
        return 0;
}

uint32_t unit_nrestarts(pbus *b, const char *unit) {
        uint32_t n = 0;
        pbus_prop props[] = { { "NRestarts", 'u', &n }, { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) pbus_get_props(b, unit, "Service", props, &e);
        sd_bus_error_free(&e);
        return n;
}

int unit_settle(pbus *b, const char *unit, uint32_t before, unsigned ms, unsigned waited, strbuf *why) {
        for (;; waited += 100) {
                char *active = NULL, *sub = NULL;
                uint32_t now;
                bool up;

                (void) unit_state(b, unit, NULL, &active, &sub);
                now = unit_nrestarts(b, unit);
                up = active && strcmp(active, "active") == 0 && now == before;
                if (!up) {
                        strbuf_addf(why, "%s did not stay up for min_uptime (%u ms): it is %s (%s)", unit, ms,
                                    active ? active : "unknown", sub ? sub : "?");
                        if (now != before)
                                strbuf_addf(why, " and restarted %u time%s", now - before, now - before == 1 ? "" : "s");
                        free(active);
                        free(sub);
                        append_exit(b, unit, why);
                        return -1;
                }
                free(active);
                free(sub);
                if (waited >= ms)
                        return 0;
                usleep(100000);
        }
}

int unit_state(pbus *b, const char *unit, char **load, char **active, char **sub) {
        char *l = NULL, *a = NULL, *s = NULL;
        pbus_prop props[] = { { "LoadState", 's', &l }, { "ActiveState", 's', &a }, { "SubState", 's', &s },
                              { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = pbus_get_props(b, unit, "Unit", props, &e);

        sd_bus_error_free(&e);
        if (load)
                *load = l;
        else
                free(l);
        if (active)
                *active = a;
        else
                free(a);
        if (sub)
                *sub = s;
        else
                free(s);
        return r;
}

bool unit_is_running(pbus *b, const char *unit) {
        char *a = NULL;
        bool r;

        (void) unit_state(b, unit, NULL, &a, NULL);
        r = a && (strcmp(a, "active") == 0 || strcmp(a, "reloading") == 0 || strcmp(a, "activating") == 0 ||
                  strcmp(a, "deactivating") == 0);
        free(a);
        return r;
}

int enable_tcp_migrate_req(void) {
        static const char path[] = "/proc/sys/net/ipv4/tcp_migrate_req";
        char c = 0;
        int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY), r = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (read(fd, &c, 1) != 1)
                r = -EIO;
        else if (c == '0') {
                if (pwrite(fd, "1\n", 2, 0) != 2)
                        r = -errno;
                else
                        r = 1;
        }
        close(fd);
        return r;
}
