"""Is this interpreter one branddocs supports, with a venv module? One line and exit 1 if not.

Run by the Makefile with the PYTHON it was given, before it makes a venv: `PYTHON=python3.12 tools/check_python.py`.
"""

# No `from __future__ import annotations` here, on purpose: this file must run, and say what is wrong, on the
# old Pythons it turns away (3.6 rejects that import; f-strings it has).
import os
import sys

__all__ = ["MINIMUM", "problem"]

# Debian 12's own python3. pyproject.toml's requires-python says the same.
MINIMUM = (3, 11, 2)


def problem() -> "str | None":
    """What stops this interpreter from making branddocs' venv, or None."""
    name = os.environ.get("PYTHON", sys.executable)
    version = ".".join(map(str, sys.version_info[:3]))
    found = f"{sys.implementation.name} {version} ({sys.executable})"
    if sys.implementation.name != "cpython" or sys.version_info[:3] < MINIMUM:
        return f"PYTHON={name} is {found}; branddocs needs CPython {'.'.join(map(str, MINIMUM))} or newer"
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        # Debian and Ubuntu ship both outside the interpreter's own package.
        default = os.path.realpath(sys.executable) == os.path.realpath("/usr/bin/python3")
        package = "python3-venv" if default else f"python{sys.version_info[0]}.{sys.version_info[1]}-venv"
        return (
            f"PYTHON={name} is {found} without its venv module;"
            f" install it with: sudo apt-get install -y --no-install-recommends {package}"
        )
    return None


if __name__ == "__main__":
    message = problem()
    if message:
        print(message, file=sys.stderr)
        sys.exit(1)
