"""Builds hold no secrets: no secret-named variable in a build's environment, no `!ENV` of one in its config.

`build`, `serve` and `diff` call `withdraw_secrets()` before any configuration is loaded (a hook's module runs
when it is), and the branddocs plugin calls it again in `on_config` for a plain `mkdocs build`; each
secret-named variable (branddocs.settings.is_secret_name) leaves `os.environ`, so `!ENV`, a hook or a
plugin finds none. Their values are kept here for the published-site scan alone (secrets_scan.forbidden),
which looks for them in every output file. `secret_env_tags` refuses `!ENV` of a secret-named variable in
mkdocs.yml and the files it INHERITs, naming the file and line: `extra: {k: !ENV [ACME_CLOUD_API_KEY, ""]}`
with `{{ config.extra.k | reverse }}` would publish a key in a form the scan does not look for.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

import yaml

from branddocs.settings import is_secret_name

__all__ = ["secret_env_tags", "withdraw_secrets", "withdrawn_secrets"]

_withdrawn: dict[str, str] = {}
_MAX_INHERIT = 10
"""INHERIT chains longer than this are not followed (MkDocs itself would loop on a cycle)."""


def withdraw_secrets(environ: MutableMapping[str, str] | None = None) -> None:
    """Remove every secret-named variable from `environ` (this process's environment by default), keeping
    the values for the secret scan."""
    environ = os.environ if environ is None else environ
    for name in [n for n in environ if is_secret_name(n)]:
        _withdrawn[name] = environ.pop(name)


def withdrawn_secrets() -> dict[str, str]:
    """{name: value} of what `withdraw_secrets` took from this process: what its sites must not contain."""
    return dict(_withdrawn)


def _env_tags(node: yaml.Node | None) -> list[yaml.Node]:
    """Every `!ENV` node under `node`."""
    if node is None:
        return []
    found = [node] if node.tag == "!ENV" else []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _env_tags(key) + _env_tags(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _env_tags(item)
    return found


def _inherited(root: yaml.Node | None, config_file: Path) -> Path | None:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "INHERIT" and isinstance(value, yaml.ScalarNode):
                return (config_file.parent / value.value).resolve()
    return None


def secret_env_tags(config_file: Path) -> list[str]:
    """`file:line: ...` for each `!ENV` of a secret-named variable in `config_file` and the files it INHERITs."""
    problems: list[str] = []
    path: Path | None = Path(config_file)
    for _ in range(_MAX_INHERIT):
        if path is None or not path.is_file():
            break
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            break  # MkDocs reports its own config's syntax errors
        for node in _env_tags(root):
            items = node.value if isinstance(node, yaml.SequenceNode) else [node]
            for item in items:
                if isinstance(item, yaml.ScalarNode) and is_secret_name(str(item.value)):
                    problems.append(
                        f"{path}:{item.start_mark.line + 1}: !ENV {item.value}: expected no secret in the site's "
                        "configuration, found a secret-named variable (builds hold no secrets: its value would be "
                        "published through config.extra or a template)"
                    )
        path = _inherited(root, path)
    return problems
