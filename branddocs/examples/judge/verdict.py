"""One example's verdict: features, static checks, lint, the run (each in a process of its own), samples.

What is particular to a language (its lint, how it runs, Python's `#>` lines) is its module's, in languages/;
this is the order every example goes through, whatever its language.
"""

from __future__ import annotations

from dataclasses import dataclass

from branddocs.examples.example import Example
from branddocs.examples.judge.features import feature_problems
from branddocs.examples.judge.static import static_problems
from branddocs.examples.languages.base import Context, get
from branddocs.examples.run.process import ExampleFailure
from branddocs.examples.update import record_sample_update

__all__ = ["Checker"]


@dataclass
class Checker(Context):
    """Checks examples inside one pytest test, with that test's fixtures."""

    def problems(self, example: Example) -> list[str]:
        """Every reason `example` is wrong; empty when it is right."""
        if found := feature_problems(example):
            return [*found, "(not run)"]
        if example.kind == "sample":
            return self._sample(example)
        language = get(example.lang)  # a language nobody registered fails here, naming the registered ones
        found = static_problems(example) + self._lint(example)
        if found:
            return [*found, "(not run)"]
        return language.verdict(example, self)

    def _sample(self, example: Example) -> list[str]:
        actual, found = None, []
        if example.request is not None:
            # The request's own static problems (a foreign URL above all) mean it is never run, here either.
            run, request_problems = None, static_problems(example.request)
            if not request_problems:
                try:
                    run, request_problems = get(example.request.lang).checked_run(example.request, self)
                except ExampleFailure as exc:
                    request_problems = [str(exc)]
            found += [f"its request at line {example.request.line} failed: {p}" for p in request_problems]
            chats = [x for x in (run.exchanges if run else []) if x.path.endswith("/chat/completions")]
            actual = chats[-1] if chats else None
            if actual is not None and self.update:
                record_sample_update(example, actual)
                return []
        if found:  # a broken response is no yardstick: the sample is judged on its own
            actual = None
        from branddocs.examples.responses.samples import sample_problems  # openai's types: not at collection

        return found + sample_problems(example.lang, example.code, actual, self.target.exact, self.target.conformance)

    def _lint(self, example: Example) -> list[str]:
        """The language's linter (ruff for Python, shellcheck for bash); `lint="skip"` turns it off."""
        if example.settings.get("lint") == "skip":
            return []
        return get(example.lang).lint(example, self)
