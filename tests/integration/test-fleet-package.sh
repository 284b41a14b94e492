#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
# The role pmgen.pmgen.server installing pmgen from a package file (pmgen_install: file), on a host that has
# no pmgen: `make deb` builds the package on the controller (this machine), contrib/ansible/site.yml copies
# it to the host (a sandbox systemd reached with community.docker.nsenter) and installs it with apt, then
# releases the code and applies the templated declaration with the installed /usr/bin/pmgen:
#   - the first run installs the package (dpkg says installed), the app is active and answers;
#   - a second run changes nothing (the package is not installed again).
# Port 18730.
#
# PMGEN_TEST_DEB=PATH uses that .deb instead of building one.
set -euo pipefail

here=$(cd -P -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=../sandbox/lib.sh
. "$here/../sandbox/lib.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
# shellcheck source=apply-lib.sh
. "$here/apply-lib.sh"

PORT=18730
ANS=$SANDBOX_REPO/contrib/ansible
DIAG_UNITS="web.target web@*"
for tool in ansible-playbook git dpkg-buildpackage dh; do
        command -v "$tool" >/dev/null || { echo "test-fleet-package: $tool not found (tests/deps.sh installs it)" >&2; exit 1; }
done
require_free_ports "$PORT"
t_init fleet-package
sandbox_trap
export ANSIBLE_COLLECTIONS_PATH=$ANS ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False \
        ANSIBLE_LOCAL_TEMP=$T_WORK/ansible-tmp ANSIBLE_HOME=$T_WORK/ansible-home

heading "the package"
if [ -n "${PMGEN_TEST_DEB:-}" ]; then
        DEB=$(cd -P -- "$(dirname -- "$PMGEN_TEST_DEB")" && pwd -P)/$(basename -- "$PMGEN_TEST_DEB")
        [ -f "$DEB" ] || fatal "package" "PMGEN_TEST_DEB=$PMGEN_TEST_DEB does not exist"
        info "PMGEN_TEST_DEB: $DEB (not rebuilt)"
else
        t0=$SECONDS
        if ! DEB_BUILD_OPTIONS="nocheck parallel=2" make -C "$SANDBOX_REPO" deb >"$T_WORK/deb.log" 2>&1; then
                tail -n 30 "$T_WORK/deb.log" | sed 's/^/   | /'
                fatal "make deb" "failed (log: $T_WORK/deb.log)"
        fi
        debs=("$SANDBOX_REPO"/build/deb/pmgen_*.deb)
        if [ "${#debs[@]}" != 1 ] || [ ! -f "${debs[0]}" ]; then
                fatal "make deb" "expected one build/deb/pmgen_*.deb: ${debs[*]}"
        fi
        DEB=${debs[0]}
        pass "make deb" "$(basename "$DEB") in $((SECONDS - t0)) s"
fi

heading "a host without pmgen"
sandbox_boot fleetpkg
# The box is an overlay of this machine: a pmgen installed here would be there too.
if sandbox_exec sh -c 'command -v pmgen || dpkg -s pmgen' >/dev/null 2>&1; then
        fatal "no pmgen" "the host already has pmgen: $(sandbox_exec sh -c 'command -v pmgen; dpkg -s pmgen 2>&1 | grep Status')"
fi
pass "no pmgen" "neither on PATH nor in dpkg's database"

REPO=$T_WORK/repo.git
git init -q --bare "$REPO"
git -C "$T_WORK" init -q code
cp "$SANDBOX_REPO/contrib/examples/server.js" "$T_WORK/code/"
git -C "$T_WORK/code" add -A
git -C "$T_WORK/code" -c user.name=test -c user.email=test@invalid commit -qm v1
git -C "$T_WORK/code" push -q "$REPO" HEAD:refs/heads/main
INV=$T_WORK/hosts.ini
printf '[pmgen_servers]\nfleetpkg ansible_nsenter_pid=%s\n\n[all:vars]\n%s\n%s\n%s\n' "$SANDBOX_PID" \
        ansible_connection=community.docker.nsenter ansible_python_interpreter=/usr/bin/python3 ansible_become=false >"$INV"
mkdir -p "$T_WORK/group_vars"
cat >"$T_WORK/group_vars/pmgen_servers.yml" <<EOF
app_repo: $REPO
app_port: $PORT
pmgen_install: file
pmgen_package_file: $DEB
EOF

play() { # NAME: site.yml with the JSON callback; its output in $T_WORK/NAME.json
        local t=$SECONDS rc=0
        ANSIBLE_STDOUT_CALLBACK=json timeout 300 ansible-playbook -i "$INV" "$ANS/site.yml" >"$T_WORK/$1.json" \
                2>"$T_WORK/$1.err" || rc=$?
        info "(ansible-playbook $1: $((SECONDS - t)) s)"
        return "$rc"
}
jq_py() {
        python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_WORK/$1.json" "$2"
}
failures() {
        jq_py "$1" '"; ".join("%s: %s" % (t["task"]["name"], r.get("msg", "")[:400]) for p in j["plays"] for t in p["tasks"] for r in t["hosts"].values() if r.get("failed"))' 2>/dev/null ||
                tail -n 20 "$T_WORK/$1.err"
}

heading "site.yml installs the package and applies"
if play install; then
        pass "first run" "$(jq_py install '" ".join("%s=%d" % (k, v) for k, v in j["stats"]["fleetpkg"].items() if v)')"
else
        fatal "first run" "$(failures install)"
fi
installed=$(jq_py install '[r.get("changed") for p in j["plays"] for t in p["tasks"] if t["task"]["name"].endswith("Install the .deb") for r in t["hosts"].values()]')
# shellcheck disable=SC2016 # dpkg-query's format
status=$(sandbox_exec dpkg-query -W -f='${Status} ${Version}' pmgen 2>&1 || :)
if [ "$installed" = "[True]" ] && [[ $status == "install ok installed "* ]] &&
        [ "$(sandbox_exec sh -c 'command -v pmgen')" = /usr/bin/pmgen ]; then
        pass "installed" "the role's apt step: changed; dpkg: $status; /usr/bin/pmgen"
else
        fail "installed" "apt step changed: $installed; dpkg: $status"
fi
exec_start=$(unit_prop web@0.service ExecStart)
if [ "$(unit_prop web@0.service ActiveState)" = active ] && [ "$(unit_prop web@1.service ActiveState)" = active ] &&
        [[ $exec_start == *"/usr/libexec/pmgen/pmgen-shim"* ]] && [ "$(get_json "$PORT" greeting)" = hello ]; then
        pass "the app" "web@0-1 active under the packaged /usr/libexec/pmgen/pmgen-shim, port $PORT answers"
else
        fail "the app" "web@0 $(unit_prop web@0.service ActiveState), ExecStart $exec_start"
fi

heading "a second run changes nothing"
if play again && [ "$(jq_py again 'j["stats"]["fleetpkg"]["changed"]')" = 0 ]; then
        pass "second run" "changed=0, ok=$(jq_py again 'j["stats"]["fleetpkg"]["ok"]')"
else
        fail "second run" "$(jq_py again 'j["stats"]' 2>/dev/null) $(failures again)"
fi

t_finish
