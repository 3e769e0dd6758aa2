"""Chinese cuts kept for the project's next builds (site/segments.py): a build whose texts are kept never loads jieba's
dictionary and gets Material's own text; a word added, or another dictionary cache, and jieba cuts again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from branddocs.site import Project, segments

from .support.project import ROOT

TEXTS = ["服務時間為週一至週五，上午九點到下午六點。", "混合 text 與中文，服務時間為週一至週五", "English only."]
# One build process: the warm-up as build.py's, Material's index segmenting as the worker's; what it says as JSON.
BUILD = """
import json, sys
from pathlib import Path
import jieba
from material.plugins.search.plugin import SearchIndex
from branddocs.site import search, search_parser, segments
folder, texts, added = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
search.warm_up({"zh-TW"}, folder)
loaded_before = jieba.dt.initialized
if added:
    jieba.add_word(added, 10**9)
ours = [search_parser.remembered_segmenter()(None, text) for text in texts]
loaded_after = jieba.dt.initialized
materials = [SearchIndex._segment_chinese(None, text) for text in texts]
segments.save()
print(json.dumps({"loaded_before": loaded_before, "loaded_after": loaded_after, "ours": ours,
                  "materials": materials}))
"""


def _build(folder: Path, added: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", BUILD, str(folder), json.dumps(TEXTS), added], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    return json.loads(done.stdout)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A project's .cache/ with jieba's dictionary cache (copied from this project's, when it has one)."""
    folder = tmp_path / ".cache"
    folder.mkdir()
    if (ROOT / ".cache" / "jieba.cache").is_file():
        shutil.copy(ROOT / ".cache" / "jieba.cache", folder / "jieba.cache")
    return folder


def test_kept_cuts_spare_loading_the_dictionary(cache: Path) -> None:
    first = _build(cache)
    assert first["loaded_before"] is True  # nothing kept yet: loaded in the warm-up, as before
    assert first["ours"] == first["materials"]
    kept = json.loads((cache / segments.STORE).read_text(encoding="utf-8"))["segments"]
    assert sorted(kept) == sorted({"服務時間為週一至週五", "上午九點到下午六點", "混合", "與中文"})
    second = _build(cache)
    assert second["loaded_before"] is False
    assert second["loaded_after"] is False  # every text kept: jieba's dictionary never loaded
    assert second["ours"] == first["materials"]


def test_a_word_added_cuts_again(cache: Path) -> None:
    """The negative: a dictionary changed in the build process (a word added) makes jieba's cut differ from the kept
    one, and ours follows jieba's (keyed on the text alone, the kept cut would be published)."""
    plain = _build(cache)
    changed = _build(cache, added="週一至週五")
    assert changed["ours"] == changed["materials"]
    assert changed["ours"] != plain["ours"]
    assert "\u200b週一至週五\u200b" in changed["ours"][0]


def test_kept_cuts_of_another_dictionary_cache_are_not_used(cache: Path) -> None:
    _build(cache)
    record = json.loads((cache / segments.STORE).read_text(encoding="utf-8"))
    record["segments"] = dict.fromkeys(record["segments"], "\u200bnot\u200bjiebas\u200b")
    record["identity"][1] = "0" * 64  # made for another jieba.cache
    (cache / segments.STORE).write_text(json.dumps(record), encoding="utf-8")
    again = _build(cache)
    assert again["loaded_before"] is True
    assert again["ours"] == again["materials"]
    assert "not" not in "".join(again["ours"])


WARM_UP = """
import sys
from pathlib import Path
import jieba
from branddocs.builder import build
from branddocs.builder.stamps import Inputs
from branddocs.site import Project
project = Project(Path(sys.argv[1]))
build._warm_up(project, ["yushan"], Inputs(project, sys.argv[2]))
print(jieba.dt.initialized)
"""


@pytest.mark.parametrize(("engine", "loaded"), [("zensical", "False"), ("mkdocs", "True")])
def test_only_materials_index_loads_jieba_before_the_workers(tmp_path: Path, engine: str, loaded: str) -> None:
    """Zensical writes its own search index: its build's warm-up leaves jieba's dictionary alone (the negative, MkDocs'
    with no kept cuts, loads it)."""
    project = Project(ROOT).copy_to(tmp_path / "project")  # yushan, Chinese
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}  # no kept cuts: a cache folder of its own
    done = subprocess.run([sys.executable, "-c", WARM_UP, str(project.root), engine], capture_output=True, text=True,
                          check=True, timeout=120, cwd=project.root, env=env)  # fmt: skip
    assert done.stdout.split() == [loaded]
