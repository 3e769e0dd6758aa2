"""`branddocs build | serve | check | check-brands | check-translations | diff | endpoint | new | host`: the CLI."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from branddocs.brand import BrandError, load_brand
from branddocs.errors import EXIT_USAGE, BranddocsError
from branddocs.site import Project
from branddocs.site.shard import parse_shard, shard_of

__all__ = ["main"]


def _cmd_build(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.build import build_brands

    ids = shard_of(project.known_brands(args.brand), args.shard)
    progress = _Progress(len(ids), sys.stdout.isatty())
    start = time.perf_counter()
    results = build_brands(project, ids, jobs=args.jobs, site_root=args.site_dir, on_result=progress.update,
                           force=args.force, engine=args.engine)  # fmt: skip
    progress.close()
    if progress.tty and results:  # the bar showed each brand only in passing
        print("  " + ", ".join(f"{r.brand_id} {'up to date' if r.skipped else f'{r.seconds:.2f} s'}" for r in results))
    failed = [r for r in results if not r.ok]
    for result in failed:
        kept = "its previous site is left as it was" if result.site_dir.is_dir() else "nothing is published for it"
        print(f"{result.brand_id}: FAILED; {kept}", file=sys.stderr)
        print("  " + result.error.replace("\n", "\n  "), file=sys.stderr)
    skipped = sum(r.skipped for r in results)
    built = len(results) - len(failed) - skipped
    slowest = max((r for r in results if not r.skipped), key=lambda r: r.seconds, default=None)
    print(
        f"{built} built, {skipped} up to date, {len(failed)} failed in {time.perf_counter() - start:.2f} s"
        + (f" (slowest: {slowest.brand_id} {slowest.seconds:.2f} s)" if slowest else "")
    )
    return 1 if failed else 0


class _Progress:
    """A bar on a terminal; one line per brand otherwise (CI logs)."""

    def __init__(self, total: int, tty: bool) -> None:
        self.total, self.done, self.tty = total, 0, tty

    def update(self, result) -> None:
        self.done += 1
        state = "up to date" if result.skipped else ("built" if result.ok else "FAILED")
        if not self.tty:
            print(f"[{self.done}/{self.total}] {result.brand_id}: {state} in {result.seconds:.2f} s", flush=True)
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        line = f"\r[{bar}] {self.done}/{self.total} {result.brand_id}: {state} {result.seconds:.2f} s"
        print(line.ljust(79), end="", flush=True)

    def close(self) -> None:
        if self.tty and self.done:
            print()


def _cmd_serve(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.serve import addresses, serve

    ids = list(dict.fromkeys(args.brand))
    for brand_id in ids:
        project.brand(brand_id)  # fail here, clearly, rather than inside MkDocs' reloader
    try:
        dev_addrs = addresses(args.dev_addr, len(ids))  # before MkDocs builds and prints anything
    except ValueError as exc:
        print(f"branddocs serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return serve(project.config_file, ids, dev_addrs)


def _cmd_check_brands(args: argparse.Namespace, project: Project) -> int:
    from contextlib import suppress

    from branddocs.brand import shared_image_folders

    paths = [Path(p) for p in args.files] or [project.brands_dir / f"{i}.yml" for i in project.brand_ids()]
    if not paths:
        print(f"no brand files in {project.brands_dir}", file=sys.stderr)
        return 1
    errors: dict[Path, str] = {}
    loaded = {}
    for path in paths:
        try:
            loaded[path] = load_brand(path)
            loaded[path].check_assets(project.docs_dir)
        except BrandError as exc:
            errors[path] = str(exc)
    # Two brands in one image folder would publish each other's screenshots: compare with every brand file.
    checked = {p.resolve() for p in paths}
    for path in (project.brands_dir / f"{i}.yml" for i in project.brand_ids()):
        if path.resolve() not in checked:
            with suppress(BrandError):  # a broken file is reported when it is checked itself
                loaded[path] = load_brand(path)
    for path, message in shared_image_folders(loaded).items():
        if path in paths:
            errors[path] = f"{errors[path]}\n{message}" if path in errors else message
    for path in paths:
        if path not in errors:
            brand = loaded[path]
            print(f"{path}: ok ({brand.user_name}, {brand.base_url}, ${brand.key_env}, {len(brand.models)} models)")
    for line in dict.fromkeys(line for message in errors.values() for line in message.splitlines()):
        print(line, file=sys.stderr)
    print(f"{len(paths) - len(errors)} ok, {len(errors)} with errors")
    return 1 if errors else 0


def _cmd_check_translations(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.translations import followers, report

    problems, notes = report(project)
    for line in problems + notes:
        print(line)
    print(f"{len(followers(project))} translations and brand pages: {len(problems)} with code unlike their "
          f"source's, {len(notes)} older than their source")  # fmt: skip
    return 1 if problems else 0


def _cmd_env(args: argparse.Namespace, project: Project | None) -> int:
    from branddocs.settings import describe

    print(describe())
    return 0


def _cmd_schema(args: argparse.Namespace, project: Project | None) -> int:
    from branddocs.brand import brand_schema

    print(brand_schema(), end="")
    return 0


def _cmd_check(args: argparse.Namespace, project: Project) -> int:
    from branddocs.errors import EXIT_FENCE, EXIT_NO_SANDBOX
    from branddocs.examples import sandbox
    from branddocs.examples.collect import shown
    from branddocs.examples.fences import FenceError, parse_fences
    from branddocs.examples.proxy import DEFAULT_TIMEOUT
    from branddocs.examples.proxy_process import PROXY_ENV, start, without_secrets
    from branddocs.examples.pytest_plugin import preflight, proxy_settings
    from branddocs.settings import API_KEY, ENDPOINT, EXAMPLE_TIMEOUT, NO_SANDBOX, ROOT

    project.known_brands(args.brand)  # an unknown brand: say so here, not as an empty test run
    pages = [project.docs_dir / p.removeprefix("docs/") for p in args.pages] or sorted(project.docs_dir.rglob("*.md"))
    for page in pages:  # fence mistakes first: one line naming the file and line, before anything runs
        if not page.is_file():
            print(f"branddocs: no page {page}", file=sys.stderr)
            return EXIT_FENCE
        try:
            parse_fences(page.read_text(encoding="utf-8"), shown(page))
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
    suite = Path(__file__).resolve().parent / "examples" / "suite.py"  # not imported: pytest imports it
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


def _cmd_endpoint(args: argparse.Namespace, project: Project) -> int:
    from branddocs.endpoint.server import serve_forever

    return serve_forever(args, project)


def _cmd_diff(args: argparse.Namespace, project: Project) -> int:
    from branddocs.review.base import BaseError
    from branddocs.review.diff import run_diff
    from branddocs.review.render import render_json, render_markdown, render_text

    on_sites = None
    if args.screenshots is not None:
        from functools import partial

        from branddocs.review.shots import screenshots

        on_sites = partial(screenshots, folder=args.screenshots or project.root / "reports" / "diff")
    try:
        report = run_diff(project, args.base, args.brand, args.jobs, on_sites=on_sites)
    except BaseError as exc:
        print(f"branddocs diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    render = {"json": render_json, "markdown": render_markdown}.get(args.format)
    sys.stdout.write(render(report) if render else render_text(report, colour))
    for failure in report.failures:
        print(f"branddocs diff: {failure.brand_id} failed to build on the {failure.side} side", file=sys.stderr)
    return 1 if report.failures else 0


def _cmd_new(args: argparse.Namespace, project: None) -> int:
    from branddocs.scaffold import BRAND_ID, new

    written = new(args.folder)
    print(f"branddocs: wrote {len(written)} files into {args.folder}; next, in that folder:")
    print(f"  BRAND={BRAND_ID} mkdocs build   # or: branddocs build\n  branddocs check")
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535 (0: any free port), not {text!r}")
    return int(text)


def _shard(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _brands_option(parser: argparse.ArgumentParser, verb: str, required: bool = False) -> None:
    default = "" if required else "; default all"
    parser.add_argument("--brand", action="append", metavar="ID", required=required,
                        help=f"{verb} this brand (repeatable{default})")  # fmt: skip


def _jobs_option(parser: argparse.ArgumentParser, what: str, *aliases: str) -> None:
    parser.add_argument("--jobs", "-j", *aliases, type=int, default=None, help=f"{what} (default: number of cores)")


def _shard_option(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--shard", type=_shard, default=None, metavar="K/N", help=f"{verb} only shard K of N")


def _parser() -> argparse.ArgumentParser:
    from branddocs.endpoint.dialects import DIALECTS

    parser = argparse.ArgumentParser(prog="branddocs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build brand sites into site/<id>/")
    _brands_option(build, "build")
    _jobs_option(build, "parallel builds")
    build.add_argument("--site-dir", type=Path, default=None, help="where site/<id>/ go (default: ./site)")
    build.add_argument("--force", action="store_true", help="rebuild brands whose inputs did not change")
    build.add_argument("--engine", choices=["mkdocs", "zensical"], default="mkdocs",
                       help="MkDocs + Material (default) or Zensical (README: Choosing an engine)")  # fmt: skip
    _shard_option(build, "build")
    build.set_defaults(func=_cmd_build)

    serve = sub.add_parser("serve", help="preview brands with live reload (several: consecutive ports)")
    _brands_option(serve, "serve", required=True)
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
                       help="the first brand's address (default 127.0.0.1:8000)")  # fmt: skip
    serve.set_defaults(func=_cmd_serve)

    brands = sub.add_parser("check-brands", help="validate brand files and their images")
    brands.add_argument("files", nargs="*", help="brand files (default: brands/*.yml)")
    brands.set_defaults(func=_cmd_check_brands)

    translations = sub.add_parser(
        "check-translations",
        help="list translations and brand pages older than their shared page, and translations whose code differs",
    )
    translations.set_defaults(func=_cmd_check_translations)

    schema = sub.add_parser("schema", help="print the JSON Schema of a brand file (for editors)")
    schema.set_defaults(func=_cmd_schema)

    env = sub.add_parser("env", help="list the environment variables branddocs reads, and which are set")
    env.set_defaults(func=_cmd_env)

    check = sub.add_parser(
        "check", help="run the example checks (all brands and pages by default); after --, pytest options"
    )
    check.add_argument("pages", nargs="*", metavar="PAGE", help="pages under docs/, e.g. serverless-endpoints.md")
    _brands_option(check, "check")
    check.add_argument("--update-examples", action="store_true", help="rewrite expected outputs in the templates")
    _shard_option(check, "check")
    _jobs_option(check, "examples run in parallel (pytest-xdist; -n as in pytest)", "-n")
    check.add_argument("--example-timeout", type=float, default=None, metavar="SECONDS",
                       help="seconds one example may run (default $BRANDDOCS_EXAMPLE_TIMEOUT, else 60)")  # fmt: skip
    check.add_argument("--conformance", choices=["openai"], default=None,
                       help="also report every departure from OpenAI's published schema (strict, opt-in)")  # fmt: skip
    check.add_argument("--unsafe-no-sandbox", action="store_true",
                       help="with a real key, run examples even where no sandbox can hold them")  # fmt: skip
    check.set_defaults(func=_cmd_check)

    diff = sub.add_parser("diff", help="what each brand's readers see differently between BASE and the work tree")
    diff.add_argument(
        "base",
        nargs="?",
        default=None,
        metavar="BASE",
        help="a git revision (default: the merge base with origin/HEAD or main; HEAD: uncommitted work)",
    )
    _brands_option(diff, "compare")
    diff.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    _jobs_option(diff, "parallel builds")
    diff.add_argument(
        "--screenshots",
        type=Path,
        nargs="?",
        const="",  # the project's reports/diff/
        default=None,
        metavar="DIR",
        help="before/after screenshots of each changed page (default: the project's reports/diff/)",
    )
    diff.set_defaults(func=_cmd_diff)

    scaffold = sub.add_parser("new", help="write a new docs project (mkdocs.yml, a brand, a checked page) into DIR",
                              description="Write a docs project of one's own into DIR (new or empty), e.g. "
                              "`branddocs new my-docs`: mkdocs.yml with the branddocs plugin, one brand, one page "
                              "with a checked cURL example, and a README with the commands.")  # fmt: skip
    scaffold.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    scaffold.set_defaults(func=_cmd_new)

    endpoint = sub.add_parser("endpoint", help="run the reference OpenAI-compatible endpoint on loopback")
    endpoint.add_argument("--host", default="127.0.0.1")
    endpoint.add_argument("--port", type=_port, default=8000)
    _brands_option(endpoint, "serve the models of")
    endpoint.add_argument("--base-path", default=None, help="default: each brand's base URL path")
    endpoint.add_argument("--api-key", action="append", metavar="KEY", help="accepted key (repeatable)")
    endpoint.add_argument("--dialect", choices=list(DIALECTS), default="vllm",
                          help="answer as this server does (default: vllm)")  # fmt: skip
    endpoint.add_argument("--drift", action="append", nargs="?", const="guide", metavar="KIND",
                          choices=["guide", "envelope", "event-lines", "no-done", "no-usage", "rename-content"],
                          help="break OpenAI's format (repeatable; alone: as the original guide)")  # fmt: skip
    endpoint.set_defaults(func=_cmd_endpoint)

    from branddocs.host.command import add_parser as add_host_parser

    add_host_parser(sub)  # branddocs host nginx
    return parser


def main(argv: list[str] | None = None) -> int:
    # mkdocs-material prints a banner about MkDocs 2 on every build; we pin MkDocs 1.6 on purpose.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    # `branddocs check ... -- --junitxml=x -x`: what follows `--` goes to pytest untouched.
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = _parser().parse_args(argv[: len(argv) - len(extra) - (1 if "--" in argv else 0)])
    args.pytest_args = extra
    try:
        # The brand file's schema needs no project: an editor or a new tenant's repository may ask for it.
        return args.func(args, None if args.func in (_cmd_schema, _cmd_env, _cmd_new) else Project.find())
    except BranddocsError as exc:
        print(f"branddocs: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
