/* SPDX-License-Identifier: MIT */
#include "verbs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "apps.h"
#include "bus.h"
#include "cgroup.h"
#include "edit.h"
#include "host.h"
#include "journal.h"
#include "store.h"
#include "table.h"
#include "units.h"

/* ---- pure helpers -------------------------------------------------------------------------- */

int scale_count(const char *arg, unsigned current, unsigned *ret) {
        char *end = NULL;
        long long x;
        const char *digits = arg + (arg[0] == '+' || arg[0] == '-');

        if (*digits < '0' || *digits > '9')
                return -EINVAL;
        errno = 0;
        x = strtoll(digits, &end, 10);
        if (errno || *end || x > 1024)
                return -EINVAL;
        if (arg[0] == '+')
                x = (long long) current + x;
        else if (arg[0] == '-')
                x = (long long) current - x;
        if (x < 1 || x > 1024)
                return -EINVAL;
        *ret = (unsigned) x;
        return 0;
}


typedef struct row_data {
        inst_state st;
        uint64_t cpu0;
} row_data;

static uint64_t cpu_now(pbus *b, const char *unit, const char *cg) {
        uint64_t cpu = ROW_UNKNOWN;
        pbus_prop props[] = { { "CPUUsageNSec", 't', &cpu }, { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) pbus_get_props(b, unit, "Service", props, &e);
        sd_bus_error_free(&e);
        if (cpu == ROW_UNKNOWN && cg && cg[0] && cgroup_cpu_nsec("/sys/fs/cgroup", cg, &cpu) < 0)
                cpu = ROW_UNKNOWN;
        return cpu;
}

static unsigned port_of(pbus *b, const char *app_name, unsigned i) {
        char **listen = NULL, unit[256];
        pbus_prop props[] = { { "Listen", 'L', &listen }, { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        unsigned port = 0;

        snprintf(unit, sizeof(unit), "%s@%u.socket", app_name, i);
        (void) pbus_get_props(b, unit, "Socket", props, &e);
        sd_bus_error_free(&e);
        for (size_t k = 0; listen && listen[k] && !port; k++) {
                const char *colon = strrchr(listen[k], ':');

                if (colon)
                        port = (unsigned) strtoul(colon + 1, NULL, 10);
                else if (strchr(listen[k], ' '))
                        port = (unsigned) strtoul(strchr(listen[k], ' ') + 1, NULL, 10);
        }
        pbus_strv_free(listen);
        return port;
}

static void rows_free(row_data *v, size_t n);

static int collect_rows(app_set *s, known_app **apps, size_t napps, row_data **ret, size_t *n) {
        row_data *v = NULL;
        size_t k = 0;

        for (size_t a = 0; a < napps; a++) {
                inst *in = NULL;
                size_t ni = 0;

                if (instances_of(s, apps[a], false, &in, &ni) < 0)
                        goto oom;
                for (size_t i = 0; i < ni; i++) {
                        row_data *nv = realloc(v, (k + 1) * sizeof(row_data)), *d;

                        if (!nv) {
                                free(in);
                                goto oom;
                        }
                        v = nv;
                        d = &v[k++];
                        *d = (row_data){ 0 };
                        if (inst_state_read(s, apps[a], in[i].n, &d->st) < 0) {
                                free(in);
                                goto oom;
                        }
                        d->cpu0 = d->st.row.cpu_nsec;
                        d->st.row.port = in[i].socket && s->bus ? port_of(s->bus, apps[a]->name, in[i].n) : 0;
                        if (!d->st.row.port)
                                d->st.row.port = apps[a]->port;
                }
                free(in);
        }
        *ret = v;
        *n = k;
        return 0;
oom:
        rows_free(v, k);
        return -ENOMEM;
}

static void rows_free(row_data *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                inst_state_free(&v[i].st);
        free(v);
}

#define CPU_SAMPLE_USEC 200000

int cmd_ls(const verb_opts *o) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0, n = 0;
        row_data *rows = NULL;
        inst_row *flat = NULL;
        strbuf out = STRBUF_INIT;
        uint64_t t0, t1;
        bool any_cpu = false;
        int ret = app_set_load(o, &s, true);

        if (ret)
                goto out;
        if ((ret = app_select(&s, "all", true, &apps, &napps)))
                goto out;
        t0 = mono_usec();
        if (collect_rows(&s, apps, napps, &rows, &n) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                any_cpu = any_cpu || rows[i].cpu0 != ROW_UNKNOWN;
        /* CPU as PM2 shows it: the share of one CPU over a short window. */
        if (any_cpu) {
                uint64_t since = mono_usec() - t0;

                if (since < CPU_SAMPLE_USEC)
                        usleep((useconds_t) (CPU_SAMPLE_USEC - since));
                t1 = mono_usec();
                for (size_t i = 0; i < n; i++) {
                        uint64_t c;

                        if (rows[i].cpu0 == ROW_UNKNOWN)
                                continue;
                        c = cpu_now(s.bus, rows[i].st.unit, rows[i].st.cgroup);
                        if (c != ROW_UNKNOWN && c >= rows[i].cpu0) {
                                rows[i].st.row.cpu_percent = (double) (c - rows[i].cpu0) / 10.0 / (double) (t1 - t0);
                                rows[i].st.row.cpu_nsec = c;
                        }
                }
        }
        flat = calloc(n + 1, sizeof(inst_row));
        if (!flat) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                flat[i] = rows[i].st.row;
        if (o->json)
                table_render_json(flat, n, &out);
        else if (n == 0)
                strbuf_addf(&out, "no apps (declare some and run `pmgen apply%s`)\n", o->user ? " --user" : "");
        else
                table_render(flat, n, use_color(), &out);
        fputs(strbuf_str(&out), stdout);
out:
        free(flat);
        rows_free(rows, n);
        free(apps);
        strbuf_free(&out);
        app_set_free(&s);
        return ret;
}

/* ---- logs ------------------------------------------------------------------------------------ */

int cmd_logs(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0;
        const char **names = NULL, **formats = NULL;
        int want = -1, ret = app_set_select_instance(o, arg ? arg : "all", false, &s, &apps, &napps, &want), r;
        char want_s[16];

        if (ret)
                goto out;
        names = calloc(napps + 1, sizeof(char *));
        if (!names) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        formats = calloc(napps + 1, sizeof(char *));
        if (!formats) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        for (size_t i = 0; i < napps; i++) {
                names[i] = apps[i]->name;
                formats[i] = apps[i]->a ? apps[i]->a->log_date_format : NULL;
        }
        if (napps == 0)
                goto out;
        /* The bus is not needed while following; let go of it. */
        pbus_close(s.bus);
        s.bus = NULL;
        snprintf(want_s, sizeof(want_s), "%d", want);
        log_query q = { .apps = names, .user = o->user, .lines = o->lines, .follow = o->follow, .err_only = o->err_only,
                        .json = o->json, .color = use_color(), .time = o->time, .time_formats = formats,
                        .instance = want >= 0 ? want_s : NULL };

        r = journal_logs(&q, stdout);
        if (r < 0 && r != -EPIPE) {
                fprintf(stderr, "pmgen: cannot read the journal: %s%s\n", strerror(-r),
                        r == -EACCES || r == -EPERM ? " (add the user to the systemd-journal group)" : "");
                ret = EXIT_SYSTEM;
        }
out:
        free(names);
        free(formats);
        free(apps);
        app_set_free(&s);
        return ret;
}

/* ---- start, stop, restart, reload ---------------------------------------------------------------- */

int cmd_reload(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0;
        int want, ret = app_set_select_instance(o, arg, true, &s, &apps, &napps, &want);

        if (ret)
                goto out;
        for (size_t a = 0; a < napps && ret == 0; a++) {
                inst *in = NULL;
                size_t n = 0;

                if (running_instances(&s, apps[a], &in, &n) < 0) {
                        ret = EXIT_SYSTEM;
                        break;
                }
                if ((ret = inst_keep("reload", apps[a], in, &n, want))) {
                        free(in);
                        break;
                }
                if (n == 0)
                        printf("%s: not running: nothing to reload (`pmgen start %s`)\n", apps[a]->name, apps[a]->name);
                for (size_t i = 0; i < n; i++) {
                        char u[256];
                        strbuf why = STRBUF_INIT;
                        uint32_t before, after;

                        snprintf(u, sizeof(u), "%s@%u.service", apps[a]->name, in[i].n);
                        before = pid_of_unit(s.bus, u);
                        if (unit_job(s.bus, "ReloadUnit", u, &why) < 0) {
                                fprintf(stderr, "pmgen: reload %s: instance %u failed: %s\n", apps[a]->name, in[i].n,
                                        strbuf_str(&why));
                                if (i > 0)
                                        fprintf(stderr, "pmgen: instances before %u were reloaded; the others were not touched\n",
                                                in[i].n);
                                strbuf_free(&why);
                                ret = EXIT_UNIT;
                                break;
                        }
                        strbuf_free(&why);
                        after = pid_of_unit(s.bus, u);
                        printf("%s@%u reloaded (pid %" PRIu32 " → %" PRIu32 ")\n", apps[a]->name, in[i].n, before, after);
                        fflush(stdout);
                }
                free(in);
        }
out:
        free(apps);
        app_set_free(&s);
        return ret;
}

int cmd_restart(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0;
        int want, ret = app_set_select_instance(o, arg, true, &s, &apps, &napps, &want);

        if (ret)
                goto out;
        if (o->update_env) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = pbus_reload(s.bus, &e);

                if (r < 0) {
                        fprintf(stderr, "pmgen: daemon-reload failed: %s\n", pbus_error_message(&e, r));
                        sd_bus_error_free(&e);
                        ret = EXIT_UNIT;
                        goto out;
                }
                sd_bus_error_free(&e);
                puts("reloaded systemd: the units are generated from the declarations as they are now");
        }
        for (size_t a = 0; a < napps; a++) {
                inst *in = NULL;
                size_t n = 0;
                char **jobs;

                if (instances_of(&s, apps[a], false, &in, &n) < 0) {
                        ret = EXIT_SYSTEM;
                        break;
                }
                if ((ret = inst_keep("restart", apps[a], in, &n, want))) {
                        free(in);
                        break;
                }
                jobs = calloc(n + 1, sizeof(char *));
                /* All instances at once, as PM2 restarts: systemd holds their sockets meanwhile. */
                for (size_t i = 0; jobs && i < n; i++) {
                        char u[256];
                        sd_bus_error e = SD_BUS_ERROR_NULL;

                        snprintf(u, sizeof(u), "%s@%u.service", apps[a]->name, in[i].n);
                        if (pbus_job_start(s.bus, "RestartUnit", u, &jobs[i], &e) < 0) {
                                fprintf(stderr, "pmgen: restart %s: %s refused: %s\n", apps[a]->name, u,
                                        pbus_error_message(&e, -EIO));
                                ret = EXIT_UNIT;
                        }
                        sd_bus_error_free(&e);
                }
                for (size_t i = 0; jobs && i < n; i++) {
                        char u[256], *result = NULL;

                        if (!jobs[i])
                                continue;
                        snprintf(u, sizeof(u), "%s@%u.service", apps[a]->name, in[i].n);
                        if (pbus_job_wait(s.bus, jobs[i], 30ULL * 60 * 1000000, &result) < 0 || strcmp(result, "done") != 0 ||
                            !unit_is_running(s.bus, u)) {
                                fprintf(stderr, "pmgen: restart %s: %s: %s (see `pmgen logs %s`)\n", apps[a]->name, u,
                                        result ? result : "no answer", apps[a]->name);
                                ret = EXIT_UNIT;
                        } else
                                printf("%s@%u restarted (pid %" PRIu32 ")\n", apps[a]->name, in[i].n, pid_of_unit(s.bus, u));
                        free(result);
                        free(jobs[i]);
                }
                if (!jobs)
                        ret = EXIT_SYSTEM;
                free(jobs);
                free(in);
        }
out:
        free(apps);
        app_set_free(&s);
        return ret;
}

static void reset_instances(app_set *s, const known_app *ka) {
        inst *in = NULL;
        size_t n = 0;

        if (instances_of(s, ka, false, &in, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                char u[256];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                snprintf(u, sizeof(u), "%s@%u.service", ka->name, in[i].n);
                if (pbus_reset_failed(s->bus, u, &e) < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
                        fprintf(stderr, "pmgen: reset %s: %s: %s\n", ka->name, u, pbus_error_message(&e, -EIO));
                sd_bus_error_free(&e);
        }
        free(in);
}

/* reset: forget every instance's failure (systemctl reset-failed) first, so that an app that reached
 * max_restarts (start-limit-hit, shown as errored) can start again. */
/* start, stop or reset APP@N: that instance's unit alone (the app's target stays as it is). */
static int start_or_stop_one(app_set *s, const known_app *ka, int want, bool start, bool reset) {
        const char *verb = reset ? "reset" : start ? "start" : "stop";
        inst *in = NULL;
        size_t n = 0;
        char u[256];
        strbuf why = STRBUF_INIT;
        int ret;

        if (instances_of(s, ka, false, &in, &n) < 0)
                return EXIT_SYSTEM;
        ret = inst_keep(verb, ka, in, &n, want);
        free(in);
        if (ret)
                return ret;
        snprintf(u, sizeof(u), "%s@%d.service", ka->name, want);
        if (reset) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (pbus_reset_failed(s->bus, u, &e) < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
                        fprintf(stderr, "pmgen: reset %s: %s: %s\n", ka->name, u, pbus_error_message(&e, -EIO));
                sd_bus_error_free(&e);
        }
        if (unit_job(s->bus, start ? "StartUnit" : "StopUnit", u, &why) < 0) {
                fprintf(stderr, "pmgen: %s %s@%d: %s\n", verb, ka->name, want, strbuf_str(&why));
                ret = EXIT_UNIT;
        } else if (start)
                printf("%s@%d started (pid %" PRIu32 ")\n", ka->name, want, pid_of_unit(s->bus, u));
        else
                printf("%s@%d stopped\n", ka->name, want);
        strbuf_free(&why);
        return ret;
}

static int start_or_stop(const verb_opts *o, const char *arg, bool start, bool reset) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0;
        int want, ret = app_set_select_instance(o, arg, true, &s, &apps, &napps, &want);

        if (ret)
                goto out;
        if (want >= 0) {
                ret = start_or_stop_one(&s, apps[0], want, start, reset);
                goto out;
        }
        for (size_t a = 0; a < napps; a++) {
                char t[256];
                strbuf why = STRBUF_INIT;

                snprintf(t, sizeof(t), "%s.target", apps[a]->name);
                if (reset)
                        reset_instances(&s, apps[a]);
                if (unit_job(s.bus, start ? "StartUnit" : "StopUnit", t, &why) < 0) {
                        fprintf(stderr, "pmgen: %s %s: %s\n", start ? "start" : "stop", apps[a]->name, strbuf_str(&why));
                        ret = EXIT_UNIT;
                        strbuf_free(&why);
                        continue;
                }
                inst *in = NULL;
                size_t n = 0, up = 0;

                if (instances_of(&s, apps[a], false, &in, &n) == 0)
                        for (size_t i = 0; i < n; i++) {
                                char u[256];

                                snprintf(u, sizeof(u), "%s@%u.service", apps[a]->name, in[i].n);
                                if (start && !unit_is_running(s.bus, u)) {
                                        strbuf_truncate(&why, 0);
                                        /* a failed instance: say why */
                                        if (unit_job(s.bus, "StartUnit", u, &why) < 0) {
                                                fprintf(stderr, "pmgen: start %s: %s\n", apps[a]->name, strbuf_str(&why));
                                                ret = EXIT_UNIT;
                                                continue;
                                        }
                                }
                                if (!start && unit_is_running(s.bus, u)) {
                                        strbuf_truncate(&why, 0);
                                        if (unit_job(s.bus, "StopUnit", u, &why) < 0) {
                                                fprintf(stderr, "pmgen: stop %s: %s\n", apps[a]->name, strbuf_str(&why));
                                                ret = EXIT_UNIT;
                                                continue;
                                        }
                                }
                                up += start;
                        }
                if (start)
                        printf("%s started (%zu of %zu instance%s running)\n", apps[a]->name, up, n, n == 1 ? "" : "s");
                else
                        printf("%s stopped\n", apps[a]->name);
                free(in);
                strbuf_free(&why);
        }
out:
        free(apps);
        app_set_free(&s);
        return ret;
}

int cmd_start(const verb_opts *o, const char *app_name) {
        return start_or_stop(o, app_name, true, false);
}

int cmd_stop(const verb_opts *o, const char *app_name) {
        return start_or_stop(o, app_name, false, false);
}

int cmd_reset(const verb_opts *o, const char *app_name) {
        return start_or_stop(o, app_name, true, true);
}

/* ---- scale and delete: edits of the store, then converge ------------------------------------- */

static int editable(const app_set *s, const known_app *ka, const char *verb) {
        if (!ka->entry) {
                fprintf(stderr,
                        "pmgen: %s %s: the app is not declared in %s (its units come from elsewhere, e.g. `pmgen generate`): "
                        "apply its declaration first\n",
                        verb, ka->name, s->sp.config_dir);
                return EXIT_NOAPP;
        }
        if (!ka->writable) {
                fprintf(stderr, "pmgen: %s %s: it is declared in %s, which pmgen does not edit: copy that file to %s/ and edit it there\n",
                        verb, ka->name, ka->entry->path, s->sp.config_dir);
                return EXIT_DECL;
        }
        return 0;
}

static int read_update(const app_set *s, const known_app *ka, store_update *u) {
        size_t len;

        u->name = strdup(ka->entry->name);
        if (!u->name)
                return -ENOMEM;
        return read_file(ka->entry->path, 1u << 22, &u->old_text, &len);
}

/* apply, scale and delete change the store one at a time (store_lock). -1 on failure (reported). */
static int lock_store(const verb_opts *o) {
        store_paths sp;
        bool waited = false;
        int fd;

        if (o->dry_run)
                return -2; /* nothing to lock: nothing changes */
        if (store_paths_get(o->user, &sp) < 0) {
                fprintf(stderr, "pmgen: cannot find the declaration directory\n");
                return -1;
        }
        fd = store_lock(sp.config_dir, &waited);
        if (fd < 0)
                fprintf(stderr, "pmgen: cannot lock %s/.lock: %s%s\n", sp.config_dir, strerror(-fd),
                        fd == -EACCES ? " (run it as root, or with --user for your own systemd)" : "");
        else if (waited)
                fprintf(stderr, "pmgen: waited for another pmgen changing %s\n", sp.config_dir);
        store_paths_free(&sp);
        return fd < 0 ? -1 : fd;
}

int cmd_scale(const verb_opts *o, const char *arg, const char *count) {
        app_set s = { 0 };
        known_app *ka;
        store_update *u = NULL;
        unsigned want;
        int lock = lock_store(o), ret = lock == -1 ? EXIT_SYSTEM : app_set_load(o, &s, !o->dry_run), r;

        if (ret)
                goto out;
        ka = app_find(&s, arg);
        if (!ka) {
                known_app **dummy = NULL;
                size_t n = 0;

                ret = app_select(&s, arg, false, &dummy, &n);
                free(dummy);
                ret = ret ? ret : EXIT_NOAPP;
                if (n)
                        fprintf(stderr, "pmgen: scale: name one app, not a namespace\n");
                goto out;
        }
        if ((ret = editable(&s, ka, "scale")))
                goto out;
        if (scale_count(count, ka->declared, &want) < 0) {
                fprintf(stderr, "pmgen: scale %s: '%s' is not a count (N, +N or -N giving 1 to 1024 instances; it has %u)\n",
                        ka->name, count, ka->declared);
                ret = EXIT_USAGE;
                goto out;
        }
        for (size_t i = 0; i < ka->entry->n_dropins; i++) {
                char *text = NULL;
                size_t len;
                bool sets = false;

                if (read_file(ka->entry->dropins[i], 1u << 22, &text, &len) == 0)
                        sets = strstr(text, "instances") != NULL;
                free(text);
                if (sets) {
                        fprintf(stderr, "pmgen: scale %s: the drop-in %s may set its instances: change it there\n", ka->name,
                                ka->entry->dropins[i]);
                        ret = EXIT_DECL;
                        goto out;
                }
        }
        u = calloc(1, sizeof(store_update));
        if (!u || read_update(&s, ka, u) < 0) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        r = edit_set_instances(u->old_text, ka->name, want, &u->new_text);
        if (r < 0) {
                fprintf(stderr, "pmgen: scale %s: cannot edit %s: %s\n", ka->name, ka->entry->path, strerror(-r));
                ret = r == -ENOENT ? EXIT_DECL : EXIT_SYSTEM;
                goto out;
        }
        if (asprintf(&u->label, "(scale %s %u → %u)", ka->name, ka->declared, want) < 0)
                u->label = NULL;
        pbus_close(s.bus); /* converge opens its own */
        s.bus = NULL;
        ret = converge(o, &s.sp, u, 1);
out:
        store_updates_free(u, u ? 1 : 0);
        app_set_free(&s);
        if (lock >= 0)
                close(lock);
        return ret;
}

int cmd_delete(const verb_opts *o, const char *arg) {
        app_set s = { 0 };
        known_app **apps = NULL;
        size_t napps = 0, n = 0;
        store_update *u = NULL;
        int lock = lock_store(o), ret = lock == -1 ? EXIT_SYSTEM : app_set_load(o, &s, !o->dry_run);

        if (ret)
                goto out;
        if ((ret = app_select(&s, arg, true, &apps, &napps)))
                goto out;
        u = calloc(napps + 1, sizeof(store_update));
        if (!u) {
                ret = EXIT_SYSTEM;
                goto out;
        }
        for (size_t a = 0; a < napps; a++) {
                store_update *up = NULL;
                char *next = NULL;
                bool empty = false;
                int r;

                if ((ret = editable(&s, apps[a], "delete")))
                        goto out;
                for (size_t k = 0; k < n && !up; k++)
                        if (strcmp(u[k].name, apps[a]->entry->name) == 0)
                                up = &u[k];
                if (!up) {
                        up = &u[n++];
                        if (read_update(&s, apps[a], up) < 0 || !(up->new_text = strdup(up->old_text))) {
                                ret = EXIT_SYSTEM;
                                goto out;
                        }
                }
                if (!up->new_text)
                        continue;
                r = edit_remove_app(up->new_text, apps[a]->name, &next, &empty);
                if (r < 0) {
                        fprintf(stderr, "pmgen: delete %s: cannot edit %s: %s\n", apps[a]->name, apps[a]->entry->path,
                                strerror(-r));
                        ret = r == -ENOENT ? EXIT_DECL : EXIT_SYSTEM;
                        free(next);
                        goto out;
                }
                free(up->new_text);
                up->new_text = empty ? NULL : next;
                if (empty)
                        free(next);
        }
        if (n == 0) {
                puts("nothing to do");
                goto out;
        }
        pbus_close(s.bus);
        s.bus = NULL;
        ret = converge(o, &s.sp, u, n);
out:
        store_updates_free(u, n);
        free(apps);
        app_set_free(&s);
        if (lock >= 0)
                close(lock);
        return ret;
}
