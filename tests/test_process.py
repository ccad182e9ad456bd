"""Process-wide effects happen only at entry points (rpt_core.process, called by the CLI and the
notebooks' first cells), never as a side effect of importing or calling library code."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "rpt_core"
# Where changing the process is the module's job: the entry points' settings; rpt run marking its
# notebook kernels (a context manager that restores the variable); the sandbox's child process and
# the pretraining worker processes, which the library starts and owns.
OWNERS = {"process.py", "notebook.py", "rewards/_zygote.py", "tinyworld/pretrain.py"}


def _effects(tree: ast.AST) -> list[str]:
    """Lines that set environment variables, edit sys.modules or set torch's threads."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and ast.unparse(target.value) in ("os.environ", "sys.modules"):
                    found.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, name = ast.unparse(node.func.value), node.func.attr
            if (owner in ("os.environ", "sys.modules") and name in ("setdefault", "update", "pop", "__setitem__")) \
                    or name in ("set_num_threads", "putenv"):
                found.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_only_entry_points_change_the_process():
    offenders = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in OWNERS:
            effects = _effects(ast.parse(path.read_text()))
            if effects:
                offenders[relative] = effects
    assert not offenders, f"process-wide effects outside entry points: {offenders}"


def test_the_scan_finds_each_kind_of_effect():
    sample = ("import os, sys, torch\nos.environ['A'] = '1'\nos.environ.setdefault('B', '2')\n"
              "sys.modules['x'] = None\ntorch.set_num_threads(2)\n")
    assert sorted(line.split(":")[0] for line in _effects(ast.parse(sample))) == ["2", "3", "4", "5"]


def test_importing_the_library_leaves_the_process_alone():
    """Every library module imported in a fresh interpreter: the environment and the module table's
    stand-ins are as they were, and torch keeps its default threads."""
    modules = sorted(".".join(p.relative_to(ROOT.parent).with_suffix("").parts) for p in ROOT.rglob("*.py")
                     if p.name not in ("__init__.py", "__main__.py")
                     and p.relative_to(ROOT).as_posix() not in OWNERS | {"cli.py"})
    script = (
        "import importlib, os, sys\n"
        "before = dict(os.environ)\n"
        "import torch\nthreads = torch.get_num_threads()\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\n"
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())\n"
        "assert [k for k, v in sys.modules.items() if v is None] == [], 'a module was blocked'\n"
        "assert torch.get_num_threads() == threads\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "VLLM_CPU_KVCACHE_SPACE")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_prepare_sets_defaults_without_overriding():
    script = ("import os, sys\nos.environ['OMP_WAIT_POLICY'] = 'ACTIVE'\n"
              "from rpt_core.process import prepare\nprepare()\n"
              "assert os.environ['OMP_WAIT_POLICY'] == 'ACTIVE'\nassert os.environ['VLLM_CPU_KVCACHE_SPACE'] == '1'\n"
              "assert sys.modules['rfc3987_syntax'] is None\n")
    env = {k: v for k, v in os.environ.items() if k != "VLLM_CPU_KVCACHE_SPACE"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
