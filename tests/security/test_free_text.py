"""Free text into HTML, Markdown, `llms.txt` and terminals: one grammar at load, one printer per output.

Mechanism: a free-text value (user_name, portal_name, copyright) is NFC-normalised and refused at load if it
holds a control character, a line separator, a bidirectional control or another invisible character
(branddocs/text/grammar.py: free_text); when printed it is escaped for the output it reaches and for no other
(branddocs/text/printers.py: html, markdown_text, terminal_line). Negatives: the old model took each value,
the old printers escaped Markdown files for HTML, a raw print put ESC on the terminal.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from branddocs import text
from branddocs.brand import BrandError, load_brand
from branddocs.plugin.macros import as_text
from branddocs.site import Project
from branddocs.text.printers import TerminalCopy

from ..support.project import run_branddocs

MINIMAL = {"user_name": "Example Co", "resource_dir_name": "acme", "api": {"base_url": "https://api.acme.example/v1"},
           "models": ["m1"]}  # fmt: skip
REFUSED = {
    "a newline and a heading": "Acme\n# Pwned",
    "a newline and a code block": "Acme\n```bash\nrm -rf ~\n```",
    "an admonition": "Acme\n!!! danger\n    x",
    "ESC sequences": "Acme \x1b[2J\x1b[31mred",
    "a carriage return": "Acme\roverwritten",
    "a workflow command": "Acme\n::error file=x::pwned",
    "U+202E": "Acme \u202egnp.exe",
    "a line separator": "Acme\u2028x",
    "a zero-width space": "Ac\u200bme",
    "a NUL": "Acme\x00",
}


def _brand(tmp_path: Path, **values: str) -> Path:
    path = tmp_path / "acme.yml"
    path.write_text(yaml.safe_dump({**MINIMAL, **values}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("field", ["user_name", "portal_name", "copyright"])
@pytest.mark.parametrize("case", REFUSED)
def test_control_bidi_and_invisible_characters_are_refused_naming_file_line_and_field(
    tmp_path: Path, field: str, case: str
) -> None:
    path = _brand(tmp_path, **{field: REFUSED[case]})
    with pytest.raises(BrandError, match=rf"^{re.escape(str(path))}:\d+: {field}: expected text on one line"):
        load_brand(path)


def test_the_old_model_took_them() -> None:
    # The negative: before the grammar a name was `str` of 1 to 100 characters, nothing else checked.
    assert all(0 < len(value) <= 100 for value in REFUSED.values())


def test_text_is_nfc_normalised_at_load(tmp_path: Path) -> None:
    assert load_brand(_brand(tmp_path, user_name="Ne\u0301bula AI")).user_name == "N\u00e9bula AI"


def _printable(output: str) -> list[str]:
    """Lines of a command's output that a terminal or CI runner would act on: ESC, CR, bidi, `::` commands."""
    return [line for line in output.split("\n") if not line.isprintable() or line.lstrip().startswith(("::", "##"))]


@pytest.fixture(scope="module")
def refused_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """check-brands' output on a project whose brand files hold every refused value, one field each."""
    from ..support.project import scratch_project

    project = scratch_project(tmp_path_factory.mktemp("free-text"))
    for index, value in enumerate(REFUSED.values()):
        values = {**MINIMAL, "resource_dir_name": "acme", "user_name": value, "portal_name": value, "copyright": value}
        (project.brands_dir / f"bad-{index}.yml").write_text(yaml.safe_dump(values), encoding="utf-8")
    done = run_branddocs("check-brands", cwd=project.root)
    assert done.returncode == 1
    return done.stdout + done.stderr


def test_check_brands_prints_no_escape_sequence_or_workflow_command(refused_output: str) -> None:
    assert "user_name: expected text on one line" in refused_output
    assert _printable(refused_output) == []
    assert "\\x1b" in refused_output  # the ESC shown as an escape, not sent


def test_the_terminal_printer_is_what_makes_a_value_printable() -> None:
    # The negative: printed raw, the values clear the screen, move the cursor, reverse text, issue a command.
    raw = "\n".join(REFUSED.values())
    assert len(_printable(raw)) >= 4
    assert _printable("\n".join(text.terminal_line(v) for v in REFUSED.values())) == []
    assert text.terminal_line("::error::x") == "\\::error::x"


