"""What the repository's code in the harness can change outside it: no file a later command runs, no terminal.

A real-key `branddocs check` (a platform started apart with a key of its own) of a hostile repository, run as a
user runs it: from a shell-like process whose controlling terminal is a pseudo-terminal. Its root `conftest.py`
(loaded by pytest in the harness) tries, as the attacks of issue 29 (I1, I2) did:
- to write a `.pth` file into the engine's own site-packages (it would run in every later Python process of the
  engine, `branddocs check` with the key among them), a file in /etc, in the home folder, in the project, in the
  machine's lock folder for users, and the memory limit of the cgroup its own is below (the same value back);
- to open `/dev/tty` and push a command into the terminal's input with TIOCSTI, through fds 0, 1, 2 and
  `/dev/tty` (the caller's shell would read and run it once the check ends).
It also tries, as root, to read files of root's that only root may read, outside the project: a `0600` file in a
folder everyone may enter (only the file's mode stands in the way), one in root's home folder, and /etc/shadow.
In the harness every write fails (a read-only view: none of the files exists afterwards), `/dev/tty` fails with
ENXIO (a session of its own, no controlling terminal), nothing reaches the terminal's input, neither a Unix socket
listening in /tmp (a tmux server's) nor another of the user's terminals can be opened, and, as root, no secret is
read (the harness is a user of its own, harness_view.py). The negative: the same check with the harness
switched off (BRANDDOCS_NO_HARNESS=1, with --unsafe-no-sandbox, which a real key then needs) writes the `.pth`
file, the home folder and the project (and /etc, as root), its TIOCSTI lands in the terminal's input, and as root
it reads every secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import secrets
import select
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import termios
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from branddocs.examples.run import sandbox

from ..support.endpoint import endpoint_command
from ..support.project import BIN, ROOT, scratch_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
]

MARK = "harness-reach-" + secrets.token_hex(5)
REAL_KEY = f"sk-real-{secrets.token_hex(8)}"
PAYLOAD = "echo TYPED-" + MARK[::-1]
HOSTILE = """
def _branddocs_reach():
    import errno, fcntl, json, os, sysconfig, termios
    mark, payload, secrets = "MARK", "PAYLOAD\\n", SECRETS
    home = os.path.expanduser("~")
    targets = {"venv": os.path.join(sysconfig.get_paths()["purelib"], f"zz-{mark}.pth"), "etc": f"/etc/{mark}",
               "home": os.path.join(home, mark), "project": os.path.join(os.getcwd(), mark),
               "locks": f"/run/branddocs-uids/{mark}"}
    said = {}
    for name, path in targets.items():
        try:
            with open(path, "x") as planted:
                planted.write("# " + mark + "\\n")
            said[name] = "wrote"
        except OSError as exc:
            said[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    try:
        with open("/proc/self/cgroup") as lines:
            own = next(line.split(":", 2)[2].strip() for line in lines if "memory" in line.split(":")[1].split(","))
        limit = os.path.join("/sys/fs/cgroup/memory" + os.path.dirname(own), "memory.limit_in_bytes")
        with open(limit) as f:
            value = f.read()
        with open(limit, "w") as f:
            f.write(value)
        said["cgroup"] = "wrote"
    except StopIteration:
        said["cgroup"] = "no v1 memory cgroup"
    except OSError as exc:
        said["cgroup"] = errno.errorcode.get(exc.errno, str(exc.errno))
    said["read"] = {}
    for name, path in secrets.items():
        try:
            with open(path, "rb") as secret:
                said["read"][name] = "read " + secret.read(64).decode(errors="replace")
        except OSError as exc:
            said["read"][name] = errno.errorcode.get(exc.errno, str(exc.errno))
    import socket
    for name, path in (("socket", SOCKET), ("linked socket", LINKED), ("open socket", OPEN_SOCKET)):
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(5)
                sock.connect(path)
                said[name] = "connected"
        except OSError as exc:
            said[name] = errno.errorcode.get(exc.errno, str(exc))
    try:
        os.close(os.open(PTY, os.O_RDWR | os.O_NOCTTY))
        said["pty"] = "opened"
    except OSError as exc:
        said["pty"] = errno.errorcode.get(exc.errno, str(exc.errno))
    import ctypes, platform
    numbers = {"x86_64": (249, 250), "aarch64": (218, 219)}.get(platform.machine())
    if numbers:
        libc = ctypes.CDLL(None, use_errno=True)
        key = libc.syscall(numbers[0], b"user", b"branddocs-reach", None, 0)
        if key < 0:
            said["keyring"] = errno.errorcode.get(ctypes.get_errno(), "?")
        else:
            held = ctypes.create_string_buffer(256)
            size = libc.syscall(numbers[1], 11, key, held, 256)  # KEYCTL_READ
            said["keyring"] = "read " + held.raw[:max(size, 0)].decode(errors="replace")
    fds = [0, 1, 2]
    try:
        fds.append(os.open("/dev/tty", os.O_RDWR))
        said["tty"] = "opened"
    except OSError as exc:
        said["tty"] = errno.errorcode.get(exc.errno, str(exc.errno))
    pushed = []
    for fd in fds:
        try:
            for ch in payload.encode():
                fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))
            pushed.append(fd)
            break
        except OSError:
            pass
    said["pushed"] = pushed
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "reach.json"), "w") as out:
        json.dump(said, out)


