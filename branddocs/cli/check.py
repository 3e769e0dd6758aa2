"""`branddocs check`: the example checks, under pytest, with the real key held by the recording proxy alone."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from branddocs.cli.options import brands_option, jobs_option, shard_option
from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check", help="run the example checks (all brands and pages by default); after --, pytest options"
    )
    parser.add_argument("pages", nargs="*", metavar="PAGE", help="pages under docs/, e.g. serverless-endpoints.md")
    brands_option(parser, "check")
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
    from branddocs.errors import EXIT_FENCE, EXIT_NO_SANDBOX
    from branddocs.examples.example import shown
    from branddocs.examples.languages.base import check_language
    from branddocs.examples.proxy.process import PROXY_ENV, start, without_secrets
    from branddocs.examples.proxy.recording import DEFAULT_TIMEOUT
    from branddocs.examples.pytest_plugin.target import preflight, proxy_settings
    from branddocs.examples.run import sandbox
    from branddocs.markup import FenceError, parse_fences
    from branddocs.settings import API_KEY, ENDPOINT, EXAMPLE_TIMEOUT, NO_SANDBOX, ROOT

    project.known_brands(args.brand)  # an unknown brand: say so here, not as an empty test run
    pages = [project.docs_dir / p.removeprefix("docs/") for p in args.pages] or sorted(project.docs_dir.rglob("*.md"))
    for page in pages:  # fence mistakes first: one line naming the file and line, before anything runs
        if not page.is_file():
            print(f"branddocs: no page {page}", file=sys.stderr)
            return EXIT_FENCE
        try:
            parse_fences(page.read_text(encoding="utf-8"), shown(page), check_language)
        except FenceError as exc:
            print(f"branddocs: {exc}", file=sys.stderr)
            return EXIT_FENCE
    upstream, key = ENDPOINT.get().rstrip("/"), API_KEY.get()
    if upstream and not key:
        print(
            f"branddocs: {ENDPOINT.name} is set but {API_KEY.name} is not: give the key for {upstream}", file=sys.stderr
        )
        return EXIT_FENCE
    if upstream and args.update_examples:
        print(f"branddocs: --update-examples records what the reference endpoint sends: unset {ENDPOINT.name}",
              file=sys.stderr)  # fmt: skip
        return EXIT_FENCE
    if upstream and not sandbox.inside() and not args.unsafe_no_sandbox:
        why = sandbox.available()[1] or f"${NO_SANDBOX.name} is set"
        print(f"branddocs: examples cannot run in a sandbox here ({why}); refusing to run them with the real key "
              f"of {upstream}: run where bubblewrap works, or pass --unsafe-no-sandbox", file=sys.stderr)  # fmt: skip
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
    try:
        timeout = float(args.example_timeout or EXAMPLE_TIMEOUT.get() or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT  # pytest says what is wrong with it
    # The key goes to the proxy process alone, over a pipe; pytest and its workers, the examples' ancestors,
    # get an environment without any secret. This process then becomes pytest (exec): its own initial
    # environment, which held the key and which /proc/<pid>/environ shows, is gone with it.
    env = {**without_secrets(os.environ), ROOT.name: str(project.root)}
    proxy, info = start(proxy_settings(project, upstream, key, timeout, args.brand), env)
    del key
    assert proxy.stdin is not None
    os.set_inheritable(proxy.stdin.fileno(), True)  # held by pytest: the proxy ends when pytest does
    env[PROXY_ENV] = json.dumps(info)
    sys.stdout.flush()
    sys.stderr.flush()
    # pytest in this process, replaced: it imports (and rewrites) its plugins fresh, as `pytest` on a terminal does.
    os.execve(sys.executable, [sys.executable, "-m", "pytest", *argv, *args.pytest_args], env)  # noqa: S606
    return 1  # not reached
