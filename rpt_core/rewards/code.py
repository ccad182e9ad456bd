"""The code verifiers: run the extracted program in the sandbox against tests or stdin cases."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from dataclasses import replace

from .environments import EnvironmentMissing, python_for
from .extract import code_block
from .sandbox import Execution, Limits, execute
from .verdict import VERSION, Verdict

_REASONS = {"failed": "wrong", "finished": "ok", "passed": "ok", "killed": "runtime_error"}


def _reason(execution: Execution) -> str:
    return _REASONS.get(execution.outcome, execution.outcome)


def _limits(limits: Limits, reference: dict) -> Limits:
    """``reference["time_limit_s"]`` sets both the wall and CPU limits; ``reference["memory_mb"]``
    the address-space limit (each only when given)."""
    if reference.get("time_limit_s"):
        seconds = float(reference["time_limit_s"])
        limits = replace(limits, wall_s=seconds, cpu_s=max(1, math.ceil(seconds)))
    if reference.get("memory_mb"):
        limits = replace(limits, memory_mb=int(reference["memory_mb"]))
    return limits


FEEDBACK_CHARS = 4000  # test output kept for a second try (the tail: where unittest puts the failures)


def verify_code_tests(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"tests": str, "entry_point": str, "setup": str, "time_limit_s": float,
    "memory_mb": int, "module": str, "files": {name: text}, "environment": str, "feedback": bool}``,
    all but ``tests`` optional.

    The program is ``setup`` + the extracted code. By default the test code runs in the same
    namespace (MBPP-style assert lines, or HumanEval's ``check`` called as ``check(<entry_point>)``).
    With ``module`` the program is saved as that module and the tests import it, next to the
    helper ``files`` (Exercism test files). ``environment`` names the interpreter of
    :mod:`rpt_core.rewards.environments` the code runs with; a missing one gives ``sandbox_error``.
    With ``feedback`` a failure's detail ends with the tail of the test output (for a second try).
    Correct iff every test passes.
    """
    name = f"code_tests@{VERSION}"
    program = code_block(completion)
    if program is None:
        return Verdict(False, None, "no_answer", name, "no code found")
    try:
        python = python_for(reference.get("environment"))
    except EnvironmentMissing as exc:
        return Verdict(False, program, "sandbox_error", name, str(exc))
    tests = reference["tests"]
    if reference.get("entry_point"):
        tests += f"\n\ncheck({reference['entry_point']})\n"
    source = (reference.get("setup") or "") + "\n" + program + "\n"
    files = {**(reference.get("files") or {}), "solution.py": source, "tests.py": tests}
    run = execute("tests", files, limits=_limits(limits, reference), module=reference.get("module"), python=python)
    detail = run.error
    if reference.get("feedback") and run.outcome != "passed" and run.stderr.strip():
        detail = f"{run.error}\n\n{run.stderr.strip()[-FEEDBACK_CHARS:]}"
    return Verdict(run.outcome == "passed", program, _reason(run), name, detail)


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


def _same_lines_decimal(actual: str, expected: str) -> bool:
    """LiveCodeBench's comparison: both outputs stripped and split into stripped lines; the line
    counts must agree and each line pair must be equal, or equal as whitespace-separated tokens read
    as exact decimals (``1.0`` == ``1``, no tolerance)."""
    got, want = ([line.strip() for line in text.strip().split("\n")] for text in (actual, expected))
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if a == b:
            continue
        try:
            if [Decimal(t) for t in a.split()] != [Decimal(t) for t in b.split()]:
                return False
        except InvalidOperation:
            return False
    return True


COMPARES = ("tokens", "lines_decimal")


def verify_code_stdio(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"cases": [{"input": str, "output": str}, ...], "time_limit_s": float,
    "memory_mb": int, "float_tol": float, "compare": "tokens" | "lines_decimal"}`` (all but
    ``cases`` optional).

    The program runs once per case with ``input`` on stdin. ``compare="tokens"`` (default): stdout
    must equal ``output`` as whitespace-separated tokens (with ``float_tol``, numbers within that
    relative/absolute tolerance). ``"lines_decimal"``: LiveCodeBench's rule
    (:func:`_same_lines_decimal`). Stops at the first failing case. Correct iff all cases pass.
    """
    name = f"code_stdio@{VERSION}"
    program = code_block(completion)
    if program is None:
        return Verdict(False, None, "no_answer", name, "no code found")
    cases = reference["cases"]
    if not cases:
        return Verdict(False, program, "invalid_reference", name, "no test cases")
    compare = reference.get("compare", "tokens")
    if compare not in COMPARES:
        return Verdict(False, program, "invalid_reference", name, f"compare={compare!r}; allowed: {', '.join(COMPARES)}")
    limits = _limits(limits, reference)
    for index, case in enumerate(cases):
        run = execute("script", {"solution.py": program}, stdin=case["input"], limits=limits)
        if run.outcome != "finished":
            return Verdict(False, program, _reason(run), name, f"case {index}: {run.error}")
        same = _same_lines_decimal(run.stdout, case["output"]) if compare == "lines_decimal" else \
            _same_output(run.stdout, case["output"], reference.get("float_tol"))
        if not same:
            shown = re.sub(r"\s+", " ", run.stdout)[:80]
            return Verdict(False, program, "wrong", name, f"case {index}: got {shown!r}")
    return Verdict(True, program, "ok", name)
