# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# A throwaway systemd to test against: PID 1 of a private PID + mount + UTS + IPC + cgroup namespace whose
# root is an overlay of / with its writes in a tmpfs (the recipe in the team's TESTING.md notes). The network
# namespace is the host's: units inside listen on the host's loopback. Source this file (POSIX sh or bash)
# as root:
#
#       . "$REPO/tests/sandbox/lib.sh"
#       sandbox_trap                    # tear down on EXIT INT TERM PIPE HUP
#       sandbox_boot foundation         # boots, waits until `systemctl is-system-running` is running/degraded
#       sandbox_exec systemctl start hello.target
#       sandbox_sh 'journalctl -u "hello@*" | tail'
#       sandbox_teardown                # also done by the trap
#
# sandbox_boot must run in the calling shell itself (not in `$(…)` or a pipeline): it sets SANDBOX_PID (the
# host PID of the box's systemd), SANDBOX_NAME, SANDBOX_ID, SANDBOX_LOG and SANDBOX_REPO. The source tree
# (SANDBOX_REPO, found from this file's location) is bind-mounted at the same path inside, read-write, so
# `make -C "$SANDBOX_REPO" install` works there and installs into the overlay only.
#
# Functions
#   sandbox_boot NAME            boot a box; NAME is its hostname and container= value
#   sandbox_exec CMD…            run CMD inside the last booted box (nsenter), clean environment, sane PATH,
#                                bounded by SANDBOX_EXEC_TIMEOUT seconds; stdin/stdout/stderr pass through
#   sandbox_sh SCRIPT            sandbox_exec sh -ec SCRIPT
#   sandbox_exec_in NAME CMD…    the same for another box booted by this shell
#   sandbox_teardown [NAME]      kill the box (all of this shell's boxes without NAME), remove its scratch dir
#                                and cgroups; idempotent
#   sandbox_trap                 install the EXIT/INT/TERM/PIPE/HUP traps that call sandbox_teardown (after
#                                running the command in SANDBOX_ON_EXIT, if set: the caller's own cleanup)
#   sandbox_reap_stale           end boxes whose owner shell is gone (a harness killed before its trap ran);
#                                sandbox_boot calls it first
#   sandbox_diag                 print the box's failed units, jobs and last journal lines (for failures)
#
# Settings (environment)
#   SANDBOX_STATE_DIR     /run/pmgen-sandbox: PIDS (one line per live box) and the scratch dirs
#   SANDBOX_LOG_DIR       $SANDBOX_REPO/build/sandbox: NAME.log gets the box's console (systemd's messages)
#   SANDBOX_BOOT_TIMEOUT  60 seconds until the box must be up
#   SANDBOX_EXEC_TIMEOUT  600 seconds per sandbox_exec
#   SANDBOX_QUIET         set to 1 to silence the progress lines on stderr
#   SANDBOX_SEED          a directory whose tree is copied into the box's root before its systemd starts (export
#                         it before sandbox_boot): files the "machine" has at boot, such as /etc/pmgen and an
#                         installed generator for a reboot test (tear one box down, boot the next with its files)
#   SANDBOX_UNIT          the unit the box boots to (export it before sandbox_boot; default basic.target, which keeps
#                         the boot small); a reboot test boots multi-user.target with the host's own wants masked
#
# What the host keeps of a box: nothing. Its mounts live in its own mount namespace and vanish with it; the
# scratch dir under SANDBOX_STATE_DIR is an empty directory on the host and is removed; systemd's cgroups
# are made below one per-box cgroup (pmgen-sandbox.NAME.XXXXXX, under this shell's cgroup in each hierarchy)
# and removed. PIDS records every box with its owner, so the next run ends what a killed run left behind,
# by PID, after checking it is a systemd in another PID namespace.

