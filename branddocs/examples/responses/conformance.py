"""`--conformance openai`: validate replies against OpenAI's own OpenAPI schemas, to the letter (opt-in).

The schemas are the subset in branddocs/data/, or the full `openapi.json` $BRANDDOCS_OPENAPI names.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branddocs.examples.proxy.recording import Exchange
from branddocs.examples.responses.sse import parse_sse
from branddocs.settings import OPENAPI

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

__all__ = ["conformance_problems", "openapi_path", "schema_errors"]

_URI = "urn:openai-openapi"


def openapi_path() -> Path:
    """$BRANDDOCS_OPENAPI (a full `openapi.json`), else the subset shipped in branddocs/data/ (its README: source)."""
    if OPENAPI.is_set():
        return Path(OPENAPI.get())
    return Path(__file__).resolve().parents[2] / "data" / "openai-openapi-subset.json"


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema 2020-12 says it: `null` added to the type and enum."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable(v) for k, v in node.items()}
    if node.pop("nullable", False) is True:
        if "$ref" in node or "type" not in node:
            return {"anyOf": [{k: v for k, v in node.items() if k != "description"}, {"type": "null"}]}
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    return node


@cache
def _registry(path: Path) -> Registry:
    # jsonschema is imported here, not at the top: only a run with --conformance pays for it.
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    try:
        document = _nullable(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise FileNotFoundError(f"OpenAI's OpenAPI description not found at {path}; set ${OPENAPI.name}") from exc
    return Registry().with_resource(_URI, Resource(contents=document, specification=DRAFT202012))


@cache
def _validator(name: str, path: Path) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{name}"}, registry=_registry(path))


def schema_errors(instance: Any, schema_name: str) -> list[str]:
    """Every way `instance` breaks OpenAI's `components.schemas.<schema_name>`, as `path: message` lines."""
    validator = _validator(schema_name, openapi_path())
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def conformance_problems(exchange: Exchange) -> list[str]:
    """Where a 2xx reply breaks OpenAI's published schema to the letter (opt-in)."""
    if not 200 <= exchange.status < 300:
        return []
    where = f"{exchange.method} {exchange.path}: conformance (OpenAI's schema)"
    text = exchange.body.decode("utf-8", "replace")
    if "text/event-stream" in exchange.content_type:
        chunks, _ = parse_sse(text)
        return [
            f"{where}: chunk {i + 1}: {e}"
            for i, chunk in enumerate(chunks)
            for e in schema_errors(chunk, "CreateChatCompletionStreamResponse")
        ]
    try:
        body = json.loads(text)
    except ValueError:
        return []
    schema = "ListModelsResponse" if exchange.path.endswith("/models") else "CreateChatCompletionResponse"
    return [f"{where}: {e}" for e in schema_errors(body, schema)]
