#!/usr/bin/env bash
# fresh_debian.sh - the README's two commands on a fresh Debian, as CI runs them.
# deps-check: not run by make check
#
# Makes a minimal Debian bookworm root filesystem (debootstrap --variant=minbase),
# chroots into it with /proc, /sys, /dev, /dev/pts and a fresh /run mounted,
# installs only make and git, clones the repository's HEAD (committed work only,
# as a clean clone gets it) to /root/src/tcpshake beside a copy of ../shared, then
# runs, as root with no standard input:
#
#     make demo
#     CI=true make check </dev/null
#
# and records both logs, their times and the Debian packages each one installed.
# Not part of `make check`; needs root, debootstrap (installed when missing) and the
# Debian mirror. The minbase tree is kept as a tarball in CACHE (and the downloaded
# .deb files in CACHE/archives) so a second run starts in seconds; the root
# filesystem itself is made anew each time. Everything mounted is unmounted on exit,
# failure and interruption included.
#
# usage: tests/fresh_debian.sh REPO OUTDIR [SHARED]
#   REPO    a git checkout (its HEAD is cloned)
#   OUTDIR  rootfs/, *.log, summary.txt go here (must not be inside REPO)
#   SHARED  copied to ../shared beside the clone (default REPO/../shared)
# Environment: CACHE (default OUTDIR/cache), MIRROR (default http://deb.debian.org/debian),
# SUITE (default bookworm).
# Exit status 0 when both commands passed.
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 REPO OUTDIR [SHARED]" >&2
    exit 2
fi
repo=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" || exit 2
out=$(cd "$2" && pwd)
shared=${3:-$repo/../shared}
cache=${CACHE:-$out/cache}
mirror=${MIRROR:-http://deb.debian.org/debian}
suite=${SUITE:-bookworm}
root=$out/rootfs
tarball=$cache/$suite-minbase.tar

case $out/ in "$repo"/*)
    echo "$0: OUTDIR must not be inside the repository" >&2
    exit 2
    ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "$0: needs root (debootstrap, mount, chroot)" >&2
    exit 2
fi

log() { echo "fresh: $*" | tee -a "$out/summary.txt"; }

# Every mount under the root filesystem, deepest first, lazily if busy.
unmount_all() {
    local m
    [ -d "$root" ] || return 0
    while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done < <(findmnt -rn -o TARGET | grep -F "$root" | grep -E "^$root(/|$)" | sort -r)
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

mkdir -p "$cache/archives"
: >"$out/summary.txt"

# 1. The minbase tree, once.
if [ ! -s "$tarball" ]; then
    if ! command -v debootstrap >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
            </dev/null || exit 1
    fi
    rm -rf "$cache/base"
    log "debootstrap --variant=minbase $suite (once; kept in $tarball)"
    debootstrap --variant=minbase "$suite" "$cache/base" "$mirror" >"$out/debootstrap.log" 2>&1 ||
        { log "debootstrap failed, see $out/debootstrap.log"; exit 1; }
    tar -C "$cache/base" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" && rm -rf "$cache/base"
fi

# 2. A new root filesystem from it.
unmount_all
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$tarball" || exit 1
cp /etc/resolv.conf "$root/etc/resolv.conf"
# What a Debian installation points apt at.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF

# The root a mount point of its own, as on a machine: `ip netns exec` remounts / as a
# slave in its mount namespace, which fails on a plain directory. Nothing propagates back.
mount --bind "$root" "$root"
mount --make-rslave "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount -t tmpfs tmpfs "$root/run"
mkdir -p "$root/run/lock"
# Reuse downloaded .deb files between runs (apt still installs every package).
mount --bind "$cache/archives" "$root/var/cache/apt/archives"

# The clone's source: a bundle of HEAD; the corpus beside it, as in CI.
head=$(git -C "$repo" rev-parse HEAD) || exit 1
mkdir -p "$root/root/src"
git -C "$repo" bundle create "$root/root/src/tcpshake.bundle" HEAD 2>/dev/null || exit 1
if [ -d "$shared" ]; then
    cp -a "$shared" "$root/root/src/shared"
else
    log "warning: no $shared to copy; the corpus suites will fail under CI"
fi
log "repository $repo at $head"

# in_root SCRIPT: run SCRIPT with bash in the chroot as root, with a clean environment
# and no standard input.
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "$1" </dev/null
}
packages() { in_root "dpkg-query -W -f='\${Package}\n' | sort" >"$1"; }

# 3. What must exist before the README's first command: make and git.
packages "$out/pkgs.0"
in_root 'for c in make git gcc python3 ip; do command -v $c >/dev/null || echo -n "$c "; done' \
    >"$out/before.txt" 2>&1
log "before: not installed: $(cat "$out/before.txt")"
t0=$SECONDS
in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make git' \
    >"$out/prereq.log" 2>&1 || { log "apt-get install make git failed"; exit 1; }
log "apt-get install make git: $((SECONDS - t0)) s"
in_root 'cd /root/src && git clone -q tcpshake.bundle tcpshake && git -C tcpshake log -1 --format=%H' \
    >"$out/clone.log" 2>&1 || { log "clone failed: $(cat "$out/clone.log")"; exit 1; }
packages "$out/pkgs.1"

# 4. The README's two commands.
t0=$SECONDS
in_root 'cd /root/src/tcpshake && make demo' >"$out/demo.log" 2>&1
demo_rc=$?
demo_s=$((SECONDS - t0))
packages "$out/pkgs.2"
log "make demo: exit $demo_rc, $demo_s s; installed: $(comm -13 "$out/pkgs.1" "$out/pkgs.2" | wc -l) packages"

t0=$SECONDS
in_root 'cd /root/src/tcpshake && CI=true make check </dev/null' >"$out/check.log" 2>&1
check_rc=$?
check_s=$((SECONDS - t0))
packages "$out/pkgs.3"
log "CI=true make check: exit $check_rc, $check_s s; installed: $(comm -13 "$out/pkgs.2" "$out/pkgs.3" | wc -l) more packages"
log "last lines of make check: $(tail -1 "$out/check.log")"

# The requested packages, as the Makefile's deps target announced them.
grep -h '^installing Debian packages:' "$out/demo.log" "$out/check.log" | tee -a "$out/summary.txt"
comm -13 "$out/pkgs.1" "$out/pkgs.2" >"$out/installed-by-demo.txt"
comm -13 "$out/pkgs.2" "$out/pkgs.3" >"$out/installed-by-check.txt"

# Nothing of the tests may be left behind in the root filesystem.
left=$(findmnt -rn -o TARGET | grep -E "^$root/run/netns/" | tr '\n' ' ')
[ -z "$left" ] || log "warning: network namespaces left behind: $left"

[ $demo_rc -eq 0 ] && [ $check_rc -eq 0 ]
