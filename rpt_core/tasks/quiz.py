"""An arithmetic quiz in a few-shot chat: the in-domain RL task for a real small instruct model.

    >>> from rpt_core.tasks.quiz import build_quiz
    >>> quiz = build_quiz(seed=0, train=400, test=100)
    >>> [m["role"] for m in quiz["test"][0].messages]
    ['system', 'user', 'assistant', 'user', 'assistant', 'user']

Why this task. RLVR learns only where the base is sometimes right: GRPO's advantage is zero for a
prompt whose rollouts all score the same. Measured on SmolLM2-135M-Instruct (T = 1, 40 problems,
4 samples each): asked in one turn to end with ``ANSWER: <number>``, it writes ``26 + 28 = 54`` and
stops, so the math verifier finds no answer in 98-99% of samples and the reward is zero. With the
instruction as the system message and two solved examples as earlier user/assistant turns (the
usual few-shot chat) it answers in the format in 94% of samples and is right in 41% (pass@4 70%)
on these operands; with ``a`` in 10..60 and ``b`` in 2..40 it was right in only 21%, too few mixed
groups for GRPO. The examples fix the *format*; being right stays the model's own work.

Items. Two-number sums and differences, ``a + b`` or ``a - b`` with ``a`` in 2..30 and ``b`` in
2..20 (differences never negative), asked as ``What is a + b?``; verified by the ``math`` kind of
:mod:`rpt_core.rewards` (the last ``ANSWER:`` line, compared as a number). Domain ``math``. The
prompt is about 100 tokens with SmolLM2's chat template: RL cost grows with it, since TRL scores
every position on a CPU.

Splits. A problem's key is its expression (``58 - 23``); a seeded hash of the key puts 20% of the
key space in ``test`` and the rest in ``train``, so no test problem is ever a training prompt.
Deterministic in ``(seed, train, test)``. The task version (:attr:`rpt_core.tasks.task.Task.version`)
hashes this file, so any change here makes earlier verdicts stale; :data:`QUIZ_VERSION` only stamps
``quiz.json``.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from ..atomic import write_atomic
from ..items import Item, write_items
from .task import Source, Task

QUIZ_VERSION = 1
BENCHMARK = "arith_quiz"              # the held-out test set
TRAINING_SET = "arith_quiz_train"     # the RL prompts
INSTRUCTION = "End with ANSWER: <number>."   # the system message
# The solved examples shown before every question (earlier chat turns), one per operation.
SHOTS = (("What is 3 + 4?", "3 + 4 = 7.\nANSWER: 7"), ("What is 15 - 9?", "15 - 9 = 6.\nANSWER: 6"))
OPERANDS = {"a": (2, 30), "b": (2, 20)}   # inclusive ranges
TEST_SIZE, TRAIN_SIZE = 100, 400          # the default sizes of the two splits


def quiz_messages(question: str) -> list[dict]:
    """The chat a model sees: the instruction (system), the two solved examples, then ``question``."""
    messages = [{"role": "system", "content": INSTRUCTION}]
    for shot, answer in SHOTS:
        messages += [{"role": "user", "content": shot}, {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": question}]


def _problem(rng: random.Random) -> tuple[str, int]:
    a, b = rng.randint(*OPERANDS["a"]), rng.randint(*OPERANDS["b"])
    if rng.random() < 0.5 or b > a:
        return f"{a} + {b}", a + b
    return f"{a} - {b}", a - b


def _split(seed: int, key: str) -> str:
    bucket = int(hashlib.sha256(f"{seed}:quiz:{key}".encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "train"


def build_quiz(seed: int = 0, train: int = TRAIN_SIZE, test: int = TEST_SIZE) -> dict[str, list[Item]]:
    """``{"train": [...], "test": [...]}``: ``train`` RL prompts (benchmark :data:`TRAINING_SET`) and
    ``test`` held-out items (benchmark :data:`BENCHMARK`), distinct problems, none in both."""
    if train < 1 or test < 1:
        raise ValueError(f"train and test must be >= 1, got train={train}, test={test}")
    quotas = {"train": train, "test": test}
    rng = random.Random(f"{seed}:quiz")
    out: dict[str, list[Item]] = {"train": [], "test": []}
    seen: set[str] = set()
    for _ in range(50 * (train + test)):
        key, answer = _problem(rng)
        split = _split(seed, key)
        if key in seen or len(out[split]) >= quotas[split]:
            continue
        seen.add(key)
        benchmark = BENCHMARK if split == "test" else TRAINING_SET
        out[split].append(Item(benchmark, f"{len(out[split]):04d}", quiz_messages(f"What is {key}?"), "math",
                               {"answer": str(answer)}, "math", {"expression": key}))
        if all(len(out[s]) == quotas[s] for s in quotas):
            return out
    raise ValueError(f"cannot draw {quotas} distinct quiz problems from the operand ranges {OPERANDS}")


def write_quiz(out_dir: str | Path, seed: int = 0, train: int = TRAIN_SIZE, test: int = TEST_SIZE) -> Path:
    """Write ``<out_dir>/test/arith_quiz.jsonl``, ``<out_dir>/train/arith_quiz_train.jsonl`` and
    ``quiz.json`` (version, seed, sizes, instruction, examples); each file atomically."""
    root = Path(out_dir)
    quiz = build_quiz(seed, train, test)
    write_items(root / "test" / f"{BENCHMARK}.jsonl", quiz["test"])
    write_items(root / "train" / f"{TRAINING_SET}.jsonl", quiz["train"])
    meta = {"version": QUIZ_VERSION, "seed": seed, "sizes": {"train": train, "test": test},
            "instruction": INSTRUCTION, "shots": [list(s) for s in SHOTS], "operands": OPERANDS}
    write_atomic(root / "quiz.json", json.dumps(meta, indent=1))
    return root


# The held-out test set as a declared task (written by a study step, read from its item file).
TASKS = (Task(BENCHMARK, "math", Source("embedded", __name__), TEST_SIZE, 1, INSTRUCTION, "math", role="embedded",
              module=__name__),)

__all__ = ["BENCHMARK", "QUIZ_VERSION", "SHOTS", "TRAINING_SET", "build_quiz", "quiz_messages", "write_quiz"]
