"""TLS in front, as the manual says: Debian's Caddy with the Caddyfile `branddocs host nginx --ask` writes.

Caddy's own CA stands in for Let's Encrypt (no network here), on loopback ports; everything else is the
generated file: on-demand certificates, asked of nginx first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from branddocs.host.caddy import caddyfile
from branddocs.host.run import free_port, running_nginx

from .support.hosting import build, readable_folder, scratch_with_site_urls
from .support.project import ROOT, run_branddocs

pytestmark = pytest.mark.slow
CADDY = shutil.which("caddy") or "/usr/bin/caddy"


@dataclass
class Front:
    folder: Path
    port: int
    """Caddy's HTTPS port."""
    ca: Path
    """Caddy's root certificate: what a reader's browser would trust as Let's Encrypt's."""


def for_the_test(generated: str, folder: Path, http: int, https: int, ask: bool = True) -> str:
    """The generated Caddyfile with what a test needs besides: no admin endpoint, loopback ports, storage in the
    scratch folder, no change to the system's trust store, Caddy's own CA in place of an ACME one."""
    extra = (f"\tadmin off\n\thttp_port {http}\n\thttps_port {https}\n\tskip_install_trust\n"
             f"\tstorage file_system {folder / 'caddy-data'}\n")  # fmt: skip
    text = generated.replace("{\n", "{\n" + extra, 1).replace("\ttls {\n", "\ttls internal {\n")
    if not ask:
        text = re.sub(r"\ton_demand_tls \{\n.*?\n\t\}\n", "", text, flags=re.S)
    assert "tls internal {" in text
    assert extra in text
    return text


@contextmanager
def caddy_front(ask: bool = True) -> Iterator[Front]:
    with readable_folder() as folder:
        project = scratch_with_site_urls(folder / "project", {"acme": "https://docs.acme.example/"})
        build(project, folder / "site", "acme")
        port, ask_port, http, https = free_port(), free_port(), free_port(), free_port()
        result = run_branddocs("host", "nginx", "--site-dir", str(folder / "site"), "--listen", f"127.0.0.1:{port}",
                               "--ask", f"127.0.0.1:{ask_port}", "--out", str(folder / "out"), "--workers", "1",
                               cwd=project.root)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        config = folder / "Caddyfile"
        config.write_text(for_the_test((folder / "out" / "Caddyfile").read_text(), folder, http, https, ask))
        env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "xdg"),
               "XDG_CONFIG_HOME": str(folder / "xdg")}  # fmt: skip
        log = (folder / "caddy.log").open("w")
        with running_nginx(folder / "out", [("127.0.0.1", port), ("127.0.0.1", ask_port)]):
            caddy = subprocess.Popen([CADDY, "run", "--config", str(config), "--adapter", "caddyfile"], env=env,
                                     stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
            try:
                ca = folder / "caddy-data" / "pki" / "authorities" / "local" / "root.crt"
                deadline = time.monotonic() + 30
                while not ca.exists() and caddy.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert ca.exists(), (folder / "caddy.log").read_text()
                yield Front(folder, https, ca)
            finally:
                caddy.terminate()
                caddy.wait(timeout=30)
                log.close()


def curl(front: Front, host: str, path: str = "/serverless-endpoints/") -> subprocess.CompletedProcess[str]:
    """curl as a reader's browser: the name resolved to loopback, the certificate checked against Caddy's CA."""
    command = ["curl", "-sS", "--max-time", "30", "--cacert", str(front.ca), "--resolve",
               f"{host}:{front.port}:127.0.0.1", "-D", "-", f"https://{host}:{front.port}{path}"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_hosted_name_gets_a_certificate_and_its_guide_over_tls() -> None:
    with caddy_front() as front:
        answer = curl(front, "docs.acme.example")
        refused = curl(front, "evil.example", "/")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("HTTP/2 200") or answer.stdout.startswith("HTTP/1.1 200"), answer.stdout[:200]
    assert "content-security-policy: default-src 'none'; script-src 'self';" in answer.stdout.lower()
    assert "strict-transport-security: max-age=31536000" in answer.stdout.lower()
    assert "<title>Serverless endpoints - Acme Cloud" in answer.stdout
    # nginx said the name is not hosted: Caddy asked for no certificate, and the handshake fails.
    assert refused.returncode != 0, refused.stdout[:200]
    assert refused.stdout == ""


def test_without_the_ask_caddy_would_certify_any_name() -> None:
    """The negative: the same Caddy without `ask` gets a certificate for a name no tenant has (nginx then answers
    404, but the certificate was issued: with Let's Encrypt, a rate limit spent on anyone's names)."""
    with caddy_front(ask=False) as front:
        answer = curl(front, "evil.example", "/")
    assert answer.returncode == 0, answer.stderr
    assert "No site is published at this address." in answer.stdout


def test_the_manuals_caddyfile_is_the_one_written() -> None:
    page = (ROOT / "manual" / "docs" / "how-to" / "host.md").read_text(encoding="utf-8")
    shown = re.search(r"```caddyfile\n(.*?)```", page, re.S)[1]
    written = caddyfile("127.0.0.1:8080", "127.0.0.1:8081")
    assert shown == "".join(line for line in written.splitlines(keepends=True) if not line.startswith("#"))
