#!/usr/bin/env bash
# On the GPU machine, last transfer: unpacks the program, checks the embedded model on CUDA against the CPU, waits for
# start_export.sh's SDXL-size folder, times it from the C# pipeline, and prints a table last. Logs go to $OUT.
# usage: bash bench/gpu/run_checks.sh [BUDGET_S]   (everything ends within BUDGET_S seconds, default 540)
# Locally (dry run on CPU): APP=path/to/nitrolive PROVIDER=cpu SDXL=folder OUT=/tmp/x bash bench/gpu/run_checks.sh
# QUICK=1: only the fused UNet against the portable graph at 1 step (README.md); RESUME=1 continues an earlier call.
# Without QUICK: every timing, on the fused folder, or the portable one, or with bench/gpu/fused-unet.onnx.xz the fused
# UNet with random weights beside the portable folder's other parts (and the portable folder as the baseline).
set -u
budget=${1:-540}
here=$(cd "$(dirname "$0")" && pwd)
# Work in /tmp/gpu-out (kept while the machine stays up); $OUT gets the JSON lines, the table and one archive of the
# rest, since at most 8 files come back from a call and $OUT is emptied before the next one. GPU_TMP moves every
# scratch path (the export job's status, the fused folder, the mixed folder, this work folder) for the tests.
tmp=${GPU_TMP:-/tmp}
job=$tmp/gpujob
out=$tmp/gpu-out
# RESUME=1 (a second call on the same machine): keep what the first call measured and time only what is missing.
[ -n "${RESUME:-}" ] || rm -rf "$out"
mkdir -p "$out"
finish() {
  cp "$job"/status-* "$job"/export-*.log "$out"/ 2>/dev/null
  [ -n "${OUT:-}" ] || return 0
  mkdir -p "$OUT"
  cp "$out"/table.md "$OUT"/ 2>/dev/null
  tar -C "$out" -czf "$OUT/gpu-logs.tar.gz" . 2>/dev/null  # everything, the JSON lines too
  # The fused UNet's graph without its weights (random_weights.py): commit it as bench/gpu/fused-unet.onnx.xz and the
  # next visit times the fused UNet minutes in, without fusing again.
  # Also when this call timed the committed graph: a fused export started beside it ("plain fused") renews that graph.
  local unet=$(fused_unet)
  if [ -n "$unet" ]; then xz -T0 -c "$unet/model.onnx" > "$OUT/fused-unet.onnx.xz"; fi
  # At most 8 files come back from a call: the JSON lines also on their own, while there is room.
  local f room=$(( 8 - $(ls "$OUT" | wc -l) ))
  for f in "$out"/bench-*.jsonl; do
    [ -f "$f" ] && [ $room -gt 0 ] && cp "$f" "$OUT"/ && room=$(( room - 1 ))
  done
  return 0
}
# A fused UNet written whole by this machine's export: its log line comes after the file.
fused_unet() {
  local d
  grep -q 'unet (realism): ONNX Runtime' "$job"/export-fused-*.log 2>/dev/null || return 0
  for d in "$tmp"/sdxl-fused/nitrosd-realism.partial/unet "$tmp"/sdxl-fused/nitrosd-realism/unet; do
    [ -f "$d/model.onnx" ] && { echo "$d"; return; }
  done
}
# A fused UNet graph brought back by an earlier visit (FUSED_GRAPH= turns it off).
fused_graph=${FUSED_GRAPH-}
[ -z "${FUSED_GRAPH+set}" ] && [ -f "$here/fused-unet.onnx.xz" ] && fused_graph=$here/fused-unet.onnx.xz
trap finish EXIT
provider=${PROVIDER:-cuda}
t0=$(date +%s)
deadline=$(( t0 + budget ))
wait_export=$(( budget - ${NEEDS:-240} ))  # what the timings below need at least
log() { echo "[$(( $(date +%s) - t0 ))s] $*" | tee -a "$out/steps.log"; }