SANDBOX_STATE_DIR=${SANDBOX_STATE_DIR:-/run/pmgen-sandbox}
SANDBOX_BOOT_TIMEOUT=${SANDBOX_BOOT_TIMEOUT:-60}
SANDBOX_EXEC_TIMEOUT=${SANDBOX_EXEC_TIMEOUT:-600}
SANDBOX_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The repository root: the directory two levels above this file. bash knows where a sourced file is; other
# shells get it from SANDBOX_REPO, or from $0 / $PWD by looking upwards for tests/sandbox/lib.sh.
_sandbox_find_repo() {
        # shellcheck disable=SC3028,SC2128 # BASH_SOURCE is empty outside bash
        for _sb_start in ${BASH_SOURCE:+"$(dirname -- "$BASH_SOURCE")/../.."} "$(dirname -- "$0")" "$PWD"; do
                _sb_d=$(cd -P -- "$_sb_start" 2>/dev/null && pwd -P) || continue
                while :; do
                        if [ -f "$_sb_d/tests/sandbox/lib.sh" ] && [ -f "$_sb_d/tests/sandbox/boot.sh" ]; then
                                echo "$_sb_d"
                                return 0
                        fi
                        [ "$_sb_d" = / ] && break
                        _sb_d=$(dirname -- "$_sb_d")
                done
        done
        return 1
}
if [ -n "${SANDBOX_REPO:-}" ]; then
        SANDBOX_REPO=$(cd -P -- "$SANDBOX_REPO" && pwd -P)
else
        SANDBOX_REPO=$(_sandbox_find_repo) || {
                echo "sandbox: cannot find the source tree (set SANDBOX_REPO)" >&2
                # shellcheck disable=SC2317 # exit when not sourced
                return 1 2>/dev/null || exit 1
        }
fi
SANDBOX_LOG_DIR=${SANDBOX_LOG_DIR:-$SANDBOX_REPO/build/sandbox}

SANDBOX_PID=
SANDBOX_NAME=
SANDBOX_ID=
SANDBOX_LOG=
_SANDBOX_OWNED= # IDs booted by this shell, space-separated

_sandbox_say() {
        [ "${SANDBOX_QUIET:-0}" = 1 ] || echo "sandbox: $*" >&2
}

_sandbox_err() {
        echo "sandbox: error: $*" >&2
}

# Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or nothing.
_sandbox_starttime() {
        sed -n 's/^.*) //p' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

_sandbox_now() {
        date +%s.%N
}

_sandbox_elapsed() { # START → seconds since START, one decimal
        awk -v a="$1" -v b="$(_sandbox_now)" 'BEGIN { printf "%.1f", b - a }'
}

# ---- state file: one line per box: ID SYSTEMD_PID UNSHARE_PID OWNER_PID OWNER_START NAME CGDIRS ----------
# (SYSTEMD_PID is "-" while booting; CGDIRS is comma-separated or "-"; IDs and paths contain no blanks.)

_sandbox_locked() { # CMD…: run with the state file locked
        mkdir -p "$SANDBOX_STATE_DIR" || return 1
        (
                flock -w 30 9 || { _sandbox_err "cannot lock $SANDBOX_STATE_DIR/PIDS.lock"; exit 1; }
                "$@"
        ) 9>>"$SANDBOX_STATE_DIR/PIDS.lock"
}

_sandbox_state_add_unlocked() {
        echo "$*" >>"$SANDBOX_STATE_DIR/PIDS"
}

_sandbox_state_del_unlocked() { # ID
        [ -f "$SANDBOX_STATE_DIR/PIDS" ] || return 0
        awk -v id="$1" '$1 != id' "$SANDBOX_STATE_DIR/PIDS" >"$SANDBOX_STATE_DIR/PIDS.new" &&
                mv -f "$SANDBOX_STATE_DIR/PIDS.new" "$SANDBOX_STATE_DIR/PIDS"
}

_sandbox_state_set_pid_unlocked() { # ID PID
        awk -v id="$1" -v pid="$2" '$1 == id { $2 = pid } { print }' "$SANDBOX_STATE_DIR/PIDS" \
                >"$SANDBOX_STATE_DIR/PIDS.new" && mv -f "$SANDBOX_STATE_DIR/PIDS.new" "$SANDBOX_STATE_DIR/PIDS"
}

_sandbox_state_get() { # ID → its line
        if [ -f "$SANDBOX_STATE_DIR/PIDS" ]; then
                awk -v id="$1" '$1 == id' "$SANDBOX_STATE_DIR/PIDS"
        fi
}

# ---- processes ---------------------------------------------------------------------------------------------

_sandbox_alive() {
        [ -n "$1" ] && [ "$1" != - ] && [ -d "/proc/$1" ] &&
                ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# True when PID is a process in a PID namespace other than ours (the init of a box is).
_sandbox_other_pidns() {
        _sb_ns=$(readlink "/proc/$1/ns/pid" 2>/dev/null) || return 1
        [ -n "$_sb_ns" ] && [ "$_sb_ns" != "$(readlink /proc/self/ns/pid)" ]
}

_sandbox_children() {
        cat /proc/"$1"/task/*/children 2>/dev/null
}

_sandbox_wait_gone() { # PID SECONDS
        _sb_n=$(( $2 * 10 ))
        while _sandbox_alive "$1" && [ "$_sb_n" -gt 0 ]; do
                sleep 0.1
                _sb_n=$((_sb_n - 1))
        done
        ! _sandbox_alive "$1"
}

# Kill the box recorded in one state line (its systemd, else the init its unshare started), by PID, after
# checking what the PID is now. Waits until it is gone.
_sandbox_kill_line() { # ID SYSPID UNSHAREPID …
        _sb_killed=
        if _sandbox_alive "$2" && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = systemd ] && _sandbox_other_pidns "$2"; then
                kill -9 "$2" 2>/dev/null && _sb_killed=$2
        fi
        if _sandbox_alive "$3" && [ "$(cat "/proc/$3/comm" 2>/dev/null)" = unshare ]; then
                for _sb_c in $(_sandbox_children "$3"); do
                        if _sandbox_other_pidns "$_sb_c"; then
                                kill -9 "$_sb_c" 2>/dev/null && _sb_killed="$_sb_killed $_sb_c"
                        fi
                done
        fi
        for _sb_p in $_sb_killed; do
                _sandbox_wait_gone "$_sb_p" 10 || _sandbox_err "process $_sb_p of box $1 did not die"
        done
        # unshare exits once its child is gone (our shell reaps it when it is ours; else its parent does).
        if [ "$3" != - ] && [ "$(cat "/proc/$3/comm" 2>/dev/null)" = unshare ]; then
                _sandbox_wait_gone "$3" 10 || _sandbox_err "unshare $3 of box $1 did not exit"
                _sandbox_alive "$3" || wait "$3" 2>/dev/null || :
        fi
}

# ---- cgroups -------------------------------------------------------------------------------------------------

# Print "DIR" for each cgroup hierarchy mounted under /sys/fs/cgroup: this shell's cgroup there.
_sandbox_my_cgroups() {
        awk '
        FNR == NR {
                for (i = 7; $i != "-"; i++) ;
                fs = $(i + 1)
                if ((fs != "cgroup" && fs != "cgroup2") || $5 !~ "^/sys/fs/cgroup(/|$)") next
                if (fs == "cgroup2") { v2mp = $5; v2root = $4; next }
                nm++; mp[nm] = $5; root[nm] = $4; opts[nm] = "," $(i + 3) ","
                next
        }
        {
                # /proc/self/cgroup: ID:CONTROLLERS:PATH (the path may contain ":")
                line = $0; sub(/^[0-9]+:/, "", line)
                ctl = line; sub(/:.*/, "", ctl)
                path = line; sub(/^[^:]*:/, "", path)
                m = ""; r = ""
                if (ctl == "") {
                        if (v2mp == "") next
                        m = v2mp; r = v2root
                } else {
                        n = split(ctl, c, ",")
                        for (k = 1; k <= nm && m == ""; k++) {
                                ok = 1
                                for (j = 1; j <= n; j++) if (index(opts[k], "," c[j] ",") == 0) ok = 0
                                if (ok) { m = mp[k]; r = root[k] }
                        }
                        if (m == "") next
                }
                if (r != "/") {
                        if (substr(path, 1, length(r)) != r) next
                        path = substr(path, length(r) + 1)
                }
                if (path == "/") path = ""
                print m path
        }' /proc/self/mountinfo /proc/self/cgroup
}

