"""code-100k-rl (uiuc-kang-lab/code-100k-rl, train): the code RL training set.

Columns ``problem`` (str), ``tests`` (JSON string, may be null/empty) and ``data_source`` (includes
``"eurus"``) are confirmed by the authors' mixed-domain script; other columns, if any, are unknown.
Test formats as read by the authors' grader (uiuc-kang-lab/rlvr-noisy-data SkyRL/skyrl-gym/
skyrl_gym/envs/lcb/livecodebench.py, ``compute_score``).

Selection: the authors' mixed run filtered to ``data_source == "eurus"`` and to rows with non-empty
tests without >1000-digit integers (:func:`keep`). Their single-domain 40K script was not found:
``paper_seed`` 42 by analogy with the mixed script, and the single-domain set is NOT restricted to
``data_source == "eurus"`` (the Eurus code pool has only ~26.8K problems): both unconfirmed.

Prompt: one user turn, the ``problem`` followed by :data:`CODE_INSTRUCTION` (a fenced python block)
unless it already shows a python fence; the code verifiers extract the last fenced block.
References: ``tests`` is ``{"inputs": [...], "outputs": [...]}`` (APPS/TACO style, with ``"fn_name"``
for call-based problems) or ``[{"input": ..., "output": ..., "testtype"?, "metadata"?}, ...]``
(LiveCodeBench/DeepCoder style). stdin/stdout tests -> ``code_stdio`` with ``time_limit_s`` 6 (the
authors' per-test timeout); call-based / ``"functional"`` tests -> ``code_tests`` calling the
function (or ``Solution().<fn>``) on each JSON argument list. Deviation: the authors' grader dropped
``fn_name`` and ran call-based problems as stdin programs, so those always scored 0 there.
"""

from __future__ import annotations

import json

from .harness import call_based_tests
from .rows import chat_item
from .task import Source, Task

CODE_INSTRUCTION = "Write Python code to solve the problem. Present the code in\n```python\nYour code\n```\nat the end."
CODE_TIME_LIMIT_S = 6.0        # the authors' per-test timeout (lcb_check_correctness)
CODE_TESTS_MAX_TIME_S = 60.0   # cap for a call-based suite (one sandbox run for all its cases)
GIANT_INT_DIGITS = 1000        # the authors drop code rows whose tests hold a longer integer


class _GiantInt(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > GIANT_INT_DIGITS:
        raise _GiantInt(text[:20])
    return int(text)


def parse_tests(raw):
    """The ``tests`` value as Python data; raises ``ValueError`` when it is missing, not JSON, or holds
    an integer longer than :data:`GIANT_INT_DIGITS` digits (the authors' drop rules)."""
    if raw is None or (isinstance(raw, (str, list, dict)) and len(raw) == 0):
        raise ValueError("no tests")
    if isinstance(raw, str):
        return json.loads(raw, parse_int=_parse_int)
    if _has_giant_int(raw):
        raise _GiantInt("giant integer")
    return raw


def _has_giant_int(obj) -> bool:
    if isinstance(obj, int) and not isinstance(obj, bool):
        return len(str(abs(obj))) > GIANT_INT_DIGITS
    if isinstance(obj, (list, tuple)):
        return any(_has_giant_int(x) for x in obj)
    if isinstance(obj, dict):
        return any(_has_giant_int(v) for v in obj.values())
    return False


def keep(row: dict) -> bool:
    """The authors' drop rules: tests missing/empty or holding a >1000-digit integer."""
    try:
        parse_tests(row.get("tests"))
    except (ValueError, TypeError, RecursionError):
        return False
    return True


def _text(value) -> str:
    """A stdin/stdout value as text: lists are lines, other values ``str``."""
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return value if isinstance(value, str) else str(value)


def normalize(task, index: int, row: dict):
    """problem + tests (JSON) -> ``code_stdio`` (stdin/stdout) or ``code_tests`` (call-based)."""
    problem = row.get("problem")
    try:
        tests = parse_tests(row.get("tests"))
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(problem, str) or not problem.strip():
        return None
    text = problem if "```python" in problem else problem + "\n" + CODE_INSTRUCTION
    chat = [{"role": "user", "content": text}]
    meta = {k: v for k, v in {"data_source": row.get("data_source")}.items() if v is not None}

    if isinstance(tests, dict):                      # APPS/TACO: {"inputs", "outputs"[, "fn_name"]}
        fmt, fn_name = "inputs_outputs", tests.get("fn_name") or None
        pairs = list(zip(tests.get("inputs") or [], tests.get("outputs") or []))
        calls = [(a if isinstance(a, list) else [a], w) for a, w in pairs] if fn_name else []
    elif isinstance(tests, list) and all(isinstance(t, dict) and "input" in t and "output" in t for t in tests):
        fmt, fn_name = "case_list", None            # LiveCodeBench/DeepCoder: [{"input", "output", ...}]
        pairs = [(t["input"], t["output"]) for t in tests]
        functional = [t for t in tests if t.get("testtype") == "functional"]
        calls = []
        if functional:
            fn_name = (functional[0].get("metadata") or {}).get("func_name")
            if not fn_name:
                return None
            try:
                calls = [([json.loads(line) for line in _text(i).split("\n") if line.strip()], json.loads(_text(o)))
                         for i, o in pairs]
            except ValueError:
                return None
    else:
        return None
    if not pairs:
        return None
    if fn_name:
        limit = min(CODE_TESTS_MAX_TIME_S, CODE_TIME_LIMIT_S * len(calls))
        return chat_item(task, index, chat, "code_tests",
                         {"tests": call_based_tests(fn_name, calls), "time_limit_s": limit},
                         test_format=fmt, fn_name=fn_name, n_cases=len(calls), **meta)
    found = [{"input": _text(i), "output": _text(o)} for i, o in pairs]
    return chat_item(task, index, chat, "code_stdio", {"cases": found, "time_limit_s": CODE_TIME_LIMIT_S},
                     test_format=fmt, n_cases=len(found), **meta)


TASK = Task("code-100k-rl", "code", Source("hub", "uiuc-kang-lab/code-100k-rl", split="train"), 40_000, 1,
            "problem + CODE_INSTRUCTION", "code_stdio/code_tests", normalize, role="training", keep=keep,
            mixed_data_sources=("eurus",), module=__name__,
            notes="problem/tests/data_source; other columns unknown; single-domain selection unconfirmed")
