"""The variable a brand's examples read its key from: derived from the name, and always in the brand's namespace.

The guide tells readers to `export` this variable and its examples send its value to the tenant's base URL. A
brand that chose `GITHUB_TOKEN` or `OPENAI_API_KEY` would have every reader send another service's credential
there; so a chosen name must start with the brand's own stem (`ACME_CLOUD_` from `Acme Cloud`) or with its id
in capitals (`ACME_` for `brands/acme.yml`).
"""

from __future__ import annotations

import re

from anyascii import anyascii

from branddocs import text

__all__ = ["brand_key_env", "derive_key_env", "key_env_stem", "namespace_problem"]


def key_env_stem(user_name: str) -> str:
    """`Nébula AI` -> `NEBULA_AI`: ASCII, upper case, runs of other characters to one `_`."""
    return re.sub(r"[^A-Z0-9]+", "_", anyascii(user_name).upper()).strip("_")


def derive_key_env(user_name: str) -> str:
    """`Nébula AI` -> `NEBULA_AI_API_KEY`."""
    return f"{key_env_stem(user_name)}_API_KEY"


def namespace_problem(key_env: str, brand_id: str, user_name: str) -> str | None:
    """Why `key_env` is outside the brand's namespace (a message with what was expected and found), or None."""
    prefixes = dict.fromkeys(p for p in (key_env_stem(user_name), brand_id.upper().replace("-", "_")) if p)
    if any(key_env.startswith(f"{prefix}_") for prefix in prefixes):
        return None
    expected = " or ".join(f"{p}_" for p in prefixes)
    return (f"api.key_env: expected a variable in this brand's namespace, starting {expected} (the stem of "
            f"user_name {user_name!r}, or the brand id {brand_id!r} in capitals), such as "
            f"{derive_key_env(user_name)}; found {key_env!r}, which may hold another service's credential")  # fmt: skip


def brand_key_env(chosen: str | None, brand_id: str, user_name: str) -> str:
    """The brand's key variable: `chosen` if it is in the brand's namespace, else derived from `user_name`;
    ValueError (its message starting `api.key_env:`, which the loader turns into the field's line) if neither."""
    if chosen:
        problem = namespace_problem(chosen, brand_id, user_name)
        if problem:
            raise ValueError(problem)
        return chosen
    derived = derive_key_env(user_name)
    try:
        return text.env_name(derived)
    except text.GrammarError:
        raise ValueError(
            f"api.key_env: expected a variable name derived from user_name (capitals, digits, single `_`, "
            f"starting with a letter), found {derived!r} from {user_name!r}; set api.key_env"
        ) from None