# Make the box's own cgroup (ID) below ours in every hierarchy; print the ones made, comma-separated.
_sandbox_make_cgroups() { # ID
        _sb_made=
        for _sb_parent in $(_sandbox_my_cgroups); do
                _sb_dir=$_sb_parent/$1
                mkdir "$_sb_dir" 2>/dev/null || continue
                # A new v1 cpuset has no CPUs or memory nodes unless the parent clones them.
                if [ -f "$_sb_dir/cpuset.cpus" ] && [ -z "$(cat "$_sb_dir/cpuset.cpus")" ]; then
                        cat "$_sb_parent/cpuset.cpus" >"$_sb_dir/cpuset.cpus" 2>/dev/null || :
                        cat "$_sb_parent/cpuset.mems" >"$_sb_dir/cpuset.mems" 2>/dev/null || :
                fi
                _sb_made=${_sb_made:+$_sb_made,}$_sb_dir
        done
        echo "${_sb_made:--}"
}

# Remove cgroup trees, deepest first; their processes may take a moment to leave.
_sandbox_remove_cgroups() { # ID CGDIRS
        [ "$2" = - ] && return 0
        _sb_ok=0
        for _sb_try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
                _sb_ok=1
                for _sb_dir in $(echo "$2" | tr , ' '); do
                        # Only ever our own per-box cgroups.
                        case ${_sb_dir##*/} in pmgen-sandbox.*) ;; *) continue ;; esac
                        [ -d "$_sb_dir" ] || continue
                        find "$_sb_dir" -depth -type d -exec rmdir {} + 2>/dev/null || :
                        [ -d "$_sb_dir" ] && _sb_ok=0
                done
                [ "$_sb_ok" = 1 ] && return 0
                sleep 0.2
        done
        _sandbox_err "box $1: cgroups not removed: $2"
        return 1
}

# ---- scratch dir -------------------------------------------------------------------------------------------

_sandbox_remove_scratch() { # ID
        _sb_s=$SANDBOX_STATE_DIR/$1
        [ -e "$_sb_s" ] || return 0
        # The tmpfs, overlay and binds were mounted in the box's mount namespace only. Should the host see
        # anything mounted here, detach it; never delete recursively (the overlay's lower layer is /).
        if mountpoint -q "$_sb_s" 2>/dev/null; then
                _sandbox_err "box $1: $_sb_s is mounted on the host; detaching it"
                umount -R -l "$_sb_s" || return 1
        fi
        rmdir "$_sb_s" || { _sandbox_err "box $1: cannot remove $_sb_s"; return 1; }
}

# Everything that ends one box, from its state line. Goes on after a failed step; fails if any did.
_sandbox_end_line() { # ID SYSPID UNSHAREPID OWNER OWNERSTART NAME CGDIRS
        _sb_bad=0
        _sandbox_kill_line "$@" || _sb_bad=1
        _sandbox_remove_scratch "$1" || _sb_bad=1
        _sandbox_remove_cgroups "$1" "$7" || _sb_bad=1
        _sandbox_locked _sandbox_state_del_unlocked "$1" || _sb_bad=1
        return "$_sb_bad"
}

# ---- public -------------------------------------------------------------------------------------------------

sandbox_reap_stale() {
        [ -s "$SANDBOX_STATE_DIR/PIDS" ] || return 0
        # shellcheck disable=SC2034
        while read -r _sr_id _sr_sys _sr_uns _sr_own _sr_ost _sr_name _sr_cg; do
                [ -n "$_sr_id" ] || continue
                if _sandbox_alive "$_sr_own" && [ "$(_sandbox_starttime "$_sr_own")" = "$_sr_ost" ]; then
                        continue # its owner still runs: not ours to end
                fi
                _sandbox_say "ending box '$_sr_name' ($_sr_id, systemd pid $_sr_sys) left behind by a run that died"
                _sandbox_end_line "$_sr_id" "$_sr_sys" "$_sr_uns" "$_sr_own" "$_sr_ost" "$_sr_name" "$_sr_cg" || :
        done <<EOF
$(cat "$SANDBOX_STATE_DIR/PIDS")
EOF
}

sandbox_boot() { # NAME
        _sb_name=$1
        case $_sb_name in
        '' | *[!A-Za-z0-9_-]*) _sandbox_err "sandbox_boot: NAME must be [A-Za-z0-9_-]+, got '$_sb_name'"; return 2 ;;
        esac
        [ "$(id -u)" = 0 ] || { _sandbox_err "must run as root"; return 1; }
        for _sb_tool in unshare nsenter setsid flock mountpoint timeout; do
                command -v "$_sb_tool" >/dev/null || { _sandbox_err "$_sb_tool not found (util-linux, coreutils)"; return 1; }
        done
        [ -x /lib/systemd/systemd ] || { _sandbox_err "/lib/systemd/systemd not found (apt-get install systemd)"; return 1; }

        sandbox_reap_stale
        mkdir -p "$SANDBOX_STATE_DIR" "$SANDBOX_LOG_DIR" || return 1
        _sb_t0=$(_sandbox_now)
        _sb_id=$(cd "$SANDBOX_STATE_DIR" && mktemp -d "pmgen-sandbox.$_sb_name.XXXXXX") || return 1
        chmod 0700 "$SANDBOX_STATE_DIR/$_sb_id"
        _sb_log=$SANDBOX_LOG_DIR/$_sb_name.log
        : >"$_sb_log" || return 1
        _sb_cg=$(_sandbox_make_cgroups "$_sb_id")

        # The launcher moves itself into the box's cgroups, then becomes unshare in a session of its own (so
        # a terminal's ^C or timeout(1)'s signal to our process group reaches our traps, not the box's
        # PID 1); unshare's child, PID 1 of the new namespaces, runs boot.sh, which execs systemd. Their
        # output, and later the box's console, go to the log. Recorded in PIDS at once, so even a run killed
        # during boot is cleaned up by the next.
        # shellcheck disable=SC2016,SC2094 # the log is only written (and becomes the box's console)
        sh -c 'for d in $(echo "$1" | tr , " "); do echo $$ >"$d/cgroup.procs" ||
                        echo "sandbox: cannot join cgroup $d" >&2; done; shift; exec setsid "$@"' sh "$_sb_cg" \
                unshare --pid --mount --uts --ipc --cgroup --fork --propagation private \
                sh "$SANDBOX_REPO/tests/sandbox/boot.sh" "$_sb_name" "$SANDBOX_STATE_DIR/$_sb_id" "$SANDBOX_REPO" \
                "$_sb_log" "$(readlink /proc/self/ns/mnt)" </dev/null >>"$_sb_log" 2>&1 &
        _sb_uns=$!
        _sandbox_locked _sandbox_state_add_unlocked "$_sb_id - $_sb_uns $$ $(_sandbox_starttime $$) $_sb_name $_sb_cg" ||
                { kill -9 "$_sb_uns"; return 1; }
        _SANDBOX_OWNED="$_SANDBOX_OWNED $_sb_id"
        # shellcheck disable=SC2034 # for the caller
        SANDBOX_ID=$_sb_id SANDBOX_NAME=$_sb_name SANDBOX_LOG=$_sb_log SANDBOX_PID=''

        _sb_deadline=$(( $(date +%s) + SANDBOX_BOOT_TIMEOUT ))
        # 1. systemd's host PID: the child of unshare, once boot.sh has exec'd it.
        _sb_pid=
        while [ "$(date +%s)" -lt "$_sb_deadline" ]; do
                for _sb_c in $(_sandbox_children "$_sb_uns"); do
                        [ "$(cat "/proc/$_sb_c/comm" 2>/dev/null)" = systemd ] && _sb_pid=$_sb_c
                done
                [ -n "$_sb_pid" ] && break
                _sandbox_alive "$_sb_uns" || break
                sleep 0.05
        done
        if [ -z "$_sb_pid" ]; then
                _sandbox_err "box '$_sb_name' did not start systemd (see $_sb_log):"
                tail -n 30 "$_sb_log" | sed 's/^/    /' >&2
                sandbox_teardown "$_sb_name"
                return 1
        fi
        SANDBOX_PID=$_sb_pid
        _sandbox_locked _sandbox_state_set_pid_unlocked "$_sb_id" "$_sb_pid"

        # 2. Until the boot transaction is done.
        _sb_state=
        while [ "$(date +%s)" -lt "$_sb_deadline" ]; do
                _sandbox_alive "$_sb_pid" || break
                _sb_state=$(timeout 10 nsenter -t "$_sb_pid" -a systemctl is-system-running 2>/dev/null) || :
                case $_sb_state in running | degraded) break ;; esac
                sleep 0.1
        done
        case $_sb_state in
        running | degraded) ;;
        *)
                if _sandbox_alive "$_sb_pid"; then
                        _sandbox_err "box '$_sb_name' not up after ${SANDBOX_BOOT_TIMEOUT}s (state: ${_sb_state:-no answer})"
                        sandbox_diag >&2
                else
                        _sandbox_err "systemd of box '$_sb_name' died during boot"
                fi
                echo "--- last lines of $_sb_log:" >&2
                tail -n 30 "$_sb_log" | sed 's/^/    /' >&2
                sandbox_teardown "$_sb_name"
                return 1
                ;;
        esac
        _sandbox_say "box '$_sb_name' up in $(_sandbox_elapsed "$_sb_t0")s ($_sb_state; systemd is host pid $_sb_pid; log $_sb_log)"
        if [ "$_sb_state" = degraded ]; then
                _sandbox_say "degraded: $(sandbox_exec systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
        fi
        return 0
}

