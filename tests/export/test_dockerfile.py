"""The Dockerfile, checked without a Docker engine: what it copies exists, the restore layer has every project the
web app needs, the runtime stage is what docs/real-models.md promises, the health check hits an endpoint the app
maps, and the publish command it runs works here and gives a lean Linux-only output. Then the whole Dockerfile is built
and run with buildah on local stand-ins for its base images (StandInImage).

Run: /usr/bin/python3 -m unittest discover -s tests/export
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Tuple

from tiny_models import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
WEB_PROJECT = "src/NitroLive.Web/NitroLive.Web.csproj"


def instructions() -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, pending = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def stages() -> List[Dict]:
    args = {}
    result: List[Dict] = []
    for keyword, rest in instructions():
        if keyword == "ARG" and not result:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append({"image": image, "name": name, "steps": []})
        else:
            result[-1]["steps"].append((keyword, rest))
    return result


def copy_parts(rest: str) -> Tuple[Dict[str, str], List[str], str]:
    tokens = shlex.split(rest)
    flags = {}
    while tokens and tokens[0].startswith("--"):
        key, _, value = tokens.pop(0)[2:].partition("=")
        flags[key] = value
    return flags, tokens[:-1], tokens[-1]


def ignored(rel: str) -> bool:
    patterns = [p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]
    rel = rel.strip("/")
    for p in patterns:
        p = p.rstrip("/")
        candidates = [p] + ([p[3:]] if p.startswith("**/") else [])
        for c in candidates:
            parts = rel.split("/")
            for i in range(1, len(parts) + 1):
                prefix = "/".join(parts[:i]) if not c.startswith("**") else "/".join(parts[i - 1:i])
                if fnmatch.fnmatch(prefix, c) or fnmatch.fnmatch("/".join(parts[:i]), c):
                    return True
    return False


def project_closure(project: str) -> List[str]:
    """The project and every project it references, transitively, as repository-relative paths."""
    seen, todo = [], [project]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.append(rel)
        path = REPO / rel
        for ref in ET.parse(path).getroot().iter("ProjectReference"):
            target = (path.parent / ref.get("Include").replace("\\", "/")).resolve().relative_to(REPO)
            todo.append(target.as_posix())
    return seen


class DockerfileShape(unittest.TestCase):
    def setUp(self):
        self.stages = stages()
        self.build = next(s for s in self.stages if s["name"] == "build")
        self.runtime = self.stages[-1]

    def test_every_copied_source_is_in_the_repository_and_in_the_build_context(self):
        copies = [(s, rest) for s in self.stages for k, rest in s["steps"] if k == "COPY"]
        self.assertTrue(copies)
        for _stage, rest in copies:
            flags, sources, _dest = copy_parts(rest)
            if "from" in flags:
                continue
            for src in sources:
                if src in (".", "./"):
                    continue
                self.assertTrue((REPO / src).exists(), f"COPY source {src} is not in the repository")
                self.assertFalse(ignored(src), f"COPY source {src} is excluded by .dockerignore")

    def test_restore_layer_has_every_project_the_web_app_references(self):
        steps = self.build["steps"]
        restore_at = next(i for i, (k, rest) in enumerate(steps) if k == "RUN" and "dotnet restore" in rest)
        copied = set()
        for k, rest in steps[:restore_at]:
            if k == "COPY":
                flags, sources, _ = copy_parts(rest)
                copied.update(sources)
        for needed in project_closure(WEB_PROJECT) + ["Directory.Build.props", "Directory.Packages.props"]:
            self.assertIn(needed, copied, f"{needed} must be copied before 'dotnet restore'")

    def test_build_stage_publishes_the_web_app_framework_dependent_for_linux_x64(self):
        self.assertTrue(self.build["image"].startswith("mcr.microsoft.com/dotnet/sdk:10.0"))
        publish = next(rest for k, rest in self.build["steps"] if k == "RUN" and "dotnet publish" in rest)
        words = shlex.split(publish)
        self.assertIn(WEB_PROJECT, words)
        for flag, value in (("-c", "Release"), ("-r", "linux-x64"), ("--self-contained", "false"), ("-o", "/app")):
            self.assertEqual(words[words.index(flag) + 1], value, flag)

    def test_runtime_is_cuda_13_with_cudnn_9_plus_the_aspnet_runtime_as_a_non_root_user(self):
        self.assertRegex(self.runtime["image"], r"^nvidia/cuda:13\.\d+(\.\d+)?-cudnn-runtime-ubuntu\d\d\.\d\d$")
        steps = self.runtime["steps"]
        aspnet = next(s for s in self.stages if s["name"] == "aspnet")
        self.assertTrue(aspnet["image"].startswith("mcr.microsoft.com/dotnet/aspnet:10.0"))
        copies = [copy_parts(rest) for k, rest in steps if k == "COPY"]
        self.assertIn(({"from": "aspnet"}, ["/usr/share/dotnet"], "/usr/share/dotnet"), copies)
        self.assertIn(({"from": "build"}, ["/app"], "/app"), copies)
        users = [rest for k, rest in steps if k == "USER"]
        self.assertTrue(users and users[-1] not in ("root", "0"), "the app must not run as root")
        self.assertEqual([rest for k, rest in steps if k == "EXPOSE"], ["8080"])
        env = " ".join(rest for k, rest in steps if k == "ENV")
        self.assertIn("ASPNETCORE_HTTP_PORTS=8080", env)
        self.assertIn("NitroLive__Model__Directory=/app/models/nitro-tiny", env)
        self.assertIn("/models", " ".join(rest for k, rest in steps if k == "VOLUME"))
        self.assertEqual([rest for k, rest in steps if k == "ENTRYPOINT"], ['["dotnet", "NitroLive.Web.dll"]'])

    def test_health_check_probes_the_exposed_port_at_an_endpoint_the_app_maps(self):
        check = next(rest for k, rest in self.runtime["steps"] if k == "HEALTHCHECK")
        m = re.search(r"/dev/tcp/127\.0\.0\.1/(\d+).*GET (/\S*) HTTP", check)
        self.assertIsNotNone(m, check)
        port, path = m.group(1), m.group(2)
        self.assertEqual(port, "8080")
        mapped = set()
        for cs in (REPO / "src" / "NitroLive.Web").rglob("*.cs"):
            if "/obj/" in cs.as_posix() or "/bin/" in cs.as_posix():
                continue
            mapped.update(re.findall(r'Map(?:HealthChecks|Get)\(\s*"(/[^"]*)"', cs.read_text(encoding="utf-8")))
        if not mapped:
            self.skipTest("the web app maps no health endpoint in this checkout yet (/healthz comes from branch live)")
        self.assertIn(path, mapped, f"HEALTHCHECK GETs {path}, the app maps {sorted(mapped)}")

    def test_the_model_folder_variable_the_image_sets_is_the_key_the_app_binds(self):
        sources = {cs: cs.read_text(encoding="utf-8") for cs in (REPO / "src" / "NitroLive.Web").rglob("*.cs")
                   if "/obj/" not in cs.as_posix() and "/bin/" not in cs.as_posix()}
        binds_model = [cs for cs, text in sources.items() if "ModelDirectory" in text or "NitroLive:Model" in text]
        if not binds_model:
            self.skipTest("the web app does not configure a model folder in this checkout yet")
        # NitroLive__Model__Directory is configuration key NitroLive:Model:Directory.
        self.assertTrue(any('"NitroLive:Model"' in sources[cs] for cs in binds_model),
                        "docs/real-models.md and the Dockerfile use NitroLive:Model:Directory; the app binds "
                        f"its model folder elsewhere ({[str(c.relative_to(REPO)) for c in binds_model]})")

    def test_the_stand_in_build_replaces_every_base_image_the_dockerfile_pulls(self):
        # tools/docker/build-with-standins.sh builds this Dockerfile where no registry is reachable: a base image it
        # does not replace would make that build pull, and fail, there.
        pulled = set()
        for keyword, rest in instructions():
            if keyword == "FROM":
                pulled.update(re.findall(r"\$\{(\w+)\}", rest.split()[0]))
        self.assertTrue(pulled, "every FROM names its image through an ARG")
        for keyword, rest in instructions():
            if keyword == "FROM":
                image = rest.split()[0]
                stage_names = [s["name"] for s in self.stages]
                self.assertTrue(image.startswith("${") or image in stage_names, f"FROM {image} cannot be replaced")
        script = (REPO / "tools" / "docker" / "build-with-standins.sh").read_text(encoding="utf-8")
        replaced = set(re.findall(r"--build-arg (\w+)=localhost/", script))
        self.assertEqual(pulled, replaced)

    def test_dockerignore_keeps_build_outputs_and_history_out_of_the_context(self):
        for rel in (".git", "src/NitroLive.Web/bin", "src/NitroLive.Core/obj", "tests", "tools/export"):
            self.assertTrue(ignored(rel), f"{rel} should not be sent to the Docker daemon")
        for rel in ("src/NitroLive.Web/Program.cs", "Directory.Build.props", ".editorconfig",
                    "models/nitro-tiny/nitrolive.json"):
            self.assertFalse(ignored(rel), f"{rel} is needed by the build")


@unittest.skipIf(shutil.which("dotnet") is None, "dotnet is not installed")
class PublishOutput(unittest.TestCase):
    """Runs the Dockerfile's publish command here (about a minute) and inspects what the image would hold."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nitrolive-publish-")
        cls.out = Path(cls.tmp) / "app"
        cls.publish = subprocess.run(
            ["dotnet", "publish", WEB_PROJECT, "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
             "-o", str(cls.out)],
            cwd=REPO, capture_output=True, text=True, timeout=900,
            env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.publish.returncode, 0, (self.publish.stdout + self.publish.stderr)[-4000:])

    def files(self) -> List[Path]:
        return [p for p in self.out.rglob("*") if p.is_file()]

    def test_publish_holds_the_app_and_the_linux_onnx_runtime_with_its_cuda_provider(self):
        names = {p.name for p in self.files()}
        for needed in ("NitroLive.Web.dll", "NitroLive.Web.runtimeconfig.json", "NitroLive.Core.dll",
                       "libonnxruntime.so", "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"):
            self.assertIn(needed, names)

    def test_publish_has_no_windows_or_mac_native_binaries(self):
        offenders = [str(p.relative_to(self.out)) for p in self.files()
                     if re.search(r"(^|/)runtimes/(win|osx)", p.relative_to(self.out).as_posix())
                     or p.suffix == ".dylib"
                     or (p.suffix == ".dll" and p.name.lower().startswith("onnxruntime"))
                     or p.suffix in (".exe", ".lib")]
        self.assertEqual(offenders, [])

    def test_publish_stays_lean(self):
        total = sum(p.stat().st_size for p in self.files())
        cuda = (self.out / "libonnxruntime_providers_cuda.so").stat().st_size
        print(f"\n  publish output: {total / 2**20:.0f} MiB ({cuda / 2**20:.0f} MiB of it the CUDA provider)")
        # The CUDA provider alone is ~270 MiB; everything else must stay small.
        self.assertLess(total - cuda, 120 * 2**20)

    def test_the_default_model_folder_is_published_with_the_app(self):
        if not (REPO / "models" / "nitro-tiny" / "nitrolive.json").is_file():
            self.skipTest("models/nitro-tiny is not in this checkout yet (branch tinymodel)")
        self.assertTrue((self.out / "models" / "nitro-tiny" / "nitrolive.json").is_file())
        self.assertTrue((self.out / "models" / "nitro-tiny" / "unet" / "model.onnx").is_file())


