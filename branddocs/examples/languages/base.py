"""One place per example language: what a language declares, and the registry every check asks.

A language is a `Language` subclass in a module of its own (bash.py, python.py, javascript.py here): the
fence names it answers to, what its code reads of the API key (`env_reads`) and how it asks for a stream
(`stream`), the request fields it sends, what else only its code gets wrong, its linter, and how one example
runs in the sandbox. Collection, the static checks, the features check and the verdict ask the registry
(`get`, `for_fence`); a language nobody registered is an error naming it and the registered ones, never
another language's runner.

A language from another package registers under the entry-point group `branddocs.languages`, naming its
`Language` subclass (or an instance), in that package's pyproject.toml:

    [project.entry-points."branddocs.languages"]
    dash = "mypackage.dash:Dash"

Installing the package is then all a project does. Code that runs in the checks' own process (a test) may call
`register(Dash())` instead.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from branddocs.errors import EXIT_USAGE, BranddocsError
from branddocs.examples.run.process import ExampleFailure, Run, Target, check_run
from branddocs.examples.update import record_sample_update
from branddocs.markup import SAMPLE_FENCES, Fence, FenceError, run_marks

if TYPE_CHECKING:
    from pytest_examples import EvalExample

    from branddocs.examples.example import Example

__all__ = [
    "ENTRY_POINTS",
    "Context",
    "Language",
    "LanguageError",
    "UnknownLanguage",
    "check_language",
    "for_fence",
    "get",
    "languages",
    "register",
    "unknown_language",
    "unregister",
]

ENTRY_POINTS = "branddocs.languages"
"""The entry-point group other packages register their languages under."""
_BUILT_IN = ("bash", "python", "javascript")
"""Modules beside this one, each with one `Language` subclass."""
_NAME = re.compile(r"^[a-z][a-z0-9_+-]*$")  # what a fence line can carry as its language (fences.py)


class LanguageError(BranddocsError):
    """A language that cannot be registered: not a Language, a bad name, a fence name another one has."""

    exit_code = EXIT_USAGE


class UnknownLanguage(FenceError):
    """An example in a language nobody registered: a fence mistake, reported before anything runs."""


@dataclass
class Context:
    """What a language gets to check one example inside one pytest test: the endpoint and the test's fixtures."""

    target: Target
    eval_example: EvalExample | None
    """pytest-examples' fixture (ruff for Python examples)."""
    tmp_path: Path
    """The test's own folder: the example's script, scratch HOME and lint files go there."""
    project_root: Path
    update: bool = False
    """`--update-examples`: record new outputs and samples for the templates instead of comparing."""


class Language(ABC):
    """One example language. Subclasses set the class attributes and `run`; the other hooks are optional."""

    name: ClassVar[str]
    """The language's name: in test ids (`acme::page.md:12::bash`), the summary's columns and fence lines."""
    aliases: ClassVar[tuple[str, ...]] = ()
    """Other fence names for it (```sh for bash)."""
    env_reads: ClassVar[re.Pattern[str]]
    """Every read of an environment variable its code can make that matters here, the variable's name in the
    group `name` or `qname` (quoted: kept as written): each must be the brand's key variable."""
    stream: ClassVar[re.Pattern[str] | None] = None
    """How its code asks for a stream (`stream=True`): on a brand without streaming, such an example is wrong."""
    sample_request: ClassVar[bool] = False
    """Whether a block of it can be the request of a response sample in its `group` (its exchanges are judged)."""

    def request_fields(self, code: str) -> list[str]:
        """The top-level request fields `code` sends, for the misspelled-field check (`maxTokens`)."""
        return []

    def static_problems(self, example: Example) -> list[str]:
        """What only this language's code gets wrong before running (static.py holds the rules for all)."""
        return []

    def reads(self, code: str) -> frozenset[str] | None:
        """The response fields `code` touches (`choices`, `message`, `content`): a reply is judged on those
        (responses/sdk.py). None, the default, means every field the openai SDK's types require."""
        return None

    def lint(self, example: Example, context: Context) -> list[str]:
        """The linter's findings, each naming its template line; `lint="skip"` means this is not called."""
        return []

    @abstractmethod
    def run(self, example: Example, context: Context) -> Run:
        """Run the example once in a process of its own (run.prepare, then run.execute), and return the run."""

    def checked_run(self, example: Example, context: Context) -> tuple[Run, list[str]]:
        """The run, and every way it shows the example is wrong (its Output block compared unless updating)."""
        run = self.run(example, context)
        run.reads = self.reads(example.code)  # what the reply is judged on (responses/sdk.py)
        # Under --update-examples the Output block is what gets rewritten, not what the run must match.
        expected = example.output.code if example.output and not context.update else None
        return run, check_run(example, run, context.target, expected)

    def verdict(self, example: Example, context: Context) -> list[str]:
        """Every reason the example is wrong when run (after the static checks and lint passed); empty if right."""
        try:
            run, found = self.checked_run(example, context)
        except ExampleFailure as exc:
            return [str(exc)]
        if example.output and context.update and context.target.exact:
            record_sample_update(example, None, stdout=run.stdout)
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {', '.join(self.fences)}>"

    @property
    def fences(self) -> tuple[str, ...]:
        """Every fence name it answers to: its name, then its aliases."""
        return (self.name, *self.aliases)