# Run a command in a box by systemd PID.
_sandbox_exec_pid() { # PID CMD…
        _sb_p=$1
        shift
        if ! _sandbox_alive "$_sb_p"; then
                _sandbox_err "no box is running (systemd pid '${_sb_p}')"
                return 125
        fi
        set -- env -i PATH="$SANDBOX_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
                SYSTEMD_PAGER=cat PAGER=cat SYSTEMD_COLORS=0 NO_COLOR=1 "$@"
        # timeout(1) runs its command in a process group of its own, which a terminal would stop on reading:
        # interactive use (stdin a terminal, e.g. `sandbox_exec bash`) goes without the bound.
        if [ -t 0 ]; then
                set -- nsenter -t "$_sb_p" -a "$@"
        else
                set -- timeout -k 5 "$SANDBOX_EXEC_TIMEOUT" nsenter -t "$_sb_p" -a "$@"
        fi
        "$@"
}

sandbox_exec() {
        _sandbox_exec_pid "$SANDBOX_PID" "$@"
}

sandbox_sh() { # SCRIPT [ARG…]
        _sb_script=$1
        shift
        _sandbox_exec_pid "$SANDBOX_PID" sh -ec "$_sb_script" sh "$@"
}

# The systemd PID of a box this shell booted, by name.
sandbox_pid() { # NAME
        for _sb_i in $_SANDBOX_OWNED; do
                _sb_l=$(_sandbox_state_get "$_sb_i")
                # shellcheck disable=SC2086
                set -- "$1" $_sb_l
                if [ "${7:-}" = "$1" ]; then
                        echo "$3"
                        return 0
                fi
        done
        return 1
}

