"""What `branddocs check` makes sure of about the endpoint under test before any example runs, and says in its header;
whether to run at all (`refusal`), and what the proxy process is started with (`proxy_settings`).

Here, not in pytest_plugin/ (whose package imports pytest and the checks, openai among them): `branddocs check`
asks all three in its own process before pytest starts, and imports neither.

One authenticated `GET {base}/models`: unreachable, or refused, stops the run in one line; a base URL that serves
neither `/models` nor `/chat/completions` (both 404) stops it too, naming the URLs tried and the path it likely
lacks (`/v1`). The header names the endpoint (what the examples run with: run/sdks.py).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from branddocs.brand import BrandError, load_brands
from branddocs.endpoint.routes import served_brands
from branddocs.errors import EXIT_FENCE, EXIT_NO_API, EXIT_REFUSED, EXIT_UNREACHABLE, UsageError
from branddocs.examples.proxy.body import MAX_TOKENS as DEFAULT_MAX_TOKENS
from branddocs.examples.responses.summary import error_summary
from branddocs.examples.run import sandbox
from branddocs.settings import API_KEY, ENDPOINT, MAX_TOKENS
from branddocs.site import Project
from branddocs.text.grammar import GrammarError, url

if TYPE_CHECKING:
    import httpx

__all__ = ["ENDPOINT_ENV", "KEY_ENV", "endpoint_line", "one_tenant", "preflight", "proxy_settings", "refusal"]

# The variables' names, for messages (branddocs.settings reads and documents them).
ENDPOINT_ENV = ENDPOINT.name
KEY_ENV = API_KEY.name

_MISSING = (404, 405)


def _get(url: str, key: str, timeout: float) -> httpx.Response:
    import httpx  # here: `branddocs check` asks refusal and proxy_settings before it imports httpx

    return httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout, trust_env=False)


def _with_v1(upstream: str) -> str | None:
    """The base URL with `/v1` added to its path, unless it already ends so."""
    parts = urlsplit(upstream)
    if parts.path.rstrip("/").endswith("/v1"):
        return None
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/v1"))


def preflight(upstream: str, key: str, timeout: float = 10.0) -> tuple[int, str] | None:
    """Before any example: (exit code, one line) if the endpoint under test cannot be what the guide's examples call.

    One authenticated `GET {upstream}/models`: unreachable (10), an error other than 404/405 (11). A platform
    without `/models` is fine, unless `POST {upstream}/chat/completions` is missing too (13): then the base URL is
    wrong, and the line names both URLs and, where `{upstream}/v1/models` answers, that base URL instead.
    """
    import httpx

    models = f"{upstream}/models"
    try:
        response = _get(models, key, timeout)
        if response.status_code in _MISSING:
            chat = httpx.post(f"{upstream}/chat/completions", json={}, headers={"Authorization": f"Bearer {key}"},
                              timeout=timeout, trust_env=False)  # fmt: skip
    except httpx.HTTPError as exc:
        return (
            EXIT_UNREACHABLE,
            f"{ENDPOINT.name}={upstream} is unreachable ({type(exc).__name__}: {exc}); no example was run",
        )
    if response.is_success:
        return None
    if response.status_code in _MISSING:
        if chat.status_code not in _MISSING:
            return None  # a platform without /models is still fine
        hint = ""
        other = _with_v1(upstream)
        if other is not None:
            try:
                found = _get(f"{other}/models", key, timeout).status_code not in _MISSING
            except httpx.HTTPError:
                found = False
            hint = (f"; {other}/models answers: set {ENDPOINT.name}={other}" if found else
                    "; an OpenAI-compatible base URL usually ends in /v1")  # fmt: skip
        return EXIT_NO_API, (
            f"{ENDPOINT.name}={upstream} is not an OpenAI-compatible base URL: GET {models} answered "
            f"{response.status_code} and POST {upstream}/chat/completions answered {chat.status_code}{hint}; "
            "no example was run"
        )
    summary = error_summary(response.status_code, response.content, response.headers.get("content-type", ""))
    hint = f" (is ${API_KEY.name} the key for it?)" if response.status_code in (400, 401, 403, 500) else ""
    return EXIT_REFUSED, f"{ENDPOINT.name}={upstream}: GET /models: {summary}{hint}; no example was run"


def endpoint_line(upstream: str) -> str:
    """The header's line naming the endpoint under test."""
    if upstream:
        return f"branddocs: the endpoint under test: {upstream} (${ENDPOINT.name}); its key: ${API_KEY.name}"
    return (f"branddocs: the endpoint under test: branddocs' reference endpoint on loopback (set ${ENDPOINT.name} and "
            f"${API_KEY.name} to check your own server)")  # fmt: skip


