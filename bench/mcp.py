"""`branddocs mcp` with few and many brands: a brand's cost must not grow with the number of brands.

Usage: .venv/bin/python bench/mcp.py [--sizes 20,2000] [--calls 100]
One brand is built (acme, into a scratch folder); each size gets a site folder of that many copies of it (hard
links, each with its own platform.json), and `branddocs mcp` serves it on a free loopback port. Printed per size:
the seconds from start to the first answer, the server's memory then (RSS), the server's CPU time per search and
the median and 95th percentile of `calls` searches each on a brand not asked before (its index read then: the
cold path; as many for every size), of the same searches
again on the last brands asked (warm), and the memory after. The server keeps at most 32 brands (sites.py), so
memory after many brands stays flat. Not part of `make bench`: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
_LISTENING = re.compile(r"each at (?P<url>http://\S+?)/<id>/mcp")
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_ms(pid: int) -> float:
    """The process's CPU time so far (user and system): what its work costs, however busy the machine is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _copies(site: Path, root: Path, count: int) -> None:
    record = json.loads((site / "platform.json").read_text(encoding="utf-8"))
    for number in range(count):
        copy = root / f"tenant-{number}"
        shutil.copytree(site, copy, copy_function=os.link)
        (copy / "platform.json").unlink()  # its own file, not the shared link
        (copy / "platform.json").write_text(json.dumps({**record, "id": copy.name}), encoding="utf-8")


def _call(client: httpx.Client, url: str, number: int) -> float:
    body = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "authentication", "limit": 5}}}  # fmt: skip
    start = time.perf_counter()
    response = client.post(url, json=body, headers=HEADERS)
    elapsed = time.perf_counter() - start
    answer = response.json()
    if response.status_code != 200 or answer.get("result", {}).get("isError"):
        raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
    return elapsed * 1000


def measure(root: Path, brands: int, calls: int) -> dict[str, float]:
    log = root.parent / f"mcp-{brands}.log"
    start = time.perf_counter()
    with log.open("w") as stderr:
        server = subprocess.Popen([str(BIN / "branddocs"), "mcp", "--site-dir", str(root), "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    try:
        while not (match := _LISTENING.search(log.read_text())):
            if server.poll() is not None:
                raise SystemExit(log.read_text())
            time.sleep(0.01)
        url = match["url"]
        with httpx.Client(timeout=60) as client:
            while True:
                try:
                    _call(client, f"{url}/tenant-0/mcp", 0)
                    break
                except httpx.TransportError:
                    time.sleep(0.01)
            ready = time.perf_counter() - start
            rss_start = _rss_mb(server.pid)
            # Each call a brand not asked before (cold: its platform.json and index read), as many for every size.
            picked = [round(i * (brands - 1) / max(calls - 1, 1)) for i in range(min(calls, brands))]
            cpu = _cpu_ms(server.pid)
            cold = [_call(client, f"{url}/tenant-{n}/mcp", i) for i, n in enumerate(picked)]
            cold_cpu = (_cpu_ms(server.pid) - cpu) / len(picked)
            recent = picked[-min(20, len(picked)) :]
            warm = [_call(client, f"{url}/tenant-{n}/mcp", i) for i, n in enumerate(recent * 5)]
            rss_end = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)

    def p95(values: list[float]) -> float:
        return sorted(values)[int(0.95 * (len(values) - 1))]

    return {"brands": brands, "ready_s": ready, "rss_start_mb": rss_start, "cold_cpu_ms": cold_cpu,
            "cold_median_ms": statistics.median(cold),
            "cold_p95_ms": p95(cold), "warm_median_ms": statistics.median(warm), "warm_p95_ms": p95(warm),
            "rss_end_mb": rss_end}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20,2000")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="rounds, the sizes taken in turn; the best of each kept")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as scratch:
        built = Path(scratch) / "built"
        result = subprocess.run([str(BIN / "branddocs"), "build", "--brand", "acme", "--site-dir", str(built)],
                                cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
        if result.returncode:
            print(result.stdout + result.stderr, file=sys.stderr)
            return 1
        roots = {}
        for size in sizes:
            roots[size] = Path(scratch) / f"sites-{size}"
            roots[size].mkdir()
            _copies(built / "acme", roots[size], size)
        best: dict[int, dict[str, float]] = {}
        for _ in range(args.runs):  # in turn, so a busy moment of the machine falls on both sizes alike
            for size in sizes:
                row = measure(roots[size], size, args.calls)
                best[size] = {k: min(v, best.get(size, row)[k]) for k, v in row.items()}
    rows = [best[size] for size in sizes]
    print("| brands | ready (s) | RSS at start (MB) | cold search: server CPU (ms) | cold median / p95 (ms) "
          "| warm median / p95 (ms) | RSS after (MB) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['brands']} | {r['ready_s']:.2f} | {r['rss_start_mb']:.0f} | {r['cold_cpu_ms']:.1f} | "
            f"{r['cold_median_ms']:.1f} / "
            f"{r['cold_p95_ms']:.1f} | {r['warm_median_ms']:.1f} / {r['warm_p95_ms']:.1f} | {r['rss_end_mb']:.0f} |"
        )
    first, last = rows[0], rows[-1]
    print(f"\n{last['brands']} brands against {first['brands']} (best of {args.runs}): "
          f"ready x{last['ready_s'] / first['ready_s']:.2f}, "
          f"cold search x{last['cold_median_ms'] / first['cold_median_ms']:.2f} "
          f"(its server CPU x{last['cold_cpu_ms'] / first['cold_cpu_ms']:.2f}), "
          f"memory after x{last['rss_end_mb'] / first['rss_end_mb']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
