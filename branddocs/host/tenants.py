"""Which built brands a server hosts, at which address, and why the others are not hosted.

A brand is hosted when its site is built (`site/<id>/` is a folder, not a link), its brand file is still there, the
`site_url` and `api.base_url` it was built with fit the grammars of `branddocs.host.addresses`, and no other
brand claims the same host and path. Each other brand is listed with the reason; none of them stops the rest.

The two values are read from the built site's `platform.json` (written by the build from the brand file, and
swapped in with the rest of the site), so the server follows what is published, and a thousand brands are read in
a fraction of a second; a site without one (built before it existed) has its brand file read instead.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from branddocs.brand import BRAND_ID_RE, BrandError, load_brand
from branddocs.host.addresses import AddressError, SiteAddress, origin_of, site_address
from branddocs.site import Project

__all__ = ["PLATFORM_FILE", "NotHosted", "Tenant", "Tenants", "find_tenants"]

PLATFORM_FILE = "platform.json"
"""In each built site: the platform its guide documents, `site_url` and `base_url` among it (branddocs mcp's too)."""
MAX_PLATFORM_BYTES = 64 * 1024
"""What `host` reads of a site's platform.json at most (as `branddocs mcp`: mcp/sites.py)."""


@dataclass(frozen=True)
class Tenant:
    """A brand the server answers for."""

    brand_id: str
    address: SiteAddress
    api_origin: str
    """The origin of the brand's `api.base_url`: the one place besides itself its pages may connect to."""
    site: Path
    """`site/<id>/`, absolute."""


@dataclass(frozen=True)
class NotHosted:
    """A brand the server does not answer for, and why."""

    brand_id: str
    reason: str
    refused: bool = False
    """True when the brand asked to be hosted and something it holds was refused (a value, a clash)."""


@dataclass(frozen=True)
class Tenants:
    hosted: tuple[Tenant, ...]
    not_hosted: tuple[NotHosted, ...]

    @property
    def host_names(self) -> list[str]:
        """Every host name served, sorted: the names a certificate must cover."""
        return sorted({t.address.host for t in self.hosted})


def find_tenants(project: Project, site_dir: Path | None = None) -> Tenants:
    """The brands of `project` built into `site_dir` (default: the project's `site/`), hosted or not."""
    site_root = Path(site_dir or project.site_dir).absolute()
    folders = list(os.scandir(site_root)) if site_root.is_dir() else []
    # A build makes real folders; a link named as a brand is a checkout's (`site/nebula -> /etc`), never hosted.
    built = {e.name for e in folders if e.is_dir(follow_symlinks=False) and BRAND_ID_RE.match(e.name)}
    linked = {e.name for e in folders if e.is_symlink()}
    brand_ids = project.brand_ids()
    candidates: list[Tenant] = []
    not_hosted: list[NotHosted] = []
    for brand_id in brand_ids:
        if brand_id in linked:
            reason = f"{site_root / brand_id} is a link, not a site the build made"
            not_hosted.append(NotHosted(brand_id, reason, refused=True))
            continue
        if brand_id not in built:
            not_hosted.append(NotHosted(brand_id, f"not built: no {site_root / brand_id}"))
            continue
        source = site_root / brand_id / PLATFORM_FILE
        try:
            built_with = _published(site_root / brand_id)
        except _RecordRefused as error:
            reason = f"{source}: expected a regular file of at most {MAX_PLATFORM_BYTES} bytes, found {error}"
            not_hosted.append(NotHosted(brand_id, reason, refused=True))
            continue
        if built_with is None:
            source = project.brands_dir / f"{brand_id}.yml"
            try:
                brand = load_brand(project.brands_dir / f"{brand_id}.yml")
            except BrandError as error:
                reason = f"brand file refused: {str(error).splitlines()[0]}"
                not_hosted.append(NotHosted(brand_id, reason, refused=True))
                continue
            built_with = (brand.site_url, brand.base_url)
        site_url, base_url = built_with
        if not site_url:
            not_hosted.append(NotHosted(brand_id, "no site_url in its brand file"))
            continue
        try:
            address = site_address(site_url)
            origin = origin_of(base_url)
        except AddressError as error:
            not_hosted.append(NotHosted(brand_id, f"{source}: {error}", refused=True))
            continue
        candidates.append(Tenant(brand_id, address, origin, site_root / brand_id))
    for name in sorted(built - set(brand_ids)):
        not_hosted.append(NotHosted(name, f"no brands/{name}.yml for {site_root / name}"))
    # One claim per address as the server tells addresses apart: nginx's `map` compares strings without case, so
    # `/Guide/` and `/guide/` are one key there (two would be a duplicate, and nginx refuses the whole config).
    # A tenant's address is its host and every path below its own: one inside another's (`/acme/evil/` below
    # `/acme/`) would answer for the other's pages there (nginx takes the longest prefix). Each address looks up
    # only the paths above its own: a brand's cost does not grow with the number of brands.
    claims: dict[tuple[str, str], list[Tenant]] = defaultdict(list)
    for tenant in candidates:
        claims[_claim(tenant)].append(tenant)
    equal: dict[str, list[str]] = defaultdict(list)
    nested: dict[str, list[str]] = defaultdict(list)
    for tenant in candidates:
        host, path = _claim(tenant)
        equal[tenant.brand_id] += [t.brand_id for t in claims[host, path] if t is not tenant]
        for above in _paths_above(path):
            for other in claims.get((host, above), ()):
                nested[tenant.brand_id].append(other.brand_id)
                nested[other.brand_id].append(tenant.brand_id)
    hosted = []
    for tenant in candidates:
        same, overlapping = equal[tenant.brand_id], sorted(set(nested[tenant.brand_id]))
        if same or overlapping:
            # Hosting either could show one tenant's guide at the other's address: neither is hosted.
            reasons = [f"is also claimed by {_files(same)}"] if same else []
            reasons += [f"lies inside or around the address of {_files(overlapping)}"] if overlapping else []
            reason = f"site_url {tenant.address.url} {'; it '.join(reasons)}"
            not_hosted.append(NotHosted(tenant.brand_id, reason, refused=True))
        else:
            hosted.append(tenant)
    return Tenants(tuple(hosted), tuple(sorted(not_hosted, key=lambda n: n.brand_id)))


def _claim(tenant: Tenant) -> tuple[str, str]:
    """The address `tenant` claims, as the server compares it: host and path, case set aside."""
    return tenant.address.host, tenant.address.path.lower()


def _paths_above(path: str) -> list[str]:
    """The paths a server would answer `path` (`/a/b/`) from if they were a site's: `/`, `/a/`."""
    parts = path.strip("/").split("/") if path.strip("/") else []
    return ["/" + "".join(p + "/" for p in parts[:n]) for n in range(len(parts))]


def _files(brand_ids: list[str]) -> str:
    return ", ".join(f"brands/{b}.yml" for b in brand_ids)


def _record_text(site: Path) -> bytes | None:
    """`site`/platform.json's bytes, None when there is none. As `branddocs mcp` reads it (mcp/files.py, a floor
    `host` may not import): the folder then the name opened O_NOFOLLOW, the file O_NONBLOCK, a regular file, capped.
    _RecordRefused otherwise (R9-10: `-> /dev/zero` was read until memory ran out, and all of `host` failed)."""
    folder = os.open(site, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        descriptor = os.open(PLATFORM_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _RecordRefused("a symbolic link" if error.errno == errno.ELOOP else error.strerror) from error
    finally:
        os.close(folder)
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _RecordRefused(f"another kind of file (mode {stat.filemode(mode)})")
        data = file.read(MAX_PLATFORM_BYTES + 1)
    if len(data) > MAX_PLATFORM_BYTES:
        raise _RecordRefused(f"more than {MAX_PLATFORM_BYTES} bytes")
    return data


class _RecordRefused(Exception):
    """A site's platform.json that is no regular file of at most MAX_PLATFORM_BYTES: its brand is not hosted."""


def _published(site: Path) -> tuple[str | None, str] | None:
    """(site_url, base_url) as the site at `site` was built with them; None if it does not say (then the brand
    file is read). Only strings are taken from the file; the grammars check them like any brand value.
    _RecordRefused for a record that is a link, no regular file or too large (never followed nor read whole)."""
    try:
        text = _record_text(site)
        record = json.loads(text.decode("utf-8")) if text is not None else None
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    site_url, base_url = record.get("site_url"), record.get("base_url")
    if not isinstance(base_url, str) or not (site_url is None or isinstance(site_url, str)):
        return None
    return site_url, base_url
