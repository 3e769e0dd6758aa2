"""Load benchmark: the reference endpoint against a bare Starlette app returning fixed JSON, in one run.

Usage: .venv/bin/python bench/endpoint.py [--requests 3000] [--concurrency 64] [--streams 200] [--rounds 3]

Each server runs in its own process on a loopback port; the load comes from this process over raw
HTTP/1.1 keep-alive connections (asyncio streams: a Python HTTP client would be the bottleneck). Prints
requests per second, p50 and p99 latency and errors for both, their ratio, then the streaming figures:
200 concurrent streams (chunks lost), and clients that drop mid-stream (errors logged, tasks leaked).
Exits 1 when a goal is missed (issue 23's: a ratio of 0.6, 1,400 streams/s with p50 under 100 ms; no
errors); the figures also go to .cache/bench/endpoint.md for BENCHMARKS.md (bench/report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from figures import Figures

KEY = "sk-bench"
MODEL = "meta-llama-3-8b-instruct"
CHAT = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 64}).encode()
STREAM = json.dumps(
    {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True,
     "stream_options": {"include_usage": True}}
).encode()  # fmt: skip


def _app(kind: str):
    """The app to serve, wrapped so the bench can count the server's asyncio tasks."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    if kind == "bare":
        fixed = {"id": "chatcmpl-1", "object": "chat.completion", "choices": [], "usage": {"total_tokens": 0}}

        async def chat(request):
            await request.body()
            return JSONResponse(fixed)

        inner = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    else:
        from branddocs.endpoint.app import create_app

        inner = create_app([MODEL], [KEY])

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/_bench/tasks":
            body = str(len(asyncio.all_tasks())).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    return app


def _serve(kind: str, port: int) -> None:
    import uvicorn

    uvicorn.run(_app(kind), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (Linux): the cost of a request, however busy the machine is; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")[1:] if ln)}
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"]))
    body = bytearray()
    while True:  # chunked transfer encoding
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, bytes(body)
        body += (await reader.readexactly(size + 2))[:-2]


async def _get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    _, body = await _read_response(reader)
    writer.close()
    return body


async def _non_stream(port: int, total: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = _request("/v1/chat/completions", CHAT)
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            writer.write(request)
            try:
                status, body = await _read_response(reader)
                if status != 200 or not body.startswith(b"{"):
                    errors += 1
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                return
            latencies.append(time.perf_counter() - start)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return _summary(latencies, errors, elapsed)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies) + errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "errors": errors,
    }


async def _streams(port: int, clients: int, drop_after: int | None = None) -> dict:
    """`clients` concurrent streams; each counts its events; with `drop_after`, hang up after that many bytes."""
    from branddocs.endpoint.generate import GREETING_REPLY, tokenize

    expected = len(tokenize(GREETING_REPLY)) + 3  # + the role chunk, the usage chunk and [DONE]
    latencies, lost, errors = [], 0, 0

    async def one() -> None:
        nonlocal lost, errors
        start = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_request("/v1/chat/completions", STREAM))
            if drop_after is not None:
                await reader.readexactly(drop_after)
                writer.transport.abort()  # a client vanishing mid-stream, no goodbye
                return
            status, body = await _read_response(reader)
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            return
        events = body.count(b"data: ")
        if status != 200 or not body.endswith(b"data: [DONE]\n\n"):
            errors += 1
        lost += max(0, expected - events)
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    result = _summary(latencies, errors, time.perf_counter() - start)
    return result | {"lost_chunks": lost, "events_per_stream": expected}


