/* SPDX-License-Identifier: MIT */
#include "monit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "apps.h"
#include "bus.h"
#include "cgroup.h"
#include "journal.h"

/* ---- the screen (pure) -------------------------------------------------------------------------- */

/* Appends s cut to `room` columns (a UTF-8 sequence counts one); returns the columns used. Control
 * characters (ESC from an app's output included) become '?', so an app cannot drive the terminal. */
static unsigned put_cut(strbuf *out, const char *s, size_t len, unsigned room) {
        unsigned cols = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if ((c & 0xc0) == 0x80) {
                        if (cols > 0 && cols <= room)
                                strbuf_addc(out, (char) c);
                        continue;
                }
                if (cols >= room)
                        break;
                cols++;
                strbuf_addc(out, c < 0x20 || c == 0x7f ? '?' : (char) c);
        }
        return cols;
}

static void line_end(strbuf *out, unsigned *lines) {
        strbuf_adds(out, "\x1b[K\r\n");
        (*lines)++;
}

static const char *status_color(const char *st) {
        if (strcmp(st, "online") == 0)
                return "\x1b[32m";
        if (strcmp(st, "errored") == 0 || strcmp(st, "stopped") == 0)
                return "\x1b[31m";
        return "\x1b[33m";
}

/* The journal lines to show: *first (byte offset) and *count of the lines that fit in `rows`, `*scroll`
 * lines up from the end (clamped). */
static void log_window(const char *log, size_t rows, size_t *scroll, size_t *first, size_t *count) {
        size_t total = 0, len = log ? strlen(log) : 0, skip, k = 0;

        *first = 0;
        *count = 0;
        if (!len)
                return;
        for (size_t i = 0; i < len; i++)
                total += log[i] == '\n';
        if (log[len - 1] != '\n')
                total++;
        if (*scroll > (total > rows ? total - rows : 0))
                *scroll = total > rows ? total - rows : 0;
        skip = total > rows + *scroll ? total - rows - *scroll : 0;
        for (size_t i = 0; i < len && k < skip; i++)
                if (log[i] == '\n') {
                        k++;
                        *first = i + 1;
                }
        *count = total - skip - *scroll < rows ? total - skip - *scroll : rows;
}

