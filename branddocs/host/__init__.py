"""Hosting: every built brand at its own `site_url`, from one web server's config (`branddocs host nginx`).

`addresses` holds the grammars brand values must fit before they reach a config; `tenants` decides which brands
are hosted where; `headers` is the policy every response carries; `nginx` writes the config and `output` the
folder nginx runs from; `command` is the command line.
"""

from __future__ import annotations

from branddocs.host.tenants import NotHosted, Tenant, Tenants, find_tenants

__all__ = ["NotHosted", "Tenant", "Tenants", "find_tenants"]
