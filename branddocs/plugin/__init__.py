"""The registered MkDocs plugin: `plugins: [branddocs]` in mkdocs.yml (entry point `mkdocs.plugins`)."""

from __future__ import annotations

from branddocs.plugin.config import BranddocsConfig
from branddocs.plugin.plugin import BranddocsPlugin

__all__ = ["BranddocsConfig", "BranddocsPlugin"]
