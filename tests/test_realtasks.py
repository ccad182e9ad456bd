"""The real-model study's task sets: deterministic, disjoint splits, answers that are right, and each
set's solved examples accepted by the verifier that grades it."""

import pytest

from rpt_core.tasks.realtasks import SETS, SIZES, _FUNCTIONS, build_set, task_messages, write_sets
from rpt_core.items import read_items
from rpt_core.rewards import verify, verify_many


@pytest.mark.parametrize("name", sorted(SIZES))
def test_sets_are_deterministic_disjoint_and_of_the_study_sizes(name):
    built = build_set(name, **SIZES[name])
    assert [len(built["test"]), len(built["train"])] == [SIZES[name]["test"], SIZES[name]["train"]]
    assert build_set(name, **SIZES[name]) == built
    questions = {split: {i.metadata["question"] for i in items} for split, items in built.items()}
    assert not questions["test"] & questions["train"]
    assert len(questions["test"]) == len(built["test"])           # distinct
    domain = SETS[name].domain
    assert {i.domain for i in built["test"]} == {domain} and {i.benchmark for i in built["train"]} == {f"{name}_train"}


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_solved_examples_pass_the_verifier_of_their_set(name):
    task = SETS[name]
    item = build_set(name, test=3, train=0, test_share=0.9)["test"][0]
    assert item.messages == task_messages(task, item.metadata["question"])
    assert [m["role"] for m in item.messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    if task.kind != "code_tests":
        right = f"ANSWER: {item.reference['answer']}"
        assert verify(task.kind, right, item.reference).correct
        assert not verify(task.kind, "ANSWER: 123456", item.reference).correct


def test_knowledge_facts_are_real():
    capitals = {question: answer for question, _, answer in SETS["capitals"].facts()}
    assert capitals["What is the capital of France?"] == "Paris"
    assert capitals["What is the capital of Japan?"] == "Tokyo"
    elements = {question.split()[-1].rstrip("?"): answer for question, _, answer in SETS["elements"].facts()}
    assert elements["Fe"] == "Iron" and elements["Na"] == "Sodium" and elements["Rn"] == "Radon"
    assert "Og" not in elements   # beyond radon: left out (never named right by the base)
    assert verify("text", "ANSWER: Iron.", {"answer": "Iron"}).correct


def test_code_output_answers_are_what_the_program_prints():
    items = build_set("code_output", test=30, train=0, test_share=0.9)["test"]
    for item in items:
        program = item.metadata["question"].split("```python\n")[1].split("\n```")[0]
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(program, {})   # our own generated program, not model output
        assert out.getvalue().strip() == item.reference["answer"]


def test_function_tests_accept_the_intended_function_and_reject_others():
    items = build_set("code_functions", test=40, train=0, test_share=0.9)["test"]
    checks = []
    for item in items:
        name = item.metadata["question"].split("function ")[1].split("(")[0]
        stem, k = name.rsplit("_", 1)
        spec = next(f for f in _FUNCTIONS if f[0] == stem)
        checks.append(("code_tests", f"```python\ndef {name}({spec[1]}):\n    return {spec[3](int(k))}\n```", item.reference))
        checks.append(("code_tests", f"```python\ndef {name}({spec[1]}):\n    return {spec[1]}\n```", item.reference))
    verdicts = verify_many(checks, workers=2)
    assert all(v.correct for v in verdicts[0::2]), [v.reason for v in verdicts[0::2] if not v.correct]
    assert not any(v.correct for v in verdicts[1::2])   # the identity function is never right


def test_bad_sizes_and_names_are_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown task set 'nope'; allowed: word_problems"):
        build_set("nope")
    with pytest.raises(ValueError, match="elements: cannot draw"):
        build_set("elements", test=100, train=100)
    root = write_sets(tmp_path, {"capitals": {"test": 4, "train": 3}})
    assert len(read_items(root / "test" / "capitals.jsonl")) == 4
    assert len(read_items(root / "train" / "capitals_train.jsonl")) == 3
