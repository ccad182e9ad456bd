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


MAX_LINES = 500   # no tolerance


def test_every_module_is_small_and_states_its_job():
    """Every rpt_core module has at most MAX_LINES lines and starts with a module docstring."""
    for path in sorted(ROOT.rglob("*.py")):
        assert len(path.read_text().splitlines()) <= MAX_LINES, f"{path} has over {MAX_LINES} lines"
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no module docstring"


ANALYSIS = ("rpt_core.stats", "rpt_core.figures", "rpt_core.tables", "rpt_core.compare", "rpt_core.models")
GENERATION = {"rpt_core.generate", "rpt_core.evaluate", "rpt_core.train", "rpt_core.trainer",
              "rpt_core.train_rewards"}
HEAVY = {"torch", "transformers", "vllm", "trl"}


def _analysis_modules() -> list[str]:
    return sorted(m for m in import_graph() if m in ANALYSIS or m.startswith("rpt_core.stats."))


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def _external_imports(module: str) -> set[str]:
    """Top-level names of the non-rpt_core packages a module imports, anywhere in its body."""
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    names = set()
    for node in ast.walk(ast.parse(files[module].read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_imports_nothing_of_generation_or_evaluation():
    """The statistics, figures, tables, comparison and model registry reach (transitively, lazy
    imports included) no generation, evaluation or training module and none of torch,
    transformers, vllm, trl; importing them in a fresh interpreter loads neither torch nor
    transformers."""
    import subprocess
    import sys

    graph = import_graph()
    modules = _analysis_modules()
    assert "rpt_core.figures" in modules and "rpt_core.stats.aggregation" in modules
    for module in modules:
        reached = _reachable(graph, module)
        assert not reached & GENERATION, f"{module} reaches {sorted(reached & GENERATION)}"
        heavy = {m: _external_imports(m) & HEAVY for m in reached}
        assert not any(heavy.values()), f"{module} reaches {({m: h for m, h in heavy.items() if h})}"
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT.parent)
    assert out.stdout.strip() == "[]", out.stdout


def _dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    return None


def _top_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_dunder_all_is_true():
    """Where a module defines ``__all__``: every name in it exists in the module, and every public
    name another rpt_core module imports from it (``from X import name``, lazy imports included;
    submodules of packages left out) is in it. Private names imported across modules are not
    checked (today: generate._decode_shared, stats.stratify._correct_column and _starts,
    stats.significance._cmh_arrays)."""
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    trees = {m: ast.parse(p.read_text()) for m, p in files.items()}
    alls = {m: _dunder_all(t) for m, t in trees.items()}
    problems = []
    for module, listed in alls.items():
        if listed is not None:
            problems += [f"{module}.__all__ lists undefined {n}" for n in listed if n not in _top_level_names(trees[module])]
    for module, tree in trees.items():
        package = module if files[module].name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            listed = alls.get(target)
            if listed is None:
                continue
            problems += [f"{module} imports {a.name} from {target}, not in its __all__" for a in node.names
                         if f"{target}.{a.name}" not in files and not a.name.startswith("_") and a.name not in listed]
    assert not problems, "\n".join(problems)
