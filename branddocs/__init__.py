"""branddocs: one branded MkDocs-Material guide per tenant, with every example proven."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
