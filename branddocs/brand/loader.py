"""Read brand files: size and YAML limits before parsing, one clear error per problem with its line."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from branddocs import text
from branddocs.brand.lookalikes import lookalike_brands
from branddocs.brand.model import BRAND_ID_RE, Brand, BrandError

__all__ = ["MAX_BRAND_BYTES", "MAX_YAML_DEPTH", "find_brand_files", "load_brand", "load_brands", "shared_image_folders"]

MAX_BRAND_BYTES = 64 * 1024
"""A brand file is a few hundred bytes; a larger one is refused, reading at most one byte more."""
MAX_YAML_DEPTH = 20
"""Nesting deeper than this is refused while parsing, before anything is built from it."""


class _UniqueKeys:
    """A SafeLoader's mixin that rejects a key given twice instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found key {key!r} a second time", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """PyYAML's own parser, whose messages the errors quote."""


class _CUniqueKeyLoader(_UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser (a tenth of the time), where PyYAML has it."""


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest parent that exists."""
    node, line = root, (root.start_mark.line + 1 if root else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check its spelling; `branddocs schema` lists the brand fields)"
    if error["type"] == "missing":
        return "required, but missing"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and error["type"] != "value_error":
        return f"{message}; found {error['input']!r}"
    return message


def _comment_pitfalls(root: yaml.Node | None, lines: list[str], prefix: str = "") -> list[str]:
    """`primary: #b45309` is an empty value and a comment: name each such field and its line."""
    found: list[str] = []
    if not isinstance(root, yaml.MappingNode):
        return found
    for key, value in root.value:
        field = f"{prefix}{key.value}"
        after_key = lines[key.end_mark.line][key.end_mark.column :] if key.end_mark.line < len(lines) else ""
        if isinstance(value, yaml.ScalarNode) and value.value == "" and re.match(r"\s*:\s+#\S", after_key):
            shown = after_key.split("#", 1)[1].strip()
            found.append(
                f"{key.start_mark.line + 1}: {field}: expected a value, found none: `#` starts a YAML comment, "
                f'so quote the value: {key.value}: "#{shown}"'
            )
        found += _comment_pitfalls(value, lines, f"{field}.")
    return found


def _check_structure(path: Path, source: str, loader: type = yaml.SafeLoader) -> None:
    """Refuse aliases, anchors and deep nesting from the parser's events, before anything is built from them:
    a few hundred bytes of aliases ("billion laughs") would otherwise expand to gigabytes."""
    depth = 0
    try:
        for event in yaml.parse(source, Loader=loader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = "*" if isinstance(event, yaml.AliasEvent) else "&"
                raise BrandError(
                    f"{path}:{line}: expected plain values, found a YAML anchor or alias ({mark}{event.anchor}): "
                    "brand files may not use them"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise BrandError(f"{path}:{line}: expected at most {MAX_YAML_DEPTH} nested levels, found more")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise BrandError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's message, which quotes the file's text, with each of its own lines printed for a terminal."""
    return "\n".join(text.terminal_text(line) for line in str(exc).split("\n"))


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}  # fmt: skip


