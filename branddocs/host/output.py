"""Write the output folder of `branddocs host nginx`: the config, the path links, the host list, nginx's folders.

Each file is replaced in one step (a new file renamed over the old), and only when its content changed, so a
running nginx never reads half a config and a reload after an unchanged run is a no-op. A link under `roots/` is
replaced in one step too; links no brand needs any more are removed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.host.nginx import Layout

if TYPE_CHECKING:
    from branddocs.host.tenants import Tenant

__all__ = ["unreadable_by_workers", "write_file", "write_layout"]


def write_file(path: Path, text: str) -> bool:
    """Write `text` to `path` in one step if it differs; True if it did."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(path)
    return True


def write_layout(layout: Layout, tenants: Iterable[Tenant], config: str) -> bool:
    """Everything under `layout.out`; True if the config changed (nginx then needs a reload)."""
    tenants = list(tenants)
    layout.out.mkdir(parents=True, exist_ok=True)
    for name in Layout.folders:
        (layout.out / name).mkdir(exist_ok=True)
        (layout.out / name).chmod(0o755)  # nginx's workers (nobody, under root) read roots/, empty/ and acme/
    (layout.acme_challenge / ".well-known" / "acme-challenge").mkdir(parents=True, exist_ok=True)
    _link_roots(layout.roots, tenants)
    write_file(layout.hosts, "".join(f"{name}\n" for name in sorted({t.address.host for t in tenants})))
    return write_file(layout.config, config)


def _link_roots(roots: Path, tenants: list[Tenant]) -> None:
    """`roots/<id>/<path> -> site/<id>` for each brand under a path; nothing else stays under `roots/`."""
    wanted = {roots / t.brand_id / t.address.prefix.lstrip("/"): t.site for t in tenants if t.address.prefix}
    for link, target in wanted.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() and os.readlink(link) == str(target):
            continue
        partial = link.with_name(f".{link.name}.tmp")
        partial.unlink(missing_ok=True)
        partial.symlink_to(target, target_is_directory=True)
        partial.replace(link)
    for folder, dirs, names in os.walk(roots, topdown=False):
        for name in dirs + names:
            path = Path(folder, name)
            if path.is_symlink() and path not in wanted:
                path.unlink()
            elif not path.is_symlink() and path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def unreadable_by_workers(tenants: Iterable[Tenant]) -> list[str]:
    """Under root, nginx's workers run as `nobody`: the folders on the way to a site it could not read."""
    if os.geteuid() != 0:
        return []
    problems: dict[Path, str] = {}
    enterable: dict[Path, bool] = {}  # the sites share their parents: each folder is looked at once
    for tenant in tenants:
        for folder in [*reversed(tenant.site.parents), tenant.site]:
            if folder not in enterable:
                try:
                    mode = folder.stat().st_mode
                except OSError:
                    break
                enterable[folder] = bool(mode & stat.S_IXOTH)
                if not enterable[folder]:
                    problems[folder] = f"{folder} (mode {stat.S_IMODE(mode):04o}): others may not enter it"
            if not enterable[folder]:
                break
    return list(problems.values())
