"""The branddocs plugin's options in mkdocs.yml (`plugins: [branddocs]`)."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

__all__ = ["BranddocsConfig"]


class BranddocsConfig(Config):
    brand = c.Optional(c.Type(str))
    """The brand this build is for (`brands/<id>.yml`): `branddocs build` and the renderer set it for each brand
    (plugin/render.py, brand_config); unset, the BRAND environment variable of a plain `BRAND=x mkdocs build`
    (`branddocs.settings.BRAND`)."""
