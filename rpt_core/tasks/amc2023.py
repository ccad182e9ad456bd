"""AMC 2023 (zwhe99/amc23, test): 40 problems, each sampled 16 times; answers without units."""

from __future__ import annotations

from .prompting import render
from .rows import answer_text, item
from .task import Source, Task

PROMPT = ("Solve the following math problem. Reason step by step, then give the final answer on its own "
          "last line in the form `ANSWER: <answer>`. Do not include units in the answer.\n\n{problem}")


def normalize(task, rows):
    """zwhe99/amc23: id, question, answer (a float such as 27.0), url."""
    return [item(task, r.get("id", i), render(task.prompt, problem=r["question"]), "math",
                 {"answer": answer_text(r["answer"])}, url=r.get("url")) for i, r in enumerate(rows)]


TASK = Task("amc2023", "math", Source("hub", "zwhe99/amc23"), 40, 16, PROMPT, "math", normalize, module=__name__)
