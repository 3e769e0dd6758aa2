"""`make test-latest`: every brand's examples with the newest `openai` releases the guide's install commands give.

A reader who follows the guide types `pip install "openai==3.*"` and `npm install openai@6`
(branddocs/site/sdk_versions.py, from the locks) and gets the newest releases within those majors, not the locked
ones the checks use. This
installs exactly those into scratch environments under .cache/latest/ (a fresh virtual environment with
pytest-examples for the harness; a scratch npm folder; a Node.js from the npm package `node-<os>-<arch>` when
this machine's is older than the newest package's declared minimum), runs `branddocs check` once with the
locked SDKs and once with the newest, and prints the versions and a table of example by SDK version.

Usage: .venv/bin/python tools/latest.py [--brand ID ...] [--page PAGE ...] [--pip SPEC] [--npm SPEC] [--reuse]
       .venv/bin/python tools/latest.py --lock      (make lock-latest: move the pins to the newest in their majors)

Exit status 1 when an example passes with the locked SDKs but fails with the newest, when the newest run ran
no example, or when a newest package the guide installs needs another Python or Node.js than the guide says.
`--pip`/`--npm` try other specs (`--npm openai@latest`: the next major); `--reuse` keeps the environments
of the last run (no network). Logs and JUnit reports are in .cache/latest/logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from branddocs.examples.pytest_plugin.junit import example_results
from branddocs.site.sdk_versions import declared_node_minimum, lower_bound, node_sdk, python_sdk

ROOT = Path(__file__).resolve().parent.parent

LATEST = ROOT / ".cache" / "latest"
LOGS = LATEST / "logs"
BRANDDOCS = str(ROOT / ".venv" / "bin" / "branddocs")
CHECK_TIMEOUT = 20 * 60  # seconds for one `branddocs check` run
# What the Python harness (branddocs/examples/run/python_child.py) imports besides openai, at the
# project's own version.
HARNESS = f"pytest-examples=={metadata.version('pytest-examples')}"


def log(message: str) -> None:
    print(f"latest: {message}", flush=True)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def run(cmd: list[str], logname: str, cwd: Path = ROOT) -> str:
    """Run a setup command, its output in .cache/latest/logs/; stop with its last lines if it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False)
    (LOGS / f"{logname}.log").write_text(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}", encoding="utf-8")
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
        raise SystemExit(f"latest: `{' '.join(cmd)}` failed with status {done.returncode}:\n{tail}")
    return done.stdout


@dataclass
class Side:
    """One set of SDKs the examples run with: the locked ones, or the newest the guide's commands give."""

    python_openai: str
    python_requires: str
    node_openai: str
    node_minimum: str
    node_version: str
    env: dict[str, str]
    """What `branddocs check` gets to run the examples with these SDKs (languages/python.py, javascript.py read it)."""


def locked() -> Side:
    py, package = python_sdk(), ROOT / "node_modules" / "openai"
    installed = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    node = run(["node", "--version"], "node-locked").strip()
    return Side(py.version, py.requires, installed, declared_node_minimum(package)[0], node, {})


def python_env(spec: str, reuse: bool) -> tuple[Path, str, str]:
    """A fresh virtual environment with `pip install SPEC` and the harness: its python, openai's version and needs."""
    venv = LATEST / "python"
    python = venv / "bin" / "python"
    if not reuse:
        shutil.rmtree(venv, ignore_errors=True)
        log(f"python: a fresh virtual environment in {venv.relative_to(ROOT)}: pip install {spec!r} {HARNESS}")
        run([sys.executable, "-m", "venv", str(venv)], "python-venv")
        run([str(python), "-m", "pip", "install", "--disable-pip-version-check", spec, HARNESS], "python-install")
    if not python.exists():
        raise SystemExit(f"latest: {python} is missing: run without --reuse first (it installs from PyPI)")
    query = "import importlib.metadata as m, json; print(json.dumps([m.version('openai'), m.metadata('openai')"
    query += "['Requires-Python']]))"
    version, requires = json.loads(run([str(python), "-c", query], "python-version"))
    return python, version, requires or ""


def _npm_folder(folder: Path, name: str) -> None:
    """An empty folder with a package.json of its own, so npm installs there and not in the project above it."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    manifest = {"name": name, "private": True, "type": "module"}
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def npm_env(spec: str, reuse: bool) -> tuple[Path, str]:
    """A scratch npm folder with `npm install SPEC`: its node_modules and openai's version."""
    folder = LATEST / "npm"
    modules = folder / "node_modules"
    if not reuse:
        _npm_folder(folder, "branddocs-latest")
        log(f"npm: a scratch folder {folder.relative_to(ROOT)}: npm install {spec}")
        run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", spec], "npm-install", cwd=folder)
    if not (modules / "openai" / "package.json").exists():
        raise SystemExit(f"latest: {modules / 'openai'} is missing: run without --reuse first (it installs from npm)")
    return modules, json.loads((modules / "openai" / "package.json").read_text(encoding="utf-8"))["version"]