def _read_capped(path: Path) -> bytes:
    """The file's bytes, read without following a link, from a regular file only, and never more than the cap
    plus one byte: `st_size` is not trusted (`/dev/zero` and `/proc` files report 0, a file may grow)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BrandError(
                f"{path}: expected a brand file that is a regular file, found a symbolic link {path} -> "
                f"{os.path.realpath(path)} (brand files are opened without following links)"
            ) from None
        raise BrandError(f"{path}: cannot read the brand file: {exc}") from exc
    with os.fdopen(fd, "rb", buffering=0) as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a file")
            raise BrandError(f"{path}: expected a brand file that is a regular file, found {kind}")
        if info.st_size > MAX_BRAND_BYTES:  # refused before reading; a smaller size is not believed
            raise BrandError(
                f"{path}: expected a brand file of at most {MAX_BRAND_BYTES} bytes, found {info.st_size} bytes"
            )
        data = b""
        while len(data) <= MAX_BRAND_BYTES:
            chunk = file.read(MAX_BRAND_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > MAX_BRAND_BYTES:
            raise BrandError(f"{path}: expected a brand file of at most {MAX_BRAND_BYTES} bytes, found more")
        return data


def load_brand(path: Path) -> Brand:
    """Read and validate one brand file; every error names the file, line and field."""
    path = Path(path)
    brand_id = path.stem
    if not BRAND_ID_RE.match(brand_id):
        raise BrandError(
            f"{path}: the file name must be the brand id, [a-z0-9-]+ followed by .yml; found {path.name!r}"
        )
    try:
        source = _read_capped(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BrandError(f"{path}: cannot read the brand file: {exc}") from exc
    try:  # libyaml first; a file it refuses is read again by PyYAML, whose messages the errors quote
        root, data = _parse(path, source, _CUniqueKeyLoader)
    except BrandError:
        root, data = _parse(path, source, _UniqueKeyLoader)
    if not isinstance(data, dict):
        raise BrandError(f"{path}: expected a mapping of brand fields, found {type(data).__name__}")
    if "id" in data:
        raise BrandError(f"{path}:{_line_of(root, ('id',))}: id: the id is the file name; remove this key")
    pitfalls = _comment_pitfalls(root, source.splitlines())
    if pitfalls:
        raise BrandError("\n".join(f"{path}:{p}" for p in pitfalls))
    try:
        return Brand.model_validate({**data, "id": brand_id})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc, message = tuple(error["loc"]), _describe(error)
            # Checks across fields (model validators) name their field at the start of the message.
            named = re.match(r"^([a-z_]+(?:\.[a-z_]+)*): (.*)$", message, re.DOTALL)
            if not loc and named:
                loc, message = tuple(named[1].split(".")), named[2]
            # A key is the brand file's text: escaped where it is put into the message (an unknown key may hold
            # \r or U+2028 to forge a line of check-brands' output); values are repr()'d, which escapes them.
            field = ".".join(text.terminal_text(str(p)) for p in loc) or "(brand)"
            lines.append(f"{path}:{_line_of(root, loc)}: {field}: {message}")
        raise BrandError("\n".join(lines)) from None


def _parse(path: Path, source: str, loader: type) -> tuple[yaml.Node | None, Any]:
    """The file's node tree and data, parsed once; a BrandError for aliases, deep nesting or invalid YAML."""
    _check_structure(path, source, loader)
    try:
        parser = loader(source)
        try:
            root = parser.get_single_node()
            return root, parser.construct_document(root) if root is not None else None
        finally:
            parser.dispose()
    except yaml.YAMLError as exc:
        raise BrandError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc


def find_brand_files(brands_dir: Path) -> list[Path]:
    return sorted(Path(brands_dir).glob("*.yml"))


def shared_image_folders(brands: dict[Path, Brand]) -> dict[Path, str]:
    """For each brand file whose `resource_dir_name` another one also has, a message naming them all."""
    owners: dict[str, list[Path]] = {}
    for path, brand in brands.items():
        owners.setdefault(brand.resource_dir_name, []).append(path)
    return {
        path: f"{' and '.join(map(str, paths))}: resource_dir_name: expected one image folder per brand, "
        f"found {name!r} in each"
        for name, paths in owners.items()
        if len(paths) > 1
        for path in paths
    }


def load_brands(brands_dir: Path, ids: list[str] | None = None) -> list[Brand]:
    """Load the named brands (all by default); unknown ids are an error listing the known ones."""
    files = {p.stem: p for p in find_brand_files(brands_dir)}
    if ids:
        unknown = [i for i in ids if i not in files]
        if unknown:
            raise BrandError(
                f"unknown brand {', '.join(unknown)}; brands in {brands_dir}: {', '.join(files) or 'none'}"
            )
        files = {i: files[i] for i in dict.fromkeys(ids)}
    if not files:
        raise BrandError(f"no brand files (*.yml) in {brands_dir}")
    brands = {p: load_brand(p) for p in files.values()}
    conflicts = [*shared_image_folders(brands).values(), *lookalike_brands(brands).values()]
    if conflicts:
        raise BrandError("\n".join(dict.fromkeys(line for c in conflicts for line in c.split("\n"))))
    return list(brands.values())
