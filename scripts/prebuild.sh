#!/usr/bin/env bash
# npm run prebuilds [-- ARCH...]: the native addon for each architecture vrrpd ships prebuilt, into
# prebuilds/linux-<arch>/vrrpd_native.node (ARCH: x64, arm64; default both; PREBUILD_DIR=DIR writes
# DIR/linux-<arch>/ instead). One N-API build per
# architecture serves Node 20, 22 and 24. x64 is built by the host's g++, arm64 by Debian's
# cross compiler (g++-aarch64-linux-gnu), both by node-gyp from native/binding.gyp. Each must stay
# within RHEL 8's GLIBC_2.28 / GLIBCXX_3.4.25 / CXXABI_1.3.11 (what each needs is printed;
# scripts/check-elf-ceiling.sh is the release's check). Each build runs in a scratch copy of native/,
# so native/build (the build from source, loaded where no prebuild is fresher) is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

die() {
  echo "prebuild: $*" >&2
  exit 1
}

archs=("$@")
((${#archs[@]})) || archs=(x64 arm64)

# npm's own node-gyp: on PATH under npm run, named by npm_config_node_gyp under npx, else found
# next to npm itself.
npm_gyp=$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/../node_modules/node-gyp/bin/node-gyp.js
if command -v node-gyp >/dev/null; then
  gyp=(node-gyp)
elif [[ -n ${npm_config_node_gyp:-} ]]; then
  gyp=(node "$npm_config_node_gyp")
elif [[ -f $npm_gyp ]]; then
  gyp=(node "$npm_gyp")
else
  die "no node-gyp (npm's own is used: run it as npm run prebuilds)"
fi
out=${PREBUILD_DIR:-prebuilds}
# N-API and libuv headers: the installed Node's own (Debian: /usr/include/node), as scripts/setup.sh does.
nodedir=${npm_config_nodedir:-}
if [[ -z $nodedir && -f /usr/include/node/node_api.h ]]; then nodedir=/usr; fi
[[ -n $nodedir ]] || die "no Node headers: set npm_config_nodedir to a Node prefix with include/node/node_api.h"

scratch=
cleanup() { [[ -z $scratch ]] || rm -rf "$scratch"; }
trap cleanup EXIT

for arch in "${archs[@]}"; do
  case $arch in
    x64) machine='Advanced Micro Devices X86-64' cross=() ;;
    arm64)
      machine='AArch64'
      command -v aarch64-linux-gnu-g++ >/dev/null || die "no aarch64-linux-gnu-g++: apt-get install g++-aarch64-linux-gnu (scripts/setup.sh does)"
      cross=(env CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar)
      ;;
    *) die "unknown architecture '$arch' (x64 or arm64)" ;;
  esac
  scratch=$(mktemp -d "$root/.prebuild-$arch.XXXXXX")
  cp native/binding.gyp native/*.cc native/*.h "$scratch/"
  echo "prebuild: linux-$arch"
  "${cross[@]}" "${gyp[@]}" rebuild --arch="$arch" --nodedir="$nodedir" --directory="$scratch" --loglevel=warn
  built=$scratch/build/Release/vrrpd_native.node
  got=$(readelf -h "$built" | sed -n 's/^ *Machine: *//p')
  [[ $got == "$machine" ]] || die "linux-$arch: built for '$got', not '$machine'"
  target=$out/linux-$arch/vrrpd_native.node
  mkdir -p "$out/linux-$arch"
  cp "$built" "$target"
  rm -rf "$scratch"
  scratch=
  # Each version name on its own: one mixed sort -V would rank GLIBC_2.x above GLIBCXX_3.4.x.
  needs=()
  for name in GLIBC GLIBCXX CXXABI; do
    top=$(objdump -T "$target" | grep -o "${name}_[0-9.]*" | sort -uV | tail -1 || true)
    needs+=("${top:-no ${name}_}")
  done
  echo "prebuild: $target $(stat -c %s "$target") bytes, needs ${needs[*]}"
done
