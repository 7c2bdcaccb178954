#!/usr/bin/env bash
# npm run release [-- OUTDIR]: every release artifact from the last commit, into OUTDIR (default
# release/): the npm tarball (bundled dependencies, compiled JavaScript, prebuilt addon, man pages),
# an RPM for EL 8/9/10 and a deb for Debian 12/13 and Ubuntu 24.04 per architecture with a prebuilt
# addon, and SHA256SUMS.
#
# Refused, naming the problem: uncommitted changes (the release is the last commit, nothing else),
# a dist/ that differs from a fresh build of that commit (the lab tests run dist/, so they tested
# something else), a .node above RHEL 8's glibc/libstdc++ ceiling, a flag of src/cli/flags.ts
# missing from vrrpd(8) or mandoc lint on the pages, rpmlint tags not justified in the spec.
#
# Reproducible: everything is built in one fixed directory (.release-stage/ of the checkout) from
# `git archive HEAD`, with SOURCE_DATE_EPOCH = the last commit's time for every timestamp; the npm
# tarball has npm's fixed mtimes and modes, the rpm and the deb root-owned entries clamped to
# SOURCE_DATE_EPOCH. test/lab/release.test.ts builds twice and compares the checksums.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/release}")
stage=$repo/.release-stage
cd "$repo"

fail() {
  echo "release: $*" >&2
  exit 1
}
step() { echo "release: $*" >&2; }

for tool in git npm node tar rpmbuild rpmlint dpkg-deb lintian mandoc readelf cmp; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
done

# 1. The tree must be the commit: no change, staged or not, no file git does not ignore.
dirty=$(git status --porcelain --untracked-files=normal)
if [[ -n $dirty ]]; then
  fail "the tree has uncommitted changes; a release is built from the last commit only - commit or stash them:
$dirty"
fi

SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
export SOURCE_DATE_EPOCH
commit=$(git rev-parse --short=12 HEAD)
version=$(node -p 'require("./package.json").version')
step "vrrpd $version from $commit (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH) into $out"

# 2. A clean copy of the commit, built from nothing.
rm -rf "$stage"
mkdir -p "$stage/src" "$out"
git archive --format=tar HEAD | tar -x -C "$stage/src"
cd "$stage/src"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp builds against the installed Node's own headers (no download), as scripts/setup.sh does.
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node.h ]]; then export npm_config_nodedir=/usr; fi
step "npm ci (dev dependencies for tsc; no install scripts: the addon is built by npm run prebuilds)"
npm ci --prefer-offline --ignore-scripts --loglevel=error >/dev/null || fail "npm ci failed in $stage/src"
npm run --silent build >/dev/null || fail "npm run build failed in $stage/src"

