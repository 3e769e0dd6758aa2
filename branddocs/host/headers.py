"""What every hosted response carries: the security headers, the caching rule, and the types served compressed.

One policy for every page of every brand; only `connect-src` names the brand's own API origin (the "Try it"
panel sends requests there). Scripts are `'self'` only: Material's inline scripts are files
(`overrides/partials/javascripts/`), so no hash or `'unsafe-inline'` is needed for scripts, and the policy does
not change when a brand is rebuilt. Styles keep `'unsafe-inline'`: the brand palette is an inline `<style>` in
each page (`overrides/main.html`), and Zensical's bundle inserts a `<style>` element as it runs.
"""

from __future__ import annotations

__all__ = ["CONNECT_SRC", "FINGERPRINTED", "IMMUTABLE", "REVALIDATE", "SANDBOXED_ANYWAY", "SCRIPTED", "TEXT_TYPES",
           "TYPES", "content_security_policy", "security_headers"]  # fmt: skip

CONNECT_SRC = "{api_origin}"
"""Where the brand's API origin goes in the policy (nginx fills in a variable; a test, a value)."""
FINGERPRINTED = r"\.[0-9a-f]{8}\.min\.(?:js|css)(?:\.map)?$"
"""Material's and branddocs' fingerprinted assets, e.g. `assets/javascripts/bundle.a5f9d56c.min.js`: a new
content gets a new name, so a name's content never changes."""
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
"""Pages and other files: a cache keeps them but asks each time (ETag, 304), so a rebuild shows at once."""

_POLICY = (
    ("default-src", "'none'"),
    ("script-src", "'self'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),  # Material's icons in CSS are data: SVGs
    ("font-src", "'self'"),
    ("connect-src", f"'self' {CONNECT_SRC}"),  # the search index, "Copy page", the "Try it" panel
    ("worker-src", "'self'"),  # the search worker
    ("manifest-src", "'self'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)


def content_security_policy(api_origin: str) -> str:
    """The policy with `api_origin` (a checked origin, or an nginx variable) as the one other place to connect to."""
    return "; ".join(f"{name} {value}" for name, value in _POLICY).replace(CONNECT_SRC, api_origin)


SCRIPTED = r"(?:/|\.html|\.m?js|\.css|\.woff2?|\.ttf)$"
"""What may run script, as a document or a worker: a page (a folder's index.html, 404.html) and the site's own
scripts, styles and fonts. Any other file (an SVG, an XML, a Markdown twin, a PDF, whatever a brand's own folder
holds) is served with the policy's `sandbox`: opened as a document it runs no script and has an origin of its own,
so it reads no other tenant's storage on a shared host. Anything under an `images/` folder is sandboxed whatever
its name (a brand's `images/<id>/index.html`)."""
SANDBOXED_ANYWAY = r"/images/"


def security_headers(api_origin: str, sandbox: str = "") -> dict[str, str]:
    """Every security header and its value; `Cache-Control` is set apart (it depends on the file and status).
    `sandbox`: what the policy starts with (`sandbox; ` for a file that may not run script, or a server variable)."""
    return {
        "Content-Security-Policy": sandbox + content_security_policy(api_origin),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), geolocation=(), microphone=(), payment=(), usb=()",
    }


TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json map",
    "application/manifest+json": "webmanifest",
    "application/xml": "xml",
    "text/plain": "txt",
    "text/markdown": "md",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/x-icon": "ico",
    "font/woff": "woff",
    "font/woff2": "woff2",
    "font/ttf": "ttf",
    "application/pdf": "pdf",
    "application/gzip": "gz",
}
"""The file types a built site holds; anything else is served as application/octet-stream."""
TEXT_TYPES = ("text/css", "application/javascript", "application/json", "application/manifest+json",
              "application/xml", "text/plain", "text/markdown", "image/svg+xml")  # fmt: skip
"""Served with `charset=utf-8` and compressed (text/html always is)."""
