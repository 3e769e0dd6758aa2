"""`platform.json`: the platform a brand's guide documents, in one small file of the brand's built site.

What `branddocs mcp` answers to an assistant's `platform()`: the tenant's name, its site and base URL, its
models, the variable its examples read the API key from, and the SDKs the guide tells readers to install.
The build writes it beside `llms.txt` (the same facts the pages state, from the same sources: the brand's
values and branddocs/site/sdk_versions.py), so the MCP server reads the built site alone, never `brands/` or `docs/`.
It is public, like every other file of the site, and the secret scan reads it like any other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from branddocs import text
from branddocs.brand import Brand
from branddocs.site.sdk_versions import node_sdk, python_sdk

__all__ = ["FILE", "GENERATED", "json_text", "platform_record", "write_platform"]

FILE = "platform.json"
"""Its name in the brand's site folder: `site/<id>/platform.json`."""
GENERATED = "written by branddocs build from the brand's file; do not edit (branddocs mcp reads it)"


def platform_record(brand: Brand, root: Path) -> dict[str, Any]:
    """The brand's platform as `platform()` reports it; the Node.js SDK only in a project with a package.json."""
    py = python_sdk()
    sdks: dict[str, Any] = {
        "python": {
            "package": "openai",
            "install": py.install,
            "tested_version": py.version,
            "requires": f"Python {py.minimum} or newer",
        },
    }
    if (root / "package.json").is_file():
        node = node_sdk(root)
        sdks["javascript"] = {"package": "openai", "install": node.install, "tested_version": node.version,
                              "requires": f"Node.js {node.minimum} or newer"}  # fmt: skip
    return {
        "_generated": GENERATED,  # first: a generated file says so in its first line
        "id": brand.id,
        "name": brand.user_name,
        "language": brand.language,
        "site_url": brand.site_url.rstrip("/") + "/" if brand.site_url else None,
        "base_url": brand.base_url,
        "api_key_env": brand.key_env,
        "models": list(brand.models),
        "default_model": brand.default_model,
        # Those the brand has turned on, by name: a feature it has not is never named (the guide never mentions it).
        "features": [name for name, on in brand.features.model_dump().items() if on],
        "sdks": sdks,
    }


def json_text(value: Any, indent: str = "") -> str:
    """`value` as indented JSON whose every string is printed by branddocs.text's JSON printer: brand values are
    untrusted text, and `<`, `>`, `&`, `'` and what is not printable come out as `\\u` escapes, so a name holding
    `<script>` is never markup, wherever the file is shown; every JSON reader reads the values back as they were."""
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f'{inner}"{text.json_str(str(k))}": {json_text(v, inner)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}" if items else "{}"
    if isinstance(value, list | tuple):
        items = [inner + json_text(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]" if items else "[]"
    if isinstance(value, str):
        return f'"{text.json_str(value)}"'
    return json.dumps(value)  # a number, true, false or null


def write_platform(site_dir: Path, brand: Brand, root: Path) -> None:
    """Write `platform.json` into the brand's site folder, unless it already holds exactly that."""
    document = json_text(platform_record(brand, root)) + "\n"
    out = site_dir / FILE
    if not out.is_file() or out.read_text(encoding="utf-8") != document:
        out.write_text(document, encoding="utf-8")
