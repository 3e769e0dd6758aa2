"""`branddocs check`: the example checks, under pytest, with the real key held by the recording proxy alone."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.cli.options import brands_option, jobs_option, shard_option
from branddocs.settings import SAFE_PATH

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check", help="run the example checks (all brands and pages by default); after --, pytest options"
    )
    parser.add_argument("pages", nargs="*", metavar="PAGE", help="pages under docs/, e.g. serverless-endpoints.md")
    brands_option(parser, "check", note="; exactly one with a real key, $BRANDDOCS_ENDPOINT: the key's own brand")
    parser.add_argument("--update-examples", action="store_true", help="rewrite expected outputs in the templates")
    shard_option(parser, "check")
    jobs_option(parser, "examples run in parallel (pytest-xdist; -n as in pytest)", "-n")
    parser.add_argument("--example-timeout", type=float, default=None, metavar="SECONDS",
                        help="seconds one example may run (default $BRANDDOCS_EXAMPLE_TIMEOUT, else 60)")  # fmt: skip
    parser.add_argument("--conformance", choices=["openai"], default=None,
                        help="also report every departure from OpenAI's published schema (strict, opt-in)")  # fmt: skip
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="with a real key, run examples even where no sandbox can hold them")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.examples.proxy.launch import DEFAULT_TIMEOUT, launch, send, stop
    from branddocs.examples.run.first_run import proxy_settings, refusal
    from branddocs.settings import API_KEY, ENDPOINT, EXAMPLE_TIMEOUT, ROOT
    from branddocs.site.build_env import build_environment

    # The key goes to the proxy process alone, over a pipe, before any of the repository's code runs; pytest and its
    # workers get the allow-listed environment a build gets (site/build_env.py: no secret, nor any variable nobody
    # listed), and run in the harness, where neither this process nor the proxy (no descendant of pytest's) is seen.
    env = {**build_environment(os.environ), ROOT.name: str(project.root)}
    # Started first, before its settings are read (the brand files, the sandbox's probe): it imports for a second
    # or more while the brands, the pages and the machine are checked here (from the command line, before the
    # commands' imports: cli/__init__.py); a check that refuses to run stops it (its stdin closed, with or without
    # its settings) before anything else has run.
    proxy = getattr(args, "proxy", None) or launch(None, env)
    try:
        project.known_brands(args.brand)  # an unknown brand: say so here, not as an empty test run
        upstream, key = ENDPOINT.get().rstrip("/"), API_KEY.get()
        refused = refusal(upstream, key, args.update_examples)
        if refused is not None:
            print(f"branddocs: {refused[1]}", file=sys.stderr)
            return refused[0]
        try:
            timeout = float(args.example_timeout or EXAMPLE_TIMEOUT.get() or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT  # pytest says what is wrong with it
        settings = proxy_settings(project, upstream, key, timeout, args.brand)  # a real key: one brand, else refused
        send(proxy, settings)
        del settings["key"]
        return _checked(args, project, upstream, key, proxy, env)
    finally:
        stop(proxy)  # its stdin is closed already once pytest has ended


def _checked(
    args: argparse.Namespace, project: Project, upstream: str, key: str, proxy: subprocess.Popen, env: dict
) -> int:  # fmt: skip
    from branddocs import text
    from branddocs.brand.links import source_problem
    from branddocs.errors import EXIT_FENCE, EXIT_NO_SANDBOX, EXIT_USAGE
    from branddocs.examples.example import shown
    from branddocs.examples.isolation import harness
    from branddocs.examples.isolation.harness_view import UserView, View
    from branddocs.examples.isolation.uids import BLOCK, LOCKS
    from branddocs.examples.isolation.workspace import HARNESS_BLOCKS, KEPT, Workspace
    from branddocs.examples.languages.base import check_language
    from branddocs.examples.proxy.launch import ready
    from branddocs.examples.proxy.process import PROXY_ENV
    from branddocs.examples.run import sandbox
    from branddocs.examples.run.first_run import preflight
    from branddocs.examples.run.harness_reads import harness_reads, harness_reads_as_is, harness_reads_named
    from branddocs.markup import FenceError, parse_fences
    from branddocs.settings import NO_HARNESS, NO_SANDBOX, NODE_MODULES

    pages = [project.docs_dir / p.removeprefix("docs/") for p in args.pages] or sorted(project.docs_dir.rglob("*.md"))
    for page in pages:  # fence mistakes first: one line naming the file and line, before anything runs
        if not page.is_file():
            print(f"branddocs: no page {text.terminal_line(str(page))}", file=sys.stderr)
            return EXIT_FENCE
        outside = source_problem(page, project.root, None, None)  # read as a build reads: inside docs/, no link out
        if outside:
            print(f"branddocs: {text.terminal_line(outside)}", file=sys.stderr)
            return EXIT_FENCE
        try:
            parse_fences(page.read_text(encoding="utf-8"), shown(page), check_language)
        except FenceError as exc:
            for line in f"branddocs: {exc}".split("\n"):  # a page's name or text starts no line of its own
                print(text.terminal_line(line), file=sys.stderr)
            return EXIT_FENCE
    if upstream and not sandbox.inside() and not args.unsafe_no_sandbox:
        why = sandbox.available()[1] or f"${NO_SANDBOX.name} is set"
        print(f"branddocs: examples cannot run in a sandbox here ({why}); refusing to run them with the real key "
              f"of {upstream}: run where bubblewrap works, or pass --unsafe-no-sandbox", file=sys.stderr)  # fmt: skip
        return EXIT_NO_SANDBOX
    # The repository's code (conftest.py, macros, hooks, plugins) runs under pytest: in the harness, out of sight of
    # this process and of the proxy, which hold the key. Only with examples in the sandbox (the relay is their way
    # to the proxy, which the harness's network does not reach otherwise).
    why = (f"${NO_HARNESS.name} is set" if NO_HARNESS.is_set() else harness.available()) if sandbox.inside() else "-"
    if upstream and why and sandbox.inside() and not args.unsafe_no_sandbox:
        print(f"branddocs: the repository's code cannot run in a harness here ({why}); refusing to run it with the "
              f"real key of {upstream} in reach: run where user namespaces work, or pass --unsafe-no-sandbox",
              file=sys.stderr)  # fmt: skip
        return EXIT_NO_SANDBOX
    if upstream:
        failed = preflight(upstream, key)  # one line up front, not one failure per example
        if failed:
            print(f"branddocs: {failed[1]}", file=sys.stderr)
            return failed[0]
    suite = Path(__file__).resolve().parents[1] / "examples" / "pytest_plugin" / "suite.py"  # pytest imports it
    # --assert=plain: pytest would otherwise rewrite every module of branddocs (a pytest11 plugin) in each worker,
    # a second or more of each process's start where bytecode is not cached; the checks report with pytest.fail.
    argv = [str(suite), "-p", "no:cacheprovider", "--assert=plain", f"--rootdir={project.root}"]
    # Installed pytest plugins the examples have no use for, each imported at pytest's start otherwise (hypothesis's
    # and anyio's: a fifth of a second at load 5); the project's own tests keep them.
    argv += ["-p", "no:hypothesispytest", "-p", "no:anyio"]
    argv += [arg for brand_id in args.brand or [] for arg in ("--brand", brand_id)]
    argv += [arg for page in args.pages for arg in ("--page", page)]
    if args.update_examples:
        argv.append("--update-examples")
    if args.shard:
        argv += ["--shard", "/".join(map(str, args.shard))]
    if args.jobs:
        argv += ["-n", str(args.jobs)]
    if args.example_timeout:
        argv += ["--example-timeout", str(args.example_timeout)]
    if args.conformance:
        argv += ["--conformance", args.conformance]
    if not why and os.geteuid() == 0 and (args.jobs or 0) > HARNESS_BLOCKS:
        print(f"branddocs: -n {args.jobs}: as root at most {HARNESS_BLOCKS} pytest workers (each takes a block of "
              f"{BLOCK} users of its own for its examples' isolation units); run with fewer",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    # What mkdocs.yml names besides the parts the harness is given (hooks, the macros' module): each there, as it is.
    named, problems = harness_reads_named(project.root, os.geteuid() == 0) if not why else ([], [])
    for problem in problems:  # before anything runs: one line each, not a file missing in the harness
        print(f"branddocs: {text.terminal_line(problem)}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    if sys.stdout.isatty():
        argv.append("--color=yes")  # the harness's output comes through a pipe
    info = ready(proxy)  # where it serves, once it does
    # What the harness may write (workspace.py): collected after pytest has ended.
    space = Workspace.make(project.docs_dir if args.update_examples else None, root=project.root)
    env[PROXY_ENV] = json.dumps({**info, "harness": why})  # empty: in the harness
    # A folder of this run's own for pytest's temporary files: under the shared pytest-of-<user>/ the runs of other
    # checks (and test suites) delete each other's folders as they clean up after themselves.
    command = [sys.executable, *SAFE_PATH, "-m", "branddocs.examples.pytest_plugin", *argv,
               f"--basetemp={space.basetemp}", *space.pytest_args(list(args.pytest_args))]  # fmt: skip
    code = 1
    try:
        if not why:
            view: View | UserView | None = None
            modules = harness_reads_as_is(project.root)  # its real path: the harness may see no link to it
            env.update({NODE_MODULES.name: modules[0]} if modules else {})
            if space.user is None:  # an ordinary user's: its sockets and terminals out of view (harness_view.py)
                view = UserView([*harness_reads(project.root, info, env), *named, *modules, *space.writable],
                                home=env.get("HOME"))  # fmt: skip
            else:  # as root: a user of its own, reading only what the check needs (and all may)
                reads = harness_reads(project.root, info, env)
                try:
                    view = View.open(reads, space.user, home=env.get("HOME"), own=[str(space.folder), *named, *modules])
                    space.give()
                except OSError as exc:
                    if upstream and not args.unsafe_no_sandbox:  # root's files in reach of code beside a real key
                        print(f"branddocs: the repository's code would run as root in its harness here ({exc}), "
                              f"reading what root may; refusing to run it with the real key of {upstream}: pass "
                              "--unsafe-no-sandbox to run it anyway", file=sys.stderr)  # fmt: skip
                        code = 0  # nothing ran: no work folder to keep
                        return EXIT_NO_SANDBOX
                    print(f"branddocs: WARNING: the repository's code runs as root in its harness, which reads what "
                          f"root may read ({exc})", file=sys.stderr)  # fmt: skip
                    # Its sockets and terminals (a tmux server of root's runs what root's peers ask) out of view.
                    view = UserView([*reads, *named, *modules, *space.writable, str(LOCKS)], home=env.get("HOME"))
            try:
                code = harness.run(command, {**env, **space.environ()}, writable=space.writable, blocks=space.blocks,
                                   cgroup_procs=space.cgroup_procs, view=view, binds=space.binds)  # fmt: skip
            finally:
                if isinstance(view, View):
                    view.close()
            return code
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # pytest, in the same process group, answers it
        try:
            code = subprocess.call(command, env=env)
            return code
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        assert proxy.stdin is not None
        proxy.stdin.close()  # the proxy ends with its stdin: while the work folder is cleared
        # Kept when something failed: the examples' scripts are there to look at.
        for problem in space.close(keep=code != 0):
            print(f"branddocs: {text.terminal_line(problem)}", file=sys.stderr)
        if code != 0:
            print(f"branddocs: this check's files (pytest's folders, each example's script) are kept in "
                  f"{space.folder} (the newest {KEPT} failed checks' folders are kept; older ones were "
                  "removed)",
                  file=sys.stderr)  # fmt: skip
