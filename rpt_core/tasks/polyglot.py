"""Aider's polyglot benchmark, Python part: 34 Exercism exercises, every test file of an exercise
must pass; a failed first try gets a second one with the test output (Aider's ``pass_rate_2``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .harness import unittest_runner
from .metrics import item_mean
from .prompting import render
from .readers import unavailable
from .rows import item
from .task import Metric, Source, Task

# Aider's benchmark: the exercise's docs, then its addendum naming the file to edit (whose stub we
# show, since the model cannot open it), then our reply format.
PROMPT = ("{instructions}\n\n####\n\nUse the above instructions to modify the supplied files: {filename}\n"
          "Don't change the names of existing functions or classes, as they may be referenced from other "
          "code like unit tests, etc.\nOnly use standard libraries, don't suggest installing any "
          "packages.\n\n`{filename}` currently contains:\n\n```python\n{stub}\n```\n\nReply with the "
          "complete contents of `{filename}` in a single ```python code block.")


def read_local(task, root: Path) -> list[dict]:
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
        raise unavailable(task, f"no */.meta/config.json exercises under {base}")
    return rows


def normalize(task, rows):
    """Exercism exercise rows (see :func:`read_local`). As in the exercise folder, the solution is the
    module the tests import (``grep.py`` -> ``grep``, so ``mock.patch("grep.open")`` reaches it) and
    every test file of ``.meta/config.json`` sits next to it (paasio's ``test_utils.py``); the
    unittest cases of all test files run. A failure's test output is kept for Aider's second try."""
    items = []
    for r in rows:
        modules = [Path(name).stem for name in r["test_files"]]
        text = render(task.prompt, instructions=r["instructions"], filename=r["solution_file"],
                      stub=r["stub"].rstrip())
        reference = {"tests": unittest_runner(modules), "module": Path(r["solution_file"]).stem,
                     "files": r["test_files"], "time_limit_s": task.time_limit_s, "feedback": True}
        items.append(item(task, r["slug"], text, "code_tests", reference,
                          canonical_solution=r.get("example"), solution_file=r["solution_file"],
                          test_files=list(r["test_files"])))
    return items


def pass_rate_2(rows) -> float:
    """Right on the first or the second try (Aider), averaged over items."""
    return item_mean(pd.DataFrame([row for _, row in rows]), "correct_2")


TASK = Task("polyglot", "code",
            Source("github", "https://github.com/Aider-AI/polyglot-benchmark (python/exercises/practice)",
                   layout="a clone of https://github.com/Aider-AI/polyglot-benchmark (exercises are read "
                          "from python/exercises/practice/<slug>/ with .docs/, .meta/config.json, stub and "
                          "<slug>_test.py)"),
            34, 1, PROMPT, "code_tests", normalize, time_limit_s=180.0, tries=2,
            upstream=Metric("pass_rate_2", pass_rate_2), read_local=read_local, module=__name__,
            notes="Exercism Python exercises; pass = every test of the exercise's test files passes; "
                  "pass@1 = Aider's pass_rate_1, a second try with the test output gives pass_rate_2")
