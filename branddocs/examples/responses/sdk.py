"""What a reader's client accepts: the `openai` Python package's own response types, and usage that adds up.

"Compatible" means what a reader's client accepts, as the SDK really behaves. The `openai` package builds its
response objects without validating them (`construct_type`: a missing field becomes `None`, a field of another
type is kept as sent), so a reply lets a reader down only where the reader's code touches it. Its types
(`ChatCompletion`, `ChatCompletionChunk`, `Model`) say what each field should be; a departure counts when the
example reads that field (`Reads`: the names its code accesses, from its language's `reads`), or always when
nothing is known of the reader (`reads=None`: every field the types require). What the guide's samples show is
judged beside them (samples.py), one exchange with them (exchange.py). What breaks every reader fails whatever it
reads: a non-2xx status, a body
that is not a JSON object, an envelope around the reply, `event:` lines, a stream without `data: [DONE]`,
usage that does not add up, no usage chunk when `stream_options.include_usage` asked for one, a reply without
`content`, a `/models` answer without a `data` list. OpenAI's published schema, to the letter, is an opt-in
report (`--conformance openai`, conformance.py).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["Reads", "missing_content", "read_field", "sdk_problems", "usage_problems"]

Reads = frozenset[str] | None
"""The field names a reader's code touches (`choices`, `message`, `content`, `id`), or None: nothing is known of
the reader, so every field the SDK's types require counts."""
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")


def read_field(loc: tuple[int | str, ...]) -> str | None:
    """The field a validation error is about: its path's last field name (list indexes and union tags aside)."""
    names = [part for part in loc if isinstance(part, str) and _FIELD.match(part)]
    return names[-1] if names else None


def sdk_problems(body: Any, model: type[BaseModel], what: str, reads: Reads = None) -> list[str]:
    """Where `body` departs from the `openai` package's own type `model`, in a field `reads` holds (all: None).

    The SDK builds objects without validating them: a reader meets a departure only in a field their code
    reads. A body that is not an object, or an error about the whole body, counts whatever is read.
    """
    if isinstance(body, dict) and {"code", "data"} <= body.keys() and ({"msg", "message"} & body.keys()):
        return [f"wraps the reply in an envelope {{{', '.join(body)}}}: a reader's SDK expects the {what} itself"]
    try:
        model.model_validate(body)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if reads is None or read_field(e["loc"]) in reads | {None}]
        if not errors:
            return []
        said = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in errors[:6])
        if reads is None or any(read_field(e["loc"]) is None for e in errors):  # the whole body: no reader gets far
            return [f"the openai SDK cannot read it as a {what}: {said}"]
        fields = ", ".join(f"`{f}`" for f in dict.fromkeys(str(read_field(e["loc"])) for e in errors))
        return [f"the example reads {fields}, which the openai SDK cannot give it from this {what}: {said}"]
    return []


def missing_content(choices: Any, key: str) -> list[str]:
    """A reply whose text is not under `content` (say `text`): the SDKs give the reader `None` / `undefined`."""
    problems = []
    for i, choice in enumerate(choices if isinstance(choices, list) else []):
        part = choice.get(key) if isinstance(choice, dict) else None
        if isinstance(part, dict) and "content" not in part:
            problems.append(
                f"choices[{i}].{key} has no `content` (it has {', '.join(map(repr, part)) or 'nothing'}): "
                f"a reader's `choices[0].{key}.content` is empty"
            )
    return problems


def usage_problems(usages: list[Any]) -> list[str]:
    problems = []
    for usage in usages:
        if not isinstance(usage, dict):
            continue
        total, parts = usage.get("total_tokens"), (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        if all(isinstance(n, int) for n in (total, *parts)) and sum(parts) != total:
            problems.append(f"usage does not add up: {parts[0]} prompt + {parts[1]} completion != {total} total")
    return problems
