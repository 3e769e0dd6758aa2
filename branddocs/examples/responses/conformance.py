"""Validate JSON against OpenAI's own OpenAPI schemas (the subset in branddocs/data/, or $BRANDDOCS_OPENAPI)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["OPENAPI_ENV", "openapi_path", "schema_errors"]

OPENAPI_ENV = "BRANDDOCS_OPENAPI"
_URI = "urn:openai-openapi"


def openapi_path() -> Path:
    """$BRANDDOCS_OPENAPI (a full `openapi.json`), else the subset shipped in branddocs/data/ (its README: source)."""
    if os.environ.get(OPENAPI_ENV):
        return Path(os.environ[OPENAPI_ENV])
    return Path(__file__).resolve().parent / "data" / "openai-openapi-subset.json"


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
    try:
        document = _nullable(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise FileNotFoundError(f"OpenAI's OpenAPI description not found at {path}; set ${OPENAPI_ENV}") from exc
    return Registry().with_resource(_URI, Resource(contents=document, specification=DRAFT202012))


@cache
def _validator(name: str, path: Path) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{name}"}, registry=_registry(path))


def schema_errors(instance: Any, schema_name: str) -> list[str]:
    """Every way `instance` breaks OpenAI's `components.schemas.<schema_name>`, as `path: message` lines."""
    validator = _validator(schema_name, openapi_path())
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]
