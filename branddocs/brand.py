"""The brand model: one validated record per `brands/<id>.yml`, read by one loader."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from anyascii import anyascii
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from branddocs.errors import UsageError

__all__ = [
    "BRAND_ID_RE",
    "Api",
    "Brand",
    "BrandError",
    "Features",
    "Theme",
    "brand_schema",
    "contrast_ratio",
    "derive_key_env",
    "find_brand_files",
    "load_brand",
    "load_brands",
    "material_languages",
    "shared_image_folders",
    "unsafe_links",
]

BRAND_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
_HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
"""A key variable's name holds one of these: the secret scan finds every key by its variable's name alone,
without reading any brand file (branddocs/secrets_scan.py)."""
_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""A logo or favicon: it becomes a file name and a URL, printed in attributes, so no quotes, `<`, `/` or spaces."""
MAX_BRAND_BYTES = 64 * 1024
"""A brand file is a few hundred bytes; a larger one is refused before it is read."""
MAX_YAML_DEPTH = 20
"""Nesting deeper than this is refused while parsing, before anything is built from it."""

HexColour = Annotated[str, StringConstraints(pattern=_HEX_COLOUR)]
ModelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$", max_length=200)]


class BrandError(UsageError):
    """A brand file is missing, unreadable or invalid; the message is for people."""


def derive_key_env(user_name: str) -> str:
    """`Nébula AI` -> `NEBULA_AI_API_KEY`: ASCII, upper case, runs of other characters to one `_`."""
    stem = re.sub(r"[^A-Z0-9]+", "_", anyascii(user_name).upper()).strip("_")
    return f"{stem}_API_KEY"


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `defualt_model` must not pass silently.
    # Docstrings under fields become descriptions in `branddocs schema`, shown by editors.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, use_attribute_docstrings=True)

    @field_validator("*")
    @classmethod
    def _no_template_syntax(cls, value: Any) -> Any:
        # The pages are Jinja templates: a brand value is untrusted text and must not look like template code.
        found = [m for m in _TEMPLATE_MARKERS if isinstance(value, str) and m in value]
        if found:
            raise ValueError(f"expected plain text, found template syntax {found[0]!r} in {value!r}")
        return value


class Api(_Strict):
    """Where the tenant's OpenAI-compatible API lives and which variable holds its key."""

    base_url: str
    """The OpenAI-compatible base URL a reader passes to the SDKs, e.g. `https://api.acme.example/v1`."""
    key_env: Annotated[str, StringConstraints(pattern=_ENV_NAME)] | None = None
    """The environment variable the examples read the API key from, its name holding KEY, TOKEN, SECRET,
    PASSWORD or CREDENTIAL; derived from `user_name` if unset."""

    @field_validator("key_env")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        # The secret scan of every build knows keys by their variable's name (see SECRET_WORDS).
        if value is not None and not any(word in value for word in SECRET_WORDS):
            raise ValueError(f"expected a name holding one of {', '.join(SECRET_WORDS)}, found {value!r}")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host name")
        if parts.query or parts.fragment:
            raise ValueError("expected a base URL without a query or fragment")
        if value.rstrip("/").endswith("/chat/completions"):
            raise ValueError("expected the base URL, without the trailing /chat/completions")
        return value.rstrip("/")


class Theme(_Strict):
    """The site's colours (quoted, `"#rrggbb"`: an unquoted `#` starts a YAML comment), logo and favicon."""

    primary: HexColour = "#3f51b5"
    """Header and link colour, as `#rrggbb`; becomes `--md-primary-fg-color`."""
    primary_light: HexColour | None = None
    """A lighter shade of `primary`, as `#rrggbb`; mixed from `primary` if unset."""
    primary_dark: HexColour | None = None
    """A darker shade of `primary`, as `#rrggbb`; mixed from `primary` if unset."""
    accent: HexColour = "#526cfe"
    """Hover and focus colour, as `#rrggbb`."""
    logo: str | None = None
    """A file under `docs/images/<resource_dir_name>/` (letters, digits, `.`, `_`, `-`); Material's default
    icon if unset."""
    favicon: str | None = None
    """A file under `docs/images/<resource_dir_name>/` (letters, digits, `.`, `_`, `-`); the logo if unset."""

    def css_variables(self) -> dict[str, str]:
        """Material's `--md-*-fg-color*` variables for this palette; light/dark shades derived if unset."""
        text = _readable_on(self.primary)
        return {
            "--md-primary-fg-color": self.primary,
            "--md-primary-fg-color--light": self.primary_light or _mix(self.primary, "#ffffff", 0.25),
            "--md-primary-fg-color--dark": self.primary_dark or _mix(self.primary, "#000000", 0.25),
            "--md-primary-bg-color": text,
            "--md-primary-bg-color--light": text + "b3",
            "--md-accent-fg-color": self.accent,
            "--md-accent-fg-color--transparent": self.accent + "1a",
        }

    @field_validator("logo", "favicon")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        if value is not None and (not re.fullmatch(_FILE_NAME, value) or len(value) > 100):
            raise ValueError(
                "expected a file name inside the brand's image folder, such as logo.svg, of at most 100 letters, "
                f"digits, '.', '_' and '-' (pattern {_FILE_NAME}); found {value!r}"
            )
        return value


