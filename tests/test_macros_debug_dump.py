"""mkdocs-macros' on_pre_build in a build worker (site/build_cache.py): its JSON dump of every variable, macro and
filter is made only when its logger takes debug records; its trace lines (the names) are as before."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from mkdocs_macros import plugin as macros_plugin
from mkdocs_macros import util as macros_util

from branddocs.site import build_cache


@pytest.fixture
def dumps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each JSON dump mkdocs-macros makes, counted; its own on_pre_build and logger level put back after."""
    made: list[int] = []
    to_json = macros_plugin.SuperDict.to_json

    def counted(self: object, *args: object, **kwargs: object) -> str:
        made.append(1)
        return to_json(self, *args, **kwargs)

    monkeypatch.setattr(macros_plugin.SuperDict, "to_json", counted)
    monkeypatch.setattr(macros_plugin.MacrosPlugin, "on_pre_build", macros_plugin.MacrosPlugin.on_pre_build)
    monkeypatch.setattr(macros_util.LOG, "level", macros_util.LOG.level)
    return made


PLUGIN = SimpleNamespace(variables={"user_name": "Acme"}, macros={"m": print}, filters={"f": str.upper})


def test_no_dump_unless_debug_is_on(dumps: list[int], caplog: pytest.LogCaptureFixture) -> None:
    build_cache._macros_debug_when_asked()
    macros_util.LOG.setLevel(logging.INFO)
    with caplog.at_level(logging.INFO, logger=macros_util.LOG.name):
        macros_plugin.MacrosPlugin.on_pre_build(PLUGIN, config=None)
    assert dumps == []
    said = [r.getMessage() for r in caplog.records]
    assert [line for line in said if "Config variables:" in line and "user_name" in line]
    assert [line for line in said if "Config macros:" in line]
    assert [line for line in said if "Config filters:" in line]
    macros_util.LOG.setLevel(logging.DEBUG)  # asked for: the dump, as mkdocs-macros makes it
    macros_plugin.MacrosPlugin.on_pre_build(PLUGIN, config=None)
    assert len(dumps) == 3


def test_mkdocs_macros_own_event_dumps_whatever_the_level(dumps: list[int]) -> None:
    """The negative: what the worker's event spares (mkdocs-macros 1.5's on_pre_build, debug off)."""
    macros_util.LOG.setLevel(logging.INFO)
    macros_plugin.MacrosPlugin.on_pre_build(PLUGIN, config=None)
    assert len(dumps) == 3
