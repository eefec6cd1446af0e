#!/usr/bin/env bash
# Prepares everything the kernel-matrix runner (runner/src/vm.ts) needs, in a cache directory:
#
#   bash runner/setup.sh [KERNEL ...]        KERNEL: 5.10 6.1 6.12 6.18 7.3, or "all" (default: 5.10 6.1)
#
#   $BPFLENS_RUNNER_CACHE (default <repo>/.cache/runner)
#     apt/<suite-set>/            private apt configuration, lists and cache (nothing is installed from them)
#     kernels/<series>/vmlinux    the uncompressed ELF kernel (carries the PVH note QEMU boots directly)
#     kernels/<series>/vmlinuz    the package's compressed kernel (vmlinux is rebuilt from it if missing)
#     kernels/<series>/info       package=, version=, release= (uname -r), suite-set=
#     loader/bpfload              runner/loader/bpfload.c linked statically against libbpf.a
#     initramfs/base.cpio.gz      busybox + bpfload + /init, padded to 4 bytes (a job cpio is appended)
#
# Host packages come from the host's own apt (installed only when missing, needs root). Kernel
# packages of other suites are downloaded with private apt configurations and unpacked with
# dpkg-deb; they are never installed. The recipe boots without modules (8250 serial, NVMe and the
# initrd are built into every Debian cloud kernel), so no .ko is extracted.
# Idempotent: every step is skipped when its output exists and its input did not change.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BPFLENS_RUNNER_CACHE:-$ROOT/.cache/runner}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
# One setup at a time per cache: test files run in parallel and each may ask for the same kernels.
exec 9>"$CACHE/.setup.lock"
flock 9
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR="${BPFLENS_DEBIAN_MIRROR:-http://deb.debian.org}"

say() { echo "runner-setup: $*"; }
trap 'echo "runner-setup: error: command failed at runner/setup.sh line $LINENO" >&2' ERR
die() { echo "runner-setup: error: $*" >&2; exit 1; }
t_start=$(date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

KERNELS=("$@")
[ "${#KERNELS[@]}" -gt 0 ] || KERNELS=(5.10 6.1)
[ "${KERNELS[0]}" = all ] && KERNELS=(5.10 6.1 6.12 6.18 7.3)

# ---- kernels: series -> suite set, package-name pattern ------------------------------------------
suite_of() {
  case "$1" in
    5.10) echo bullseye ;;
    6.1|6.12) echo bookworm ;;
    6.18|7.3) echo trixie ;;
    *) die "unknown kernel '$1' (known: 5.10 6.1 6.12 6.18 7.3)" ;;
  esac
}
pattern_of() {
  case "$1" in
    5.10) echo '^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$' ;;
    6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
    6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
    # 6.18 is only in trixie-backports; the signed image carries the same vmlinuz.
    6.18) echo '^linux-image-6\.18\.[0-9]+\+deb13-cloud-amd64(-unsigned)?$' ;;
    # Since 7.x linux-image-* is a metapackage; the kernel itself is in linux-binary-*.
    7.3) echo '^linux-binary-7\.3\.[0-9]+\+deb13-cloud-amd64$' ;;
  esac
}
sources_of() {
  local d="$MIRROR/debian" s="$MIRROR/debian-security"
  case "$1" in
    bullseye) printf 'deb [signed-by=%s] %s bullseye main\ndeb [signed-by=%s] %s bullseye-security main\n' "$KEYRING" "$d" "$KEYRING" "$s" ;;
    bookworm) printf 'deb [signed-by=%s] %s bookworm main\ndeb [signed-by=%s] %s bookworm-updates main\ndeb [signed-by=%s] %s bookworm-security main\n' "$KEYRING" "$d" "$KEYRING" "$d" "$KEYRING" "$s" ;;
    trixie) printf 'deb [signed-by=%s] %s trixie main\ndeb [signed-by=%s] %s trixie-backports main\ndeb [signed-by=%s] %s trixie-security main\n' "$KEYRING" "$d" "$KEYRING" "$d" "$KEYRING" "$s" ;;
  esac
}
for k in "${KERNELS[@]}"; do suite_of "$k" >/dev/null; done

