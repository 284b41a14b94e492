#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# The Debian package, built from this tree and installed into a real systemd with dpkg:
#   - `make deb` builds it (DEB_BUILD_OPTIONS="nocheck parallel=2": the unit tests run elsewhere in make check)
#     and lintian, when installed, finds no error in it;
#   - `dpkg -i` installs it in a box (whose root is an overlay of the host, so the dependencies are there);
#     `dpkg -L pmgen` lists pmgen, the generators, pmgen-shim, libpmgen-bind.so, the Node preload, the
#     units, the man pages (pmgen-generator(8) too), both completions and the examples, each at its place;
#   - its postinst applies /usr/lib/sysctl.d/60-pmgen.conf: net.ipv4.tcp_migrate_req goes from 0 to 1 (the box
#     shares the host's network namespace; the host's value is put back in every case);
#   - the example app, copied from /usr/share/doc/pmgen/examples to /srv/hello, goes up with the installed
#     /usr/bin/pmgen apply --env production: the installed generator makes its units in
#     /run/systemd/generator, their main process is the installed /usr/libexec/pmgen/pmgen-shim, both
#     instances answer HTTP, `systemctl status` shows the generated units active;
#   - the installed completions complete the running app's name (bash-completion's loader, zsh's fpath);
#   - pmgen-pm2-compat makes /usr/bin/pm2 the alternative for pmgen-pm2 (pm2 jlist sees the app), and its
#     removal takes the alternative away;
#   - `dpkg -r pmgen` stops the app, removes the files and the generated units, and keeps /etc/pmgen;
#   - where rpmbuild is installed, `make rpm` builds pmgen and pmgen-pm2-compat, `rpm -qlp` lists each file at
#     its place, the binary's compiled-in paths are /usr's and %post applies 60-pmgen.conf.
# Port 18400.
#
# PMGEN_TEST_DEB=PATH installs that .deb instead of building one (e.g. one `make deb` made earlier in the
# same run).
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

PMGEN_TEST_PORT=18400
PORT=$PMGEN_TEST_PORT
DIAG_UNITS="hello.target hello@*"
REPO=$SANDBOX_REPO
require_free_port
t_init package

heading "build the package"
if [ -n "${PMGEN_TEST_DEB:-}" ]; then
        [ -f "$PMGEN_TEST_DEB" ] || fatal "package" "PMGEN_TEST_DEB=$PMGEN_TEST_DEB does not exist"
        DEB=$(cd -P -- "$(dirname -- "$PMGEN_TEST_DEB")" && pwd -P)/$(basename -- "$PMGEN_TEST_DEB")
        info "PMGEN_TEST_DEB: installing $DEB (not rebuilt)"
else
        for tool in dpkg-buildpackage dh; do
                command -v "$tool" >/dev/null || fatal "build tools" "$tool is missing (tests/deps.sh: debhelper, dpkg-dev)"
        done
        info "\$ DEB_BUILD_OPTIONS='nocheck parallel=2' make -C $REPO deb"
        t0=$SECONDS
        if ! DEB_BUILD_OPTIONS="nocheck parallel=2" make -C "$REPO" deb >"$T_WORK/deb.log" 2>&1; then
                tail -n 40 "$T_WORK/deb.log" | sed 's/^/   | /'
                fatal "make deb" "failed (log: $T_WORK/deb.log)"
        fi
        debs=("$REPO"/build/deb/pmgen_*.deb)
        if [ "${#debs[@]}" != 1 ] || [ ! -f "${debs[0]}" ]; then
                fatal "make deb" "expected one build/deb/pmgen_*.deb, found: ${debs[*]}"
        fi
        DEB=${debs[0]}
        pass "make deb" "$(basename "$DEB"), $(du -k "$DEB" | cut -f1) kB, in $((SECONDS - t0)) s"
        # make deb runs lintian when it is installed and fails on an error; say which it was.
        if grep -q '^lintian: no errors' "$T_WORK/deb.log"; then
                warnings=$(grep -c '^W: ' "$T_WORK/deb.log" || :)
                pass "lintian" "no errors, $warnings warnings"
                grep '^[WE]: ' "$T_WORK/deb.log" | sed 's/^/   | /' || :
        else
                info "lintian is not installed here: the package was not checked by it (apt-get install lintian)"
        fi
