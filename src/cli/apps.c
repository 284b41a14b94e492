/* SPDX-License-Identifier: MIT */
#include "apps.h"
#include "cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "host.h"
#include "table.h"
#include "units.h"

/* ---- the apps a verb knows ------------------------------------------------------------------ */

void app_set_free(app_set *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].name);
        free(s->v);
        for (size_t i = 0; s->decls && i < s->sl.n; i++)
                decl_free(&s->decls[i]);
        free(s->decls);
        store_list_free(&s->sl);
        store_paths_free(&s->sp);
        pbus_close(s->bus);
        memset(s, 0, sizeof(*s));
}

known_app *app_find(app_set *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].name, name) == 0)
                        return &s->v[i];
        return NULL;
}

static known_app *add_app(app_set *s, const char *name) {
        known_app *nv = realloc(s->v, (s->n + 1) * sizeof(known_app));

        if (!nv)
                return NULL;
        s->v = nv;
        s->v[s->n] = (known_app){ .name = strdup(name) };
        if (!s->v[s->n].name)
                return NULL;
        return &s->v[s->n++];
}

static int cmp_app(const void *x, const void *y) {
        return strcmp(((const known_app *) x)->name, ((const known_app *) y)->name);
}

/* Store declarations, then the pmgen targets systemd has loaded. */
int app_set_load(const verb_opts *o, app_set *s, bool need_bus) {
        const char *bad = NULL, *what = NULL;
        plan_host h;
        int r;

        host_plan(&h);
        r = store_paths_get(o->user, &s->sp);
        if (r == 0)
                r = store_list_files(&s->sp, &s->sl, &bad);
        if (r < 0) {
                fprintf(stderr, "pmgen: cannot read %s: %s\n", bad ? bad : "the declaration directories", strerror(-r));
                return EXIT_SYSTEM;
        }
        s->decls = calloc(s->sl.n + 1, sizeof(decl_file));
        if (!s->decls)
                return EXIT_SYSTEM;
        for (size_t i = 0; i < s->sl.n; i++) {
                const store_entry *e = &s->sl.v[i];
                diag_list dl = DIAG_LIST_INIT;
                decl_file *d = &s->decls[i];
                strbuf mine = STRBUF_INIT;

                if (e->masked || store_load(e, d, &dl) < 0) {
                        if (!e->masked)
                                fprintf(stderr, "pmgen: warning: %s has errors (see `pmgen check %s`); its apps are left out\n",
                                        e->path, e->path);
                        diag_list_free(&dl);
                        continue;
                }
                diag_list_free(&dl);
                strbuf_addf(&mine, "%s/%s", s->sp.config_dir, e->name);
                for (size_t k = 0; k < d->m.n_apps; k++) {
                        const app *a = &d->m.apps[k];
                        plan_opts po = { .source = d->abs_file, .source_dir = d->dir };
                        diag_list pl = DIAG_LIST_INIT;
                        app_plan p;
                        known_app *ka;

                        if (app_find(s, a->name))
                                continue;
                        ka = add_app(s, a->name);
                        if (!ka) {
                                strbuf_free(&mine);
                                return EXIT_SYSTEM;
                        }
                        ka->entry = e;
                        ka->writable = strcmp(e->path, strbuf_str(&mine)) == 0;
                        ka->a = a;
                        ka->decl_index = i;
                        if (plan_app(a, &po, &h, &p, &pl) == 0) {
                                ka->declared = p.instances;
                                ka->port = p.port;
                                plan_free(&p);
                        }
                        diag_list_free(&pl);
                }
                strbuf_free(&mine);
        }
        r = pbus_open(o->user, &s->bus, &what);
        if (r < 0) {
                s->bus = NULL;
                if (need_bus) {
                        fprintf(stderr, "pmgen: cannot reach %s: %s%s\n", what, strerror(-r),
                                o->user ? " (is the user manager running? see loginctl enable-linger in pmgen(1))" : "");
                        return EXIT_SYSTEM;
                }
        }
        if (s->bus) {
                static const char *const pat[] = { "*.target", NULL };
                pbus_unit *u = NULL;
                size_t n = 0;
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (pbus_list_units(s->bus, pat, &u, &n, &e) == 0)
                        for (size_t i = 0; i < n; i++) {
                                char **doc = NULL;
                                pbus_prop props[] = { { "Documentation", 'S', &doc }, { NULL, 0, NULL } };
                                size_t len = strlen(u[i].name) - strlen(".target");
                                bool ours = false;

                                if (strcmp(u[i].name, "pmgen.target") == 0 || str_has_prefix(u[i].name, "pmgen-ns@") ||
                                    strcmp(u[i].load, "loaded") != 0)
                                        continue;
                                if (pbus_get_props(s->bus, u[i].name, "Unit", props, &e) == 0)
                                        for (size_t k = 0; doc && doc[k]; k++)
                                                ours = ours || strcmp(doc[k], "man:pmgen(1)") == 0;
                                sd_bus_error_free(&e);
                                pbus_strv_free(doc);
                                if (ours) {
                                        char *name = xstrndup(u[i].name, len);

                                        if (name && !app_find(s, name) && !add_app(s, name)) {
                                                free(name);
                                                pbus_units_free(u, n);
                                                return EXIT_SYSTEM;
                                        }
                                        free(name);
                                }
                        }
                sd_bus_error_free(&e);
                pbus_units_free(u, n);
        }
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(known_app), cmp_app);
        return 0;
}

