/* SPDX-License-Identifier: MIT */
#include "bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

#define DEST "org.freedesktop.systemd1"
#define PATH "/org/freedesktop/systemd1"
#define MANAGER "org.freedesktop.systemd1.Manager"
#define RELOAD_TIMEOUT_USEC (300ULL * 1000000ULL)

typedef struct job_done {
        char *path, *result;
} job_done;

struct pbus {
        sd_bus *bus;
        sd_bus_slot *slot;
        job_done *done; /* JobRemoved signals seen and not yet claimed */
        size_t n_done;
        bool oom;
        bool user;      /* the user manager */
};

bool pbus_user(const pbus *b) {
        return b->user;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        pbus *b = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        job_done *nv;

        (void) e;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        nv = realloc(b->done, (b->n_done + 1) * sizeof(job_done));
        if (!nv) {
                b->oom = true;
                return 0;
        }
        b->done = nv;
        b->done[b->n_done].path = strdup(path);
        b->done[b->n_done].result = strdup(result);
        if (!b->done[b->n_done].path || !b->done[b->n_done].result) {
                free(b->done[b->n_done].path);
                free(b->done[b->n_done].result);
                b->oom = true;
                return 0;
        }
        b->n_done++;
        return 0;
}

static int connect_private(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);

        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int pbus_open(bool user, pbus **ret, const char **what) {
        pbus *b = calloc(1, sizeof(pbus));

        if (b)
                b->user = user;
        bool direct = false;
        int r;

        if (!b)
                return -ENOMEM;
        if (user) {
                const char *rt = getenv("XDG_RUNTIME_DIR");
                strbuf sb = STRBUF_INIT;

                if (rt && rt[0] == '/')
                        strbuf_addf(&sb, "unix:path=%s/systemd/private", rt);
                else
                        strbuf_addf(&sb, "unix:path=/run/user/%lu/systemd/private", (unsigned long) getuid());
                *what = "the user manager ($XDG_RUNTIME_DIR/systemd/private)";
                r = sb.oom ? -ENOMEM : connect_private(strbuf_str(&sb), &b->bus);
                strbuf_free(&sb);
                direct = true;
                if (r < 0) {
                        r = sd_bus_open_user(&b->bus);
                        direct = false;
                }
        } else if (geteuid() == 0) {
                *what = "systemd (/run/systemd/private)";
                r = connect_private("unix:path=/run/systemd/private", &b->bus);
                direct = true;
                if (r < 0) {
                        r = sd_bus_open_system(&b->bus);
                        direct = false;
                }
        } else {
                *what = "the system bus";
                r = sd_bus_open_system(&b->bus);
        }
        if (r < 0)
                goto fail;
        /* Direct connections have no sender field: match without one, as systemctl does. */
        r = sd_bus_match_signal(b->bus, &b->slot, direct ? NULL : DEST, PATH, MANAGER, "JobRemoved", on_job_removed, b);
        if (r < 0)
                goto fail;
        r = sd_bus_call_method(b->bus, DEST, PATH, MANAGER, "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                goto fail;
        *ret = b;
        return 0;
fail:
        pbus_close(b);
        return r;
}

void pbus_close(pbus *b) {
        if (!b)
                return;
        for (size_t i = 0; i < b->n_done; i++) {
                free(b->done[i].path);
                free(b->done[i].result);
        }
        free(b->done);
        sd_bus_slot_unref(b->slot);
        sd_bus_flush_close_unref(b->bus);
        free(b);
}

int pbus_reload(pbus *b, sd_bus_error *err) {
        sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(b->bus, &m, DEST, PATH, MANAGER, "Reload");

        if (r >= 0)
                r = sd_bus_call(b->bus, m, RELOAD_TIMEOUT_USEC, err, &reply);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

int pbus_reset_failed(pbus *b, const char *unit, sd_bus_error *err) {
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(b->bus, DEST, PATH, MANAGER, "ResetFailedUnit", err, &reply, "s", unit);

        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

int pbus_job_start(pbus *b, const char *method, const char *unit, char **job, sd_bus_error *err) {
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(b->bus, DEST, PATH, MANAGER, method, err, &reply, "ss", unit, "replace");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0 && !(*job = strdup(path)))
                r = -ENOMEM;
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int pbus_job_wait(pbus *b, const char *job, uint64_t timeout_usec, char **result) {
        uint64_t deadline = now_usec() + timeout_usec;

        for (;;) {
                int r;

                for (size_t i = 0; i < b->n_done; i++)
                        if (strcmp(b->done[i].path, job) == 0) {
                                *result = b->done[i].result;
                                free(b->done[i].path);
                                b->done[i] = b->done[--b->n_done];
                                return 0;
                        }
                if (b->oom)
                        return -ENOMEM;
                r = sd_bus_process(b->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                uint64_t now = now_usec();

                if (now >= deadline)
                        return -ETIME;
                r = sd_bus_wait(b->bus, deadline - now);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

int pbus_job_run(pbus *b, const char *method, const char *unit, char **result, sd_bus_error *err) {
        char *job = NULL;
        int r = pbus_job_start(b, method, unit, &job, err);

        if (r < 0)
                return r;
        /* systemd enforces the units' own timeouts; this only bounds a lost signal. */
        r = pbus_job_wait(b, job, 30ULL * 60 * 1000000ULL, result);
        if (r < 0)
                sd_bus_error_set_errno(err, r);
        free(job);
        return r;
}

static int read_strv(sd_bus_message *m, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        const char *s;
        int r = sd_bus_message_enter_container(m, 'a', "s");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &s)) > 0) {
                char **nv = realloc(v, (n + 2) * sizeof(char *));

                if (!nv || !(nv[n] = strdup(s))) {
                        free(nv ? nv : v);
                        return -ENOMEM;
                }
                v = nv;
                v[++n] = NULL;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                pbus_strv_free(v);
                return r;
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = v;
        return 0;
}

static int read_listen(sd_bus_message *m, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        const char *type, *addr;
        int r = sd_bus_message_enter_container(m, 'a', "(ss)");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &type, &addr)) > 0) {
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                strbuf sb = STRBUF_INIT;

                strbuf_addf(&sb, "%s %s", type, addr);
                if (!nv || !(nv[n] = strbuf_steal(&sb))) {
                        free(nv ? nv : v);
                        return -ENOMEM;
                }
                v = nv;
                v[++n] = NULL;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                pbus_strv_free(v);
                return r;
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = v;
        return 0;
}

static int read_prop(sd_bus_message *m, const pbus_prop *p) {
        static const char sig[][5] = { ['s'] = "s", ['b'] = "b", ['u'] = "u", ['i'] = "i", ['t'] = "t", ['S'] = "as",
                                       ['L'] = "a(ss)" };
        const char *contents = sig[(unsigned char) p->type];
        int r = sd_bus_message_enter_container(m, 'v', contents);

        if (r < 0)
                return r;
        switch (p->type) {
        case 's': {
                const char *s;

                r = sd_bus_message_read(m, "s", &s);
                if (r >= 0) {
                        char *c = strdup(s);

                        if (!c)
                                return -ENOMEM;
                        free(*(char **) p->dest);
                        *(char **) p->dest = c;
                }
                break;
        }
        case 'b': {
                int x;

                r = sd_bus_message_read(m, "b", &x);
                if (r >= 0)
                        *(bool *) p->dest = x;
                break;
        }
        case 'u':
                r = sd_bus_message_read(m, "u", (uint32_t *) p->dest);
                break;
        case 'i':
                r = sd_bus_message_read(m, "i", (int32_t *) p->dest);
                break;
        case 't':
                r = sd_bus_message_read(m, "t", (uint64_t *) p->dest);
                break;
        case 'S':
        case 'L': {
                char **v = NULL;

                r = p->type == 'S' ? read_strv(m, &v) : read_listen(m, &v);
                if (r >= 0) {
                        pbus_strv_free(*(char ***) p->dest);
                        *(char ***) p->dest = v;
                }
                break;
        }
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int pbus_get_props(pbus *b, const char *unit, const char *iface, const pbus_prop *props, sd_bus_error *err) {
        sd_bus_message *reply = NULL;
        char *path = NULL, ifname[64];
        int r;

        snprintf(ifname, sizeof(ifname), "org.freedesktop.systemd1.%s", iface);
        r = sd_bus_path_encode(PATH "/unit", unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(b->bus, DEST, path, "org.freedesktop.DBus.Properties", "GetAll", err, &reply, "s", ifname);
        free(path);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;
                const pbus_prop *p = NULL;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        break;
                for (size_t i = 0; props[i].name; i++)
                        if (strcmp(props[i].name, name) == 0)
                                p = &props[i];
                r = p ? read_prop(reply, p) : sd_bus_message_skip(reply, "v");
                if (r == -ENXIO || r == -EBADMSG) /* an unexpected type: leave the row as it is */
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        break;
                r = sd_bus_message_exit_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

int pbus_list_units(pbus *b, const char *const *patterns, pbus_unit **ret, size_t *n, sd_bus_error *err) {
        sd_bus_message *m = NULL, *reply = NULL;
        pbus_unit *v = NULL;
        size_t k = 0;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, DEST, PATH, MANAGER, "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, NULL);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) patterns);
        if (r >= 0)
                r = sd_bus_call(b->bus, m, 0, err, &reply);
        sd_bus_message_unref(m);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        for (;;) {
                const char *name, *desc, *load, *active, *sub, *following, *path, *jtype, *jpath;
                uint32_t jid;

                if (r < 0)
                        break;
                r = sd_bus_message_read(reply, "(ssssssouso)", &name, &desc, &load, &active, &sub, &following, &path, &jid,
                                        &jtype, &jpath);
                if (r <= 0)
                        break;
                pbus_unit *nv = realloc(v, (k + 1) * sizeof(pbus_unit));

                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[k] = (pbus_unit){ strdup(name), strdup(load), strdup(active), strdup(sub) };
                k++;
                if (!v[k - 1].name || !v[k - 1].load || !v[k - 1].active || !v[k - 1].sub) {
                        r = -ENOMEM;
                        break;
                }
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                pbus_units_free(v, k);
                return r;
        }
        *ret = v;
        *n = k;
        return 0;
}

void pbus_units_free(pbus_unit *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].load);
                free(v[i].active);
                free(v[i].sub);
        }
        free(v);
}

void pbus_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

const char *pbus_error_message(const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e) && e->message)
                return e->message;
        return strerror(r < 0 ? -r : r);
}