# --- line breaks inside values start no line (F12) ------------------------------------------------------------

BREAKS = {"CR": "\r", "NEL": "\x85", "LS": "\u2028", "PS": "\u2029", "VT": "\x0b", "FF": "\x0c", "FS": "\x1c",
          "GS": "\x1d", "RS": "\x1e"}  # fmt: skip
FORGED = "/tmp/forged/ev1.yml: ok (Forged, https://api.forged.example/v1, $FORGED_API_KEY, 1 models)"


def _forging_key(brk: str) -> str:
    return f"x{brk}{FORGED}{brk}5 ok, 0 with errors{brk}::error::pwned"


@pytest.mark.parametrize("brk", BREAKS.values(), ids=BREAKS.keys())
def test_a_line_break_inside_an_unknown_key_starts_no_line(scratch: Project, brk: str) -> None:
    key = _forging_key(brk).encode("unicode_escape").decode().replace('"', '\\"')
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8") + f'"{key}": 1\n', encoding="utf-8")
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 1
    lines = (done.stdout + done.stderr).split("\n")
    assert not [ln for ln in lines if ln.startswith(("/tmp/forged", "5 ok", "::"))], lines
    assert any(": unknown key" in ln and "/tmp/forged" in ln for ln in lines)  # the key, shown on its own line
    # every line as a terminal and a CI runner would split it: still no forged start
    assert not [ln for ln in (done.stdout + done.stderr).splitlines() if ln.startswith(("/tmp/forged", "5 ok"))]


@pytest.mark.parametrize("brk", BREAKS.values(), ids=BREAKS.keys())
def test_splitting_a_message_on_every_line_break_forged_lines(brk: str) -> None:
    # The negative: check-brands split messages with str.splitlines(), which breaks at each of these; the line it
    # then printed began with the forged text, which terminal_line (escaping within a line) cannot take back.
    message = f"/x/acme.yml:8: {_forging_key(brk)}: unknown key"
    assert [text.terminal_line(ln) for ln in message.splitlines()][1] == FORGED
    assert len([text.terminal_line(ln) for ln in message.split("\n")]) == 1


# --- Markdown files escaped for Markdown only ---------------------------------------------------------