/* The apps APP names: one app, `all`, or the apps of a namespace. */
int app_set_select(const verb_opts *o, const char *arg, bool need_bus, app_set *s, known_app ***ret, size_t *n) {
        int r = app_set_load(o, s, need_bus);

        return r ? r : app_select(s, arg, true, ret, n);
}

int app_arg_instance(const char *arg, size_t *name_len, int *instance) {
        const char *at = strchr(arg, '@');
        size_t digits;

        *name_len = strlen(arg);
        *instance = -1;
        if (!at)
                return 0;
        digits = strlen(at + 1);
        if (at == arg || digits == 0 || digits > 5 || strspn(at + 1, "0123456789") != digits)
                return -EINVAL;
        *name_len = (size_t) (at - arg);
        *instance = atoi(at + 1);
        return 1;
}

int app_set_select_instance(const verb_opts *o, const char *arg, bool need_bus, app_set *s, known_app ***ret,
                            size_t *n, int *instance) {
        char name[NAME_MAX_LEN + 1];
        size_t len;
        int r;

        if (app_arg_instance(arg, &len, instance) < 0 || len > NAME_MAX_LEN) {
                fprintf(stderr, "pmgen: '%s': expected an app, APP@N (its instance N), a namespace or all\n", arg);
                return EXIT_USAGE;
        }
        memcpy(name, arg, len);
        name[len] = '\0';
        r = app_set_select(o, name, need_bus, s, ret, n);
        if (r == 0 && *instance >= 0 && !app_find(s, name)) {
                fprintf(stderr, "pmgen: '%s': an instance goes with an app's name, not a namespace or all\n", arg);
                free(*ret);
                *ret = NULL;
                return EXIT_USAGE;
        }
        return r;
}

int inst_keep(const char *verb, const known_app *ka, inst *in, size_t *n, int want) {
        size_t k = 0;

        if (want < 0)
                return 0;
        for (size_t i = 0; i < *n; i++)
                if (in[i].n == (unsigned) want)
                        in[k++] = in[i];
        if (k == 0) {
                fprintf(stderr, "pmgen: %s %s@%d: %s has no instance %d%s\n", verb, ka->name, want, ka->name, want,
                        *n ? "" : " running");
                *n = 0;
                return EXIT_NOAPP;
        }
        *n = k;
        return 0;
}

