/* SPDX-License-Identifier: MIT */
/* pmgen describe: everything about one app, from its declaration, systemd and the
 * journal. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"
#include "host.h"
#include "journal.h"
#include "table.h"
#include "verbs.h"

bool env_shown(const char *name) {
        static const char *const plain[] = { "NODE_ENV", "PORT", "HOST", "HOSTNAME", "TZ", "LANG", "LC_ALL", "LOG_LEVEL",
                                             "DEBUG", "NODE_OPTIONS", "NODE_APP_INSTANCE", "INSTANCE_ID", "UV_THREADPOOL_SIZE",
                                             NULL };

        for (size_t i = 0; plain[i]; i++)
                if (strcmp(name, plain[i]) == 0)
                        return true;
        return false;
}

/* ---- describe ------------------------------------------------------------------------------------ */

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *key, const char *fmt, ...) {
        va_list ap;

        printf("%-14s ", key ? key : "");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

/* The ports a cluster-mode app without a declared port bound itself: the "tcp ADDR:PORT" lines its shim
 * writes to $RUNTIME_DIRECTORY/ports (pmgen-shim --bind-preload). Nothing when there is none or it cannot
 * be read. */
static void describe_bound_ports(const char *name, unsigned instance, bool user) {
        const char *base = user ? getenv("XDG_RUNTIME_DIR") : "/run";
        char path[512], line[128];
        FILE *f;

        if (!base || *base != '/')
                return;
        snprintf(path, sizeof(path), "%s/pmgen/%s-%u/ports", base, name, instance);
        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (*line)
                        kv("", "  bound by the app: %s (kept by the shim)", line);
        }
        fclose(f);
}

static const char *usec_span(uint64_t usec, char buf[32]) {
        if (usec == UINT64_MAX)
                return "infinity";
        if (usec % 1000000 == 0)
                snprintf(buf, 32, "%" PRIu64 "s", usec / 1000000);
        else if (usec >= 1000000)
                snprintf(buf, 32, "%.1fs", (double) usec / 1e6);
        else
                snprintf(buf, 32, "%" PRIu64 "ms", usec / 1000);
        return buf;
}

