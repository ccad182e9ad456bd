import threading
import time

import pytest

from rpt_core.rewards import KINDS, VerifierInputError, verify, verify_many


def test_math_symbolic_and_numeric_equivalence():
    assert verify("math", "so \\boxed{\\frac{1}{2}}", {"answer": "0.5"}).correct
    assert verify("math", "ANSWER: x^2+2x+1", {"answer": "(x+1)^2"}).correct
    assert verify("math", "#### 1,000", {"answer": "1000"}).correct
    wrong = verify("math", "ANSWER: 3", {"answer": "4"})
    assert (wrong.correct, wrong.reason, wrong.extracted) == (False, "wrong", "3")
    assert verify("math", "<think>ANSWER: 4", {"answer": "4"}).reason == "no_answer"
    assert verify("math", "<think>ANSWER: 3</think>ANSWER: 4", {"answer": "4"}).correct
    assert verify("math", "x", {"answer": "4"}).verifier.startswith("math@")


def test_math_pathological_inputs_end_within_the_timeout():
    for answer in ["(" * 1500 + "1" + ")" * 1500, "9" * 1900 + "^" + "9" * 50, "x^{" * 400 + "2" + "}" * 400]:
        started = time.monotonic()
        verdict = verify("math", f"ANSWER: {answer}", {"answer": "1"})
        assert not verdict.correct
        assert time.monotonic() - started < 15


def test_math_timeout_works_off_the_main_thread():
    results = []
    thread = threading.Thread(target=lambda: results.append(verify("math", "ANSWER: 2^{2^{2^{2^{2^{2}}}}}", {"answer": "7"})))
    thread.start()
    thread.join(30)
    assert results and results[0].correct is False and results[0].reason in ("wrong", "timeout")


def test_code_tests_with_asserts_and_entry_point():
    ok = verify("code_tests", "```python\ndef add(a, b):\n    return a + b\n```", {"tests": "assert add(1, 2) == 3"})
    assert ok.correct and ok.reason == "ok"
    bad = verify("code_tests", "```python\ndef add(a, b):\n    return a - b\n```", {"tests": "assert add(1, 2) == 3"})
    assert (bad.correct, bad.reason) == (False, "wrong")
    check = {"tests": "def check(f):\n    assert f(2) == 4\n", "entry_point": "double", "setup": "import math\n"}
    assert verify("code_tests", "def double(x):\n    return int(math.pow(x, 1)) * 2\n", check).correct
    assert verify("code_tests", "def double(x) return", check).reason == "compile_error"
    assert verify("code_tests", "raise ValueError('x')", check).reason == "runtime_error"
    assert verify("code_tests", "```text\nhi\n```", check).reason == "no_answer"


def test_code_stdio_cases_whitespace_and_float_tolerance():
    program = "```python\na, b = map(float, input().split())\nprint(a / b)\n```"
    ref = {"cases": [{"input": "1 3\n", "output": "0.333333\n"}], "float_tol": 1e-5}
    assert verify("code_stdio", program, ref).correct
    assert not verify("code_stdio", program, {**ref, "float_tol": None}).correct
    echo = "print(' '.join(input().split()))"
    cases = {"cases": [{"input": "a  b\n", "output": "a b"}, {"input": "c\n", "output": "c  \n\n"}]}
    assert verify("code_stdio", echo, cases).correct
    wrong = verify("code_stdio", "print('nope')", cases)
    assert (wrong.correct, wrong.reason) == (False, "wrong") and "case 0" in wrong.detail
    assert verify("code_stdio", "import sys\nprint('a b')\nsys.exit(0)", {"cases": cases["cases"][:1]}).correct
    assert verify("code_stdio", "import sys\nsys.exit(3)", cases).reason == "runtime_error"


def test_choice_label_numeric():
    assert verify("choice", "Answer: (C)", {"answer": "C", "options": list("ABCD")}).correct
    assert verify("choice", "**B**", {"answer": "C", "options": list("ABCD")}).reason == "wrong"
    assert verify("choice", "none", {"answer": "C", "options": list("ABCD")}).reason == "no_answer"
    assert verify("choice", "C", {"answer": "E", "options": list("ABCD")}).reason == "invalid_reference"
    assert verify("label", "<think>yes?</think> The answer is No.", {"answer": "no", "labels": ["yes", "no", "maybe"]}).correct
    assert verify("label", "Refuted", {"answer": "refuted", "labels": ["entailed", "refuted"]}).correct
    assert verify("numeric", "Revenue rose to $1,234.5 million", {"answer": 1234.5}).correct
    assert verify("numeric", "about 100", {"answer": 101, "rel_tol": 0.02}).correct
    assert not verify("numeric", "about 100", {"answer": 101}).correct