int app_select(app_set *s, const char *arg, bool allow_all, known_app ***ret, size_t *n) {
        known_app **v = calloc(s->n + 1, sizeof(known_app *));
        size_t k = 0;

        if (!v)
                return EXIT_SYSTEM;
        if (allow_all && strcmp(arg, "all") == 0) {
                for (size_t i = 0; i < s->n; i++)
                        v[k++] = &s->v[i];
        } else if (app_find(s, arg))
                v[k++] = app_find(s, arg);
        else
                for (size_t i = 0; i < s->n; i++)
                        if (s->v[i].a && s->v[i].a->namespace && strcmp(s->v[i].a->namespace, arg) == 0)
                                v[k++] = &s->v[i];
        if (k == 0 && !(allow_all && strcmp(arg, "all") == 0)) {
                strbuf known = STRBUF_INIT;

                for (size_t i = 0; i < s->n; i++)
                        strbuf_addf(&known, "%s%s", i ? ", " : "", s->v[i].name);
                fprintf(stderr, "pmgen: no app '%s'%s%s%s\n", arg, s->n ? " (known: " : " (no app is declared)", strbuf_str(&known),
                        s->n ? ")" : "");
                strbuf_free(&known);
                free(v);
                return EXIT_NOAPP;
        }
        *ret = v;
        *n = k;
        return 0;
}

/* The instance numbers of an app (sorted), and whether each has a socket unit. */
static int cmp_inst(const void *x, const void *y) {
        unsigned a = ((const inst *) x)->n, b = ((const inst *) y)->n;

        return a < b ? -1 : a > b;
}

static bool parse_instance(const char *unit, const char *app_name, const char *suffix, unsigned *ret) {
        size_t n = strlen(app_name);
        char *end = NULL;
        unsigned long x;

        if (strncmp(unit, app_name, n) != 0 || unit[n] != '@' || unit[n + 1] < '0' || unit[n + 1] > '9')
                return false;
        errno = 0;
        x = strtoul(unit + n + 1, &end, 10);
        if (errno || strcmp(end, suffix) != 0 || x > 100000)
                return false;
        *ret = (unsigned) x;
        return true;
}

static int add_inst(inst **v, size_t *k, unsigned n, bool socket) {
        for (size_t i = 0; i < *k; i++)
                if ((*v)[i].n == n) {
                        (*v)[i].socket = (*v)[i].socket || socket;
                        return 0;
                }
        inst *nv = realloc(*v, (*k + 1) * sizeof(inst));

        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[(*k)++] = (inst){ n, socket };
        return 0;
}

