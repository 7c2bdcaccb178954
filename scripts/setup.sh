#!/usr/bin/env bash
# Everything vrrpd needs on a fresh Debian/Ubuntu machine, from nothing: the system tools the lab
# tests and the demo drive (iproute2, tcpdump, a real keepalived peer, nginx, ping, systemd-analyze
# for the unit test, setpriv for the privilege lab test, nft for vrrp_strict; the aarch64 cross
# compiler and qemu-user for the arm64 prebuild and its load test; rpmbuild, rpm2cpio, cpio,
# rpmlint, lintian and mandoc for `npm run release` and its test), then the node modules and the
# native addon (npm ci builds it with node-gyp where no prebuild fits). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iproute2 tcpdump keepalived nginx iputils-ping procps nftables g++ make python3 systemd util-linux
  g++-aarch64-linux-gnu qemu-user rpm rpm2cpio cpio rpmlint lintian mandoc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d 101: the packages' postinst must not start keepalived/nginx on the host itself;
  # tests start their own copies inside network namespaces.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((created_policy)); then rm -f "$policy"; fi
fi

# node-gyp builds the addon against the installed Node's own headers (no download).
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node.h ]]; then export npm_config_nodedir=/usr; fi
npm ci --no-audit --no-fund
