"""Trusted code that runs *inside* the sandbox; model-written code only ever runs in its children.

Started once per worker by :mod:`rpt_core.rewards.sandbox` as ``python -I -c <this file> <json>``
with ``{"root": dir for work dirs, "uid": uid to drop to or -1, "ns": true if this process owns a
PID namespace, "preload": standard modules to import once}``. It imports only the standard library (never rpt_core) and then serves requests:
one JSON line in on stdin, one JSON line out on stdout, per execution. Each execution is a forked
child (a few ms instead of an interpreter start) that gets a fresh work dir, its own session,
resource limits and the unprivileged uid, and then runs the model's code:

    "tests"   solution.py then tests.py in one namespace; a pass is reported on a private pipe
              with a one-time token only after the tests returned, so ``sys.exit(0)``,
              ``os._exit(0)``, killing the process or printing a marker cannot fake one.
              Built-ins patched by the solution are restored before the tests run. With
              ``"module": name`` the solution is the module ``name`` and tests.py runs in a
              namespace of its own that imports it, as a test file does (the work dir, with any
              helper files of the request, is on ``sys.path``).
    "script"  solution.py as ``__main__`` with the request's stdin.

After the child ends (or its deadline or output limit is hit) every process it left is killed and
its work dir removed before the reply is written.
"""

import builtins
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import types

CONFIG = json.loads(sys.argv[1])
_reply_stream = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def _limit(kind, value):
    resource.setrlimit(kind, (value, value))