def node_for(minimum: str, reuse: bool) -> tuple[str, str]:
    """This machine's node if it is new enough for `minimum`, else one from npm's `node-<os>-<arch>@<major>`."""
    machine = run(["node", "--version"], "node-machine").strip()
    if _version_key(machine) >= _version_key(minimum):
        return "node", machine
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    if arch is None:
        raise SystemExit(f"latest: no npm package of Node.js for the machine {platform.machine()!r}")
    package = f"node-{platform.system().lower()}-{arch}"
    folder = LATEST / "node"
    node = folder / "node_modules" / package / "bin" / "node"
    if not reuse:
        _npm_folder(folder, "branddocs-latest-node")
        major = minimum.split(".")[0]
        log(f"node: this machine has {machine}, the newest openai needs {minimum}: npm install {package}@{major}")
        # --ignore-scripts: the package is the binary itself; nothing needs to run to install it.
        cmd = [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--ignore-scripts",
            f"{package}@{major}",
        ]
        run(cmd, "node-install", cwd=folder)
    if not node.exists():
        raise SystemExit(f"latest: {node} is missing: run without --reuse first (it installs from npm)")
    return str(node), run([str(node), "--version"], "node-version").strip()


def newest(pip_spec: str, npm_spec: str, reuse: bool) -> Side:
    python, py_version, py_requires = python_env(pip_spec, reuse)
    modules, node_openai = npm_env(npm_spec, reuse)
    node_minimum = declared_node_minimum(modules / "openai")[0]
    node, node_version = node_for(node_minimum, reuse)
    env = {"BRANDDOCS_EXAMPLE_PYTHON": str(python), "BRANDDOCS_NODE_MODULES": str(modules)}
    if node != "node":
        env["BRANDDOCS_EXAMPLE_NODE"] = node
    return Side(py_version, py_requires, node_openai, node_minimum, node_version, env)


def run_check(root: Path, args: list[str], side: str, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """`branddocs check ARGS` on `root`: {example id: (pass | fail | skip, first line of the failure)}."""
    junit, logfile = LOGS / f"check-{side}.xml", LOGS / f"check-{side}.log"
    junit.unlink(missing_ok=True)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("BRANDDOCS_")}
    cmd = [BRANDDOCS, "check", *args, "--", "-q", f"--junitxml={junit}"]
    with logfile.open("w", encoding="utf-8") as out:
        done = subprocess.run(cmd, cwd=root, env={**inherited, **env}, stdout=out, stderr=subprocess.STDOUT,
                              timeout=CHECK_TIMEOUT, check=False)  # fmt: skip
    command = " ".join(["branddocs check", *args])
    log(f"{side}: `{command}` exited {done.returncode} ({logfile})")
    return example_results(junit, ROOT) if junit.exists() else {}


def print_table(old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]], heads: tuple[str, str]) -> None:
    examples = list(dict.fromkeys([*old, *new]))
    width = max(len("example"), *(len(e) for e in examples))
    columns = max(len(h) for h in heads) + 2
    print(f"\n{'example':<{width}}  {heads[0]:<{columns}}{heads[1]}")
    for example in examples:
        cells = [side.get(example, ("-", ""))[0] for side in (old, new)]
        print(f"{example:<{width}}  {cells[0]:<{columns}}{cells[1]}")
    for name, side in zip(heads, (old, new), strict=True):
        for example, (outcome, detail) in side.items():
            if outcome == "fail":
                print(f"  {name}: {example}: {detail}")


