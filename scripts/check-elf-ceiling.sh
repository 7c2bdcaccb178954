#!/usr/bin/env bash
# check-elf-ceiling.sh FILE... - every ELF file given (the shipped .node files) must load on RHEL 8:
# its symbol version needs (.gnu.version_r) at most GLIBC_2.28, GLIBCXX_3.4.25 and CXXABI_1.3.11,
# each name checked on its own (one mixed `sort -V` would hide GLIBCXX_3.4.29 behind GLIBC_2.28).
# A version name of those libraries that is not a plain number (GLIBC_PRIVATE, GLIBC_ABI_DT_RELR of
# binutils' -z pack-relative-relocs, glibc >= 2.36) fails too: RHEL 8 has no such version. Except
# the unnumbered names RHEL 8's libstdc++ (GCC 8) has: CXXABI_TM_1 (GCC 6), CXXABI_FLOAT128
# (GCC 7), and CXXABI_ARM_1.3.3, 32-bit ARM's EABI name since GCC 4.
# readelf reads any architecture's ELF, so the arm64 prebuild is checked on an x86-64 host as well.
# Prints one line per file (its highest need of each name); exits 1 naming every file and version
# above the ceiling, 2 on a file that is missing or not ELF.
set -euo pipefail

declare -A ceiling=([GLIBC]=2.28 [GLIBCXX]=3.4.25 [CXXABI]=1.3.11)
declare -A unnumbered_ok=([CXXABI_TM_1]=1 [CXXABI_FLOAT128]=1 [CXXABI_ARM_1.3.3]=1)
order=(GLIBC GLIBCXX CXXABI)

if (($# == 0)); then
  echo "usage: $0 FILE.node..." >&2
  exit 2
fi
command -v readelf >/dev/null || { echo "check-elf-ceiling: readelf is missing (binutils)" >&2; exit 2; }

# Is version $1 above $2? (sort -V puts the larger last)
above() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1) == "$1" ]]; }

failed=0
for file in "$@"; do
  if [[ ! -f $file ]]; then
    echo "check-elf-ceiling: $file: no such file" >&2
    exit 2
  fi
  if ! out=$(LC_ALL=C readelf -V -W "$file" 2>&1) || [[ $out == *"Not an ELF file"* ]]; then
    echo "check-elf-ceiling: $file: not an ELF file" >&2
    exit 2
  fi
  # "  0x0010:   Name: GLIBCXX_3.4.29  Flags: none  Version: 6" in the version needs section.
  mapfile -t needs < <(sed -n '/^Version needs section/,/^$/p' <<<"$out" | grep -oE 'Name: (GLIBC|GLIBCXX|CXXABI)_[A-Za-z0-9_.]+' | sed 's/^Name: //' | sort -u)
  summary=()
  for name in "${order[@]}"; do
    highest=''
    for need in "${needs[@]}"; do
      [[ $need == "${name}_"* && -z ${unnumbered_ok[$need]:-} ]] || continue
      version=${need#"${name}_"}
      if [[ ! $version =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
        echo "check-elf-ceiling: $file needs $need, which RHEL 8 does not have (ceiling ${name}_${ceiling[$name]})" >&2
        failed=1
        continue
      fi
      if above "$version" "${ceiling[$name]}"; then
        echo "check-elf-ceiling: $file needs $need, above RHEL 8's ${name}_${ceiling[$name]}" >&2
        failed=1
      fi
      if [[ -z $highest ]] || above "$version" "$highest"; then highest=$version; fi
    done
    [[ -n $highest ]] && summary+=("${name}_$highest")
  done
  echo "$file: ${summary[*]:-no versioned glibc/libstdc++ needs}"
done
exit "$failed"