def child(request, workdir, stdin_path, out_w, err_w, result_w):
    """Runs in the forked child: confine, then execute the model's code. Never returns."""
    os.setsid()
    os.dup2(os.open(stdin_path, os.O_RDONLY), 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.closerange(3, result_w)
    os.closerange(result_w + 1, 1 << 16)
    os.chdir(workdir)
    # the run's own folder is its home: libraries that keep config or caches there (matplotlib,
    # seaborn, ...) otherwise fail for a uid without a passwd entry ("Could not determine home")
    os.environ.update(HOME=workdir, XDG_CONFIG_HOME=os.path.join(workdir, ".config"),
                      XDG_CACHE_HOME=os.path.join(workdir, ".cache"),
                      MPLCONFIGDIR=os.path.join(workdir, ".config", "matplotlib"))
    limits = request["limits"]
    _limit(resource.RLIMIT_CPU, int(limits["cpu_s"]))
    _limit(resource.RLIMIT_AS, int(limits["memory_mb"]) << 20)
    _limit(resource.RLIMIT_FSIZE, int(limits["file_mb"]) << 20)
    _limit(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    _limit(resource.RLIMIT_CORE, 0)
    if limits.get("stack_mb"):
        _limit(resource.RLIMIT_STACK, int(limits["stack_mb"]) << 20)
    uid = CONFIG["uid"]
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _limit(resource.RLIMIT_NPROC, int(limits["processes"]))
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    write, dumps, mode = os.write, json.dumps, request["mode"]

    def report(outcome, error="", token=""):
        write(result_w, dumps({"outcome": outcome, "error": error[-2000:], "token": token}).encode())
        os._exit(0 if outcome in ("passed", "finished") else 1)

    report_pass = (lambda token: lambda: report("passed", token=token))(request.get("token", ""))
    own_module = request.get("module") if mode == "tests" else None
    request.clear()
    pristine_builtins = dict(vars(builtins))
    # The solution runs as a real module registered in sys.modules, as it would when run or imported:
    # code that looks its own module up (dataclasses under `from __future__ import annotations`,
    # pickle, typing.get_type_hints) needs the entry.
    module = types.ModuleType("__main__" if mode == "script" else own_module or "solution")
    module.__builtins__ = builtins
    sys.modules[module.__name__] = module
    namespace = vars(module)
    if own_module:  # as if imported from <workdir>/<module>.py (tracebacks and frames show that name)
        sys.path.insert(0, workdir)
        module.__file__ = os.path.join(workdir, own_module + ".py")

    def run(filename, namespace, shown=None):
        with open(filename) as f:
            source = f.read()
        exec(compile(source, shown or filename, "exec"), namespace)

    try:
        with open("solution.py") as f:
            compile(f.read(), "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        report("compile_error", f"{type(exc).__name__}: {exc}")
    try:
        run("solution.py", namespace, getattr(module, "__file__", None))
    except SystemExit as exc:
        if mode == "tests":
            report("runtime_error", f"solution exited ({exc.code}) before the tests ran")
        sys.stdout.flush()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        report("finished") if code == 0 else report("runtime_error", f"exit status {code}")
    except MemoryError:
        report("memory", "MemoryError in solution")
    except BaseException as exc:
        report("runtime_error", f"{type(exc).__name__}: {exc}")
    if mode == "script":
        sys.stdout.flush()
        report("finished")

    live_builtins = vars(builtins)
    live_builtins.update(pristine_builtins)
    for name in [name for name in live_builtins if name not in pristine_builtins]:
        del live_builtins[name]
    if own_module:
        tests_module = types.ModuleType("tests")
        tests_module.__builtins__ = builtins
        sys.modules["tests"] = tests_module
        namespace = vars(tests_module)
    try:
        run("tests.py", namespace)
    except AssertionError as exc:
        report("failed", f"AssertionError: {exc}")
    except MemoryError:
        report("memory", "MemoryError in tests")
    except BaseException as exc:
        report("runtime_error", f"{type(exc).__name__}: {exc}")
    report_pass()


def kill_leftovers(pid, uid):
    """SIGKILL the child's process group, then every live process of its uid (or namespace)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid < 0 and not CONFIG["ns"]:
        return
    me = os.getpid()
    for _ in range(50):
        found = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in (1, me, pid):
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
                if CONFIG["ns"] or os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
                    found = True
            except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
                pass
        if not found:
            return
        time.sleep(0.002)


def collect(pid, fds, deadline, limit):
    """Read the child's pipes until all close, the deadline passes or output exceeds ``limit``."""
    buffers = {fd: bytearray() for fd in fds}
    open_fds, stop = list(fds), None
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop = "timeout"
            break
        ready, _, _ = select.select(open_fds, [], [], min(remaining, 0.25))
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.remove(fd)
            else:
                buffers[fd] += chunk
                if len(buffers[fd]) > limit:
                    stop = "output_limit"
        if stop:
            break
    return stop, [bytes(buffers[fd][:limit]) for fd in fds]


def serve():
    for module in CONFIG["preload"]:  # imported once here; every forked child starts with them
        try:
            __import__(module)
        except ImportError:
            pass
    uid, counter = CONFIG["uid"], 0
    for line in sys.stdin:
        request = json.loads(line)
        started = time.monotonic()
        counter += 1
        workdir = os.path.join(CONFIG["root"], f"run-{counter}")
        os.mkdir(workdir, 0o700)
        for name, text in request["files"].items():
            with open(os.path.join(workdir, name), "w") as f:
                f.write(text)
        stdin_path = os.path.join(CONFIG["root"], f"stdin-{counter}")
        with open(stdin_path, "w") as f:
            f.write(request.get("stdin", ""))
        if uid >= 0:
            for path in [workdir, *(os.path.join(workdir, name) for name in request["files"])]:
                os.chown(path, uid, uid)
        pipes = [os.pipe() for _ in range(3)]
        pid = os.fork()
        if pid == 0:
            try:
                for r, _ in pipes:
                    os.close(r)
                child(request, workdir, stdin_path, *(w for _, w in pipes))
            finally:
                os._exit(70)
        for _, w in pipes:
            os.close(w)
        limits = request["limits"]
        stop, (out, err, result) = collect(pid, [r for r, _ in pipes], started + limits["wall_s"], limits["output_bytes"])
        kill_leftovers(pid, uid)
        _, status = os.waitpid(pid, 0)
        for r, _ in pipes:
            os.close(r)
        while True:  # reap any other zombie children
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        shutil.rmtree(workdir, ignore_errors=True)
        os.unlink(stdin_path)
        reply = {
            "stop": stop,
            "returncode": -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status),
            "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace"),
            "result": result.decode(errors="replace"),
            "duration_s": time.monotonic() - started,
        }
        _reply_stream.write(json.dumps(reply) + "\n")
        _reply_stream.flush()


serve()
