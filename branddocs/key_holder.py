"""The real key in the engine's memory alone: out of its environment from the first line, and out of its user's reach.

A shell that exported `BRANDDOCS_API_KEY` starts the engine with the key in its environment, and every program the
engine starts outside a sandbox (`prlimit`, `bwrap`, `setpriv`, `nginx`, `git`, found through the caller's `PATH`)
inherits it, or reads it from `/proc/<engine pid>/environ`: the strings a process started with, which no
`unsetenv` erases. So at the engine's first line (`branddocs/__init__.py`, before any other import of branddocs's
and long before any of the repository's code), a command started with any secret-named variable in its environment
starts again (`execve`) without them:

- `check`, `endpoint` and `env` (`KEY_COMMANDS`: the commands that read `$BRANDDOCS_API_KEY`) make themselves
  non-dumpable (no process of their user may read their memory, nor their `/proc/<pid>/environ`), and take the
  key along over an inherited pipe whose number is in `$BRANDDOCS_HELD_FD`; the command started again makes itself
  non-dumpable before it reads the pipe, once, closes it, and keeps the key here (`held`, which
  `settings.API_KEY.get()` answers from);
- `build`, `serve` and `diff` start again under a build's allow-listed environment, their secrets handed over a pipe
  to the published-site scan alone (`site/build_env.py`): left to that;
- every other command drops them.

What the command then starts, it starts from an environment that holds no secret-named variable.
`$BRANDDOCS_NO_HOLDER=1` with `--unsafe-no-sandbox` switches this off (tests only: the negative). Imports nothing
but os, stat and sys, loaded with Python (ctypes once the path is safe, for prctl).
"""

import os
import stat
import sys

__all__ = ["FD_VARIABLE", "KEY_COMMANDS", "KEY_VARIABLE", "OFF_VARIABLE", "SECRET_WORDS", "cli_command",
           "command_line_held", "held", "hold", "is_command_line", "is_secret_named", "not_dumpable",
           "start_as_command_line"]  # fmt: skip

SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
"""A variable whose name holds one of these is a secret (settings.py re-exports this, the one list)."""
KEY_VARIABLE = "BRANDDOCS_API_KEY"
FD_VARIABLE = "BRANDDOCS_HELD_FD"
"""The pipe the key comes over to the command started again; "-" when nothing came (started again all the same)."""
OFF_VARIABLE = "BRANDDOCS_NO_HOLDER"
KEY_COMMANDS = frozenset({"check", "endpoint", "env"})
_SCAN_COMMANDS = frozenset({"build", "serve", "diff"})
_NOT_SECRET = frozenset({"BRANDDOCS_MAX_TOKENS"})  # settings.py's non-secret settings named so (a test holds it)
_EXIT_NO_SANDBOX = 12  # errors.EXIT_NO_SANDBOX (not imported: this runs before any other module of branddocs)
_PR_SET_DUMPABLE = 4

_held: dict[str, str] = {}
_started = [False]


def is_secret_named(name: str) -> bool:
    """A SECRET_WORDS word in it, and not one of branddocs' own settings that is no secret (`BRANDDOCS_MAX_TOKENS`,
    which `check` reads)."""
    return any(word in name.upper() for word in SECRET_WORDS) and name not in _NOT_SECRET


def held(name: str) -> str | None:
    """The value of the secret variable `name` this process took from its first environment, if it took it."""
    return _held.get(name)


def cli_command(argv: list[str], orig_argv: list[str]) -> str | None:
    """The branddocs command being started ("" for none), when this process is the command line; None for any other
    process."""
    if not is_command_line(argv, orig_argv):
        return None
    return argv[1] if len(argv) > 1 else ""


