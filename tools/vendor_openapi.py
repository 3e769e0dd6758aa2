"""Refresh branddocs/data/openai-openapi-subset.json from OpenAI's full OpenAPI description.

    .venv/bin/python tools/vendor_openapi.py PATH/TO/openapi.json

Keeps only the schemas branddocs validates against (and every schema they reference), unchanged, so the
checks need no file outside the repository. Source and licence: branddocs/data/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOTS = [
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "ListModelsResponse",
    "ErrorResponse",
]
OUT = Path(__file__).resolve().parent.parent / "branddocs" / "data" / "openai-openapi-subset.json"
_PREFIX = "#/components/schemas/"


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(_PREFIX)} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def subset(document: dict) -> dict:
    schemas, keep, todo = document["components"]["schemas"], {}, list(ROOTS)
    while todo:
        name = todo.pop()
        if name not in keep:
            keep[name] = schemas[name]
            todo += sorted(_refs(schemas[name]) - keep.keys())
    info = {k: document["info"][k] for k in ("title", "version")}
    return {"openapi": document["openapi"], "info": info, "components": {"schemas": dict(sorted(keep.items()))}}


def main(source: str) -> int:
    document = json.loads(Path(source).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(subset(document), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(subset(document)['components']['schemas'])} schemas)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