fi
[ -d "$REPO/debian" ] && fail "source tree" "make deb left $REPO/debian behind"

heading "install it with dpkg in a fresh systemd"
sandbox_trap
sandbox_boot package
if sandbox_exec dpkg-query -W -f="\${Status}" pmgen 2>/dev/null | grep -q 'ok installed'; then
        fatal "clean box" "pmgen is already installed on this machine (dpkg -r pmgen on the host first)"
fi
for f in /usr/local/bin/pmgen /usr/local/libexec/pmgen/pmgen-shim; do
        if sandbox_exec test -e "$f"; then
                info "removing $f in the box (a make install on the host): only the package's files may run"
                sandbox_exec rm -f "$f"
        fi
done
# A container image's policy-rc.d (exit 101: "start nothing") would keep the maintainer scripts from
# stopping units, which a real machine lets them do.
if sandbox_exec test -e /usr/sbin/policy-rc.d; then
        info "removing /usr/sbin/policy-rc.d in the box (it forbids maintainer scripts to touch units)"
        sandbox_exec rm -f /usr/sbin/policy-rc.d
fi
[ -z "$MIGRATE_REQ_WAS" ] || echo 0 >"$MIGRATE_REQ" || fatal "sysctl" "cannot write 0 to $MIGRATE_REQ"
t0=$SECONDS
if ! sandbox_exec env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" >"$T_WORK/dpkg-i.log" 2>&1; then
        sed 's/^/   | /' "$T_WORK/dpkg-i.log"
        fatal "dpkg -i" "could not install $DEB"
fi
pass "dpkg -i" "$(basename "$DEB") in $((SECONDS - t0)) s"

# The postinst applies /usr/lib/sysctl.d/60-pmgen.conf (net.ipv4.tcp_migrate_req=1). The box shares the
# host's network namespace: the value was 0 before dpkg -i (set above; apply-lib.sh's restore_migrate_req
# puts the host's back, here and in the exit trap), and pmgen apply, which also turns it on, has not run yet.
if [ -n "$MIGRATE_REQ_WAS" ]; then
        migrate=$(cat "$MIGRATE_REQ")
        restore_migrate_req
        if [ "$migrate" = 1 ]; then
                pass "postinst applies 60-pmgen.conf" "net.ipv4.tcp_migrate_req 0 → 1 (the host's $MIGRATE_REQ_WAS put back)"
        else
                fail "postinst applies 60-pmgen.conf" "net.ipv4.tcp_migrate_req is $migrate after dpkg -i, expected 1"
        fi
else
        info "this kernel has no $MIGRATE_REQ (Linux 5.14 or later): the postinst's sysctl is not checked"
fi

# The unit and generator directories are pkg-config's (Debian 12: /lib/systemd/...).
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
gendir=$(pkg-config --variable=systemdsystemgeneratordir systemd)
usergendir=$(pkg-config --variable=systemdusergeneratordir systemd)
sandbox_exec dpkg -L pmgen >"$T_WORK/dpkg-L.txt"
missing=
for f in /usr/bin/pmgen "$gendir/pmgen-generator" "$usergendir/pmgen-user-generator" \
        /usr/libexec/pmgen/pmgen-shim /usr/libexec/pmgen/libpmgen-bind.so /usr/share/pmgen/node-preload.cjs \
        "$unitdir/pmgen.target" "$unitdir/pmgen-ns@.target" /usr/lib/systemd/user/pmgen.target \
        /usr/lib/sysctl.d/60-pmgen.conf /usr/share/man/man1/pmgen.1.gz /usr/share/man/man5/pmgen.ini.5.gz \
        /usr/share/man/man8/pmgen-generator.8.gz /usr/share/man/man8/pmgen-user-generator.8.gz \
        /usr/share/man/man8/pmgen-shim.8.gz /usr/share/bash-completion/completions/pmgen \
        /usr/share/zsh/vendor-completions/_pmgen /usr/share/doc/pmgen/copyright \
        /usr/share/doc/pmgen/examples/ecosystem.config.js /usr/share/doc/pmgen/examples/server.js; do
        grep -qxF "$f" "$T_WORK/dpkg-L.txt" || missing="$missing $f"