_branddocs_reach()


def pytest_terminal_summary(terminalreporter):
    import os
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "reach.json")) as report:
        terminalreporter.write_line("REACH-REPORT " + report.read())
    terminalreporter.write_line("\\x1b]52;c;T1dORUQ=\\x07\\x1b]0;owned\\x07")  # the clipboard, the title
    terminalreporter.write_line("::error::REACH-COMMAND")
"""


KEYRING_SECRET = "keyring-secret-" + MARK
_KEYED = """
import ctypes, os, platform, sys
numbers = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(platform.machine())
if numbers:  # a session keyring of its own, holding a secret (as a credential helper keeps one), then the command
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(numbers[1], 1, b"branddocs-reach")  # KEYCTL_JOIN_SESSION_KEYRING
    secret = sys.argv[1].encode()
    assert libc.syscall(numbers[0], b"user", b"branddocs-reach", secret, len(secret), -3) > 0  # @s
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass
class Reach:
    code: int
    output: str
    said: dict
    typed: str
    """What reached the terminal's input (what the caller's shell would read next)."""
    left: dict[str, bool]
    """Whether each planted file exists, seen from outside."""
    secrets: dict[str, str]
    """What each secret file holds (root only; empty otherwise)."""


def _targets(project: Path) -> dict[str, Path]:
    venv, locks = Path(sysconfig.get_paths()["purelib"]), Path("/run/branddocs-uids")
    return {
        "venv": venv / f"zz-{MARK}.pth",
        "etc": Path("/etc") / MARK,
        "home": Path.home() / MARK,
        "project": project / MARK,
        "locks": locks / MARK,
    }


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except PermissionError:  # a folder this user may not enter (root's lock folder): nor could its harness
        return False


@contextlib.contextmanager
def _secrets() -> Iterator[dict[str, Path]]:
    """As root: files of root's only root may read, outside the project (none otherwise)."""
    if os.geteuid() != 0:
        yield {}
        return
    folder = Path(tempfile.mkdtemp(prefix="branddocs-reach-", dir="/tmp"))  # open to everyone, on purpose
    folder.chmod(0o755)  # everyone may enter: only the file's own mode stands in the way
    paths = {"open-folder": folder / "secret", "home": Path.home() / f".{folder.name}"}
    try:
        for name, path in paths.items():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(fd, "w") as out:
                out.write(f"SECRET-{name}-{MARK}")
        if Path("/etc/shadow").is_file() and not Path("/etc/shadow").stat().st_mode & stat.S_IROTH:
            paths["shadow"] = Path("/etc/shadow")
        yield paths
    finally:
        Path.home().joinpath(f".{folder.name}").unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _listening(everyone: bool = False) -> Iterator[str]:
    """A Unix socket listening in a folder of this user's own in /tmp, as a tmux server's or an ssh-agent's does
    (a tmux server runs whatever command a client asks, outside every namespace); `everyone`: in a folder everyone
    may enter, open to everyone, as an X server's (/tmp/.X11-unix/X0) and the system bus's are."""
    folder = tempfile.mkdtemp(prefix="branddocs-reach-sock-", dir="/tmp")  # where such servers listen
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(os.path.join(folder, "default"))
        if everyone:
            os.chmod(folder, 0o755)  # noqa: S103 - everyone may enter, as /tmp/.X11-unix
            os.chmod(os.path.join(folder, "default"), 0o777)  # noqa: S103 - everyone may connect, as X0
        server.listen(4)
        try:
            yield os.path.join(folder, "default")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _terminal() -> Iterator[str]:
    """Another terminal of this user's, open (what is typed there would be read by whoever opens it)."""
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


