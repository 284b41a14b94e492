/* SPDX-License-Identifier: MIT */
/* The graceful reload: a new child on the same sockets, the old one stopped only once the new one is
 * ready, so the accept queue is never closed and nothing queued is lost.
 *
 *   begin      the new child starts in kids[!cur] (with a fresh environment for "reload-env");
 *              RELOADING=1, STATUS=
 *   ready      (its READY=1, its 'ready', or seen serving; readiness_begin) the new environment is
 *              committed, the new child becomes current, the old one gets the stop signal (or
 *              'shutdown'), SIGKILL after the kill timeout
 *   done       the old child has exited: READY=1, the answer "ok …"
 *   failed     the new child exited, or was not ready within listen_timeout (then it is killed): the old
 *              one goes on, READY=1 with a STATUS= saying why, the answer "fail …"; for a memory
 *              replacement the instance is then restarted through systemd (memory_restart)
 *
 * A stop during a reload ends it (answer "fail"); the old child dying before the switch lets the new one
 * take over. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "shim/control.h"
#include "shim/envfile.h"
#include "shim/shim.h"

extern char **environ;

void reload_free(reload_state *r) {
        if (r->has_env) {
                child_env_free(&r->env);
                exec_plan_free(&r->plan);
        }
        free(r->env_block);
        r->env_block = NULL;
        r->has_env = false;
}

static void reload_finish(shim *s, bool ok, const char *text) {
        reload_state *r = &s->reload;
        const char *automatic = r->automatic;
        pid_t cur = s->kids[s->cur].pid;

        /* READY=1 before the answer: the ExecReload= process exits on the answer, and systemd (253+, with
         * RELOADING=1 seen) expects READY=1 by then. */
        if (ok) {
                log_line("reload done: %s", text);
                notify("READY=1\nSTATUS=running pid %ld", (long) cur);
                if (automatic)
                        replaced_count(s);
        } else {
                log_line("reload failed: %s", text);
                if (cur > 0)
                        notify("READY=1\nSTATUS=running pid %ld; the last reload failed: %s", (long) cur, text);
        }
        if (r->client_fd >= 0) {
                control_answer(r->client_fd, ok, text);
                close(r->client_fd);
        }
        reload_free(r);
        *r = (reload_state) { .client_fd = -1 };
        if (!ok && automatic && cur > 0 && s->phase == PHASE_RUNNING)
                memory_restart(s, strcmp(automatic, "max_cpu_restart") == 0 ? "cpu: the replacement could not be started"
                                                                           : "memory: the replacement could not be started");
}

void reload_abort(shim *s, const char *why) {
        reload_state *r = &s->reload;

        if (!r->active)
                return;
        log_line("reload abandoned: %s", why);
        if (r->client_fd >= 0) {
                control_answer(r->client_fd, false, why);
                close(r->client_fd);
        }
        reload_free(r);
        *r = (reload_state) { .client_fd = -1 };
}

/* The new child's environment: the shim's own, with the request's variables set and removed. */
static int build_env(shim *s, const char *entries, size_t len) {
        reload_state *r = &s->reload;
        char **base = NULL;
        int ret;

        ret = envfile_merge(environ, entries, len, &base);
        if (ret < 0)
                return ret;
        ret = child_env_build(&r->env, base, &s->spec);
        free(base);
        if (ret < 0)
                return ret;
        ret = exec_plan_build(&r->plan, s->opt.command, child_env_get(&r->env, "PATH"));
        if (ret < 0) {
                child_env_free(&r->env);
                return ret;
        }
        r->has_env = true;
        return 0;
}

