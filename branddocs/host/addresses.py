"""The allow-list grammars for what reaches a server's config: a brand's site URL, an origin, a listen address, a path.

Brand values are untrusted text. A `site_url` or `api.base_url` reaches `nginx.conf` only as the parts these
grammars accept, matched against the whole raw text (no `urlsplit` first: it drops tabs and newlines and lets
`user@host` through): a host name of lower-case letters, digits, hyphens and dots (at least two labels, so never
one of nginx's `map` keywords), an optional port, and a path of unreserved URL characters without `.` or `..`
segments. Anything else is refused with the field, what was expected and what was found.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = ["AddressError", "SiteAddress", "listen_address", "origin_of", "site_address", "text_preview"]


class AddressError(ValueError):
    """A value that does not fit its grammar; the message says what was expected and what was found."""


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+{_LABEL}"
_PORT = r"[1-9][0-9]{0,4}"
_SEGMENT = r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.\.[A-Za-z0-9._~-]+"
"""A path segment of unreserved URL characters (RFC 3986), never `.` or `..`."""
_SITE_URL = re.compile(
    rf"(?i:(?P<scheme>https?)://(?P<host>{_HOST}))(?::(?P<port>{_PORT}))?(?P<path>(?:/(?:{_SEGMENT}))*/?)", re.ASCII
)
"""Scheme and host in any case (they are case-insensitive; lower-cased after the match), the path as written.
ASCII rules: case-insensitive Unicode matching takes the KELVIN SIGN for `k` and the long s for `s`."""
_ORIGIN = re.compile(
    rf"(?i:(?P<scheme>https?)://(?P<host>(?:{_LABEL}\.)*{_LABEL}))(?::(?P<port>{_PORT}))?(?=[/?#]|\Z)", re.ASCII
)
"""Only the origin reaches the config (a CSP source); a one-label host such as `localhost` is fine there."""
_LISTEN = re.compile(rf"(?P<host>[0-9.]+|\[[0-9a-fA-F:]+\]|localhost):(?P<port>{_PORT})", re.ASCII)
_SITE_EXPECTED = (
    "an http:// or https:// URL of a lower-case host name with a dot (letters, digits, hyphens; IDN as xn--), an "
    "optional port and a path of letters, digits and . _ ~ - (no . or .. segment, no query, no user name)"
)


@dataclass(frozen=True)
class SiteAddress:
    """Where a brand's guide answers: `https://docs.zoe.example/guide/` is host docs.zoe.example, path /guide/."""

    scheme: str
    host: str
    """Lower case, without the port: what nginx's `$host` holds for a request to it."""
    port: int | None
    path: str
    """Starts and ends with `/`; `/` for a guide at the host's root."""

    @property
    def url(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}{self.path}"

    @property
    def prefix(self) -> str:
        """The path without its last slash: "" at the root, "/guide" for /guide/."""
        return self.path.rstrip("/")


def text_preview(value: str, limit: int = 60) -> str:
    """`value` as a Python literal, cut to `limit` characters: safe to print on one terminal line."""
    shown = repr(value[:limit])
    return shown + ("..." if len(value) > limit else "")


def site_address(value: str, field: str = "site_url") -> SiteAddress:
    """A brand's `site_url` checked against the grammar above; the host is lower-cased, a missing last `/` added."""
    match = _SITE_URL.fullmatch(value)
    if not match or len(match["host"]) > 253 or (match["port"] and int(match["port"]) > 65535):
        raise AddressError(f"{field}: expected {_SITE_EXPECTED}; found {text_preview(value)}")
    path = match["path"] or "/"
    return SiteAddress(match["scheme"].lower(), match["host"].lower(), int(match["port"]) if match["port"] else None,
                       path if path.endswith("/") else path + "/")  # fmt: skip


def origin_of(value: str, field: str = "api.base_url") -> str:
    """The origin (`https://api.acme.example`, `http://127.0.0.1:8000`) of an http(s) URL, checked as above."""
    match = _ORIGIN.match(value)
    if not match or len(match["host"]) > 253 or (match["port"] and int(match["port"]) > 65535):
        raise AddressError(
            f"{field}: expected an http:// or https:// URL whose host is a name of letters, digits, hyphens and dots "
            f"(IDN as xn--) or an IPv4 address, with an optional port; found {text_preview(value)}"
        )
    return match[0].lower()


def listen_address(value: str, option: str = "--listen") -> tuple[str, int]:
    """`127.0.0.1:8080`, `[::1]:8080` or `localhost:8080` as (host, port); nginx's `listen` takes it as it is."""
    match = _LISTEN.fullmatch(value)
    if match and match["host"] != "localhost":
        try:
            ipaddress.ip_address(match["host"].strip("[]"))
        except ValueError:
            match = None
    if not match or int(match["port"]) > 65535:
        raise AddressError(
            f"{option}: expected ADDR:PORT with an IPv4 address, [IPv6] or localhost and a port 1-65535, "
            f"e.g. 127.0.0.1:8080; found {text_preview(value)}"
        )
    return match["host"], int(match["port"])
