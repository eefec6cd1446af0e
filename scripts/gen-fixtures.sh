#!/usr/bin/env bash
# Regenerate the verifier-log fixtures from real loads on this machine's kernel.
#
#   sudo scripts/gen-fixtures.sh
#
# 1. compiles every test/fixtures/src/*.c to test/fixtures/obj/<name>.o
# 2. builds runner/loader/bpfload.c to .cache/bpfload
# 3. loads every program of every object at log levels 1 and 2 and writes
#    test/fixtures/logs/<program>.L<level>.{log,json,libbpf.txt}
# 4. prints a summary table and checks each program against its source's header:
#    "EXPECTED VERDICT: accepted|rejected", every "// EXPECT-LOG: <text>" line
#    must occur in the logs of both levels, every "// EXPECT-L2: <text>" line in
#    the level-2 log (fixed strings). The expectations were written for kernel
#    6.18; other kernels word some messages differently.
#
# A source containing the line "bpfload: --no-perfmon" is loaded without
# CAP_PERFMON/CAP_SYS_ADMIN (see stack_uninit.c).
#
# Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON). On Debian/Ubuntu, missing
# build packages are installed with apt-get. Exit status: 0 when everything was
# generated and every verdict matched its expectation, 1 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FIX=test/fixtures
SRC=$FIX/src
OBJ=$FIX/obj
LOGS=$FIX/logs
CACHE=.cache
LOADER=$CACHE/bpfload
LEVELS="1 2"
MAX_LOG_BYTES=$((2 * 1024 * 1024))

die() { echo "gen-fixtures: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (loading BPF programs needs CAP_BPF/CAP_PERFMON/CAP_NET_ADMIN)"

TAG=gen-fixtures
# shellcheck source=lib/bpf-env.sh
. "$ROOT/scripts/lib/bpf-env.sh"
ensure_packages
mount_bpffs

MULTIARCH="$(bpf_multiarch)"
BPF_CFLAGS=(-g -O2 -target bpf -Wall -I"/usr/include/$MULTIARCH" -fdebug-prefix-map="$ROOT"=.)


# --- loader -----------------------------------------------------------------------
mkdir -p "$CACHE" "$OBJ" "$LOGS"
gcc -O2 -Wall -Wextra -o "$LOADER" runner/loader/bpfload.c -lbpf -lelf -lz

# --- compile ------------------------------------------------------------------------
WORK="$(mktemp -d "$CACHE/gen-fixtures.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/obj" "$WORK/logs"

shopt -s nullglob
sources=("$SRC"/*.c)
[ ${#sources[@]} -gt 0 ] || die "no sources in $SRC"

for src in "${sources[@]}"; do
	name="$(basename "$src" .c)"
	clang "${BPF_CFLAGS[@]}" -c "$src" -o "$WORK/obj/$name.o" 2>"$WORK/cc.txt" || {
		cat "$WORK/cc.txt" >&2
		die "compiling $src failed"
	}
	if [ -s "$WORK/cc.txt" ]; then
		echo "gen-fixtures: warnings for $src:" >&2
		cat "$WORK/cc.txt" >&2
	fi
done

# --- load -------------------------------------------------------------------------------
# Objects are loaded from $OBJ (relative path) so libbpf's messages name
# "test/fixtures/obj/x.o" whatever the checkout location. Load into a scratch
# directory first so a failed run leaves the old fixtures alone.
cp "$WORK"/obj/*.o "$OBJ"/
for src in "${sources[@]}"; do
	name="$(basename "$src" .c)"
	flags=()
	grep -q "bpfload: --no-perfmon" "$src" && flags+=(--no-perfmon)
	for level in $LEVELS; do
		tmp="$WORK/load/$name.L$level"
		mkdir -p "$tmp"
		"$LOADER" "${flags[@]}" "$OBJ/$name.o" "$level" "$tmp" >/dev/null ||
			die "loader failed on $OBJ/$name.o at level $level"
		for f in "$tmp"/*; do
			b="$(basename "$f")"
			[ ! -e "$WORK/logs/$b" ] || die "program name clash: $b (program names must be unique across objects)"
			mv "$f" "$WORK/logs/$b"
		done
		# remember which source each program came from, for the expectation check
		for j in "$WORK"/logs/*.L$level.json; do
			grep -q "\"object\": \"$name.o\"" "$j" && echo "$name" >"${j%.json}.src"
		done
	done
done

# drop objects whose source is gone
for o in "$OBJ"/*.o; do
	[ -e "$SRC/$(basename "$o" .o).c" ] || rm -f "$o"
done

# --- summary ------------------------------------------------------------------------------
# value of a top-level field of bpfload's JSON (one field per line; no commas in
# the fields read here)
jget() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }

fail=0
printf '%-20s %-3s %-9s %-9s %-7s %-8s %9s  %s\n' PROGRAM LVL VERDICT EXPECTED ERRNO INSNS BYTES NOTE
for j in $(ls "$WORK"/logs/*.json | sort); do
	prog="$(jget "$j" program)"
	level="$(jget "$j" logLevel)"
	verdict="$(jget "$j" verdict)"
	errname="$(jget "$j" errnoName)"
	insns="$(jget "$j" insnsProcessed)"
	bytes="$(jget "$j" logBytes)"
	srcname="$(cat "${j%.json}.src")"
	expected="$(sed -n 's/.*EXPECTED VERDICT: \(accepted\|rejected\).*/\1/p' "$SRC/$srcname.c" | head -1)"
	note=""
	if [ -z "$expected" ]; then
		note="no EXPECTED VERDICT line"
		expected="?"
	elif [ "$expected" != "$verdict" ]; then
		note="MISMATCH"
		fail=1
	fi
	while IFS= read -r want; do
		[ -n "$want" ] || continue
		grep -qF -- "$want" "${j%.json}.log" || { note="$note MISSING:\"$want\""; fail=1; }
	done < <(sed -n 's|^// EXPECT-LOG: ||p' "$SRC/$srcname.c"
		[ "$level" = 2 ] && sed -n 's|^// EXPECT-L2: ||p' "$SRC/$srcname.c")
	if [ "$(jget "$j" truncated)" = "true" ]; then
		note="$note TRUNCATED"
		fail=1
	fi
	if [ "$bytes" -gt "$MAX_LOG_BYTES" ]; then
		note="$note >2MB"
		fail=1
	fi
	printf '%-20s L%-2s %-9s %-9s %-7s %-8s %9s  %s\n' "$prog" "$level" "$verdict" "$expected" \
		"${errname:--}" "$insns" "$bytes" "$note"
done
rm -f "$WORK"/logs/*.src

# --- install -------------------------------------------------------------------------------
rm -f "$LOGS"/*.log "$LOGS"/*.json "$LOGS"/*.libbpf.txt
mv "$WORK"/logs/* "$LOGS"/
echo "gen-fixtures: $(ls "$LOGS"/*.log | wc -l) logs in $LOGS (kernel $(uname -r))"
if [ $fail -ne 0 ]; then
	echo "gen-fixtures: some programs did not behave as expected (see NOTE column)" >&2
	exit 2
fi
