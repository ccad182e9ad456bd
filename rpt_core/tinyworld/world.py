"""The tiny world: three synthetic reasoning domains with *planted* mechanisms and a declared ground
truth, small enough to run the paper's whole method (base models, RLVR per domain, evaluation of
every domain, the statistics) on a CPU in minutes -- and to check that the method finds what is there.

    >>> from rpt_core.tinyworld.world import build_world, planted_transfer
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

The planted mechanism (:data:`HABITS`, declared before any model is trained)
---------------------------------------------------------------------------
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
accuracy change is the habit and how much is correctness within a habit (:func:`habit_of`).

Ground truth (:func:`planted_transfer`): RL on a domain rewards its careful template; every domain
that uses the same template gains, every other domain is unaffected (``none``). So math <-> code
``gain``, and math/code <-> knowledge ``none``. Structured-only transfer is the paper's RQ2 finding,
and a shared template is the paper's own explanation of it; here it holds by construction, so a
pipeline that misses it (or "finds" transfer to knowledge) is wrong.

Knowledge questions are about a small fact base of fictional people (:class:`Facts`): every fact
is in the pretraining corpus as a plain statement, and a careful answer first recalls it word for
word. Forty people are few enough for a tiny model to memorise in a few CPU minutes (a larger base
of eighty people, or reading the facts from a passage in the prompt, left it at chance; so did
yes/no questions, which need the recalled value compared with the asked one).

Numbers up to 20 are spoken as words (one token each; digits are one token per digit) and every value
in a math problem stays in 0..20 (:data:`MAX_VALUE`), so each step is a lookup a tiny model learns.
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
from typing import Callable, Iterable, Iterator

from ..atomic import write_atomic
from ..items import Item, read_items, write_items

WORLD_VERSION = 3
DOMAINS = ("math", "code", "knowledge")
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


# ------------------------------------------------------------------------- the planted mechanism

@dataclass(frozen=True)
class Habit:
    """How the worked solutions of a domain are written: the first line of a careful solution, of a
    shortcut one, and the systematic error of the shortcut."""

    careful: str
    shortcut: str
    error: str


HABITS: dict[str, Habit] = {
    "math": Habit("Step by step:", "Shortcut:", "stops one operation early (answers the value before the last step)"),
    "code": Habit("Step by step:", "Shortcut:", "leaves out the last operation of the specification"),
    "knowledge": Habit("Recall:", "Guess:", "answers the first option listed (without options: the most common value)"),
}


def planted_transfer(train_domains: Iterable[str]) -> dict[str, str]:
    """The declared effect of RL on ``train_domains`` on each evaluation domain: ``"gain"`` where the
    domain shares a careful template with a trained domain (itself included), else ``"none"``.
    Derived from :data:`HABITS` alone, never from results."""
    train_domains = list(train_domains)
    unknown = set(train_domains) - set(HABITS)
    if unknown:
        raise ValueError(f"unknown domain(s) {sorted(unknown)}; allowed: {', '.join(DOMAINS)}")
    templates = {HABITS[d].careful for d in train_domains}
    return {d: "gain" if HABITS[d].careful in templates else "none" for d in DOMAINS}


def habit_of(completion: str) -> str:
    """``"careful"``, ``"shortcut"`` or ``"other"`` from a completion's first line."""
    first = completion.lstrip().split("\n", 1)[0].strip()
    if any(first.startswith(h.careful) for h in HABITS.values()):
        return "careful"
    if any(first.startswith(h.shortcut) for h in HABITS.values()):
        return "shortcut"
    return "other"


def habit_table(records, by: tuple[str, ...] = ("model", "domain")):
    """How the models answer, from evaluation records: per group of ``by`` the share of completions
    in the careful habit, pass@1 (%), and accuracy within each habit (%), so an accuracy change splits
    into "answers carefully more often" and "is right more often when careful". Columns: ``by``,
    samples, careful (%), pass_at_1, acc_careful, acc_shortcut (NaN where a habit never occurs)."""
    import pandas as pd

    frame = records.assign(habit=records["completion"].map(habit_of))
    rows = []
    for key, group in frame.groupby(list(by), sort=False):
        correct = group["correct"].astype(float)
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "samples": len(group),
                     "careful": 100 * float((group["habit"] == "careful").mean()),
                     "pass_at_1": 100 * float(correct.mean()),
                     "acc_careful": 100 * float(correct[group["habit"] == "careful"].mean()),
                     "acc_shortcut": 100 * float(correct[group["habit"] == "shortcut"].mean())})
    return pd.DataFrame(rows)


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


