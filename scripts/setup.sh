#!/usr/bin/env bash
# One-time setup of a fresh Debian/Ubuntu machine: system packages (clang, libbpf, bpftool for the
# fixtures and the bench log), npm dependencies, and the build. Idempotent; apt only runs when a
# package is missing. Needs root for apt-get (the BPF loads in tests need root anyway).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# clang-19: -mcpu=v4 (clang 18+) for the errno 524 fix proven in test/runner/fixes-vm.test.ts.
PKGS=(clang clang-19 llvm libbpf-dev libelf-dev zlib1g-dev gcc libc6-dev linux-libc-dev make)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# For the tests in a real VS Code (test/vscode/): code-server's native modules (node-gyp, kerberos),
# ripgrep for its search, and the Chromium that drives the workbench. Optional: without them
# scripts/setup-code-server.sh says why and those tests are skipped.
E2E_PKGS=(python3 make g++ pkg-config libkrb5-dev ripgrep chromium)
e2e_missing=()
for p in "${E2E_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || e2e_missing+=("$p"); done
export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ] || [ "${#e2e_missing[@]}" -gt 0 ]; then apt-get update -qq; fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${#e2e_missing[@]}" -gt 0 ]; then
  echo "setup: installing ${e2e_missing[*]} (VS Code tests)"
  apt-get install -y -qq --no-install-recommends "${e2e_missing[@]}" >/dev/null || echo "setup: warning: could not install ${e2e_missing[*]}"
fi
# bpftool is handy for users but not required by anything here; install it when available.
dpkg -s bpftool >/dev/null 2>&1 || apt-get install -y -qq bpftool >/dev/null 2>&1 || true

mountpoint -q /sys/fs/bpf 2>/dev/null || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run build --silent
# code-server for the tests in a real VS Code (skipped when present; on failure the reason goes to
# .cache/code-server/UNAVAILABLE and npm test prints it and skips those tests).
bash scripts/setup-code-server.sh || echo "setup: warning: code-server could not be installed; the VS Code tests will be skipped"
echo "setup: done"
