"""RLVR training-set loaders, offline: fixtures in each hub dataset's own schema under
tests/fixtures/training/<name>/data/<split>-00000-of-00001.parquet (rows written for the tests)."""

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rpt_core.tasks import TRAINING_SETS as ALL_TRAINING_SETS
from rpt_core.tasks import BenchmarkUnavailable, Task, TrainingSetUnavailable
from rpt_core.tasks.code_100k_rl import CODE_INSTRUCTION, parse_tests
from rpt_core.tasks.eurus_2_math_100k import MATH_INSTRUCTION
from rpt_core.tasks.mlvr_100k_rl import MLVR_INSTRUCTION, MLVR_SYSTEM_PROMPT
from rpt_core.tasks.selection import (DOMAIN_ALIASES, load_training_set, mixed_training_set, training_set,
                                      training_set_hash)
from rpt_core.items import Item, write_items
from rpt_core.rewards import KINDS, check_input, verify

TRAINING_SETS = {n: t for n, t in ALL_TRAINING_SETS.items() if t.build is None}   # the paper's, read from the hub

FIXTURES = Path(__file__).parent / "fixtures" / "training"
NAMES = ["eurus-2-math-100k", "code-100k-rl", "mlvr-100k-rl"]


def fence(code: str) -> str:
    return f"<think>\nLet me write it.\n</think>\nHere is my solution.\n```python\n{code}\n```"


def load(name, **kwargs):
    kwargs.setdefault("seed", None)
    return load_training_set(name, data_dir=FIXTURES, **kwargs)


# ------------------------------------------------------------------------------------- registry

def test_registry_declares_the_three_sets():
    assert list(TRAINING_SETS) == NAMES
    assert all(t.build is not None for n, t in ALL_TRAINING_SETS.items() if n not in NAMES)  # the rest: in memory
    assert {s.source.path for s in TRAINING_SETS.values()} == {f"uiuc-kang-lab/{n}" for n in NAMES}
    assert [TRAINING_SETS[n].domain for n in NAMES] == ["math", "code", "knowledge"]
    for spec in TRAINING_SETS.values():
        assert isinstance(spec, Task) and spec.split == "train" and spec.size == 40_000
        assert set(spec.verifier_kinds) <= set(KINDS)
        assert callable(spec.normalize) and callable(spec.keep)
    assert TRAINING_SETS["eurus-2-math-100k"].paper_seed is None  # the authors took the first 40K in order
    assert TRAINING_SETS["code-100k-rl"].mixed_data_sources == ("eurus",)
    assert {a: training_set(a).name for a in DOMAIN_ALIASES} == dict(zip(["math", "code", "knowledge"], NAMES))


def test_unknown_name_lists_the_allowed_ones():
    with pytest.raises(KeyError) as caught:
        load_training_set("gsm8k", data_dir=FIXTURES)
    assert all(name in str(caught.value) for name in NAMES + ["math", "code", "knowledge"])
    with pytest.raises(KeyError, match="eurus-2-math-100k"):
        mixed_training_set(["math", "nope"], data_dir=FIXTURES)


# ------------------------------------------------------------------------------------- each loader

@pytest.mark.parametrize("name", NAMES)
def test_items_are_well_formed(name):
    spec = TRAINING_SETS[name]
    items = load(name)
    assert len(items) >= 5 and len({i.id for i in items}) == len(items)
    for item in items:
        assert isinstance(item, Item) and item.benchmark == name and item.domain == spec.domain
        assert item.kind in spec.verifier_kinds
        check_input(item.kind, "", item.reference)
        assert item.messages[-1]["role"] == "user" and item.prompt == item.messages[-1]["content"]
        assert all(set(m) == {"role", "content"} for m in item.messages)
        assert Item.from_dict(item.to_dict()) == item


def test_math_items_keep_the_eurus_prompt_and_grade_boxed_answers():
    items = load("math")
    assert [i.id for i in items] == ["0", "1", "2", "3", "4"]  # row 5 has no reference answer
    assert [m["role"] for m in items[0].messages] == ["system", "user"]
    assert items[0].messages[1]["content"] == "Compute $3^4 - 2^5$.\n\n" + MATH_INSTRUCTION
    assert items[4].prompt.endswith("\n\n" + MATH_INSTRUCTION)  # instruction added where the row lacked it
    assert [i.reference["answer"] for i in items[:3]] == ["49", "\\frac{3}{4}", "2\\sqrt{2}"]
    assert items[0].metadata == {"data_source": "numina_synthetic_math", "ability": "math", "source_index": 9101,
                                 "source_split": "train"}
    assert verify(items[0].kind, "81 - 32 = 49, so the answer is \\boxed{49}.", items[0].reference).correct
    assert not verify(items[0].kind, "\\boxed{48}", items[0].reference).correct
    assert verify(items[1].kind, "<think>18/24 = 0.75</think> \\boxed{0.75}", items[1].reference).correct
    assert verify(items[2].kind, "\\boxed{\\sqrt{8}}", items[2].reference).correct


