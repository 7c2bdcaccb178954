#!/usr/bin/env bash
# lab-rootfs.sh [DIR]: the Debian bookworm tree the systemd lab boots (test/lab/systemd.test.ts, npm
# run demo -- --systemd), built with debootstrap from the Debian mirror apt already uses here, kept
# outside the repo (default /var/cache/vrrpd-lab/bookworm-systemd) and rebuilt only when missing or
# when its package list changes. Containers never write to it: each boots an overlay of its own
# (lab/systemd.ts). Needs the network only when it builds. scripts/setup.sh runs it.
set -euo pipefail

dir=${1:-${VRRPD_LAB_ROOTFS:-/var/cache/vrrpd-lab/bookworm-systemd}}
# systemd as PID 1 (systemd-sysv: /sbin/init), dbus for systemctl, iproute2 to look at the VIPs;
# the vrrpd deb's own dependencies except nodejs (the lab installs a local nodejs package).
include=systemd,systemd-sysv,dbus,iproute2,libstdc++6,procps
stamp="bookworm minbase $include"

if [[ -f $dir/.vrrpd-lab && $(cat "$dir/.vrrpd-lab") == "$stamp" ]]; then
  echo "lab-rootfs: $dir is up to date"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "lab-rootfs: no debootstrap (apt-get install debootstrap; scripts/setup.sh does)" >&2; exit 1; }
# The mirror apt uses here (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\/\?\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

parent=$(dirname "$dir")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "lab-rootfs: debootstrap bookworm from $mirror into $dir"
debootstrap --variant=minbase --include="$include" bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
  { tail -20 "$tmp/log" >&2; echo "lab-rootfs: debootstrap failed (log above)" >&2; exit 1; }
# No getty on the console nspawn pipes, and no apt timers waking up during a test.
chroot "$tmp/root" systemctl mask console-getty.service apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
echo "$stamp" >"$tmp/root/.vrrpd-lab"
rm -rf "$dir"
mv "$tmp/root" "$dir"
echo "lab-rootfs: $dir built"