def is_command_line(argv: list[str], orig_argv: list[str]) -> bool:
    """Whether this process runs branddocs' command line, whatever name it was started by (red team 8, R8-4: a link
    named `bd` kept the key in the environment): `python -m branddocs.cli` (or `.cli.__main__`) while it is being
    found; a script that is `branddocs/cli/__main__.py` (`coverage run -m`), or a console script calling
    `branddocs.cli:main` (by any name, through any link). A way in none of these sees is caught by `cli.main`,
    which starts the command again as `python -P -m branddocs.cli` (`start_as_command_line`)."""
    if not argv or not argv[0]:
        return False
    if argv[0] == "-m":
        following = [*orig_argv[1:], ""]
        module = next((a[2:] or b for a, b in zip(orig_argv, following, strict=True) if a.startswith("-m")), "")
        return module in ("branddocs.cli", "branddocs.cli.__main__")
    real = os.path.realpath(argv[0])
    if real == os.path.join(os.path.dirname(os.path.realpath(__file__)), "cli", "__main__.py"):
        return True
    try:
        with open(real, "rb") as script:
            head = script.read(4096)
    except OSError:
        return False
    return b"from branddocs.cli import main" in head


def command_line_held() -> bool:
    """Whether `hold` ran for this process as the command line (`cli.main` starts it again when it did not)."""
    return _started[0]


def start_as_command_line(argv: list[str]) -> None:
    """Start this command again as `python -P -m branddocs.cli ARGV`, a way in `is_command_line` sees."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-P", "-m", "branddocs.cli", *argv])  # noqa: S606 - ourselves


def not_dumpable() -> None:
    """No process of this user may read this one's memory or /proc files (the children's own start dumpable again:
    execve resets it); exit 12 where that cannot be had."""
    import ctypes  # the path is safe by now (branddocs/__init__.py)

    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.stderr.write("branddocs: cannot make this process non-dumpable (prctl); refusing to hold a key\n")
        sys.exit(_EXIT_NO_SANDBOX)


def _take(number: str) -> None:
    """The key from the pipe numbered `number`, read once to its end, the pipe closed."""
    if not number.isdigit() or int(number) <= 2:
        return
    fd, chunks = int(number), []
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
        while piece := os.read(fd, 1 << 16):
            chunks.append(piece)
    except OSError:
        return  # not ours (a stale or made-up number): nothing handed over
    finally:
        try:  # noqa: SIM105 - contextlib is no module Python loads at start-up
            os.close(fd)
        except OSError:
            pass
    _held[KEY_VARIABLE] = b"".join(chunks).decode("utf-8", "surrogateescape")


def hold(command: str | None) -> None:
    """Called once, at the first line: see the module's docstring."""
    handed = os.environ.pop(FD_VARIABLE, None)
    _started[0] = command is not None
    if command is None or command in _SCAN_COMMANDS:
        return
    if os.environ.get(OFF_VARIABLE) == "1" and "--unsafe-no-sandbox" in sys.argv:
        return
    keeps = command in KEY_COMMANDS
    if keeps:
        not_dumpable()  # before the key is read (and, here, while it is in /proc/self/environ)
    secrets = any(is_secret_named(name) and value for name, value in os.environ.items())
    # Started again already: never twice. A marker beside a secret came from the caller, not from this module,
    # which drops every secret when it starts again (red team 9, R9-5: `BRANDDOCS_HELD_FD=-` kept the key).
    if handed is not None and not secrets:
        if keeps:
            _take(handed)
        return
    if not secrets:
        return  # none, or only empty ones: nothing to hide (and no second start for it)
    env = {k: v for k, v in os.environ.items() if not is_secret_named(k)}
    env[FD_VARIABLE] = "-"
    key = os.environ.get(KEY_VARIABLE, "").encode("utf-8", "surrogateescape")
    if keeps and key:
        if len(key) >= 60_000:  # within a pipe's buffer: written before the exec, read after it
            sys.stderr.write(f"branddocs: ${KEY_VARIABLE} is longer than any key ({len(key)} bytes)\n")
            sys.exit(2)
        read, write = os.pipe()
        os.write(write, key)
        os.close(write)
        os.set_inheritable(read, True)
        env[FD_VARIABLE] = str(read)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-P", *sys.orig_argv[1:]], env)  # noqa: S606 - ourselves