int instances_of(app_set *s, const known_app *ka, bool running_only, inst **ret, size_t *n) {
        inst *v = NULL;
        size_t k = 0;
        char **wants = NULL, *load = NULL;
        strbuf target = STRBUF_INIT, pat = STRBUF_INIT;
        pbus_prop props[] = { { "Wants", 'S', &wants }, { "LoadState", 's', &load }, { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        pbus_unit *u = NULL;
        size_t nu = 0;
        unsigned x;
        int r = 0;

        strbuf_addf(&target, "%s.target", ka->name);
        strbuf_addf(&pat, "%s@*.service", ka->name);
        if (s->bus && !running_only)
                (void) pbus_get_props(s->bus, strbuf_str(&target), "Unit", props, &e);
        sd_bus_error_free(&e);
        if (load && strcmp(load, "loaded") == 0) {
                for (size_t i = 0; wants && wants[i] && r == 0; i++)
                        if (parse_instance(wants[i], ka->name, ".service", &x))
                                r = add_inst(&v, &k, x, false);
                for (size_t i = 0; wants && wants[i] && r == 0; i++)
                        if (parse_instance(wants[i], ka->name, ".socket", &x))
                                r = add_inst(&v, &k, x, true);
        } else if (!running_only)
                for (unsigned i = 0; i < ka->declared && r == 0; i++)
                        r = add_inst(&v, &k, i, false);
        if (s->bus && r == 0 && pbus_list_units(s->bus, (const char *const[]){ strbuf_str(&pat), NULL }, &u, &nu, &e) == 0)
                for (size_t i = 0; i < nu && r == 0; i++)
                        if (strcmp(u[i].active, "inactive") != 0 && parse_instance(u[i].name, ka->name, ".service", &x))
                                r = add_inst(&v, &k, x, false);
        sd_bus_error_free(&e);
        pbus_units_free(u, nu);
        pbus_strv_free(wants);
        free(load);
        strbuf_free(&target);
        strbuf_free(&pat);
        if (r < 0) {
                free(v);
                return r;
        }
        if (k > 1)
                qsort(v, k, sizeof(inst), cmp_inst);
        *ret = v;
        *n = k;
        return 0;
}

/* ---- process figures ----------------------------------------------------------------------- */

/* The app's pid: the first child of the main process when that is pmgen-shim. */
uint32_t app_pid(uint32_t main_pid) {
        char path[64], *text = NULL;
        size_t len;
        uint32_t pid = main_pid;

        if (!main_pid)
                return 0;
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", main_pid);
        if (read_file(path, 256, &text, &len) < 0)
                return main_pid;
        bool shim = strncmp(text, "pmgen-shim", 10) == 0;

        free(text);
        if (!shim)
                return main_pid;
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/children", main_pid, main_pid);
        if (read_file(path, 4096, &text, &len) == 0) {
                char *end = NULL;
                unsigned long x = strtoul(text, &end, 10);

                if (end != text && x > 0 && x < UINT32_MAX)
                        pid = (uint32_t) x;
                free(text);
        }
        return pid;
}

/* How long PID has run, from its start time in /proc (usec), or ROW_UNKNOWN. */
uint64_t pid_uptime(uint32_t pid) {
        char path[64], *text = NULL, *p;
        size_t len;
        double up = 0;
        unsigned long long start = 0;
        long tck = sysconf(_SC_CLK_TCK);

        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", pid);
        if (read_file(path, 4096, &text, &len) < 0)
                return ROW_UNKNOWN;
        p = strrchr(text, ')');
        /* fields after "(comm)": state is field 3, starttime field 22 */
        for (int f = 2; p && f < 22; f++)
                p = strchr(p + 1, ' ');
        if (p)
                start = strtoull(p + 1, NULL, 10);
        free(text);
        if (!p || tck <= 0 || read_file("/proc/uptime", 256, &text, &len) < 0)
                return ROW_UNKNOWN;
        up = strtod(text, NULL);
        free(text);
        double s = up - (double) start / (double) tck;

        return s < 0 ? 0 : (uint64_t) (s * 1e6);
}

uint64_t realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

uint64_t mono_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int running_instances(app_set *s, const known_app *ka, inst **in, size_t *n) {
        inst *all = NULL;
        size_t k = 0, m = 0;
        int r = instances_of(s, ka, false, &all, &k);

        if (r < 0)
                return r;
        for (size_t i = 0; i < k; i++) {
                char u[256];

                snprintf(u, sizeof(u), "%s@%u.service", ka->name, all[i].n);
                if (unit_is_running(s->bus, u))
                        all[m++] = all[i];
        }
        *in = all;
        *n = m;
        return 0;
}

/* The replacements an instance's shim made on its own (max_memory_restart, max_cpu_restart), from
 * $RUNTIME_DIRECTORY/replaced (pmgen-shim(8)); 0 when there is none. */
static uint32_t shim_replaced(const app_set *s, const char *name, unsigned n) {
        const char *base = s->sp.user ? getenv("XDG_RUNTIME_DIR") : "/run";
        char path[512], text[32] = "";
        FILE *f;

        if (!base || *base != '/')
                return 0;
        snprintf(path, sizeof(path), "%s/pmgen/%s-%u/replaced", base, name, n);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (!fgets(text, sizeof(text), f))
                text[0] = '\0';
        fclose(f);
        return (uint32_t) strtoul(text, NULL, 10);
}

int inst_state_read(app_set *s, const known_app *ka, unsigned n, inst_state *out) {
        uint64_t start = 0, mem = ROW_UNKNOWN, cpu = ROW_UNKNOWN;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        strbuf u = STRBUF_INIT, id = STRBUF_INIT;
        inst_row *r = &out->row;

        *out = (inst_state) { .memory_max = UINT64_MAX };
        strbuf_addf(&u, "%s@%u.service", ka->name, n);
        strbuf_addf(&id, "%u", n);
        out->unit = strbuf_steal(&u);
        out->instance = strbuf_steal(&id);
        out->app = strdup(ka->name);
        if (!out->unit || !out->instance || !out->app)
                return -ENOMEM;
        pbus_prop sprops[] = { { "MainPID", 'u', &r->main_pid },
                               { "NRestarts", 'u', &r->restarts },
                               { "MemoryCurrent", 't', &mem },
                               { "MemoryMax", 't', &out->memory_max },
                               { "CPUUsageNSec", 't', &cpu },
                               { "ControlGroup", 's', &out->cgroup },
                               { "ExecMainStartTimestamp", 't', &start },
                               { NULL, 0, NULL } };
        pbus_prop uprops[] = { { "ActiveState", 's', &out->active }, { "SubState", 's', &out->sub }, { NULL, 0, NULL } };

        if (s->bus) {
                (void) pbus_get_props(s->bus, out->unit, "Unit", uprops, &e);
                sd_bus_error_free(&e);
                (void) pbus_get_props(s->bus, out->unit, "Service", sprops, &e);
                sd_bus_error_free(&e);
        }
        bool up = out->active && strcmp(out->active, "inactive") != 0 && strcmp(out->active, "failed") != 0 &&
                  r->main_pid;

        /* PM2 counts its memory restarts; systemd's NRestarts does not see the shim's replacements */
        r->restarts += shim_replaced(s, ka->name, n);
        r->pid = up ? app_pid(r->main_pid) : 0;
        r->uptime_usec = ROW_UNKNOWN;
        if (up) {
                r->uptime_usec = pid_uptime(r->pid);
                if (r->uptime_usec == ROW_UNKNOWN && start && start <= realtime_usec())
                        r->uptime_usec = realtime_usec() - start;
        }
        if (up && mem == ROW_UNKNOWN && out->cgroup && out->cgroup[0] &&
            cgroup_memory_bytes("/sys/fs/cgroup", out->cgroup, &mem) < 0 &&
            cgroup_rss_bytes("/sys/fs/cgroup", out->cgroup, &mem) < 0)
                mem = ROW_UNKNOWN;
        if (up && cpu == ROW_UNKNOWN && out->cgroup && out->cgroup[0] &&
            cgroup_cpu_nsec("/sys/fs/cgroup", out->cgroup, &cpu) < 0)
                cpu = ROW_UNKNOWN;
        r->memory = up ? mem : ROW_UNKNOWN;
        r->cpu_nsec = up ? cpu : ROW_UNKNOWN;
        r->cpu_percent = -1;
        r->app = out->app;
        r->instance = out->instance;
        r->unit = out->unit;
        r->active = out->active;
        r->sub = out->sub;
        return 0;
}

void inst_state_free(inst_state *st) {
        free(st->app);
        free(st->instance);
        free(st->unit);
        free(st->active);
        free(st->sub);
        free(st->cgroup);
        *st = (inst_state) { 0 };
}

uint32_t pid_of_unit(pbus *b, const char *unit) {
        uint32_t main_pid = 0;
        pbus_prop props[] = { { "MainPID", 'u', &main_pid }, { NULL, 0, NULL } };
        sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) pbus_get_props(b, unit, "Service", props, &e);
        sd_bus_error_free(&e);
        return app_pid(main_pid);
}
