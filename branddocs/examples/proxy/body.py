"""What a body forwarded with the real key may ask for: the guide's requests, on the bill of the run's own brand.

allowed.py bounds which requests reach the platform; this bounds what one of them costs. A hostile example on an
allowed path could ask for the platform's most expensive model, `n: 128` replies or `max_tokens: 1000000`, each
billed to the tenant. So a body sent with a run's key (the proxy swaps in the real one) is forwarded only when:

- it is one JSON object of at most BODY_BYTES (input is billed too), strictly read: UTF-8, no key twice
  (`{"model": "cheap", "model": "dear"}` is read differently by different parsers), no `NaN` or `Infinity`; it goes
  upstream as `Content-Type: application/json`;
- its `model` is one of the run's brand's `models` (a real-key check is one brand's: run/first_run.py refuses
  more; and each run is one brand's: `new_token(brand=...)`, never the union of the brands the proxy knows), or
  UNKNOWN_MODEL, the model the guide's error table and wire claims send to show what the platform answers to a
  model it does not serve;
- no field name is another's, or a known field's, in another case (`"Model"`, `"N"`: fields.spelling; a platform
  that matches names without case reads them as the fields this rule checked);
- on a path of a kind the rule knows (fields.FIELDS: `POST /chat/completions`, the guide's own request, and
  `/completions`, `/embeddings`, `/moderations`, `/images/generations`) it names only that kind's fields: for chat
  CHAT_FIELDS, the fields the guide's examples and error tables send and the rest of OpenAI's request that does not
  raise a reply's price (`service_tier`, `best_of`, `web_search_options`, `audio` are refused because they are not
  listed, not looked up in a list of dear ones). A request without `max_tokens` is forwarded: examples are written
  as readers call, and OpenAI's own quickstart sets none; its reply is bounded by the platform's own limit (the
  threat model says so);
- a chat request's `messages` hold text alone (fields.message_problem: a string, or parts `{"type": "text", ...}`;
  an image, audio or file part bills what the body does not hold);
- `n`, where present, is 1 (no example of the guide asks for more than one reply), and `max_tokens` and
  `max_completion_tokens` are whole numbers from 1 to the run's limit (`BRANDDOCS_MAX_TOKENS`, MAX_TOKENS
  by default; the guide's examples ask for at most 128).

Anything else is answered 403 with one line saying which rule the body broke, never forwarded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from branddocs.examples.proxy.fields import CHAT_FIELDS, FIELDS, message_problem, one_form, spelling

__all__ = ["BODY_BYTES", "CHAT_FIELDS", "MAX_TOKENS", "UNKNOWN_MODEL", "Bodies"]

UNKNOWN_MODEL = "no-such-model"
"""The model the guide sends to show the platform's answer to a model it does not serve (no platform bills it)."""
MAX_TOKENS = 1024
"""The most tokens one reply may be asked for, unless BRANDDOCS_MAX_TOKENS says otherwise (the guide asks for 128)."""
BODY_BYTES = 64 << 10
"""The largest body forwarded with the real key (the guide's are under 1 KiB; a prompt is billed by its length)."""
_TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for name, value in pairs:
        if name in seen:
            raise _Refused(f"the body names {name[:40]!r} twice")
        seen[name] = value
    return seen


def _constant(name: str) -> object:
    raise _Refused(f"the body holds {name}, which is not JSON")


class Bodies:
    """The body rule: each brand's `models` (brand id -> ids), and the bound on `max_tokens`."""

    def __init__(self, models: Mapping[str, Iterable[str]], max_tokens: int = MAX_TOKENS) -> None:
        self.models = {brand: frozenset(ids) for brand, ids in models.items()}
        self.max_tokens = max_tokens

    def __repr__(self) -> str:
        return f"Bodies({sorted(self.models)!r}, max_tokens={self.max_tokens})"

    def refusal(self, brand: str, method: str, path: str, body: bytes) -> str | None:
        """Why run `brand`'s `method` `path` with `body` is not forwarded with the real key (one line), or None."""
        try:
            return self._problem(brand, method, path, body)
        except _Refused as exc:
            return f"branddocs proxy: not forwarded: {method[:20]} {path[:200]}: {exc}"

    def _problem(self, brand: str, method: str, path: str, body: bytes) -> str | None:
        if not body:
            if method == "POST" and path == "/chat/completions":
                raise _Refused("a chat request without a body")
            return None
        if len(body) > BODY_BYTES:
            raise _Refused(f"the body is over {BODY_BYTES} bytes")
        try:
            data = json.loads(body.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise _Refused("the body is not one JSON object in UTF-8") from None
        if not isinstance(data, dict):
            raise _Refused("the body is not one JSON object")
        problem = spelling(list(data))
        if problem:
            raise _Refused(problem)
        fields = FIELDS.get(path)
        unknown = sorted(set(data) - fields) if fields is not None else []
        if unknown:
            raise _Refused(f"the field {unknown[0][:40]!r} is not one a check sends with a real key: it may raise "
                           f"the bill (allowed: {', '.join(sorted(fields))})")  # fmt: skip
        problem = message_problem(data.get("messages")) if path == "/chat/completions" else one_form(path, data)
        if problem:
            raise _Refused(problem)
        models = self.models.get(brand, frozenset())
        model = data.get("model")
        if model != UNKNOWN_MODEL and (not isinstance(model, str) or model not in models):
            shown = repr(model)[:80] if "model" in data else "no model"
            raise _Refused(f"{shown} is not one of brand {brand[:40]}'s models ({', '.join(sorted(models))})")
        n = data.get("n", 1)
        if type(n) is not int or n != 1:
            raise _Refused(f"n is {json.dumps(n)[:40]}: the guide's examples ask for one reply (n: 1)")
        for name in _TOKEN_FIELDS:
            value = data.get(name, 1)
            if type(value) is not int or not 1 <= value <= self.max_tokens:
                raise _Refused(f"{name} is {json.dumps(value)[:40]}: expected a whole number from 1 to "
                               f"{self.max_tokens} (BRANDDOCS_MAX_TOKENS)")  # fmt: skip
        return None
