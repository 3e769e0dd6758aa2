"""The brand model: one validated record per `brands/<id>.yml` (read by branddocs.brand.loader)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from branddocs import text
from branddocs.brand.colours import mix, readable_on
from branddocs.brand.key_env import brand_key_env, derive_key_env
from branddocs.brand.languages import material_languages
from branddocs.brand.links import unsafe_links
from branddocs.errors import UsageError
from branddocs.settings import SECRET_WORDS  # a key variable's name holds one: the scan needs no brand file

__all__ = [
    "BRAND_ID_RE",
    "REQUEST_PATTERN",
    "SAMPLE_FINGERPRINT",
    "SECRET_WORDS",
    "Api",
    "Brand",
    "BrandError",
    "Checks",
    "Features",
    "PlatformErrors",
    "Theme",
    "derive_key_env",
]

BRAND_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENV_NAME = r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"
_HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""A logo or favicon: it becomes a file name and a URL, printed in attributes, so no quotes, `<`, `/` or spaces."""
_FINGERPRINT = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
SAMPLE_FINGERPRINT = "fp_abc123"
REQUEST_PATTERN = text.REQUEST_PATTERN  # re-exported: the brand file's `api.example_requests`
"""What the guide's samples show as `system_fingerprint` unless the brand says what its platform sends: plainly
a placeholder, naming no backend (a vendor's `vllm-0.32.0-...` would tell every tenant's readers the stack)."""
HexColour = Annotated[str, StringConstraints(pattern=_HEX_COLOUR)]
# Values that land in code, URLs and attributes: each checked by its allow-list grammar (branddocs/text/grammar.py)
# and accepted only if every output printer leaves it unchanged (text.printed_as_is). The grammar's message, not
# pydantic's, is what people read: the patterns go to the schema only.
_MODEL_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$"
_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._:@%+/-]*)?$"
ModelId = Annotated[
    str, AfterValidator(text.model_id), Field(json_schema_extra={"pattern": _MODEL_ID, "maxLength": 200})
]
Url = Annotated[str, AfterValidator(text.url), Field(json_schema_extra={"pattern": _URL})]
Slug = Annotated[str, AfterValidator(text.slug), Field(json_schema_extra={"pattern": BRAND_ID_RE.pattern})]


def _free_text(max_length: int, grammar=text.free_text) -> AfterValidator:
    """Prose: one line, NFC, no control, invisible or bidirectional character (text.free_text); escaped per output."""

    def check(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"expected at most {max_length} characters, found {len(value)}")
        return grammar(value)

    return AfterValidator(check)


FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _free_text(200),
                     Field(json_schema_extra={"maxLength": 200})]  # fmt: skip


