"""A project's sites: where its parts live, which pages each brand gets, and building, publishing and serving them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from branddocs.site.project import Project, brand_for_build

__all__ = ["Project", "brand_for_build"]


def __getattr__(name: str) -> Any:
    """`Project` and `brand_for_build` on first use: the brand model they import costs a third of a second, which
    `branddocs build` spares the process it replaces (cli/__init__.py) and the modules here that need neither."""
    if name in __all__:
        from branddocs.site import project

        return getattr(project, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
