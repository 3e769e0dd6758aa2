"""A slow platform's examples within bounds: a brand sets its own per-example limit (`checks.example_timeout`), a run
sets one for every brand (`--example-timeout`, which wins), and an example that runs out says which limit it hit
and how to raise it."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.pytest_plugin.junit import example_results
from branddocs.site import Project

from .conftest import run_branddocs

PAGE = """# Slow

```bash
curl -sS {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}]}'
```
"""


def slow_app(seconds: float) -> Starlette:
    async def chat(request: Request) -> JSONResponse:
        await asyncio.sleep(seconds)
        return JSONResponse({"error": {"message": "too late"}}, status_code=500)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": []})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)])


def run_slow(project: Project, *args: str) -> str:
    (project.docs_dir / "slow.md").write_text(PAGE, encoding="utf-8")
    junit = project.root / "junit.xml"
    with running_endpoint(slow_app(8)) as server:  # answers after every limit below
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": "sk-x", "BRANDDOCS_EXAMPLE_TIMEOUT": ""}
        done = run_branddocs("check", "--brand", "acme", "slow.md", *args, "--", f"--junitxml={junit}",
                             cwd=project.root, env=env)  # fmt: skip
    [(outcome, why)] = example_results(junit, project.root).values()
    assert outcome == "fail", done.stdout + done.stderr
    return why


def test_a_brands_own_limit_is_named_where_it_is_set(scratch: Project) -> None:
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8") + "checks:\n  example_timeout: 3\n", encoding="utf-8")
    why = run_slow(scratch)
    assert why == (
        "timed out after 3 s waiting for the endpoint (a request was still open); brands/acme.yml sets "
        "checks.example_timeout: 3: raise it there, or for one run with --example-timeout"
    )


def test_the_runs_limit_wins_and_says_so(scratch: Project) -> None:
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8") + "checks:\n  example_timeout: 600\n", encoding="utf-8")
    why = run_slow(scratch, "--example-timeout", "2")
    assert why == (
        "timed out after 2 s waiting for the endpoint (a request was still open); the run's limit: raise it with "
        "--example-timeout or $BRANDDOCS_EXAMPLE_TIMEOUT"
    )
