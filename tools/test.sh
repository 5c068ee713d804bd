#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c "import torch, onnx, numpy, PIL" 2>/dev/null || need+=(python3-torch python3-onnx python3-numpy python3-pil libopenblas0-pthread)
if ((${#need[@]})); then
  echo "Installing test prerequisites: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build NitroLive.sln -c Release

log=$(mktemp)
status=0
dotnet test NitroLive.sln -c Release --no-build "$@" 2>&1 | tee "$log" || status=$?

# One closing line that any CI reader understands.
awk '/(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
       }
     }
     END { gsub(",", "", f); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $status
