"""The tiny world: a pure function of its seed, disjoint splits, every item gradable, sizes as asked,
a round trip through files; and a short pretraining run that lowers the loss and loads for generation."""

import json
import random

import pytest

from rpt_core.benchmarks.tinyworld import (BENCHMARKS, DOMAINS, SPLITS, Sizes, arithmetic_facts, build_world,
                                           load_world, write_world)
from rpt_core.rewards import verify, verify_many

SIZES = Sizes(test=10, test_small=5, train=30, pretrain=40, people_test=5, people_train=5, people_pretrain=10)


@pytest.fixture(scope="module")
def world():
    return build_world(seed=0, sizes=SIZES)


def _dump(world):
    return {split: {name: [item.to_dict() for item in items] for name, items in world.split(split).items()}
            for split in SPLITS}


def test_same_seed_same_world_other_seed_other_world(world):
    assert _dump(build_world(seed=0, sizes=SIZES)) == _dump(world)
    assert _dump(build_world(seed=0, sizes={"test": 10, "test_small": 5, "train": 30, "pretrain": 40, "people_test": 5,
                                            "people_train": 5, "people_pretrain": 10})) == _dump(world)
    other = build_world(seed=1, sizes=SIZES)
    for name in BENCHMARKS:
        assert [i.prompt for i in other.test[name]] != [i.prompt for i in world.test[name]], name
    assert other.facts.people != world.facts.people


def test_sizes_are_honoured(world):
    assert list(world.test) == list(BENCHMARKS)
    for name, bench in BENCHMARKS.items():
        assert len(world.test[name]) == (SIZES.test_small if bench.small else SIZES.test), name
    for domain in DOMAINS:
        assert len(world.train[domain]) == SIZES.train
        assert len(world.pretrain[domain]) == SIZES.pretrain * 3
    assert len(world.facts.people) == SIZES.people_test + SIZES.people_train + SIZES.people_pretrain
    with pytest.raises(ValueError, match="people_test"):
        Sizes(test=20, people_test=5)


def test_items_carry_domain_benchmark_skill_and_unique_ids(world):
    for split in SPLITS:
        for items in world.split(split).values():
            assert len({i.id for i in items}) == len(items)
            for item in items:
                bench = BENCHMARKS[item.metadata["subbenchmark"]]
                assert item.domain == bench.domain and item.kind == bench.kind
                assert item.metadata["skill"] == bench.skill and item.metadata["split"] == split
                assert item.benchmark == (bench.name if split == "test" else f"tiny_{bench.domain}_{split}")


def test_splits_are_disjoint(world):
    texts = {split: {i.prompt for i in world.items(split)} for split in SPLITS}
    keys = {split: {(i.metadata["skill"], i.metadata["key"]) for i in world.items(split)} for split in SPLITS}
    for a, b in (("pretrain", "train"), ("pretrain", "test"), ("train", "test")):
        assert not texts[a] & texts[b], (a, b)
        assert not keys[a] & keys[b], (a, b)  # the same problem in other words counts too
    groups = world.facts.groups
    assert not set(groups["test"]) & (set(groups["train"]) | set(groups["pretrain"]))
    for split in SPLITS:
        asked = {i.metadata["person"] for i in world.items(split) if i.domain == "knowledge"}
        assert asked <= set(groups[split])


def test_every_fact_is_in_the_pretraining_corpus(world):
    corpus = world.pretraining_corpus(doc_copies=1, table_copies=1)
    text = " ".join(row.get("text", "") for row in corpus)
    for sentence in world.facts.statements():
        assert sentence in text
    assert all(fact in text for fact in arithmetic_facts())
    assert len([row for row in corpus if "messages" in row]) == sum(len(v) for v in world.pretrain.values())


def test_reference_solutions_pass_and_wrong_ones_fail(world):
    items = [i for name, items in world.test.items() if BENCHMARKS[name].kind != "code_tests" for i in items]
    items += world.train["math"] + world.train["knowledge"]
    verdicts = verify_many([(i.kind, i.metadata["solution"], i.reference) for i in items])
    assert all(v.correct for v in verdicts), [(i.benchmark, i.id) for i, v in zip(items, verdicts) if not v.correct]
    math_item = world.test["tiny_math_arith"][0]
    wrong = math_item.metadata["solution"].rsplit("ANSWER:", 1)[0] + f"ANSWER: {int(math_item.reference['answer']) + 1}"
    assert not verify("math", wrong, math_item.reference).correct
    mc = world.test["tiny_know_mc"][0]
    other = next(letter for letter in "ABCD" if letter != mc.reference["answer"])
    assert not verify("choice", f"ANSWER: {other}", mc.reference).correct
    twohop = world.test["tiny_know_twohop"][0]
    other = next(x for x in twohop.reference["labels"] if x != twohop.reference["answer"])
    assert not verify("label", f"ANSWER: {other}", twohop.reference).correct
    # one item per sub-benchmark against a nonsense answer (code included, in the sandbox)
    rng = random.Random(0)
    sample = [rng.choice(items) for items in world.test.values()]
    nonsense = "ANSWER: 123456789\n```python\ndef f(*a):\n    return None\n```"
    assert not any(v.correct for v in verify_many([(i.kind, nonsense, i.reference) for i in sample], workers=4))


def test_code_solutions_pass_their_hidden_tests_in_the_sandbox(world):
    for name in ("tiny_code_fn", "tiny_code_cond", "tiny_code_list"):
        item = world.test[name][0]
        assert verify("code_tests", item.metadata["solution"], item.reference).correct, name
        broken = item.metadata["solution"].replace("return ", "return 1 + ", 1)
        assert not verify("code_tests", broken, item.reference).correct, name


def test_write_and_load_round_trip(world, tmp_path):
    root = write_world(world, tmp_path / "world")
    assert (root / "test" / "tiny_math_chain.jsonl").exists() and (root / "train" / "code.jsonl").exists()
    meta = json.loads((root / "world.json").read_text())
    assert meta["repeats"]["tiny_math_chain"] == BENCHMARKS["tiny_math_chain"].repeats
    loaded = load_world(root)
    assert _dump(loaded) == _dump(world) and loaded.facts == world.facts
    # the same corpus in the same order: a base pretrained on a loaded world is the same model
    assert loaded.pretraining_corpus(doc_copies=2, table_copies=1) == world.pretraining_corpus(doc_copies=2, table_copies=1)
    with pytest.raises(FileNotFoundError, match="write_world"):
        load_world(tmp_path / "missing")


def test_a_short_pretraining_run_lowers_the_loss_and_loads_for_generation(world, tmp_path):
    from rpt_core.generate import HFGenerator, Sampling
    from rpt_core.pretrain import PretrainConfig, pretrain, read_manifest

    out = pretrain(world, tmp_path / "base", size="small", steps=40, seed=0, progress=False, batch_size=16,
                   vocab_size=400, doc_copies=2, table_copies=1, copy_rows=30, warmup_steps=5)
    manifest = read_manifest(out)
    assert manifest["final_loss"] < manifest["initial_loss"] - 1.0
    assert manifest["steps"] == 40 and manifest["config"]["size"] == "small" and manifest["seconds"] > 0
    gen = HFGenerator(str(out), batch_size=4)
    item = world.test["tiny_math_arith"][0]
    [completion] = gen.generate([gen.render(item.messages)], Sampling(temperature=0.6, max_new_tokens=8), [0])
    assert completion.tokens >= 1
    with pytest.raises(ValueError, match="model size"):
        PretrainConfig(size="huge")