sandbox_exec_in() { # NAME CMD…
        _sb_p=$(sandbox_pid "$1") || { _sandbox_err "no box named '$1'"; return 125; }
        shift
        _sandbox_exec_pid "$_sb_p" "$@"
}

sandbox_teardown() { # [NAME]
        _st_want=${1:-}
        _st_rest=
        for _st_id in $_SANDBOX_OWNED; do
                _st_line=$(_sandbox_state_get "$_st_id")
                # shellcheck disable=SC2086
                set -- "$_st_want" $_st_line
                if [ -n "$_st_want" ] && [ "${7:-}" != "$_st_want" ]; then
                        _st_rest="$_st_rest $_st_id"
                        continue
                fi
                if [ -n "$_st_line" ]; then
                        _st_t0=$(_sandbox_now)
                        shift
                        # Keep the box's journal with its console log, for a look after the fact.
                        if _sandbox_alive "$2" && [ -f "$SANDBOX_LOG_DIR/$6.log" ]; then
                                { echo "--- journal of box '$6' at teardown:"
                                  timeout -k 2 10 nsenter -t "$2" -a journalctl -b --no-pager -o short-precise 2>&1 ||
                                        echo "(journalctl failed)"; } >>"$SANDBOX_LOG_DIR/$6.log" 2>/dev/null || :
                        fi
                        _sandbox_end_line "$@" || :
                        _sandbox_say "box '$6' torn down in $(_sandbox_elapsed "$_st_t0")s"
                else
                        _sandbox_remove_scratch "$_st_id"
                fi
                if [ "$_st_id" = "$SANDBOX_ID" ]; then
                        SANDBOX_PID='' SANDBOX_ID='' SANDBOX_NAME=''
                fi
        done
        _SANDBOX_OWNED=$_st_rest
        return 0
}

