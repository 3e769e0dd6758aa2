"""`branddocs diff`'s report for the places people review: a terminal, a pull request (Markdown), JSON."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from branddocs import text
from branddocs.review.diff import BrandChange, DiffReport

__all__ = ["MARKDOWN_LIMIT", "group_changes", "render_json", "render_markdown", "render_text"]

MARKDOWN_LIMIT = 60_000
"""Characters: under GitHub's 65,536 for a comment (a step summary may hold 1 MiB)."""
_BLOCK_LINES = 200
"""Lines of one diff block shown in Markdown; the rest is counted."""
_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m", "#": "\033[1m"}
_RESET = "\033[0m"


def group_changes(report: DiffReport) -> list[list[BrandChange]]:
    """Brands whose change reads exactly the same, together (a shared line without brand values)."""
    groups: dict[str, list[BrandChange]] = {}
    for change in report.changed:
        body = {k: v for k, v in dataclasses.asdict(change).items() if k != "brand_id"}
        groups.setdefault(json.dumps(body, sort_keys=True), []).append(change)
    return list(groups.values())


def _counts(change: BrandChange) -> str:
    if change.status != "changed":
        return f"brand {change.status} ({len(change.pages)} pages)"
    parts = [f"{n} {s}" for s in ("added", "removed", "changed") if (n := sum(p.status == s for p in change.pages))]
    pages = f"pages: {', '.join(parts)}" if parts else ""
    other = [f"{len(change.styles)} stylesheet{'s' * (len(change.styles) != 1)}" if change.styles else "",
             f"{len(change.images)} image{'s' * (len(change.images) != 1)}" if change.images else "",
             "navigation" if change.nav else ""]  # fmt: skip
    return "; ".join(p for p in [pages, ", ".join(o for o in other if o)] if p)


def _headline(report: DiffReport) -> str:
    failed = f", {len(report.failures)} builds FAILED" if report.failures else ""
    if not report.changed:
        return f"no brand changes ({len(report.unchanged)} brands unchanged{failed})"
    return f"{len(report.changed)} brands changed, {len(report.unchanged)} unchanged{failed}"


# Pages and brand values are untrusted text, printed with branddocs.text's printers: on a terminal no control
# or bidirectional character (an escape sequence could rewrite the screen) and in Markdown no markup (a
# `</details>` would break the comment) gets through.
_plain = text.terminal_text
_md = text.markdown_text


def _sections(change: BrandChange) -> list[tuple[str, list[str]]]:
    """(title, diff lines) for each part of one brand's change, in reading order."""
    sections = []
    for page in change.pages:
        if page.text:
            sections.append((f"{page.page} ({page.status}): text", page.text))
        elif page.status != "changed" and not page.code:
            sections.append((f"{page.page} ({page.status})", []))
        for label, lines in page.code.items():
            sections.append((f"{page.page}: code block «{label}»", lines))
    for style in change.styles:
        sections.append((f"stylesheet {style.path} ({style.status})", style.diff))
    for image in change.images:
        sections.append((f"image {image.path} ({image.status})", image.diff))
    if change.nav:
        sections.append(("navigation", change.nav))
    return sections


def _names(group: list[BrandChange], most: int = 12) -> str:
    ids = [c.brand_id for c in group]
    return ", ".join(ids[:most]) + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _failures(report: DiffReport) -> list[str]:
    return [f"{f.brand_id}: build FAILED on the {f.side} side: " + f.error.replace("\n", "\n  ")
            for f in report.failures]  # fmt: skip


def render_text(report: DiffReport, colour: bool = False) -> str:
    """For a terminal: the summary, then every diff; `colour` for a terminal that shows it."""

    def paint(line: str) -> str:
        line = _plain(line)
        code = _COLOURS.get(line[:1]) if colour and not line.startswith(("+++", "---")) else None
        return f"{code}{line}{_RESET}" if code else line

    out = [paint(f"# branddocs diff: {_headline(report)} (compared with {report.base})")]
    for change in report.changed:
        out.append(f"  {change.brand_id}: {_counts(change)}")
    for group in group_changes(report):
        title = group[0].brand_id if len(group) == 1 else f"the same change in {len(group)} brands: {_names(group)}"
        out += ["", paint(f"## {title}")]
        for heading, lines in _sections(group[0]):
            out += [paint(f"### {heading}"), *(paint(line) for line in lines)]
    for brand_id, shots in report.shots.items():
        out.append(f"screenshots of {brand_id}: {', '.join(shots)}")
    out += [""] * bool(report.failures) + _failures(report)
    if report.changed:
        out += ["", f"Preview: {report.preview_command()}"]
    return "\n".join(out) + "\n"


def _fence(lines: list[str]) -> str:
    shown = lines[:_BLOCK_LINES]
    more = f"\n… {len(lines) - len(shown)} more lines" if len(lines) > len(shown) else ""
    body = "\n".join(_plain(line) for line in shown).replace(
        "```", "`\u200b``"
    )  # a fence inside the diff must not end the block
    return f"```diff\n{body}\n```{more}\n"


def render_markdown(report: DiffReport, limit: int = MARKDOWN_LIMIT) -> str:
    """For a pull request's comment or $GITHUB_STEP_SUMMARY: a table, then one collapsed section per change."""
    head = [f"## branddocs diff: {_headline(report)}", "", f"Compared with {_md(report.base)}."]
    if report.failures:
        head += ["", "**Build failures:**", ""]
        head += [
            f"- `{f.brand_id}` on the {_md(f.side)} side:\n\n" + _fence(f.error.splitlines()) for f in report.failures
        ]
    if not report.changed:
        return "\n".join(head) + "\n"
    head += ["", f"Preview locally: `{report.preview_command()}`"]
    if report.shots:
        count = sum(len(s) for s in report.shots.values())
        folder = Path(next(iter(report.shots.values()))[0]).parent.parent
        head += ["", f"Screenshots, before and after, changed blocks outlined: {count} files in `{folder}`."]
    head += ["", "| Brands | Change |", "|---|---|"]
    groups = group_changes(report)
    head += [f"| {_names(g)} | {_counts(g[0])} |" for g in groups]
    text = "\n".join(head) + "\n"
    left_out = 0
    for group in groups:
        title = f"<code>{group[0].brand_id}</code>" if len(group) == 1 else f"the same change in {len(group)} brands"
        parts = [f"\n<details><summary>{title}: {_counts(group[0])}</summary>\n"]
        if len(group) > 1:
            parts.append(f"\nBrands: {', '.join(c.brand_id for c in group)}\n")
        for heading, lines in _sections(group[0]):
            parts.append(f"\n**{_md(heading)}**\n\n" + (_fence(lines) if lines else ""))
        section = "".join(parts) + "\n</details>\n"
        if len(text) + len(section) > limit - 200:
            left_out += 1
            continue
        text += section
    if left_out:
        text += f"\n{left_out} more changes left out to fit here: run `branddocs diff {report.commit[:12]}` locally.\n"
    return text


def render_json(report: DiffReport) -> str:
    """Everything in the report, with the groups of identical changes (brand ids)."""
    data = dataclasses.asdict(report)
    data["groups"] = [[c.brand_id for c in g] for g in group_changes(report)]
    data["preview"] = report.preview_command()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