def _under_terminal(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """`command` with a pseudo-terminal as stdin, stdout, stderr and controlling terminal; (status, its output,
    what is left in the terminal's input once it has ended)."""
    master, slave = os.openpty()
    output = bytearray()

    def drain() -> None:
        while True:
            try:
                piece = os.read(master, 1 << 16)
            except OSError:
                return
            if not piece:
                return
            output.extend(piece)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    code = process.wait(timeout=600)
    typed = b""
    os.set_blocking(slave, False)
    while select.select([slave], [], [], 1)[0]:
        try:
            piece = os.read(slave, 4096)
        except OSError:
            break
        if not piece:
            break
        typed += piece
    os.close(slave)
    reader.join(timeout=5)
    os.close(master)
    return code, output.decode(errors="replace"), typed.decode(errors="replace")


def _attempt(tmp_path_factory: pytest.TempPathFactory, extra: dict[str, str], *flags: str) -> Iterator[Reach]:
    project = scratch_project(tmp_path_factory.mktemp("reach"))
    # The repository holds the engine too (as this one does, `pip install -e .`): pytest loads its root conftest.py.
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("engine-tmp")
    targets = _targets(project.root)
    with contextlib.ExitStack() as stack:
        hidden = stack.enter_context(_secrets())
        code = HOSTILE.replace("MARK", MARK).replace("PAYLOAD", PAYLOAD)
        code = code.replace("SECRETS", repr({name: str(path) for name, path in hidden.items()}))
        socket_path, pty = stack.enter_context(_listening()), stack.enter_context(_terminal())
        code = code.replace("OPEN_SOCKET", repr(stack.enter_context(_listening(everyone=True))))
        code = code.replace("SOCKET", repr(socket_path)).replace("PTY", repr(pty))
        # The repository links to the socket's folder (a tmux server's): the link is not a path the check reads.
        (project.root / "sockets").symlink_to(os.path.dirname(socket_path))
        code = code.replace("LINKED", repr(str(project.root / "sockets" / "default")))
        (project.root / "conftest.py").write_text(code, encoding="utf-8")
        stack.callback(_remove, targets)
        held = {name: path.read_text(errors="replace")[:64] for name, path in hidden.items()}
        with endpoint_command(tmp_path_factory.mktemp("platform"), "--api-key", REAL_KEY, "--brand", "acme",
                              cwd=project.root) as (url, _):  # fmt: skip
            env = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
            env |= {
                "NO_MKDOCS_2_WARNING": "1",
                "BRANDDOCS_ENDPOINT": f"{url}/v1",
                "BRANDDOCS_API_KEY": REAL_KEY,
                "TMPDIR": str(out),
                "PYTHONPATH": str(project.root),
                **extra,
            }
            command = [str(BIN / "branddocs"), "check", "--brand", "acme", "serverless-endpoints.md", *flags]
            command = [sys.executable, "-c", _KEYED, KEYRING_SECRET, *command]  # a session keyring holding a secret
            status, output, typed = _under_terminal(command, project.root, env)
        said = {}
        for line in output.splitlines():
            if line.startswith("REACH-REPORT "):
                said = json.loads(line.removeprefix("REACH-REPORT "))
        yield Reach(status, output, said, typed, {name: _exists(path) for name, path in targets.items()}, held)


def _remove(targets: dict[str, Path]) -> None:
    for path in targets.values():
        with contextlib.suppress(OSError):
            path.unlink()


@pytest.fixture(scope="module")
def harnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reach]:
    yield from _attempt(tmp_path_factory, {})