# 3. A stale dist/: what the tests ran is not what ships. Files tsc no longer writes (a removed
# source) do not ship and are not compared.
# dist/bundle is what ships and what bin/vrrpd runs (scripts/bundle.ts makes it from dist/src).
if [[ -d $repo/dist/src ]]; then
  stale=()
  for built in dist/src dist/bundle; do
    while IFS= read -r -d '' f; do
      rel=${f#./}
      cmp -s "$built/$rel" "$repo/$built/$rel" 2>/dev/null || stale+=("$built/$rel")
    done < <(cd "$built" && find . -type f -print0 | sort -z)
  done
  if ((${#stale[@]})); then
    more=''
    ((${#stale[@]} > 5)) && more=" and $((${#stale[@]} - 5)) more"
    fail "dist/ is stale: ${stale[*]:0:5}$more differ from (or are missing in) a fresh build of $commit; run npm run build and the tests again (the lab tests run dist/)"
  fi
fi

# 4. Man pages: lint-clean, every flag of the table in vrrpd(8).
node dist/scripts/man.js --check dist/man || fail "the man pages are not right (above); edit man/*.in, src/cli/flags.ts or scripts/man-keywords.ts"

# 5. The prebuilt addon, then the ceiling on every .node that would ship.
# (`prebuilds`, not `prebuild`: npm would run a "prebuild" script before every `npm run build`.)
node -e 'process.exit(require("./package.json").scripts?.prebuilds ? 0 : 1)' ||
  fail "package.json has no prebuilds script (npm run prebuilds builds prebuilds/linux-x64/vrrpd_native.node)"
step "npm run prebuilds"
npm run --silent prebuilds >&2 || fail "npm run prebuilds failed"
[[ -f prebuilds/linux-x64/vrrpd_native.node ]] || fail "npm run prebuilds made no prebuilds/linux-x64/vrrpd_native.node"

# 6. Runtime dependencies only, as they are bundled; then every .node of the payload.
npm ci --omit=dev --prefer-offline --ignore-scripts --loglevel=error >/dev/null || fail "npm ci --omit=dev failed"
# What the bundled modules ship for their authors, not for running them: tests, CI files, docs,
# TypeScript sources and declarations, C/C++ sources (their addons are prebuilt), musl builds (the
# targets are glibc). Licence files stay. Every package
# directory and package.json stays, so npm sees a complete bundle and fetches nothing. Files
# without a shebang lose their execute bits (a few modules ship all files 0755); the bundled
# modules' own commands (pino/bin.js, ...) keep theirs, as npm links them into node_modules/.bin.
find node_modules -depth -type d \( -name test -o -name tests -o -name __tests__ -o -name .github -o -name .husky \
  -o -name example -o -name examples -o -name benchmark -o -name benchmarks -o -name bench -o -name docs -o -name coverage \) \
  -exec rm -rf {} +
find node_modules -type f \( -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
  -o -name '*.map' -o -name '*.h' -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.gyp' -o -name '*.gypi' \
  -o -name 'tsconfig*.json' -o -name '.npmignore' -o -name '.nojekyll' -o -name '.eslintrc*' -o -name '.editorconfig' \
  -o -name '.*' -o -name '*.tsbuildinfo' -o -name '*.html' -o -name '*musl*.node' \) -not -iname 'licen[cs]e*' -delete
find node_modules -type d -empty -delete
while IFS= read -r -d '' f; do
  [[ $(head -c 2 "$f") == '#!' ]] || chmod a-x "$f"
done < <(find node_modules -type f -perm /111 -print0)
# A .node is dlopen()ed, never executed: 0644 (lintian: shared-library-is-executable).
find prebuilds -name '*.node' -exec chmod 0644 {} +
# (Only ELF files: a bundled module's macOS or Windows builds are never loaded here.)
mapfile -d '' nodes < <(find prebuilds node_modules -name '*.node' -type f -print0 | sort -z)
elf=()
for f in "${nodes[@]}"; do cmp -s -n 4 "$f" <(printf '\177ELF') && elf+=("$f"); done
"$repo/scripts/check-elf-ceiling.sh" "${elf[@]}" >"$stage/elf-ceiling.txt" ||
  fail "a shipped .node needs more than RHEL 8's GLIBC_2.28 / GLIBCXX_3.4.25 / CXXABI_1.3.11 (above)"
step "$(wc -l <"$stage/elf-ceiling.txt") .node files within RHEL 8's ceiling: $(grep -F prebuilds/ "$stage/elf-ceiling.txt" | grep -v node_modules | tr '\n' ' ')"

# 7. The npm tarball.
step "npm pack"
tgz=$(npm pack --silent --pack-destination "$stage" | tail -n1)
[[ $tgz == "vrrpd-$version.tgz" ]] || fail "npm pack made '$tgz', not vrrpd-$version.tgz"
cp "$stage/$tgz" "$out/"

# Architectures with a prebuilt addon: one rpm and one deb each.
arches=()
[[ -f prebuilds/linux-x64/vrrpd_native.node ]] && arches+=(x64)
[[ -f prebuilds/linux-arm64/vrrpd_native.node ]] && arches+=(arm64)

# 8. The RPMs.
rpm_arch() { case $1 in x64) echo x86_64 ;; arm64) echo aarch64 ;; esac; }
deb_arch() { case $1 in x64) echo amd64 ;; arm64) echo arm64 ;; esac; }
mkdir -p "$stage/rpm/SOURCES"
cp "$stage/$tgz" "$stage/src/packaging/vrrpd.sbin" "$stage/rpm/SOURCES/"
for a in "${arches[@]}"; do
  step "rpmbuild $(rpm_arch "$a")"
  rpmbuild -bb --quiet --target "$(rpm_arch "$a")" \
    --define "_topdir $stage/rpm" --define "_rpmdir $stage/rpm/RPMS" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "vrrpd_version $version" \
    --define "_buildhost reproducible" \
    --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_binary_payload w6.xzdio" --define "_binary_filedigest_algorithm 8" \
    packaging/rpm/vrrpd.spec >"$stage/rpm/build-$a.log" 2>&1 || { cat "$stage/rpm/build-$a.log" >&2; fail "rpmbuild failed ($(rpm_arch "$a"))"; }
  rpm=vrrpd-$version-1.$(rpm_arch "$a").rpm
  cp "$stage/rpm/RPMS/$rpm" "$out/"
  # rpmlint: every line it prints must be one packaging/rpm/rpmlint.toml filters, with its reason.
  [[ -f packaging/rpm/rpmlint.toml ]] || fail "packaging/rpm/rpmlint.toml is missing"
  lint=$(rpmlint -c packaging/rpm/rpmlint.toml "$out/$rpm" 2>&1 || true)
  unexplained=$(grep -E '^[^ ]+: [EW]: ' <<<"$lint" || true)
  if [[ -n $unexplained ]]; then
    fail "rpmlint on $rpm has lines packaging/rpm/rpmlint.toml does not explain:
$unexplained"
  fi
done

# 9. The debs: the same tree under /usr/lib/vrrpd, dpkg-deb with root-owned entries.
for a in "${arches[@]}"; do
  step "dpkg-deb $(deb_arch "$a")"
  VRRPD_COMMIT=$commit "$repo/scripts/deb-build.sh" "$stage/$tgz" "$(deb_arch "$a")" "$version" "$stage/deb-$a" "$out" >&2 ||
    fail "the deb for $(deb_arch "$a") failed"
  deb=vrrpd_$version-1_$(deb_arch "$a").deb
  # lintian: every tag it still prints is one the overrides do not explain.
  unexplained=$(lintian --tag-display-limit 0 "$out/$deb" 2>&1 | grep -E '^[EW]: ' || true)
  [[ -z $unexplained ]] || fail "lintian on $deb has tags packaging/deb/lintian-overrides does not explain:
$unexplained"
done

# 10. Checksums of what was built now.
cd "$out"
files=("vrrpd-$version.tgz")
for a in "${arches[@]}"; do files+=("vrrpd-$version-1.$(rpm_arch "$a").rpm" "vrrpd_$version-1_$(deb_arch "$a").deb"); done
sha256sum "${files[@]}" >SHA256SUMS
cat SHA256SUMS