def test_bad_kind_and_reference_name_what_is_allowed():
    with pytest.raises(VerifierInputError, match="allowed: math, code_tests"):
        verify("mathh", "x", {"answer": "1"})
    with pytest.raises(VerifierInputError, match=r"lacks \['options'\]"):
        verify("choice", "A", {"answer": "A"})


def test_concurrent_use_from_8_threads_matches_serial():
    items = [
        ("math", "ANSWER: 1/2", {"answer": "0.5"}),
        ("math", "ANSWER: 3", {"answer": "4"}),
        ("code_tests", "def f():\n    return 1", {"tests": "assert f() == 1"}),
        ("code_tests", "def f():\n    while True: pass", {"tests": "assert f() == 1", "time_limit_s": 1}),
        ("code_stdio", "print(input())", {"cases": [{"input": "x", "output": "x"}]}),
        ("choice", "B", {"answer": "B", "options": list("ABCD")}),
        ("label", "maybe", {"answer": "yes", "labels": ["yes", "no", "maybe"]}),
        ("numeric", "42", {"answer": 42}),
        ("text", "\\boxed{Coulomb}", {"answer": "coulomb"}),
    ] * 3
    serial = [(v.correct, v.reason) for v in (verify(*item) for item in items)]
    parallel = [(v.correct, v.reason) for v in verify_many(items, workers=8)]
    assert parallel == serial
    assert serial[:4] == [(True, "ok"), (False, "wrong"), (True, "ok"), (False, "timeout")]
    assert set(KINDS) == {kind for kind, _, _ in items}


@pytest.mark.parametrize("completion, correct, reason", [
    ("The method is \\boxed{Market Approach}.", True, "ok"),
    ("\\boxed{the market approach method}", True, "ok"),          # contains the reference as words
    ("\\boxed{\\text{market  approach}}", True, "ok"),
    ("\\boxed{approach market}", False, "wrong"),                 # word order matters (unlike Math-Verify)
    ("\\boxed{supermarket approaches}", False, "wrong"),          # whole words only
    ("Market Approach", False, "no_answer"),                      # must be boxed or ANSWER:
])
def test_text_verifier_for_free_form_knowledge_answers(completion, correct, reason):
    verdict = verify("text", completion, {"answer": "Market Approach"})
    assert (verdict.correct, verdict.reason, verdict.verifier) == (correct, reason, "text@1.0.0")


def test_text_verifier_compares_numbers_numerically():
    assert verify("text", "ANSWER: 0.050", {"answer": "0.05"}).correct
    assert not verify("text", "ANSWER: 0.06", {"answer": "0.05"}).correct
    assert verify("text", "\\boxed{x}", {"answer": "  "}).reason == "invalid_reference"


def test_plain_number_fast_path_agrees_with_math_verify():
    from rpt_core.rewards.math import _compare

    for answer, gold in [("14", "14.0"), ("15", "14"), ("-3", "3"), ("2.50", "2.5"), ("0.1", "0.10000"), ("7", "-7")]:
        assert verify("math", f"ANSWER: {answer}", {"answer": gold}).correct == _compare(gold, answer), (answer, gold)


def test_verify_many_runs_each_distinct_program_once(monkeypatch):
    """Identical (kind, completion, reference) code samples share one sandboxed run and its
    verdict; another reference or another completion is another run."""
    import rpt_core.rewards as rewards

    runs = []
    real = rewards.VERIFIERS["code_tests"]
    monkeypatch.setitem(rewards.VERIFIERS, "code_tests", lambda c, r: runs.append(c) or real(c, r))
    good, bad = "def f():\n    return 1", "def f():\n    return 2"
    tests = {"tests": "assert f() == 1"}
    items = [("code_tests", good, tests), ("code_tests", bad, tests), ("code_tests", good, dict(tests)),
             ("math", "\\boxed{2}", {"answer": "2"}), ("code_tests", good, {"tests": "assert f() == 2"}),
             ("code_tests", good, tests)]
    monkeypatch.setattr(rewards, "_settled", {})
    verdicts = verify_many(items, workers=2)
    assert sorted(runs) == sorted([good, bad, good])
    assert [v.correct for v in verdicts] == [True, False, True, True, False, True]
    assert verdicts[0] == verdicts[2] == verdicts[5]
    assert verify_many(items, workers=2) == verdicts and len(runs) == 3  # settled in this process


def test_a_harness_failure_is_not_kept_for_later_calls(monkeypatch):
    import rpt_core.rewards as rewards
    from rpt_core.rewards.verdict import Verdict

    runs = []
    failure = Verdict(correct=False, extracted=None, reason="sandbox_error", verifier="code_tests@test")
    monkeypatch.setattr(rewards, "_settled", {})
    monkeypatch.setitem(rewards.VERIFIERS, "code_tests", lambda c, r: runs.append(c) or failure)
    item = ("code_tests", "def f():\n    return 1", {"tests": "assert f() == 1"})
    assert verify_many([item]) == verify_many([item]) == [failure]
    assert len(runs) == 2
