"""`branddocs mcp` runs no pattern a site folder chooses (red team 8, R8-3).

A site's search index names the separator its words are split with, and `mcp` compiled it: a checkout's
`site/zz/search/search_index.json` with `(a|aa)+$` froze the server for every tenant (Python's `re` holds the GIL
while it backtracks; SIGTERM went unheard). Mechanism: an allow-list, `mcp/search.SEPARATORS`, the separators the
builds write (Material's per language, Zensical's); any other is replaced by Material's default. The proof: the
index with that pattern loads at once and is searched; the list holds every separator Material's languages and
Zensical write. The negative: the pattern itself does not finish splitting the same text within 3 s.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import material
import zensical

from branddocs.mcp.search import SEPARATORS

HOSTILE = "(a|aa)+$"
TEXT = "a" * 60 + "!"


def test_a_sites_own_pattern_is_not_run() -> None:
    script = (
        "from branddocs.mcp.search import SearchIndex\n"
        f"index = SearchIndex({{'config': {{'separator': {HOSTILE!r}}}, "
        f"'docs': [{{'location': '', 'title': 'Hello', 'text': {TEXT!r}}}]}})\n"
        "print(len(index.search('hello', 5)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_the_negative_the_pattern_itself_does_not_finish() -> None:
    script = f"import re; re.compile({HOSTILE!r}).split({TEXT!r})"
    try:
        subprocess.run([sys.executable, "-c", script], timeout=3, check=False)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError("the pattern finished: it is no negative")


def test_every_separator_the_builds_write_is_allowed() -> None:
    partials = Path(material.__file__).parent / "templates" / "partials" / "languages"
    written = set()
    for partial in partials.glob("*.html"):
        found = re.search(r'"search\.config\.separator":\s*(".*?[^\\]")', partial.read_text(encoding="utf-8"))
        if found:
            written.add(json.loads(found.group(1)))
    zensical_config = (Path(zensical.__file__).parent / "config.py").read_text(encoding="utf-8")
    default = re.search(r'set_default\(search, "separator", (\'.*\')\)', zensical_config)
    assert default, "Zensical's default separator is no longer where this test reads it"
    written.add(ast.literal_eval(default.group(1)))
    assert len(written) == 4
    assert written <= SEPARATORS, written - SEPARATORS


def test_a_run_of_angle_brackets_loads_at_once() -> None:
    """The tag pattern, too, is data-independent in time: a text of 100,000 `<` took 13.7 s to load (R8-3)."""
    script = (
        "from branddocs.mcp.search import SearchIndex\n"
        "SearchIndex({'config': {}, 'docs': [{'location': '', 'title': 't', 'text': '<' * 100_000 + 'hello'}]})\n"
    )
    subprocess.run([sys.executable, "-c", script], timeout=10, check=True)


def test_the_negative_the_old_tag_pattern_does_not_finish() -> None:
    script = "import re; re.compile(r'<[^>]+>').sub(' ', '<' * 100_000)"
    try:
        subprocess.run([sys.executable, "-c", script], timeout=3, check=False)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError("the old pattern finished: it is no negative")


# Material's segment() as ported before (red team 9, R9-9): each position followed again on every path to it.
MATERIALS_LOOP = """
def materials_segment(query, words):
    n = len(query)
    cuts = [0] * (n + 1)
    for i in range(n):
        for j in range(i + 1, n):
            if query[i:j] in words:
                cuts[i] = j - i
    segments = {}
    stack = [0]
    while stack:
        p = stack.pop()
        for q in range(1, cuts[p]):
            if cuts[p + q] > cuts[p] - q:
                segments[query[p : p + q]] = None
                stack.append(p + q)
        q = p + cuts[p]
        if cuts[q] and q < n - 1:
            stack.append(q)
        segments[query[p:q]] = None
    return [query] if "" in segments else list(segments)
"""


def test_a_query_of_chained_words_is_answered_at_once() -> None:
    """A reader's query to `mcp` (anyone's, through `host nginx --mcp`): 44 characters of 傳回 against an index
    holding 傳回 and 回傳 never returned, and 40 such requests stopped every tenant's answers (R9-9)."""
    script = "from branddocs.mcp.search import segment; print(len(segment('傳回' * 250, {'傳回', '回傳'})))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10, check=True)
    assert int(done.stdout) >= 2


def test_each_position_once_gives_materials_words_in_materials_order() -> None:
    import random

    from branddocs.mcp.search import segment

    namespace: dict = {}
    exec(MATERIALS_LOOP, namespace)  # noqa: S102 - the reference, this file's own text
    rng, chars = random.Random(9), "傳回人們天看中文"  # noqa: S311 - cases, not secrets
    for _ in range(2000):
        words = {"".join(rng.choice(chars) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 12))}
        query = "".join(rng.choice(chars) for _ in range(rng.randint(1, 14)))
        assert segment(query, words) == namespace["materials_segment"](query, words), (query, words)


def test_the_negative_materials_loop_does_not_finish() -> None:
    script = MATERIALS_LOOP + "\nmaterials_segment('傳回' * 20, {'傳回', '回傳'})\n"
    try:
        subprocess.run([sys.executable, "-c", script], timeout=3, check=False)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError("Material's loop finished: it is no negative")


def test_a_long_run_of_marks_inside_a_word_loads_at_once() -> None:
    """lunr's trimmer as a pattern, `^\\W+|\\W+$`, tried `\\W+$` from every mark of a run: one index word
    `a!...!a` of 40,000 marks took 46 s to load (R9-2). Negative: that pattern does not finish within 3 s."""
    word = "a" + "!" * 40_000 + "a"
    doc = {"location": "", "title": "t", "text": word}
    script = f"from branddocs.mcp.search import SearchIndex\nSearchIndex({{'config': {{}}, 'docs': [{doc!r}]}})\n"
    subprocess.run([sys.executable, "-c", script], timeout=10, check=True)
    try:
        subprocess.run([sys.executable, "-c", f"import re; re.compile(r'^\\W+|\\W+$').sub('', {word!r})"], timeout=3)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError("the old pattern finished: it is no negative")