@pytest.fixture(scope="module")
def unharnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reach]:
    yield from _attempt(tmp_path_factory, {"BRANDDOCS_NO_HARNESS": "1"}, "--unsafe-no-sandbox")


def test_the_repositorys_code_writes_nothing_a_later_command_runs(harnessed: Reach, unharnessed: Reach) -> None:
    assert harnessed.said, harnessed.output
    assert harnessed.code == 0, harnessed.output
    for name in ("venv", "etc", "home", "project", "cgroup"):
        assert harnessed.said[name] != "wrote", (name, harnessed.said)
    assert not any(harnessed.left.values()), harnessed.left
    # The negative: without the harness the same code writes the engine's site-packages, the home folder and the
    # project (and /etc as root): the `.pth` file would run in the next `branddocs` with the key.
    assert unharnessed.said, unharnessed.output
    for name in ("venv", "home", "project") + (("etc",) if os.geteuid() == 0 else ()):
        assert unharnessed.said[name] == "wrote", (name, unharnessed.said)
        assert unharnessed.left[name], name


def test_the_repositorys_code_reaches_no_socket_or_terminal_of_the_users(harnessed: Reach, unharnessed: Reach) -> None:
    """A Unix socket in /tmp (a tmux server's, an agent's), also through a link the repository holds, and another
    terminal of the user's, and a socket open to everyone (an X server's): out of the harness's reach, as root (its
    own user may not enter root's folders; USER_COVERS cover the open one) and as an ordinary user
    (harness_view.USER_COVERS: the harness is that user, and a read-only view stops neither connect(2) nor open(2)
    of a terminal). The negative: without the harness, each is reached."""
    assert harnessed.code == 0, harnessed.output
    assert harnessed.said["socket"] in ("ENOENT", "EACCES"), harnessed.said
    assert harnessed.said["linked socket"] in ("ENOENT", "EACCES"), harnessed.said
    assert harnessed.said["pty"] in ("ENOENT", "EACCES"), harnessed.said
    assert harnessed.said["open socket"] in ("ENOENT", "EACCES"), harnessed.said
    assert unharnessed.said["socket"] == "connected", unharnessed.said
    assert unharnessed.said["open socket"] == "connected", unharnessed.said
    assert unharnessed.said["linked socket"] == "connected", unharnessed.said
    assert unharnessed.said["pty"] == "opened", unharnessed.said


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="no system call numbers known here")
def test_the_repositorys_code_reads_no_key_of_the_callers_keyrings(harnessed: Reach, unharnessed: Reach) -> None:
    """The check is started holding a session keyring with a secret in it (as a credential helper keeps one); the
    harness's seccomp filter (seccomp.install) refuses every keyring call: EPERM. Negative: without the harness the
    repository's code reads the secret."""
    assert harnessed.said["keyring"] == "EPERM", harnessed.said
    assert KEYRING_SECRET not in harnessed.output
    assert unharnessed.said["keyring"] == "read " + KEYRING_SECRET, unharnessed.said


def test_the_repositorys_output_reaches_the_terminal_as_text(harnessed: Reach, unharnessed: Reach) -> None:
    """What the repository's code prints comes out of the harness through text.TerminalCopy: an OSC 52 clipboard
    write and a title change shown as escapes, a `::error` line with a backslash (no workflow command). The
    negative: without the harness both reach the terminal as they were written."""
    assert "\x1b]52;" not in harnessed.output, harnessed.output
    assert "\\x1b]52;c;T1dORUQ=\\x07" in harnessed.output, harnessed.output
    assert "\\::error::REACH-COMMAND" in harnessed.output, harnessed.output
    assert "\x1b]52;c;T1dORUQ=\x07" in unharnessed.output
    assert "\n::error::REACH-COMMAND" in unharnessed.output.replace("\r", "")


