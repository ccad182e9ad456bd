"""Run untrusted, model-written Python in a sandbox.

Every execution gets:

* a fresh temporary working directory (removed afterwards) holding ``solution.py`` (and
  ``tests.py``); it is the only writable place besides a private, size-capped ``/tmp``;
* a separate process group and session, killed as a whole at the wall-clock deadline;
* resource limits set before the first line of model code runs: CPU seconds, address space,
  number of processes, file size, open files, no core files (see :class:`Limits`);
* a scrubbed environment (``PATH`` and a locale; ``HOME``, the XDG config/cache folders and
  ``MPLCONFIGDIR`` inside the working directory) and ``python -I`` (no Python env vars, no user site);
* captured stdout/stderr bounded to ``Limits.output_bytes``; more output kills the run.

Isolation levels, chosen once per process (:func:`isolation`):

``bwrap``   (Debian package ``bubblewrap``) the program runs in new network, PID, IPC and UTS
            namespaces with a read-only view of ``/``: no network interface but loopback, it cannot
            see or signal host processes, cannot write any host file, and every process it starts
            dies with the namespace. Run as root (as here and in CI), the code also drops to a
            per-slot unprivileged uid, so root-only files are unreadable and the process limit is
            counted per execution; run as a normal user, bwrap uses an unprivileged user namespace.
``rlimit``  fallback when bwrap is missing or cannot create namespaces: same limits, scrubbed
            environment and uid drop (when root), plus ``unshare --net`` when permitted. Without
            bwrap, the program can read world-readable host files and write to world-writable
            directories such as the host ``/tmp``; prefer ``bwrap``.

Known limits (honest list): this is not a VM. A kernel exploit escapes it. A program that
deliberately introspects the trusted launcher's memory (``gc``/frames) in the same interpreter can
forge a test pass; this bounds damage, not every form of reward hacking (an object whose ``__eq__``
always returns True also passes ``assert f(x) == y``, as it would in any harness that calls the
solution in-process). Memory is bounded by address space, not resident memory.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

_ZYGOTE = Path(__file__).with_name("_zygote.py").read_text()
_SLOT_UIDS = range(61000, 61256)  # one unprivileged uid per live zygote on the machine (when root)
# Standard-library modules imported once per sandbox server; forked children get them for free.
PRELOAD = ("typing", "math", "re", "collections", "itertools", "functools", "heapq", "bisect",
           "string", "random", "fractions", "decimal", "statistics", "datetime", "json", "unittest")
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class Limits:
    """Resource limits for one execution.

    wall_s: wall-clock seconds before the whole process group is killed.
    cpu_s: CPU seconds (RLIMIT_CPU; the kernel kills the process at the limit).
    memory_mb: address-space limit in MiB (RLIMIT_AS).
    processes: max processes/threads for the execution's uid (RLIMIT_NPROC).
    file_mb: largest file the program may write, MiB (RLIMIT_FSIZE).
    open_files: max open file descriptors (RLIMIT_NOFILE).
    output_bytes: stdout and stderr are each kept up to this many bytes; more kills the run.
    stack_mb: the main thread's stack limit, MiB (RLIMIT_STACK); 0 keeps the host's (8 MiB here).
    """

    wall_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 2048
    processes: int = 32
    file_mb: int = 16
    open_files: int = 128
    output_bytes: int = 1 << 20
    stack_mb: int = 0


@dataclass(frozen=True)
class Execution:
    """What happened to one execution.

    outcome: ``passed`` (tests mode: every test ran to completion), ``failed`` (a test assertion
    failed), ``finished`` (script mode: the program returned normally), ``compile_error``,
    ``runtime_error``, ``timeout`` (wall or CPU limit), ``memory``, ``output_limit``,
    ``killed`` (ended by a signal, e.g. a crash), ``sandbox_error`` (the harness itself failed).
    """

    outcome: str
    returncode: int | None
    stdout: str
    stderr: str
    error: str
    duration_s: float


@lru_cache(maxsize=1)
def isolation() -> str:
    """The isolation level available on this machine: ``"bwrap"`` or ``"rlimit"``. The fallback is
    announced once per process (a ``RuntimeWarning``); manifests and stored verdicts record the level,
    and training with it needs ``runtime.allow_unsandboxed``."""
    if shutil.which("bwrap"):
        probe = subprocess.run(
            ["bwrap", *_bwrap_namespace_args(), "--ro-bind", "/", "/", "true"],
            capture_output=True,
        )
        if probe.returncode == 0:
            return "bwrap"
    warnings.warn("bubblewrap is missing or cannot create namespaces: model-generated code runs with rlimits "
                  "only (it can read world-readable host files and write to /tmp); install bubblewrap "
                  "(`make system-deps`)", RuntimeWarning, stacklevel=2)
    return "rlimit"


def _is_root() -> bool:
    return os.geteuid() == 0


def _bwrap_namespace_args() -> list[str]:
    args = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    return args if _is_root() else ["--unshare-user", *args]


@lru_cache(maxsize=1)
def _unshare_net_works() -> bool:
    return bool(shutil.which("unshare")) and subprocess.run(
        ["unshare", "--net", "true"], capture_output=True
    ).returncode == 0


@lru_cache(maxsize=None)
def _prefixes(python: str) -> tuple[str, ...]:
    """The installation prefixes (``sys.prefix``, ``sys.base_prefix``) of interpreter ``python``."""
    if python == sys.executable:
        found = [sys.base_prefix, sys.prefix]
    else:
        found = subprocess.run([python, "-I", "-c", "import sys; print(sys.base_prefix); print(sys.prefix)"],
                               capture_output=True, text=True, check=True).stdout.split("\n")[:2]
    return tuple(sorted({os.path.realpath(p) for p in found}))


@lru_cache(maxsize=None)
def _hidden_ancestor_binds(python: str) -> tuple[str, ...]:
    """bwrap arguments that keep the interpreter reachable when it lives under a private dir.

    A dropped uid cannot traverse e.g. ``/root`` (mode 700): that directory is replaced with an
    empty tmpfs, and only the interpreter's prefixes are bound back, read-only. A prefix under
    ``/tmp`` (which the sandbox replaces with its own tmpfs) is bound back the same way.
    """
    args: list[str] = ["--perms", "0711", "--size", str(256 << 20), "--tmpfs", "/tmp"]
    made: set[str] = {"/tmp"}
    for prefix in _prefixes(python):
        parts = Path(prefix).parts
        for depth in range(2, len(parts) + 1):
            ancestor = str(Path(*parts[:depth]))
            if os.stat(ancestor).st_mode & 0o001 and ancestor != "/tmp":
                continue
            if ancestor not in made:
                args += ["--perms", "0755", "--tmpfs", ancestor]
                made.add(ancestor)
            for inner in range(depth + 1, len(parts)):
                directory = str(Path(*parts[:inner]))
                if directory not in made:
                    args += ["--perms", "0755", "--dir", directory]
                    made.add(directory)
            args += ["--ro-bind", prefix, prefix]
            break
    return tuple(args)


class _Zygote:
    """One sandboxed server process (see ``_zygote.py``) that forks a child per execution, run by
    interpreter ``python`` (this one, or a benchmark's own environment)."""

    def __init__(self, uid: int, python: str):
        self.uid, self.python = uid, python
        self.hostdir = None
        config = {"uid": uid, "ns": isolation() == "bwrap", "root": "/tmp", "preload": PRELOAD}
        if isolation() == "bwrap":
            command = [
                "bwrap", *_bwrap_namespace_args(),
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--perms", "0755", "--size", str(16 << 20), "--tmpfs", "/dev/shm",
                *_hidden_ancestor_binds(python),  # the private /tmp, and the interpreter made reachable
                # no --die-with-parent: it fires when the *thread* that started bwrap exits. The
                # server exits on EOF instead, i.e. when this process closes its end or dies.
                "--new-session", "--clearenv",
                *(arg for key, value in _ENV.items() for arg in ("--setenv", key, value)),
            ]
        else:
            self.hostdir = tempfile.mkdtemp(prefix="rpt-sandbox-")
            os.chmod(self.hostdir, 0o711)
            config["root"] = self.hostdir
            command = ["unshare", "--net"] if _unshare_net_works() else []
        command += [python, "-I", "-c", _ZYGOTE, json.dumps(config)]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=dict(_ENV), start_new_session=True, cwd="/",
        )

    def run(self, request: dict, timeout: float) -> dict:
        """Send one request; return the reply. Raises ``TimeoutError`` / ``OSError`` if it died."""
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("sandbox server did not answer")
        line = self.proc.stdout.readline()
        if not line:
            raise OSError("sandbox server exited")
        return json.loads(line)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        if self.hostdir:
            if self.uid >= 0:
                _kill_uid(self.uid)
            shutil.rmtree(self.hostdir, ignore_errors=True)


