"""Refresh branddocs/data/openai-openapi-subset.json from OpenAI's full OpenAPI description.

    .venv/bin/python tools/vendor_openapi.py PATH/TO/openapi.json

Keeps, unchanged, what branddocs checks against, so the checks need no file outside the repository:

- the operations the reference endpoint serves (OPERATIONS: `POST /chat/completions`, `GET /models`),
  with their request bodies and responses, less only `x-oaiMeta` (the docs site's code samples), so
  schemathesis (bench/schemathesis_run.py) can fuzz the endpoint from this file;
- the schemas branddocs validates responses against (ROOTS);
- every component (schema or response) those reference, transitively;
- `servers`, `security` and the `ApiKeyAuth` security scheme the operations use (bearer auth).

Source and licence: branddocs/data/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OPERATIONS = [("/chat/completions", "post"), ("/models", "get")]
ROOTS = [
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "ListModelsResponse",
    "ErrorResponse",
]
_DROPPED_OPERATION_KEYS = {"x-oaiMeta"}
OUT = Path(__file__).resolve().parent.parent / "branddocs" / "data" / "openai-openapi-subset.json"
_PREFIX = "#/components/"


def _refs(node: object) -> set[tuple[str, str]]:
    """Every `#/components/<kind>/<name>` that `node` references, as (kind, name)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = set()
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            kind, _, name = ref.removeprefix(_PREFIX).partition("/")
            found.add((kind, name))
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def subset(document: dict) -> dict:
    paths: dict[str, dict] = {}
    for path, method in OPERATIONS:
        operation = document["paths"][path][method]
        paths.setdefault(path, {})[method] = {k: v for k, v in operation.items() if k not in _DROPPED_OPERATION_KEYS}
    components = document["components"]
    keep: dict[str, dict] = {}
    todo = sorted(_refs(paths)) + [("schemas", name) for name in ROOTS]
    while todo:
        kind, name = todo.pop()
        if name not in keep.setdefault(kind, {}):
            keep[kind][name] = components[kind][name]
            todo += sorted(_refs(components[kind][name]) - {(kind, n) for n in keep[kind]})
    schemes = {s for requirement in document.get("security", []) for s in requirement}
    for operation in (paths[p][m] for p, m in OPERATIONS):
        schemes |= {s for requirement in operation.get("security", []) for s in requirement}
    keep["securitySchemes"] = {name: components["securitySchemes"][name] for name in sorted(schemes)}
    return {
        "openapi": document["openapi"],
        "info": {k: document["info"][k] for k in ("title", "version")},
        "servers": document["servers"],
        "security": document["security"],
        "paths": paths,
        "components": {kind: dict(sorted(keep[kind].items())) for kind in sorted(keep)},
    }


def main(source: str) -> int:
    document = subset(json.loads(Path(source).read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    counts = ", ".join(f"{len(v)} {k}" for k, v in document["components"].items())
    print(f"wrote {OUT} ({len(OPERATIONS)} operations; {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
