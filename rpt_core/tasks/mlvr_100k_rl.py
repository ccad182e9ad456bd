"""mlvr-100k-rl (uiuc-kang-lab/mlvr-100k-rl, train): the knowledge RL training set.

``prompt`` (2 messages system/user) and ``reward_model.ground_truth`` are confirmed by the authors'
mixed-domain script; the other verl columns (``data_source``, ``ability``, ``extra_info``) are
assumed. Built from ``virtuoussy/Multi-subject-RLVR`` (columns ``query`` [system, user],
``label``; free-form answers: https://huggingface.co/datasets/virtuoussy/Multi-subject-RLVR),
filtered by the authors with an LLM knowledge/reasoning classifier. Their single-domain 40K script
was not found: ``paper_seed`` 42 by analogy with the mixed script (unconfirmed).

Prompt: the dataset's messages with the system turn replaced by :data:`MLVR_SYSTEM_PROMPT` and
:data:`MLVR_INSTRUCTION` (answer in ``\\boxed{}``) appended to the user turn. The answers are
free-form (ExamQA with the distractors removed), not option letters. A bare option letter whose
options are listed in the question -> ``choice``; words -> ``text`` (normalized exact match or
whole-word containment: the authors' reward accepted a boxed answer that contains the reference);
numbers and formulas -> ``math`` (Math-Verify equivalence).
"""

from __future__ import annotations

import re

from .rows import LETTERS, append_to_user, chat_item, ground_truth, messages, source_meta
from .task import Source, Task

# The authors' strings (verbatim).
MLVR_SYSTEM_PROMPT = ("You are a chatbot who can solve problems. Please solve the following problem and give your "
                      "thought process.")
MLVR_INSTRUCTION = "Let's think step by step and output the final answer within: \\boxed{}."


def _listed_options(question: str) -> list[str]:
    """Option letters listed in a question (``A. ...``, ``(B) ...``, ``C) ...``), contiguous from A."""
    found = set(re.findall(r"(?:^|[\s(（])([A-J])\s*[.)．、:：）]", question))
    letters = []
    for letter in LETTERS:
        if letter not in found:
            break
        letters.append(letter)
    return letters


def normalize(task, index: int, row: dict):
    """verl row of Multi-subject-RLVR: prompt (system + user), reward_model.ground_truth (free-form).
    A bare option letter with listed options -> ``choice``; words -> ``text`` (exact or whole-word
    containment, the authors' rule); numbers and formulas -> ``math``."""
    answer = ground_truth(row)
    if answer is None or not row.get("prompt"):
        return None
    chat = [m for m in messages(row["prompt"]) if m["role"] != "system"]
    if not any(m["role"] == "user" for m in chat):
        return None
    question = next(m["content"] for m in reversed(chat) if m["role"] == "user")
    chat = [{"role": "system", "content": MLVR_SYSTEM_PROMPT}] + append_to_user(chat, MLVR_INSTRUCTION, "\n")
    options = _listed_options(question)
    if re.fullmatch(r"[A-J]", answer) and answer in options and len(options) >= 2:
        return chat_item(task, index, chat, "choice", {"answer": answer, "options": options}, **source_meta(row))
    kind = "text" if _is_words(answer) else "math"
    return chat_item(task, index, chat, kind, {"answer": answer}, **source_meta(row))


def _is_words(answer: str) -> bool:
    """A free-text answer ("Market Approach"), not a number or a formula (those go to ``math``)."""
    return "\\" not in answer and re.search(r"[A-Za-z]{2,}", answer) is not None


TASK = Task("mlvr-100k-rl", "knowledge", Source("hub", "uiuc-kang-lab/mlvr-100k-rl", split="train"), 40_000, 1,
            "MLVR_SYSTEM_PROMPT + the user turn + MLVR_INSTRUCTION", "text/math/choice", normalize, role="training",
            keep=lambda row: True, module=__name__,
            notes="Multi-subject-RLVR (ExamQA, free-form answers) without math/code; verl columns assumed")
