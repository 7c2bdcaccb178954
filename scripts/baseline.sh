#!/usr/bin/env bash
# scripts/baseline.sh REV [DIR]: a built checkout of git revision REV for
# `npm run bench -- --baseline DIR` (docs/performance.md "Before and after"): a detached git
# worktree of this repository in DIR (default /var/tmp/vrrpd-baseline-REV), `npm ci` (which builds
# the native addon) and `npm run build`, both under the pinned Node 24 of this checkout
# (scripts/with-node), as the bench runs. Prints DIR on stdout. Nothing of scripts/setup.sh runs:
# the machine is this one, already set up. A DIR that is already a worktree of REV is built again;
# anything else there is refused. Remove it with: git worktree remove --force DIR
set -euo pipefail

if (($# < 1 || $# > 2)); then
  echo "usage: scripts/baseline.sh REV [DIR]   e.g. scripts/baseline.sh ec89c70" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rev=$1
commit=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") || {
  echo "baseline: $rev is not a commit of $repo" >&2
  exit 1
}
short=${commit:0:12}
dir=$(realpath -m "${2:-/var/tmp/vrrpd-baseline-$short}")

if [[ -e $dir ]]; then
  have=$(git -C "$dir" rev-parse HEAD 2>/dev/null || true)
  if [[ $have != "$commit" ]]; then
    echo "baseline: $dir exists and is not a checkout of $short - name another DIR or remove it (git worktree remove --force $dir)" >&2
    exit 1
  fi
  echo "baseline: $dir is already at $short; building it again" >&2
else
  git -C "$repo" worktree add --detach "$dir" "$commit" >&2
fi

cd "$dir"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
echo "baseline: npm ci (builds the addon) in $dir" >&2
"$repo/scripts/with-node" 24 npm ci --loglevel=error >&2
echo "baseline: npm run build" >&2
"$repo/scripts/with-node" 24 npm run --silent build >&2
[[ -x bin/vrrpd && -f dist/src/cli.js ]] || {
  echo "baseline: $dir has no bin/vrrpd or dist/src/cli.js after the build" >&2
  exit 1
}
echo "$dir"
