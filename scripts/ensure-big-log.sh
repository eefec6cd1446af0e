#!/usr/bin/env bash
# Makes sure the ≥ 40 MB level-2 log used by the bench and the big-log tests exists
# (.cache/bench/big.L2.log, from a real load). Without root it says why and leaves the tests to skip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG=.cache/bench/big.L2.log
if [ -f "$LOG" ] && [ "$(stat -c %s "$LOG")" -ge 40000000 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-big-log: not root: cannot load the program that produces $LOG; big-log tests will skip" >&2
  exit 0
fi
bash scripts/gen-big-log.sh "$LOG" 40
