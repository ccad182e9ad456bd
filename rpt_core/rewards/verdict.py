"""The result of checking one completion against its reference."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Bump when a change can alter a verdict; records store it, so regrading shows what changed.
VERSION = "1.0.0"

REASONS = (
    "ok",               # correct
    "wrong",            # an answer was found and it is not the reference (or a test failed)
    "no_answer",        # nothing extractable (includes an unterminated <think> block)
    "timeout",          # the checker or the program ran past its time limit
    "compile_error",    # the extracted program does not parse
    "runtime_error",    # the program raised, exited early or crashed
    "memory",           # the program ran out of its memory limit
    "output_limit",     # the program printed more than the capture limit
    "invalid_reference",  # the reference itself is malformed (a data bug, not a model error)
    "sandbox_error",    # the execution harness failed (never the model's fault)
    "error",            # the input line itself was malformed (CLI only)
)
# Failures of the harness or of the data, never the model's: such a sample is left out of pass@1, Δ and
# every statistic (as if it had not been drawn) and counted instead (``harness_errors`` in summaries);
# an evaluation with more than ``max_harness_error_rate`` of them fails (rpt_core.evaluate).
HARNESS_REASONS = ("sandbox_error", "invalid_reference")


def graded(records):
    """The samples of a records table (a pandas DataFrame) that were graded: without those whose
    verdict is a harness or data failure (:data:`HARNESS_REASONS`); tables without a ``reason``
    column are returned as they are."""
    if "reason" not in records:
        return records
    return records[~records["reason"].isin(HARNESS_REASONS)]


@dataclass(frozen=True)
class Verdict:
    """correct: the completion solves the item. extracted: what was taken as the answer (the
    program for code kinds), or None. reason: one of ``REASONS``. detail: a short human-readable
    explanation (error message, failing test). verifier: ``"<kind>@<VERSION>"``."""

    correct: bool
    extracted: Any
    reason: str
    verifier: str
    detail: str = ""

    @property
    def reward(self) -> float:
        """The binary RL reward of the paper: 1.0 if correct, else 0.0 (no format bonus)."""
        return 1.0 if self.correct else 0.0

    def to_dict(self) -> dict:
        return asdict(self)
