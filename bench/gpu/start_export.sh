#!/usr/bin/env bash
# On the GPU machine: starts the export of SDXL-architecture folders with random weights in the background and returns
# at once, so the export runs while the next transfers bring the rest of the program (see README.md).
# Needs .gpu/diffusers.tar.xz (diffusers' public source, packed by prepare.sh; never committed).
# Writes /tmp/sdxl-plain/nitrosd-realism (portable graph) and /tmp/sdxl-fused/nitrosd-realism (ONNX Runtime fusions);
# /tmp/gpujob/status-<kind> says when each is ready, /tmp/gpujob/export-<kind>-<clip>.log how it went.
set -euo pipefail
job=/tmp/gpujob
rm -rf "$job" && mkdir -p "$job/repo/tools" "$job/repo/models"
tar -C "$job" -xJf .gpu/diffusers.tar.xz
# A copy, because the next transfers re-sync the checkout while the export reads it.
cp -r tools/export "$job/repo/tools/" && cp -r models/nitro-tiny "$job/repo/models/"
# usage: bash bench/gpu/start_export.sh [KINDS]   (default "plain fused", or "plain" with bench/gpu/fused-unet.onnx.xz)
# Two exports side by side (16 cores, 128 GB): the portable graph (NitroLive's own fp16 converter) and ONNX Runtime's
# fused graph. run_checks.sh times whichever is ready first, and the other one too if time allows.
cat > "$job/run.sh" <<'JOB'
set -u
kind=$1
job=/tmp/gpujob
export PYTHONPATH=$job PYTHONUNBUFFERED=1
cd $job
echo "start $(date +%s)" > status-$kind
extra=(); [ "$kind" = plain ] && extra=(--no-ort-optimize)
# A failed first try is retried with NitroLive's plain torch CLIP tower, in case this transformers' CLIP does not trace.
for clip in transformers torch; do
  if python3 repo/tools/export/export_nitrofusion.py --random-weights --random-text-encoders $clip --variants realism \
       --device cuda --overwrite "${extra[@]}" --out /tmp/sdxl-$kind > export-$kind-$clip.log 2>&1; then
    echo "ready /tmp/sdxl-$kind/nitrosd-realism $(date +%s) text-encoders=$clip" >> status-$kind
    exit 0
  fi
  echo "failed $(date +%s) text-encoders=$clip: $(grep -E 'Error|error' export-$kind-$clip.log | tail -1 | cut -c1-200)" >> status-$kind
  # The other CLIP tower only helps when the text encoders were what failed (run 3 spent two minutes re-failing); the
  # UNet is exported first, so a failure before its log line is the UNet's own.
  if ! grep -q 'unet (realism): ' export-$kind-$clip.log || grep -q 'text_encoder_2: ' export-$kind-$clip.log; then
    echo "failed $(date +%s) not retried: the text encoders were not the cause" >> status-$kind
    break
  fi
done
echo "gave up $(date +%s)" >> status-$kind
exit 1
JOB
# With an earlier visit's fused UNet graph in bench/gpu/ (run_checks.sh times it with random weights), fusing again
# would only take CPU from the portable export.
kinds="plain fused"; [ -f bench/gpu/fused-unet.onnx.xz ] && kinds=plain
for kind in ${1:-$kinds}; do
  setsid nohup bash "$job/run.sh" $kind > "$job/job-$kind.log" 2>&1 < /dev/null &
done
echo "exports started in the background; python3: $(python3 -c 'import torch, onnx, onnxruntime, transformers; print("torch", torch.__version__, "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "transformers", transformers.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1)"
