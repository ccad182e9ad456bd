"""The code verifiers: run the extracted program in the sandbox against tests or stdin cases."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from dataclasses import fields, replace

from ..tasks.environment import EnvironmentMissing
from .extract import CODE_EXTRACTORS
from .sandbox import Execution, Limits, execute
from .verdict import VERSION, Verdict

_REASONS = {"failed": "wrong", "finished": "ok", "passed": "ok", "killed": "runtime_error"}


def _reason(execution: Execution) -> str:
    return _REASONS.get(execution.outcome, execution.outcome)


LIMIT_FIELDS = tuple(f.name for f in fields(Limits))


def _limits(limits: Limits, reference: dict) -> Limits:
    """``reference["time_limit_s"]`` sets both the wall and CPU limits; ``reference["memory_mb"]``
    the address-space limit; ``reference["limits"]`` (``{field: value}``, any :class:`Limits`
    field) overrides the rest, e.g. a benchmark whose upstream harness allows more threads (each
    only when given). Raises ``ValueError`` for an unknown field."""
    if reference.get("time_limit_s"):
        seconds = float(reference["time_limit_s"])
        limits = replace(limits, wall_s=seconds, cpu_s=max(1, math.ceil(seconds)))
    if reference.get("memory_mb"):
        limits = replace(limits, memory_mb=int(reference["memory_mb"]))
    overrides = reference.get("limits") or {}
    unknown = sorted(set(overrides) - set(LIMIT_FIELDS))
    if unknown:
        raise ValueError(f"reference limits: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(LIMIT_FIELDS)}")
    return replace(limits, **overrides)


FEEDBACK_CHARS = 4000  # test output kept for a second try (the tail: where unittest puts the failures)


def _program(completion: str, reference: dict) -> str | None:
    """The code of ``completion`` by the reference's ``extract`` rule (:data:`CODE_EXTRACTORS`,
    default ``last_block``). Raises ``ValueError`` for an unknown rule."""
    rule = reference.get("extract", "last_block")
    if rule not in CODE_EXTRACTORS:
        raise ValueError(f"extract={rule!r}; allowed: {', '.join(CODE_EXTRACTORS)}")
    return CODE_EXTRACTORS[rule](completion)


def _prepared(completion: str, reference: dict, limits: Limits, name: str) -> tuple[str | None, Limits, Verdict | None]:
    """(program, limits, None), or a verdict when there is no program or the reference is malformed."""
    try:
        program, limits = _program(completion, reference), _limits(limits, reference)
    except ValueError as exc:
        return None, limits, Verdict(False, None, "invalid_reference", name, str(exc))
    if program is None:
        return None, limits, Verdict(False, None, "no_answer", name, "no code found")
    return program, limits, None


def verify_code_tests(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"tests": str, "entry_point": str, "setup": str, "time_limit_s": float,
    "memory_mb": int, "limits": {field: value}, "extract": str, "module": str, "files": {name: text},
    "environment": str, "feedback": bool}``, all but ``tests`` optional.

    The program is ``setup`` + the extracted code. By default the test code runs in the same
    namespace (MBPP-style assert lines, or HumanEval's ``check`` called as ``check(<entry_point>)``).
    With ``module`` the program is saved as that module and the tests import it, next to the
    helper ``files`` (Exercism test files). ``environment`` names the interpreter of
    :mod:`rpt_core.tasks.environment` the code runs with; a missing one gives ``sandbox_error``.
    With ``feedback`` a failure's detail ends with the tail of the test output (for a second try).
    Correct iff every test passes.
    """
    name = f"code_tests@{VERSION}"
    program, limits, problem = _prepared(completion, reference, limits, name)
    if problem:
        return problem
    try:
        from ..tasks import python_for
        python = python_for(reference.get("environment"))
    except EnvironmentMissing as exc:
        return Verdict(False, program, "sandbox_error", name, str(exc))
    tests = reference["tests"]
    if reference.get("entry_point"):
        tests += f"\n\ncheck({reference['entry_point']})\n"
    source = (reference.get("setup") or "") + "\n" + program + "\n"
    files = {**(reference.get("files") or {}), "solution.py": source, "tests.py": tests}
    run = execute("tests", files, limits=limits, module=reference.get("module"), python=python)
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


