"""The tiny world: three synthetic reasoning domains with *planted* mechanisms and a declared ground
truth, small enough to run the paper's whole method (base models, RLVR per domain, evaluation of
every domain, the statistics) on a CPU in minutes -- and to check that the method finds what is there.
This module assembles it: the sub-benchmarks, their split into pretrain/train/test, the pretraining
corpus, and storage. Its parts: :mod:`~rpt_core.tinyworld.habits` (the planted mechanism),
:mod:`~rpt_core.tinyworld.arithmetic` (math and code generators), :mod:`~rpt_core.tinyworld.facts`
(knowledge generators), :mod:`~rpt_core.tinyworld.problem` (prompts and the generated problem).

    >>> from rpt_core.tinyworld.world import build_world
    >>> from rpt_core.tinyworld.habits import planted_transfer
    >>> world = build_world(seed=0)
    >>> sorted(world.test)[:3]
    ['tiny_code_cond', 'tiny_code_fn', 'tiny_code_list']
    >>> planted_transfer(["math"])["code"], planted_transfer(["math"])["knowledge"]
    ('gain', 'none')

Domains mirror the paper's taxonomy (*structured*: math, code; *unstructured, knowledge-intensive*:
knowledge). Each has three sub-benchmarks; every item is verified by a :mod:`rpt_core.rewards` kind:

=====================  =========  ===========  =====================================================
benchmark              domain     verifier     task
=====================  =========  ===========  =====================================================
tiny_math_arith        math       math         two spoken operations: ``seven plus five, then minus
                                               three``
tiny_math_word         math       math         two or three step word problem (groups of, buys,
                                               gives away, loses)
tiny_math_chain        math       math         start with n, apply three spoken operations (small,
                                               like AIME: few items, sampled ``repeats`` times)
tiny_code_fn           code       code_tests   ``f(x)``: start with x, apply 2-3 spoken operations
tiny_code_cond         code       code_tests   ``f(x)``: one operation if a condition holds, another
                                               otherwise
tiny_code_list         code       code_tests   ``f(xs)``: sum/max/min of the filtered list, each
                                               number mapped by an operation
tiny_know_mc           knowledge  label        where a person lives / their job / their pet, four
                                               options
tiny_know_recall       knowledge  label        the same questions without options
tiny_know_twohop       knowledge  label        the country a person lives in (person -> city ->
                                               country), four choices
=====================  =========  ===========  =====================================================

The planted mechanism (:data:`~rpt_core.tinyworld.habits.HABITS`, declared before any model is trained)
-------------------------------------------------------------------------------------------------------
Base models learn every domain from worked solutions written in one of two *habits*: a **careful**
reasoning template that is right, or a **shortcut** that is wrong in a systematic way. The
pretraining corpus mixes them (:meth:`World.pretraining_corpus`, ``careful_rate``), so a base has
each skill *latent*: it samples the careful template some of the time (moderate pass@1, high
pass@k), which is the regime in which RLVR works by sharpening what a base can already do (Yue et
al., arXiv 2504.13837). Math and code share one template and one error: both start careful
solutions with ``Step by step:`` and shortcut ones with ``Shortcut:``, and the shortcut leaves out
the last operation of the problem (math stops one step early; code drops the last operation of its
specification). Knowledge has its own: ``Recall:`` states the fact (as the base read it), ``Guess:``
answers the first option listed, or without options the value most people have (position and
base-rate biases). A completion's first line names its habit, so records show how much of an
accuracy change is the habit and how much is correctness within a habit (:func:`~rpt_core.tinyworld.habits.habit_of`).

Ground truth (:func:`~rpt_core.tinyworld.habits.planted_transfer`): RL on a domain rewards its careful template; every domain
that uses the same template gains, every other domain is unaffected (``none``). So math <-> code
``gain``, and math/code <-> knowledge ``none``. Structured-only transfer is the paper's RQ2 finding,
and a shared template is the paper's own explanation of it; here it holds by construction, so a
pipeline that misses it (or "finds" transfer to knowledge) is wrong.

Knowledge questions are about a small fact base of fictional people (:class:`~rpt_core.tinyworld.facts.Facts`): every fact
is in the pretraining corpus as a plain statement, and a careful answer first recalls it word for
word. Forty people are few enough for a tiny model to memorise in a few CPU minutes (a larger base
of eighty people, or reading the facts from a passage in the prompt, left it at chance; so did
yes/no questions, which need the recalled value compared with the asked one).

Numbers up to 20 are spoken as words (one token each; digits are one token per digit) and every value
in a math problem stays in 0..20 (:data:`~rpt_core.tinyworld.arithmetic.MAX_VALUE`), so each step is a lookup a tiny model learns.
Every item keeps both of its solutions in ``metadata["solution"]`` (careful) and
``metadata["shortcut"]`` (used for pretraining and tests; never shown to a model being evaluated).
The generators make math and code shortcuts wrong by construction (every operation changes the
value; some hidden test tells the shortcut from the solution); knowledge shortcuts are right only
by chance.

Splits. Per domain there are three disjoint splits: ``pretrain`` (worked solutions for the base
model, see :mod:`rpt_core.tinyworld.pretrain`), ``train`` (RL prompts) and ``test`` (the benchmarks). Items are
assigned to a split by a seeded hash of their *problem key* (the numbers and operations; for
knowledge the question with its options), so no problem appears in two splits, and train and test
items are distinct. The fact base itself is shared world knowledge: a test question asks about a
fact the base read, and may have seen asked in other words.

Determinism: the world is a pure function of ``(seed, sizes)``; each generator draws from its own
``random.Random(f"{seed}:{name}")`` stream. Bump :data:`WORLD_VERSION` when a change alters items.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterator

from ..atomic import write_atomic
from ..items import Item, read_items, write_items
from .arithmetic import ARITHMETIC_GENERATORS, arithmetic_documents
from .facts import KNOWLEDGE_GENERATORS, Facts, build_facts
from .habits import DOMAINS, HABITS, planted_transfer

WORLD_VERSION = 3
SPLITS = ("pretrain", "train", "test")


@dataclass(frozen=True)
class TinyBenchmark:
    """A tiny-world sub-benchmark, declared as data. ``skill`` is the generator's name."""

    name: str
    domain: str
    skill: str
    kind: str
    repeats: int = 1
    small: bool = False  # uses ``Sizes.test_small`` items instead of ``Sizes.test``