sandbox_diag() {
        _sandbox_alive "$SANDBOX_PID" || { echo "(box '$SANDBOX_NAME' is not running)"; return 0; }
        echo "--- systemctl is-system-running: $(sandbox_exec systemctl is-system-running 2>&1)"
        echo "--- failed units:"
        { sandbox_exec systemctl list-units --failed --no-pager --no-legend 2>&1 || :; } | sed 's/^/    /'
        echo "--- jobs:"
        { sandbox_exec systemctl list-jobs --no-pager --no-legend 2>&1 || :; } | sed 's/^/    /'
        echo "--- journal (last 30 lines):"
        { sandbox_exec journalctl -b --no-pager -n 30 2>&1 || :; } | sed 's/^/    /'
}

_sandbox_on_exit() {
        _sb_rc=$?
        trap '' PIPE
        if [ -n "${SANDBOX_ON_EXIT:-}" ]; then eval "$SANDBOX_ON_EXIT" || :; fi
        sandbox_teardown
        return "$_sb_rc"
}

_sandbox_on_signal() { # SIGNAME NUMBER
        trap '' INT TERM PIPE HUP
        if [ -n "${SANDBOX_ON_EXIT:-}" ]; then eval "$SANDBOX_ON_EXIT" || :; fi
        sandbox_teardown
        trap - EXIT
        exit $((128 + $2))
}

sandbox_trap() {
        trap '_sandbox_on_exit' EXIT
        trap '_sandbox_on_signal INT 2' INT
        trap '_sandbox_on_signal TERM 15' TERM
        trap '_sandbox_on_signal PIPE 13' PIPE
        trap '_sandbox_on_signal HUP 1' HUP
}
