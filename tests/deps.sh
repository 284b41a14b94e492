#!/bin/sh
# Install (as root) or name (otherwise) the Debian 12 packages that pmgen's build, tests and demo need.
# PMGEN_DEPS_EXTRA adds packages (the benchmarks add wrk, hyperfine, npm).
set -eu
# debhelper and dpkg-dev build the .deb that tests/integration/test-package.sh installs; bash-completion and
# zsh run the completion tests. lintian (~100 MB with its Perl stack) checks the .deb in `make deb` and the
# package test, which fails on a lintian error. rpm (rpmbuild, rpm2cpio) lets the package test run `make rpm`
# and list the RPMs.
# ansible (ansible-core 2.14 with the community collections: community.docker's nsenter connection),
# ansible-lint and git run the fleet test (tests/integration/test-fleet.sh). ruby runs the shim's Ruby bind case.
PKGS="build-essential pkg-config libsystemd-dev libinih-dev libcmocka-dev clang valgrind mandoc
      nodejs systemd util-linux procps iproute2 curl python3 debhelper dpkg-dev bash-completion zsh jq tmux
      ansible ansible-lint git ruby rpm lintian
      ${PMGEN_DEPS_EXTRA:-}"
missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
        echo "pmgen: missing build dependencies. Install them with:" >&2
        echo "  sudo apt-get install -y$missing" >&2
        exit 1
fi
echo "pmgen: installing build dependencies:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
