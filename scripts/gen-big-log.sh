#!/usr/bin/env bash
# Produce a big, verbatim level-2 verifier log of a complex but ACCEPTED program
# (test/fixtures/bench/big_pass.c) for parser and performance tests.
#
#   sudo scripts/gen-big-log.sh [out.log] [minMB]
#
# out.log defaults to .cache/bench/big.L2.log (never inside test/fixtures: the log
# is ~50 MB); bpfload's metadata goes next to it as <out>.json (out.log minus
# ".log"). minMB (default 40, in MiB) is the smallest acceptable log size: when the
# log comes out smaller, the outer loop count BIG_OUTER is raised in proportion
# and the program is compiled and loaded again (as long as the verifier still
# accepts it, i.e. stays under its 1M processed-instruction limit).
#
# Needs root. On Debian/Ubuntu, missing build packages are installed with apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT="${1:-.cache/bench/big.L2.log}"
MIN_MB="${2:-40}"
SRC=test/fixtures/bench/big_pass.c
CACHE=.cache
LOADER=$CACHE/bpfload
WORKDIR=$CACHE/bench
OUTER=30          # default of big_pass.c: ~50 MB on kernel 6.18
MAX_TRIES=6

die() { echo "gen-big-log: $*" >&2; exit 1; }

[[ "$MIN_MB" =~ ^[0-9]+$ ]] || die "minMB must be a whole number of MiB"
case "$OUT" in *.log) ;; *) die "output file must end in .log" ;; esac
mkdir -p "$(dirname "$OUT")"
OUT_ABS="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
case "$OUT_ABS" in "$ROOT"/test/fixtures/*) die "refusing to write the big log into test/fixtures" ;; esac
[ "$(id -u)" -eq 0 ] || die "must run as root (loading BPF programs needs CAP_BPF/CAP_PERFMON/CAP_NET_ADMIN)"

TAG=gen-big-log
# shellcheck source=lib/bpf-env.sh
. "$ROOT/scripts/lib/bpf-env.sh"
ensure_packages
mount_bpffs

MULTIARCH="$(bpf_multiarch)"

mkdir -p "$CACHE" "$WORKDIR"
gcc -O2 -Wall -Wextra -o "$LOADER" runner/loader/bpfload.c -lbpf -lelf -lz

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
jget() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }

min_bytes=$((MIN_MB * 1024 * 1024))
start=$(date +%s.%N)
for try in $(seq 1 $MAX_TRIES); do
	run="$WORKDIR/run"
	rm -rf "$run"
	mkdir -p "$run"
	clang -g -O2 -target bpf -Wall -I"/usr/include/$MULTIARCH" -fdebug-prefix-map="$ROOT"=. \
		-DBIG_OUTER=$OUTER -c "$SRC" -o "$WORKDIR/big_pass.o"
	t0=$(date +%s.%N)
	"$LOADER" "$WORKDIR/big_pass.o" 2 "$run" >/dev/null || die "loader failed"
	t1=$(date +%s.%N)
	json="$run/big_pass.L2.json"
	verdict="$(jget "$json" verdict)"
	bytes="$(jget "$json" logBytes)"
	insns="$(jget "$json" insnsProcessed)"
	printf 'gen-big-log: BIG_OUTER=%-4s %s, %s insns processed, %s bytes (%.1f MiB), load %.2f s\n' \
		"$OUTER" "$verdict" "$insns" "$bytes" "$(calc "$bytes / 1048576")" "$(calc "$t1 - $t0")"
	[ "$verdict" = accepted ] || die "big_pass was rejected (errno $(jget "$json" errnoName)); see $run/big_pass.L2.log"
	[ "$(jget "$json" truncated)" = false ] || die "log truncated"
	if [ "$bytes" -ge "$min_bytes" ]; then
		mv "$run/big_pass.L2.log" "$OUT"
		mv "$json" "${OUT%.log}.json"
		rm -rf "$run"
		end=$(date +%s.%N)
		printf 'gen-big-log: wrote %s: %s bytes (%.1f MiB, %s lines) in %.1f s\n' "$OUT" "$bytes" \
			"$(calc "$bytes / 1048576")" "$(wc -l <"$OUT")" "$(calc "$end - $start")"
		exit 0
	fi
	# grow the outer loop in proportion, with 10% headroom
	OUTER=$(( (OUTER * min_bytes * 11 / 10 + bytes - 1) / bytes + 1 ))
done
die "could not reach $MIN_MB MiB in $MAX_TRIES tries"