def _same_stripped(actual: str, expected: str) -> bool:
    """USACOBench's comparison: the whole outputs, stripped, are equal (inner whitespace counts)."""
    return actual.strip() == expected.strip()


COMPARES = {"tokens": None, "lines_decimal": _same_lines_decimal, "stripped_exact": _same_stripped}

# How a stdin program is run. ``script``: as ``__main__``, a non-zero exit is a runtime error. The
# others run it the way a benchmark's own judge does (the program's text executed in a fresh
# ``__main__`` namespace): ``lcb`` ignores ``SystemExit`` whatever its code (LiveCodeBench),
# ``exit_is_error`` makes any ``SystemExit``, ``exit()`` or ``quit()`` a runtime error (USACOBench).
_DRIVER = """import sys as _sys
_source = {source!r}
try:
    exec(compile(_source, "solution.py", "exec"), {{"__name__": "__main__"}})
except SystemExit as _exit:
{on_exit}
"""
_ON_EXIT = {
    "lcb": "    pass",
    "exit_is_error": "    _sys.stdout.flush()\n    print(f'SystemExit({_exit.code!r}): a runtime error for this judge', file=_sys.stderr)\n"
             "    _sys.exit(1)",
}
DRIVERS = ("script", *_ON_EXIT)


def verify_code_stdio(completion: str, reference: dict, limits: Limits = Limits()) -> Verdict:
    """reference: ``{"cases": [{"input": str, "output": str}, ...], "time_limit_s": float,
    "memory_mb": int, "limits": {field: value}, "float_tol": float, "compare": str, "setup": str,
    "driver": str, "extract": str}`` (all but ``cases`` optional).

    The program (``setup`` + the extracted code) runs once per case with ``input`` on stdin, as
    ``driver`` says (:data:`DRIVERS`, default ``script``). ``compare="tokens"`` (default): stdout
    must equal ``output`` as whitespace-separated tokens (with ``float_tol``, numbers within that
    relative/absolute tolerance). ``"lines_decimal"``: LiveCodeBench's rule
    (:func:`_same_lines_decimal`); ``"stripped_exact"``: USACOBench's (:func:`_same_stripped`).
    Stops at the first failing case. Correct iff all cases pass.
    """
    name = f"code_stdio@{VERSION}"
    program, limits, problem = _prepared(completion, reference, limits, name)
    if problem:
        return problem
    cases = reference["cases"]
    if not cases:
        return Verdict(False, program, "invalid_reference", name, "no test cases")
    compare, driver = reference.get("compare", "tokens"), reference.get("driver", "script")
    if compare not in COMPARES or driver not in DRIVERS:
        return Verdict(False, program, "invalid_reference", name, f"compare={compare!r}, driver={driver!r}; allowed: "
                       f"compare {', '.join(COMPARES)}; driver {', '.join(DRIVERS)}")
    source = (reference["setup"] + "\n" + program) if reference.get("setup") else program
    if driver != "script":
        source = _DRIVER.format(source=source, on_exit=_ON_EXIT[driver])
    same = COMPARES[compare] or (lambda got, want: _same_output(got, want, reference.get("float_tol")))
    for index, case in enumerate(cases):
        run = execute("script", {"solution.py": source}, stdin=case["input"], limits=limits)
        if run.outcome != "finished":
            return Verdict(False, program, _reason(run), name, f"case {index}: {run.error}")
        if not same(run.stdout, case["output"]):
            shown = re.sub(r"\s+", " ", run.stdout)[:80]
            return Verdict(False, program, "wrong", name, f"case {index}: got {shown!r}")
    return Verdict(True, program, "ok", name)