def _tiocsti_refused_for_everyone() -> bool:
    try:
        legacy = Path("/proc/sys/dev/tty/legacy_tiocsti").read_text().strip()
    except OSError:
        return False  # kernels before 6.2: TIOCSTI on one's own terminal is allowed
    return legacy == "0" and os.geteuid() != 0


def test_the_repositorys_code_has_no_terminal(harnessed: Reach, unharnessed: Reach) -> None:
    assert harnessed.said["tty"] == "ENXIO", harnessed.said
    assert harnessed.said["pushed"] == [], harnessed.said
    assert PAYLOAD not in harnessed.typed, harnessed.typed
    assert unharnessed.said["tty"] == "opened", unharnessed.said  # the negative: the caller's terminal
    if _tiocsti_refused_for_everyone():
        pytest.skip("this kernel refuses TIOCSTI to everyone without CAP_SYS_ADMIN (dev.tty.legacy_tiocsti=0): "
                    "the session of its own is proved by /dev/tty failing with ENXIO above")  # fmt: skip
    assert unharnessed.said["pushed"], unharnessed.said
    assert PAYLOAD in unharnessed.typed, unharnessed.typed


@pytest.mark.skipif(os.geteuid() != 0, reason="as an ordinary user the harness is that user, and reads its files")
def test_the_repositorys_code_reads_no_secret_of_roots(harnessed: Reach, unharnessed: Reach) -> None:
    """As root the harness is a user of its own: a file of root's only root may read is out of its reach, even in a
    folder everyone may enter (harness_view.py). The negative: without the harness, each is read."""
    assert harnessed.secrets, "no secret file was made"
    assert harnessed.code == 0, harnessed.output
    for name, held in harnessed.secrets.items():
        assert harnessed.said["read"][name] in ("EACCES", "ENOENT"), (name, harnessed.said["read"])
        assert name == "shadow" or held not in harnessed.output, name
    for name, held in unharnessed.secrets.items():
        assert unharnessed.said["read"][name] == "read " + held, (name, unharnessed.said["read"])


def test_the_harnesss_lock_folder_for_users_is_its_own(harnessed: Reach) -> None:
    """A tmpfs of its own: what it writes there is not in the machine's (where other runs' locks are)."""
    assert not harnessed.left["locks"]


def test_a_node_modules_link_is_bound_only_to_a_node_modules_folder(tmp_path: Path) -> None:
    """The one path the check binds that the repository chooses: its node_modules. A committed link to a tmux
    server's folder (or the home folder, /proc/self) is not bound into the harness's view, nor one to a folder named
    node_modules behind a folder only its owner may enter (R7-9 b); one inside the project is, as it is (not
    idmapped). The negative: the folder named node_modules is a folder the old rule bound."""
    from branddocs.examples.run.harness_reads import harness_reads, harness_reads_as_is

    with _listening() as socket_path:
        project = tmp_path / "project"
        project.mkdir()
        (project / "node_modules").symlink_to(os.path.dirname(socket_path))
        reads = [*harness_reads(project, {}, {}), *harness_reads_as_is(project)]
        assert os.path.dirname(socket_path) not in [os.path.realpath(p) for p in reads], reads
        assert str(project / "node_modules") not in reads, reads
        (project / "node_modules").unlink()
        closed = tmp_path / "closed"
        (closed / "app" / "node_modules").mkdir(parents=True)
        closed.chmod(0o700)
        (project / "node_modules").symlink_to(closed / "app" / "node_modules")
        assert harness_reads_as_is(project) == [], "behind a folder only its owner may enter"
        assert os.path.basename(os.path.realpath(project / "node_modules")) == "node_modules"  # the negative
        assert os.path.isdir(project / "node_modules")
        (project / "node_modules").unlink()
        (project / "node_modules").mkdir()
        assert harness_reads_as_is(project) == [str(project / "node_modules")]
        assert str(project / "node_modules") not in harness_reads(project, {}, {}), "never idmapped"
