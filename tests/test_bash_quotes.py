"""The bash check pairs quotes as bash does: a `$VAR` is reported only when single quotes really hold it.

Each case is also run by bash itself (`printf` of the words), so the test's own idea of what bash expands is
checked against bash, not against this module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from branddocs.brand import load_brand
from branddocs.examples.example import Example
from branddocs.examples.languages.bash import LANGUAGE, QuotedVar, single_quoted_vars

from .conftest import FIXTURES

CURL_STYLE = (
    "curl -sS https://api.acme.example/v1/chat/completions -H 'Content-Type: application/json' "
    """-H "Authorization: Bearer $ACME_CLOUD_API_KEY" -d '{"model": "m", "messages": []}'"""
)
TR_STYLE = "tr '\\0' '\\n' < /proc/$pid/environ | grep -c 'x'"

EXPANDED = [  # bash expands every variable in these
    CURL_STYLE,
    TR_STYLE,
    """echo "it's $KEY" 'plain' "$KEY" """,
    """echo 'a'"$KEY"'b'""",
    """echo $'it\\'s' "$KEY" 'x'""",  # `\\'` does not end an ANSI-C quote
    """echo "$(printf '%s' "$KEY")" """,  # single quotes in a command substitution inside double quotes
    "echo don\\'t $KEY 'x'",  # an escaped quote opens nothing
    "echo $KEY # it's a comment, so 'this $quote' is not code",
    "echo a#b $KEY 'c'",  # `#` inside a word is not a comment
    "cat <<EOF\nit's $KEY\nEOF\necho 'x' \"$KEY\"",  # a here-document's `'` is just a character
    "cat <<'EOF'\n'$KEY'\nEOF\necho \"$KEY\"",  # a quoted delimiter: the body is literal, not single-quoted
    "echo $((1 << 2)) \"$KEY\" 'x'",  # arithmetic shift, no here-document
]

NOT_EXPANDED = [  # (script, [(line, var)]) bash prints these variables as written
    ("curl -H 'Authorization: Bearer $KEY' x", [(1, "$KEY")]),
    ("curl -H 'Authorization: Bearer ${TOKEN}' x", [(1, "${TOKEN}")]),
    ("""echo "$KEY" 'and $KEY'""", [(1, "$KEY")]),
    ('echo ok\ncurl -d \'{\n  "key": "$KEY"\n}\'', [(3, "$KEY")]),  # a quote spanning lines
    ("echo \"$(echo '$KEY')\"", [(1, "$KEY")]),  # single quotes inside a substitution inside double quotes
    ("cat <<EOF\nx\nEOF\necho '$KEY'", [(4, "$KEY")]),  # after a here-document, code again
]


def bash_words(script: str) -> str:
    """What bash prints for the script with KEY, TOKEN, pid set, `curl`, `tr`, `cat` and `grep` as `printf`."""
    shims = "curl() { printf '<%s>' \"$@\"; }; tr() { printf '<%s>' \"$@\"; }; grep() { :; }\n"
    env = {"KEY": "sk-expanded", "TOKEN": "sk-expanded", "ACME_CLOUD_API_KEY": "sk-expanded", "pid": "1",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        ["bash", "-c", shims + script.replace("< /proc/$pid/environ", "")],
        capture_output=True, text=True, env=env, timeout=10, check=False,
    )  # fmt: skip
    return done.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("script", EXPANDED)
def test_a_variable_bash_expands_is_not_reported(script: str) -> None:
    if "KEY" in script:
        assert "sk-expanded" in bash_words(script), "the case itself is wrong: bash does not expand it"
    assert single_quoted_vars(script) == []


@pytest.mark.parametrize(("script", "expected"), NOT_EXPANDED)
def test_a_variable_in_single_quotes_is_reported_with_its_line(script: str, expected: list) -> None:
    names = {var.strip("${}") for _, var in expected}
    printed = bash_words(script)
    assert all(f"${name}" in printed or f"${{{name}}}" in printed for name in names), "bash expands it after all"
    assert [(q.line, q.var) for q in single_quoted_vars(script)] == expected


def test_the_old_pattern_got_these_wrong() -> None:
    """Why a tokenizer: the regular expression the check used before pairs the wrong quotes on both lines."""
    old = re.compile(r"'[^'\n]*(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)[^'\n]*'")
    assert old.search(CURL_STYLE)["var"] == "$ACME_CLOUD_API_KEY"
    assert old.search(TR_STYLE)["var"] == "$pid"


def test_the_quoted_word_is_kept_whole() -> None:
    script = "curl -H 'Content-Type: x' -H 'Authorization: Bearer $KEY' -d '{}'"
    assert single_quoted_vars(script) == [QuotedVar(1, "$KEY", "'Authorization: Bearer $KEY'")]


def example(tmp_path: Path, code: str) -> Example:
    brand = load_brand(FIXTURES / "brands" / "acme.yml")
    return Example(brand, "x.md", tmp_path / "x.md", 10, "bash", "run", code)


def test_the_bash_check_passes_the_common_curl_style(tmp_path: Path) -> None:
    assert LANGUAGE.static_problems(example(tmp_path, CURL_STYLE + "\n")) == []
    assert LANGUAGE.static_problems(example(tmp_path, TR_STYLE + "\n")) == []


def test_the_bash_check_names_line_and_variable(tmp_path: Path) -> None:
    """The negative: a key really in single quotes is still reported, at its template line."""
    header = '"Authorization: Bearer $ACME_CLOUD_API_KEY"'
    code = CURL_STYLE.replace(header, "\\\n  " + header.replace('"', "'"))
    found = LANGUAGE.static_problems(example(tmp_path, code + "\n"))
    assert found == [
        f"{tmp_path / 'x.md'}:12: $ACME_CLOUD_API_KEY is inside single quotes ('Authorization: Bearer "
        "$ACME_CLOUD_API_KEY'): the shell never expands it"
    ]


def test_the_guides_own_curl_is_in_the_common_style_and_passes() -> None:
    """The guide's chat example is written `-H '...' -H "...$KEY" -d '...'`: the old pattern reported it."""
    from branddocs.examples.collection.collect import collect_examples
    from branddocs.site import Project

    from .conftest import ROOT

    project = Project(ROOT)
    brand = project.brand("acme")
    chat = next(
        e for e in collect_examples(project, brand, ["serverless-endpoints.md"])
        if e.lang == "bash" and e.settings.get("group") == "chat"
    )  # fmt: skip
    assert f"-H 'Content-Type: application/json' -H \"Authorization: Bearer ${brand.key_env}\" -d '{{" in chat.code
    old = re.compile(r"'[^'\n]*(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)[^'\n]*'")
    assert old.search(chat.code)["var"] == f"${brand.key_env}"
    assert LANGUAGE.static_problems(chat) == []
