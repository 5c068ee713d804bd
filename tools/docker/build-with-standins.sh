#!/usr/bin/env bash
# Builds the Dockerfile exactly as written, with buildah, on a machine that cannot pull its base images, then runs the
# image and checks what docs/real-models.md section 7 promises. Three stand-in base images are made here first:
#
#   CUDA_IMAGE    Ubuntu 24.04 (noble) from the Ubuntu archive: the OS of nvidia/cuda:*-cudnn-runtime-ubuntu24.04,
#                 WITHOUT CUDA and cuDNN (NVIDIA's repository is not reachable here), so the app runs on the CPU.
#   SDK_IMAGE     that Ubuntu plus this machine's .NET SDK in /usr/share/dotnet, as Microsoft's sdk image has it.
#   ASPNET_IMAGE  only /usr/share/dotnet with this machine's .NET and ASP.NET Core runtimes (the one path the
#                 Dockerfile takes from Microsoft's aspnet image).
#
# What it proves: every instruction of the Dockerfile runs (restore layer, publish, apt packages of the runtime stage,
# the user, the copies), the image starts as the non-root user on port 8080 with the embedded model, /healthz and
# /readyz answer, the HEALTHCHECK command passes inside the container, a model folder mounted at /models (read-only)
# is served, and the image carries no Windows binaries. What it cannot: the CUDA provider inside the image (no CUDA in
# the stand-in) and the real base images' own contents.
#
# Usage (root, Debian; installs buildah and debootstrap when missing; about 5 minutes the first time):
#   bash tools/docker/build-with-standins.sh [OUT]         # OUT: where the log and summary.json go (default out/docker)
# Environment: WORK (stand-ins' cache, default /var/tmp/nitrolive-standins), PORT (default 8080, the image's own),
# NUGET_CACHE (host packages folder lent to the restore to save downloads; empty to download everything).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$REPO/out/docker}" && cd "${1:-$REPO/out/docker}" && pwd)"
WORK="${WORK:-/var/tmp/nitrolive-standins}"
PORT="${PORT:-8080}"
NUGET_CACHE="${NUGET_CACHE-$HOME/.nuget/packages}"
UBUNTU_MIRROR="${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}"
DOTNET_HOME="$(dirname "$(readlink -f "$(command -v dotnet)")")"
IMAGE=localhost/nitrolive:standin
B=(buildah --storage-driver vfs)
LOG="$OUT/build.log"
: > "$LOG"

say() { echo "[standins] $*" | tee -a "$LOG" >&2; }
fail() { say "FAILED: $*"; exit 1; }

if ! command -v buildah > /dev/null || ! command -v debootstrap > /dev/null; then
    say "installing buildah and debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah debootstrap >> "$LOG" 2>&1
fi
mkdir -p "$WORK"

# ---- stand-in base images ------------------------------------------------------------------------------------------
if ! "${B[@]}" inspect --type image localhost/standin/ubuntu:24.04 > /dev/null 2>&1; then
    if [ ! -x "$WORK/noble/bin/bash" ]; then
        # Debian's debootstrap knows noble's layout by its generic Ubuntu script; Debian has no Ubuntu keyring, so the
        # packages' signatures are not checked (a test base, never shipped).
        say "debootstrap Ubuntu 24.04 (noble) from $UBUNTU_MIRROR"
        rm -rf "$WORK/noble"
        debootstrap --variant=minbase --no-check-gpg noble "$WORK/noble" "$UBUNTU_MIRROR" \
            /usr/share/debootstrap/scripts/gutsy >> "$LOG" 2>&1
        rm -rf "$WORK/noble/var/cache/apt/archives/"*.deb
    fi
    tar -C "$WORK/noble" -cf "$WORK/noble.tar" .
    c=$("${B[@]}" from scratch)
    "${B[@]}" add "$c" "$WORK/noble.tar" / >> "$LOG"
    "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$c"
    "${B[@]}" commit -q "$c" localhost/standin/ubuntu:24.04 >> "$LOG"
    "${B[@]}" rm "$c" > /dev/null
    rm -f "$WORK/noble.tar"
fi

runtime_version="$(ls "$DOTNET_HOME/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)"
say "stand-ins: Ubuntu 24.04, .NET SDK $(dotnet --version), ASP.NET Core runtime $runtime_version from $DOTNET_HOME"

have_image() { "${B[@]}" inspect --type image "$1" > /dev/null 2>&1 && [ -z "${REBUILD_STANDINS:-}" ]; }

# The aspnet stand-in: the runtime part of this machine's dotnet, where Microsoft's image keeps it.
if ! have_image localhost/standin/aspnet:10.0; then
    tar -C "$DOTNET_HOME" -cf "$WORK/aspnet.tar" --transform 's,^,usr/share/dotnet/,' \
        dotnet LICENSE.txt ThirdPartyNotices.txt host \
        "shared/Microsoft.NETCore.App/$runtime_version" "shared/Microsoft.AspNetCore.App/$runtime_version"
    c=$("${B[@]}" from scratch)
    "${B[@]}" add "$c" "$WORK/aspnet.tar" / >> "$LOG"
    "${B[@]}" commit -q "$c" localhost/standin/aspnet:10.0 >> "$LOG"
    "${B[@]}" rm "$c" > /dev/null
    rm -f "$WORK/aspnet.tar"
