"""Ways a reply can depart from OpenAI's wire format, and which of them a reader's SDK really stumbles on.

A rule of the verdict fails a runnable example only where the readers' own clients would fail or print
something else: the pinned `openai` Python package, the pinned `openai` npm package, or the example's own code
(curl prints what it gets). `tests/test_sdk_tolerance.py` runs both SDKs on a real server's reply with each
departure made in it and holds this table to what they do, both ways: a departure said to break nobody breaks
no SDK, and one said to break an SDK does. What breaks nobody is still the guide's business where its prose or
a sample says otherwise (`data: [DONE]` ends the stream; the usage chunk; `{"error": {...}}`): those are
checked as claims of the page (wire_claims.py), against the line that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEPARTURES", "Departure", "breaks_a_reader"]


@dataclass(frozen=True)
class Departure:
    """One way a reply departs from OpenAI's format, and whose reading of it fails."""

    name: str
    what: str
    """How the verdict words it."""
    breaks: frozenset[str]
    """The SDKs (`python`, `javascript`) that raise or print something else on it; empty: neither does."""
    why: str
    """What the SDKs do with it, in a few words (for the docs and the tests' messages)."""


DEPARTURES: dict[str, Departure] = {
    d.name: d
    for d in (
        Departure("no-done", "the stream does not end with `data: [DONE]`", frozenset(),
                  "both SDKs stop at the end of the body as at `[DONE]`"),
        Departure("event-lines", "`event:` lines in the stream", frozenset(),
                  "both SDKs read an event's `data:` whatever its `event:` name (`thread.*` aside)"),
        Departure("no-usage", "no usage chunk although `stream_options.include_usage` asked for one", frozenset(),
                  "neither SDK checks; only code that reads `chunk.usage` would see `None`"),
        Departure("usage-sum", "usage that does not add up", frozenset(),
                  "neither SDK adds the numbers up"),
        Departure("not-json", "an event whose data is not JSON", frozenset({"python", "javascript"}),
                  "both SDKs raise on it"),
        Departure("rename-content", "`text` instead of `content`", frozenset({"python", "javascript"}),
                  "the reader's `content` is `None` / `undefined`"),
        Departure("envelope", "the reply wrapped in an envelope {code, msg, data}",
                  frozenset({"python", "javascript"}),
                  "the reader's `choices` is `None` / `undefined`"),
        Departure("detail-error", "an error body without `error` (`{\"detail\": ...}`)",
                  frozenset({"python", "javascript"}),
                  "both raise without the server's words: `Error code: 400`, `400 status code (no body)`"),
    )
}  # fmt: skip
"""Every departure the verdict knows, by name."""


def breaks_a_reader(name: str) -> bool:
    """Whether the departure `name` makes a pinned SDK fail or print otherwise: only then may it fail an example."""
    return bool(DEPARTURES[name].breaks)