def regressions(old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> list[str]:
    """Examples that pass with the locked SDKs and fail (or are missing) with the newest."""
    return [
        example for example, (outcome, _) in old.items() if outcome == "pass" and new.get(example, ("-",))[0] != "pass"
    ]


def statement_problems(new: Side, pip_spec: str, npm_spec: str) -> list[str]:
    """The guide's stated minimums against what the newest packages its install commands give declare."""
    py, node, problems = python_sdk(), node_sdk(ROOT), []
    if py.minimum != lower_bound(new.python_requires, f"openai {new.python_openai}'s Requires-Python"):
        problems.append(
            f"the guide says Python {py.minimum} or newer, but openai {new.python_openai} (what "
            f"`pip install {pip_spec!r}` gives today) declares Requires-Python {new.python_requires!r}"
        )
    if node.minimum != new.node_minimum:
        problems.append(
            f"the guide says Node.js {node.minimum} or newer (package.json engines.node), but openai "
            f"{new.node_openai} (what `npm install {npm_spec}` gives today) needs Node.js {new.node_minimum}"
        )
    return problems


def newest_in_major(root: Path) -> tuple[str, str]:
    """The newest `openai` on PyPI and on npm within the majors the guide pins, from pip and npm themselves."""
    py, node = python_sdk(), node_sdk(root)
    report = run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps", "--ignore-installed",
         "--disable-pip-version-check", "--report", "-", py.spec],
        "lock-pip",
    )  # fmt: skip
    pypi = json.loads(report)["install"][0]["metadata"]["version"]
    found = json.loads(run(["npm", "view", node.spec, "version", "--json"], "lock-npm"))
    npm = max(found, key=_version_key) if isinstance(found, list) else found
    return pypi, npm


def lock(root: Path) -> int:
    """Move pyproject.toml's and package.json's openai pins to the newest releases within their majors."""
    py, node = python_sdk(), node_sdk(root)
    pypi, npm = newest_in_major(root)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if f'"openai=={py.version}"' not in text:
        raise SystemExit(f'latest: {pyproject}: no dependency "openai=={py.version}" (the installed one) to move')
    pyproject.write_text(text.replace(f'"openai=={py.version}"', f'"openai=={pypi}"'), encoding="utf-8")
    package_json = root / "package.json"
    package = json.loads(package_json.read_text(encoding="utf-8"))
    package["dependencies"]["openai"] = npm
    package_json.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"pyproject.toml: openai {py.version} -> {pypi}; package.json: openai {node.version} -> {npm}")
    return 0


def main() -> int:
    global LOGS  # one run, one folder: every step logs there
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brand", action="append", default=[], metavar="ID", help="this brand (default: all)")
    parser.add_argument("--page", action="append", default=[], metavar="PAGE", help="this page (default: all)")
    parser.add_argument("--pip", metavar="SPEC", help="what to pip install (default: the guide's, e.g. openai==3.*)")
    parser.add_argument("--npm", metavar="SPEC", help="what to npm install (default: the guide's, e.g. openai@6)")
    parser.add_argument("--reuse", action="store_true", help="the environments of the last run (no network)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to check (default: this one)")
    parser.add_argument("--lock", action="store_true", help="move the pins to the newest releases in their majors")
    parser.add_argument("--logs", type=Path, default=LOGS, help=f"logs and reports (default: {LOGS})")
    args = parser.parse_args()
    LOGS = args.logs
    LOGS.mkdir(parents=True, exist_ok=True)
    if args.lock:
        return lock(args.root)
    py, node = python_sdk(), node_sdk(ROOT)
    pip_spec, npm_spec = args.pip or py.spec, args.npm or node.spec
    old, new = locked(), newest(pip_spec, npm_spec, args.reuse)
    log(f"locked: openai {old.python_openai} (Python, {sys.version.split()[0]}), openai {old.node_openai} (npm) "
        f"on Node.js {old.node_version}")  # fmt: skip
    log(f"newest: openai {new.python_openai} from `pip install {pip_spec!r}` (Requires-Python {new.python_requires}), "
        f"openai {new.node_openai} from `npm install {npm_spec}` (needs Node.js {new.node_minimum}) "
        f"on Node.js {new.node_version}")  # fmt: skip
    check_args = [arg for brand in args.brand for arg in ("--brand", brand)] + args.page
    old_results = run_check(args.root, check_args, "locked", old.env)
    new_results = run_check(args.root, check_args, "newest", new.env)
    heads = (f"locked {old.python_openai}/{old.node_openai}", f"newest {new.python_openai}/{new.node_openai}")
    print_table(old_results, new_results, heads)
    bad = [f"{e}: passes with the locked SDKs, fails with the newest" for e in regressions(old_results, new_results)]
    if not any(outcome == "pass" for outcome, _ in new_results.values()):
        bad.append("the newest run passed no example (see .cache/latest/logs/check-newest.log)")
    statements = statement_problems(new, pip_spec, npm_spec)
    # Only the guide's own install commands make a promise to readers; --pip/--npm only try other releases.
    blocking = statements if (pip_spec, npm_spec) == (py.spec, node.spec) else []
    for note in statements:
        print(f"{'' if blocking else 'note: '}{note}")
    for problem in bad:
        print(f"FAILED {problem}")
    failed = bad + blocking
    print(f"\nlatest: {'FAILED' if failed else 'ok'}: {len(failed)} problem(s); logs in {LOGS}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
