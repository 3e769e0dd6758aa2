"""`branddocs build` (`--engine mkdocs`, the default): MkDocs + Material build the brand's site, with branddocs'
plugin and mkdocs-macros inside the build, as a plain `mkdocs build` of the brand does."""

from __future__ import annotations

from pathlib import Path

from branddocs.builder.engine import Engine
from branddocs.plugin.render import brand_config
from branddocs.site import Project

__all__ = ["ENGINE", "MkDocs"]


class MkDocs(Engine):
    name = "mkdocs"
    material_search = True

    def digest(self, shared: str) -> str:
        """The shared inputs' digest itself: MkDocs' digests stay what they were before there were engines."""
        return shared

    def build(self, project: Project, brand_id: str, work: Path) -> Path:
        # Here: `branddocs --help` and the endpoint don't pay for MkDocs' imports.
        from mkdocs.commands.build import build

        build(brand_config(project, brand_id, site_dir=work))  # the brand as an argument, never $BRAND
        return work


ENGINE = MkDocs()
