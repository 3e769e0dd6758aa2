"""The endpoint under test ($BRANDDOCS_ENDPOINT) by grammar (run/first_run.py `refusal`, text/grammar.py `url`).

The URL is printed in the check's header (a terminal, a CI log), and the proxy sends its user and password
upstream as `Authorization: Basic`, in place of the real key. So it holds none: a URL with `user:password@` is
refused before anything runs, in one line that does not repeat it, and no request reaches the platform. Nor does it
hold a query, a fragment, a space or a shell character (the grammar brands' base URLs follow). The negative: the
same platform's URL without the password passes the same rule and its check runs.
"""

from __future__ import annotations

import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.errors import EXIT_FENCE
from branddocs.examples.run.first_run import refusal

from ..support.checks import check
from ..support.platform import REAL_KEY, Platform
from ..support.project import scratch_project

PASSWORD = "platform-password-7c1e"
REFUSED = [
    f"http://tenant:{PASSWORD}@127.0.0.1:9/v1",
    f"http://{PASSWORD}@127.0.0.1:9/v1",
    "http://127.0.0.1:9/v1?api-version=1",
    "http://127.0.0.1:9/v1#x",
    "http://127.0.0.1:9/v1;touch /tmp/p",
    "http://127.0.0.1:9/v1\ttab",
    "ftp://127.0.0.1:9/v1",
]


@pytest.mark.parametrize("given", REFUSED)
def test_an_endpoint_outside_the_grammar_is_refused_in_one_line(given: str) -> None:
    code, line = refusal(given, REAL_KEY, update=False)
    assert code == EXIT_FENCE
    assert "\n" not in line, line
    assert PASSWORD not in line, line
    assert "BRANDDOCS_ENDPOINT" in line, line


def test_the_negative_the_same_urls_without_them_pass() -> None:
    for given in ("http://127.0.0.1:9/v1", "https://api.acme.example/v1", "http://localhost:8000"):
        assert refusal(given, REAL_KEY, update=False) is None, given


def test_a_password_in_the_endpoint_stops_the_check_before_anything_reaches_the_platform(tmp_path) -> None:
    project = scratch_project(tmp_path)
    found = Platform()
    with running_endpoint(found.app) as server:
        host = server.url.removeprefix("http://")
        code, _, output = check(project, "--brand", "acme", env={
            "BRANDDOCS_ENDPOINT": f"http://tenant:{PASSWORD}@{host}/v1", "BRANDDOCS_API_KEY": REAL_KEY})  # fmt: skip
        assert code == EXIT_FENCE, output
        assert "holds a user name or password" in output, output
        assert PASSWORD not in output, output
        assert found.seen == [], "it reached the platform"
        # The negative: the same platform's URL without the password is checked (the platform is asked).
        plain = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
        code, _, output = check(project, "--brand", "acme", "serverless-endpoints.md", env=plain)
        assert found.seen, output