done
if [ -z "$missing" ]; then
        pass "dpkg -L pmgen" "$(grep -c . "$T_WORK/dpkg-L.txt") paths: the generators in $gendir and $usergendir,\
 pmgen-shim and libpmgen-bind.so in /usr/libexec/pmgen, man pages, completions, examples"
else
        fail "dpkg -L pmgen" "does not list:$missing"
fi
gen_target=$(sandbox_exec readlink -f "$gendir/pmgen-generator")
user_target=$(sandbox_exec readlink -f "$usergendir/pmgen-user-generator")
if [ "$gen_target" = /usr/bin/pmgen ] && [ "$user_target" = /usr/bin/pmgen ] &&
        [ "$(sandbox_exec sh -c 'command -v pmgen')" = /usr/bin/pmgen ]; then
        pass "the generators are the installed pmgen" "$(sandbox_exec pmgen --version)"
else
        fail "the generators are the installed pmgen" "pmgen-generator → $gen_target, pmgen-user-generator → $user_target," \
                "pmgen on PATH: $(sandbox_exec sh -c 'command -v pmgen' || :)"
fi

heading "run the example from the installed paths"
# shellcheck disable=SC2016
sandbox_exec sh -ec 'rm -rf /srv/hello; mkdir -p /srv; cp -rT /usr/share/doc/pmgen/examples /srv/hello
        chmod -R u=rwX,go=rX /srv/hello' || fatal "examples" "could not copy /usr/share/doc/pmgen/examples to /srv/hello"
info "\$ HELLO_PORT=$PORT /usr/bin/pmgen apply /srv/hello/ecosystem.config.js --env production"
t0=$SECONDS
if ! sandbox_exec env HELLO_PORT="$PORT" /usr/bin/pmgen apply /srv/hello/ecosystem.config.js --env production \
        >"$T_WORK/apply.out" 2>&1; then
        sed 's/^/   | /' "$T_WORK/apply.out"
        fatal "pmgen apply" "failed"
fi
sed 's/^/   | /' "$T_WORK/apply.out"
if instances_are hello 2; then
        pass "pmgen apply" "hello@0 and hello@1 active in $((SECONDS - t0)) s"
else
        fatal "pmgen apply" "hello@0 and hello@1 are not both active"
fi

svc=/run/systemd/generator/hello@.service
if sandbox_exec grep -q '^# Automatically generated by pmgen-generator from /etc/pmgen/' "$svc" &&
        sandbox_exec grep -q '^ExecStart=/usr/libexec/pmgen/pmgen-shim ' "$svc" &&
        sandbox_exec test -f /run/systemd/generator/hello@.socket &&
        sandbox_exec test -L /run/systemd/generator/multi-user.target.wants/hello.target; then
        pass "the installed generator made the units" "$svc: ExecStart=/usr/libexec/pmgen/pmgen-shim …"
else
        fail "the installed generator made the units" "$(sandbox_exec ls -l /run/systemd/generator 2>&1 | tr '\n' ' ')" \
                "$(sandbox_exec grep -E '^(# Auto|ExecStart=)' "$svc" 2>&1 | tr '\n' ' ')"
fi
shims=
for i in 0 1; do
        main=$(unit_prop "hello@$i.service" MainPID)
        shims="$shims $(sandbox_exec readlink "/proc/$main/exe" 2>/dev/null || echo "?")"
done
if [ "$shims" = " /usr/libexec/pmgen/pmgen-shim /usr/libexec/pmgen/pmgen-shim" ]; then
        pass "main processes" "both instances run /usr/libexec/pmgen/pmgen-shim"
else
        fail "main processes" "the instances' main processes run:$shims"