class Features(_Strict):
    """What the tenant's platform offers, where the guide differs (`{% if features.streaming %}`)."""

    streaming: bool = True
    """The platform streams replies (`stream: true`, server-sent events); false: the guide never mentions it."""


@cache
def material_languages() -> frozenset[str]:
    """The language codes Material for MkDocs has texts for (`partials/languages/<code>.html`)."""
    spec = importlib.util.find_spec("material")
    folders = [Path(f) / "templates" / "partials" / "languages" for f in (spec.submodule_search_locations or [])]
    return frozenset(p.stem for folder in folders for p in folder.glob("*.html") if p.stem != "custom")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: str, other: str, amount: float) -> str:
    mixed = (round(a + (b - a) * amount) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _luminance(colour: str) -> float:
    """WCAG relative luminance."""
    lin = [(c / 255 / 12.92) if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _readable_on(background: str) -> str:
    """White or black, whichever reads better on `background`."""
    return max(("#ffffff", "#000000"), key=lambda text: contrast_ratio(background, text))


class Brand(_Strict):
    """One tenant's values for the templated guide: `brands/<id>.yml` (see docs/writing.md)."""

    id: Annotated[str, StringConstraints(pattern=BRAND_ID_RE.pattern)]
    """The file name without `.yml`; not written in the file."""
    user_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    """The tenant's name as readers see it; any characters."""
    resource_dir_name: Annotated[str, StringConstraints(pattern=BRAND_ID_RE.pattern)]
    """The folder under `docs/images/` holding this brand's screenshots and logo."""
    api: Api
    models: Annotated[list[ModelId], Field(min_length=1)]
    """The models this tenant serves, as the API names them."""
    default_model: ModelId | None = None
    """The model the examples call; the first of `models` if unset."""
    portal_name: Annotated[str, StringConstraints(min_length=1)] = "Cloud Portal"
    """The name of the tenant's web console, as the guide mentions it."""
    theme: Theme = Theme()
    site_url: str | None = None
    """Where the published guide lives, e.g. `https://docs.acme.example/`."""
    copyright: str | None = None
    """Footer text; `© <user_name>` if unset."""
    support_url: str | None = None
    """Where readers get help, linked from the guide."""
    language: str = "en"
    """The readers' language, a Material for MkDocs code such as `en`, `de`, `ja`, `zh-TW`."""
    features: Features = Features()

    @field_validator("language")
    @classmethod
    def _material_language(cls, value: str) -> str:
        if value not in material_languages():
            near = sorted(c for c in material_languages() if c.lower().startswith(value.lower()[:2]))
            hint = f" (close: {', '.join(near)})" if near else ""
            raise ValueError(f"expected a Material for MkDocs language code such as en, de, ja, zh-TW{hint}")
        return value

    @field_validator("models")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        duplicates = sorted({m for m in value if value.count(m) > 1})
        if duplicates:
            raise ValueError(f"expected each model once, found {', '.join(duplicates)} more than once")
        return value

    @field_validator("site_url", "support_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
            raise ValueError("expected an http:// or https:// URL with a host name")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Brand:
        if self.default_model is not None and self.default_model not in self.models:
            raise ValueError(f"default_model: expected one of models {self.models}, found {self.default_model!r}")
        key_env = self.api.key_env or derive_key_env(self.user_name)
        if not re.match(_ENV_NAME, key_env) or key_env == "_API_KEY":
            raise ValueError(
                f"api.key_env: {self.user_name!r} gives no usable variable name ({key_env!r}); set api.key_env"
            )
        # Frozen models: fill derived defaults once, here, so every reader sees the same values.
        object.__setattr__(self, "default_model", self.default_model or self.models[0])
        object.__setattr__(self, "api", self.api.model_copy(update={"key_env": key_env}))
        return self

    @property
    def key_env(self) -> str:
        return self.api.key_env  # type: ignore[return-value]  # filled by _defaults

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @property
    def base_path(self) -> str:
        """The base URL's path, e.g. `/api/v1/ai`: where the reference endpoint serves this brand."""
        return urlsplit(self.api.base_url).path.rstrip("/")

    def image_dir(self, docs_dir: Path) -> Path:
        return docs_dir / "images" / self.resource_dir_name

    def asset_paths(self, docs_dir: Path) -> list[Path]:
        """Every file this brand's site needs from its image folder."""
        names = ["endpoint.png", self.theme.logo, self.theme.favicon]
        return [self.image_dir(docs_dir) / name for name in dict.fromkeys(names) if name]

    def check_assets(self, docs_dir: Path) -> None:
        """The brand's images are there, and no link under docs/, overrides/ or its brand file leaves them."""
        links = unsafe_links(docs_dir.parent, self)
        if links:
            raise BrandError("\n".join(f"brand {self.id!r}: {link}" for link in links))
        missing = [p for p in self.asset_paths(docs_dir) if not p.is_file()]
        if missing:
            listed = ", ".join(str(p) for p in missing)
            raise BrandError(f"brand {self.id!r}: missing image file: {listed}")

    def variables(self) -> dict[str, Any]:
        """The names the templated guide uses, e.g. `{{ user_name }}`, `{{ base_url }}`."""
        return {
            "brand": self,
            "brand_id": self.id,
            "user_name": self.user_name,
            "resource_dir_name": self.resource_dir_name,
            "portal_name": self.portal_name,
            "base_url": self.base_url,
            "api_key_env": self.key_env,
            "models": list(self.models),
            "default_model": self.default_model,
            "language": self.language,
            "features": self.features.model_dump(),
        }


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice instead of keeping the last one."""

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
        return "unknown key (check its spelling; see docs/writing.md for the brand fields)"
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


def _check_structure(path: Path, text: str) -> None:
    """Refuse aliases, anchors and deep nesting from the parser's events, before anything is built from them:
    a few hundred bytes of aliases ("billion laughs") would otherwise expand to gigabytes."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
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
        raise BrandError(f"{path}: not valid YAML: {exc}") from exc


def load_brand(path: Path) -> Brand:
    """Read and validate one brand file; every error names the file, line and field."""
    path = Path(path)
    brand_id = path.stem
    if not BRAND_ID_RE.match(brand_id):
        raise BrandError(
            f"{path}: the file name must be the brand id, [a-z0-9-]+ followed by .yml; found {path.name!r}"
        )
    try:
        size = path.stat().st_size
        if size > MAX_BRAND_BYTES:
            raise BrandError(f"{path}: expected a brand file of at most {MAX_BRAND_BYTES} bytes, found {size} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BrandError(f"{path}: cannot read the brand file: {exc}") from exc
    _check_structure(path, text)
    try:
        root = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BrandError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise BrandError(f"{path}: expected a mapping of brand fields, found {type(data).__name__}")
    if "id" in data:
        raise BrandError(f"{path}:{_line_of(root, ('id',))}: id: the id is the file name; remove this key")
    pitfalls = _comment_pitfalls(root, text.splitlines())
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
            field = ".".join(str(p) for p in loc) or "(brand)"
            lines.append(f"{path}:{_line_of(root, loc)}: {field}: {message}")
        raise BrandError("\n".join(lines)) from None


def _link_problem(link: Path, root: Path, brand: Brand) -> str | None:
    """Why the symbolic link `link` may not be published for `brand`, or None if it may."""
    target = Path(os.path.realpath(link))
    docs, overrides, brands = root / "docs", root / "overrides", root / "brands"
    if target.is_relative_to(brands) and target == brands / f"{brand.id}.yml":
        return None
    if not (target.is_relative_to(docs) or target.is_relative_to(overrides)):
        return f"symbolic link {link} -> {target}: expected a target inside {docs} or {overrides}"
    rel = target.relative_to(docs).parts if target.is_relative_to(docs) else ()
    if len(rel) > 1 and rel[0] == "images" and rel[1] != brand.resource_dir_name:
        return f"symbolic link {link} -> {target}: points into another brand's image folder"
    if len(rel) > 1 and rel[0] == "brands" and rel[1] != brand.id:
        return f"symbolic link {link} -> {target}: points into another brand's pages"
    return None


def unsafe_links(root: Path, brand: Brand) -> list[str]:
    """Symbolic links that would publish, for `brand`, a file outside the project or another brand's.

    Walks what the brand's site is made from: docs/ (less other brands' image and page folders, which its
    site never holds), overrides/ and its brand file; a link is never followed into."""
    root = Path(os.path.realpath(root))
    docs = root / "docs"
    skip = {docs / "images" / brand.resource_dir_name, docs / "brands" / brand.id}
    found = []
    brand_file = root / "brands" / f"{brand.id}.yml"
    if brand_file.is_symlink():
        found.append(_link_problem(brand_file, root, brand))
    for top in (docs, root / "overrides"):
        for folder, dirs, files in os.walk(top):
            here = Path(folder)
            if here in (docs / "images", docs / "brands"):  # other brands' folders: never in this site
                dirs[:] = [d for d in dirs if here / d in skip]
            for name in [*dirs, *files]:
                if (here / name).is_symlink():
                    found.append(_link_problem(here / name, root, brand))
    return [problem for problem in found if problem]


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
    shared = shared_image_folders(brands)
    if shared:
        raise BrandError("\n".join(dict.fromkeys(shared.values())))
    return list(brands.values())


def brand_schema() -> str:
    """The JSON Schema of a brand file, from the model the loader uses (`branddocs schema`)."""
    schema = Brand.model_json_schema()
    del schema["properties"]["id"]  # the file name, never written in the file
    schema["required"].remove("id")
    schema = {
        "$comment": "Generated by `branddocs schema` from branddocs/brand.py. Do not edit by hand.",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
