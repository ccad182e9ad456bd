"""LiveCodeBench (livecodebench/code_generation_lite): its release files read directly (the lite
dataset is script-only); stdin problems -> ``code_stdio``, functional (LeetCode) ones -> ``code_tests``,
both graded as LiveCodeBench's harness does unless option ``judge="strict"``."""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import zlib
from datetime import datetime

from .harness import json_lines_call_tests
from .prompting import render
from .rows import cases, item, json_or
from .task import Source, Task

_INTRO = ("You are an expert Python programmer. You will be given a question (problem specification) and "
          "will generate a correct Python program that matches the specification and passes all tests.\n\n"
          "### Question:\n{statement}\n\n")
_ANSWER = "### Answer: (use the provided format with backticks)"
# LiveCodeBench's own harness prompt (its system message leads the single user turn).
PROMPT = (_INTRO + "### Format: Read the inputs from stdin solve the problem and write the answer to "
          "stdout (do not directly test on the sample inputs). Enclose your code within delimiters as "
          "follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm "
          "and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n" + _ANSWER)
STARTER_PROMPT = (_INTRO + "### Format: You will use the following starter code to write the solution to "
                  "the problem and enclose your code within delimiters.\n```python\n{starter_code}\n```\n\n"
                  + _ANSWER)

RELEASES = 6  # test.jsonl, test2.jsonl .. test6.jsonl
# What LiveCodeBench's harness puts before every solution (stdin and functional): these modules
# star-imported and imported, in this order, a recursion limit of 50,000; its grader process also
# allows 50,000-digit integer strings.
_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics",
            "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
SETUP = ("".join(f"from {m} import *\n" for m in _MODULES)
         + "".join(f"import {m}\n" for m in _MODULES if m not in ("builtins", "typing"))
         + "sys.setrecursionlimit(50000)\nsys.set_int_max_str_digits(50000)\n")
CASE_SECONDS = 6   # its per-test-case alarm (lcb_runner's --timeout default)


def release_files(release: str) -> list[str]:
    """Release files of ``livecodebench/code_generation_lite`` for a version tag: ``release_vN``
    (cumulative: test.jsonl .. testN.jsonl), ``release_latest`` (= release_v6), ``vN`` (that
    release's file only) or ``vA_vB`` (releases A..B)."""
    name = lambda n: "test.jsonl" if n == 1 else f"test{n}.jsonl"  # noqa: E731
    match = re.fullmatch(r"release_v(\d)|release_latest|v(\d)|v(\d)_v(\d)", release)
    if match:
        if release == "release_latest":
            first, last = 1, RELEASES
        elif match.group(1):
            first, last = 1, int(match.group(1))
        elif match.group(2):
            first = last = int(match.group(2))
        else:
            first, last = int(match.group(3)), int(match.group(4))
        if 1 <= first <= last <= RELEASES:
            return [name(n) for n in range(first, last + 1)]
    raise ValueError(f"livecodebench: unknown release {release!r}; allowed: release_v1..release_v"
                     f"{RELEASES}, release_latest, v1..v{RELEASES}, vA_vB (A < B)")


class _StringsOnly(pickle.Unpickler):
    """LiveCodeBench pickles a plain JSON string; refuse anything that would import code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


def decode_test_cases(value) -> list[dict]:
    """LiveCodeBench test cases: a JSON list, or base64(zlib(pickle(JSON string))) for private tests."""
    if not value:
        return []
    if isinstance(value, list):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raw = zlib.decompress(base64.b64decode(value.encode("utf-8")))
        return json.loads(_StringsOnly(io.BytesIO(raw)).load())


def normalize(task, rows):
    """livecodebench/code_generation_lite release files (every field a string): question_title,
    question_content, platform, question_id, contest_id, contest_date (ISO, ``2023-08-21T00:00:00``),
    starter_code, difficulty, public_test_cases (JSON), private_test_cases (JSON or compressed),
    metadata (JSON, ``func_name`` for functional problems).

    Options ``start_date``/``end_date`` (``YYYY-MM-DD``, inclusive, as the LiveCodeBench runner)
    keep the problems whose contest falls in the window. Prompts follow the LiveCodeBench harness,
    and so does grading with option ``judge="upstream"`` (default): its code extraction
    (:func:`rpt_core.rewards.extract.lcb_code`), its preamble (:data:`SETUP`), ``SystemExit``
    ignored, a per-case alarm for call-based problems whose inputs are split on every newline.
    ``judge="strict"``: our judge (the last code block, exit codes count, blank input lines skipped).
    stdin problems -> ``code_stdio`` graded as LiveCodeBench does (stripped lines, numeric tokens
    compared exactly as decimals); functional (LeetCode) problems -> ``code_tests`` that call
    ``Solution().<func_name>(*args)`` (or the bare function) with each JSON-per-line input and
    compare to the JSON output (a tuple counts as a list)."""
    window = [_date(task, task.options.get(k), k) for k in ("start_date", "end_date")]
    if task.options["judge"] not in ("upstream", "strict"):
        raise ValueError(f"livecodebench: option judge={task.options['judge']!r}; allowed: upstream, strict")
    strict = task.options["judge"] == "strict"
    judge = {} if strict else {"extract": "lcb"}
    items = []
    for r in rows:
        contest = datetime.fromisoformat(str(r["contest_date"]))
        if (window[0] and contest < window[0]) or (window[1] and contest > window[1]):
            continue
        found = decode_test_cases(r["public_test_cases"]) + decode_test_cases(r.get("private_test_cases"))
        func = json_or(r.get("metadata"), {}).get("func_name")
        meta = dict(platform=r.get("platform"), difficulty=r.get("difficulty"), contest_date=str(r.get("contest_date")),
                    title=r.get("question_title"))
        if func or any(c.get("testtype") == "functional" for c in found):
            text = render(STARTER_PROMPT, statement=r["question_content"], starter_code=r["starter_code"])
            pairs = [(c["input"], c["output"]) for c in found]
            tests = json_lines_call_tests(func, pairs, CASE_SECONDS, skip_blank_lines=strict)
            reference = {"tests": tests, "setup": SETUP, "time_limit_s": (CASE_SECONDS + 1) * len(pairs) + 5}
            items.append(item(task, r["question_id"], text, "code_tests", {**reference, **judge}, **meta))
        else:
            text = render(task.prompt, statement=r["question_content"])
            reference = {"cases": cases(found), "time_limit_s": task.time_limit_s, "compare": "lines_decimal",
                         "setup": SETUP}
            items.append(item(task, r["question_id"], text, "code_stdio",
                              {**reference, **judge, **({} if strict else {"driver": "lcb"})}, **meta))
    return items


def _date(task, value, name) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"{task.name}: option {name}={value!r} is not a date; expected YYYY-MM-DD") from None


TASK = Task("livecodebench", "code",
            Source("hub_files", "livecodebench/code_generation_lite",
                   layout="the release files of livecodebench/code_generation_lite (test.jsonl, test2.jsonl "
                          ".. test6.jsonl; every file the release needs), or a parquet mirror's folder named "
                          "after the release, e.g. <data_dir>/livecodebench/release_v5/"),
            None, 1, PROMPT, "code_stdio/code_tests", normalize, time_limit_s=6.0,
            files=lambda task: release_files(task.options["release"]), module=__name__,
            notes="paper: livecodebench/code_generation, date window (?); the lite dataset is script-only, "
                  "its release files are read directly; functional (LeetCode) problems become code_tests",
            options={"release": "release_v5", "start_date": None, "end_date": None, "judge": "upstream"})