async def _run(args: argparse.Namespace) -> int:
    out = Figures("endpoint", "Reference endpoint under load")
    out.say(f"loopback load: {args.requests} non-stream requests at concurrency {args.concurrency}; "
            f"{args.streams} concurrent streams; best of {args.rounds} rounds each")  # fmt: skip
    rows = {}
    for kind in ("bare", "reference"):
        port = _free_port()
        proc = subprocess.Popen([sys.executable, __file__, "serve", kind, str(port)], stderr=subprocess.PIPE)
        try:
            for _ in range(200):
                try:
                    await _get(port, "/_bench/tasks")
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            await _non_stream(port, 200, 8)  # warm up
            cpu = _cpu_seconds(proc.pid)
            runs = [await _non_stream(port, args.requests, args.concurrency) for _ in range(args.rounds)]
            rows[kind] = max(runs, key=lambda r: r["rps"])
            rows[kind]["cpu_ms"] = 1000 * (_cpu_seconds(proc.pid) - cpu) / sum(r["requests"] for r in runs)
            if kind == "reference":
                baseline = int(await _get(port, "/_bench/tasks"))
                cpu = _cpu_seconds(proc.pid)
                streams = [await _streams(port, args.streams) for _ in range(args.rounds)]
                stream_cpu_ms = 1000 * (_cpu_seconds(proc.pid) - cpu) / (args.streams * args.rounds)
                rows["streams"] = max(streams, key=lambda r: r["rps"])
                rows["streams"] |= {"cpu_ms": stream_cpu_ms, "errors": sum(r["errors"] for r in streams),
                                    "lost_chunks": sum(r["lost_chunks"] for r in streams)}  # fmt: skip
                rows["dropped"] = await _streams(port, args.streams // 4, drop_after=600)
                await asyncio.sleep(1.0)
                rows["tasks_after_drops"] = int(await _get(port, "/_bench/tasks")) - baseline
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=10)
        rows[f"{kind}_server_errors"] = stderr.decode().count("Traceback") + stderr.decode().count("ERROR")

    out.say(f"{'non-stream':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for kind in ("bare", "reference"):
        r = rows[kind]
        out.say(f"{kind + ' Starlette app' if kind == 'bare' else 'reference endpoint':<22}"
                f"{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8}")  # fmt: skip
    ratio = rows["reference"]["rps"] / rows["bare"]["rps"]
    out.say(f"throughput ratio reference/bare: {ratio:.2f}")
    bare_cpu, ref_cpu = rows["bare"]["cpu_ms"], rows["reference"]["cpu_ms"]
    if bare_cpu and ref_cpu:  # the figures that vary least with the machine's load
        out.say(f"server CPU per request: bare {bare_cpu:.3f} ms, reference {ref_cpu:.3f} ms "
                f"(ratio {bare_cpu / ref_cpu:.2f}); per stream {rows['streams']['cpu_ms']:.3f} ms")  # fmt: skip
    s = rows["streams"]
    out.say(f"{args.streams} concurrent streams: {s['rps']:.0f} streams/s, p50 {s['p50_ms']:.0f} ms, "
            f"p99 {s['p99_ms']:.0f} ms, {s['errors']} errors, {s['lost_chunks']} lost chunks "
            f"({s['events_per_stream']} events each)")  # fmt: skip
    d = rows["dropped"]
    out.say(
        f"{args.streams // 4} clients dropping mid-stream: {d['errors']} client errors, "
        f"{rows['reference_server_errors']} server errors logged, {rows['tasks_after_drops']} tasks leaked"
    )
    goal = (f"throughput ratio >= {args.goal_ratio:g}, >= {args.goal_streams:,} streams/s with p50 < "
            f"{args.goal_stream_p50:g} ms; no errors, lost chunks or leaked tasks")  # fmt: skip
    ok = (ratio >= args.goal_ratio and s["rps"] >= args.goal_streams and s["p50_ms"] < args.goal_stream_p50
          and rows["reference"]["errors"] == 0 and s["errors"] == 0 and s["lost_chunks"] == 0
          and rows["reference_server_errors"] == 0 and rows["tasks_after_drops"] <= 0)  # fmt: skip
    return out.done(ok, goal)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        _serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--goal-ratio", type=float, default=0.6, help="reference/bare req/s (default 0.6)")
    parser.add_argument("--goal-streams", type=int, default=1400, help="streams/s (default 1400)")
    parser.add_argument("--goal-stream-p50", type=float, default=100, help="a stream's p50, ms (default 100)")
    sys.exit(asyncio.run(_run(parser.parse_args())))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
