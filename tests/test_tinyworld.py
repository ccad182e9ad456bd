"""The tiny world: a pure function of its seed, disjoint splits, sizes as asked, a round trip through
files; the planted mechanism (careful solutions pass, shortcuts fail as declared, the ground-truth
transfer table follows from the declaration); pretraining and publishing a base."""

import json

import pytest

from rpt_core.tinyworld.arithmetic import arithmetic_facts
from rpt_core.tinyworld.habits import DOMAINS, HABITS, habit_of, planted_transfer
from rpt_core.tinyworld.world import BENCHMARKS, SPLITS, Sizes, build_world, load_world, write_world
from rpt_core.rewards import verify_many

SIZES = Sizes(test=10, test_small=5, train=30, pretrain=40)


@pytest.fixture(scope="module")
def world():
    return build_world(seed=0, sizes=SIZES)


def _dump(world):
    return {split: {name: [item.to_dict() for item in items] for name, items in world.split(split).items()}
            for split in SPLITS}


def test_same_seed_same_world_other_seed_other_world(world):
    assert _dump(build_world(seed=0, sizes={"test": 10, "test_small": 5, "train": 30, "pretrain": 40})) == _dump(world)
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
    with pytest.raises(ValueError, match="Sizes.test must be >= 1"):
        Sizes(test=0)


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
    keys = {split: {(i.metadata["skill"], i.metadata["key"]) for i in world.items(split)} for split in SPLITS}
    for a, b in (("pretrain", "train"), ("pretrain", "test"), ("train", "test")):
        assert not keys[a] & keys[b], (a, b)  # the same problem in other words counts too
    for split in ("train", "test"):
        assert len(keys[split]) == sum(1 for _ in world.items(split)), split  # no repeats inside RL or test


def test_careful_solutions_pass_and_shortcuts_fail_as_declared(world):
    items = [i for split in ("test", "train") for i in world.items(split)]
    careful = verify_many([(i.kind, i.metadata["solution"], i.reference) for i in items], workers=4)
    assert all(v.correct for v in careful), [(i.benchmark, i.id) for i, v in zip(items, careful) if not v.correct]
    shortcut = verify_many([(i.kind, i.metadata["shortcut"], i.reference) for i in items], workers=4)
    for item, verdict in zip(items, shortcut):
        if item.domain in ("math", "code"):  # the shared error: the last operation is left out
            assert not verdict.correct, (item.benchmark, item.id)
        else:  # knowledge guesses the first option (or the most common value): right only by chance
            guess = item.metadata["shortcut"].rsplit("ANSWER: ", 1)[1]
            assert verdict.correct == (guess == item.reference["answer"]), (item.benchmark, item.id)
    for item in items:
        habit = HABITS[item.domain]
        assert item.metadata["solution"].startswith(habit.careful) and habit_of(item.metadata["solution"]) == "careful"
        assert item.metadata["shortcut"].startswith(habit.shortcut) and habit_of(item.metadata["shortcut"]) == "shortcut"
    assert habit_of("ANSWER: 7") == "other"


def test_planted_transfer_follows_from_the_declared_habits():
    assert planted_transfer(["math"]) == {"math": "gain", "code": "gain", "knowledge": "none"}
    assert planted_transfer(["code"]) == {"math": "gain", "code": "gain", "knowledge": "none"}
    assert planted_transfer(["knowledge"]) == {"math": "none", "code": "none", "knowledge": "gain"}
    assert set(planted_transfer(DOMAINS).values()) == {"gain"}
    with pytest.raises(ValueError, match="allowed: math, code, knowledge"):
        planted_transfer(["poetry"])


def test_pretraining_corpus_mixes_the_habits_at_the_asked_rate(world):
    corpus = world.pretraining_corpus(careful_rate=0.3, table_copies=1, fact_copies=1)
    chats = [row for row in corpus if "messages" in row]
    assert len(chats) == sum(len(v) for v in world.pretrain.values())
    careful = sum(row["habit"] == "careful" for row in chats) / len(chats)
    assert 0.2 < careful < 0.4
    text = " ".join(row.get("text", "") for row in corpus)
    assert all(fact in text for fact in arithmetic_facts())
    for person, facts in world.facts.people.items():
        assert f"{person} has a pet {facts['pet']}." in text
    with pytest.raises(ValueError, match="careful_rate"):
        world.pretraining_corpus(careful_rate=1.0)


def test_write_and_load_round_trip(world, tmp_path):
    root = write_world(world, tmp_path / "world")
    meta = json.loads((root / "world.json").read_text())
    assert meta["planted_transfer"]["math"]["code"] == "gain" and meta["habits"]["code"]["careful"] == "Step by step:"
    loaded = load_world(root)
    assert _dump(loaded) == _dump(world) and loaded.facts == world.facts
    # the same corpus in the same order: a base pretrained on a loaded world is the same model
    assert loaded.pretraining_corpus(fact_copies=2) == world.pretraining_corpus(fact_copies=2)
    with pytest.raises(FileNotFoundError, match="write_world"):
        load_world(tmp_path / "missing")
    (root / "world.json").write_text(json.dumps({**meta, "version": 1}))
    with pytest.raises(ValueError, match="version 1 tiny world"):
        load_world(root)


def test_pretrain_publish_and_check_a_base(world, tmp_path):
    from rpt_core.generate import HFGenerator, Sampling
    from rpt_core.tinyworld.pretrain import PretrainConfig, check_published, pretrain, publish_base, read_pretraining

    out = pretrain(world, tmp_path / "base", size="small", steps=40, seed=0, progress=False, batch_size=16,
                   vocab_size=400, fact_copies=2, table_copies=1, copy_rows=30, warmup_steps=5)
    manifest = read_pretraining(out)
    assert manifest["final_loss"] < manifest["initial_loss"] - 1.0
    assert manifest["steps"] == 40 and manifest["config"]["careful_rate"] == 0.35
    record = publish_base(out, tmp_path / "published" / "tiny", command="rpt run params/tinyworld-bases.yaml")
    assert check_published(tmp_path / "published" / "tiny", world) == record
    assert record["world"]["seed"] == 0 and "model.safetensors" in record["files"]
    gen = HFGenerator(str(tmp_path / "published" / "tiny"), batch_size=4)
    assert gen.fingerprint == record["fingerprint"]
    item = world.test["tiny_math_arith"][0]
    [completion] = gen.generate([gen.render(item.messages)], Sampling(temperature=0.6, max_new_tokens=8), [0])
    assert completion.tokens >= 1
    with pytest.raises(ValueError, match="not on seed 1"):
        check_published(tmp_path / "published" / "tiny", build_world(seed=1, sizes=SIZES))
    weights = tmp_path / "published" / "tiny" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ValueError, match="model.safetensors differ"):
        check_published(tmp_path / "published" / "tiny")
    with pytest.raises(ValueError, match="model size"):
        PretrainConfig(size="huge")