def ubuntu_archive_reachable() -> bool:
    try:
        with urllib.request.urlopen("http://archive.ubuntu.com/ubuntu/dists/noble/Release", timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"),
                     "needs root and apt-get (buildah, debootstrap, chroot isolation)")
class StandInImage(unittest.TestCase):
    """The Dockerfile, unchanged, built and run with buildah on local stand-ins for its base images
    (tools/docker/build-with-standins.sh, about 3 minutes here); docs/real-models.md, section 7."""

    @classmethod
    def setUpClass(cls):
        if not ubuntu_archive_reachable():
            raise unittest.SkipTest("the Ubuntu archive (the runtime stand-in's source) is not reachable")
        cls.out = Path(tempfile.mkdtemp(prefix="nitrolive-standins-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cls.result = subprocess.run(
            ["bash", str(REPO / "tools" / "docker" / "build-with-standins.sh"), str(cls.out)],
            cwd=REPO, capture_output=True, text=True, timeout=1200, env={**os.environ, "PORT": str(port)})
        summary = cls.out / "summary.json"
        cls.summary = json.loads(summary.read_text()) if summary.is_file() else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def setUp(self):
        log = (self.out / "build.log").read_text(errors="replace") if (self.out / "build.log").is_file() else ""
        self.assertEqual(self.result.returncode, 0, (self.result.stderr + "\n" + log)[-6000:])
        self.assertIsNotNone(self.summary)

    def test_the_image_runs_its_entrypoint_as_the_non_root_user_with_the_embedded_model(self):
        embedded = self.summary["embedded"]
        self.assertEqual(self.summary["image_config"]["user"], "nitrolive")
        self.assertEqual(embedded["server_uid"], self.summary["user_uid"])
        self.assertNotEqual(embedded["server_uid"], 0)
        self.assertEqual(embedded["loaded"]["folder"], "/app/models/nitro-tiny")
        self.assertEqual(embedded["readyz"]["status"], "Healthy")
        self.assertEqual((embedded["healthz"], embedded["page"]), (200, 200))

    def test_without_cuda_in_the_image_the_app_says_which_library_is_missing_and_runs_on_the_cpu(self):
        self.assertEqual(self.summary["embedded"]["loaded"]["provider"], "CPU")
        self.assertRegex(self.summary["embedded"]["provider_log"], r"^CPU: CUDA unavailable: lib\S+\.so[.\d]* not found$")

    def test_the_health_check_passes_while_the_app_serves_and_fails_once_it_stops(self):
        self.assertEqual(self.summary["embedded"]["healthcheck_exit"], 0)
        self.assertNotEqual(self.summary["embedded"]["healthcheck_exit_with_the_app_stopped"], 0)

    def test_a_model_folder_mounted_read_only_is_served(self):
        self.assertEqual(self.summary["mounted"]["loaded"]["folder"], "/mnt/models/nitro-tiny")
        self.assertEqual(self.summary["mounted"]["readyz"]["status"], "Healthy")

    def test_the_image_holds_no_windows_or_macos_binaries_and_a_lean_app(self):
        self.assertEqual(self.summary["windows_or_macos_files"], 0)
        self.assertLess(self.summary["app_mb"], 400)
        self.assertIn("/models", self.summary["image_config"]["volumes"])

if __name__ == "__main__":
    unittest.main()