class _UidSlots:
    """The unprivileged uids that sandboxed code runs as (when root), each held by one zygote
    machine-wide.

    Two processes on one machine (evaluation shards, test workers) must never share a uid: the
    process limit (``Limits.processes``) is counted per uid, and the rlimit fallback kills every
    process of the uid when an execution ends. A uid is claimed by an exclusive ``flock`` on its
    lock file, which the kernel drops when the holder closes it or dies, so a crashed process
    frees its slots. :meth:`claim` waits while all of them are taken. Not root: uid -1 (no drop),
    at most ``len(_SLOT_UIDS)`` zygotes per process.
    """

    def __init__(self):
        self._free_unprivileged = threading.Semaphore(len(_SLOT_UIDS))
        self._held: dict[int, int] = {}  # uid -> fd of its locked file
        self._lock = threading.Lock()

    @staticmethod
    @lru_cache(maxsize=1)
    def _directory() -> Path:
        base = Path("/run/lock") if Path("/run/lock").is_dir() else Path(tempfile.gettempdir())
        directory = base / "rpt-sandbox-uids"
        directory.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
            raise RuntimeError(f"{directory} must be a directory owned by root with mode 0700; "
                               "remove it and run again")
        return directory

    def claim(self) -> int:
        if not _is_root():
            self._free_unprivileged.acquire()
            return -1
        while True:
            for uid in _SLOT_UIDS:
                with self._lock:
                    if uid in self._held:
                        continue
                    fd = os.open(self._directory() / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        os.close(fd)
                        continue
                    self._held[uid] = fd
                _kill_uid(uid)  # stragglers of a holder that died before its zygote did
                return uid
            time.sleep(0.05)

    def release(self, uid: int) -> None:
        if uid < 0:
            self._free_unprivileged.release()
            return
        with self._lock:
            os.close(self._held.pop(uid))  # closing the file drops the lock

    def held(self) -> set[int]:
        """The uids this process holds now (its live zygotes)."""
        with self._lock:
            return set(self._held)


class _Pool:
    """Idle zygotes, reused across executions and threads; at most one execution per zygote."""

    def __init__(self):
        self._idle: list[_Zygote] = []
        self.uids = _UidSlots()
        self._lock = threading.Lock()

    def acquire(self, python: str) -> _Zygote:
        with self._lock:
            for zygote in [z for z in self._idle if z.python == python]:
                self._idle.remove(zygote)
                if zygote.proc.poll() is None:
                    return zygote
                self._discard(zygote)
        uid = self.uids.claim()
        try:
            return _Zygote(uid, python)
        except BaseException:
            self.uids.release(uid)
            raise

    def _discard(self, zygote: _Zygote) -> None:
        zygote.close()
        self.uids.release(zygote.uid)

    def warm(self, count: int, python: str) -> None:
        with self._lock:
            missing = count - sum(z.python == python for z in self._idle)
        started = [_Zygote(self.uids.claim(), python) for _ in range(missing)]  # claim may wait: unlocked
        with self._lock:
            self._idle += started

    def release(self, zygote: _Zygote, healthy: bool) -> None:
        if healthy:
            with self._lock:
                self._idle.append(zygote)
        else:
            self._discard(zygote)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for zygote in idle:
            self._discard(zygote)


_pool = _Pool()
atexit.register(_pool.close)


def warm(count: int, python: str | None = None) -> None:
    """Start sandbox servers now until ``count`` are idle for ``python`` (default: this
    interpreter), so that the first executions do not wait for them: each boots in its own process
    (about 60 ms), e.g. while a model loads."""
    _pool.warm(count, python or sys.executable)


def _kill_uid(uid: int) -> None:
    """SIGKILL every host process running as ``uid`` (rlimit mode: escapees of the group)."""
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
                    found = True
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        if not found:
            return
        time.sleep(0.01)


def execute(mode: str, files: dict[str, str], stdin: str = "", limits: Limits = Limits(),
            module: str | None = None, python: str | None = None) -> Execution:
    """Run ``files`` (must include ``solution.py``) in the sandbox; see the module docstring.

    mode: ``"tests"`` (solution.py, then tests.py; outcome ``passed`` only if the tests ran to the
    end, proven with a one-time token) or ``"script"`` (solution.py as ``__main__`` with ``stdin``).
    module: tests mode only: the solution becomes the importable module ``module`` and tests.py runs
    in its own namespace, like a test file next to the solution file (other ``files`` are
    importable helpers). Without it, the tests run in the solution's namespace.
    python: the interpreter to run the code with (a benchmark's own environment, see
    :mod:`rpt_core.tasks.environment`); default: this one.
    Thread-safe. Never raises for anything the program does; harness failures give
    ``sandbox_error``.
    """
    started = time.monotonic()
    token = secrets.token_hex(16) if mode == "tests" else ""
    request = {"mode": mode, "files": files, "stdin": stdin, "limits": asdict(limits), "token": token,
               "module": module}
    zygote = _pool.acquire(python or sys.executable)
    healthy = False
    try:
        reply = zygote.run(request, timeout=limits.wall_s + 10)
        healthy = True
    except (OSError, TimeoutError, ValueError) as exc:
        return Execution("sandbox_error", None, "", "", f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    finally:
        _pool.release(zygote, healthy)
    return _classify(reply, mode, token)


def _classify(reply: dict, mode: str, token: str) -> Execution:
    stop, returncode = reply["stop"], reply["returncode"]
    stdout, stderr, duration = reply["stdout"], reply["stderr"], reply["duration_s"]
    try:
        report = json.loads(reply["result"]) if reply["result"] else {}
    except json.JSONDecodeError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    outcome, error = str(report.get("outcome", "")), str(report.get("error", ""))
    if stop:
        outcome, error = stop, f"{stop} after {duration:.1f}s"
    elif outcome == "passed" and (mode != "tests" or report.get("token") != token):
        outcome, error = "runtime_error", "forged pass report"
    elif outcome == "finished" and mode != "script":
        outcome, error = "runtime_error", "forged report"
    elif not outcome:
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            outcome, error = "timeout", f"CPU limit (signal {-returncode})"
        elif "MemoryError" in stderr:
            outcome, error = "memory", "MemoryError"
        elif mode == "script" and returncode == 0:
            outcome = "finished"  # os._exit(0): a legitimate end for a stdin/stdout program
        elif returncode < 0:
            outcome, error = "killed", f"signal {-returncode}"
        else:
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            outcome, error = "runtime_error", f"exit status {returncode} without a report {last}".strip()
    return Execution(outcome, returncode, stdout, stderr, error, duration)