int cmd_describe(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app *ka;
        inst *in = NULL;
        size_t n = 0;
        int ret = app_set_load(o, &s, false);

        if (ret)
                goto out;
        ka = app_find(&s, arg);
        if (!ka) {
                known_app **dummy = NULL;
                size_t k = 0;

                ret = app_select(&s, arg, false, &dummy, &k);
                free(dummy);
                ret = ret ? ret : EXIT_USAGE;
                if (k)
                        fprintf(stderr, "pmgen: describe: name one app, not a namespace\n");
                goto out;
        }
        kv("app", "%s", ka->name);
        if (ka->entry) {
                const decl_file *d = &s.decls[ka->decl_index];
                char *src = NULL, *prof = NULL;

                if (store_header_parse(d->text, &src, &prof) == 0)
                        kv("declaration", "%s (applied from %s%s%s)", ka->entry->path, src, prof ? " with --env " : "",
                           prof ? prof : "");
                else
                        kv("declaration", "%s", ka->entry->path);
                free(src);
                free(prof);
                for (size_t i = 0; i < ka->entry->n_dropins; i++)
                        kv(NULL, "drop-in %s", ka->entry->dropins[i]);
                if (ka->entry->shadowed)
                        kv(NULL, "(overrides %s)", ka->entry->shadowed);
        } else
                kv("declaration", "none in the store (the units come from elsewhere)");
        if (instances_of(&s, ka, false, &in, &n) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        /* Units, from the first instance. */
        char unit[256], *fragment = NULL, *source = NULL, *restart = NULL, *user = NULL, *killmode = NULL;
        char **dropins = NULL;
        uint64_t restart_usec = 0, stop_usec = 0, mem_max = UINT64_MAX, tasks_max = UINT64_MAX, nofile = 0, interval = 0;
        uint32_t burst = 0;
        bool dynamic = false;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        snprintf(unit, sizeof(unit), "%s@%u.service", ka->name, n ? in[0].n : 0);
        pbus_prop uprops[] = { { "FragmentPath", 's', &fragment },
                               { "SourcePath", 's', &source },
                               { "DropInPaths", 'S', &dropins },
                               { "StartLimitBurst", 'u', &burst },
                               { "StartLimitIntervalUSec", 't', &interval },
                               { NULL, 0, NULL } };
        pbus_prop sprops[] = { { "Restart", 's', &restart },         { "RestartUSec", 't', &restart_usec },
                               { "TimeoutStopUSec", 't', &stop_usec }, { "MemoryMax", 't', &mem_max },
                               { "TasksMax", 't', &tasks_max },       { "LimitNOFILE", 't', &nofile },
                               { "User", 's', &user },                { "DynamicUser", 'b', &dynamic },
                               { "KillMode", 's', &killmode },        { NULL, 0, NULL } };

        if (s.bus) {
                (void) pbus_get_props(s.bus, unit, "Unit", uprops, &e);
                sd_bus_error_free(&e);
                (void) pbus_get_props(s.bus, unit, "Service", sprops, &e);
                sd_bus_error_free(&e);
        }
        if (fragment && *fragment) {
                char *dir = strdup(fragment), *slash = dir ? strrchr(dir, '/') : NULL;

                if (slash)
                        *slash = '\0';
                kv("units", "%s", fragment);
                for (size_t i = 0; dir && i < 3; i++) {
                        static const char *const other[] = { "%s/%s@.socket", "%s/%s.target", "%s/%s.env" };
                        char path[512];

                        snprintf(path, sizeof(path), other[i], dir, ka->name);
                        if (access(path, F_OK) == 0)
                                kv(NULL, "%s", path);
                }
                free(dir);
        } else
                kv("units", "not loaded%s", s.bus ? "" : " (systemd could not be reached)");
        for (size_t i = 0; dropins && dropins[i]; i++)
                kv(NULL, "drop-in %s", dropins[i]);
        /* What runs, from the declaration. */
        if (ka->a) {
                const app *a = ka->a;
                plan_host h;
                plan_opts po = { .source = s.decls[ka->decl_index].abs_file, .source_dir = s.decls[ka->decl_index].dir };
                diag_list dl = DIAG_LIST_INIT;
                app_plan p;

                host_plan(&h);
                if (plan_app(a, &po, &h, &p, &dl) == 0) {
                        strbuf cmd = STRBUF_INIT;

                        for (size_t i = 0; i < p.argv.n; i++)
                                strbuf_addf(&cmd, "%s%s", i ? " " : "", p.argv.v[i]);
                        kv("command", "%s", strbuf_str(&cmd));
                        kv("cwd", "%s", p.cwd);
                        kv("mode", "%s, %u instance%s%s", p.socket || p.bind_preload ? "cluster" : "fork", p.instances, p.instances == 1 ? "" : "s",
                           p.port ? "" : "");
                        if (p.port)
                                kv("port", "%u", p.port);
                        strbuf_free(&cmd);
                        for (size_t i = 0; i < p.env.n; i++)
                                kv(i ? NULL : "env", "%s=%s", p.env.v[i].name,
                                   env_shown(p.env.v[i].name) ? p.env.v[i].value : "****");
                        if (p.env.n == 0)
                                kv("env", "(none)");
                        plan_free(&p);
                }
                diag_list_free(&dl);
                if (a->max_memory_restart)
                        kv("memory limit", "max_memory_restart %" PRIu64 " MB (the shim restarts the app above it)",
                           a->max_memory_restart / (1024 * 1024));
                if (a->cron_restart)
                        kv("cron_restart", "%s", a->cron_restart);
        }
        kv("user", "%s", dynamic ? "a dynamic user (DynamicUser=yes)" : user && *user ? user : o->user ? "the manager's user" : "root");
        if (restart) {
                char b1[32], b2[32], b3[32];

                kv("restart", "%s after %s, at most %" PRIu32 " starts in %s; stop: %s then SIGKILL (KillMode=%s)", restart,
                   usec_span(restart_usec, b1), burst, usec_span(interval, b2), usec_span(stop_usec, b3),
                   killmode ? killmode : "?");
                if (mem_max != UINT64_MAX)
                        kv("limits", "MemoryMax=%" PRIu64, mem_max);
                if (tasks_max == UINT64_MAX)
                        kv("limits", "TasksMax=infinity LimitNOFILE=%" PRIu64, nofile);
                else
                        kv("limits", "TasksMax=%" PRIu64 " LimitNOFILE=%" PRIu64, tasks_max, nofile);
        }
        /* Sockets and instances. */
        for (size_t i = 0; i < n && s.bus; i++) {
                char u[256], sock[256], *active = NULL, *sub = NULL, **listen = NULL, *sactive = NULL;
                uint32_t main_pid = 0, restarts = 0, backlog = 0;
                pbus_prop ip[] = { { "ActiveState", 's', &active }, { "SubState", 's', &sub }, { NULL, 0, NULL } };
                pbus_prop sp[] = { { "MainPID", 'u', &main_pid }, { "NRestarts", 'u', &restarts }, { NULL, 0, NULL } };
                pbus_prop kp[] = { { "Listen", 'L', &listen }, { "Backlog", 'u', &backlog }, { NULL, 0, NULL } };
                pbus_prop ka2[] = { { "ActiveState", 's', &sactive }, { NULL, 0, NULL } };

                snprintf(u, sizeof(u), "%s@%u.service", ka->name, in[i].n);
                (void) pbus_get_props(s.bus, u, "Unit", ip, &e);
                sd_bus_error_free(&e);
                (void) pbus_get_props(s.bus, u, "Service", sp, &e);
                sd_bus_error_free(&e);
                kv(i ? NULL : "instances", "%s: %s (%s), pid %" PRIu32 ", %" PRIu32 " restart%s", u, row_status(active, sub),
                   sub ? sub : "?", app_pid(main_pid), restarts, restarts == 1 ? "" : "s");
                if (in[i].socket) {
                        snprintf(sock, sizeof(sock), "%s@%u.socket", ka->name, in[i].n);
                        (void) pbus_get_props(s.bus, sock, "Socket", kp, &e);
                        sd_bus_error_free(&e);
                        (void) pbus_get_props(s.bus, sock, "Unit", ka2, &e);
                        sd_bus_error_free(&e);
                        kv("", "  %s: %s %s, Backlog=%" PRIu32, sock, sactive ? sactive : "?",
                           listen && listen[0] ? listen[0] : "?", backlog);
                } else
                        describe_bound_ports(ka->name, in[i].n, o->user);
                free(active);
                free(sub);
                free(sactive);
                pbus_strv_free(listen);
        }
        /* Recent exits of the main processes, from the journal. */
        {
                unit_exit *ex = NULL;
                size_t nx = 0;
                char prefix[256];

                snprintf(prefix, sizeof(prefix), "%s@", ka->name);
                if (journal_unit_exits(prefix, o->user, 5, &ex, &nx) == 0 && nx > 0)
                        for (size_t i = 0; i < nx; i++) {
                                time_t t = (time_t) (ex[i].usec / 1000000);
                                struct tm tm;
                                char when[32] = "?";

                                if (localtime_r(&t, &tm))
                                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
                                kv(i ? NULL : "recent exits", "%s %s", when, ex[i].message);
                        }
                else
                        kv("recent exits", "none in the journal");
                unit_exits_free(ex, nx);
        }
        free(fragment);
        free(source);
        free(restart);
        free(user);
        free(killmode);
        pbus_strv_free(dropins);
out:
        free(in);
        app_set_free(&s);
        return ret;
}
