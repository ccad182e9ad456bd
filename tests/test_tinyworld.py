"""The tiny world is a pure function of its seed, its splits are disjoint, and every item is gradable."""

import random

from rpt_core.benchmarks.tinyworld import BENCHMARKS, build_world
from rpt_core.rewards import verify_many

SIZES = {"test": 10, "test_small": 4, "train": 30, "pretrain": 40, "people_test": 6, "people_train": 6,
         "people_pretrain": 6}


def test_same_seed_same_world_other_seed_other_world():
    a, b, c = build_world(0, SIZES), build_world(0, SIZES), build_world(1, SIZES)
    assert [i.to_dict() for i in a.items("test")] == [i.to_dict() for i in b.items("test")]
    assert [i.to_dict() for i in a.items("train")] == [i.to_dict() for i in b.items("train")]
    assert [i.prompt for i in a.items("test")] != [i.prompt for i in c.items("test")]


def test_splits_are_disjoint_and_sized():
    world = build_world(0, SIZES)
    prompts = {split: {i.prompt for i in world.items(split)} for split in ("pretrain", "train", "test")}
    assert not prompts["test"] & prompts["train"] and not prompts["test"] & prompts["pretrain"]
    assert not prompts["train"] & prompts["pretrain"]
    assert set(world.test) == set(BENCHMARKS) and {i.domain for i in world.items("test")} == {"math", "code", "knowledge"}
    for name, items in world.test.items():
        assert len(items) == (SIZES["test_small"] if BENCHMARKS[name].small else SIZES["test"]), name


def test_reference_solutions_pass_and_wrong_answers_fail():
    world = build_world(0, SIZES)
    rng = random.Random(0)
    sample = [rng.choice(items) for items in world.test.values()]  # one item per sub-benchmark
    good = verify_many([(i.kind, i.metadata["solution"], i.reference) for i in sample], workers=4)
    assert all(v.correct for v in good), [(i.benchmark, v.reason, v.detail) for i, v in zip(sample, good) if not v.correct]
    wrong = verify_many([(i.kind, "ANSWER: 123456789\n```python\ndef f(*a):\n    return None\n```", i.reference)
                         for i in sample], workers=4)
    assert not any(v.correct for v in wrong)
