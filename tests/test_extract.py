import pytest

from rpt_core.rewards import extract


def test_think_blocks_are_removed_and_unterminated_means_missing():
    assert extract.strip_think("<think>a</think>b") == "b"
    assert extract.strip_think("<think>reasoning ANSWER: 3") is None
    assert extract.strip_think("prompt-side reasoning</think>final") == "final"


@pytest.mark.parametrize("text,answer", [
    ("so \\boxed{\\frac{1}{2}} done", "\\frac{1}{2}"),
    ("first \\boxed{1} then \\boxed{2}", "2"),
    ("\\boxed{a} ... ANSWER: 7", "7"),
    ("ANSWER: 7\n... \\boxed{\\{1,2\\}}", "\\{1,2\\}"),
    ("blah\n#### 1,234", "1,234"),
    ("**Answer:** $42$.", "42"),
    ("no final answer here 12", None),
])
def test_math_answer_last_marked_candidate_wins(text, answer):
    assert extract.math_answer(text) == answer


def test_code_block_prefers_last_python_fence_and_accepts_truncated_fence():
    text = "```python\na = 1\n```\ntext\n```python\nb = 2\n```"
    assert extract.code_block(text) == "b = 2"
    assert extract.code_block("```python\ndef f():\n    return 1") == "def f():\n    return 1"
    assert extract.code_block("def f():\n    return 1\n") == "def f():\n    return 1"
    assert extract.code_block("```text\nnot code\n```") is None


@pytest.mark.parametrize("text,letter", [
    ("Answer: (C)", "C"), ("**C**", "C"), ("The answer is C.", "C"), ("I think B.\nThe answer is D", "D"),
    ("\\boxed{B}", "B"), ("A patient presents...\nB", "B"), ("C) because", "C"), ("nothing", None),
    ("answer: e", None),
])
def test_choice_letter(text, letter):
    assert extract.choice_letter(text, ["A", "B", "C", "D"]) == letter


def test_label_prefers_longer_labels_and_last_mention():
    labels = ["entailed", "not entailed"]
    assert extract.label("It is not entailed", labels) == "not entailed"
    assert extract.label("Yes... wait, no. Answer: MAYBE", ["yes", "no", "maybe"]) == "maybe"
    assert extract.label("yes or no? no", ["yes", "no", "maybe"]) == "no"
    assert extract.label("nothing", ["yes", "no"]) is None


@pytest.mark.parametrize("text,value", [
    ("The total is $1,234.50.", 1234.5), ("Answer: -3 apples, not 5", -3.0), ("growth of 12%", 12.0),
    ("\\boxed{0.25} and later 7", 0.25), ("x = .5", 0.5), ("none", None),
])
def test_number(text, value):
    assert extract.number(text) == value
