"""What is wrong with an example before it runs: foreign URLs, the wrong key variable, models, misspelled fields.

Each language (languages/) says how its code reads the environment, which request fields it sends, and what
else only its code can get wrong; the rules here hold for every language. An example with a static problem
is never run: branddocs never calls an address a brand does not own.
"""

from __future__ import annotations

import difflib
import re

from branddocs.examples.collection.tables import chat_params
from branddocs.examples.example import Example
from branddocs.examples.languages.base import get

__all__ = ["static_problems"]

_URL = re.compile(r"""https?://[^\s'"`)<>\\]+""")
# model="...", model: '...', "model": "..." in Python, JavaScript and JSON payloads.
_MODEL = re.compile(r"""["']?\bmodel["']?\s*[=:]\s*["']([^"'\n]+)["']""")
# The request fields the openai SDK knows: a near miss (`maxTokens`) is a typo; a field far from all of
# them may be the platform's own extension (vLLM's `top_k`), which is not ours to forbid.


def _near_misses(fields: list[str]) -> list[str]:
    problems = []
    for name in dict.fromkeys(fields):
        if name in chat_params():
            continue
        close = difflib.get_close_matches(
            re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(), sorted(chat_params()), n=1, cutoff=0.85
        )
        if close:
            why = "field names are snake_case" if name != name.lower() else "a misspelling"
            problems.append(
                f"sends the field {name!r}: the chat-completions API calls it {close[0]!r} "
                f"({why}; many servers ignore an unknown field silently)"
            )
    return problems


def static_problems(example: Example) -> list[str]:
    """What is wrong before running: foreign URLs, the wrong key variable, misspelled fields, the language's own."""
    brand, problems, language = example.brand, [], get(example.lang)
    for url in _URL.findall(example.code):
        if not url.startswith(brand.base_url):
            problems.append(
                f"calls {url}, which is not {brand.user_name}'s base URL {brand.base_url}: "
                "use {{ base_url }} (not run: branddocs never calls an address a brand does not own)"
            )
    found = language.env_reads.finditer(example.code)
    # A quoted name is kept as written: its stray spaces are the mistake to show.
    reads = {m.groupdict().get("qname") or (m.groupdict().get("name") or "").strip() for m in found}
    for name in sorted(reads - {brand.key_env}):
        problems.append(
            f"reads the environment variable {name!r}, but {brand.user_name}'s API key is in ${brand.key_env}: "
            "use {{ api_key_env }}"
        )
    if brand.key_env not in example.code:
        problems.append(f"does not read the API key from ${brand.key_env} " + "({{ api_key_env }})")
    problems += language.static_problems(example)
    for model in dict.fromkeys(_MODEL.findall(example.code)):
        if model not in brand.models:
            problems.append(
                f"uses the model {model!r}, which {brand.user_name} does not serve: use {{{{ default_model }}}} "
                f"or one of {', '.join(brand.models)}"
            )
    return problems + _near_misses(language.request_fields(example.code))