BENCHMARKS: dict[str, TinyBenchmark] = {b.name: b for b in (
    TinyBenchmark("tiny_math_arith", "math", "arith", "math"),
    TinyBenchmark("tiny_math_word", "math", "word", "math"),
    TinyBenchmark("tiny_math_chain", "math", "chain", "math", repeats=8, small=True),
    TinyBenchmark("tiny_code_fn", "code", "fn", "code_tests"),
    TinyBenchmark("tiny_code_cond", "code", "cond", "code_tests"),
    TinyBenchmark("tiny_code_list", "code", "list", "code_tests"),
    TinyBenchmark("tiny_know_mc", "knowledge", "mc", "label"),
    TinyBenchmark("tiny_know_recall", "knowledge", "recall", "label"),
    TinyBenchmark("tiny_know_twohop", "knowledge", "twohop", "label"),
)}


@dataclass(frozen=True)
class Sizes:
    """How many items to generate.

    test: items per sub-benchmark; test_small: items of the small, repeated one (``tiny_math_chain``).
    train: RL prompts per domain (split evenly over its sub-skills).
    pretrain: worked examples per sub-skill for pretraining.
    """

    test: int = 80
    test_small: int = 30
    train: int = 450
    pretrain: int = 1500

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"Sizes.{f.name} must be >= 1, got {getattr(self, f.name)}")


# ------------------------------------------------------------------------------------ the world

