"""The variable a brand's examples read its key from: derived from the name, and always in the brand's namespace.

The guide tells readers to `export` this variable and its examples send its value to the tenant's base URL. A
brand that chose `GITHUB_TOKEN` or `OPENAI_API_KEY` would have every reader send another service's credential
there; so a chosen name must start with the brand's own stem (`ACME_CLOUD_` from `Acme Cloud`) or with its id
in capitals (`ACME_` for `brands/acme.yml`).

Both are the tenant's to choose, though: `brands/github.yml` may choose `GITHUB_TOKEN`, and a tenant named `OpenAI`
derives `OPENAI_API_KEY` (red team round 7, R7-10). So a brand's variable may not sit in the namespace of a service
whose tools and CI jobs keep credentials in the environment (SERVICES, its first word or two): such a brand names
a variable of its own (`api.key_env`) under a prefix that is no such service's. The list is a list: a service not
on it is not refused (the threat model says so).
"""

from __future__ import annotations

import re

from anyascii import anyascii

from branddocs import text

__all__ = ["SERVICES", "brand_key_env", "derive_key_env", "key_env_stem", "namespace_problem", "service_of"]

SERVICES = frozenset({
    # Model providers and gateways (their SDKs read <NAME>_API_KEY):
    "OPENAI", "AZURE_OPENAI", "ANTHROPIC", "CLAUDE", "GOOGLE", "GEMINI", "VERTEX", "MISTRAL", "COHERE", "GROQ",
    "TOGETHER", "DEEPSEEK", "XAI", "GROK", "PERPLEXITY", "FIREWORKS", "OPENROUTER", "REPLICATE", "HF", "HUGGINGFACE",
    "HUGGING_FACE", "NVIDIA", "CEREBRAS", "AI21", "VOYAGE", "JINA", "LITELLM", "OLLAMA", "VLLM", "BEDROCK",
    # Clouds, code hosts, CI and package registries (their tokens are in the environment of jobs and shells):
    "AWS", "AZURE", "GCP", "GCLOUD", "GITHUB", "GH", "GITLAB", "CI", "ACTIONS", "RUNNER", "BITBUCKET", "CIRCLE",
    "TRAVIS", "BUILDKITE", "JENKINS", "NPM", "YARN", "PYPI", "TWINE", "CARGO", "NUGET", "DOCKER", "DOCKERHUB",
    "HEROKU", "VERCEL", "NETLIFY", "CLOUDFLARE", "CF", "DIGITALOCEAN", "DO", "FLY", "RAILWAY", "SUPABASE",
    "FIREBASE", "STRIPE", "SLACK", "TWILIO", "SENDGRID", "DATADOG", "DD", "SENTRY", "CODECOV", "SONAR",
})  # fmt: skip
"""Services whose credentials programs read from the environment, by their variables' first word or two."""


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


def service_of(key_env: str) -> str | None:
    """The service of SERVICES whose namespace `key_env` is in (`GITHUB_TOKEN`: GITHUB), or None."""
    words = key_env.split("_")
    return next((head for head in ("_".join(words[:2]), words[0]) if head in SERVICES), None)


def brand_key_env(chosen: str | None, brand_id: str, user_name: str) -> str:
    """The brand's key variable: `chosen` if it is in the brand's namespace, else derived from `user_name`;
    ValueError (its message starting `api.key_env:`, which the loader turns into the field's line) if neither."""
    if chosen:
        problem = namespace_problem(chosen, brand_id, user_name)
        if problem:
            raise ValueError(problem)
    variable = chosen or derive_key_env(user_name)
    service = service_of(variable)
    if service is not None:
        whence = "" if chosen else f" (derived from user_name {user_name!r})"
        raise ValueError(
            f"api.key_env: expected a variable no other service's tools read; found {variable!r}{whence}, in "
            f"{service}'s namespace, where readers and CI jobs keep {service}'s own credentials: set api.key_env to a "
            f"name of this brand's own under another prefix"
        )
    if chosen:
        return chosen
    derived = variable
    try:
        return text.env_name(derived)
    except text.GrammarError:
        raise ValueError(
            f"api.key_env: expected a variable name derived from user_name (capitals, digits, single `_`, "
            f"starting with a letter), found {derived!r} from {user_name!r}; set api.key_env"
        ) from None