# ---- 1. host packages -----------------------------------------------------------------------------
PKGS=(qemu-system-x86 busybox-static libbpf-dev libelf-dev zlib1g-dev libzstd-dev gcc libc6-dev binutils cpio lz4 zstd xz-utils debian-archive-keyring)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing host packages (${missing[*]}); run as root or install them with apt-get"
  t=$(date +%s%N)
  say "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed (no network to the Debian mirrors?)"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  say "host packages installed in $(ms_since "$t") ms"
else
  say "host packages present"
fi

# ---- 2. kernels -----------------------------------------------------------------------------------
apt_private() { # suite-set, apt-get/apt-cache, args...
  local a="$CACHE/apt/$1" tool="$2"
  shift 2
  "$tool" -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.list.d" \
    -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o Dir::State::status="$a/status" \
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$a/preferences.d" \
    -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Acquire::Languages=none \
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}
apt_ready=""
apt_update() { # suite-set; once per run and only when a kernel of that set is missing
  local s="$1" a="$CACHE/apt/$1"
  case " $apt_ready " in *" $s "*) return 0 ;; esac
  mkdir -p "$a/sources.list.d" "$a/preferences.d" "$a/lists/partial" "$a/cache/archives/partial"
  touch "$a/status"
  sources_of "$s" > "$a/sources.list"
  # Lists younger than a day are good enough to find a kernel package; skip the network then.
  if [ -n "$(find "$a/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1 || true)" ] \
     && [ "$(cat "$a/sources.list.used" 2>/dev/null)" = "$(cat "$a/sources.list")" ]; then
    apt_ready="$apt_ready $s"
    return 0
  fi
  local t=$(date +%s%N)
  say "apt update ($s, private lists in $a)"
  apt_private "$s" apt-get -qq --error-on=any update || die "apt-get update for $s failed: cannot reach $MIRROR (network to the Debian mirrors needed)"
  say "apt update ($s) took $(ms_since "$t") ms"
  cp "$a/sources.list" "$a/sources.list.used"
  apt_ready="$apt_ready $s"
}

# Finds the uncompressed kernel inside a bzImage: tries every LZ4 (legacy), ZSTD, XZ and gzip magic
# offset until one decompresses into an ELF with a Xen PVH note.
extract_vmlinux() { # vmlinuz, out
  local in="$1" out="$2" tmp="$2.tmp" magic tool off
  for spec in '\x02\x21\x4c\x18:lz4' '\x28\xb5\x2f\xfd:zstd' '\xfd\x37\x7a\x58\x5a\x00:xz' '\x1f\x8b\x08:gzip'; do
    magic="${spec%%:*}" tool="${spec##*:}"
    for off in $(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1 | head -5); do
      tail -c +"$((off + 1))" "$in" | "$tool" -dc > "$tmp" 2>/dev/null || true
      if [ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] && readelf -n "$tmp" 2>/dev/null | grep -q 'Xen'; then
        mv "$tmp" "$out"
        return 0
      fi
    done
  done
  rm -f "$tmp"
  return 1
}