# ------------------------------------------------------------------------------------ prompts

# Instructions come first and the problem last: what the answer restates (numbers, names) then sits
# at a short, nearly fixed distance from the answer, which a tiny model learns to copy much sooner.
MATH_PROMPT = "Solve, end with ANSWER: <number>.\n{problem}"
CODE_PROMPT = "Reply with a ```python block.\n{task}"
MC_PROMPT = "End with ANSWER: <option>.\nOptions: {options}.\n{question}"
RECALL_PROMPT = "End with ANSWER: <word>.\n{question}"
TWOHOP_PROMPT = "End with ANSWER: <choice>.\nChoices: {choices}.\n{question}"


@dataclass(frozen=True)
class Problem:
    """What a generator returns: the prompt text, both worked solutions, the verifier reference,
    the problem key (decides the split) and metadata."""

    text: str
    careful: str
    shortcut: str
    reference: dict
    key: str
    meta: dict = field(default_factory=dict)


# ------------------------------------------------------------------------- spoken operations

# A word is one token, where digits are split one per token (Qwen2's pre-tokenizer): ``seven plus five
# is twelve`` is then a lookup a tiny model learns in a few hundred steps, ``7 + 5 = 12`` is not.
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
_SYMBOL = {"add": "+", "sub": "-", "mul": "*"}
_OPWORD = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
MAX_VALUE = 20  # every number in a math problem, its steps and its answer is in 0..MAX_VALUE