if [ -z "${APP:-}" ]; then
  bash .gpu/unpack.sh > "$out/unpack.log" 2>&1 || { cat "$out/unpack.log"; exit 1; }
  . /tmp/nl/env.sh
  APP=/tmp/nl/app/nitrolive
fi
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
log "app: $APP, provider $provider"

# 1. The embedded model on CUDA and on the CPU: same prompts, seeds and steps; max pixel difference (with RESUME=1 only
# if an earlier call did not get through it).
if [ -z "${QUICK:-}" ] && [ ! -s "$out/embedded-diff.txt" ]; then
for steps in 1 4; do
  for p in "$provider" cpu; do
    "$APP" generate --prompt "a small yellow triangle at the top and a green square at the bottom right on a black background" \
      --seed 7 --steps $steps --provider $p --out "$out/embedded-$p-$steps.png" >> "$out/embedded.jsonl" 2>> "$out/embedded.err" \
      || log "generate $p $steps steps failed: $(tail -3 "$out/embedded.err")"
  done
done
python3 "$here/compare_images.py" "$out" "$provider" > "$out/embedded-diff.txt" 2>&1; log "$(cat "$out/embedded-diff.txt")"
fi
# A cancel during the CUDA-graph capture (every one of a shape's first runs) must leave a whole graph: later frames the
# shared session's pixels, no fallback. On the embedded model first (seconds), on the SDXL-size folder below.
graph_cancel() {
  local name=$1 model=$2; shift 2
  if [ -f "$out/graph-cancel-$name.done" ]; then log "graph-cancel $name: kept from an earlier call"; return; fi
  local left=$(( deadline - $(date +%s) - 10 ))
  if [ $left -lt 30 ]; then log "graph-cancel $name skipped: ${left}s left"; return; fi
  [ $left -gt 150 ] && left=150
  local s=$(date +%s)
  timeout $left "$APP" bench graph-cancel --model "$model" --provider "$provider" "$@" > "$out/graph-cancel-$name.json" 2> "$out/graph-cancel-$name.err"
  local rc=$?
  # 0 passed, 1 failed or an error: only a written result counts as done (RESUME retries the rest).
  [ -s "$out/graph-cancel-$name.json" ] && touch "$out/graph-cancel-$name.done"
  log "graph-cancel $name rc=$rc in $(( $(date +%s) - s ))s: $(tr -d ' \n' < "$out/graph-cancel-$name.json" | grep -o '"replays_against_shared_session.*' | cut -c1-400)"
}
[ -z "${QUICK:-}" ] && graph_cancel embedded "${EMBEDDED:-$(dirname "$APP")/models/nitro-tiny}" --batch 4 --cancel-after-ms 1

# Every bench run loads the model once and measures its combinations (JSON lines), bounded by the time left.
bench() {
  local name=$1 limit=$2; shift 2
  if [ -f "$out/bench-$name.done" ]; then log "bench $name: kept from an earlier call"; return; fi
  local s=$(date +%s)
  local left=$(( deadline - s - 10 ))
  if [ $left -lt 40 ]; then log "bench $name skipped: ${left}s left"; return; fi
  [ $limit -gt $left ] && limit=$left
  timeout "$limit" "$APP" bench pipeline --model "$sdxl" --provider "$provider" "$@" > "$out/bench-$name.jsonl" 2> "$out/bench-$name.err"
  local rc=$?
  [ $rc -eq 0 ] && touch "$out/bench-$name.done"
  log "bench $name ($sdxl) rc=$rc in $(( $(date +%s) - s ))s"
}
runs=${RUNS:-8}

