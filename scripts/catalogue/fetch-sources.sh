#!/usr/bin/env bash
# Downloads Debian's kernel source packages (linux-source-X) into .cache/kernel-src/ and extracts
# from each only the files the verifier catalogue reads. Nothing is installed: every suite gets a
# private apt configuration (its own sources, lists and cache under .cache/kernel-src/apt/), so this
# runs without root and leaves the system's apt state alone.
#
#   bash scripts/catalogue/fetch-sources.sh            # 5.10 (bullseye), 6.1 (bookworm), newest others
#   KEEP_DEB=1 ...   keep the .deb files (~150 MB each) in .cache/kernel-src/deb/
#   FORCE=1 ...      extract again even if the version is already there
#   SERIES="6.12 7.2 7.3" ...  which trixie/trixie-backports series to take (default: 6.12 and the newest)
#
# Result: .cache/kernel-src/<major.minor>/<path in the kernel tree> for every file that prints to
# the log, .cache/kernel-src/<major.minor>/.files (their list) and
# .cache/kernel-src/versions.tsv (major.minor, package, Debian version, suite), the input of
# extract.mjs. A series is extracted once; FORCE=1 extracts again.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${KERNEL_SRC_DIR:-$ROOT/.cache/kernel-src}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security

# Parts of the kernel tree searched for code that prints to the program-load (verifier) log. Only
# the files that call one of PRINTERS are kept (kernel/bpf/verifier.c, log.c, btf.c, ... and the
# net/ and kernel/trace/ callbacks that write into the same log).
TREES=(kernel net include/linux)
PRINTERS='verbose\(env|verbose\(cbs|bpf_log\(|bpf_verifier_log_write\(|btf_verifier_log|verbose_invalid_scalar\(|__btf_verifier_log'
# Always kept, even if they print nothing themselves: the printers' declarations, and 7.3's
# diagnostics.c, whose bpf_diag_*() reports give each message the kernel's own category.
ALWAYS=(include/linux/bpf_verifier.h kernel/bpf/verifier.c kernel/bpf/log.c kernel/bpf/btf.c
        kernel/bpf/diagnostics.c kernel/bpf/diagnostics.h)

mkdir -p "$W"

