"""What an engine is: one way of turning a brand's sources into its site's folder. The build (build.py) does the
rest, the same for every engine: what is up to date, the staging folder, what the build said, the publishing.

An engine is a module of its own in builder/engines/ with an `ENGINE`, an instance of an Engine subclass whose
`name` is the module's name; `branddocs build --engine NAME` finds it there (engines/__init__.py).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from branddocs.site import Project


__all__ = ["BuildFailed", "Engine"]


class BuildFailed(Exception):
    """An engine's own account of why a brand did not build: the brand's error, as it is."""


class Engine(ABC):
    """One engine. Subclasses set `name` and write `build`."""

    name: ClassVar[str]
    """`--engine NAME`, the module's name under builder/engines/, and the package whose version the digest holds."""
    material_search: ClassVar[bool] = False
    """Whether Material's search plugin writes the site's index (and segments Chinese with jieba): only then does a
    build load jieba's dictionary, or the project's kept cuts, before its workers start (builder/build.py)."""
    workers_per_core: ClassVar[int] = 1
    """A build's workers when `--jobs` is not given: this many per core. More than one where a brand's build waits
    on the engine's own timers rather than on the processor."""

    def digest(self, shared: str) -> str:
        """The stamps' digest of the inputs every brand shares, for this engine: the engine and its package's
        version are part of it, so switching engines, or upgrading one, rebuilds."""
        try:
            version = metadata.version(self.name)
        except metadata.PackageNotFoundError:
            version = "missing"
        return hashlib.sha256(f"{shared}\nengine={self.name} {self.name}=={version}\n".encode()).hexdigest()

    @abstractmethod
    def build(self, project: Project, brand_id: str, work: Path) -> Path:
        """Build the brand's site under `work` (its own staging folder, removed afterwards) and return the folder
        to publish. Raise BuildFailed with the brand's error, or let MkDocs' own errors through."""
