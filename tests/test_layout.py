"""The package's shape: no import cycles between rpt_core modules (lazy imports inside functions
included), and no two modules with the same name."""

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "rpt_core"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """rpt_core module -> the rpt_core modules it imports, anywhere in its body. ``from . import x``
    counts as importing the submodule ``x`` only (the package is the one being executed)."""
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[:len(base) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                subs = {f"{target}.{a.name}" for a in node.names} & set(files)
                edges |= subs or {target}
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
        graph[name] = {e for e in edges if e in files and e != name}
    return graph


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}   # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        for target in sorted(graph[node]):
            assert state.get(target) != 1, "import cycle: " + " -> ".join(path[path.index(target):] + [target])
            if target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_no_two_modules_share_a_name():
    names = Counter(p.stem for p in ROOT.rglob("*.py") if p.stem != "__init__")
    assert not [n for n, c in names.items() if c > 1]


def test_configuration_sits_below_the_engine():
    """config imports no rpt_core module but the benchmark registry (for benchmark names)."""
    assert import_graph()["rpt_core.config"] <= {"rpt_core.benchmarks", "rpt_core.benchmarks.registry"}
