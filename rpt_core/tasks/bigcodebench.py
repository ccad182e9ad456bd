"""BigCodeBench (bigcode/bigcodebench, v0.1.4): 1,140 instruct-mode tasks whose unittest
``TestCases`` run in the task's own execution environment (upstream's pinned libraries) under the
official limits: 240 s, 30 GiB address space."""

from __future__ import annotations

import ast

from .environment import REPO, Environment
from .harness import testcase_runner
from .prompting import render
from .rows import item
from .task import Source, Task

# BigCodeBench's instruct-mode instruction, then the task.
PROMPT = ("Please provide a self-contained Python script that solves the following problem in a "
          "markdown code block:\n{instruct_prompt}")
MEMORY_MB = 30 * 1024  # the official evaluator's address-space limit
# What BigCodeBench's evaluator puts in the module before the solution: these names, and (its
# "calibration") the task's code_prompt with a stub body, so the task's imports and constants exist.
PRELUDE = "import os\nimport sys\nfrom os import environ\n__file__ = '__test__.py'\n"
# Appended to the test code: as its evaluator, only the class ``TestCases`` runs (a missing one
# fails), and the task passes when no test failed or raised.
RUNNER = testcase_runner("TestCases")
ENVIRONMENT = Environment("bigcodebench", "bigcodebench-env", "requirements/bigcodebench-eval.txt",
                          REPO / ".venv-bigcodebench" / "bin" / "python")


def normalize(task, rows):
    """bigcode/bigcodebench (split = release, e.g. ``v0.1.4``; every column a string): task_id,
    complete_prompt, instruct_prompt, canonical_solution, code_prompt, test (unittest ``TestCases``),
    entry_point, doc_struct, libs (a Python list literal). The instruct prompt is posed as in
    BigCodeBench's own generation code. As upstream's evaluator, the solution runs after
    :data:`PRELUDE` and the task's ``code_prompt`` with a stub body, and only ``TestCases`` runs
    (:data:`RUNNER`); more threads and CPU time than the sandbox's defaults are allowed (upstream
    sets no such limit)."""
    limits = {"processes": 512, "cpu_s": 8 * int(task.time_limit_s)}
    return [item(task, r["task_id"], render(task.prompt, instruct_prompt=r["instruct_prompt"].strip()),
                 "code_tests", {"tests": r["test"] + "\n" + RUNNER, "time_limit_s": task.time_limit_s,
                                "setup": PRELUDE + r["code_prompt"] + "\n    pass\n",
                                "memory_mb": MEMORY_MB, "limits": limits, "environment": ENVIRONMENT.name},
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


TASK = Task("bigcodebench", "code", Source("hub", "bigcode/bigcodebench", split="v0.1.4"), 1140, 1, PROMPT,
            "code_tests", normalize, time_limit_s=240.0, environment=ENVIRONMENT, module=__name__,
            notes="instruct prompts; tests run in the bigcodebench execution environment (make "
                  "bigcodebench-env: upstream's pinned requirements) with the official 240 s / 30 GiB limits")