_languages: dict[str, Language] = {}
"""The registered languages by name, filled on first use with the built-in ones and the entry points'."""
_by_fence: dict[str, Language] = {}
_loaded = False


def _add(language: object, source: str) -> Language:
    if not isinstance(language, Language):
        raise LanguageError(f"{source}: expected a branddocs Language (subclass or instance), found {language!r}")
    name = getattr(language, "name", "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise LanguageError(f"{source}: a language's name is lowercase letters, digits, _, + or -; found {name!r}")
    if not isinstance(getattr(language, "env_reads", None), re.Pattern):
        raise LanguageError(f"{source}: language {name!r} has no env_reads pattern (how its code reads the key)")
    for fence in language.fences:
        if not isinstance(fence, str) or not _NAME.match(fence):
            raise LanguageError(f"{source}: language {name!r}: fence name {fence!r} cannot be written on a fence")
        if fence in SAMPLE_FENCES:
            raise LanguageError(
                f"{source}: language {name!r}: ```{fence} is a response sample's fence, not a language's"
            )
        taken = _by_fence.get(fence)
        if taken is not None:
            raise LanguageError(f"{source}: language {name!r}: ```{fence} is already language {taken.name!r}'s")
    _languages[name] = language
    _by_fence.update(dict.fromkeys(language.fences, language))
    return language


def _load() -> None:
    """The built-in languages, then every package's under the entry-point group, once per process."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILT_IN:
        found = import_module(f"{__package__}.{module}").LANGUAGE
        _add(found, f"{__package__}.{module}")
    for entry in metadata.entry_points(group=ENTRY_POINTS):
        source = f"entry point {entry.name} = {entry.value} (group {ENTRY_POINTS})"
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plugin: name it, whatever it raised
            raise LanguageError(f"{source}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
        _add(loaded() if isinstance(loaded, type) else loaded, source)


def register(language: Language) -> Language:
    """Add a language in this process (for a test; packages use the entry-point group). Returns it."""
    _load()
    return _add(language, f"register({type(language).__name__})")


def unregister(name: str) -> None:
    """Remove a language `register` added (a test's cleanup)."""
    language = _languages.pop(name)
    for fence in language.fences:
        _by_fence.pop(fence, None)


def languages() -> list[Language]:
    """Every registered language, by name."""
    _load()
    return sorted(_languages.values(), key=lambda language: language.name)


def for_fence(fence: str) -> Language | None:
    """The language a fence's name (```sh) stands for; None for one nobody registered."""
    _load()
    return _by_fence.get(fence)


def _registered() -> str:
    return ", ".join(f"{lang.name} ({', '.join(lang.aliases)})" if lang.aliases else lang.name for lang in languages())


def get(name: str) -> Language:
    """The language called `name` (an Example's `lang`); UnknownLanguage, naming the registered ones, if none is."""
    _load()
    if name not in _languages:
        raise UnknownLanguage(f"no example language {name!r} is registered; registered: {_registered()}")
    return _languages[name]


def unknown_language(fence: str, why: str, where: str) -> UnknownLanguage:
    """The error for a block in a language nobody registered that `why` (a setting) marks as an example to run."""
    return UnknownLanguage(
        f"{where}: ```{fence} is marked as an example to run ({why}), but no example language {fence!r} is "
        f"registered; registered: {_registered()}. Register one (docs/writing.md: Adding a language), or mark "
        'the block test="no"'
    )


def check_language(fence: Fence, where: str) -> None:
    """A block marked to run must be in a registered language: never silently prose, never another's runner (a
    FenceCheck for markup.parse_fences)."""
    marks = run_marks(fence.settings)
    if marks and fence.lang not in SAMPLE_FENCES and for_fence(fence.lang) is None:
        raise unknown_language(fence.lang, ", ".join(marks), where)