void monit_render(const monit_view *v, strbuf *out) {
        unsigned w = v->width < 20 ? 20 : v->width, h = v->height < 8 ? 8 : v->height, lines = 0;
        size_t online = 0, first_row = 0, table_rows, log_rows, first, count, scroll = v->scroll;
        const char *sel_app = v->n ? v->rows[v->selected < v->n ? v->selected : 0].r.app : NULL;
        char buf[160];

        for (size_t i = 0; i < v->n; i++)
                online += strcmp(row_status(v->rows[i].r.active, v->rows[i].r.sub), "online") == 0;
        strbuf_adds(out, "\x1b[H");
        snprintf(buf, sizeof(buf), "pmgen monit: %zu instance%s, %zu online", v->n, v->n == 1 ? "" : "s", online);
        if (v->color)
                strbuf_adds(out, "\x1b[1m");
        put_cut(out, buf, strlen(buf), w);
        if (v->color)
                strbuf_adds(out, "\x1b[0m");
        line_end(out, &lines);
        snprintf(buf, sizeof(buf), "up/down select  r reload  R restart  PgUp/PgDn scroll the journal  q quit");
        put_cut(out, buf, strlen(buf), w);
        line_end(out, &lines);
        snprintf(buf, sizeof(buf), "  %-16s %3s %8s  %-9s %7s %8s %6s  %s", "app", "id", "pid", "status", "uptime", "restarts",
                 "cpu", "memory / limit");
        put_cut(out, buf, strlen(buf), w);
        line_end(out, &lines);
        /* the table takes at most half of what is left; the journal the rest but the status line */
        table_rows = (h - 5) / 2;
        if (table_rows > v->n)
                table_rows = v->n;
        if (table_rows == 0)
                table_rows = 1;
        if (v->n && v->selected >= table_rows)
                first_row = v->selected - table_rows + 1;
        for (size_t i = first_row; i < first_row + table_rows; i++) {
                char up[32], mem[32], lim[32], cpu[16], bar[16] = "";
                const monit_row *m;
                const char *st;
                unsigned used;

                if (i >= v->n) {
                        if (v->n == 0)
                                put_cut(out, "  no apps (pmgen start SCRIPT, or pmgen apply FILE)", 51, w);
                        line_end(out, &lines);
                        continue;
                }
                m = &v->rows[i];
                st = row_status(m->r.active, m->r.sub);
                if (m->r.cpu_percent >= 0)
                        snprintf(cpu, sizeof(cpu), "%.1f%%", m->r.cpu_percent);
                else
                        snprintf(cpu, sizeof(cpu), "-");
                fmt_bytes(m->r.memory, mem);
                if (m->limit) {
                        fmt_bytes(m->limit, lim);
                        if (m->r.memory != ROW_UNKNOWN) {
                                uint64_t fill = m->r.memory >= m->limit ? 10 : m->r.memory * 10 / m->limit;

                                bar[0] = '[';
                                for (unsigned k = 0; k < 10; k++)
                                        bar[k + 1] = k < fill ? '#' : '.';
                                bar[11] = ']';
                                bar[12] = 0;
                        }
                } else
                        snprintf(lim, sizeof(lim), "-");
                if (v->color && i == v->selected)
                        strbuf_adds(out, "\x1b[7m");
                snprintf(buf, sizeof(buf), "%c %-16.16s %3s %8" PRIu32 "  ", i == v->selected ? '>' : ' ', m->r.app,
                         m->r.instance, m->r.pid);
                used = put_cut(out, buf, strlen(buf), w);
                if (v->color && i != v->selected)
                        strbuf_adds(out, status_color(st));
                snprintf(buf, sizeof(buf), "%-9.9s", st);
                used += put_cut(out, buf, strlen(buf), used < w ? w - used : 0);
                if (v->color && i != v->selected)
                        strbuf_adds(out, "\x1b[39m");
                snprintf(buf, sizeof(buf), " %7s %8" PRIu32 " %6s  %s / %s %s", fmt_uptime(m->r.uptime_usec, up), m->r.restarts,
                         cpu, mem, lim, bar);
                put_cut(out, buf, strlen(buf), used < w ? w - used : 0);
                if (v->color && i == v->selected)
                        strbuf_adds(out, "\x1b[0m");
                line_end(out, &lines);
        }
        snprintf(buf, sizeof(buf), "-- journal: %s%s", sel_app ? sel_app : "-", scroll ? " (scrolled; PgDn)" : "");
        put_cut(out, buf, strlen(buf), w);
        line_end(out, &lines);
        log_rows = h > lines + 1 ? h - lines - 1 : 0;
        log_window(v->log, log_rows, &scroll, &first, &count);
        for (size_t k = 0, off = first; k < log_rows; k++) {
                if (k < count) {
                        size_t len = strcspn(v->log + off, "\n");

                        put_cut(out, v->log + off, len, w);
                        off += len + (v->log[off + len] == '\n');
                }
                line_end(out, &lines);
        }
        if (v->status)
                put_cut(out, v->status, strlen(v->status), w);
        strbuf_adds(out, "\x1b[K\x1b[J");
}

