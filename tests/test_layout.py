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
    """config imports no rpt_core module but the task index (for benchmark names)."""
    assert import_graph()["rpt_core.config"] <= {"rpt_core.tasks"}


PAPER_BENCHMARKS = ("gsm8k", "math500", "aime2024", "amc2023", "mbpp", "humaneval", "bigcodebench", "livecodebench",
                    "usaco", "codeforces", "polyglot", "pubmedqa", "medqa", "tabfact", "legalbench", "finben")


def code_words(path: Path) -> set[str]:
    """The lower-case words of a module's code: its string constants (docstrings left out) and its
    identifiers (names, attributes, definitions, arguments, keywords, imports), split on anything
    that is not a letter or digit. Comments never reach the syntax tree."""
    import re
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            texts.append(node.arg)
        elif isinstance(node, ast.alias):
            texts += [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom) and node.module:
            texts.append(node.module)
    return {w for text in texts for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def test_every_paper_benchmark_is_named_in_its_declaration_and_one_index_only():
    """One file per benchmark: a paper benchmark's name occurs in the code of at most two rpt_core
    modules, its own declaration (rpt_core/tasks/<name>.py) and the task index; the engine, trainer,
    planner and data checker loop over declarations instead of naming benchmarks."""
    words = {p: code_words(p) for p in ROOT.rglob("*.py")}
    index = ROOT / "tasks" / "__init__.py"
    for name in PAPER_BENCHMARKS:
        declaration = ROOT / "tasks" / f"{name}.py"
        assert declaration.is_file(), f"{name} has no declaration file"
        naming = {p for p, w in words.items() if name in w}
        assert naming <= {declaration, index}, f"{name} is named in {sorted(str(p) for p in naming)}"


def test_task_versions_come_from_content():
    """A task's version is a hash of its declaration, the shared machinery and its options: stable
    while they are unchanged, different when an option changes; records keep ``<name>@<version>``."""
    import dataclasses

    from rpt_core.tasks import BENCHMARKS, TASKS, benchmark_version
    task = BENCHMARKS["livecodebench"]
    assert task.version == dataclasses.replace(task).version and len(task.version) == 10
    assert dataclasses.replace(task, options={**task.options, "release": "release_v6"}).version != task.version
    assert benchmark_version("gsm8k") == f"gsm8k@{TASKS['gsm8k'].version}" and benchmark_version("x") == "x@items"
    assert len({t.version for t in BENCHMARKS.values()}) == len(BENCHMARKS)   # each hashes its own file