@pytest.fixture(scope="module")
def brightline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ..support.project import scratch_project

    folder = tmp_path_factory.mktemp("brightline")
    project = scratch_project(folder / "project")
    done = run_branddocs("build", "--brand", "brightline", "--site-dir", str(folder / "site"), cwd=project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "site" / "brightline"


def test_llms_txt_and_twins_say_the_name_as_written(brightline: Path) -> None:
    assert (brightline / "llms.txt").read_text(encoding="utf-8").startswith("# Brightline & Co. Learning Guide\n")
    twin = (brightline / "index.md").read_text(encoding="utf-8")
    assert twin.startswith("# Brightline & Co. Learning Guide")
    assert "&amp;" not in twin
    assert "&amp;" not in (brightline / "llms.txt").read_text(encoding="utf-8")
    assert "Brightline &amp; Co." in (brightline / "index.html").read_text(encoding="utf-8")  # HTML: escaped


def test_no_twin_shows_a_character_reference(brightline: Path) -> None:
    """The twins are Markdown read raw: `guide's`, not `guide&#39;s` (a string in a Jinja expression is escaped for
    HTML; the guide writes such text outside the expression). The negative: the page's HTML has the references."""
    for twin in brightline.rglob("*.md"):
        found = re.findall(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", twin.read_text(encoding="utf-8"), re.I)
        assert not found, (twin.name, found)
    assert "&#39;" in (brightline / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")


def test_the_old_printer_escaped_markdown_for_html() -> None:
    # The negative: llms.py's old `_plain` and macros' old table.
    old_plain = html.escape(html.unescape("Brightline &amp; Co."), quote=False)
    assert old_plain == "Brightline &amp; Co."
    assert text.markdown_text("Brightline & Co.") == "Brightline & Co."


STRUCTURE = {
    "heading": "# Pwned",
    "list": "- item",
    "ordered list": "1. item",
    "blockquote": "> quoted",
    "admonition": "!!! danger",
    "tabs": '=== "Tab"',
    "table cell": "a | b | c",
    "code span": "`rm -rf ~`",
    "link": ")[IMPORTANT](https://phish.example/",
    "image": "![x](https://phish.example/x.png)",
    "autolink": "<https://phish.example/>",
    "html": "<b>bold</b><img src=x onerror=alert(1)>",
    "emphasis": "*a* _b_ **c**",
    "entity": "&copy; &#60;",
    "attribute list": "{: onclick=x }",
    "abbreviation": "*[HTML]: Hyper",
}
_MD = MarkdownIt("commonmark").enable("table")


def _structure(markdown: str) -> list[str]:
    return [t.type for token in _MD.parse(markdown) for t in (token, *(token.children or []))]


@pytest.mark.parametrize("case", STRUCTURE)
@pytest.mark.parametrize("where", ["{} at a line's start", "Say {} here.", "| {} | x |"])
def test_markdown_text_makes_no_structure(case: str, where: str) -> None:
    table = "| a | b |\n|---|---|\n" if where.startswith("|") else ""
    printed = table + where.format(text.markdown_text(STRUCTURE[case]))
    plain = table + where.format("plaintext")
    assert _structure(printed) == _structure(plain), printed
    # and the reader sees the value: CommonMark renders it back as the text it was
    rendered = _MD.render(printed)
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)).count(STRUCTURE[case].strip()) == 1, rendered


def test_without_the_printer_each_makes_structure() -> None:
    # The negative: printed as they are, most make a heading, list, link, element or emphasis.
    made = [
        c for c, v in STRUCTURE.items() if _structure(f"{v} at a line's start") != _structure("x at a line's start")
    ]
    assert {"heading", "list", "blockquote", "code span", "image", "autolink", "html", "emphasis"} <= set(made), made


# --- values inside raw HTML tags (the whole class: tests/security/test_page_contexts.py) ------------------------


def test_a_value_in_an_html_tag_keeps_inside_its_attribute() -> None:
    printed = '<div title="{}">'.format(as_text('x" onmouseover="alert(1)'))
    assert printed == '<div title="x&#34; onmouseover=&#34;alert(1)">'
    assert as_text(Markup("x&quot; [a](https://phish.example/)")) == "x&#34; &#91;a&#93;(https://phish.example/)"


def test_without_quotes_escaped_a_quote_leaves_the_attribute() -> None:
    # The negative: Markdown text that leaves quotes alone (the printer before).
    old = text.markdown_text('x" onmouseover="alert(1)').replace("&#34;", '"')
    assert 'onmouseover="alert(1)"' in f'<div title="{old}">'


# What an example prints (and the platform answers) reaches the check's report: hostile text, printed as such.

HOSTILE_OUTPUT = """
# Hostile output

```bash
curl -s {{ base_url }}/models -H "Authorization: Bearer ${{ api_key_env }}" > /dev/null
printf '\\033]52;c;ZWNobyBvd25lZA==\\a\\033[2Jcleared\\n::error file=README.md,line=1::forged\\n##[error]forged\\n' >&2
printf 'ok\\r::warning::after a CR\\n' >&2
exit 3
```
"""
HOSTILE_STDERR = ("\x1b]52;c;ZWNobyBvd25lZA==\x07\x1b[2Jcleared\n::error file=README.md,line=1::forged\n"
                  "##[error]forged\nok\r::warning::after a CR\n")  # fmt: skip


@pytest.mark.slow
def test_an_examples_output_reaches_the_report_as_text(tmp_path: Path) -> None:
    from ..support.checks import check, write_page
    from ..support.project import scratch_project

    project = scratch_project(tmp_path / "project")
    write_page(project, "hostile-output.md", HOSTILE_OUTPUT)
    code, _, output = check(project, "--brand", "acme", "hostile-output.md")
    assert code == 1, output
    assert "exited with status 3" in output
    assert _printable(output) == [], _printable(output)
    assert "\\x1b]52;c;" in output  # the clipboard write shown as an escape, not sent
    assert "\\::error file=README.md" in output


def test_the_old_report_put_the_examples_output_on_the_terminal_as_it_came() -> None:
    # The negative: the old tail (splitlines, printed raw) sends OSC 52 and ESC [2J, and starts `::` lines, one
    # of them at a CR.
    old = "\n".join(HOSTILE_STDERR.strip().splitlines()[-8:])
    assert len(_printable(old)) >= 4
    assert "::warning::after a CR" in old.split("\n")


# --- another program's output, copied in pieces (text.TerminalCopy) -----------------------------------------------


def _copied(pieces: list[bytes]) -> str:
    copy = TerminalCopy()
    return "".join(copy.feed(piece) for piece in pieces) + copy.feed(b"", final=True)


def test_a_colour_split_between_pieces_is_kept_and_everything_else_escaped() -> None:
    out = _copied([b"ok \x1b[3", b"2mgreen\x1b[0m\n", b"\x1b]52;c;T1dORUQ=\x07\n:", b":error::x\n"])
    assert out == "ok \x1b[32mgreen\x1b[0m\n\\x1b]52;c;T1dORUQ=\\x07\n\\::error::x\n", out


def test_an_unfinished_sequence_is_held_within_a_bound() -> None:
    """A piece ending in `ESC [` and digits is held until the next decides it, but no more than a colour's length:
    a megabyte of digits after `ESC [` comes out as text as it arrives. The negative: the bound is what lets it
    out (an unbounded hold printed nothing until the end)."""
    copy = TerminalCopy()
    shown = copy.feed(b"x\x1b[" + b"1" * 40)
    assert shown.startswith("x\\x1b[1111"), shown
    held = TerminalCopy()
    assert held.feed(b"x\x1b[" + b"1" * 20) == "x"  # a colour's length: still held
    assert held.feed(b"m!", final=True) == "\x1b[" + "1" * 20 + "m!"


# --- what a CI runner reads as a command, wherever it is in a line ---------------------------------------------------

_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _runner_reads_a_command(line: str) -> bool:
    """GitHub's runner (ActionCommandManager): `::` after blanks (TryParseV2: TrimStart), `##[` anywhere in the line
    (its older TryParse: IndexOf); Azure Pipelines: `##vso[` anywhere. Colours set aside, to be safe."""
    plain = _COLOUR.sub("", line)
    return plain.lstrip().startswith("::") or "##[" in plain or "##vso[" in plain


COMMANDS = ["::error::x", "   ::error::x", "\t::add-mask::x", "note ##[warning]forged", "a ##vso[task.complete]x",
            "a #\x1b[0m#[error]x", "\x1b[31m::error::x", " " * 70000 + "::error title=f::x", "###[group]x",
            "#" * 5000 + "[x]"]  # fmt: skip


@pytest.mark.parametrize("line", COMMANDS, ids=range(len(COMMANDS)))
def test_no_copied_line_reads_as_a_command_however_it_arrives(line: str) -> None:
    """Whole, a character at a time, and cut at random places (the 4,096th among them): no line of the copy is
    a command to the runner. The negative: each, as written, is one."""
    assert _runner_reads_a_command(line)
    data = (line + "\n").encode()
    rng = __import__("random").Random(7)
    cuts = [[len(data)], list(range(1, len(data) + 1)) if len(data) < 200 else [4096, len(data)]]
    cuts += [sorted({rng.randrange(1, len(data)) for _ in range(6)} | {len(data)}) for _ in range(5)]
    for points in cuts:
        copy, shown, at = TerminalCopy(), [], 0
        for point in points:
            shown.append(copy.feed(data[at:point]))
            at = point
        shown.append(copy.feed(b"", final=True))
        for printed in "".join(shown).split("\n"):
            assert not _runner_reads_a_command(printed), (points[:5], printed[-40:])


@pytest.mark.parametrize("line", [c for c in COMMANDS if "\x1b" not in c], ids=str)
def test_no_printed_value_reads_as_a_command(line: str) -> None:
    assert not _runner_reads_a_command(text.terminal_line(line))