void reload_begin(shim *s, const char *automatic, int client_fd, char *env_block, const char *entries, size_t len) {
        reload_state *r = &s->reload;
        int idx = !s->cur, ret, err = 0;
        child_proc *old = &s->kids[s->cur], *c = &s->kids[idx];
        char text[512];

        *r = (reload_state) {
                .active = true, .automatic = automatic, .client_fd = client_fd, .new_idx = idx, .t0 = now_ms(),
                .env_block = env_block,
        };
        if (env_block) {
                ret = build_env(s, entries, len);
                if (ret < 0) {
                        snprintf(text, sizeof(text), "the new environment cannot be used: %s",
                                 ret == -EINVAL ? "a malformed variable list" : strerror(-ret));
                        reload_finish(s, false, text);
                        return;
                }
        }
        ret = spawn_into(s, idx, r->has_env ? &r->env : &s->env, r->has_env ? &r->plan : &s->plan, &err);
        if (ret < 0 || err != 0) {
                snprintf(text, sizeof(text), "cannot %s '%s': %s", ret < 0 ? "start" : "execute", s->opt.command[0],
                         strerror(ret < 0 ? -ret : err));
                reload_finish(s, false, text);
                return;
        }
        log_line("reload%s%s%s: starting child %ld next to child %ld", automatic ? " (" : "", automatic ? automatic : "",
                 automatic ? ")" : "", (long) c->pid, (long) old->pid);
        notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading: starting pid %ld next to pid %ld",
               (unsigned long long) now_ms() * 1000, (long) c->pid, (long) old->pid);
        readiness_begin(s, idx, false);
        if (c->ready) { /* nothing to wait for: no sockets, no --wait-ready */
                r->ready_how = "started";
                reload_new_ready(s);
        }
}

void reload_request(shim *s, int client_fd, char *msg, size_t len) {
        control_request req;
        const char *busy = NULL;
        char text[256];

        if (control_parse(msg, len, &req) < 0) {
                log_line("refused a control request: not a reload request");
                control_answer(client_fd, false, "not a reload request");
                close(client_fd);
                free(msg);
                return;
        }
        if (req.retire) {
                unsigned n = sockets_retire(s);

                snprintf(text, sizeof(text), "%u listening socket%s shut down", n, n == 1 ? "" : "s");
                log_line("retiring (scale-down): %s; what was queued moves to the other instances", text);
                control_answer(client_fd, true, text);
                close(client_fd);
                free(msg);
                return;
        }
        if (s->reload.active) { /* never two at once */
                snprintf(text, sizeof(text), "a reload is already in progress (%s, started %llu ms ago); try again "
                         "when it is over", s->reload.automatic ? s->reload.automatic : "requested",
                         (unsigned long long) (now_ms() - s->reload.t0));
                busy = text;
        } else if (s->phase == PHASE_BACKOFF || s->phase == PHASE_STARTING)
                busy = "the app is not ready yet (it is starting)";
        else if (s->phase == PHASE_STOPPING)
                busy = "the instance is stopping";
        else if (s->kids[!s->cur].pid > 0)
                busy = "a previous child is still stopping";
        if (busy) {
                log_line("refused a reload request: %s", busy);
                control_answer(client_fd, false, busy);
                close(client_fd);
                free(msg);
                return;
        }
        if (!req.with_env) {
                free(msg);
                msg = NULL;
        }
        reload_begin(s, NULL, client_fd, msg, req.entries, req.len);
}

void reload_new_ready(shim *s) {
        reload_state *r = &s->reload;
        int old = s->cur;
        child_proc *c = &s->kids[r->new_idx];
        char text[512];

        if (r->has_env) { /* commit: later children (a restart by the shim's caller) get it too */
                child_env_free(&s->env);
                exec_plan_free(&s->plan);
                free(s->env_block);
                s->env = r->env;
                s->plan = r->plan;
                s->env_block = r->env_block;
                r->env = (child_env) { 0 };
                r->plan = (exec_plan) { 0 };
                r->env_block = NULL;
                r->has_env = false;
        }
        s->cur = r->new_idx;
        r->switched = true;
        if (r->takeover) {
                snprintf(text, sizeof(text), "child %ld took over (%s after %llu ms); the old one had ended",
                         (long) c->pid, r->ready_how, (unsigned long long) (now_ms() - c->start_ms));
                reload_finish(s, true, text);
                return;
        }
        log_line("reload: child %ld is ready (%s) after %llu ms; stopping child %ld", (long) c->pid, r->ready_how,
                 (unsigned long long) (now_ms() - c->start_ms), (long) s->kids[old].pid);
        notify("STATUS=reloading: pid %ld ready, stopping pid %ld", (long) c->pid, (long) s->kids[old].pid);
        stop_child(s, old, "reload");
}

