#!/usr/bin/env bash
# Here (no GPU): builds what the GPU checks carry, into .gpu/ (ignored): the self-contained CLI packed by
# ../shared/gpu/pack.sh (CUDA provider in chunks of at most 50 MiB), what the web app adds to it (web.tar.xz) and
# diffusers' public source as diffusers.tar.xz, read from a local mirror of huggingface/diffusers (DIFFUSERS_GIT, a git
# directory). See README.md for the plan.
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
# The web app, for run_checks.sh's live step: only what its self-contained publish adds to the CLI's (ASP.NET Core,
# MudBlazor, wwwroot, its own build of shared assemblies), about 11 MB; run_checks.sh lays it over a copy of the CLI.
rm -rf /tmp/nitrolive-pubweb
dotnet publish src/NitroLive.Web/NitroLive.Web.csproj -c Release -r linux-x64 --self-contained -o /tmp/nitrolive-pubweb -v q -nologo
python3 - /tmp/nitrolive-pub /tmp/nitrolive-pubweb > "$stage/web.list" <<'PY'
import filecmp, os, sys
cli, web = sys.argv[1:]
for root, _, files in os.walk(web):
    for name in files:
        rel = os.path.relpath(os.path.join(root, name), web)
        if rel.endswith(".pdb") or (rel.startswith("onnxruntime") and rel.endswith(".dll")):
            continue  # symbols and the Windows binaries the GPU package drops into a Linux publish
        other = os.path.join(cli, rel)
        if not (os.path.exists(other) and filecmp.cmp(os.path.join(web, rel), other, shallow=False)):
            print(rel)
PY
tar -C /tmp/nitrolive-pubweb -cf - -T "$stage/web.list" | xz -T0 -6 > .gpu/web.tar.xz
last=$(ls .gpu/cuda.xz.* | tail -1)
if [ $(( $(stat -c %s "$last") + $(stat -c %s .gpu/web.tar.xz) + checkout )) -lt $(( 63 * 1048576 )) ]; then
  echo "web app: .gpu/web.tar.xz ($(du -h .gpu/web.tar.xz | cut -f1)) travels with $last: cp $last .gpu/web.tar.xz /tmp/nl/"
else
  echo "web app: .gpu/web.tar.xz ($(du -h .gpu/web.tar.xz | cut -f1)) needs a call of its own: cp .gpu/web.tar.xz /tmp/nl/"
fi
echo "CUDA chunks of $chunk MiB beside a $((checkout / 1048576)) MiB checkout"
ls -l .gpu