def test_split_selection_uses_files_naming_the_split():
    assert [i.reference["answer"] for i in load("math", split="validation")] == ["121", "13"]


def test_code_items_stdin_and_call_based_tests_run_in_the_sandbox():
    items = {i.id: i for i in load("code")}
    assert list(items) == ["0", "1", "2", "3", "6"]  # row 4 has no tests, row 5 a >1000-digit integer
    stdio, call = items["0"], items["1"]
    assert stdio.kind == "code_stdio" and stdio.reference == {
        "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "10 -3\n", "output": "7\n"}], "time_limit_s": 6.0}
    assert stdio.prompt.endswith("\n" + CODE_INSTRUCTION) and stdio.messages[0]["role"] == "user"
    assert items["2"].kind == "code_stdio" and items["2"].reference["cases"][1] == {"input": "xy\n", "output": "yx\n"}
    assert items["3"].kind == "code_tests" and items["3"].metadata["fn_name"] == "sumLastK"
    assert CODE_INSTRUCTION not in items["3"].prompt  # the problem already shows a python fence
    assert call.kind == "code_tests" and call.metadata["n_cases"] == 3

    assert verify(stdio.kind, fence("a, b = map(int, input().split())\nprint(a + b)"), stdio.reference).correct
    assert not verify(stdio.kind, fence("a, b = map(int, input().split())\nprint(a - b)"), stdio.reference).correct
    digits = "def add_digits(num):\n    while num >= 10:\n        num = sum(map(int, str(num)))\n    return num"
    assert verify(call.kind, fence(digits), call.reference).correct
    wrong = verify(call.kind, fence("def add_digits(num):\n    return num % 10"), call.reference)
    assert not wrong.correct and wrong.reason == "wrong"


def test_code_data_source_filter():
    assert [i.id for i in load("code", data_sources=["eurus"])] == ["0", "1", "6"]
    assert [i.metadata["data_source"] for i in load("code", data_sources=("lcbv5",))] == ["lcbv5"]


def test_parse_tests_applies_the_authors_drop_rules():
    assert parse_tests('{"inputs": ["1"], "outputs": ["2"]}') == {"inputs": ["1"], "outputs": ["2"]}
    for bad in (None, "", "[", "[" + "9" * 1001 + "]", [10 ** 1001]):
        with pytest.raises(ValueError):
            parse_tests(bad)
    assert parse_tests("[" + "9" * 1000 + "]") == [int("9" * 1000)]


def test_knowledge_items_use_the_authors_prompt_and_free_form_answers():
    items = load("knowledge")
    assert [i.kind for i in items] == ["text", "math", "choice", "text", "text", "text"]
    first = items[0]
    assert first.messages[0] == {"role": "system", "content": MLVR_SYSTEM_PROMPT}
    assert first.prompt == "Which organelle of a eukaryotic cell produces most of its ATP?\n" + MLVR_INSTRUCTION
    assert verify(first.kind, "It is the powerhouse.\n\\boxed{Mitochondria}", first.reference).correct
    assert verify(first.kind, "\\boxed{mitochondria}", first.reference).correct
    assert not verify(first.kind, "\\boxed{Chloroplast}", first.reference).correct
    assert verify(items[1].kind, "\\boxed{\\frac{1}{4}}", items[1].reference).correct
    assert not verify(items[1].kind, "\\boxed{0.2}", items[1].reference).correct
    choice = items[2]
    assert choice.reference == {"answer": "B", "options": ["A", "B", "C", "D"]}
    assert verify(choice.kind, "Argon is inert. \\boxed{B}", choice.reference).correct
    assert not verify(choice.kind, "\\boxed{C}", choice.reference).correct
    assert not verify(items[3].kind, "\\boxed{Income approach}", items[3].reference).correct


# ------------------------------------------------------------------------------------- selection

def test_seed_none_keeps_source_order_and_size_takes_a_prefix():
    full = load("knowledge")
    assert [i.id for i in full] == ["0", "1", "2", "3", "4", "5"]
    assert load("knowledge", size=2) == full[:2]
    assert load("knowledge", size=0) == []
    assert len(load("knowledge", size=100)) == 6  # fewer rows than asked: all of them


def test_seed_is_the_datasets_shuffle_permutation_and_deterministic():
    datasets = pytest.importorskip("datasets")
    for seed in (0, 1, 42):
        shuffled = load("knowledge", seed=seed)
        assert shuffled == load("knowledge", seed=seed)
        expected = datasets.Dataset.from_dict({"i": [str(i) for i in range(6)]}).shuffle(seed=seed)["i"]
        assert [i.id for i in shuffled] == list(expected)
        assert load("knowledge", seed=seed, size=3) == shuffled[:3]
    assert [i.id for i in load("knowledge", seed=0)] != [i.id for i in load("knowledge", seed=1)]
    # the permutation runs over the rows the keep rules leave (code: 5 of 7), ids stay source positions
    kept = ["0", "1", "2", "3", "6"]
    assert [i.id for i in load("code", seed=3)] == [kept[j] for j in np.random.default_rng(3).permutation(5)]


def test_default_size_and_seed(monkeypatch):
    monkeypatch.setenv("RPT_DATA_DIR", str(FIXTURES))
    assert load_training_set("mlvr-100k-rl") == load_training_set("knowledge", size=40_000, seed=0)


# ------------------------------------------------------------------------------------- mixed set

def test_mixed_set_composition_and_per_row_kind():
    mixed = mixed_training_set(["math", "code", "knowledge"], per_domain=2, data_dir=FIXTURES, seed=42)
    assert Counter(i.benchmark for i in mixed) == {n: 2 for n in NAMES}
    assert len({(i.benchmark, i.id) for i in mixed}) == 6
    for item in mixed:
        spec = TRAINING_SETS[item.benchmark]
        assert item.domain == spec.domain and item.kind in spec.verifier_kinds
        check_input(item.kind, "", item.reference)
    assert {i.metadata["data_source"] for i in mixed if i.domain == "code"} == {"eurus"}
    # the authors' recipe: each set shuffled (seed) and cut, concatenated, shuffled again (seed)
    parts = [load_training_set(n, data_dir=FIXTURES, size=2, seed=42, data_sources=TRAINING_SETS[n].mixed_data_sources)
             for n in NAMES]
    combined = parts[0] + parts[1] + parts[2]
    assert mixed == [combined[j] for j in np.random.default_rng(42).permutation(6)]
    assert mixed == mixed_training_set(per_domain=2, data_dir=FIXTURES, seed=42)  # default names: all three


def test_mixed_set_round_robin_without_seed_and_short_domains():
    mixed = mixed_training_set(per_domain=4, data_dir=FIXTURES, seed=None)
    assert [i.domain for i in mixed] == ["math", "code", "knowledge"] * 3 + ["math", "knowledge"]
    assert [i.id for i in mixed if i.domain == "code"] == ["0", "1", "6"]  # only 3 eurus rows exist
    with pytest.raises(ValueError, match="duplicate"):
        mixed_training_set(["math", "eurus-2-math-100k"], data_dir=FIXTURES)


# ------------------------------------------------------------------------------------- hash

def test_training_set_hash_is_stable_and_order_sensitive(tmp_path):
    items = load("math")
    digest = training_set_hash(items)
    assert len(digest) == 64 and digest == training_set_hash(load("math"))
    assert digest != training_set_hash(list(reversed(items))) and digest != training_set_hash(items[:-1])
    assert training_set_hash([]) == hashlib.sha256(b"").hexdigest()
    # the same bytes as the project's items jsonl
    assert digest == hashlib.sha256(write_items(tmp_path / "items.jsonl", items).read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------- missing data

def test_missing_local_copy_says_what_to_provide(tmp_path):
    with pytest.raises(TrainingSetUnavailable) as caught:
        load_training_set("math", data_dir=tmp_path)
    message = str(caught.value)
    assert isinstance(caught.value, BenchmarkUnavailable)
    for part in ("'eurus-2-math-100k'", "no local copy", "data_dir", "RPT_DATA_DIR",
                 "<data_dir>/eurus-2-math-100k/data/train-00000-of-00001.parquet", "jsonl",
                 "uiuc-kang-lab/eurus-2-math-100k"):
        assert part in message, part
    (tmp_path / "code-100k-rl").mkdir()
    with pytest.raises(TrainingSetUnavailable, match="no .parquet/.jsonl/.json rows"):
        load_training_set("code", data_dir=tmp_path)


def test_unreachable_hub_raises_unavailable(monkeypatch):
    monkeypatch.delenv("RPT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(TrainingSetUnavailable, match="hub:uiuc-kang-lab/mlvr-100k-rl/train"):
        load_training_set("knowledge", size=1)


def test_seed_paper_is_the_authors_selection_and_only_for_hub_sets(tmp_path):
    from rpt_core.config import ConfigError, load_train_config
    from rpt_core.train import training_items

    def items(sets, seed, size=3):
        return training_items(load_train_config({"model": {"path": "m"}, "out_dir": str(tmp_path),
                                                 "data": {"sets": sets, "size": size, "seed": seed,
                                                          "data_dir": str(FIXTURES)}}))

    ids = lambda found: [i.id for i in found]
    assert ids(items(["math"], "paper")) == ids(load_training_set("math", data_dir=FIXTURES, size=3, seed=None))
    assert ids(items(["code"], "paper")) == ids(load_training_set("code", data_dir=FIXTURES, size=3, seed=42))
    assert ids(items(["math", "code"], "paper", 2)) == ids(mixed_training_set(["math", "code"], per_domain=2,
                                                                               data_dir=FIXTURES, seed=42))
    assert ids(items(["math"], "paper")) != ids(items(["math"], 42))   # the old params' selection differs
    (tmp_path / "own.jsonl").write_text("")
    with pytest.raises(ValueError, match="seed paper .* registered hub training sets only"):
        items([str(tmp_path / "own.jsonl")], "paper")
    with pytest.raises(ConfigError, match="data.seed: 'banana' is not allowed; allowed: an integer, null"):
        items(["math"], "banana")