def spoken(n: int) -> str:
    """``7`` -> ``"seven"``; numbers outside 0..20 stay digits (generators reject those problems)."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _phrase(op: str, k: int) -> str:
    return f"{_OPWORD[_SYMBOL[op]]} {spoken(k)}"


def _step(a: int, symbol: str, b: int, result: int) -> str:
    """One calculation step, spoken: ``seven plus five is twelve``."""
    return f"{spoken(a)} {_OPWORD[symbol]} {spoken(b)} is {spoken(result)}"


def _apply(op: str, value: int, k: int) -> int:
    return value + k if op == "add" else value - k if op == "sub" else value * k


def _random_op(rng: random.Random) -> tuple[str, int]:
    op = rng.choice(("add", "sub", "mul"))
    return op, rng.randint(2, 4) if op == "mul" else rng.randint(1, 9)


def _in_range(*values: int) -> bool:
    return all(0 <= v <= MAX_VALUE for v in values)


def _run_ops(start: int, ops: list[tuple[str, int]]) -> list[int] | None:
    """The values after each operation, or ``None`` when one leaves 0..MAX_VALUE or an operation
    would not change the value (then the shortcut, which skips it, would be right by accident)."""
    values, value = [], start
    for op, k in ops:
        new = _apply(op, value, k)
        if not _in_range(new) or new == value:
            return None
        values.append(new)
        value = new
    return values


def _math(problem: str, start: int, ops: list[tuple[str, int]], values: list[int], key: str) -> Problem:
    """Careful: every step, then the answer; shortcut: the same steps but the last, then the value
    before the last operation."""
    steps, value = [], start
    for (op, k), new in zip(ops, values):
        steps.append(_step(value, _SYMBOL[op], k, new))
        value = new
    careful = f"{HABITS['math'].careful} {', '.join(steps)}.\nANSWER: {values[-1]}"
    shortcut = f"{HABITS['math'].shortcut} {', '.join(steps[:-1])}.\nANSWER: {values[-2]}"
    return Problem(MATH_PROMPT.format(problem=problem), careful, shortcut, {"answer": str(values[-1])}, key,
                   {"ops": len(ops)})


# ------------------------------------------------------------------------------ math generators

def _gen_arith(rng: random.Random) -> Problem:
    """``Compute seven plus five, then minus three.``"""
    while True:
        start, ops = rng.randint(1, 12), [_random_op(rng) for _ in range(2)]
        values = _run_ops(start, ops)
        if values:
            text = f"Compute {spoken(start)} {_phrase(*ops[0])}, then {_phrase(*ops[1])}."
            key = f"{start}:" + ",".join(f"{op}{k}" for op, k in ops)
            return _math(text, start, ops, values, key)


_NAMES = ("Ana", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ivy", "Jon", "Kai", "Lena", "Max", "Nora",
          "Omar", "Pia", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Yara", "Zoe")
_THINGS = ("apples", "pens", "stamps", "marbles", "cards", "shells", "books", "coins", "eggs", "beads")
_HOLDERS = ("boxes", "bags", "jars", "packs", "baskets")


def _gen_word(rng: random.Random) -> Problem:
    """``Ana has three bags with four pens in each, then buys two more, and then loses five.``"""
    while True:
        name, thing, holder = rng.choice(_NAMES), rng.choice(_THINGS), rng.choice(_HOLDERS)
        if rng.random() < 0.5:  # groups of: a * b, then more
            a, b = rng.randint(2, 4), rng.randint(2, 5)
            opening, start, ops = f"{name} has {spoken(a)} {holder} with {spoken(b)} {thing} in each", a, [("mul", b)]
        else:
            start = rng.randint(1, 12)
            opening, ops = f"{name} has {spoken(start)} {thing}", []
        for _ in range(rng.choice((1, 2)) if ops else 2):
            ops.append(("add", rng.randint(1, 9)) if rng.random() < 0.5 else ("sub", rng.randint(1, 9)))
        values = _run_ops(start, ops)
        if not values:
            continue
        rest = ops[1:] if ops[0][0] == "mul" else ops
        said = [f"buys {spoken(k)} more" if op == "add" else f"loses {spoken(k)}" for op, k in rest]
        text = f"How many {thing} does {name} have at the end? {opening}, then " + ", and then ".join(said) + "."
        key = f"{start}:" + ",".join(f"{op}{k}" for op, k in ops)
        return _math(text, start, ops, values, key)


def _gen_chain(rng: random.Random) -> Problem:
    """``Start with four, times three, plus two, minus five.``"""
    while True:
        start, ops = rng.randint(1, 9), [_random_op(rng) for _ in range(3)]
        values = _run_ops(start, ops)
        if values:
            text = f"Start with {spoken(start)}, " + ", ".join(_phrase(op, k) for op, k in ops) + "."
            key = f"{start}:" + ",".join(f"{op}{k}" for op, k in ops)
            return _math(text, start, ops, values, key)


# ------------------------------------------------------------------------------ code generators

def _code(lines: list[str], arg: str = "x") -> str:
    body = "\n".join(f"    {line}" for line in lines)
    return f"```python\ndef f({arg}):\n{body}\n```"


def _asserts(func: Callable, inputs: list) -> str:
    return "\n".join(f"assert f({x!r}) == {func(x)!r}" for x in inputs)


def _code_problem(text: str, careful: list[str], shortcut: list[str], func: Callable, wrong: Callable,
                  inputs: list, key: str, arg: str = "x", **meta) -> Problem | None:
    """A code problem, or ``None`` when no test input tells the shortcut from the solution."""
    if all(func(x) == wrong(x) for x in inputs):
        return None
    habit = HABITS["code"]
    return Problem(CODE_PROMPT.format(task=text), f"{habit.careful}\n{_code(careful, arg)}",
                   f"{habit.shortcut}\n{_code(shortcut, arg)}", {"tests": _asserts(func, inputs), "entry_point": ""},
                   key, meta)


def _chain_func(ops: list[tuple[str, int]]) -> Callable[[int], int]:
    def func(x):
        for op, k in ops:
            x = _apply(op, x, k)
        return x
    return func


def _gen_fn(rng: random.Random) -> Problem:
    """``Write f(x): start with x, times three, plus two.`` -> one assignment per operation."""
    while True:
        ops = [_random_op(rng) for _ in range(rng.choice((2, 3)))]
        lines = [f"x = x {_SYMBOL[op]} {k}" for op, k in ops]
        text = "Write f(x): start with x, " + ", ".join(_phrase(op, k) for op, k in ops) + "."
        made = _code_problem(text, lines + ["return x"], lines[:-1] + ["return x"], _chain_func(ops),
                             _chain_func(ops[:-1]), [0, 1, 2, 3, 5, 7, 10, 12],
                             ",".join(f"{op}{k}" for op, k in ops), ops=len(ops))
        if made:
            return made


def _condition(rng: random.Random):
    kind = rng.choice(("even", "odd", "gt", "lt"))
    if kind == "even":
        return "even", "x is even", "x % 2 == 0", lambda x: x % 2 == 0
    if kind == "odd":
        return "odd", "x is odd", "x % 2 == 1", lambda x: x % 2 == 1
    k = rng.randint(2, 9)
    if kind == "gt":
        return f"gt{k}", f"x is greater than {spoken(k)}", f"x > {k}", lambda x: x > k
    return f"lt{k}", f"x is less than {spoken(k)}", f"x < {k}", lambda x: x < k


def _gen_cond(rng: random.Random) -> Problem:
    """``Write f(x): if x is even, plus three; otherwise times two.``; the shortcut drops the
    otherwise-operation (returns x there)."""
    while True:
        ckey, phrase, code, test = _condition(rng)
        (o1, k1), (o2, k2) = _random_op(rng), _random_op(rng)
        text = f"Write f(x): if {phrase}, {_phrase(o1, k1)}; otherwise {_phrase(o2, k2)}."
        first = [f"if {code}:", f"    return x {_SYMBOL[o1]} {k1}"]
        made = _code_problem(text, first + [f"return x {_SYMBOL[o2]} {k2}"], first + ["return x"],
                             lambda x: _apply(o1, x, k1) if test(x) else _apply(o2, x, k2),
                             lambda x: _apply(o1, x, k1) if test(x) else x,
                             list(range(0, 14, 2)) + list(range(1, 14, 4)), f"{ckey}:{o1}{k1}:{o2}{k2}", ops=2)
        if made:
            return made


_AGGREGATES = {"sum": "the sum", "max": "the largest", "min": "the smallest"}


def _gen_list(rng: random.Random) -> Problem:
    """``Write f(xs): the sum of the numbers in xs that are even, each times three.``; the shortcut
    drops the mapping (the last operation)."""
    while True:
        agg = rng.choice(tuple(_AGGREGATES))
        fkind = rng.choice(("even", "odd", "gt", "lt"))
        k = rng.randint(1, 6) if fkind == "gt" else rng.randint(3, 8)
        fphrase, fcode, ftest = {
            "even": ("that are even", "x % 2 == 0", lambda x: x % 2 == 0),
            "odd": ("that are odd", "x % 2 == 1", lambda x: x % 2 == 1),
            "gt": (f"that are greater than {spoken(k)}", f"x > {k}", lambda x: x > k),
            "lt": (f"that are less than {spoken(k)}", f"x < {k}", lambda x: x < k)}[fkind]
        op, m = rng.choice(("add", "sub", "mul")), rng.randint(2, 9)
        text = f"Write f(xs): {_AGGREGATES[agg]} of the numbers in xs {fphrase}, each {_phrase(op, m)}."
        careful = [f"return {agg}(x {_SYMBOL[op]} {m} for x in xs if {fcode})"]
        shortcut = [f"return {agg}(x for x in xs if {fcode})"]
        func = lambda xs: {"sum": sum, "max": max, "min": min}[agg](_apply(op, x, m) for x in xs if ftest(x))  # noqa: E731
        wrong = lambda xs: {"sum": sum, "max": max, "min": min}[agg](x for x in xs if ftest(x))  # noqa: E731
        lists: list[list[int]] = []
        while len(lists) < 5:
            xs = [rng.randint(0, 9) for _ in range(rng.randint(3, 6))]
            if any(ftest(x) for x in xs) and xs not in lists:
                lists.append(xs)
        key = f"{agg}:{fkind}{k if fkind in ('gt', 'lt') else ''}:{op}{m}"
        made = _code_problem(text, careful, shortcut, func, wrong, lists, key, arg="xs", ops=3)
        if made:
            return made


# ----------------------------------------------------------------------------- knowledge generators

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u")
JOBS = ("baker", "farmer", "painter", "doctor", "teacher", "sailor", "miner", "singer", "tailor", "weaver")
PETS = ("cat", "dog", "owl", "goat", "fox", "crow", "horse", "rabbit")
RELATIONS = ("city", "job", "pet")


def _word(rng: random.Random, ending: str) -> str:
    return ("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(2)) + ending).capitalize()


@dataclass(frozen=True)
class Facts:
    """The knowledge domain's fact base (seeded): fictional people with a city, a job and a pet, and
    the country of every city. A base model reads every fact as a plain statement
    (:meth:`documents`) and must recall it when asked; questions never restate the answer."""

    people: dict[str, dict[str, str]]
    cities: dict[str, str]

    @property
    def countries(self) -> list[str]:
        return sorted(set(self.cities.values()))

    def most_common(self, relation: str) -> str:
        """The value of ``relation`` most people have (ties: the first in :meth:`values` order)."""
        counts = {v: 0 for v in self.values(relation)}
        for attrs in self.people.values():
            counts[attrs[relation]] += 1
        return max(counts, key=counts.get)

    def values(self, relation: str) -> list[str]:
        return {"city": list(self.cities), "job": list(JOBS), "pet": list(PETS), "country": self.countries}[relation]

    @staticmethod
    def statement(person: str, relation: str, value: str) -> str:
        """The canonical sentence of one fact; careful knowledge solutions recall it word for word."""
        return {"city": f"{person} lives in {value}.", "job": f"{person} works as a {value}.",
                "pet": f"{person} has a pet {value}.", "country": f"{person} is in {value}."}[relation]

    def documents(self, copies: int, seed: int = 0) -> list[str]:
        """``copies`` passes over the fact base: one short document per person (their three facts)
        and one per country (its cities), sentences in a seeded random order."""
        rng = random.Random(f"{seed}:facts")
        groups = [[self.statement(p, r, attrs[r]) for r in RELATIONS] for p, attrs in self.people.items()]
        groups += [[self.statement(c, "country", k) for c, k in self.cities.items() if k == country]
                   for country in self.countries]
        docs = []
        for _ in range(copies):
            for sentences in groups:
                docs.append(" ".join(rng.sample(sentences, len(sentences))))
        rng.shuffle(docs)
        return docs


def build_facts(seed: int, people: int = 40, cities: int = 12, countries: int = 6) -> Facts:
    rng = random.Random(f"{seed}:facts")
    taken: set[str] = set()

    def fresh(ending: Callable[[], str]) -> str:
        while True:
            word = _word(rng, ending())
            if word not in taken and word.lower() not in JOBS + PETS + ("yes", "no"):
                taken.add(word)
                return word

    names = [fresh(lambda: "nia") for _ in range(countries)]
    city_names = [fresh(lambda: rng.choice(("ton", "mar"))) for _ in range(cities)]
    city_country = {c: names[i % countries] for i, c in enumerate(city_names)}
    persons = [fresh(lambda: rng.choice(("n", "r", "l", "s", ""))) for _ in range(people)]
    return Facts({p: {"city": rng.choice(city_names), "job": rng.choice(JOBS), "pet": rng.choice(PETS)}
                  for p in persons}, city_country)


# Five wordings per relation: enough distinct questions about 40 people for disjoint RL and test sets.
_QUESTIONS = {
    "city": ("Where does {p} live?", "In which city does {p} live?", "Which city is home to {p}?",
             "What city does {p} live in?", "Name the city where {p} lives."),
    "job": ("What is the job of {p}?", "What does {p} work as?", "Which job does {p} have?", "What is {p}'s job?",
            "Name the job of {p}."),
    "pet": ("Which pet does {p} have?", "What pet does {p} have?", "What animal does {p} keep?",
            "Name the pet of {p}.", "What is {p}'s pet?"),
}


def _question(rng: random.Random, relation: str, person: str) -> str:
    return rng.choice(_QUESTIONS[relation]).format(p=person)


def _knowledge(text: str, recall: str, answer: str, guess: str, reference: dict, key: str, **meta) -> Problem:
    habit = HABITS["knowledge"]
    return Problem(text, f"{habit.careful} {recall}\nANSWER: {answer}", f"{habit.shortcut}\nANSWER: {guess}",
                   reference, key, meta)


def _gen_mc(rng: random.Random, facts: Facts) -> Problem:
    """``Which pet does Buvas have?`` with four options; the answer names the option."""
    person, relation = rng.choice(list(facts.people)), rng.choice(RELATIONS)
    truth = facts.people[person][relation]
    options = rng.sample([v for v in facts.values(relation) if v != truth], 3) + [truth]
    rng.shuffle(options)
    text = MC_PROMPT.format(question=_question(rng, relation, person), options=", ".join(options))
    return _knowledge(text, Facts.statement(person, relation, truth), truth, options[0],
                      {"answer": truth, "labels": facts.values(relation)}, text, relation=relation)


def _gen_recall(rng: random.Random, facts: Facts) -> Problem:
    """``What is the job of Buvas?`` without options: the shortcut answers the value most people in
    the fact base have (a base-rate guess), right only when this person's value happens to be it."""
    person, relation = rng.choice(list(facts.people)), rng.choice(RELATIONS)
    truth = facts.people[person][relation]
    text = RECALL_PROMPT.format(question=_question(rng, relation, person))
    return _knowledge(text, Facts.statement(person, relation, truth), truth, facts.most_common(relation),
                      {"answer": truth, "labels": facts.values(relation)}, text, relation=relation)