fetch_kernel() { # series
  local k="$1" dir="$CACHE/kernels/$1" suite pat t
  suite="$(suite_of "$k")" pat="$(pattern_of "$k")"
  if [ -s "$dir/vmlinux" ] && [ -s "$dir/info" ]; then
    say "kernel $k cached ($(grep '^release=' "$dir/info" | cut -d= -f2))"
    return 0
  fi
  mkdir -p "$dir"
  if [ ! -s "$dir/vmlinuz" ] || [ ! -s "$dir/info" ]; then
    apt_update "$suite"
    # Newest first; the mirror lists some bullseye-security ABIs whose .deb is gone (404), so fall back.
    local names pkg ok="" deb work="$dir/work"
    names="$(apt_private "$suite" apt-cache pkgnames | grep -E "$pat" | sort -rV | head -6 || true)"
    [ -n "$names" ] || die "no package matching $pat in $suite"
    rm -rf "$work" && mkdir -p "$work"
    for pkg in $names; do
      t=$(date +%s%N)
      say "downloading $pkg ($suite)"
      if (cd "$work" && apt_private "$suite" apt-get -qq download "$pkg" >/dev/null 2>&1); then
        ok="$pkg"
        say "downloaded $pkg in $(ms_since "$t") ms"
        break
      fi
      say "  $pkg: download failed, trying an older one"
    done
    [ -n "$ok" ] || die "could not download any of: $names"
    deb="$(ls "$work"/*.deb | head -1)"
    local version
    version="$(dpkg-deb -f "$deb" Version)"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards --no-wildcards-match-slash \
      './boot/vmlinuz-*' './usr/lib/modules/*/vmlinuz*' 2>/dev/null || true
    local vmlinuz release
    vmlinuz="$(find "$work" -name 'vmlinuz*' -type f 2>/dev/null | head -1 || true)"
    [ -n "$vmlinuz" ] || die "no vmlinuz in $deb"
    case "$vmlinuz" in
      */boot/vmlinuz-*) release="${vmlinuz##*/vmlinuz-}" ;;
      *) release="$(basename "$(dirname "$vmlinuz")")" ;;
    esac
    mv "$vmlinuz" "$dir/vmlinuz"
    printf 'series=%s\npackage=%s\nversion=%s\nrelease=%s\nsuite-set=%s\n' "$k" "$ok" "$version" "$release" "$suite" > "$dir/info"
    rm -rf "$work"
  fi
  t=$(date +%s%N)
  extract_vmlinux "$dir/vmlinuz" "$dir/vmlinux" || die "could not extract a PVH-bootable vmlinux from $dir/vmlinuz"
  say "kernel $k: $(grep '^package=' "$dir/info" | cut -d= -f2) $(grep '^version=' "$dir/info" | cut -d= -f2), vmlinux $(( $(stat -c %s "$dir/vmlinux") / 1048576 )) MB extracted in $(ms_since "$t") ms"
}
for k in "${KERNELS[@]}"; do fetch_kernel "$k"; done

# ---- 3. static loader -----------------------------------------------------------------------------
SRC="$ROOT/runner/loader/bpfload.c"
LOADER="$CACHE/loader/bpfload"
mkdir -p "$CACHE/loader"
src_sum="$(sha256sum "$SRC" | cut -d' ' -f1)"
if [ -x "$LOADER" ] && [ "$(cat "$CACHE/loader/source.sha256" 2>/dev/null)" = "$src_sum" ]; then
  say "static loader cached"
else
  t=$(date +%s%N)
  gcc -O2 -Wall -static -o "$LOADER.tmp" "$SRC" -lbpf -lelf -lz -lzstd || die "building the static loader failed"
  mv "$LOADER.tmp" "$LOADER"
  echo "$src_sum" > "$CACHE/loader/source.sha256"
  say "built static loader $LOADER ($(( $(stat -c %s "$LOADER") / 1024 )) KB) in $(ms_since "$t") ms"
fi

# ---- 4. initramfs ---------------------------------------------------------------------------------
INITRD="$CACHE/initramfs/base.cpio.gz"
INIT_SRC="$ROOT/runner/guest-init.sh"
mkdir -p "$CACHE/initramfs"
BUSYBOX="$(command -v busybox || echo /bin/busybox)"
init_sum="$( (sha256sum "$LOADER" "$INIT_SRC" "$BUSYBOX" | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)"
if [ -s "$INITRD" ] && [ "$(cat "$CACHE/initramfs/inputs.sha256" 2>/dev/null)" = "$init_sum" ]; then
  say "initramfs cached"
else
  t=$(date +%s%N)
  tree="$CACHE/initramfs/tree"
  rm -rf "$tree"
  mkdir -p "$tree"/{bin,dev,proc,sys,tmp,jobs,out}
  cp "$BUSYBOX" "$tree/bin/busybox"
  for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "$tree/bin/$a"; done
  cp "$LOADER" "$tree/bin/bpfload"
  install -m 0755 "$INIT_SRC" "$tree/init"
  (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1 > "$INITRD.tmp")
  # The job archive is appended uncompressed; the kernel ignores it unless it starts 4-byte aligned.
  size=$(stat -c %s "$INITRD.tmp")
  pad=$(( (4 - size % 4) % 4 ))
  [ "$pad" = 0 ] || head -c "$pad" /dev/zero >> "$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$tree"
  echo "$init_sum" > "$CACHE/initramfs/inputs.sha256"
  say "built initramfs $INITRD ($(( $(stat -c %s "$INITRD") / 1024 )) KB) in $(ms_since "$t") ms"
fi

say "ready in $CACHE (kernels: ${KERNELS[*]}) after $(ms_since "$t_start") ms"
