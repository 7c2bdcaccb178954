#!/usr/bin/env bash
# deb-build.sh TGZ ARCH VERSION WORKDIR OUTDIR - the deb of the npm tarball TGZ for ARCH (amd64,
# arm64), laid out as the RPM: /usr/lib/vrrpd (the package, this architecture's addon only),
# /usr/sbin/vrrpd, the unit, the sysusers.d file, /etc/vrrpd.conf and /etc/sysconfig/vrrpd as
# conffiles, the man pages gzipped, README.md, CHANGELOG.md and docs/ in /usr/share/doc/vrrpd, the licence as /usr/share/doc/vrrpd/copyright, lintian's
# overrides. VRRPD_MAINTAINER names who publishes it (default a placeholder). Maintainer
# scripts and control from packaging/deb/. scripts/release.sh runs it; SOURCE_DATE_EPOCH must be
# set (every mtime is clamped to it, so the .deb is the same byte for byte from the same commit).
set -euo pipefail

if (($# != 5)); then
  echo "usage: $0 TGZ ARCH VERSION WORKDIR OUTDIR" >&2
  exit 2
fi
tgz=$1 arch=$2 version=$3 work=$4 out=$5
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
src=$(cd "$(dirname "$0")/.." && pwd)
case $arch in
  amd64) keep=linux-x64 ;;
  arm64) keep=linux-arm64 ;;
  *) echo "deb-build: no prebuilt addon for $arch" >&2; exit 2 ;;
esac

umask 022
rm -rf "$work"
root=$work/root
lib=$root/usr/lib/vrrpd
mkdir -p "$lib" "$root/DEBIAN"
tar -xzf "$tgz" -C "$lib" --strip-components=1 --no-same-owner
# Every other platform's prebuilt binaries (ours, the bundled modules'): this deb runs on $arch only.
while IFS= read -r -d '' dir; do
  for d in "$dir"/*; do [[ ${d##*/} == "$keep" ]] || rm -rf "$d"; done
done < <(find "$lib" -type d -name prebuilds -print0)

# The docs where Debian keeps them, as the rpm does (/etc/vrrpd.conf's comments name them there).
install -d "$root/usr/share/doc/vrrpd"
mv "$lib/README.md" "$lib/CHANGELOG.md" "$lib/docs" "$root/usr/share/doc/vrrpd/"
install -D -m 0755 "$src/packaging/vrrpd.sbin" "$root/usr/sbin/vrrpd"
install -D -m 0644 "$lib/systemd/vrrpd.service" "$root/usr/lib/systemd/system/vrrpd.service"
install -D -m 0644 "$lib/systemd/vrrpd.sysusers" "$root/usr/lib/sysusers.d/vrrpd.conf"
install -D -m 0640 "$lib/etc/vrrpd.conf" "$root/etc/vrrpd.conf"
install -D -m 0644 "$lib/etc/sysconfig/vrrpd" "$root/etc/sysconfig/vrrpd"
for page in vrrpd.8 vrrpd.conf.5; do
  section=${page##*.}
  install -d "$root/usr/share/man/man$section"
  gzip -9n <"$lib/dist/man/$page" >"$root/usr/share/man/man$section/$page.gz"
done
install -D -m 0644 "$lib/LICENSE" "$root/usr/share/doc/vrrpd/copyright"
maintainer=${VRRPD_MAINTAINER:-vrrpd maintainers <vrrpd@example.org>}
sed -e "s/@VERSION@/$version/" -e "s/@COMMIT@/${VRRPD_COMMIT:-unknown}/" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s/@DATE@/$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")/" "$src/packaging/deb/changelog.in" |
  gzip -9n >"$root/usr/share/doc/vrrpd/changelog.Debian.gz"
install -D -m 0644 "$src/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/vrrpd"

# Depends: the distribution's node (>= 22: NodeSource's nodejs on Debian 12/13 and Ubuntu 24.04),
# systemd (the unit, systemd-sysusers), and the C/C++ runtimes the addon links (RHEL 8's ceiling
# is far below what these distributions have, so the versions are that ceiling's).
libs='libc6 (>= 2.28)'
if readelf -d "$lib/prebuilds/$keep/vrrpd_native.node" | grep -q 'NEEDED.*libstdc++'; then libs+=', libstdc++6 (>= 8)'; fi
size=$(du -sk --apparent-size "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@LIBS@/$libs/" -e "s|@MAINTAINER@|$maintainer|" \
  "$src/packaging/deb/control.in" >"$root/DEBIAN/control"
install -m 0644 "$src/packaging/deb/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$src/packaging/deb/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$out/vrrpd_${version}-1_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "deb-build: $deb"
