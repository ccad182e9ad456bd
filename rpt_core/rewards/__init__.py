"""Verifiable rewards: one function decides whether a completion is correct, for RL and for eval.

    >>> from rpt_core.rewards import verify
    >>> verify("math", "so the total is \\\\boxed{\\\\frac{1}{2}}", {"answer": "0.5"}).correct
    True

Kinds and their reference fields:

==========  ==================================================================================
math        {"answer": str}
code_tests  {"tests": str, optional: "entry_point", "setup", "time_limit_s", "memory_mb", "module",
            "files", "environment", "feedback"} (see :func:`.code.verify_code_tests`)
code_stdio  {"cases": [{"input": str, "output": str}, ...], optional: "time_limit_s", "memory_mb",
            "float_tol", "compare": "tokens" | "lines_decimal"}
choice      {"answer": "C", "options": ["A", "B", "C", "D"]}
label       {"answer": "yes", "labels": ["yes", "no", "maybe"]}
numeric     {"answer": float, optional: "rel_tol", "abs_tol", "alternatives": [float, ...]}
text        {"answer": str}  (short free-form answer: exact or whole-word containment, normalized)
==========  ==================================================================================

In every kind ``<think>`` blocks are stripped first and, among several candidate answers, the last
one wins (see :mod:`rpt_core.rewards.extract`). Code runs only in :mod:`rpt_core.rewards.sandbox`.
All verifiers are thread-safe.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

from .answers import verify_choice, verify_label, verify_numeric, verify_text
from .code import verify_code_stdio, verify_code_tests
from .math import verify_math
from .verdict import HARNESS_REASONS, REASONS, VERSION, Verdict

VERIFIERS: dict[str, Callable[[str, dict], Verdict]] = {
    "math": verify_math,
    "code_tests": verify_code_tests,
    "code_stdio": verify_code_stdio,
    "choice": verify_choice,
    "label": verify_label,
    "numeric": verify_numeric,
    "text": verify_text,
}
KINDS = tuple(VERIFIERS)
REQUIRED_FIELDS = {
    "math": ("answer",), "code_tests": ("tests",), "code_stdio": ("cases",),
    "choice": ("answer", "options"), "label": ("answer", "labels"), "numeric": ("answer",),
    "text": ("answer",),
}


class VerifierInputError(ValueError):
    """A kind or reference that no verifier accepts; the message names what is allowed."""


def check_input(kind: str, completion, reference) -> None:
    """Raise :class:`VerifierInputError` unless (kind, completion, reference) is well-formed."""
    if kind not in VERIFIERS:
        raise VerifierInputError(f"unknown verifier kind {kind!r}; allowed: {', '.join(KINDS)}")
    if not isinstance(completion, str):
        raise VerifierInputError(f"completion must be a string, got {type(completion).__name__}")
    if not isinstance(reference, dict):
        raise VerifierInputError(f"reference for kind {kind!r} must be an object with fields {REQUIRED_FIELDS[kind]}")
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in reference]
    if missing:
        raise VerifierInputError(f"reference for kind {kind!r} lacks {missing}; required: {list(REQUIRED_FIELDS[kind])}")


def verify(kind: str, completion: str, reference: dict) -> Verdict:
    """Score one completion. Raises :class:`VerifierInputError` for a bad kind or reference."""
    check_input(kind, completion, reference)
    return VERIFIERS[kind](completion, reference)


SANDBOXED = ("code_tests", "code_stdio")   # kinds whose verification runs a program in the sandbox


def verify_many(items: Iterable[tuple[str, str, dict]], workers: int = 8, desc: str | None = None) -> list[Verdict]:
    """Verify (kind, completion, reference) triples; keeps input order.

    The sandboxed kinds run on ``workers`` threads (each waits on its program's process), and a
    program is run once for all its identical copies (same kind, completion and reference: repeats
    of one item often sample the same program; the tiny world's code sets, 720 samples: 302
    distinct); the copies share its verdict, so a program whose outcome is random (it reads the
    clock, or prints a set in hash order) gets one draw for all its copies. Verdicts are also kept
    for later calls in this process (the last :data:`SETTLED_MAX`; models evaluated one after the
    other write many of the same programs), except harness failures, which run again. The other
    kinds are pure Python, checked in this thread, where a thread pool only added overhead (640
    math answers: 25 ms inline, 270 ms on 8 threads). ``desc``: label of a progress bar, none
    without it."""
    import hashlib
    import json

    from tqdm.auto import tqdm

    items = list(items)
    verdicts: list[Verdict | None] = [None] * len(items)
    copies: dict[bytes, list[int]] = {}
    for i, (kind, completion, reference) in enumerate(items):
        if kind in SANDBOXED:
            key = json.dumps([kind, completion, reference], sort_keys=True, default=str).encode()
            copies.setdefault(hashlib.sha256(key).digest(), []).append(i)
    progress = tqdm(total=len(items), desc=desc, disable=desc is None or not items, leave=False)
    for key in [key for key in copies if key in _settled]:
        same = copies.pop(key)
        for i in same:
            verdicts[i] = _settled[key]
        progress.update(len(same))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {pool.submit(verify, *items[same[0]]): (key, same) for key, same in copies.items()}
        sandboxed = {i for same in copies.values() for i in same}
        for i, item in enumerate(items):
            if verdicts[i] is None and i not in sandboxed:
                verdicts[i] = verify(*item)
                progress.update()
        for future, (key, same) in running.items():
            verdict = future.result()
            for i in same:
                verdicts[i] = verdict
            if verdict.reason not in HARNESS_REASONS:
                _settled[key] = verdict
            progress.update(len(same))
    progress.close()
    while len(_settled) > SETTLED_MAX:
        _settled.pop(next(iter(_settled)), None)
    return verdicts


SETTLED_MAX = 4096  # a kept verdict holds its program (``extracted``): a few KB each
_settled: dict[bytes, Verdict] = {}  # sha256 of sandboxed (kind, completion, reference) -> verdict, oldest first


__all__ = ["verify", "verify_many", "SANDBOXED", "check_input", "Verdict", "VerifierInputError", "KINDS", "REASONS", "HARNESS_REASONS", "VERSION"]
