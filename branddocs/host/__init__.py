"""Hosting: every built brand at its own `site_url`, from one web server's config (`branddocs host nginx`).

`addresses` holds the grammars brand values must fit before they reach a config; `tenants` decides which brands
are hosted where; `headers` is the policy every response carries; `nginx` writes the config and `output` the
folder nginx runs from; `command` is the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from branddocs.host.tenants import NotHosted, Tenant, Tenants, find_tenants

__all__ = ["NotHosted", "Tenant", "Tenants", "find_tenants"]


def __getattr__(name: str) -> Any:
    """tenants.py's names on first use: it imports the brand model, which `branddocs --help` has no use for."""
    if name in __all__:
        from branddocs.host import tenants

        return getattr(tenants, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
