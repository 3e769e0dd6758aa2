"""requests imported on its first use in a build or a check's collection (site/build_cache.py `lazy_requests`):
mkdocs-macros' `import requests` costs nothing, and the first attribute read imports the real module, which then
answers everywhere. The negative: without the stand-in, importing mkdocs-macros imports requests and urllib3."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import sys
from branddocs.site import build_cache
if {lazy}:
    build_cache.lazy_requests()
import mkdocs_macros.plugin
from mkdocs_macros import util
print("urllib3" in sys.modules, type(sys.modules["requests"]).__name__)
stand_in = util.requests
import requests.exceptions
assert stand_in.exceptions is requests.exceptions is sys.modules["requests"].exceptions
assert stand_in.get is sys.modules["requests"].get
print("urllib3" in sys.modules, type(sys.modules["requests"]).__name__)
"""


@pytest.mark.parametrize("lazy", [True, False])
def test_requests_is_imported_on_first_use(lazy: bool) -> None:
    done = subprocess.run([sys.executable, "-P", "-c", PROGRAM.format(lazy=lazy)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == ("False _OnFirstUse" if lazy else "True module")
    assert after == "True module"