monit_key monit_key_parse(const char *buf, size_t n, size_t *used) {
        static const struct {
                const char *seq;
                monit_key k;
        } seqs[] = { { "\x1b[A", MK_UP },    { "\x1b[B", MK_DOWN },   { "\x1bOA", MK_UP },   { "\x1bOB", MK_DOWN },
                     { "\x1b[5~", MK_PGUP }, { "\x1b[6~", MK_PGDN } };

        *used = n ? 1 : 0;
        if (!n)
                return MK_NONE;
        if (buf[0] == '\x1b') {
                for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
                        size_t l = strlen(seqs[i].seq);

                        if (n >= l && memcmp(buf, seqs[i].seq, l) == 0) {
                                *used = l;
                                return seqs[i].k;
                        }
                        if (n < l && memcmp(buf, seqs[i].seq, n) == 0) {
                                *used = 0;
                                return MK_INCOMPLETE;
                        }
                }
                /* an unknown sequence: skip ESC [ and its parameters up to the final byte */
                if (n >= 2 && (buf[1] == '[' || buf[1] == 'O')) {
                        size_t i = 2;

                        while (i < n && (unsigned char) buf[i] >= 0x20 && (unsigned char) buf[i] < 0x40)
                                i++;
                        *used = i < n ? i + 1 : n;
                        return MK_NONE;
                }
                return MK_QUIT; /* a lone ESC */
        }
        switch (buf[0]) {
        case 'k':
                return MK_UP;
        case 'j':
                return MK_DOWN;
        case '[':
        case 'b':
                return MK_PGUP;
        case ']':
        case ' ':
                return MK_PGDN;
        case 'r':
                return MK_RELOAD;
        case 'R':
                return MK_RESTART;
        case 'q':
        case 'Q':
        case 3: /* ^C (the terminal is raw) */
                return MK_QUIT;
        default:
                return MK_NONE;
        }
}

/* ---- the data (sd-bus, cgroup files, sd-journal) ------------------------------------------------------- */

typedef struct sample {
        monit_row m;
        inst_state st;     /* owns the strings m.r points at */
        uint64_t cpu_nsec; /* ROW_UNKNOWN: unknown */
        uint64_t at;       /* mono usec of cpu_nsec */
} sample;

static void samples_free(sample *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                inst_state_free(&v[i].st);
        free(v);
}

static int collect(app_set *s, const sample *prev, size_t nprev, sample **ret, size_t *ret_n) {
        known_app **apps = NULL;
        size_t napps = 0, k = 0;
        sample *v = NULL;
        int r = app_select(s, "all", true, &apps, &napps);

        if (r)
                return -ENOENT;
        for (size_t a = 0; a < napps; a++) {
                inst *in = NULL;
                size_t ni = 0;

                if (instances_of(s, apps[a], false, &in, &ni) < 0) {
                        free(apps);
                        samples_free(v, k);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < ni; i++) {
                        sample *nv = realloc(v, (k + 1) * sizeof(sample)), *d;

                        if (!nv) {
                                free(in);
                                free(apps);
                                samples_free(v, k);
                                return -ENOMEM;
                        }
                        v = nv;
                        d = &v[k++];
                        *d = (sample){ 0 };
                        if (inst_state_read(s, apps[a], in[i].n, &d->st) < 0) {
                                free(in);
                                free(apps);
                                samples_free(v, k);
                                return -ENOMEM;
                        }
                        d->m.r = d->st.row;
                        d->cpu_nsec = d->st.row.cpu_nsec;
                        uint64_t max = d->st.memory_max;
                        d->at = mono_usec();
                        d->m.r.cpu_percent = -1;
                        /* CPU as a share of one CPU since the last sample of the same process */
                        for (size_t p = 0; p < nprev; p++)
                                if (strcmp(prev[p].st.unit, d->st.unit) == 0 && prev[p].m.r.pid == d->m.r.pid &&
                                    prev[p].cpu_nsec != ROW_UNKNOWN && d->cpu_nsec != ROW_UNKNOWN &&
                                    d->cpu_nsec >= prev[p].cpu_nsec && d->at > prev[p].at)
                                        d->m.r.cpu_percent =
                                                (double) (d->cpu_nsec - prev[p].cpu_nsec) / 10.0 / (double) (d->at - prev[p].at);
                        d->m.limit = apps[a]->a && apps[a]->a->max_memory_restart ? apps[a]->a->max_memory_restart
                                     : max != UINT64_MAX && max != 0                   ? max
                                                                                       : 0;
                }
                free(in);
        }
        free(apps);
        *ret = v;
        *ret_n = k;
        return 0;
}