def refusal(upstream: str, key: str | None, update: bool) -> tuple[int, str] | None:
    """Why the example checks must not run as asked, said before anything runs: (exit code, one line), or None.
    `upstream`: $BRANDDOCS_ENDPOINT, an http(s) URL of the grammar brands' base URLs follow (text/grammar.py: no
    user or password, query, fragment, space or shell character), as it is printed and sent on; `key`: its key,
    None where the proxy process holds it; `update`:
    `--update-examples`. `branddocs check` and the pytest plugin both ask it."""
    if upstream and "@" in urlsplit(upstream).netloc:  # said without the URL: it holds a password
        return EXIT_FENCE, (f"{ENDPOINT_ENV} holds a user name or password (user:password@host): it would be printed "
                            f"in the check's header and sent upstream in place of the key; give the URL without it, "
                            f"and the key in {KEY_ENV}")  # fmt: skip
    if upstream:
        try:
            url(upstream)
        except GrammarError as exc:
            return EXIT_FENCE, f"{ENDPOINT_ENV}: {exc}"
    if upstream and update:
        return EXIT_FENCE, f"--update-examples records what the reference endpoint sends: unset {ENDPOINT_ENV}"
    if upstream and key is not None and not key:
        return EXIT_FENCE, f"{ENDPOINT_ENV} is set but {KEY_ENV} is not: give the key for {upstream}"
    return None


def one_tenant(project: Project, upstream: str, brands: list[str] | None) -> list[str]:
    """The brands a check covers (`brands`, else every brand), refused (UsageError, one line) where a real key
    (`upstream` set) would pay for more than one: a real key is one tenant's, and each brand's file picks the models,
    time limit, requests and pages of its own runs, so another tenant's file would choose what this key pays for."""
    checked = project.known_brands(brands)
    if upstream and len(checked) != 1:
        shown = ", ".join(checked[:8]) + (", ..." if len(checked) > 8 else "")
        raise UsageError(f"a real key is one tenant's: with {ENDPOINT.name} set a check covers one brand, and this one "
                         f"covers {len(checked)} ({shown}); name the key's brand with --brand ID (one check per "
                         "brand, each with its own key); no example was run")  # fmt: skip
    return checked


def proxy_settings(project: Project, upstream: str, key: str, timeout: float, brands: list[str] | None) -> dict:
    """What the proxy process needs (read once from its stdin): the endpoint, its key, the run's brands; its time limit
    the longest any of them may take (a brand's own `checks.example_timeout`), so it never cuts an example short; and
    the requests those brands' examples make besides the guide's own (`api.example_requests`).

    A real key (`upstream` set) is one tenant's, so a real-key check is one brand's (`one_tenant`, asked first, before
    the sandbox's probe or anything else runs): no other brand's file picks the models, the time limit, the requests
    or the pages this key pays for. Against the reference endpoint each brand's `models` go as they are: a run is
    one brand's, and a body may name only its own brand's models (proxy/body.py), never the union of the checked
    brands'; `max_tokens` bounds what one request may ask for ($BRANDDOCS_MAX_TOKENS)."""
    limits, requests, models = [timeout], {}, {}
    for brand_id in one_tenant(project, upstream, brands):
        with contextlib.suppress(BrandError):  # a broken brand file fails its own examples when they are collected
            brand = project.brand(brand_id)
            limits.append(brand.checks.example_timeout or 0)
            requests.update(dict.fromkeys(brand.api.example_requests))
            models[brand.id] = list(brand.models)
    settings = {"upstream": upstream, "key": key, "timeout": max(limits), "root": str(project.root), "brands": brands,
                "sandbox": sandbox.inside(), "requests": list(requests), "models": models,
                "max_tokens": max_tokens()}  # fmt: skip
    if not upstream:  # what the reference endpoint serves, read here: the proxy builds no brand model of its own
        settings["served"] = served_brands(load_brands(project.brands_dir, brands))
    else:
        settings["budget"] = budget(project)
    return settings


RUNS_PER_BLOCK, REQUESTS_PER_BLOCK = 4, 100
"""A real-key check's bound on the whole (proxy/budget.py), per fenced block of the guide's pages: an example is one
run of a request or a few, an error table one run of a request a row, a sample's claims one run."""


def budget(project: Project) -> dict[str, int]:
    """What a real-key check may spend in all: runs and requests from the fenced blocks of every page under docs/
    (each read as the build reads it: regular, inside docs/, no link), counted before any repository code runs."""
    from branddocs.brand.links import read_regular, source_problem
    from branddocs.markup import FenceError, parse_fences

    blocks = 0
    for page in sorted(project.docs_dir.rglob("*.md")):
        data = None if source_problem(page, project.root, None, None) else read_regular(page, 4 << 20)
        with contextlib.suppress(FenceError, UnicodeDecodeError):
            blocks += len(parse_fences(data.decode("utf-8"), str(page))) if data else 0
    return {"runs": RUNS_PER_BLOCK * blocks + 16, "requests": REQUESTS_PER_BLOCK * blocks + 64}


def max_tokens() -> int:
    """$BRANDDOCS_MAX_TOKENS (a whole number from 1), else body.MAX_TOKENS."""
    given = MAX_TOKENS.get()
    if not given:
        return DEFAULT_MAX_TOKENS
    if not given.isdigit() or int(given) < 1:
        raise UsageError(f"{MAX_TOKENS.name}: expected a whole number from 1, found {given[:40]!r}")
    return int(given)
