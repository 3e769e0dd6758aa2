"""Is this interpreter one branddocs supports, with a venv module? One line and exit 1 if not.

Run by the Makefile with the PYTHON it was given, before it makes a venv: `PYTHON=python3.12 tools/check_python.py`.
"""

# No `from __future__ import annotations` here, on purpose: this file must run, and say what is wrong, on the
# old Pythons it turns away (3.6 rejects that import).
import os
import sys

__all__ = ["MINIMUM", "problem"]

# Debian 12's own python3. pyproject.toml's requires-python says the same.
MINIMUM = (3, 11, 2)


def problem() -> "str | None":
    """What stops this interpreter from making branddocs' venv, or None."""
    name = os.environ.get("PYTHON", sys.executable)
    found = "{} {}.{}.{} ({})".format(sys.implementation.name, *sys.version_info[:3], sys.executable)
    if sys.implementation.name != "cpython" or sys.version_info[:3] < MINIMUM:
        return "PYTHON={} is {}; branddocs needs CPython {}.{}.{} or newer".format(name, found, *MINIMUM)
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        # Debian and Ubuntu ship both outside the interpreter's own package.
        default = os.path.realpath(sys.executable) == os.path.realpath("/usr/bin/python3")
        package = "python3-venv" if default else "python{}.{}-venv".format(*sys.version_info[:2])
        return "PYTHON={} is {} without its venv module; install it with: sudo apt-get install -y --no-install-recommends {}".format(
            name, found, package
        )
    return None


if __name__ == "__main__":
    message = problem()
    if message:
        print(message, file=sys.stderr)
        sys.exit(1)
