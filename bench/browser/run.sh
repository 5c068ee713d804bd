#!/usr/bin/env bash
# Keystroke to painted frame in Debian chromium, through the studio page: a fresh Release server per server setting,
# then key-to-paint.mjs against it; one JSON file per setting. Run from the repository root on a quiet machine.
#
#   bash bench/browser/run.sh OUT_DIR [NAME=SETTINGS ...]
#   bash bench/browser/run.sh bench/results/run17-browser now=""
#
# SETTINGS are space-separated VAR=value pairs for the server (on top of the defaults below). ARGS adds options to
# key-to-paint.mjs (e.g. ARGS="--prompts 4 --cadence-ms 120").
set -euo pipefail
. "$(dirname "$0")/../server.sh"
out=$1
shift
read -r -a bench_args <<<"${ARGS:-}"
port=5098
mkdir -p "$out"

(cd bench/browser && npm install --no-audit --no-fund --silent)
# Published, as it is deployed: a build folder serves the page's static files only in Development.
web=out/bench-browser-web
dotnet publish src/NitroLive.Web -c Release -v q -nologo -o "$web" >/dev/null

for series in "${@:-defaults=}"; do
  name=${series%%=*}
  settings=${series#*=}
  echo "== $name: ${settings:-defaults}"
  start_server "$web" "$port" "$out/$name-server.log" "$settings"
  node bench/browser/key-to-paint.mjs --url "http://127.0.0.1:$port/" "${bench_args[@]}" >"$out/$name-browser.json"
  echo "$name: letters key to paint $(tr -d '\n ' <"$out/$name-browser.json" | grep -o '"letters":{[^}]*}' | head -1)"
  stop_server
done
