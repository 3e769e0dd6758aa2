"""`branddocs host nginx`: the command line of the hosting config (the CLI's parser calls `add_parser`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.errors import UsageError
from branddocs.host.addresses import AddressError, listen_address
from branddocs.host.caddy import caddyfile
from branddocs.host.nginx import Layout, NginxOptions, render
from branddocs.host.output import unreadable_by_workers, write_file, write_layout

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "terminal_line"]

_DESCRIPTION = """Write DIR/nginx.conf: one nginx, in the foreground, serving every built brand that has
a site_url at its host and path, with a Content-Security-Policy and the other security
headers, caching and gzip; brands without one are listed as not hosted."""
_EXAMPLE = """example:
  branddocs build
  branddocs host nginx --listen 127.0.0.1:8080 --out /srv/branddocs-nginx
  nginx -c /srv/branddocs-nginx/nginx.conf -p /srv/branddocs-nginx/

Every built brand with a site_url answers at its host (and path); run it again after a build that adds brands
or changes a site_url, then `nginx -c ... -p ... -s reload`. Manual: how-to/host.md."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """`branddocs host nginx ...` under the CLI's subcommands."""
    host = sub.add_parser("host", help="write a web server's config that serves every built brand at its site_url")
    servers = host.add_subparsers(dest="server", required=True)
    nginx = servers.add_parser(
        "nginx", help="write nginx.conf (one server, a map of host names to brands)", epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter, description=_DESCRIPTION,
    )  # fmt: skip
    nginx.add_argument("--site-dir", type=Path, default=None, help="where site/<id>/ are (default: ./site)")
    nginx.add_argument("--listen", required=True, metavar="ADDR:PORT", help="where nginx listens, e.g. 127.0.0.1:8080")
    nginx.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for nginx.conf and nginx's pid, logs and temporary files")  # fmt: skip
    nginx.add_argument("--mcp", default=None, metavar="ADDR:PORT",
                       help="`branddocs mcp`'s address: <site_url>mcp on each host goes to its /<id>/mcp")  # fmt: skip
    nginx.add_argument("--ask", default=None, metavar="ADDR:PORT",
                       help="answer Caddy's on-demand TLS here (/ask?domain=NAME), and write a Caddyfile")  # fmt: skip
    nginx.add_argument("--workers", default="auto", metavar="N", help="nginx's worker processes (default: auto)")
    nginx.set_defaults(func=_cmd_nginx)


def terminal_line(text: str) -> str:
    """`text` with control characters shown as escapes: a brand's value cannot move the cursor or add a line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _cmd_nginx(args: argparse.Namespace, project: Project) -> int:
    try:
        options = NginxOptions(
            listen=":".join(map(str, listen_address(args.listen, "--listen"))),
            workers=_workers(args.workers),
            mcp=":".join(map(str, listen_address(args.mcp, "--mcp"))) if args.mcp else None,
            ask=":".join(map(str, listen_address(args.ask, "--ask"))) if args.ask else None,
        )
    except AddressError as error:
        raise UsageError(str(error)) from None
    from branddocs.host.tenants import find_tenants  # here: it imports the brand model, which `--help` has no use for

    tenants = find_tenants(project, args.site_dir)
    layout = Layout(args.out.absolute())
    try:
        changed = write_layout(layout, tenants.hosted, render(tenants.hosted, layout, options))
    except ValueError as error:  # a folder name nginx.conf cannot hold
        raise UsageError(str(error)) from None
    if options.ask:
        write_file(layout.out / "Caddyfile", caddyfile(options.listen, options.ask))
    for tenant in tenants.hosted:
        print(f"  {tenant.brand_id}: {tenant.address.url}")
    for brand in tenants.not_hosted:
        print(terminal_line(f"  {brand.brand_id}: not hosted: {brand.reason}"))
    for problem in unreadable_by_workers(tenants.hosted):
        print(f"warning: nginx's workers (user nobody, under root) cannot read {problem}")
    state = "written" if changed else "unchanged"
    print(f"{layout.config} {state}: {len(tenants.hosted)} brands on {len(tenants.host_names)} host names, "
          f"{len(tenants.not_hosted)} not hosted; listening on {options.listen}")  # fmt: skip
    print(f"run: nginx -c {layout.config} -p {layout.out}/")
    return 1 if any(brand.refused for brand in tenants.not_hosted) else 0


def _workers(value: str) -> str:
    if value == "auto" or (value.isdigit() and 0 < int(value) <= 1024):
        return value
    raise UsageError(f"--workers: expected auto or a number 1-1024; found {terminal_line(value)!r}")
