"""The code verifiers: run the extracted program in the sandbox against tests or stdin cases."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from .extract import code_block
from .sandbox import Execution, Limits, execute
from .verdict import VERSION, Verdict

_REASONS = {"failed": "wrong", "finished": "ok", "passed": "ok", "killed": "runtime_error"}


def _reason(execution: Execution) -> str:
    return _REASONS.get(execution.outcome, execution.outcome)


def _with_time_limit(limits: Limits, reference: dict) -> Limits:
    """``reference["time_limit_s"]`` (when given) sets both the wall and CPU limits."""
    if not reference.get("time_limit_s"):
        return limits
    seconds = float(reference["time_limit_s"])
    return replace(limits, wall_s=seconds, cpu_s=max(1, math.ceil(seconds)))


def verify_code_tests(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"tests": str, "entry_point": str (optional), "setup": str (optional),
    "time_limit_s": float (optional, default ``Limits.wall_s``)}``.

    The program is ``setup`` + the extracted code; then the test code runs in the same namespace
    (MBPP-style assert lines, or HumanEval's ``check`` called as ``check(<entry_point>)``).
    Correct iff every test passes.
    """
    name = f"code_tests@{VERSION}"
    program = code_block(completion)
    if program is None:
        return Verdict(False, None, "no_answer", name, "no code found")
    tests = reference["tests"]
    if reference.get("entry_point"):
        tests += f"\n\ncheck({reference['entry_point']})\n"
    source = (reference.get("setup") or "") + "\n" + program + "\n"
    run = execute("tests", {"solution.py": source, "tests.py": tests}, limits=_with_time_limit(limits, reference))
    return Verdict(run.outcome == "passed", program, _reason(run), name, run.error)


def _same_output(actual: str, expected: str, float_tol: float | None) -> bool:
    got, want = actual.split(), expected.split()
    if got == want:
        return True
    if float_tol is None or len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if a == b:
            continue
        try:
            if not math.isclose(float(a), float(b), rel_tol=float_tol, abs_tol=float_tol):
                return False
        except ValueError:
            return False
    return True


def verify_code_stdio(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"cases": [{"input": str, "output": str}, ...], "time_limit_s": float
    (optional), "float_tol": float (optional)}``.

    The program runs once per case with ``input`` on stdin; stdout must equal ``output`` up to
    whitespace (and, with ``float_tol``, numbers within that relative/absolute tolerance).
    Stops at the first failing case. Correct iff all cases pass.
    """
    name = f"code_stdio@{VERSION}"
    program = code_block(completion)
    if program is None:
        return Verdict(False, None, "no_answer", name, "no code found")
    cases = reference["cases"]
    if not cases:
        return Verdict(False, program, "invalid_reference", name, "no test cases")
    limits = _with_time_limit(limits, reference)
    for index, case in enumerate(cases):
        run = execute("script", {"solution.py": program}, stdin=case["input"], limits=limits)
        if run.outcome != "finished":
            return Verdict(False, program, _reason(run), name, f"case {index}: {run.error}")
        if not _same_output(run.stdout, case["output"], reference.get("float_tol")):
            shown = re.sub(r"\s+", " ", run.stdout)[:80]
            return Verdict(False, program, "wrong", name, f"case {index}: got {shown!r}")
    return Verdict(True, program, "ok", name)
