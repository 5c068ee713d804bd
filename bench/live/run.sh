#!/usr/bin/env bash
# One live benchmark series: a fresh Release server per server setting, then `nitrolive bench live` for each client
# count against it; one JSON file per row. Run from the repository root on an otherwise quiet machine.
#
#   bash bench/live/run.sh OUT_DIR "CLIENTS..." [NAME=SETTINGS ...]     (no NAME: one series "defaults")
#   bash bench/live/run.sh bench/results/run7-parallel "1 4 16" one="" two="NitroLive__Model__ParallelGenerators=2"
#
# SETTINGS are space-separated VAR=value pairs for the server (on top of the defaults below); each NAME gets its own
# fresh server and files OUT_DIR/NAME-live-N.json. DURATION (default 60) sets the seconds per row; BENCH_ARGS adds
# options to every `bench live` call (BENCH_ARGS="--jitter 0 --warmup 0" types as runs 1 to 8 did: in lockstep, cold).
set -euo pipefail
. "$(dirname "$0")/../server.sh"
out=$1
clients=$2
shift 2
duration=${DURATION:-60}
read -r -a bench_args <<<"${BENCH_ARGS:-}"
port=5099
mkdir -p "$out"

dotnet build src/NitroLive.Web -c Release -v q -nologo >/dev/null
dotnet build src/NitroLive.Cli -c Release -v q -nologo >/dev/null
web=src/NitroLive.Web/bin/Release/net10.0
cli=src/NitroLive.Cli/bin/Release/net10.0/nitrolive

for series in "${@:-defaults=}"; do
  name=${series%%=*}
  settings=${series#*=}
  echo "== $name: ${settings:-defaults}"
  start_server "$web" "$port" "$out/$name-server.log" "NitroLive__Model__IntraOpThreads=1 $settings"
  for n in $clients; do
    "$cli" bench live --url "http://127.0.0.1:$port/" --clients "$n" --duration "$duration" --mode latest "${bench_args[@]}" \
      >"$out/$name-live-$n.json"
    echo "$name clients=$n: $(grep -o '"overhead_ratio": [0-9.]*' "$out/$name-live-$n.json")"
  done
  stop_server
done
