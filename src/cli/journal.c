/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>
#include <systemd/sd-messages.h>

#include "table.h"
#include "timefmt.h"

/* ---- rendering ------------------------------------------------------------------------------ */

static void iso_time(uint64_t usec, strbuf *out) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        char buf[32];

        if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
                strbuf_adds(out, "null");
                return;
        }
        strbuf_addf(out, "\"%s.%03uZ\"", buf, (unsigned) (usec / 1000 % 1000));
}

void log_render(const log_line *l, int width, bool json, bool color, strbuf *out) {
        if (json) {
                strbuf msg = STRBUF_INIT;

                strbuf_add(&msg, l->message ? l->message : "", l->message ? l->message_len : 0);
                strbuf_adds(out, "{\"time\":");
                iso_time(l->usec, out);
                strbuf_addf(out, ",\"usec\":%" PRIu64 ",\"app\":", l->usec);
                json_string(out, l->app);
                strbuf_adds(out, ",\"instance\":");
                json_string(out, l->instance);
                strbuf_addf(out, ",\"pid\":%" PRIu32 ",\"priority\":", l->pid);
                if (l->priority >= 0)
                        strbuf_addf(out, "%d", l->priority);
                else
                        strbuf_adds(out, "null");
                strbuf_addf(out, ",\"source\":\"%s\",\"message\":", l->from_systemd ? "systemd" : "app");
                json_string(out, strbuf_str(&msg));
                strbuf_adds(out, "}\n");
                strbuf_free(&msg);
                return;
        }
        strbuf prefix = STRBUF_INIT;

        strbuf_addf(&prefix, "%s|%s", l->instance ? l->instance : "-", l->app ? l->app : "-");
        if (color)
                strbuf_adds(out, l->priority >= 0 && l->priority <= 4 ? "\033[31m" : "\033[32m");
        strbuf_addf(out, "%-*s |", width + 2, strbuf_str(&prefix));
        if (color)
                strbuf_adds(out, "\033[0m");
        strbuf_addc(out, ' ');
        if (l->time_format) { /* as PM2 writes log_date_format into its files: "TIME: line" */
                time_t t = (time_t) (l->usec / 1000000);
                struct tm tm;

                if (localtime_r(&t, &tm)) {
                        timefmt_moment(out, l->time_format, &tm, (unsigned) (l->usec / 1000 % 1000), tm.tm_gmtoff);
                        strbuf_adds(out, ": ");
                }
        }
        if (l->from_systemd)
                strbuf_adds(out, "[systemd] ");
        /* The message as the app wrote it; only a trailing newline goes. */
        size_t n = l->message ? l->message_len : 0;

        while (n > 0 && (l->message[n - 1] == '\n' || l->message[n - 1] == '\r'))
                n--;
        strbuf_add(out, l->message ? l->message : "", n);
        strbuf_addc(out, '\n');
        strbuf_free(&prefix);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* The value of FIELD in the current record, NUL-terminated in buf (cut to its size). */
static const char *field(sd_journal *j, const char *name, char *buf, size_t size, size_t *len) {
        const void *data;
        size_t n, k = strlen(name);

        if (sd_journal_get_data(j, name, &data, &n) < 0 || n <= k)
                return NULL;
        n -= k + 1;
        if (len)
                *len = n;
        if (!buf)
                return (const char *) data + k + 1;
        if (n >= size)
                n = size - 1;
        memcpy(buf, (const char *) data + k + 1, n);
        buf[n] = '\0';
        return buf;
}

/* Does the current record belong to one of the apps (of this manager)? Sets *app. */
static bool wanted(sd_journal *j, const log_query *q, const char **app) {
        char v[256], unit[256], uunit[256], uid[32];
        const char *a = field(j, "PMGEN_APP", v, sizeof(v), NULL);
        bool is_user = field(j, "_SYSTEMD_USER_UNIT", uunit, sizeof(uunit), NULL) != NULL;
        const char *u = is_user ? uunit : field(j, "_SYSTEMD_UNIT", unit, sizeof(unit), NULL);

        if (is_user != q->user)
                return false;
        if (q->user && field(j, "_UID", uid, sizeof(uid), NULL) && strtoul(uid, NULL, 10) != (unsigned long) getuid())
                return false;
        for (size_t i = 0; q->apps[i]; i++) {
                size_t n = strlen(q->apps[i]);

                if ((a && strcmp(a, q->apps[i]) == 0) || (u && strncmp(u, q->apps[i], n) == 0 && u[n] == '@')) {
                        *app = q->apps[i];
                        return true;
                }
        }
        return false;
}

/* (PMGEN_APP=a OR PMGEN_APP=b …) OR (SYSLOG_IDENTIFIER=a OR …): one field's matches are
 * ORed by sd-journal, different fields ANDed unless a disjunction separates them. */
static int add_matches(sd_journal *j, const log_query *q) {
        static const char *const fields[] = { "PMGEN_APP", "SYSLOG_IDENTIFIER" };
        int r = 0;

        for (size_t f = 0; f < 2 && r >= 0; f++) {
                if (f > 0)
                        r = sd_journal_add_disjunction(j);
                for (size_t i = 0; q->apps[i] && r >= 0; i++) {
                        strbuf m = STRBUF_INIT;

                        strbuf_addf(&m, "%s=%s", fields[f], q->apps[i]);
                        r = m.oom ? -ENOMEM : sd_journal_add_match(j, m.s, m.len);
                        strbuf_free(&m);
                }
        }
        return r;
}

static int priority_of(sd_journal *j) {
        char prio[8];

        if (!field(j, "PRIORITY", prio, sizeof(prio), NULL) || prio[0] < '0' || prio[0] > '7' || prio[1])
                return -1;
        return prio[0] - '0';
}

/* The current record's instance: PMGEN_INSTANCE, else the N of its unit NAME@N.service; NULL: none. */
static const char *instance_of(sd_journal *j, const log_query *q, char *buf, size_t size) {
        char unit[256];
        const char *inst = field(j, "PMGEN_INSTANCE", buf, size, NULL), *u, *at, *dot;

        if (inst)
                return inst;
        u = field(j, q->user ? "_SYSTEMD_USER_UNIT" : "_SYSTEMD_UNIT", unit, sizeof(unit), NULL);
        at = u ? strchr(u, '@') : NULL;
        dot = at ? strrchr(at, '.') : NULL;
        if (!at || !dot || (size_t) (dot - at - 1) >= size)
                return NULL;
        memcpy(buf, at + 1, (size_t) (dot - at - 1));
        buf[dot - at - 1] = '\0';
        return buf;
}

/* A record `pmgen logs` shows. */
static bool shown(sd_journal *j, const log_query *q, const char **app) {
        char inst[64];
        const char *in;
        int p;

        if (!wanted(j, q, app))
                return false;
        if (q->instance && (!(in = instance_of(j, q, inst, sizeof(inst))) || strcmp(in, q->instance) != 0))
                return false;
        p = priority_of(j);
        return !q->err_only || (p >= 0 && p <= 4);
}

static int emit(sd_journal *j, const log_query *q, int width, FILE *out) {
        char inst[64], pid[32];
        const char *app = NULL, *msg;
        size_t len = 0;
        uint64_t usec = 0;
        log_line l = { 0 };
        strbuf sb = STRBUF_INIT;
        int r = 0;

        if (!shown(j, q, &app))
                return 0;
        l.priority = priority_of(j);
        (void) sd_journal_get_realtime_usec(j, &usec);
        msg = field(j, "MESSAGE", NULL, 0, &len);
        l.usec = usec;
        l.app = app;
        l.message = msg;
        l.message_len = msg ? len : 0;
        l.instance = instance_of(j, q, inst, sizeof(inst));
        l.pid = field(j, "_PID", pid, sizeof(pid), NULL) ? (uint32_t) strtoul(pid, NULL, 10) : 0;
        l.from_systemd = l.pid == 1 || (field(j, "_COMM", pid, sizeof(pid), NULL) && strcmp(pid, "systemd") == 0);
        for (size_t i = 0; q->time_formats && q->apps[i]; i++)
                if (app && strcmp(q->apps[i], app) == 0)
                        l.time_format = q->time_formats[i];
        if (!l.time_format && q->time)
                l.time_format = TIMEFMT_DEFAULT;
        log_render(&l, width, q->json, q->color, &sb);
        if (sb.oom)
                r = -ENOMEM;
        else if (fwrite(sb.s, 1, sb.len, out) != sb.len)
                r = -EPIPE;
        strbuf_free(&sb);
        return r;
}

int journal_logs(const log_query *q, FILE *out) {
        sd_journal *j = NULL;
        int width = 0, r;
        long lines = q->lines < 0 ? 15 : q->lines, seen = 0;

        for (size_t i = 0; q->apps[i]; i++)
                if ((int) strlen(q->apps[i]) > width)
                        width = (int) strlen(q->apps[i]);
        width += 2; /* "0|" */
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        r = add_matches(j, q);
        if (r < 0)
                goto out;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                goto out;
        /* Back from the end until `lines` of ours are behind us. */
        bool at_start = false;

        while (seen < lines) {
                const char *app;

                r = sd_journal_previous(j);
                if (r < 0)
                        goto out;
                if (r == 0) {
                        at_start = true;
                        break;
                }
                if (shown(j, q, &app))
                        seen++;
        }
        if (at_start) {
                r = sd_journal_seek_head(j);
                if (r < 0)
                        goto out;
        } else if (seen > 0) {
                /* The current record is the oldest to show: print it, then go on. */
                r = emit(j, q, width, out);
                if (r < 0)
                        goto out;
        } else {
                /* --lines 0: start after the last record */
                r = sd_journal_previous(j);
                if (r < 0)
                        goto out;
        }
        for (;;) {
                while ((r = sd_journal_next(j)) > 0) {
                        r = emit(j, q, width, out);
                        if (r < 0)
                                goto out;
                }
                if (r < 0)
                        goto out;
                if (fflush(out) != 0) {
                        r = -EPIPE;
                        goto out;
                }
                if (!q->follow)
                        break;
                r = sd_journal_wait(j, (uint64_t) -1);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        sd_journal_close(j);
        return r;
}

int journal_unit_exits(const char *prefix, bool user, size_t max, unit_exit **ret, size_t *n) {
        sd_journal *j = NULL;
        unit_exit *v = NULL;
        size_t k = 0, plen = strlen(prefix);
        int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);

        if (r < 0)
                return r;
        r = sd_journal_add_match(j, "MESSAGE_ID=" SD_MESSAGE_UNIT_PROCESS_EXIT_STR, 0);
        if (r >= 0)
                r = sd_journal_seek_tail(j);
        while (r >= 0 && k < max && (r = sd_journal_previous(j)) > 0) {
                char unit[256], buf[512];
                const char *u = field(j, user ? "USER_UNIT" : "UNIT", unit, sizeof(unit), NULL);
                const char *msg = field(j, "MESSAGE", buf, sizeof(buf), NULL);
                uint64_t usec = 0;
                unit_exit *nv;

                if (!u || strncmp(u, prefix, plen) != 0 || !msg || !strstr(msg, "Main process exited"))
                        continue;
                if (user) {
                        char uid[32];

                        if (field(j, "_UID", uid, sizeof(uid), NULL) && strtoul(uid, NULL, 10) != (unsigned long) getuid())
                                continue;
                }
                (void) sd_journal_get_realtime_usec(j, &usec);
                nv = realloc(v, (k + 1) * sizeof(unit_exit));
                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[k] = (unit_exit){ usec, strdup(u), strdup(msg) };
                k++;
                if (!v[k - 1].unit || !v[k - 1].message) {
                        r = -ENOMEM;
                        break;
                }
        }
        sd_journal_close(j);
        if (r < 0) {
                unit_exits_free(v, k);
                return r;
        }
        /* newest last */
        for (size_t a = 0, b = k ? k - 1 : 0; a < b; a++, b--) {
                unit_exit t = v[a];

                v[a] = v[b];
                v[b] = t;
        }
        *ret = v;
        *n = k;
        return 0;
}

void unit_exits_free(unit_exit *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].unit);
                free(v[i].message);
        }
        free(v);
}