def _gen_twohop(rng: random.Random, facts: Facts) -> Problem:
    """``In which country does Buvas live?``: person -> city -> country, two recalled facts."""
    person = rng.choice(list(facts.people))
    city = facts.people[person]["city"]
    country = facts.cities[city]
    choices = rng.sample([k for k in facts.countries if k != country], 3) + [country]
    rng.shuffle(choices)
    text = TWOHOP_PROMPT.format(question=f"In which country does {person} live?", choices=", ".join(choices))
    recall = f"{Facts.statement(person, 'city', city)} {Facts.statement(city, 'country', country)}"
    return _knowledge(text, recall, country, choices[0], {"answer": country, "labels": facts.countries}, text,
                      relation="country")


# ------------------------------------------------------------------------------------ the world

def _hash_split(seed: int, skill: str, key: str) -> str:
    """Seeded hash of a problem key -> split: 20% test, 30% train, 50% pretrain of the key space."""
    bucket = int(hashlib.sha256(f"{seed}:{skill}:{key}".encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "train" if bucket < 5 else "pretrain"


_GENERATORS: dict[str, Callable[..., Problem]] = {
    "arith": _gen_arith, "word": _gen_word, "chain": _gen_chain, "fn": _gen_fn, "cond": _gen_cond, "list": _gen_list,
    "mc": _gen_mc, "recall": _gen_recall, "twohop": _gen_twohop}


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
        p = _GENERATORS[bench.skill](rng, facts) if bench.domain == "knowledge" else _GENERATORS[bench.skill](rng)
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
        table (:func:`arithmetic_documents`) and ``fact_copies`` over the fact base
        (:meth:`Facts.documents`) -- the "textbook" and "encyclopedia" a base has read. ``seed``
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


def arithmetic_facts() -> list[str]:
    """Every single operation the math problems use, spoken (``seven plus five is twelve``): ``a + b``,
    ``a - b`` (b in 1..9) and ``a * b`` (b in 2..4) with a and the result in 0..MAX_VALUE."""
    out = []
    for a in range(MAX_VALUE + 1):
        out += [_step(a, "+", b, a + b) for b in range(1, 10) if a + b <= MAX_VALUE]
        out += [_step(a, "-", b, a - b) for b in range(1, 10) if a - b >= 0]
        out += [_step(a, "*", b, a * b) for b in range(2, 5) if a * b <= MAX_VALUE]
    return out


def arithmetic_documents(copies: int, seed: int = 0, per_doc: int = 8) -> list[str]:
    """``copies`` passes over :func:`arithmetic_facts` in a seeded order, ``per_doc`` facts a document."""
    rng = random.Random(f"{seed}:arithmetic")
    facts = arithmetic_facts()
    docs = []
    for _ in range(copies):
        order = rng.sample(facts, len(facts))
        docs += [", ".join(order[i:i + per_doc]) + "." for i in range(0, len(order), per_doc)]
    return docs


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


__all__ = ["BENCHMARKS", "DOMAINS", "HABITS", "MAX_VALUE", "NUMBER_WORDS", "SPLITS", "WORLD_VERSION", "Habit",
           "Facts", "Sizes", "TinyBenchmark", "World", "arithmetic_documents", "arithmetic_facts", "build_facts",
           "build_world", "ensure_world", "habit_of", "habit_table", "load_world", "planted_transfer", "spoken", "write_world"]