/* The app's last `lines` journal records, as `pmgen logs` prints them. malloc'd. */
static char *journal_tail(const char *app_name, bool user, long lines) {
        const char *apps[2] = { app_name, NULL };
        log_query q = { .apps = apps, .user = user, .lines = lines };
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        (void) journal_logs(&q, f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* pmgen VERB APP [--user], its output kept: the status line. */
static void run_verb(const verb_opts *o, const char *verb, const char *app_name, char *status, size_t size) {
        const char *argv[] = { "pmgen", verb, app_name, o->user ? "--user" : NULL, NULL };
        int fds[2], st = 0;
        char out[4096];
        size_t len = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0) {
                snprintf(status, size, "%s %s: %s", verb, app_name, strerror(errno));
                return;
        }
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
                    dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(EXIT_SYSTEM);
                execv("/proc/self/exe", (char *const *) argv);
                _exit(127);
        }
        close(fds[1]);
        while (pid > 0 && (n = read(fds[0], out + len, sizeof(out) - 1 - len)) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                len += (size_t) n;
                if (len == sizeof(out) - 1) /* keep the end */
                        len = 0;
        }
        close(fds[0]);
        out[len] = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (pid < 0)
                snprintf(status, size, "%s %s: cannot run pmgen: %s", verb, app_name, strerror(errno));
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                snprintf(status, size, "%s %s: done", verb, app_name);
        else {
                /* the last line of its output says why */
                while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
                        out[--len] = 0;
                const char *last = strrchr(out, '\n');

                strbuf msg = STRBUF_INIT;

                strbuf_addf(&msg, "%s %s failed (exit %d): %s", verb, app_name, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                            last ? last + 1 : out);
                snprintf(status, size, "%.*s", (int) (size - 1), strbuf_str(&msg));
                strbuf_free(&msg);
        }
}

static struct termios saved_tio;

static void screen_leave(void) {
        fputs("\x1b[?25h\x1b[?1049l", stdout);
        fflush(stdout);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
}