fi

http_many 30 "$T_WORK/spread.txt"
sum=$(responses_summary "$T_WORK/spread.txt")
info "$(oneline "$sum")"
if [ "$(field "$sum" fail)" = 0 ] && [ "$(field "$sum" instances)" = 0,1 ] &&
        [ "$(field "$sum" greetings)" = "hello from production" ]; then
        pass "HTTP on both instances" "30 requests on 127.0.0.1:$PORT answered by instances 0 and 1 (pids $(field "$sum" pids))"
else
        fail "HTTP on both instances" "expected 30 answers from instances 0 and 1 with the production greeting; got $(oneline "$sum")"
fi

sandbox_exec systemctl status --no-pager -n 0 hello.target 'hello@*.service' >"$T_WORK/status.txt" 2>&1 || :
sed 's/^/   | /' "$T_WORK/status.txt" | head -n 30
# status names the declaration (SourcePath=) and "generated"; the unit files are the generator's.
loaded=$(grep -c 'Loaded: loaded (/etc/pmgen/ecosystem.config.ini; generated)' "$T_WORK/status.txt" || :)
running=$(grep -c 'Active: active (running)' "$T_WORK/status.txt" || :)
shims=$(grep -c '─[0-9]* /usr/libexec/pmgen/pmgen-shim --app=hello' "$T_WORK/status.txt" || :)
fragments=$(unit_prop hello.target FragmentPath),$(unit_prop hello@0.service FragmentPath),$(unit_prop hello@1.service FragmentPath)
if [ "$loaded" = 3 ] && [ "$running" = 2 ] && [ "$shims" = 2 ] && [ "$fragments" = \
        /run/systemd/generator/hello.target,/run/systemd/generator/hello@.service,/run/systemd/generator/hello@.service ]; then
        pass "systemctl status" "hello.target, hello@0 and hello@1: 'loaded (/etc/pmgen/ecosystem.config.ini; generated)',\
 units from /run/systemd/generator, both instances running pmgen-shim"
else
        fail "systemctl status" "expected hello.target and 2 instances generated from /etc/pmgen/ecosystem.config.ini and running" \
                "pmgen-shim (found $loaded generated, $running running, $shims shims; unit files $fragments)"
fi

heading "the installed completions"
for sh in bash zsh; do
        got=$(sandbox_exec "$REPO/tests/completions.sh" --installed "$sh" "pmgen restart " 2>&1 || :)
        if [ "$got" = "all hello" ]; then
                pass "$sh completion" "'pmgen restart <TAB>' → $got"
        else
                fail "$sh completion" "'pmgen restart <TAB>' → '$got', expected 'all hello'"
        fi
done

heading "pmgen-pm2-compat: /usr/bin/pm2 as an alternative"
compat=("$(dirname -- "$DEB")"/pmgen-pm2-compat_*.deb)
if [ ! -f "${compat[0]}" ]; then
        fail "pmgen-pm2-compat" "no pmgen-pm2-compat_*.deb beside $DEB"
elif ! sandbox_exec env DEBIAN_FRONTEND=noninteractive dpkg -i "${compat[0]}" >"$T_WORK/dpkg-i-compat.log" 2>&1; then
        sed 's/^/   | /' "$T_WORK/dpkg-i-compat.log"
        fail "dpkg -i pmgen-pm2-compat" "could not install ${compat[0]}"
