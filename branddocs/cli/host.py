"""`branddocs host nginx`: a web server's config that serves every built brand at its site_url (branddocs/host/)."""

from __future__ import annotations

from branddocs.host.command import add_parser

__all__ = ["add_parser"]
