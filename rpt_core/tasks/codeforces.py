"""Codeforces (chuxuan/RL-gen-codeforces-test, train): stdin/stdout problems with their tests."""

from __future__ import annotations

from .prompting import CODE_STDIO, render
from .rows import cases, item, json_or, seconds
from .task import Source, Task


def normalize(task, rows):
    """chuxuan/RL-gen-codeforces-test (as RL-gen-code-test): problem, tests (JSON: list of
    {input, output} or {inputs, outputs}), source, starter_code, metadata (JSON; a ``time_limit``
    there overrides the default). Rows without tests are skipped."""
    items = []
    for i, r in enumerate(rows):
        found = cases(json_or(r.get("tests"), []))
        if not found:
            continue
        meta = json_or(r.get("metadata"), {})
        meta = meta if isinstance(meta, dict) else {}
        reference = {"cases": found, "time_limit_s": seconds(meta.get("time_limit"), task.time_limit_s)}
        items.append(item(task, i, render(task.prompt, statement=r["problem"]), "code_stdio", reference,
                          source=r.get("source")))
    return items


TASK = Task("codeforces", "code", Source("hub", "chuxuan/RL-gen-codeforces-test", split="train"), None, 1,
            CODE_STDIO, "code_stdio", normalize, time_limit_s=6.0, module=__name__,
            notes="schema assumed equal to chuxuan/RL-gen-code-test (problem/tests/source/starter_code/"
                  "metadata); size (?)")
