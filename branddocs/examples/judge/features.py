"""Examples against the brand's platform features: nothing streams on a brand whose platform does not."""

from __future__ import annotations

import re

from branddocs.examples.example import Example
from branddocs.examples.languages.base import get

__all__ = ["feature_problems"]

# How a JSON sample asks for a stream; each language says how its code does (languages/), and an
# event-stream sample is one by itself.
_JSON_STREAM = re.compile(r'"stream"\s*:\s*true\b')


def feature_problems(example: Example) -> list[str]:
    """Why `example` needs a feature its brand's platform lacks (features in the brand file)."""
    if example.brand.features.streaming:
        return []
    pattern = _JSON_STREAM if example.lang == "json" else None
    if example.kind == "run":
        pattern = get(example.lang).stream
    found = pattern.search(example.code) if pattern else None
    if example.lang == "sse" or found:
        what = f"asks for a stream (`{found.group()}`)" if found else "is a server-sent-events stream sample"
        return [
            f"{example.where}: this {example.lang} example {what}, but brand {example.brand.id!r} has "
            "features.streaming: false (its platform answers `stream: true` with 400); put it inside "
            "{% if features.streaming %} ... {% endif %}"
        ]
    return []
