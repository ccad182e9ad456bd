"""USACO (USACOBench's 307-problem subset, Shi et al. 2024): stdin programs judged as USACOBench's
own judge does, on the hidden tests of its data archive (or, opted in, the statement samples)."""

from __future__ import annotations

import re
from pathlib import Path

from .prompting import CODE_STDIO, render
from .readers import read_records, unavailable
from .rows import item, seconds
from .task import Source, Task


def read_local(task, root: Path) -> list[dict]:
    """Problem dict entries plus ``cases`` read from ``tests/<problem_id>/``. A problem without hidden
    tests is an error, unless option ``cases="samples"`` opts in to grading every problem on its
    statement's samples only (a weaker judge: recorded as ``cases_from`` in every item)."""
    rows = [row for path in sorted(root.glob("*.json")) for row in read_records(path)]
    if not rows:
        raise unavailable(task, f"no problem dict (*.json) in {root}")
    if task.options["cases"] not in ("tests", "samples"):
        raise ValueError(f"usaco: option cases={task.options['cases']!r}; allowed: tests, samples")
    untested = []
    for row in rows:
        problem_id = str(row.get("problem_id") or row["_key"])
        if task.options["cases"] == "samples":
            row["cases"] = [{"input": s["input"], "output": s["output"]} for s in row.get("samples") or []]
        else:
            row["cases"] = _numbered_cases(root / "tests" / problem_id)
            untested += [] if row["cases"] else [problem_id]
        row["cases_from"] = task.options["cases"]
    if untested:
        raise unavailable(task, f"{len(untested)} of {len(rows)} problems have no hidden tests under "
                                f"{root / 'tests'} (e.g. {untested[0]}); unpack the tests/ folder of the data "
                                "archive there, or pass option cases=samples to grade on the statements' samples")
    return rows


def _numbered_cases(folder: Path) -> list[dict]:
    """Pairs ``<i>.in``/``<i>.out`` or ``I.<i>``/``O.<i>`` in numeric order."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        for pattern, answer in ((r"(\d+)\.in", "{}.out"), (r"I\.(\d+)", "O.{}")):
            match = re.fullmatch(pattern, path.name)
            if match and (folder / answer.format(match.group(1))).exists():
                found.append((int(match.group(1)), path, folder / answer.format(match.group(1))))
    return [{"input": i.read_text(), "output": o.read_text()} for _, i, o in sorted(found)]


def normalize(task, rows):
    """USACOBench problem dict: problem_id, name, problem_level, description, runtime_limit (s),
    memory_limit (MB), samples [{input, output, explanation}], solution_python3, ...; ``cases`` were
    attached by :func:`read_local` (hidden tests, or the samples with option ``cases="samples"``).
    Judged as USACOBench's own judge does: its code extraction (the first ```` ```python ```` block,
    else the whole response), the whole stripped output compared exactly, any ``SystemExit`` a
    runtime error, the memory limit in 10^6 bytes as address space and stack, and the time limit."""
    def memory(r) -> dict:
        if not r.get("memory_limit"):
            return {}
        mib = max(1, int(r["memory_limit"]) * 10**6 >> 20)
        return {"memory_mb": mib, "limits": {"stack_mb": mib}}

    return [item(task, r.get("problem_id") or r["_key"], render(task.prompt, statement=r["description"]),
                 "code_stdio",
                 {"cases": r["cases"], "time_limit_s": seconds(r.get("runtime_limit"), task.time_limit_s),
                  "compare": "stripped_exact", "driver": "exit_is_error", "extract": "first_python_fence",
                  **memory(r)},
                 level=r.get("problem_level"), name=r.get("name"), memory_limit_mb=r.get("memory_limit"),
                 cases_from=r["cases_from"], canonical_solution=r.get("solution_python3"))
            for r in rows]


TASK = Task("usaco", "code",
            Source("archive", "princeton-nlp/USACO data.zip (USACOBench, usaco_subset307_dict.json)",
                   layout="usaco_subset307_dict.json (problem dict keyed by problem id) plus "
                          "tests/<problem_id>/{1.in,1.out,...} or {I.1,O.1,...} from the USACOBench "
                          "data archive (https://github.com/princeton-nlp/USACO, data.zip); option "
                          "cases=samples grades on the statement samples instead"),
            307, 1, CODE_STDIO, "code_stdio", normalize, time_limit_s=4.0, options={"cases": "tests"},
            read_local=read_local, module=__name__,
            notes="USACOBench 307-problem subset (Shi et al. 2024); runtime_limit per problem")
