#!/usr/bin/env bash
# Here (no GPU): builds what the GPU checks carry, into .gpu/ (ignored): the self-contained CLI packed by
# ../shared/gpu/pack.sh (CUDA provider in 50 MiB chunks) and diffusers' public source as diffusers.tar.xz, read from a
# local mirror of huggingface/diffusers (DIFFUSERS_GIT, a git directory). See README.md for the transfer plan.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
diffusers_git=${DIFFUSERS_GIT:-/work/.mirror/huggingface+diffusers/repo}
if ! git --git-dir "$diffusers_git" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  echo "no diffusers mirror at $diffusers_git: bring one first (the fetch tool, github:huggingface/diffusers) or set DIFFUSERS_GIT" >&2
  exit 1
fi
rm -rf /tmp/nitrolive-pub
dotnet publish src/NitroLive.Cli/NitroLive.Cli.csproj -c Release -r linux-x64 --self-contained -o /tmp/nitrolive-pub -v q -nologo
bash ../shared/gpu/pack.sh /tmp/nitrolive-pub 50
stage=$(mktemp -d)
git --git-dir "$diffusers_git" archive HEAD src/diffusers | tar -x -C "$stage"
tar -C "$stage/src" -cJf .gpu/diffusers.tar.xz diffusers
echo "diffusers $(git --git-dir "$diffusers_git" log -1 --format='%h %cd' --date=short): $(du -h .gpu/diffusers.tar.xz | cut -f1)"
rm -rf "$stage"
ls -l .gpu
