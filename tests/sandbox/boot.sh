#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs as PID 1 of the fresh PID + mount + UTS + IPC + cgroup namespaces that tests/sandbox/lib.sh creates
# with unshare; do not run it any other way. It builds a throwaway root (an overlay of / whose writes land in
# a tmpfs), pivots into it and execs systemd. The recipe is the one in the team's TESTING.md notes.
#
#   boot.sh NAME SCRATCH REPO LOG CALLER_MNTNS
#
# NAME     the container name (container=NAME, hostname)
# SCRATCH  an empty directory made on the host; a tmpfs is mounted on it in this mount namespace only
# REPO     the source tree, bind-mounted at the same path inside (it may live under /tmp or /run)
# LOG      a file on the host: it becomes the box's /dev/console, so systemd's own messages land in it
# CALLER_MNTNS  the caller's mount namespace (readlink /proc/self/ns/mnt), which ours must not be
set -eu

[ "$#" -eq 5 ] || { echo "usage: boot.sh NAME SCRATCH REPO LOG CALLER_MNTNS (see tests/sandbox/lib.sh)" >&2; exit 2; }
name=$1 scratch=$2 repo=$3 log=$4 caller_mntns=$5

die() {
        echo "pmgen-sandbox boot: $*" >&2
        exit 1
}

[ "$$" -eq 1 ] || die "must run as PID 1 of a new PID namespace (via tests/sandbox/lib.sh)"
# Nothing below may touch the caller's mounts: fail closed unless our mount namespace is a new one.
own_mntns=$(readlink /proc/self/ns/mnt) || die "cannot read /proc/self/ns/mnt"
case $own_mntns in
"" | "$caller_mntns") die "not in a mount namespace of its own (unshare --mount)" ;;
esac
mount --make-rprivate / || die "cannot make / private"

mount -t tmpfs -o mode=0700 "pmgen-sandbox-$name" "$scratch" || die "cannot mount tmpfs on $scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
r=$scratch/root
mount -t overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "pmgen-sandbox-$name" "$r" \
        || die "cannot mount the overlay of / on $r"

mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount --rbind /sys "$r/sys"
# A private /dev rather than the host's: systemd and journald create /dev/log, /dev/mqueue, /dev/hugepages …
# and tmpfiles creates static nodes, which on a bound host /dev would land on the host's devtmpfs. The few
# nodes a service needs are bound from the host one by one; pts and shm are fresh instances.
mount -t tmpfs -o mode=0755,nosuid,size=4m tmpfs "$r/dev"
for n in null zero full random urandom tty; do
        touch "$r/dev/$n"
        mount --bind "/dev/$n" "$r/dev/$n"
done
touch "$r/dev/console"
mount --bind "$log" "$r/dev/console"
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm"
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$r/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/tmp"

# The cgroup hierarchies bound from the host show the host's whole tree, so systemd would manage the host's
# root cgroups. Mounted again from inside this cgroup namespace they are rooted at the sandbox's own cgroup
# (lib.sh made one per sandbox and moved us there), so what systemd creates stays below it and goes with it.
# Same layout as the host (hybrid here: v1 controllers plus the v2 `unified` mount).
if mountpoint -q /sys/fs/cgroup; then
        cgmounts=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) ~ /^cgroup2?$/ && $5 ~ "^/sys/fs/cgroup") \
                        print $(i+1), $5, $(i+3) }' /proc/self/mountinfo)
        if [ "$(findmnt -rn -o FSTYPE /sys/fs/cgroup)" = cgroup2 ]; then
                mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
        else
                mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs "$r/sys/fs/cgroup"
                echo "$cgmounts" | while read -r fstype target opts; do
                        [ "$target" != /sys/fs/cgroup ] || continue
                        mkdir -p "$r$target"
                        if [ "$fstype" = cgroup2 ]; then
                                mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r$target"
                        else
                                # super options "rw,cpu" / "rw,xattr,name=systemd": keep all but rw/ro
                                o=$(echo "$opts" | tr , '\n' | grep -v -x -e rw -e ro | paste -sd, -)
                                mount -t cgroup -o "nosuid,nodev,noexec,$o" cgroup "$r$target"
                        fi
                done
        fi
fi

# The source tree, at the same path (it may sit under /tmp or /run, which are fresh tmpfs now).
mkdir -p "$r$repo"
mount --bind "$repo" "$r$repo"

# Units that would reach outside the box through the shared kernel: sysctl (global and shared-netns keys),
# udev (uevents for the host's devices), kernel modules, binfmt_misc, pstore (deletes the host's records),
# the clock. Masking them in the overlay keeps the boot small and the host untouched.
mkdir -p "$r/etc/systemd/system"
for u in systemd-sysctl.service systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
        systemd-udev-trigger.service systemd-udev-settle.service systemd-modules-load.service \
        kmod-static-nodes.service systemd-tmpfiles-setup-dev.service systemd-binfmt.service \
        proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-pstore.service \
        systemd-timesyncd.service systemd-journald-audit.socket; do
        ln -sf /dev/null "$r/etc/systemd/system/$u"
done
# Timers the host's packages enabled (apt-daily, man-db …) have no business in a test box.
for t in "$r"/etc/systemd/system/timers.target.wants/*.timer; do
        [ -e "$t" ] || [ -L "$t" ] || continue
        ln -sf /dev/null "$r/etc/systemd/system/${t##*/}"
done

# Files to find in the box at boot (SANDBOX_SEED, see lib.sh): what a machine had on disk before it booted,
# e.g. pmgen's declarations and the generator for a reboot test. Directory symlinks of the root (/lib →
# usr/lib) are kept.
if [ -n "${SANDBOX_SEED:-}" ]; then
        [ -d "$SANDBOX_SEED" ] || die "SANDBOX_SEED=$SANDBOX_SEED is not a directory"
        tar -C "$SANDBOX_SEED" -cf - . | tar -C "$r" -xpf - --keep-directory-symlink --no-overwrite-dir ||
                die "cannot copy SANDBOX_SEED=$SANDBOX_SEED into the box"
fi

echo "$name" >"$r/etc/hostname"
hostname "$name"

cd "$r"
mkdir -p oldroot
pivot_root . oldroot
cd /
umount -l /oldroot
rmdir /oldroot

exec env -i container="$name" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        /lib/systemd/systemd --system --unit="${SANDBOX_UNIT:-basic.target}" --show-status=no
