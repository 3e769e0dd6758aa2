"""The build engines, one module each: mkdocs.py (MkDocs + Material, the default) and zensical.py. A module here
with an `ENGINE` is an engine: `branddocs build --engine <module name>`, nothing else to change."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from branddocs.builder.engine import Engine

__all__ = ["DEFAULT", "get", "names"]

DEFAULT = "mkdocs"


def names() -> list[str]:
    """The engines' names, without importing them (`branddocs --help` stays quick)."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))


def get(name: str) -> Engine:
    """The engine called `name`; ValueError naming the engines for any other name."""
    if name not in names():
        raise ValueError(f"no build engine {name!r}; engines: {', '.join(names())}")
    engine = import_module(f"{__name__}.{name}").ENGINE
    if not isinstance(engine, Engine) or engine.name != name:
        raise ValueError(f"{__name__}.{name}.ENGINE: expected an Engine named {name!r}, found {engine!r}")
    return engine
