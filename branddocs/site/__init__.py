"""A project's sites: where its parts live, which pages each brand gets, and building, publishing and serving them."""

from __future__ import annotations

from branddocs.site.project import Project, brand_for_build

__all__ = ["Project", "brand_for_build"]