fi

# The sdk stand-in. What this machine's network needs travels with it: the certificate authorities it adds (where
# HTTPS is intercepted, NuGet's TLS fails without them) and NUGET_CERT_REVOCATION_MODE (revocation servers may be
# unreachable). Neither is part of the Dockerfile.
if ! have_image localhost/standin/dotnet-sdk:10.0; then
    tar -C "$DOTNET_HOME" -cf "$WORK/sdk.tar" --transform 's,^,usr/share/dotnet/,' .
    c=$("${B[@]}" from localhost/standin/ubuntu:24.04)
    if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
        "${B[@]}" copy "$c" /usr/local/share/ca-certificates/ /usr/local/share/ca-certificates/ >> "$LOG"
    fi
    "${B[@]}" run --isolation chroot "$c" -- bash -c \
        'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates libicu74 && rm -rf /var/lib/apt/lists/*' \
        >> "$LOG" 2>&1
    "${B[@]}" add "$c" "$WORK/sdk.tar" / >> "$LOG"
    "${B[@]}" run --isolation chroot "$c" -- ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
    "${B[@]}" config --env DOTNET_ROOT=/usr/share/dotnet --env "NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}" "$c"
    "${B[@]}" commit -q "$c" localhost/standin/dotnet-sdk:10.0 >> "$LOG"
    "${B[@]}" rm "$c" > /dev/null
    rm -f "$WORK/sdk.tar"
fi

# ---- the Dockerfile, as written --------------------------------------------------------------------------------------
volumes=()
if [ -n "$NUGET_CACHE" ] && [ -d "$NUGET_CACHE" ]; then
    # Only saves downloads: the restore still runs in the build stage, and the cache is not part of any layer.
    volumes=(--volume "$NUGET_CACHE:/root/.nuget/packages")
fi
# Stage containers buildah bud leaves behind, and the previous build of the image (vfs keeps a full copy of each).
"${B[@]}" containers --format '{{.ContainerName}} {{.ImageName}}' \
    | awk '$2 ~ /^localhost\/(standin\/|nitrolive:standin)/ { print $1 }' | xargs -r "${B[@]}" rm > /dev/null
"${B[@]}" rmi -f "$IMAGE" > /dev/null 2>&1 || true

say "buildah bud (docker format, so HEALTHCHECK is kept)"
start=$(date +%s)
"${B[@]}" bud --isolation chroot --format docker --layers=false "${volumes[@]}" \
    --build-arg CUDA_IMAGE=localhost/standin/ubuntu:24.04 \
    --build-arg SDK_IMAGE=localhost/standin/dotnet-sdk:10.0 \
    --build-arg ASPNET_IMAGE=localhost/standin/aspnet:10.0 \
    -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO" >> "$LOG" 2>&1 || fail "the build; see $LOG"
build_s=$(( $(date +%s) - start ))
say "built $IMAGE in ${build_s} s"

# ---- the image ---------------------------------------------------------------------------------------------------
"${B[@]}" inspect --type image "$IMAGE" > "$OUT/image-inspect.json"
size_mb=$("${B[@]}" images --format '{{.Size}}' "$IMAGE" | head -n 1)
c=$("${B[@]}" from "$IMAGE")
facts="$("${B[@]}" run --isolation chroot "$c" -- bash -c \
    'du -sm /app | cut -f1; find / -xdev \( -iname "*.exe" -o -path "*/runtimes/win*" -o -path "*/runtimes/osx*" \) 2>/dev/null | wc -l; id -u nitrolive; stat -c %U /models')"
app_mb=$(echo "$facts" | sed -n 1p)
foreign_files=$(echo "$facts" | sed -n 2p)
user_uid=$(echo "$facts" | sed -n 3p)
models_owner=$(echo "$facts" | sed -n 4p)

/usr/bin/python3 - "$OUT/image-inspect.json" > "$OUT/image-config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["Docker"]["config"]
print(json.dumps({"user": c.get("User"), "entrypoint": c.get("Entrypoint"), "workdir": c.get("WorkingDir"),
                  "healthcheck": c.get("Healthcheck"), "ports": sorted((c.get("ExposedPorts") or {}).keys()),
                  "volumes": sorted((c.get("Volumes") or {}).keys())}))
PY
say "image: $(cat "$OUT/image-config.json")"
entrypoint=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["entrypoint"]))' "$OUT/image-config.json")

# The app inside the chroot: the `dotnet NitroLive.Web.dll` whose root is not the host's (buildah's own processes
# carry the same words).
app_pid() {
    local pid
    for pid in $(pgrep -f '^(/usr/bin/)?dotnet NitroLive.Web.dll' || true); do
        if [ "$(readlink "/proc/$pid/root")" != "/" ]; then echo "$pid"; return; fi
    done
}