# The product itself: the web app on an SDXL-size folder with its defaults (startup and warm-up until /readyz), then
# `nitrolive bench live` typists over its hub, 1 and then 4 of them. WEB is its self-contained executable; by default
# the CLI's folder plus what the web app adds (web.tar.xz from prepare.sh, in /tmp/nl), unpacked once to /tmp/nl/web
# (WEB= turns the step off).
if [ -z "${WEB+set}" ] && [ -f /tmp/nl/web.tar.xz ]; then
  if [ ! -x /tmp/nl/web/NitroLive.Web ]; then
    rm -rf /tmp/nl/web && cp -a "$(dirname "$APP")" /tmp/nl/web && tar -C /tmp/nl/web -xJf /tmp/nl/web.tar.xz \
      || log "web app: unpacking web.tar.xz failed"
  fi
  WEB=/tmp/nl/web/NitroLive.Web
fi
readyz() {
  python3 -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:$1/readyz', timeout=2).status != 200)" 2>/dev/null
}
# What the GPU holds while the web app serves (nothing else runs on it then): the app's own footprint.
gpu_memory() {
  echo "GPU memory used: $(nvidia-smi --query-gpu=memory.used --format=csv,noheader 2>/dev/null || echo unknown)"
}
# usage: live NAME FOLDER [VAR=value ...]   (the VARs configure the web app, e.g. NitroLive__Model__UseCudaGraphs=true)
live() {
  local name=$1 model port=${LIVE_PORT:-5099} duration=${LIVE_DURATION:-20}
  model=$(cd "$2" && pwd)  # the server runs in its own folder
  shift 2
  if [ -f "$out/live-$name.done" ]; then log "live $name: kept from an earlier call"; return; fi
  if [ -z "${WEB:-}" ] || [ ! -x "$WEB" ]; then log "live $name skipped: no web app (web.tar.xz)"; return; fi
  local s=$(date +%s)
  local left=$(( deadline - s - 10 ))
  # Startup, then two runs of warm-up + duration + the typists' connecting.
  local runs_s=$(( 2 * (duration + 15) ))
  if [ $left -lt $(( runs_s + 30 )) ]; then log "live $name skipped: ${left}s left"; return; fi
  (cd "$(dirname "$WEB")" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" NitroLive__Model__Directory="$model" \
    NitroLive__Model__Provider="$provider" "$@" "$WEB") > "$out/live-$name-server.log" 2>&1 &
  local server=$! ready=
  while [ $(( $(date +%s) - s )) -lt $(( left - runs_s )) ] && kill -0 $server 2>/dev/null; do
    readyz "$port" && { ready=1; break; }
    sleep 1
  done
  if [ -z "$ready" ]; then
    log "live $name: no /readyz after $(( $(date +%s) - s ))s: $(tail -3 "$out/live-$name-server.log" | tr '\n' ' ' | cut -c1-300)"
    kill $server 2>/dev/null; wait $server 2>/dev/null
    return
  fi
  log "live $name: ready in $(( $(date +%s) - s ))s ($(grep -ho 'Generator instances: .*' "$out/live-$name-server.log" | head -1)), $(gpu_memory)"
  local n
  for n in 1 4; do
    timeout $(( duration + 60 )) "$APP" bench live --url "http://127.0.0.1:$port/" --clients $n --duration "$duration" \
      --warmup 5 > "$out/live-$name-$n.json" 2> "$out/live-$name-$n.err"
    log "live $name, $n client(s): rc=$? $(grep -o '"overhead_ratio": [0-9.]*' "$out/live-$name-$n.json"), $(gpu_memory)"
  done
  kill $server 2>/dev/null; wait $server 2>/dev/null
  touch "$out/live-$name.done"
}
# The QUICK pair for one folder: 1 step at 512 and 1024, batch 1 and 4, then batch 1 with CUDA graphs (NAME, NAMEgraphs).
quick_pair() {
  bench "$1" "${LIMIT_MAIN:-200}" --size 512x512,1024x1024 --steps 1 --batch 1,4 --runs $runs --warmup 2 --prompts hit
  bench "$1"graphs "${LIMIT_SMALL:-80}" --cuda-graphs --size 512x512,1024x1024 --steps 1 --batch 1 --runs $runs --warmup 3 --prompts hit
}

# 2. The SDXL-size folders from start_export.sh: the fused one if ready, else the portable one.
ready() { awk '$1=="ready"{print $2}' "$job"/status-$1 2>/dev/null; }
# The same, waited for until the time the timings need is all that is left; prints nothing if it never came.
wait_ready() {
  local folder
  folder=$(ready "$1")
  while [ -z "$folder" ] && [ $(( $(date +%s) - t0 )) -lt "$wait_export" ]; do sleep 5; folder=$(ready "$1"); done
  echo "$folder"
}
# The exporter writes (and logs) each UNet before the shared parts, so the fused UNet can be timed minutes before the
# fused folder is whole: next to the portable folder's text encoders and decoders, in /tmp/sdxl-mixed (hard links).
# The portable folder, as hard links, in /tmp/sdxl-mixed for its UNet to be replaced; fails while it is not ready.
link_plain() {
  local plain
  plain=$(ready plain)
  [ -n "$plain" ] && rm -rf "$tmp"/sdxl-mixed && cp -al "$plain" "$tmp"/sdxl-mixed
}
mixed() {
  local unet
  unet=$(fused_unet)
  [ -n "$unet" ] && link_plain && rm -rf "$tmp"/sdxl-mixed/unet && cp -al "$unet" "$tmp"/sdxl-mixed/unet \
    && echo "$tmp"/sdxl-mixed
}
# The same with an earlier visit's fused graph and random weights (seconds; the portable UNet's config beside it).
mixed_from_graph() {
  link_plain && rm -f "$tmp"/sdxl-mixed/unet/model.onnx* \
    && "${PYTHON:-python3}" "$here/random_weights.py" "$fused_graph" "$tmp"/sdxl-mixed/unet >> "$out/steps.log" 2>&1 \
    && echo "$tmp"/sdxl-mixed
}
if [ -n "${QUICK:-}" ]; then
  # The portable folder is ready minutes before the fused UNet (GPU run 4): time it first, as the same-machine
  # baseline, while the fusion runs; then the fused UNet as soon as it is written.
  sdxl=$(wait_ready plain)
  [ -n "$sdxl" ] && quick_pair quickplain
  sdxl=${SDXL:-}
  if [ -z "$sdxl" ] && [ -n "$fused_graph" ]; then
    sdxl=$(mixed_from_graph)
  else
    while [ -z "$sdxl" ] && [ $(( $(date +%s) - t0 )) -lt "$wait_export" ]; do
      sdxl=$(ready fused)
      [ -z "$sdxl" ] && sdxl=$(mixed)
      [ -z "$sdxl" ] && grep -q '^gave up' "$job"/status-fused 2>/dev/null && break
      [ -z "$sdxl" ] && sleep 5
    done
  fi
  if [ -n "$sdxl" ]; then
    log "fused: $sdxl; ${fused_graph:+graph $fused_graph, random weights; }$(grep -h 'unet (realism)' "$job"/export-fused-*.log 2>/dev/null | cut -c1-400)"
    "$APP" verify-model "$sdxl" --no-load > "$out/verify-model.txt" 2>&1; log "verify-model rc=$? $(tail -1 "$out/verify-model.txt")"
    quick_pair quick
    bench quickdrafts "${LIMIT_SMALL:-80}" --drafts --size 1024x1024 --steps 1 --batch 1 --runs $runs --warmup 2 --prompts hit
    # GPU run 5's drafts runs encoded their JPEG in 31 ms p50 (1.5 min) where every other run took 2 to 3: the same with
    # one ONNX Runtime intra-op thread per session shows whether ORT's spinning worker threads took the encoder's cores.
    bench quickdraftsthreads1 "${LIMIT_SMALL:-80}" --drafts --threads 1 --size 1024x1024 --steps 1 --batch 1 --runs $runs \
      --warmup 2 --prompts hit
    live sdxl "$sdxl"
  else
    log "no fused UNet after $(( $(date +%s) - t0 ))s: $(cat "$job"/status-fused 2>/dev/null | tr '\n' ' ')"
    cat "$job"/export-fused-*.log 2>/dev/null | tr '\r' '\n' | grep -v '^fusion: ' | tail -5
  fi
  python3 "$here/table.py" "$out" | tee "$out/table.md"
  [ -n "$sdxl" ]; exit
fi

sdxl=${SDXL:-}
# With an earlier visit's fused graph: the fused UNet with random weights beside the portable folder's other parts, as
# soon as that folder is ready; the portable folder is then the "other" run, the same-machine baseline.
if [ -z "$sdxl" ] && [ -n "$fused_graph" ]; then
  [ -n "$(wait_ready plain)" ] && sdxl=$(mixed_from_graph)
  [ -n "$sdxl" ] && log "fused UNet: graph $fused_graph, random weights"
fi
while [ -z "$sdxl" ] && [ $(( $(date +%s) - t0 )) -lt "$wait_export" ]; do
  sdxl=$(ready fused)
  [ -z "$sdxl" ] && sdxl=$(ready plain)
  [ -z "$sdxl" ] && sleep 5
done
if [ -z "$sdxl" ] || [ ! -d "$sdxl" ]; then
  log "no SDXL-size folder after ${wait_export}s: $(cat "$job"/status-* 2>/dev/null | tr '\n' ' ')"
  tail -15 "$job"/export-*.log 2>/dev/null
  exit 1
fi
log "SDXL-size folder: $sdxl ($(du -sh "$sdxl" | cut -f1)); $(grep -h 'unet (realism)' "$job"/export-*.log | cut -c1-300)"
"$APP" verify-model "$sdxl" --no-load > "$out/verify-model.txt" 2>&1; log "verify-model rc=$? $(tail -1 "$out/verify-model.txt")"

# 3. Timings, in order of what matters most, each bounded; the rest is skipped when the device time runs out. PLAN
# reorders them for a short visit (names below, e.g. PLAN="cancel live tinythreads1 host device"); WAIT_FUSED=1 then
# spends what is left waiting for a fused export started beside this call, whose UNet graph finish() brings back.
drafts=--tiny-decoder; "$APP" bench pipeline --help 2>&1 | grep -q -- --drafts && drafts=--drafts
for step in ${PLAN:-device graphs cancel live tiny tinythreads1 host other}; do
  case $step in
    device) bench device "${LIMIT_MAIN:-200}" --size 512x512,1024x1024 --steps 1,4 --batch 1,4 --runs $runs --warmup 2 --prompts hit ;;
    graphs)
      if "$APP" bench pipeline --help 2>&1 | grep -q -- --cuda-graphs; then
        bench graphs "${LIMIT_SMALL:-80}" --cuda-graphs --size 512x512,1024x1024 --steps 1,4 --batch 1 --runs $runs --warmup 3 --prompts hit
      fi ;;
    cancel) graph_cancel sdxl "$sdxl" --batch 4 --steps 1 --cancel-after-ms 5 ;;
    live) live sdxl "$sdxl" ;;
    # GPU run 6: four typists at 1024 took 1.2 s a batch where bench pipeline's batch of 4 takes 0.34 s. ONNX Runtime's
    # cuDNN 9 convolutions build a new plan whenever a node's input shape differs from its previous run's, and a live
    # service's batch size changes from call to call. These measure that cost (batch sizes in turn) and two ways
    # around it: cuDNN's quicker heuristic, and a UNet session per batch size (--cuda-graphs: its dimensions fixed).
    shapes) bench shapes "${LIMIT_SMALL:-80}" $drafts --interleave --size 1024x1024 --steps 1 --batch 1,2,3,4 --runs 4 --warmup 1 --prompts miss ;;
    # The same batch sizes one after the other (each shape planned once): the baseline the shape changes are weighed against.
    shapessteady) bench shapessteady "${LIMIT_SMALL:-80}" $drafts --size 1024x1024 --steps 1 --batch 1,2,3,4 --runs 4 --warmup 1 --prompts miss ;;
    shapesheur) bench shapesheur "${LIMIT_SMALL:-80}" $drafts --interleave --cudnn-algo heuristic --size 1024x1024 --steps 1 --batch 1,2,3,4 --runs 4 --warmup 1 --prompts miss ;;
    shapesgraphs) bench shapesgraphs "${LIMIT_SMALL:-80}" $drafts --interleave --cuda-graphs --size 1024x1024 --steps 1 --batch 1,2,3,4 --runs 4 --warmup 1 --prompts miss ;;
    # The live service with batching (off by default since run 6), alone and with either way around the re-plans.
    livebatched) live sdxlbatched "$sdxl" NitroLive__Live__EnableBatching=true ;;
    livebatchedheur) live sdxlbatchedheur "$sdxl" NitroLive__Live__EnableBatching=true NitroLive__Model__CudnnConvAlgoSearch=Heuristic ;;
    livebatchedgraphs) live sdxlbatchedgraphs "$sdxl" NitroLive__Live__EnableBatching=true NitroLive__Model__UseCudaGraphs=true ;;
    # The product's draft path: one pipeline with both decoders, every request a draft (the tiny decoder; --tiny-decoder
    # on a CLI older than --drafts).
    tiny) bench tiny "${LIMIT_SMALL:-80}" $drafts --size 512x512,1024x1024 --steps 1 --batch 1 --runs $runs --warmup 2 --prompts both ;;
    tinythreads1)  # as quickdraftsthreads1 above
      bench tinythreads1 "${LIMIT_SMALL:-80}" $drafts --threads 1 --size 1024x1024 --steps 1 --batch 1 --runs $runs --warmup 2 --prompts hit ;;
    host) bench host "${LIMIT_SMALL:-80}" --latents host --size 512x512,1024x1024 --steps 1 --batch 1 --runs $runs --warmup 2 --prompts hit ;;
    other)
      other=$(ready plain); [ "$sdxl" = "$other" ] && other=$(ready fused)
      if [ -n "$other" ] && [ "$other" != "$sdxl" ]; then
        sdxl=$other bench other "${LIMIT_SMALL:-80}" --size 512x512,1024x1024 --steps 1 --batch 1 --runs $runs --warmup 2 --prompts hit
      fi ;;
    *) log "PLAN: no step '$step'" ;;
  esac
done
if [ -n "${WAIT_FUSED:-}" ]; then
  while [ -f "$job"/status-fused ] && [ -z "$(fused_unet)" ] && [ $(( deadline - $(date +%s) )) -gt 15 ] \
    && ! grep -q '^gave up' "$job"/status-fused; do
    sleep 5
  done
  log "fused export: $(if [ -n "$(fused_unet)" ]; then echo "UNet written; $(grep -h 'unet (realism)' "$job"/export-fused-*.log | cut -c1-400)"; else echo "no UNet yet: $(tail -2 "$job"/status-fused 2>/dev/null | tr '\n' ' ')"; fi)"
fi
python3 "$here/table.py" "$out" | tee "$out/table.md"
for f in "$out"/graph-cancel-*.json; do
  [ -f "$f" ] || continue
  result=$(tr -d ' \n' < "$f" | grep -o '"passed":[a-z]*')
  echo "$(basename "$f"): ${result:-no result ($(tail -1 "${f%.json}.err" 2>/dev/null | cut -c1-200))}" | tee -a "$out/table.md"
done
true  # no graph-cancel result is not a failure of the call
