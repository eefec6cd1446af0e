#!/usr/bin/env bash
# One-time setup of a fresh Debian/Ubuntu machine: system packages (clang, libbpf, bpftool for the
# fixtures and the bench log), npm dependencies, and the build. Idempotent; apt only runs when a
# package is missing. Needs root for apt-get (the BPF loads in tests need root anyway).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PKGS=(clang llvm libbpf-dev libelf-dev zlib1g-dev gcc libc6-dev linux-libc-dev make)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# bpftool is handy for users but not required by anything here; install it when available.
dpkg -s bpftool >/dev/null 2>&1 || apt-get install -y -qq bpftool >/dev/null 2>&1 || true

mountpoint -q /sys/fs/bpf 2>/dev/null || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run build --silent
echo "setup: done"
