#!/bin/bash
# `make install` honours PREFIX in the binary it installs: a build made with the default /usr/local paths,
# then `make install PREFIX=/usr` into a temporary DESTDIR, must rebuild (the compiled-in paths live in
# $(B)/paths.flags) and install a pmgen whose units run /usr/libexec/pmgen/pmgen-shim. Builds in its own
# build directory (B=...), so the tree's build/ keeps its /usr/local paths; needs neither root nor systemd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
b="$tmp/build" d="$tmp/dest"
mk() { make -C "$root" --no-print-directory -j"$(nproc)" B="$b" "$@"; }
fail=0
ok() { echo "ok   install-paths: $*"; }
bad() { echo "FAIL install-paths: $*"; fail=1; }

mk "$b/pmgen" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
grep -q '/usr/local/libexec/pmgen/pmgen-shim' "$b/paths.flags" || bad "default build: paths.flags is $(cat "$b/paths.flags")"
# make -n tells that the other prefix rebuilds what was compiled with the old paths
mk -n install DESTDIR="$d" PREFIX=/usr >"$tmp/dry-run.log"
if grep -q "CC *$b/src/" "$tmp/dry-run.log"; then ok "make -n install PREFIX=/usr rebuilds"
else bad "make -n install PREFIX=/usr does not rebuild"; fi
mk install DESTDIR="$d" PREFIX=/usr >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }

for f in usr/bin/pmgen usr/libexec/pmgen/pmgen-shim usr/libexec/pmgen/libpmgen-bind.so \
         usr/share/pmgen/node-preload.cjs usr/share/man/man1/pmgen.1 usr/share/man/man8/pmgen-shim.8 \
         usr/share/bash-completion/completions/pmgen usr/share/zsh/vendor-completions/_pmgen; do
        [ -f "$d/$f" ] || bad "missing /$f"
done
[ "$(readlink "$d/usr/bin/pmgen-pm2")" = pmgen ] || bad "/usr/bin/pmgen-pm2 is not a link to pmgen"
[ -z "$(find "$d" -path '*/usr/local*' -print -quit)" ] || bad "something went under /usr/local: $(find "$d" -path '*/usr/local*' | head -3)"
[ "$fail" = 0 ] && ok "file layout under PREFIX=/usr"

strings "$d/usr/bin/pmgen" >"$tmp/strings"
if grep -q '^/usr/libexec/pmgen/pmgen-shim$' "$tmp/strings" && ! grep -qE '/usr/local/(libexec|share)/' "$tmp/strings"; then ok "the binary's compiled-in paths are /usr's"
else bad "the installed pmgen's paths: $(grep -E '^/usr.*(libexec|node-preload)' "$tmp/strings" | tr '\n' ' ')"; fi

"$d/usr/bin/pmgen" generate -q "$root/contrib/examples/ecosystem.config.js" -o "$tmp/units"
start=$(grep -h '^ExecStart=' "$tmp/units"/*.service)
case "$start" in
ExecStart=/usr/libexec/pmgen/pmgen-shim\ *--node-preload=/usr/share/pmgen/node-preload.cjs\ *)
        ok "generate: $(echo "$start" | cut -c1-60)..." ;;
*)      bad "generate: $start" ;;
esac
exit $fail
