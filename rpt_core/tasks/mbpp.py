"""MBPP (google-research-datasets/mbpp, full, test): 500 Python functions checked by asserts."""

from __future__ import annotations

from .prompting import CODE_BLOCK, render
from .rows import item
from .task import Source, Task

PROMPT = ("{text}\n\nWrite a Python function for this task. Your code should pass these tests:\n\n"
          "{tests}\n\n" + CODE_BLOCK)


def normalize(task, rows):
    """mbpp (full): task_id, text, code, test_list, test_setup_code, challenge_test_list.
    Tests are the ``test_list`` asserts, preceded by ``test_setup_code``, which runs after the
    solution: it builds inputs from the solution's own classes (tasks 367 and 927 build trees of the
    solution's ``Node``)."""
    items = []
    for r in rows:
        asserts = "\n".join(r["test_list"])
        tests = f"{r['test_setup_code']}\n{asserts}" if r.get("test_setup_code") else asserts
        items.append(item(task, r["task_id"], render(task.prompt, text=r["text"], tests=asserts),
                          "code_tests", {"tests": tests}, canonical_solution=r.get("code")))
    return items


TASK = Task("mbpp", "code", Source("hub", "google-research-datasets/mbpp", "full"), 500, 1, PROMPT, "code_tests",
            normalize, module=__name__)
