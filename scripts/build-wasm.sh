#!/usr/bin/env bash
# Builds the DWARF reader (wasm/, Rust + gimli) to dist/bpflens_dwarf.wasm.
#
#   bash scripts/build-wasm.sh [--force]
#
# Toolchain: Debian 12's rustc 1.63 with the packaged wasm32 std (libstd-rust-dev-wasm32) and
# lld-14, and the crate sources Debian packages (gimli, object, memchr). No network access to
# crates.io or rustup is needed or attempted: the three crate packages are fetched with
# `apt-get download` and unpacked into wasm/.debian-crates, and cargo builds offline from there.
# Missing system packages are installed with apt-get (needs root; `apt-get update` only runs when
# something is missing). When dist/bpflens_dwarf.wasm is newer than every input, nothing runs.
# See wasm/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_DIR="$ROOT/wasm"
OUT="$ROOT/dist/bpflens_dwarf.wasm"
CRATES="$WASM_DIR/.debian-crates"
REGISTRY="$CRATES/usr/share/cargo/registry"
TOOL_PKGS=(rustc cargo libstd-rust-dev-wasm32 lld-14)
CRATE_PKGS=(librust-gimli-dev librust-object-dev librust-memchr-dev)
# Crate directories the build needs; versions are what Debian 12 ships.
CRATE_DIRS=(gimli-0.27 object-0.30 memchr-2.)

say() { echo "build-wasm: $*"; }
die() { echo "build-wasm: error: $*" >&2; exit 1; }

force=0
case "${1:-}" in
	--force) force=1 ;;
	"") ;;
	*) die "unknown argument '$1' (usage: scripts/build-wasm.sh [--force])" ;;
esac

# --- up to date? -------------------------------------------------------------------------
inputs=("$WASM_DIR/Cargo.toml" "$WASM_DIR/.cargo/config.toml" "${BASH_SOURCE[0]}")
while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$WASM_DIR/src" -type f -print0)
if [ "$force" = 0 ] && [ -f "$OUT" ]; then
	stale=0
	for f in "${inputs[@]}"; do
		if [ "$f" -nt "$OUT" ]; then stale=1; break; fi
	done
	if [ "$stale" = 0 ]; then
		say "dist/bpflens_dwarf.wasm is up to date"
		exit 0
	fi
fi

# --- system packages -----------------------------------------------------------------------
command -v dpkg-query >/dev/null 2>&1 \
	|| die "not a Debian system: install rustc 1.63 with the wasm32-unknown-unknown std, cargo, lld and the gimli 0.27 / object 0.30 / memchr crate sources by hand (see wasm/README.md)"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update -qq || die "apt-get update failed (no network or no Debian mirror?)"
	updated=1
}

missing=()
for p in "${TOOL_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]}; run as root, or: sudo apt-get install --no-install-recommends ${missing[*]}"
	say "installing ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install ${missing[*]} failed"
fi
for t in /usr/bin/rustc /usr/bin/cargo /usr/bin/rust-lld; do
	[ -x "$t" ] || die "$t is missing after installing ${TOOL_PKGS[*]} (is lld-14 installed? /usr/bin/rust-lld links to it)"
done
[ -d /usr/lib/rustlib/wasm32-unknown-unknown ] \
	|| die "no wasm32-unknown-unknown std in /usr/lib/rustlib (package libstd-rust-dev-wasm32)"

# --- crate sources ---------------------------------------------------------------------------
have_crates() {
	local d
	for d in "${CRATE_DIRS[@]}"; do
		compgen -G "$REGISTRY/$d*/Cargo.toml" >/dev/null || return 1
	done
}
if ! have_crates; then
	say "fetching crate sources: ${CRATE_PKGS[*]}"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && apt-get download -qq "${CRATE_PKGS[@]}" >/dev/null 2>&1); then
		# A fresh image has no package lists; `apt-get download` needs them.
		[ "$(id -u)" -eq 0 ] || die "apt-get download ${CRATE_PKGS[*]} failed; run once as root (apt-get update)"
		apt_update
		(cd "$tmp" && apt-get download -qq "${CRATE_PKGS[@]}" >/dev/null) \
			|| die "apt-get download ${CRATE_PKGS[*]} failed"
	fi
	rm -rf "$CRATES"
	mkdir -p "$CRATES"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$CRATES"; done
	have_crates || die "the downloaded packages lack one of ${CRATE_DIRS[*]} in $REGISTRY"
fi

# --- build -------------------------------------------------------------------------------------
# rustup's shims in ~/.cargo/bin would shadow Debian's toolchain (and have no wasm32 std).
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
unset RUSTUP_TOOLCHAIN RUSTFLAGS CARGO_BUILD_TARGET CARGO_TARGET_DIR
cd "$WASM_DIR"
# Debian's registry writes placeholder checksums and other toolchains resolve other versions.
rm -f Cargo.lock
say "cargo build --release (rustc $(/usr/bin/rustc --version | cut -d' ' -f2))"
start=$(date +%s)
/usr/bin/cargo build --release --offline --target wasm32-unknown-unknown --quiet \
	|| die "cargo build failed (see the errors above)"
built="$WASM_DIR/target/wasm32-unknown-unknown/release/bpflens_dwarf.wasm"
[ -f "$built" ] || die "cargo did not produce $built"
mkdir -p "$(dirname "$OUT")"
cp "$built" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
rm -f Cargo.lock
say "dist/bpflens_dwarf.wasm: $(stat -c %s "$OUT") bytes ($(($(date +%s) - start)) s)"