else
        alt=$(sandbox_exec readlink /usr/bin/pm2 || :),$(sandbox_exec readlink -f /usr/bin/pm2 || :)
        running=$(sandbox_exec pm2 jlist | python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin) if p["name"] == "hello" and p["pm2_env"]["status"] == "online"))' || :)
        if [ "$alt" = /etc/alternatives/pm2,/usr/bin/pmgen ] && [ "$running" = 2 ] &&
                sandbox_exec test -e "$(sandbox_exec readlink -f /usr/share/man/man1/pm2.1.gz)"; then
                pass "pm2 is pmgen's" "/usr/bin/pm2 → /etc/alternatives/pm2 → /usr/bin/pmgen-pm2; pm2 jlist: 2 hello online; man pm2 is pmgen-pm2(1)"
        else
                fail "pm2 is pmgen's" "/usr/bin/pm2: $alt; pm2 jlist: $running online"
        fi
        sandbox_exec env DEBIAN_FRONTEND=noninteractive dpkg -r pmgen-pm2-compat >"$T_WORK/dpkg-r-compat.log" 2>&1 ||
                fail "dpkg -r pmgen-pm2-compat" "$(cat "$T_WORK/dpkg-r-compat.log")"
        if ! sandbox_exec test -e /usr/bin/pm2 && ! sandbox_exec test -L /usr/bin/pm2 &&
                ! sandbox_exec update-alternatives --query pm2 >/dev/null 2>&1; then
                pass "dpkg -r pmgen-pm2-compat" "/usr/bin/pm2 and its alternative are gone"
        else
                fail "dpkg -r pmgen-pm2-compat" "$(sandbox_exec ls -l /usr/bin/pm2 2>&1)"
        fi
fi

heading "dpkg -r pmgen"
t0=$SECONDS
if ! sandbox_exec env DEBIAN_FRONTEND=noninteractive dpkg -r pmgen >"$T_WORK/dpkg-r.log" 2>&1; then
        sed 's/^/   | /' "$T_WORK/dpkg-r.log"
        fatal "dpkg -r" "failed"
fi
pass "dpkg -r" "in $((SECONDS - t0)) s"
left=
for f in /usr/bin/pmgen "$gendir/pmgen-generator" "$usergendir/pmgen-user-generator" /usr/libexec/pmgen/pmgen-shim \
        /usr/libexec/pmgen/libpmgen-bind.so /usr/share/pmgen/node-preload.cjs "$unitdir/pmgen.target" \
        /usr/share/bash-completion/completions/pmgen /usr/share/zsh/vendor-completions/_pmgen \
        /usr/share/man/man8/pmgen-generator.8.gz "$svc"; do
        if sandbox_exec test -e "$f" || sandbox_exec test -L "$f"; then left="$left $f"; fi
done
if [ -z "$left" ]; then
        pass "files removed" "the generators, pmgen-shim, libpmgen-bind.so, pmgen, the generated units"
else
        fail "files removed" "still there:$left"
fi
states=$(unit_prop hello@0.service ActiveState),$(unit_prop hello@1.service ActiveState)
if [ "$states" = inactive,inactive ] && ! port_in_use "$PORT"; then
        pass "the app stopped" "hello@0,1 inactive, nothing listens on $PORT"
else
        fail "the app stopped" "hello@0,1: $states; port $PORT: $(ss -Htln "sport = :$PORT" | head -n 2)"
fi
if sandbox_exec test -f /etc/pmgen/ecosystem.config.ini; then
        pass "declarations kept" "/etc/pmgen/ecosystem.config.ini stays for a reinstall"
else
        fail "declarations kept" "/etc/pmgen/ecosystem.config.ini is gone"
fi

heading "the RPM packages (make rpm)"
# rpmbuild (Debian's rpm package) builds pkg/rpm/pmgen.spec; the packages are listed, not installed.
if ! command -v rpmbuild >/dev/null; then
        info "rpmbuild is not installed: make rpm not checked (apt-get install rpm)"