int cmd_monit(const verb_opts *o) {
        app_set s = { 0 };
        sample *rows = NULL;
        size_t n = 0, selected = 0, scroll = 0;
        char status[512] = "", *log = NULL, pending[64];
        size_t npending = 0;
        struct termios tio;
        sigset_t mask;
        int sfd = -1, errfd = -1, ret;
        bool quit = false, stale = true;
        unsigned ticks = 0;

        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                fprintf(stderr, "pmgen monit: needs a terminal (`pmgen ls --json` is for scripts)\n");
                return EXIT_USAGE;
        }
        ret = app_set_load(o, &s, true);
        if (ret)
                return ret;
        if (tcgetattr(STDIN_FILENO, &saved_tio) < 0) {
                fprintf(stderr, "pmgen monit: %s\n", strerror(errno));
                app_set_free(&s);
                return EXIT_SYSTEM;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGWINCH);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        tio = saved_tio;
        tio.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        tio.c_cc[VMIN] = 0;
        tio.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio);
        fputs("\x1b[?1049h\x1b[?25l", stdout);
        /* While the screen is up, warnings of the verbs would scribble over it. */
        errfd = dup(STDERR_FILENO);
        {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null >= 0) {
                        dup2(null, STDERR_FILENO);
                        close(null);
                }
        }
        while (!quit) {
                struct winsize ws = { .ws_row = 24, .ws_col = 80 };
                struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 }, { sfd, POLLIN, 0 } };
                sample *next = NULL;
                size_t nn = 0;
                strbuf screen = STRBUF_INIT;
                monit_row *view_rows;

                /* the declarations again every few seconds: apps applied, scaled or deleted meanwhile */
                if (++ticks % 5 == 0)
                        stale = true;
                if (stale) {
                        app_set_free(&s);
                        if (app_set_load(o, &s, true) != 0) {
                                snprintf(status, sizeof(status), "cannot reach systemd");
                                s = (app_set){ 0 };
                        }
                        stale = false;
                }
                if (s.bus && collect(&s, rows, n, &next, &nn) == 0) {
                        samples_free(rows, n);
                        rows = next;
                        n = nn;
                }
                if (selected >= n)
                        selected = n ? n - 1 : 0;
                ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
                free(log);
                log = n ? journal_tail(rows[selected].st.app, o->user, (long) ws.ws_row + (long) scroll) : NULL;
                view_rows = calloc(n + 1, sizeof(monit_row));
                if (view_rows) {
                        for (size_t i = 0; i < n; i++)
                                view_rows[i] = rows[i].m;
                        monit_view v = { .rows = view_rows, .n = n, .selected = selected, .log = log, .scroll = scroll,
                                         .status = status[0] ? status : NULL, .width = ws.ws_col, .height = ws.ws_row,
                                         .color = use_color() };

                        monit_render(&v, &screen);
                        fwrite(strbuf_str(&screen), 1, screen.len, stdout);
                        fflush(stdout);
                        free(view_rows);
                }
                strbuf_free(&screen);
                if (poll(pfd, sfd >= 0 ? 2 : 1, 1000) <= 0)
                        continue;
                if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
                        struct signalfd_siginfo si;

                        while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                                if (si.ssi_signo != SIGWINCH)
                                        quit = true;
                }
                if (pfd[0].revents & (POLLHUP | POLLERR))
                        quit = true;
                if (pfd[0].revents & POLLIN) {
                        ssize_t r = read(STDIN_FILENO, pending + npending, sizeof(pending) - npending);

                        if (r > 0)
                                npending += (size_t) r;
                        else if (r == 0)
                                quit = true;
                }
                while (npending && !quit) {
                        size_t used = 0;
                        monit_key k = monit_key_parse(pending, npending, &used);

                        if (k == MK_INCOMPLETE) {
                                /* wait a moment for the rest of the sequence */
                                struct pollfd more = { STDIN_FILENO, POLLIN, 0 };

                                if (poll(&more, 1, 50) > 0 && npending < sizeof(pending)) {
                                        ssize_t r = read(STDIN_FILENO, pending + npending, sizeof(pending) - npending);

                                        if (r > 0) {
                                                npending += (size_t) r;
                                                continue;
                                        }
                                }
                                k = MK_QUIT; /* a lone ESC */
                                used = 1;
                        }
                        memmove(pending, pending + used, npending - used);
                        npending -= used;
                        switch (k) {
                        case MK_UP:
                                if (selected > 0) {
                                        selected--;
                                        scroll = 0;
                                }
                                break;
                        case MK_DOWN:
                                if (selected + 1 < n) {
                                        selected++;
                                        scroll = 0;
                                }
                                break;
                        case MK_PGUP:
                                scroll += ws.ws_row / 2;
                                break;
                        case MK_PGDN:
                                scroll = scroll > ws.ws_row / 2u ? scroll - ws.ws_row / 2u : 0;
                                break;
                        case MK_RELOAD:
                        case MK_RESTART:
                                if (n) {
                                        const char *verb = k == MK_RELOAD ? "reload" : "restart";

                                        snprintf(status, sizeof(status), "%s %s …", verb, rows[selected].st.app);
                                        {
                                                strbuf line = STRBUF_INIT;

                                                strbuf_addf(&line, "\x1b[%u;1H%s\x1b[K", ws.ws_row, status);
                                                fputs(strbuf_str(&line), stdout);
                                                fflush(stdout);
                                                strbuf_free(&line);
                                        }
                                        pbus_close(s.bus); /* the verb takes its own connection */
                                        s.bus = NULL;
                                        run_verb(o, verb, rows[selected].st.app, status, sizeof(status));
                                        stale = true;
                                }
                                break;
                        case MK_QUIT:
                                quit = true;
                                break;
                        default:
                                break;
                        }
                }
        }
        if (errfd >= 0) {
                dup2(errfd, STDERR_FILENO);
                close(errfd);
        }
        screen_leave();
        if (sfd >= 0)
                close(sfd);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        free(log);
        samples_free(rows, n);
        app_set_free(&s);
        return 0;
}
