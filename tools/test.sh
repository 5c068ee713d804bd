#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c "import torch, onnx, numpy, PIL" 2>/dev/null || need+=(python3-torch python3-onnx python3-numpy python3-pil libopenblas0-pthread)
if ((${#need[@]})); then
  echo "Installing test prerequisites: ${need[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build NitroLive.sln -c Release

log=$(mktemp)
status=0
# One project at a time: on a 2-core machine the browser and hub tests time real generation, and running the
# assemblies side by side would measure their neighbours.
for project in tests/NitroLive.Core.Tests tests/NitroLive.Web.Tests tests/NitroLive.Browser.Tests; do
  dotnet test "$project" -c Release --no-build "$@" 2>&1 | tee -a "$log" || status=$?
done

# The Python side: the export tool (tiny torch modules, no downloads) and the demo model's training script.
pylog=$(mktemp)
pystatus=0
/usr/bin/python3 -m unittest discover -s tests/export -v 2>&1 | tee "$pylog" || pystatus=$?
[ -d tests/tinymodel ] && { /usr/bin/python3 -m unittest discover -s tests/tinymodel -v 2>&1 | tee -a "$pylog" || pystatus=$?; }

# One closing line that any CI reader understands.
{
  awk '/(Passed|Failed)!/ {
         for (i = 1; i <= NF; i++) {
           v = $(i+1); gsub(",", "", v)
           if ($i == "Failed:") f += v; if ($i == "Passed:") p += v; if ($i == "Skipped:") s += v
         }
       }
       END { printf "%d %d %d\n", p, f, s }' "$log"
  awk '/^Ran [0-9]+ tests?/ { r += $2 }
       /\.\.\. (FAIL|ERROR)$/ { f++ }
       /\.\.\. skipped/ { s++ }
       END { printf "%d %d %d\n", r - f - s, f, s }' "$pylog"
} | awk '{ p += $1; f += $2; s += $3 } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
rm -f "$log" "$pylog"
[ $status -eq 0 ] && [ $pystatus -eq 0 ]