else
        t0=$SECONDS
        if ! make -C "$REPO" rpm RPMBUILD_FLAGS='--without check' >"$T_WORK/rpm.log" 2>&1; then
                tail -n 40 "$T_WORK/rpm.log" | sed 's/^/   | /'
                fail "make rpm" "failed (log: $T_WORK/rpm.log)"
        else
                rpms=("$REPO"/build/rpm/RPMS/*/pmgen-[0-9]*.rpm)
                compat=("$REPO"/build/rpm/RPMS/*/pmgen-pm2-compat-[0-9]*.rpm)
                if [ ! -f "${rpms[0]}" ] || [ ! -f "${compat[0]}" ]; then
                        fail "make rpm" "expected pmgen and pmgen-pm2-compat in build/rpm/RPMS: $(find "$REPO/build/rpm/RPMS" -name '*.rpm')"
                else
                        pass "make rpm" "$(basename "${rpms[0]}") and $(basename "${compat[0]}") in $((SECONDS - t0)) s"
                        rpm -qlp "${rpms[0]}" >"$T_WORK/rpm-ql.txt"
                        missing=
                        for f in /usr/bin/pmgen /usr/libexec/pmgen/pmgen-shim /usr/libexec/pmgen/libpmgen-bind.so \
                                /usr/share/pmgen/node-preload.cjs /usr/lib/systemd/system-generators/pmgen-generator \
                                /usr/lib/systemd/user-generators/pmgen-user-generator /usr/lib/systemd/system/pmgen.target \
                                /usr/lib/systemd/system/pmgen-ns@.target /usr/lib/systemd/user/pmgen.target \
                                /usr/lib/sysctl.d/60-pmgen.conf /usr/share/man/man1/pmgen.1 /usr/share/man/man5/pmgen.ini.5 \
                                /usr/share/man/man8/pmgen-shim.8 /usr/share/man/man8/pmgen-generator.8 \
                                /usr/share/man/man8/pmgen-user-generator.8 /usr/share/bash-completion/completions/pmgen; do
                                # (man pages compressed or not: that is the distribution's brp-compress)
                                grep -qE "^$f(\.gz|\.xz|\.bz2)?\$" "$T_WORK/rpm-ql.txt" || missing="$missing $f"
                        done
                        rpm -qlp "${compat[0]}" >"$T_WORK/rpm-ql-compat.txt"
                        grep -qx /usr/bin/pmgen-pm2 "$T_WORK/rpm-ql-compat.txt" || missing="$missing /usr/bin/pmgen-pm2(compat)"
                        grep -qE '^/usr/share/man/man1/pmgen-pm2\.1' "$T_WORK/rpm-ql-compat.txt" ||
                                missing="$missing pmgen-pm2.1(compat)"
                        if grep -qx /usr/bin/pmgen-pm2 "$T_WORK/rpm-ql.txt"; then missing="$missing (pmgen-pm2 in pmgen)"; fi
                        if [ -z "$missing" ]; then
                                pass "rpm -qlp" "$(grep -c . "$T_WORK/rpm-ql.txt") paths in pmgen: pmgen, pmgen-shim, the generators,\
 the units, the man pages, 60-pmgen.conf; pmgen-pm2 in pmgen-pm2-compat"
                        else
                                fail "rpm -qlp" "missing or misplaced:$missing"
                        fi
                        # The compiled-in paths are the package's, and %post applies the sysctl file.
                        mkdir -p "$T_WORK/rpm-root"
                        # (rpm2archive comes with rpm; cpio may not be installed)
                        rpm2archive -n - <"${rpms[0]}" | tar -C "$T_WORK/rpm-root" -xf - ./usr/bin/pmgen || :
                        strings "$T_WORK/rpm-root/usr/bin/pmgen" >"$T_WORK/rpm-strings.txt" 2>&1 || :
                        rpm -qp --scripts "${rpms[0]}" >"$T_WORK/rpm-scripts.txt" 2>&1 || :
                        if grep -qx /usr/libexec/pmgen/pmgen-shim "$T_WORK/rpm-strings.txt" &&
                                ! grep -q '^/usr/local/libexec' "$T_WORK/rpm-strings.txt" &&
                                grep -q 'systemd-sysctl 60-pmgen.conf' "$T_WORK/rpm-scripts.txt"; then
                                pass "rpm contents" "pmgen runs /usr/libexec/pmgen/pmgen-shim; %post applies 60-pmgen.conf"
                        else
                                fail "rpm contents" "$(grep -E 'pmgen-shim$' "$T_WORK/rpm-strings.txt" | tr '\n' ' ')" \
                                        "$(grep sysctl "$T_WORK/rpm-scripts.txt" || echo 'no sysctl in %post')"
                        fi
                fi
        fi
fi

t_finish
