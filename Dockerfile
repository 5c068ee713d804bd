# syntax=docker/dockerfile:1
# NitroLive web app on an NVIDIA GPU (CUDA 13 + cuDNN 9). See docs/real-models.md.
#
#   docker build -t nitrolive .
#   docker run --gpus all -p 8080:8080 nitrolive                      # the embedded demo model
#   docker run --gpus all -p 8080:8080 -v /path/to/models:/models \
#       -e NitroLive__Model__Directory=/models/nitrosd-realism nitrolive   # NitroFusion, exported by tools/export
#
# The CUDA base tag follows NVIDIA's <cuda version>-cudnn-runtime-<os> scheme; pick the newest 13.x tag your driver
# supports (this one could not be pulled where the file was written: no Docker engine there).
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

# ---- build ---------------------------------------------------------------------------------------------------------
FROM ${SDK_IMAGE} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Restore first, from the project files alone, so source edits keep the package layer cached.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/NitroLive.Core/NitroLive.Core.csproj src/NitroLive.Core/
COPY src/NitroLive.Protocol/NitroLive.Protocol.csproj src/NitroLive.Protocol/
COPY src/NitroLive.Web/NitroLive.Web.csproj src/NitroLive.Web/
RUN dotnet restore src/NitroLive.Web/NitroLive.Web.csproj -r linux-x64

COPY . .
# Framework-dependent: the runtime stage brings ASP.NET Core. The Linux ONNX Runtime package carries the CPU, CUDA
# and TensorRT providers and no Windows binaries. models/nitro-tiny (the embedded demo) is published with the app.
RUN dotnet publish src/NitroLive.Web/NitroLive.Web.csproj -c Release -r linux-x64 --self-contained false -o /app

# ---- ASP.NET Core runtime, taken from Microsoft's image ---------------------------------------------------------
FROM ${ASPNET_IMAGE} AS aspnet

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS runtime

# OpenSSL backs ASP.NET Core data protection (antiforgery, Blazor circuits); certificates for outbound TLS.
# Globalization is invariant (Directory.Build.props), so no ICU.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libssl3t64 zlib1g \
    && rm -rf /var/lib/apt/lists/*

COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet

RUN groupadd --system --gid 10001 nitrolive \
    && useradd --system --uid 10001 --gid nitrolive --create-home --home-dir /home/nitrolive \
       --shell /usr/sbin/nologin nitrolive \
    && mkdir /models && chown nitrolive:nitrolive /models

WORKDIR /app
COPY --from=build /app /app

ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true \
    ASPNETCORE_HTTP_PORTS=8080 \
    NitroLive__Model__Directory=/app/models/nitro-tiny

# Model folders are mounted here (read-only is fine): -v /path/to/models:/models:ro
VOLUME /models
EXPOSE 8080
USER nitrolive

# Liveness through bash's /dev/tcp: the image needs no curl or wget for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["dotnet", "NitroLive.Web.dll"]