void reload_new_not_ready(shim *s) {
        reload_state *r = &s->reload;
        child_proc *c = &s->kids[r->new_idx];
        const char *what = c->mode == READY_SIGNAL ? (s->opt.wait_ready ? "its 'ready' or READY=1" : "its READY=1")
                           : c->mode == READY_HEALTH ? "its health check to pass"
                                                     : "it to serve its socket";
        unsigned long wait = c->mode == READY_HEALTH && s->opt.health_start_period_ms ? s->opt.health_start_period_ms
                                                                                      : s->opt.listen_timeout_ms;

        if (c->mode == READY_HEALTH && s->health.last[0])
                snprintf(r->why, sizeof(r->why), "new child %ld did not pass its health check within %lu ms (last: %s)",
                         (long) c->pid, wait, s->health.last);
        else
                snprintf(r->why, sizeof(r->why), "new child %ld was not ready within %lu ms (waited for %s)",
                         (long) c->pid, wait, what);
        r->failing = true;
        if (c->mode == READY_HEALTH) {
                /* it may be serving: stopped like an old child (the stop signal, what it took is answered) */
                log_line("reload: %s; stopping it, child %ld goes on", r->why, (long) s->kids[s->cur].pid);
                stop_child(s, r->new_idx, "reload given up");
                return;
        }
        log_line("reload: %s; killing it, child %ld goes on", r->why, (long) s->kids[s->cur].pid);
        kill_child(s, r->new_idx); /* marked stopping: a late READY=1 from it is ignored */
}

void reload_child_reaped(shim *s, int idx, pid_t pid, int code, const char *how) {
        reload_state *r = &s->reload;
        pid_t new_pid = s->kids[r->new_idx].pid;
        char text[512];

        if (!r->switched && idx == r->new_idx) {
                /* the new child is gone before it was ready */
                if (!r->failing)
                        snprintf(r->why, sizeof(r->why), "new child %ld %s before it was ready", (long) pid, how);
                if (r->takeover) {
                        snprintf(text, sizeof(text), "%s, and the old one had ended too", r->why);
                        reload_finish(s, false, text);
                        s->exit_code = r->takeover_code;
                        s->phase = PHASE_STOPPING;
                        return;
                }
                snprintf(text, sizeof(text), "%s; child %ld goes on", r->why, (long) s->kids[s->cur].pid);
                reload_finish(s, false, text);
        } else if (!r->switched) {
                /* the old child died while the new one starts: the new one takes its place */
                log_line("child %ld %s during the reload; new child %ld takes its place", (long) pid, how, (long) new_pid);
                r->takeover = true;
                r->takeover_code = code;
                s->cur = r->new_idx;
        } else if (idx != s->cur) {
                /* the old child is gone after the switch: done */
                snprintf(text, sizeof(text), "child %ld replaced by child %ld (%s after %llu ms)", (long) pid,
                         (long) s->kids[s->cur].pid, r->ready_how, (unsigned long long) (now_ms() - r->t0));
                reload_finish(s, true, text);
        } else {
                /* the new child died right after the switch while the old one stops */
                snprintf(text, sizeof(text), "new child %ld %s right after it was ready", (long) pid, how);
                reload_finish(s, false, text);
                s->exit_code = code;
                s->phase = PHASE_STOPPING;
        }
}
