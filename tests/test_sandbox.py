"""Hostile programs are contained, scored with a reason, and leave the host and the batch intact."""

import fcntl
import os
import socket
import subprocess
import sys
import threading

import pytest

from rpt_core.rewards import sandbox, verify
from rpt_core.rewards.sandbox import Limits, execute

FAST = Limits(wall_s=2, cpu_s=2, memory_mb=512)


def _held_by_another_process(uid: int) -> bool:
    if uid in sandbox._pool.uids.held():
        return False
    try:
        fd = os.open(sandbox._UidSlots._directory() / str(uid), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _leftover_sandbox_processes() -> list[int]:
    """Live processes of a sandbox uid that this process holds or nobody holds (other test
    workers' executions run as uids they hold)."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            uid = os.stat(f"/proc/{entry}").st_uid if entry.isdigit() else None
            if uid in sandbox._SLOT_UIDS and not _held_by_another_process(uid):
                with open(f"/proc/{entry}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        pids.append(int(entry))
        except FileNotFoundError:
            pass
    return pids


def run(code, mode="script", stdin="", tests="", limits=FAST):
    files = {"solution.py": code} | ({"tests.py": tests} if mode == "tests" else {})
    return execute(mode, files, stdin=stdin, limits=limits)


def test_isolation_level_is_reported():
    assert sandbox.isolation() in ("bwrap", "rlimit")


def test_infinite_loop_times_out():
    assert run("while True:\n    pass").outcome == "timeout"


def test_fork_bomb_is_contained_and_nothing_is_left_behind():
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run(bomb)
    assert result.outcome in ("timeout", "runtime_error", "killed")
    assert _leftover_sandbox_processes() == []
    assert run("print('alive')").stdout == "alive\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="code drops to a slot uid only when run as root")
def test_two_processes_never_run_code_as_the_same_uid():
    """The process limit is counted per uid: a uid shared by two evaluations on one machine would
    let one's fork bomb fail the other's programs."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from rpt_core.rewards import sandbox; "
         "print(sandbox._pool.uids.claim(), flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        theirs = int(holder.stdout.readline())
        ours = int(run("import os\nprint(os.getuid())").stdout)
        assert theirs in sandbox._SLOT_UIDS and ours in sandbox._SLOT_UIDS and ours != theirs
    finally:
        holder.stdin.close()
        holder.wait()


def test_memory_hog_is_stopped():
    result = run("x = bytearray(4 << 30)\nprint(len(x))")
    assert result.outcome in ("memory", "runtime_error", "killed")
    assert "4294967296" not in result.stdout


def test_endless_output_is_bounded():
    result = run("while True:\n    print('y' * 1000)", limits=Limits(wall_s=5, output_bytes=1 << 16))
    assert result.outcome == "output_limit"
    assert len(result.stdout) <= 1 << 16


def test_files_outside_the_work_dir_are_untouchable(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.chmod(tmp_path, 0o777)
    victim.chmod(0o666)
    code = f"""
import os, shutil
for action in (lambda: os.remove({str(victim)!r}), lambda: open({str(victim)!r}, 'w').write('pwned'),
               lambda: open({str(tmp_path / 'new.txt')!r}, 'w').write('x'), lambda: shutil.rmtree({str(tmp_path)!r}),
               lambda: open('/tmp/rpt-escape', 'w').write('x'), lambda: open(os.path.expanduser('~/rpt-escape'), 'w')):
    try:
        action()
    except Exception as e:
        print(type(e).__name__)
open('inside.txt', 'w').write('fine')
print(open('inside.txt').read())
"""
    result = run(code)
    assert result.outcome == "finished" and result.stdout.strip().endswith("fine")
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.txt"]
    if sandbox.isolation() == "bwrap":
        assert not os.path.exists("/tmp/rpt-escape")


def test_parent_environment_secrets_are_invisible(monkeypatch):
    monkeypatch.setenv("RPT_TEST_SECRET", "hunter2-secret")
    code = f"""
import os
print(dict(os.environ))
for pid in (os.getppid(), {os.getpid()}):
    try:
        print(open(f'/proc/{{pid}}/environ').read())
    except Exception as e:
        print(type(e).__name__)
"""
    result = run(code)
    assert result.outcome == "finished"
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_signalling_the_parent_fails():
    code = f"""
import os, signal
for pid in (os.getppid(), {os.getpid()}, 1):
    try:
        os.kill(pid, signal.SIGKILL)
        print('sent', pid)
    except Exception as e:
        print(type(e).__name__)
"""
    run(code)
    assert run("print('still here')").stdout == "still here\n"  # and so is this test process


def test_network_connections_do_not_get_out():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(server)))
    thread.start()
    code = f"""
import socket
for host in ('127.0.0.1', '1.1.1.1'):
    try:
        socket.create_connection((host, {port}), timeout=1).sendall(b'leak')
        print('connected', host)
    except OSError as e:
        print('blocked', host)
"""
    result = run(code, limits=Limits(wall_s=5))
    thread.join()
    server.close()
    if sandbox.isolation() == "bwrap" or sandbox._unshare_net_works():
        assert accepted == [None]
        assert "connected" not in result.stdout