class BrandError(UsageError):
    """A brand file is missing, unreadable or invalid; the message is for people."""


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `defualt_model` must not pass silently.
    # Docstrings under fields become descriptions in `branddocs schema`, shown by editors.
    # No stripping: a code value's surrounding whitespace is refused by its grammar, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

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

    base_url: Url
    """The OpenAI-compatible base URL a reader passes to the SDKs, e.g. `https://api.acme.example/v1`."""
    key_env: Annotated[str, StringConstraints(pattern=_ENV_NAME)] | None = None
    """The environment variable the examples read the API key from, its name holding KEY, TOKEN, SECRET,
    PASSWORD or CREDENTIAL and starting with the stem of `user_name` or the brand id in capitals and `_`
    (`ACME_CLOUD_TOKEN`, `ACME_KEY`); derived from `user_name` if unset."""

    example_requests: Annotated[
        list[Annotated[str, StringConstraints(pattern=REQUEST_PATTERN, max_length=200)]], Field(max_length=32)
    ] = []
    """Requests this brand's guide makes besides `POST /chat/completions` and `GET /models`, each a method and a
    path under the base URL, `*` for any one segment (`POST /embeddings`, `GET /models/*`): during the checks the
    recording proxy forwards these, with the real key, and answers any other request 403."""

    system_fingerprint: str | None = None
    """The `system_fingerprint` this platform sends, shown in the guide's response samples (letters, digits,
    `.`, `_`, `:`, `-`; at most 64); a placeholder naming no backend if unset."""

    @field_validator("system_fingerprint")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        what = ("what the platform sends as system_fingerprint: 1 to 64 letters, digits, '.', '_', ':' or '-', "
                "starting with a letter or digit")  # fmt: skip
        return text.token(value, _FINGERPRINT[1:-1], what, r"[A-Za-z0-9._:-]", 64)

    @field_validator("key_env")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = text.env_name(value)
        # The secret scan of every build knows keys by their variable's name (see SECRET_WORDS).
        if not any(word in value for word in SECRET_WORDS):
            raise ValueError(f"expected a name holding one of {', '.join(SECRET_WORDS)}, found {value!r}")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value.rstrip("/").endswith("/chat/completions"):
            raise ValueError("expected the base URL, without the trailing /chat/completions")
        return text.printed_as_is(value.rstrip("/"))


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
        text = readable_on(self.primary)
        return {
            "--md-primary-fg-color": self.primary,
            "--md-primary-fg-color--light": self.primary_light or mix(self.primary, "#ffffff", 0.25),
            "--md-primary-fg-color--dark": self.primary_dark or mix(self.primary, "#000000", 0.25),
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
        return None if value is None else text.file_name(value)


class Features(_Strict):
    """What the tenant's platform offers, where the guide differs (`{% if features.streaming %}`)."""

    streaming: bool = True
    """The platform streams replies (`stream: true`, server-sent events); false: the guide never mentions it."""
    try_it: bool = True
    """A "Try it" panel under each runnable request example sends it to the platform with the reader's own key,
    from the reader's browser (the platform must allow the site's origin: CORS); false: no panel."""


Status = Annotated[int, Field(ge=200, le=599)]
"""An HTTP status a platform answers with: 200 (the request is served) or an error's 4xx or 5xx."""


class PlatformErrors(_Strict):
    """What the tenant's platform answers to a reader's mistakes: the statuses the guide's error table states.

    The defaults are vLLM's (and the reference endpoint's); a platform that answers otherwise says so here, and
    the guide's error table follows it (`{% if errors.unknown_model == 200 %}`)."""

    wrong_key: Status = 401
    """A wrong API key (a LiteLLM gateway without a database: 400)."""
    unknown_model: Status = 404
    """A model the platform does not serve (LiteLLM: 400; 200: the platform serves it with its default model)."""
    unknown_field: Status = 200
    """A misspelled field such as `maxTokens` (200: ignored, as vLLM and LiteLLM do; OpenAI: 400)."""
    out_of_range: Status = 400
    """A field out of its range, such as `"temperature": 5`."""

    def defects(self) -> list[str]:
        """Declarations that document a defect of the platform rather than a choice: `check-brands` warns on each."""
        found = []
        if self.wrong_key < 300:
            found.append(f"errors.wrong_key: {self.wrong_key}: the platform serves a wrong API key, so it checks no "
                         "key and anyone who reaches it can use it; the guide says so, but is that the platform "
                         "you mean to document?")  # fmt: skip
        for name, status in self.model_dump().items():
            if status >= 500:
                found.append(f"errors.{name}: {status}: a server error for a reader's mistake is a defect of the "
                             "platform (a 4xx would name the mistake); the guide says so, but better fix the "
                             "platform")  # fmt: skip
        return found


class Checks(_Strict):
    """How `branddocs check` treats this brand's examples."""

    example_timeout: Annotated[float, Field(gt=0, le=3600)] | None = None
    """Seconds one example may take on this platform (a slow one: 180); `--example-timeout` or
    `$BRANDDOCS_EXAMPLE_TIMEOUT`, when given, wins; 60 if neither says."""


class Brand(_Strict):
    """One tenant's values for the templated guide: `brands/<id>.yml` (`branddocs schema` lists its fields)."""

    id: Slug
    """The file name without `.yml`; not written in the file."""
    user_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _free_text(100, text.name),
                         Field(json_schema_extra={"maxLength": 100})]  # fmt: skip
    """The tenant's name as readers see it: one line of text (no control, invisible or bidirectional
    character), in one script (or Latin with Han and kana, Bopomofo or Hangul)."""
    resource_dir_name: Slug
    """The folder under `docs/images/` holding this brand's screenshots and logo."""
    api: Api
    models: Annotated[list[ModelId], Field(min_length=1)]
    """The models this tenant serves, as the API names them."""
    default_model: ModelId | None = None
    """The model the examples call; the first of `models` if unset."""
    portal_name: FreeText = "Cloud Portal"
    """The name of the tenant's web console, as the guide mentions it."""
    theme: Theme = Theme()
    site_url: Url | None = None
    """Where the published guide lives, e.g. `https://docs.acme.example/`."""
    copyright: FreeText | None = None
    """Footer text; `© <user_name>` if unset."""
    support_url: Url | None = None
    """Where readers get help, linked from the guide."""
    language: str = "en"
    """The readers' language, a Material for MkDocs code such as `en`, `de`, `ja`, `zh-TW`."""
    features: Features = Features()
    errors: PlatformErrors = PlatformErrors()
    """What the platform answers to a wrong key, an unknown model, a misspelled or out-of-range field."""
    checks: Checks = Checks()

    @field_validator("language")
    @classmethod
    def _material_language(cls, value: str) -> str:
        if value not in material_languages():
            near = sorted(c for c in material_languages() if c.lower().startswith(value.lower()[:2]))
            hint = f" (close: {', '.join(near)})" if near else ""
            raise ValueError(f"expected a Material for MkDocs language code such as en, de, ja, zh-TW{hint}")
        return text.printed_as_is(value)

    @field_validator("models")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        duplicates = sorted({m for m in value if value.count(m) > 1})
        if duplicates:
            raise ValueError(f"expected each model once, found {', '.join(duplicates)} more than once")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Brand:
        if self.default_model is not None and self.default_model not in self.models:
            raise ValueError(f"default_model: expected one of models {self.models}, found {self.default_model!r}")
        key_env = brand_key_env(self.api.key_env, self.id, self.user_name)
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
        links = unsafe_links(docs_dir.parent, self.id, self.resource_dir_name)
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
            "errors": self.errors.model_dump(),
            "system_fingerprint": self.api.system_fingerprint or SAMPLE_FINGERPRINT,
        }
