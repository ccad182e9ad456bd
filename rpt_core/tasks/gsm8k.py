"""GSM8K (openai/gsm8k, main, test): 1,319 grade-school word problems, graded as math answers."""

from __future__ import annotations

from .prompting import MATH, render
from .rows import item
from .task import Source, Task


def normalize(task, rows):
    """openai/gsm8k: question, answer ("...#### 72"); the gold is after ``####``, commas dropped."""
    return [item(task, i, render(task.prompt, problem=r["question"]), "math",
                 {"answer": r["answer"].split("####")[-1].strip().replace(",", "")})
            for i, r in enumerate(rows)]


TASK = Task("gsm8k", "math", Source("hub", "openai/gsm8k", "main"), 1319, 1, MATH, "math", normalize,
            module=__name__)
