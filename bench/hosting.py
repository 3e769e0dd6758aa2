"""Hosting with `branddocs host nginx`: requests per second against plain nginx, a thousand brands' config, memory.

Usage: .venv/bin/python bench/hosting.py [--seconds 6] [--rounds 5] [--brands 1000]
1. A brand's guide page (acme's /serverless-endpoints/, built by `branddocs build`) through the generated config
   and through nginx serving the same folder with a one-line config (listen, root, sendfile), side by side:
   `--rounds` rounds of `--seconds` each, taking turns, one nginx worker each, wrk with one thread and 8
   connections; the medians, and the median of each round's ratio (goal: at least 0.9), without and with
   `Accept-Encoding: gzip` (the one-line config sends the page uncompressed; the generated one, the build's twin).
   Beside them, the CPU time nginx's worker spent per 1,000 requests: what the config costs, which a busy
   machine hides from requests per second (both sides then wait for a core) but not from this. On a busy machine
   run it as `chrt -f 50 .venv/bin/python bench/hosting.py` (root): nginx and wrk then get the cores first.
2. `--brands` synthetic brands (bench/synthetic.py; each site a folder with a page and the platform.json a
   build writes, which is all the config reads of a site): the time of `branddocs host nginx` and of `nginx -t`
   on what it wrote (goal: under 5 s together), then nginx's memory (PSS and RSS of master and workers) serving
   them after a request to each host name, beside the same for the demo brands.
wrk comes from Debian's package, installed with apt-get when run as root; otherwise the bench names the command.
"""

from __future__ import annotations

import argparse
import http.client
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figures
from synthetic import ROOT, make_project

from branddocs.host.run import check_config, free_port, nginx_binary, running_nginx
from branddocs.host.tenants import PLATFORM_FILE

BIN = ROOT / ".venv" / "bin"
GUIDE = "/serverless-endpoints/"
HOST = "docs.acme.example"


def wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("bench/hosting.py needs wrk: sudo apt-get install -y --no-install-recommends wrk")
    print("installing wrk with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env)
    return shutil.which("wrk") or sys.exit("wrk is still missing after apt-get install")


def branddocs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([str(BIN / "branddocs"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"branddocs {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def requests_per_second(port: int, worker: int, seconds: int, gzip: bool) -> tuple[float, float]:
    """(requests per second, the worker's CPU milliseconds per 1,000 requests) of one wrk run."""
    headers = ["-H", f"Host: {HOST}", *(["-H", "Accept-Encoding: gzip"] if gzip else [])]
    command = [wrk(), "-t1", "-c8", f"-d{seconds}s", *headers, f"http://127.0.0.1:{port}{GUIDE}"]
    before = cpu_seconds(worker)
    said = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    spent = cpu_seconds(worker) - before
    if re.search(r"Non-2xx or 3xx responses: (\d+)", said):
        sys.exit(f"wrk saw failed requests:\n{said}")
    requests = int(re.search(r"(\d+) requests in", said)[1])
    return float(re.search(r"Requests/sec:\s+([\d.]+)", said)[1]), spent * 1000 * 1000 / requests


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_of(master: int) -> int:
    """The one worker (`worker_processes 1`) of an nginx master."""
    workers = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat") if _parent(p) == master]
    if len(workers) != 1:
        sys.exit(f"nginx {master} has {len(workers)} workers, not the 1 the bench configured")
    return workers[0]


def one_line_config(folder: Path, site: Path, port: int) -> Path:
    """nginx serving `site` with a listen and a root (plus where to write, to run unprivileged), and `sendfile on`
    as the generated config has: the ratio is then what the maps, headers and compression cost or save."""
    for name in ("logs", "tmp"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    temp = " ".join(f"{n}_temp_path tmp/{n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid nginx.pid; error_log logs/error.log; events {{}} http {{ "
        f"include /etc/nginx/mime.types; sendfile on; access_log logs/access.log; {temp} "
        f"server {{ listen 127.0.0.1:{port}; root {site}; }} }}\n"
    )
    return folder


def memory(master: int) -> tuple[float, float]:
    """(PSS, RSS) in MB of nginx's master and its workers."""
    pids = [master] + [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
                       if _parent(p) == master]  # fmt: skip
    pss = rss = 0
    for pid in pids:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M)[1])
        rss += int(re.search(r"^Rss:\s+(\d+)", rollup, re.M)[1])
    return pss / 1024, rss / 1024


def _parent(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def served_memory(out: Path, hosts: list[str]) -> tuple[float, float]:
    port = int(re.search(r"listen 127\.0\.0\.1:(\d+)", (out / "nginx.conf").read_text())[1])
    with running_nginx(out, [("127.0.0.1", port)]) as process:
        for host in hosts:  # every host name looked up once, on a new connection (so by each worker in turn)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/", headers={"Host": host})
            connection.getresponse().read()
            connection.close()
        time.sleep(0.5)
        return memory(process.pid)


def speed(figures: Figures, tmp: Path, args: argparse.Namespace) -> float:
    project = tmp / "demo"
    from branddocs.site import Project

    Project(ROOT).copy_to(project)
    site = tmp / "demo-site"
    branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=project)
    ours, plain = tmp / "ours", tmp / "plain"
    ours_port, plain_port = free_port(), free_port()
    branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{ours_port}", "--out", str(ours),
              "--workers", "1", cwd=project)  # fmt: skip
    one_line_config(plain, site / "acme", plain_port)
    nginx_version = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True).stderr.strip()
    wrk_version = " ".join(subprocess.run([wrk(), "-v"], capture_output=True, text=True).stdout.split()[:2])
    figures.say(f"{nginx_version}; {wrk_version}")
    if os.sched_getscheduler(0) != os.SCHED_OTHER:  # `chrt -f 50 bench/hosting.py`: a busy machine's other work waits
        figures.say(f"run with real-time scheduling (policy {os.sched_getscheduler(0)}): nginx and wrk get the cores")
    figures.say(f"acme's guide page {GUIDE}, {args.rounds} rounds of {args.seconds} s each, taking turns:")
    ratios = {}
    with (running_nginx(ours, [("127.0.0.1", ours_port)]) as ours_nginx,
          running_nginx(plain, [("127.0.0.1", plain_port)]) as plain_nginx):  # fmt: skip
        sides = [("generated", ours_port, worker_of(ours_nginx.pid)),
                 ("one-line", plain_port, worker_of(plain_nginx.pid))]  # fmt: skip
        for gzip in (False, True):
            rates: dict[str, list[float]] = {"generated": [], "one-line": []}
            costs: dict[str, list[float]] = {"generated": [], "one-line": []}
            for round_ in range(args.rounds):  # in turns, each first every other round: a busy moment hits both
                for name, port, worker in sides[:: 1 if round_ % 2 == 0 else -1]:
                    rate, cost = requests_per_second(port, worker, args.seconds, gzip)
                    rates[name].append(rate)
                    costs[name].append(cost)
            paired = [a / b for a, b in zip(rates["generated"], rates["one-line"], strict=True)]
            ratios[gzip] = statistics.median(paired)
            mine, theirs = (statistics.median(rates[k]) for k in ("generated", "one-line"))
            what = "Accept-Encoding: gzip" if gzip else "no Accept-Encoding"
            figures.say(f"  {what}: generated config {mine:,.0f} requests/s, one-line config {theirs:,.0f} "
                        f"requests/s (medians): ratio {ratios[gzip]:.2f} (the median of each round's)")  # fmt: skip
            figures.say(f"    rounds: generated {[round(r) for r in rates['generated']]}, "
                        f"one-line {[round(r) for r in rates['one-line']]}")  # fmt: skip
            cpu = {k: statistics.median(v) for k, v in costs.items()}
            figures.say(f"    nginx worker's CPU per 1,000 requests (medians): generated {cpu['generated']:.0f} ms, "
                        f"one-line {cpu['one-line']:.0f} ms ({cpu['generated'] / cpu['one-line']:.2f}x)")  # fmt: skip
    return ratios[False]


def thousand(figures: Figures, tmp: Path, count: int) -> float:
    project = make_project(tmp / "many", count)
    site = tmp / "many-site"
    for n, brand_file in enumerate(sorted((project / "brands").glob("*.yml"))):
        data = yaml.safe_load(brand_file.read_text(encoding="utf-8"))
        brand_id = brand_file.stem  # most at a host's root; one in ten under a path, one in ten deeper
        data["site_url"] = [f"https://docs.{brand_id}.example/", f"https://docs.shared.example/{brand_id}/",
                            f"https://learn.example/{brand_id}/v1/"][0 if n % 10 < 8 else 1 + n % 2]  # fmt: skip
        brand_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        (site / brand_id).mkdir(parents=True)
        (site / brand_id / "index.html").write_text(f"<title>{brand_id}</title>\n")
        # What a build writes beside llms.txt, and what the config is made from (branddocs/host/tenants.py).
        record = {"site_url": data["site_url"], "base_url": data["api"]["base_url"]}
        (site / brand_id / PLATFORM_FILE).write_text(json.dumps(record), encoding="utf-8")
    out = tmp / "many-out"
    start = time.perf_counter()
    said = branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{free_port()}", "--out",
                     str(out), cwd=project)  # fmt: skip
    generated = time.perf_counter() - start
    checked = check_config(out)
    tested = time.perf_counter() - start - generated
    if checked.returncode != 0:
        sys.exit(f"nginx -t refused the config of {count} brands:\n{checked.stderr}")
    hosted = len(re.findall(r"^  \S+: https?://", said.stdout, re.M))
    figures.say(f"{count} synthetic brands ({hosted} hosted), {len(out.joinpath('nginx.conf').read_bytes()):,} bytes "
                f"of nginx.conf: branddocs host nginx {generated:.2f} s, nginx -t {tested:.2f} s, "
                f"together {generated + tested:.2f} s")  # fmt: skip
    hosts = (out / "hosts.txt").read_text().split()
    many = served_memory(out, hosts)
    figures.say(f"nginx's memory serving them (master and workers, after a request to each of {len(hosts)} host "
                f"names): PSS {many[0]:.1f} MB, RSS {many[1]:.1f} MB")  # fmt: skip
    few = served_memory(tmp / "ours", ["docs.acme.example"])
    figures.say(f"the same for the demo config (1 brand): PSS {few[0]:.1f} MB, RSS {few[1]:.1f} MB")
    return generated + tested


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--brands", type=int, default=1000)
    args = parser.parse_args()
    figures = Figures("hosting", "Hosting with branddocs host nginx")
    wrk()
    with tempfile.TemporaryDirectory(prefix="branddocs-bench-") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 - nginx's workers, under root, are nobody: they read the sites here
        ratio = speed(figures, Path(tmp), args)
        seconds = thousand(figures, Path(tmp), args.brands)
    ok = ratio >= 0.9 and seconds < 5
    return figures.done(ok, f"requests/s at least 0.9x plain nginx's ({ratio:.2f}); {args.brands} brands' config "
                            f"generated and tested in under 5 s ({seconds:.2f} s)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
