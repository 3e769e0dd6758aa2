"""`branddocs check` starts the recording proxy before it reads the proxy's settings (the brand files, the sandbox's
probe): the proxy imports (httpx, starlette, the brand model) meanwhile, and the engine waits less for it.

On the code before, the engine read the settings first (the probe's order was settings, launch), and a proxy whose
stdin closed before any settings ended with a JSONDecodeError's traceback (status 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from branddocs.settings import SAFE_PATH

from .support.project import ROOT

PROBE = r"""
import json, subprocess, sys
from branddocs.examples.isolation import harness
from branddocs.examples.proxy import launch as launching
from branddocs.examples.run import first_run

order = []
real_launch, real_settings = launching.launch, first_run.proxy_settings
def launch(*args, **kwargs):
    order.append("launch")
    return real_launch(*args, **kwargs)
def proxy_settings(*args, **kwargs):
    order.append("settings")
    return real_settings(*args, **kwargs)
launching.launch, first_run.proxy_settings = launch, proxy_settings
harness.run = subprocess.call = lambda *args, **kwargs: 0  # pytest not started: the order is all we look at
from branddocs.cli import main

code = main(["check", "--brand", "acme"])
print(json.dumps({"code": code, "order": order}))
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BRANDDOCS_")}  # the reference endpoint


def test_engine_starts_the_proxy_before_reading_its_settings() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=_clean_env(), capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"code": 0, "order": ["launch", "settings"]}


def test_proxy_without_settings_ends_quietly() -> None:
    """A check that stops before it sends the settings (a bad $BRANDDOCS_MAX_TOKENS) closes the proxy's stdin: it
    ends with status 0 and says nothing."""
    command = [sys.executable, *SAFE_PATH, "-m", "branddocs.examples.proxy.process"]
    done = subprocess.run(command, cwd=ROOT, env=_clean_env(),
                          input="", capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_bad_max_tokens_stops_the_check_and_its_proxy() -> None:
    """Negative of the above, end to end: the settings fail after the proxy started; the check says why in one line,
    and no traceback of the proxy follows it."""
    env = {**_clean_env(), "BRANDDOCS_MAX_TOKENS": "many"}
    done = subprocess.run([sys.executable, "-m", "branddocs.cli", "check", "--brand", "acme"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode != 0
    assert "BRANDDOCS_MAX_TOKENS: expected a whole number from 1" in done.stderr
    assert "Traceback" not in done.stderr


EARLY_PROBE = r"""
import json, subprocess, sys
from branddocs.examples.isolation import harness
from branddocs.examples.proxy import launch as launching

held = []
real_launch = launching.launch
def launch(*args, **kwargs):  # what the engine holds when it starts the proxy
    held.append(sorted({".".join(name.split(".")[:2]) for name in sys.modules} & {"pydantic", "branddocs.brand"}))
    return real_launch(*args, **kwargs)
launching.launch = launch
harness.run = subprocess.call = lambda *args, **kwargs: 0  # pytest not started
from branddocs import key_holder
from branddocs.cli import main

key_holder.hold("check")  # what the first line does for the command line (no secret here: nothing else)

sys.argv = ["branddocs", "check", "--brand", "acme"]
code = main(None if FROM_COMMAND_LINE else sys.argv[1:])
print(json.dumps({"code": code, "held": held}))
"""


def test_check_from_the_command_line_starts_the_proxy_before_its_imports() -> None:
    """From the command line the proxy is started before the commands' imports (the brand model, the builder: half
    a second), not after them; its settings follow as before. The negative: called from Python (a test's `main([...])`),
    check.py starts it, once the brand model is in."""
    found = {}
    for from_command_line in (True, False):
        script = f"FROM_COMMAND_LINE = {from_command_line}\n{EARLY_PROBE}"
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_clean_env(), capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        found[from_command_line] = json.loads(done.stdout.strip().splitlines()[-1])
    assert found[True] == {"code": 0, "held": [[]]}
    assert found[False] == {"code": 0, "held": [["branddocs.brand", "pydantic"]]}


def test_a_check_that_fails_to_parse_leaves_no_proxy_behind() -> None:
    """The proxy started ahead of a command line that argparse refuses ends with the engine, quietly (it holds the
    engine's stderr: run() returns once it has ended too)."""
    done = subprocess.run([sys.executable, "-m", "branddocs.cli", "check", "--no-such-option"], cwd=ROOT,
                          env=_clean_env(), capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


ENDING_PROBE = r"""
import json, sys
import uvicorn
from branddocs.examples.proxy import process

def shutdown(*args, **kwargs):  # uvicorn's graceful stop: a tick and a tenth of a second per server
    print("graceful shutdown", file=sys.stderr, flush=True)
    raise SystemExit(3)
uvicorn.Server.shutdown = shutdown
def where(line, **kwargs):
    print(line, file=sys.stderr, flush=True)
process.print = where
process.main()
"""


def test_the_proxy_ends_at_once_with_its_stdin() -> None:
    """Once its stdin closes the proxy removes its folder of sockets and ends, without uvicorn's graceful stop of each
    server (a quarter of a second that `branddocs check` waited for at its end). On the code before, the probe saw
    the graceful shutdown (and its status 3)."""
    from branddocs.examples.run.first_run import proxy_settings
    from branddocs.site import Project

    settings = proxy_settings(Project.find(ROOT), "", "", 10.0, ["acme"])
    done = subprocess.run([sys.executable, "-c", ENDING_PROBE], cwd=ROOT, env=_clean_env(),
                          input=json.dumps(settings) + "\n", capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "graceful shutdown" not in done.stderr
    info = json.loads(done.stderr.strip().splitlines()[0])
    assert not os.path.exists(os.path.dirname(info["control_socket"])), "its folder of sockets is removed"
