"""One example against the next, through the kernel's keyrings: no unit can use them.

Keyrings belong to a user, not to any namespace a unit has of its own: as an ordinary user every Python unit of a
zygote is the same user in the same user namespace, so a key one example adds to its user keyring (`@u`) or
user-session keyring (`@s`) is found by the next (the attack; issue 29, I3). One `branddocs check` of a page whose
examples run one after another in one worker: a Python example adds a `user` key to `@u` and `@s`
(`add_key`), a later Python example searches both (`keyctl(KEYCTL_SEARCH)`), a bash example (through
`/usr/bin/python3`) does both, and each reports what the kernel said. In every unit each call fails with EPERM
and nothing is found (isolation/seccomp.py's allow-list, loaded by bubblewrap into every unit, has none of them).

The negative: the same check with a scratch copy of branddocs that makes no filter (`program()` returns None):
the keys are added, and as an ordinary user the later Python example finds what the first
left in `@u` and `@s`. (As root each unit is a user of its own, whose keyrings are its own: the later example
finds nothing there even without the filter, which the test then does not ask.)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil

import pytest

from branddocs.examples.isolation import seccomp
from branddocs.examples.run import sandbox

from ..support.checks import check, outcome, write_page
from ..support.project import ROOT, scratch_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
    pytest.mark.skipif(not seccomp.numbers(os.uname().machine), reason="no system call numbers for this machine"),
]

MARK = "bd-key-" + secrets.token_hex(5)
NUMBERS = seccomp.numbers(os.uname().machine) or {"add_key": 0, "keyctl": 0}
PROBE = """import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
report = {"uid": os.getuid(), "key": len(os.environ["{{ api_key_env }}"])}
for name, ring in (("@u", -4), ("@s", -3)):
    found = libc.syscall(KEYCTL, 10, ctypes.c_long(ring), b"user", b"MARK", 0)
    report["found " + name] = found if found >= 0 else "errno %d" % ctypes.get_errno()
    if "ROLE" == "plant":
        added = libc.syscall(ADD_KEY, b"user", b"MARK", b"left", 4, ctypes.c_long(ring))
        report["add " + name] = added if added >= 0 else "errno %d" % ctypes.get_errno()
print("REPORT " + json.dumps(report), flush=True)
raise SystemExit("REPORT " + json.dumps(report))
"""
PAGE = """
# Keyrings

```python lint="skip"
# role: plant python
PLANT
```

```python lint="skip"
# role: look python
LOOK
```

```bash lint="skip"
# role: plant bash
: "${{ api_key_env }}"
/usr/bin/python3 - <<'PY' >&2
BASH
PY
exit 1
```
"""


def _probe(role: str) -> str:
    text = PROBE.replace("KEYCTL", str(NUMBERS["keyctl"])).replace("ADD_KEY", str(NUMBERS["add_key"]))
    return text.replace("MARK", MARK).replace("ROLE", role)


def _reports(tmp_path_factory: pytest.TempPathFactory, filtered: bool) -> dict[str, dict]:
    project = scratch_project(tmp_path_factory.mktemp("keyrings"))
    env = {}
    if not filtered:  # the negative: a scratch copy of the engine with no filter
        shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
        module = project.root / "branddocs" / "examples" / "isolation" / "seccomp.py"
        text = module.read_text(encoding="utf-8")
        assert text.count("    machine = machine or platform.machine()\n") == 1
        module.write_text(text.replace("    machine = machine or platform.machine()\n", "    return None\n"))
        env["PYTHONPATH"] = str(project.root)
    page_text = PAGE.replace("PLANT", _probe("plant")).replace("LOOK", _probe("look"))
    page = write_page(project, "keyrings.md", page_text.replace("BASH", _probe("plant")))
    _, results, output = check(project, "--brand", "acme", "keyrings.md", "-n", "0", env=env)
    assert results, output
    found = {}
    for role, lang in (("plant", "python"), ("look", "python"), ("plant", "bash")):
        said = outcome(results, page, f"role: {role} {lang}", lang)
        match = re.search(r"REPORT (\{[^}]*\})", said)
        assert match, said
        found[f"{role} {lang}"] = json.loads(match.group(1))
    return found


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _reports(tmp_path_factory, filtered=True)


@pytest.fixture(scope="module")
def unfiltered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _reports(tmp_path_factory, filtered=False)


def test_no_unit_may_use_a_keyring(filtered) -> None:
    eperm = "errno 1"
    for who, report in filtered.items():
        calls = {name: value for name, value in report.items() if name not in ("uid", "key")}
        assert calls, who
        assert set(calls.values()) == {eperm}, (who, report)


def test_the_negative_without_the_filter_a_key_left_by_one_example_is_found_by_the_next(unfiltered) -> None:
    plant, look = unfiltered["plant python"], unfiltered["look python"]
    assert isinstance(plant["add @u"], int), plant
    assert isinstance(plant["add @s"], int), plant
    assert isinstance(unfiltered["plant bash"]["add @u"], int), unfiltered["plant bash"]
    if os.geteuid() != 0:  # one user for every unit: its keyrings are every unit's
        assert look["found @u"] == plant["add @u"], (plant, look)
        # `@s` (the user-session keyring) links `@u`: the search finds one of the keys the first example left.
        assert look["found @s"] in (plant["add @s"], plant["add @u"]), (plant, look)
