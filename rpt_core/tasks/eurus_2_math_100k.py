"""eurus-2-math-100k (uiuc-kang-lab/eurus-2-math-100k, train): the math RL training set.

Schema: the columns of ``PRIME-RL/Eurus-2-RL-Data`` (``data_source``, ``prompt`` [list of {content,
role}: system + user], ``ability``, ``reward_model`` {ground_truth, style}, ``extra_info`` {index,
split}); splits train and validation. Confirmed from the authors' scripts (``example["prompt"]``
with 2 messages system/user, ``example["reward_model"]["ground_truth"]``, ``x["ability"] ==
"math"``, splits train/validation) and the Eurus-2-RL-Data card
(https://huggingface.co/datasets/PRIME-RL/Eurus-2-RL-Data); the boxed instruction in the user turn
is asserted by uiuc-kang-lab/SkyRL examples/train/eurus_rl_math/eurus_rl_math_dataset.py.

The authors' single-domain math run: ``load_dataset(eurus-2-math-100k, split="train")
.select(range(40000))``, no shuffle -> ``paper_seed`` ``None``. Prompts are the dataset's own
``prompt`` messages (Eurus/PRIME system prompt + user problem ending in "Present the answer in LaTex
format: \\boxed{Your answer}"); the ``math`` verifier extracts ``\\boxed{}``. A user turn without
``\\boxed`` gets :data:`MATH_INSTRUCTION` appended. Reference: ``{"answer":
reward_model.ground_truth}`` -> ``math``.
"""

from __future__ import annotations

from .rows import append_to_user, chat_item, ground_truth, messages, source_meta
from .task import Source, Task

MATH_INSTRUCTION = "Present the answer in LaTex format: \\boxed{Your answer}"   # the authors' (verbatim)


def normalize(task, index: int, row: dict):
    """verl/PRIME row: prompt (system + user), reward_model.ground_truth (LaTeX) -> ``math``."""
    answer = ground_truth(row)
    if answer is None or not row.get("prompt"):
        return None
    chat = messages(row["prompt"])
    if not any("\\boxed" in m["content"] for m in chat if m["role"] == "user"):
        chat = append_to_user(chat, MATH_INSTRUCTION, "\n\n")
    return chat_item(task, index, chat, "math", {"answer": answer}, **source_meta(row))


TASK = Task("eurus-2-math-100k", "math", Source("hub", "uiuc-kang-lab/eurus-2-math-100k", split="train"), 40_000, 1,
            "the dataset's own prompt messages (+ MATH_INSTRUCTION)", "math", normalize, role="training",
            keep=lambda row: True, paper_seed=None, module=__name__,
            notes="verl/PRIME schema (Eurus-2-RL-Data math subset); single-domain run took the first 40K")
