"""The brand-file reference: every field `branddocs schema` describes, with its type, default and an example."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from manual_macros.entry import run
from manual_macros.markdown import cell, inline_code

__all__ = ["Field", "brand_fields", "fields"]

_DEMO_BRANDS = Path(__file__).resolve().parents[2] / "brands"
"""The project's demo brands: where a field's example comes from when the schema gives none."""


@dataclass(frozen=True)
class Field:
    """One field of a brand file, as the schema describes it."""

    path: str
    """Dotted, as written in the file: `api.base_url`."""
    type: str
    required: bool
    default: Any
    has_default: bool
    description: str
    example: Any
    """The schema's first example, else the value a demo brand in brands/ gives it, else None."""


def _type(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        return "mapping"
    if "anyOf" in node:
        kinds = [_type(option, defs) for option in node["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds) + (", or empty" if len(kinds) < len(node["anyOf"]) else "")
    kind = {"string": "text", "integer": "integer", "boolean": "true or false", "object": "mapping", "number": "number",
            "array": "list"}.get(node.get("type", ""), node.get("type", "any"))  # fmt: skip
    if node.get("type") == "array" and "items" in node:
        kind = f"list of {_type(node['items'], defs)}"
    limits = []
    if "pattern" in node:
        limits.append(f"matching `{node['pattern']}`")
    if "minimum" in node or "maximum" in node:
        limits.append(f"{node.get('minimum', '')} to {node.get('maximum', '')}")
    if "minLength" in node or "maxLength" in node:
        limits.append(f"{node.get('minLength', 0)} to {node.get('maxLength', 'any number of')} characters")
    if "minItems" in node:
        limits.append(f"at least {node['minItems']}")
    if "enum" in node:
        limits.append("one of " + ", ".join(f"`{v}`" for v in node["enum"]))
    return kind + (f" ({'; '.join(limits)})" if limits else "")


def _walk(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> Iterator[Field]:
    required = set(schema.get("required", ()))
    for name, node in schema.get("properties", {}).items():
        target = defs[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node
        path = f"{prefix}{name}"
        description = node.get("description") or target.get("description", "")
        example = (node.get("examples") or [None])[0]
        default = node.get("default")
        yield Field(path, _type(node, defs), name in required, default, "default" in node, description, example)
        if "properties" in target:
            yield from _walk(target, defs, f"{path}.")


def _demo_value(path: str) -> Any:
    for file in sorted(_DEMO_BRANDS.glob("*.yml")):
        value: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return value
    return None


def fields() -> list[Field]:
    """Every field of a brand file, depth first, from what `branddocs schema` prints."""
    schema = json.loads(run("schema"))
    found = list(_walk(schema, schema.get("$defs", {})))
    return [f if f.example is not None else Field(**{**f.__dict__, "example": _demo_value(f.path)}) for f in found]


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "see its fields below"
    return inline_code(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)


def brand_fields() -> str:
    """One table row per field: name, type, required or its default, description, example."""
    rows = ["| Field | Type | Required / default | Description | Example |", "|---|---|---|---|---|"]
    for f in fields():
        need = "required" if f.required else (f"default {_value(f.default)}" if f.has_default and f.default is not None
                                              else "optional")  # fmt: skip
        example = _value(f.example) if f.example is not None else ""
        name = f'<span id="field-{f.path}"></span>{inline_code(f.path)}'
        rows.append(f"| {name} | {cell(f.type)} | {need} | {cell(f.description)} | {example} |")
    return "\n".join(rows) + "\n"