def _accept(server):
    try:
        return server.accept()[0].recv(10)
    except OSError:
        return None


def test_deep_recursion_is_a_runtime_error_or_stopped():
    result = run("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)")
    assert result.outcome in ("runtime_error", "killed", "memory", "timeout")
    assert run("def f(n):\n    return f(n + 1)\nf(0)").outcome == "runtime_error"


def test_right_answer_then_never_terminating_is_incorrect():
    verdict = verify("code_stdio", "print(42)\nwhile True:\n    pass",
                     {"cases": [{"input": "", "output": "42"}], "time_limit_s": 1})
    assert (verdict.correct, verdict.reason) == (False, "timeout")


TESTS = "assert add(2, 2) == 5\n"  # a deliberately impossible test: only a faked pass could pass it


@pytest.mark.parametrize("cheat", [
    "import sys\nsys.exit(0)",
    "import os\nos._exit(0)",
    "def add(a, b):\n    import os\n    os._exit(0)",
    "def add(a, b):\n    raise SystemExit(0)",
    "import builtins\nbuiltins.AssertionError = KeyboardInterrupt\ndef add(a, b):\n    return 4",
    "import builtins\n_real = builtins.__build_class__\nbuiltins.print = lambda *a, **k: None\ndef add(a, b):\n    return 4",
    "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'{\"outcome\": \"passed\", \"token\": \"\"}')\n    except OSError:\n        pass\nimport sys\nsys.exit(0)",
    "print('{\"outcome\": \"passed\"}')\nprint('PASSED')\nprint('ok')\ndef add(a, b):\n    return 4",
    "import atexit, os\natexit.register(lambda: os.write(1, b'passed'))\ndef add(a, b):\n    return 4",
    "import __main__\nprint(getattr(__main__, 'token', None))\ndef add(a, b):\n    return 4",
])
def test_faked_passes_are_scored_incorrect(cheat):
    verdict = verify("code_tests", cheat, {"tests": TESTS, "time_limit_s": 2})
    assert not verdict.correct
    assert verdict.reason != "ok"


@pytest.mark.parametrize("mode", ["tests", "script"])
def test_solutions_run_as_registered_modules(mode):
    # dataclasses resolve string annotations through sys.modules[cls.__module__]
    code = ("from __future__ import annotations\nfrom dataclasses import dataclass\n\n@dataclass\nclass P:\n"
            "    x: int\n\ndef f():\n    return P(3).x\n")
    if mode == "tests":
        assert verify("code_tests", f"```python\n{code}```", {"tests": "assert f() == 3"}).correct
    else:
        result = run(code + "print(f())")
        assert (result.outcome, result.stdout) == ("finished", "3\n"), result


def test_patched_builtins_are_restored_before_tests():
    cheat = "import builtins\nbuiltins.len = lambda x: 3\ndef three(xs):\n    return len(xs)"
    assert not verify("code_tests", cheat, {"tests": "assert three([1]) == 3"}).correct


def test_a_hostile_batch_goes_on():
    jobs = [dict(mode="script", files={"solution.py": code}, limits=FAST) for code in (
        "while True: pass", "import os\nwhile True: os.fork()", "print('y' * 10**8)", "print('ok')",
    )]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:  # as verify_many runs them: one thread per job
        results = list(pool.map(lambda job: execute(**job), jobs))
    assert [r.outcome for r in results][-1] == "finished" and results[-1].stdout == "ok\n"
    assert _leftover_sandbox_processes() == []


def test_the_rlimit_fallback_is_announced_and_recorded(monkeypatch, tmp_path):
    from rpt_core.manifest import read_manifest, write_manifest
    from rpt_core.rewards import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)  # no bubblewrap on this "machine"
    with pytest.warns(RuntimeWarning, match="bubblewrap is missing"):
        assert sandbox.isolation.__wrapped__() == "rlimit"
    write_manifest(tmp_path)
    assert read_manifest(tmp_path)["sandbox"] == sandbox.isolation() in ("bwrap", "rlimit")


def test_the_run_has_a_writable_home_for_libraries_that_keep_config_there():
    """matplotlib and seaborn look up a home folder; a dropped uid has no passwd entry, so without
    HOME every plotting task failed with "Could not determine home directory" (upstream's
    canonical BigCodeBench solutions included). The home is the run's own working directory."""
    code = """
import os, pathlib
home = pathlib.Path.home()
(home / ".config").mkdir(exist_ok=True)
(home / ".config" / "probe").write_text("ok")
print(home == pathlib.Path.cwd(), os.environ["MPLCONFIGDIR"].startswith(str(home)))
"""
    result = run(code)
    assert result.outcome == "finished", result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_warmed_servers_serve_the_next_executions():
    sandbox.warm(2)
    warmed = {id(z) for z in sandbox._pool._idle if z.python == sys.executable}
    assert len(warmed) >= 2
    assert [run(f"print({i})").stdout for i in range(3)] == ["0\n", "1\n", "2\n"]
    assert {id(z) for z in sandbox._pool._idle if z.python == sys.executable} == warmed  # none started