server_pid=
stop_server() {
    local pid
    pid=$(app_pid)
    [ -z "$pid" ] || kill -TERM "$pid" 2> /dev/null || true
    if [ -n "$server_pid" ]; then
        # The app stops on SIGTERM within seconds; buildah run follows it. Past 30 s, stop buildah run itself.
        local i
        for i in $(seq 30); do kill -0 "$server_pid" 2> /dev/null || break; sleep 1; done
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
    server_pid=
}
trap 'stop_server; "${B[@]}" rm "$c" > /dev/null 2>&1 || true' EXIT

# Runs the image's entrypoint as the image's USER (buildah run's default, as docker run's), on the host's network in
# place of -p; extra arguments are buildah run's.
serve() {
    local name=$1; shift
    # shellcheck disable=SC2086 # the entrypoint's words
    "${B[@]}" run --isolation chroot --env "ASPNETCORE_HTTP_PORTS=$PORT" "$@" "$c" -- $entrypoint \
        > "$OUT/server-$name.log" 2>&1 &
    server_pid=$!
    local deadline=$(( $(date +%s) + 120 ))
    until curl -fsS "http://127.0.0.1:$PORT/readyz" > "$OUT/readyz-$name.json" 2> /dev/null; do
        kill -0 "$server_pid" 2> /dev/null || fail "the $name server exited; see $OUT/server-$name.log"
        [ "$(date +%s)" -lt "$deadline" ] || fail "/readyz not ready in 120 s ($name)"
        sleep 1
    done
}

say "run: the embedded model"
start=$(date +%s)
serve embedded
ready_s=$(( $(date +%s) - start ))
healthz=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
page=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
server_uid=$(ps -o uid= -p "$(app_pid)" 2> /dev/null | tr -d ' ' || true)
# The image's HEALTHCHECK command, run inside the container as the image's user; prints its exit status.
healthcheck() {
    local rc=0
    /usr/bin/python3 - "$OUT/image-config.json" "$c" "$PORT" >> "$LOG" 2>&1 <<'PY' || rc=$?
import json, subprocess, sys
test = json.load(open(sys.argv[1]))["healthcheck"]["Test"]
assert test[0] == "CMD", test
argv = [a.replace("8080", sys.argv[3]) for a in test[1:]]
run = ["buildah", "--storage-driver", "vfs", "run", "--isolation", "chroot", sys.argv[2], "--"]
sys.exit(subprocess.run(run + argv).returncode)
PY
    echo "$rc"
}
healthcheck_rc=$(healthcheck)
say "HEALTHCHECK command inside the container: exit $healthcheck_rc"
stop_server
# The same command with the app stopped must fail, or it proves nothing.
healthcheck_stopped_rc=$(healthcheck)
say "HEALTHCHECK with the app stopped: exit $healthcheck_stopped_rc"

# Docker lays `-v HOST:/models` over the image's VOLUME /models; buildah run (1.28) does the reverse and shows the
# empty anonymous volume there, so the read-only mount goes next to it. What it checks is the same: the non-root app
# serves a folder it does not own and cannot write.
say "run: a model folder mounted read-only (at /mnt/models)"
serve mounted --volume "$REPO/models:/mnt/models:ro" --env NitroLive__Model__Directory=/mnt/models/nitro-tiny
stop_server

/usr/bin/python3 - "$OUT" "$IMAGE" "$(dotnet --version)" "$runtime_version" "$build_s" "$size_mb" "$app_mb" "$foreign_files" \
    "$user_uid" "$models_owner" "$ready_s" "$healthz" "$page" "${server_uid:--1}" "$healthcheck_rc" "$healthcheck_stopped_rc" <<'PY'
import json, re, sys
(out, image, sdk, runtime, build_s, size, app_mb, foreign, uid, owner, ready_s, healthz, page, server_uid, hc, hc_stopped) = sys.argv[1:]

def loaded_from(name):
    m = re.search(r"Loaded model .* from (\S+) on (\w+)", open(f"{out}/server-{name}.log").read())
    return {"folder": m.group(1), "provider": m.group(2)} if m else None

def provider_line(name):
    m = re.search(r"Execution provider (.*)", open(f"{out}/server-{name}.log").read())
    return m.group(1).strip() if m else None

summary = {
    "image": image,
    "base_images": f"stand-ins: Ubuntu 24.04 without CUDA; this machine's .NET SDK {sdk} and runtime {runtime}",
    "build_seconds": int(build_s),
    "image_size": size,
    "app_mb": int(app_mb),
    "windows_or_macos_files": int(foreign),
    "user_uid": int(uid),
    "models_owner": owner,
    "image_config": json.load(open(out + "/image-config.json")),
    "embedded": {"ready_seconds": int(ready_s), "healthz": int(healthz), "page": int(page), "server_uid": int(server_uid),
                 "healthcheck_exit": int(hc), "healthcheck_exit_with_the_app_stopped": int(hc_stopped),
                 "loaded": loaded_from("embedded"), "provider_log": provider_line("embedded"),
                 "readyz": json.load(open(out + "/readyz-embedded.json"))},
    "mounted": {"loaded": loaded_from("mounted"), "readyz": json.load(open(out + "/readyz-mounted.json"))},
}
json.dump(summary, open(out + "/summary.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
PY