def _hash_split(seed: int, skill: str, key: str) -> str:
    """Seeded hash of a problem key -> split: 20% test, 30% train, 50% pretrain of the key space."""
    bucket = int(hashlib.sha256(f"{seed}:{skill}:{key}".encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "train" if bucket < 5 else "pretrain"


def _items(bench: TinyBenchmark, seed: int, facts: Facts, quotas: dict[str, int]) -> dict[str, list[Item]]:
    rng = random.Random(f"{seed}:{bench.name}")
    out: dict[str, list[Item]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    budget = 50 * sum(quotas.values()) + 10_000
    while any(len(out[s]) < quotas[s] for s in SPLITS):
        budget -= 1
        if budget < 0:
            have = {s: len(v) for s, v in out.items()}
            raise ValueError(f"{bench.name}: cannot generate {quotas} distinct problems (got {have}); "
                             "the problem space is too small for these Sizes")
        p = KNOWLEDGE_GENERATORS[bench.skill](rng, facts) if bench.domain == "knowledge" else \
            ARITHMETIC_GENERATORS[bench.skill](rng)
        split = _hash_split(seed, bench.skill, p.key)
        if len(out[split]) >= quotas[split] or (split != "pretrain" and p.key in seen):
            continue  # a problem may recur in pretraining (each time with a freshly drawn habit)
        seen.add(p.key)
        index = len(out[split])
        benchmark = bench.name if split == "test" else f"tiny_{bench.domain}_{split}"
        item_id = f"{index:04d}" if split == "test" else f"{bench.skill}-{index:04d}"
        meta = {"skill": bench.skill, "subbenchmark": bench.name, "split": split, "key": p.key,
                "solution": p.careful, "shortcut": p.shortcut, **p.meta}
        out[split].append(Item(benchmark, item_id, [{"role": "user", "content": p.text}], bench.kind, p.reference,
                               bench.domain, meta))
    return out


@dataclass
class World:
    """A generated tiny world.

    train: domain -> RL training prompts (items of benchmark ``tiny_<domain>_train``).
    test: benchmark name -> test items (see :data:`BENCHMARKS`); ``repeats`` says how many samples
        each is evaluated with.
    pretrain: domain -> worked examples for pretraining (``tiny_<domain>_pretrain``), disjoint from
        train and test; both solutions are in ``metadata["solution"]`` and ``metadata["shortcut"]``.
    facts: the knowledge domain's fact base.
    """

    seed: int
    sizes: Sizes
    train: dict[str, list[Item]]
    test: dict[str, list[Item]]
    pretrain: dict[str, list[Item]]
    facts: Facts
    version: int = WORLD_VERSION
    repeats: dict[str, int] = field(default_factory=lambda: {b.name: b.repeats for b in BENCHMARKS.values()})

    def split(self, name: str) -> dict[str, list[Item]]:
        """``"pretrain"``, ``"train"`` or ``"test"`` by name."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; allowed: {', '.join(SPLITS)}")
        return getattr(self, name)

    def items(self, split: str) -> Iterator[Item]:
        for items in self.split(split).values():
            yield from items

    def pretraining_corpus(self, careful_rate: float = 0.35, table_copies: int = 10, fact_copies: int = 10,
                           seed: int = 0) -> list[dict]:
        """The base model's training data, in a seeded random order: one chat example
        ``{"messages": [...], "solution": str, "habit": "careful" | "shortcut"}`` per ``pretrain`` item,
        written carefully with probability ``careful_rate`` (the planted mechanism: see the module
        docstring), and plain documents ``{"text": str}``: ``table_copies`` passes over the arithmetic
        table (:func:`~rpt_core.tinyworld.arithmetic.arithmetic_documents`) and ``fact_copies`` over the fact base
        (:meth:`~rpt_core.tinyworld.facts.Facts.documents`) -- the "textbook" and "encyclopedia" a base has read. ``seed``
        draws the habits."""
        if not 0 < careful_rate < 1:
            raise ValueError(f"careful_rate must be strictly between 0 and 1, got {careful_rate}")
        rng = random.Random(f"{self.seed}:{seed}:habits")
        rows: list[dict] = []
        for item in self.items("pretrain"):
            careful = rng.random() < careful_rate
            rows.append({"messages": item.messages, "habit": "careful" if careful else "shortcut",
                         "solution": item.metadata["solution" if careful else "shortcut"]})
        rows += [{"text": doc} for doc in arithmetic_documents(table_copies, self.seed)]
        rows += [{"text": doc} for doc in self.facts.documents(fact_copies, self.seed)]
        random.Random(f"{self.seed}:{seed}:corpus").shuffle(rows)
        return rows


def build_world(seed: int = 0, sizes: Sizes | dict | None = None) -> World:
    """Generate the tiny world for ``seed`` (deterministic; see the module docstring)."""
    sizes = sizes if isinstance(sizes, Sizes) else Sizes(**(sizes or {}))
    facts = build_facts(seed)
    splits: dict[str, dict] = {"pretrain": {d: [] for d in DOMAINS}, "train": {d: [] for d in DOMAINS}, "test": {}}
    for domain in DOMAINS:
        benches = [b for b in BENCHMARKS.values() if b.domain == domain]
        for position, bench in enumerate(benches):
            train = sizes.train // len(benches) + (1 if position < sizes.train % len(benches) else 0)
            quotas = {"test": sizes.test_small if bench.small else sizes.test, "train": train,
                      "pretrain": sizes.pretrain}
            made = _items(bench, seed, facts, quotas)
            splits["pretrain"][domain] += made["pretrain"]
            splits["train"][domain] += made["train"]
            splits["test"][bench.name] = made["test"]
    for domain in DOMAINS:  # interleave sub-skills of a domain in a seeded order
        random.Random(f"{seed}:{domain}:train").shuffle(splits["train"][domain])
    return World(seed, sizes, splits["train"], splits["test"], splits["pretrain"], facts)


# ------------------------------------------------------------------------------------ storage

def write_world(world: World, data_dir: str | Path) -> Path:
    """Write ``world`` under ``data_dir``: ``world.json`` (seed, sizes, version, repeats, habits and
    the planted transfer table), ``facts.json``, ``test/<benchmark>.jsonl``, ``train/<domain>.jsonl``,
    ``pretrain/<domain>.jsonl`` (one :meth:`Item.to_dict` per line). Each file is written atomically."""
    root = Path(data_dir)
    for split in SPLITS:
        for name, items in world.split(split).items():
            write_items(root / split / f"{name}.jsonl", items)
    meta = {"seed": world.seed, "version": world.version, "sizes": asdict(world.sizes), "repeats": world.repeats,
            "benchmarks": {name: asdict(b) for name, b in BENCHMARKS.items()},
            "habits": {d: asdict(h) for d, h in HABITS.items()},
            "planted_transfer": {"+".join(ds): planted_transfer(ds) for ds in [[d] for d in DOMAINS] + [list(DOMAINS)]}}
    # Keys keep their order (no sort_keys): the pretraining corpus walks the fact base in that order,
    # so a loaded world must pretrain exactly like the world it was written from.
    for name, content in (("facts.json", asdict(world.facts)), ("world.json", meta)):  # world.json last
        write_atomic(root / name, json.dumps(content, indent=1))
    return root


def ensure_world(data_dir: str | Path, seed: int = 0, sizes: Sizes | dict | None = None) -> World:
    """The world of ``(seed, sizes)`` as stored under ``data_dir``: written there first unless a world of
    the same seed, sizes and version is already there (a study's later steps read those files)."""
    world = build_world(seed, sizes)
    meta = Path(data_dir) / "world.json"
    stored = json.loads(meta.read_text()) if meta.exists() else {}
    if (stored.get("seed"), stored.get("sizes"), stored.get("version")) != (world.seed, asdict(world.sizes), world.version):
        write_world(world, data_dir)
    return load_world(data_dir)


def load_world(data_dir: str | Path) -> World:
    """Read a world written by :func:`write_world`."""
    root = Path(data_dir)
    if not (root / "world.json").exists():
        raise FileNotFoundError(f"{root}/world.json not found: write a tiny world there with write_world()")
    meta = json.loads((root / "world.json").read_text())
    if meta.get("version") != WORLD_VERSION:
        raise ValueError(f"{root} holds a version {meta.get('version')} tiny world; this code reads version "
                         f"{WORLD_VERSION}: write it again with write_world()")

    def read(split: str) -> dict[str, list[Item]]:
        return {p.stem: read_items(p) for p in sorted((root / split).glob("*.jsonl"))}

    test = read("test")
    test = {name: test[name] for name in BENCHMARKS if name in test}
    train, pretrain = read("train"), read("pretrain")
    order = lambda d: {k: d[k] for k in DOMAINS if k in d}  # noqa: E731
    facts = Facts(**json.loads((root / "facts.json").read_text()))
    return World(meta["seed"], Sizes(**meta["sizes"]), order(train), test, order(pretrain), facts,
                 meta["version"], meta["repeats"])


__all__ = ["BENCHMARKS", "SPLITS", "WORLD_VERSION", "Sizes", "TinyBenchmark", "World", "build_world", "ensure_world",
           "load_world", "write_world"]