# apt_for NAME SOURCES-LINES...: a private apt for one group of suites, lists refreshed once per run.
apt_for() {
  local name=$1; shift
  local d=$W/apt/$name
  mkdir -p "$d/sources.list.d" "$d/lists/partial" "$d/cache/archives/partial" "$d/prefs.d"
  printf '%s\n' "$@" > "$d/sources.list"
  APT=(apt-get -q -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/sources.list.d"
       -o Dir::Etc::PreferencesParts="$d/prefs.d" -o Dir::Etc::Preferences="$d/prefs"
       -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  APTCACHE=(apt-cache -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/sources.list.d"
       -o Dir::Etc::PreferencesParts="$d/prefs.d" -o Dir::Etc::Preferences="$d/prefs"
       -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache")
  if ! "${APT[@]}" update >"$d/update.log" 2>&1; then
    echo "warning: apt update for $name failed (see $d/update.log)" >&2
    return 1
  fi
  grep -E '^(Err|W:)' "$d/update.log" >&2 || true
}

# Newest candidate of every linux-source-X.Y package the current private apt lists, one per line:
# "X.Y<TAB>package<TAB>version".
candidates() {
  "${APTCACHE[@]}" pkgnames linux-source- 2>/dev/null | grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -u |
  while read -r pkg; do
    local v
    v=$("${APTCACHE[@]}" policy "$pkg" | awk '/Candidate:/ {print $2}')
    [ -n "$v" ] && [ "$v" != "(none)" ] && printf '%s\t%s\t%s\n' "${pkg#linux-source-}" "$pkg" "$v"
  done
}

# fetch SERIES PKG VERSION SUITE-NAME: download the .deb (unless cached) and keep, under $W/SERIES,
# the files of TREES that call a printer, plus ALWAYS.
fetch() {
  local series=$1 pkg=$2 ver=$3 suite=$4
  local out=$W/$series
  if [ -f "$out/.version" ] && [ "$(cat "$out/.version")" = "$ver" ] && [ "${FORCE:-0}" != 1 ]; then
    echo "$series: $pkg $ver already extracted"
    return 0
  fi
  local dl=$W/deb
  mkdir -p "$dl"
  # apt names the file pkg_VERSION_all.deb with the epoch's colon escaped.
  local deb=$dl/${pkg}_${ver//:/%3a}_all.deb
  if [ ! -f "$deb" ]; then
    echo "$series: downloading $pkg $ver ($suite)"
    if ! (cd "$dl" && "${APT[@]}" download "$pkg=$ver" >/dev/null); then
      echo "warning: could not download $pkg=$ver from $suite" >&2
      return 1
    fi
  fi
  [ -f "$deb" ] || deb=$(ls -t "$dl"/"${pkg}"_*.deb | head -1)
  # The .deb carries /usr/src/linux-source-X.Y.tar.xz; read it as a stream, never install it.
  local tarball
  tarball=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '/usr/src/linux-source-[0-9.]+\.tar\.(xz|bz2|gz)$' | head -1)
  if [ -z "$tarball" ]; then echo "warning: no source tarball in $deb" >&2; return 1; fi
  local tmp=$W/tmp-$series
  rm -rf "$tmp"; mkdir -p "$tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$tarball"
  local top
  top=$(basename "$tarball"); top=${top%.tar.*}
  local trees=()
  for t in "${TREES[@]}"; do trees+=("$top/$t"); done
  rm -rf "$out"; mkdir -p "$out"
  tar -x -f "$tmp/$tarball" -C "$tmp" "${trees[@]}" "$top/Makefile"
  {
    (cd "$tmp/$top" && grep -rlE --include='*.c' --include='*.h' "$PRINTERS" "${TREES[@]}" || true)
    printf '%s\n' "${ALWAYS[@]}"
  } | sort -u | while read -r m; do
    if [ -f "$tmp/$top/$m" ]; then mkdir -p "$out/$(dirname "$m")"; cp "$tmp/$top/$m" "$out/$m"; fi
  done
  # Makefile's first lines name the exact upstream version.
  head -5 "$tmp/$top/Makefile" > "$out/Makefile.head"
  (cd "$out" && find . -type f -name '*.[ch]' | sed 's|^\./||' | sort) > "$out/.files"
  rm -rf "$tmp"
  [ "${KEEP_DEB:-0}" = 1 ] || rm -f "$deb"
  echo "$ver" > "$out/.version"
  printf '%s\t%s\t%s\t%s\n' "$series" "$pkg" "$ver" "$suite" > "$out/.meta"
  echo "$series: extracted $(cd "$out" && find . -name '*.[ch]' | wc -l) files"
}

SIGNED="[signed-by=$KEYRING]"

# 5.10 from bullseye (+ security).
if apt_for bullseye "deb $SIGNED $MIRROR bullseye main" "deb $SIGNED $SECURITY bullseye-security main"; then
  line=$(candidates | awk -F'\t' '$1=="5.10"' | head -1)
  if [ -n "$line" ]; then IFS=$'\t' read -r s p v <<<"$line"; fetch "$s" "$p" "$v" bullseye || true
  else echo "warning: linux-source-5.10 not listed in bullseye" >&2; fi
fi

# 6.1 from bookworm (+ updates, security).
if apt_for bookworm "deb $SIGNED $MIRROR bookworm main" "deb $SIGNED $MIRROR bookworm-updates main" \
                    "deb $SIGNED $SECURITY bookworm-security main"; then
  line=$(candidates | awk -F'\t' '$1=="6.1"' | head -1)
  if [ -n "$line" ]; then IFS=$'\t' read -r s p v <<<"$line"; fetch "$s" "$p" "$v" bookworm || true
  else echo "warning: linux-source-6.1 not listed in bookworm" >&2; fi
fi

# trixie (+ security, backports): 6.12 and every newer series listed (SERIES limits the set).
if apt_for trixie "deb $SIGNED $MIRROR trixie main" "deb $SIGNED $SECURITY trixie-security main" \
                  "deb $SIGNED $MIRROR trixie-backports main"; then
  candidates | sort -t. -k1,1n -k2,2n > "$W/apt/trixie/candidates.tsv"
  echo "trixie lists: $(cut -f2,3 "$W/apt/trixie/candidates.tsv" | tr '\t\n' '= ')"
  # Default: 6.12 (LTS) and the newest series (SERIES="6.12 7.2 7.3" picks others).
  want=${SERIES:-"6.12 $(tail -1 "$W/apt/trixie/candidates.tsv" | cut -f1)"}
  for s in $(printf '%s\n' $want | sort -u); do
    line=$(awk -F'\t' -v s="$s" '$1==s' "$W/apt/trixie/candidates.tsv" | head -1)
    if [ -n "$line" ]; then IFS=$'\t' read -r s p v <<<"$line"; fetch "$s" "$p" "$v" trixie || true
    else echo "warning: linux-source-$s not listed in trixie/trixie-backports" >&2; fi
  done
fi

# Every series extracted so far (this run or an earlier one).
cat "$W"/*/.meta 2>/dev/null | sort -t. -k1,1n -k2,2n > "$W/versions.tsv"
echo "versions:"; cat "$W/versions.tsv"
