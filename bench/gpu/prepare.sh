#!/usr/bin/env bash
# Here (no GPU): builds what the GPU checks carry, into .gpu/ (ignored): the self-contained CLI packed by
# ../shared/gpu/pack.sh (CUDA provider in chunks of at most 50 MiB) and diffusers' public source as diffusers.tar.xz,
# read from a local mirror of huggingface/diffusers (DIFFUSERS_GIT, a git directory). See README.md for the plan.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
diffusers_git=${DIFFUSERS_GIT:-/work/.mirror/huggingface+diffusers/repo}
if ! git --git-dir "$diffusers_git" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  echo "no diffusers mirror at $diffusers_git: bring one first (the fetch tool, github:huggingface/diffusers) or set DIFFUSERS_GIT" >&2
  exit 1
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
git --git-dir "$diffusers_git" archive HEAD src/diffusers | tar -x -C "$stage"
tar -C "$stage/src" -cJf "$stage/diffusers.tar.xz" diffusers
echo "diffusers $(git --git-dir "$diffusers_git" log -1 --format='%h %cd' --date=short): $(du -h "$stage/diffusers.tar.xz" | cut -f1)"
# The first transfer carries a chunk, diffusers and the checkout (tracked and untracked files that are not ignored:
# a committed fused-unet.onnx.xz among them), 64 MiB at most: the chunks shrink to leave room, 1 MiB spare.
checkout=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
chunk=$(( (64 * 1048576 - checkout - $(stat -c %s "$stage/diffusers.tar.xz")) / 1048576 - 1 ))
[ "$chunk" -gt 50 ] && chunk=50
[ "$chunk" -ge 8 ] || { echo "the checkout ($((checkout / 1048576)) MiB) leaves no room for a CUDA chunk" >&2; exit 1; }
rm -rf /tmp/nitrolive-pub
dotnet publish src/NitroLive.Cli/NitroLive.Cli.csproj -c Release -r linux-x64 --self-contained -o /tmp/nitrolive-pub -v q -nologo
bash ../shared/gpu/pack.sh /tmp/nitrolive-pub "$chunk"
mv "$stage/diffusers.tar.xz" .gpu/
echo "CUDA chunks of $chunk MiB beside a $((checkout / 1048576)) MiB checkout"
ls -l .gpu
