"""What a built site must not have: broken links, other brands' values, and the ways to break a build."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from branddocs.brand import Brand
from branddocs.site import Project

TEXT_SUFFIXES = {".html", ".xml", ".json", ".js", ".css", ".txt", ".svg", ".md"}


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "src" or (name == "href" and tag in ("a", "link"))):
                self.links.append(value)


def own_values(brand: Brand) -> list[str]:
    """What is one tenant's own: its name, portal, URLs and key variable (models and colours may be shared)."""
    values = (brand.user_name, brand.portal_name, brand.base_url, brand.key_env, brand.site_url, brand.support_url)
    return [v for v in values if v]


def _break_page(scratch: Project, text: str) -> None:
    with (scratch.docs_dir / "serverless-endpoints.md").open("a", encoding="utf-8") as page:
        page.write(text)


def _replace_in_brand(scratch: Project, old: str, new: str) -> None:
    path = scratch.brands_dir / "acme.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def broken_links(site: Path, base_path: str = "/") -> list[str]:
    """Links and images in `site` whose target file is missing; `base_path` is the site URL's path."""
    broken = []
    for page in html_pages(site):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = unquote(parts.path)
            if path.startswith("/"):  # 404.html links from the site root, as it can be served at any depth
                path = str(site) + "/" + path.removeprefix(base_path)
            target = (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {link}")
    return broken


def leaks(site: Path, brand: Brand, others: list[Brand]) -> list[str]:
    """Other tenants' own values and image folders found in `brand`'s built site."""
    # The theme's assets are the same for every brand; the pages, search index and our CSS are what we render.
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.suffix in TEXT_SUFFIXES and p.relative_to(site).parts[0] != "assets"
    ).replace("&amp;", "&")
    mine = own_values(brand)
    found = []
    for other in (o for o in others if o.id != brand.id):
        for value in own_values(other):
            # A value this brand shares (`Cloud Portal`, one site_url) or contains is not the other's to leak.
            if not any(value in own for own in mine) and value in text:
                found.append(f"{other.id}'s {value!r} in {brand.id}'s site")
        if (site / "images" / other.resource_dir_name).exists():
            found.append(f"{other.id}'s images/{other.resource_dir_name}/ in {brand.id}'s site")
    return found


BREAKAGES = {
    "undefined variable": (
        lambda s: _break_page(s, "\nSee {{ user_nmae }}.\n"),
        ["serverless-endpoints.md", "'user_nmae' is undefined"],
    ),
    "macro error": (
        lambda s: _break_page(s, "\n{{ models | no_such_filter }}\n"),
        ["serverless-endpoints.md", "No filter named 'no_such_filter'"],
    ),
    "template text left over": (
        lambda s: _break_page(s, "\n{% raw %}Dear {{ reader }}{% endraw %}\n"),
        ["serverless-endpoints.md: template text '{{' left in the rendered page"],
    ),
    "broken link": (
        lambda s: _break_page(s, "\nSee [the FAQ](faq.md).\n"),
        ["serverless-endpoints.md", "'faq.md'", "not found"],
    ),
    "missing image": (
        lambda s: _break_page(s, "\n![Chart](images/{{ resource_dir_name }}/chart.png)\n"),
        ["serverless-endpoints.md", "images/acme/chart.png", "not found"],
    ),
    "bad field": (
        lambda s: _replace_in_brand(s, 'primary: "#1e4fa0"', "primary: blue"),
        ["acme.yml:11: theme.primary: String should match pattern"],
    ),
    "unknown key": (
        lambda s: _replace_in_brand(s, "portal_name:", "portal_nmae:"),
        ["acme.yml:4: portal_nmae: unknown key"],
    ),
    "missing screenshot": (
        lambda s: (s.docs_dir / "images" / "acme" / "endpoint.png").unlink(),
        ["brand 'acme': missing image file:", "images/acme/endpoint.png"],
    ),
}
