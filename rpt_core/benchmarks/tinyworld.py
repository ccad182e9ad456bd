"""The tiny world: three synthetic reasoning domains, generated from a seed, small enough to run the
paper's whole method (pretrain a base model, RLVR per domain, evaluate every domain) on a CPU.

    >>> from rpt_core.benchmarks.tinyworld import build_world, write_world, load_world
    >>> world = build_world(seed=0)
    >>> sorted(world.test)[:3]
    ['tiny_code_cond', 'tiny_code_fn', 'tiny_code_list']
    >>> world.train["math"][0].domain
    'math'

Domains mirror the paper's taxonomy (*structured*: math, code; *unstructured, knowledge-intensive*:
knowledge). Each has three sub-benchmarks; every item is verified by a :mod:`rpt_core.rewards` kind:

=====================  =========  ===========  =====================================================
benchmark              domain     verifier     task
=====================  =========  ===========  =====================================================
tiny_math_arith        math       math         evaluate a 2-operation expression, ``5 + 7 * 3``
tiny_math_word         math       math         2-3 step word problem (groups of, buys, gives, shares)
tiny_math_chain        math       math         start with n, apply 3 spoken operations (small, like
                                               AIME: few items, sampled ``repeats`` times)
tiny_code_fn           code       code_tests   ``f(x)``: start with x, apply 1-3 spoken operations
tiny_code_cond         code       code_tests   ``f(x)``: one operation if a condition holds, another
                                               otherwise
tiny_code_list         code       code_tests   ``f(xs)``: sum/max/min/count over a filtered, mapped
                                               list
tiny_know_mc           knowledge  choice       where a person lives / their job / their pet, 4 options
                                               (``ANSWER: Gogimar (C)``; the letter is what counts)
tiny_know_yesno        knowledge  label        yes/no question about one fact
tiny_know_twohop       knowledge  label        the country a person lives in (person -> city ->
                                               country) or where they work (person -> job -> place)
=====================  =========  ===========  =====================================================

Shared sub-skills, by construction of the *tasks* (not of any result): math and code both read spoken
operations ("start with x, times three, plus two"): math computes them step by step, code writes them
as an expression (``x * 3 + 2``); ``tiny_math_chain`` and ``tiny_code_fn`` use the same phrasing.
Knowledge shares no vocabulary or skill with them: it needs recall of a fact base of fictional people
and places.

Numbers up to 20 are spoken as words (one token each; digits are one token per digit) and every value
in a math problem stays in 0..20 (:data:`MAX_VALUE`), so each step is a lookup a tiny model can learn.
Reference solutions are short (10-40 tokens): math ``five times three is fifteen, fifteen minus eight
is seven\nANSWER: 7``; code a ```` ```python ```` block with a one-line function; knowledge first states
the fact, then answers (multiple choice: ``Fact: Shirel lives in Gogimar.\nANSWER: Gogimar (C)``).
Every item keeps its reference solution in ``metadata["solution"]`` (used for pretraining and tests;
never shown to a model being evaluated).

Splits. Per domain there are three disjoint splits: ``pretrain`` (supervised examples for the base
model, see :mod:`rpt_core.pretrain`), ``train`` (RL prompts) and ``test`` (the benchmarks). Math and
code items are assigned to a split by a seeded hash of their *problem key* (the numbers and
operations, not the cosmetic names), so no problem appears in two splits even in different words
(inside the pretraining split one problem may appear in several wordings). Knowledge splits are by
*person*: the questions of each split are about different people, while every fact about every
person (and every city's country, every job's workplace) is in the pretraining corpus as plain
statements (:meth:`World.pretraining_corpus`). The base model must therefore answer test questions
from facts it only read as statements, never as a question. The corpus also holds the arithmetic
table (:func:`arithmetic_documents`), as a base model has read about arithmetic.

Determinism: the world is a pure function of ``(seed, sizes)``; each generator draws from its own
``random.Random(f"{seed}:{name}")`` stream. Bump :data:`WORLD_VERSION` when a change alters items.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterator

from ..atomic import write_atomic
from ..items import Item, read_items, write_items

WORLD_VERSION = 2
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
    TinyBenchmark("tiny_math_chain", "math", "chain", "math", repeats=16, small=True),
    TinyBenchmark("tiny_code_fn", "code", "fn", "code_tests"),
    TinyBenchmark("tiny_code_cond", "code", "cond", "code_tests"),
    TinyBenchmark("tiny_code_list", "code", "list", "code_tests"),
    TinyBenchmark("tiny_know_mc", "knowledge", "mc", "choice"),
    TinyBenchmark("tiny_know_yesno", "knowledge", "yesno", "label"),
    TinyBenchmark("tiny_know_twohop", "knowledge", "twohop", "label"),
)}


@dataclass(frozen=True)
class Sizes:
    """How many items to generate.

    test: items per sub-benchmark; test_small: items of the small, repeated one (``tiny_math_chain``).
    train: RL prompts per domain (split evenly over its sub-skills).
    pretrain: supervised pretraining examples per sub-skill.
    people_test / people_train / people_pretrain: fictional people whose facts the knowledge
        questions of each split ask about (every person's facts are in the pretraining corpus).
        A test person gives at most two two-hop questions (country, workplace), so
        ``2 * people_test >= test``. RL prompts cycle through the train people's facts, each pass
        in new words (other options, their order, the value asked about), so a few people give
        many distinct prompts.
    """

    test: int = 80
    test_small: int = 30
    train: int = 240
    pretrain: int = 1000
    people_test: int = 40
    people_train: int = 40
    people_pretrain: int = 40

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"Sizes.{f.name} must be >= 1, got {getattr(self, f.name)}")
        if 2 * self.people_test < self.test:
            raise ValueError(f"Sizes.people_test ({self.people_test}) must be >= Sizes.test / 2 ({self.test / 2}): "
                             "tiny_know_twohop asks at most two questions per test person")


# ------------------------------------------------------------------------------------ prompts

# Instructions come first and the problem last: what the answer restates (numbers, names) then sits
# at a short, nearly fixed distance from the answer, which a tiny model learns to copy much sooner.
# Instructions are short: every prompt token costs pretraining compute and none of them is learned.
MATH_PROMPT = "Solve, end with ANSWER: <number>.\n{problem}"
CODE_PROMPT = "Reply with a ```python block.\n{task}"
MC_PROMPT = "End with ANSWER: <option>.\nOptions: {options}.\n{question}"
YESNO_PROMPT = "End with ANSWER: yes or no.\n{question}"
TWOHOP_PROMPT = "End with ANSWER: <choice>.\nChoices: {choices}.\n{question}"


def _item(bench: TinyBenchmark, split: str, index: int, text: str, kind: str, reference: dict,
          solution: str, key: str, **metadata) -> Item:
    benchmark = bench.name if split == "test" else f"tiny_{bench.domain}_{split}"
    item_id = f"{index:04d}" if split == "test" else f"{bench.skill}-{index:04d}"
    meta = {"skill": bench.skill, "subbenchmark": bench.name, "split": split, "key": key,
            "solution": solution, **metadata}
    return Item(benchmark, item_id, [{"role": "user", "content": text}], kind, reference, bench.domain, meta)


# ------------------------------------------------------------------------- spoken operations

# Numbers 0..20 are spoken as words in math problems, math steps and code specifications. A word is
# one token, where digits are split one per token (Qwen2's pre-tokenizer): ``seven plus five is
# twelve`` is then a lookup a tiny model learns in a few hundred steps, ``7 + 5 = 12`` is not (measured:
# 86% vs 11% of the addition/subtraction/multiplication table after 450-600 steps of the table alone).
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
_SYMBOL = {"add": "+", "sub": "-", "mul": "*"}
_OPWORD = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
# One word per operation: every spoken operation has the same length, so the numbers to restate sit
# at regular distances in the prompt.
_PHRASE = {"add": "plus {k}", "sub": "minus {k}", "mul": "times {k}"}


def spoken(n: int) -> str:
    """``7`` -> ``"seven"``; numbers outside 0..20 stay digits (generators reject those problems)."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _phrase(op: str, k: int) -> str:
    return _PHRASE[op].format(k=spoken(k))


def _step(a: int, symbol: str, b: int, result: int) -> str:
    """One calculation step, spoken: ``seven plus five is twelve``."""
    return f"{spoken(a)} {_OPWORD[symbol]} {spoken(b)} is {spoken(result)}"


def _apply(op: str, value: int, k: int) -> int:
    return value + k if op == "add" else value - k if op == "sub" else value * k


def _random_op(rng: random.Random) -> tuple[str, int]:
    op = rng.choice(("add", "sub", "mul"))
    return op, rng.randint(2, 5) if op == "mul" else rng.randint(1, 9)


def _spoken(ops: list[tuple[str, int]]) -> str:
    """``times three, plus two, minus five``."""
    return ", ".join(_phrase(op, k) for op, k in ops)


def _expression(var: str, ops: list[tuple[str, int]]) -> str:
    """Python expression applying ``ops`` in order to ``var`` (parentheses only where needed)."""
    expr, low = var, False  # low: top level is + or -
    for op, k in ops:
        if op == "mul":
            expr, low = (f"({expr})" if low else expr) + f" * {k}", False
        else:
            expr, low = f"{expr} {_SYMBOL[op]} {k}", True
    return expr


# ------------------------------------------------------------------------------ math generators

MAX_VALUE = 20  # every number in a math problem, its steps and its answer is in 0..MAX_VALUE

_CALC = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
_PREC = {"+": 1, "-": 1, "*": 2}


def _operand(rng: random.Random, op: str) -> int:
    return rng.randint(2, 5) if op == "*" else rng.randint(1, 9)


def _in_range(*values: int) -> bool:
    return all(0 <= v <= MAX_VALUE for v in values)


def _gen_arith(rng: random.Random) -> tuple[str, str, str, dict]:
    """``Compute 5 + 3 * 4.`` -> ``3 * 4 = 12, 5 + 12 = 17`` (inner operation first)."""
    while True:
        o1, o2 = rng.choice("+-*"), rng.choice("+-*")
        if rng.random() < 0.5:  # (a o1 b) o2 c
            a, b, c = _operand(rng, o1), _operand(rng, o1), _operand(rng, o2)
            r1 = _CALC[o1](a, b)
            r2 = _CALC[o2](r1, c)
            inner = f"{a} {o1} {b}"
            text = (f"({inner})" if _PREC[o1] < _PREC[o2] else inner) + f" {o2} {c}"
            steps = [_step(a, o1, b, r1), _step(r1, o2, c, r2)]
        else:  # a o1 (b o2 c)
            a, b, c = _operand(rng, o1), _operand(rng, o2), _operand(rng, o2)
            r1 = _CALC[o2](b, c)
            r2 = _CALC[o1](a, r1)
            inner = f"{b} {o2} {c}"
            text = f"{a} {o1} " + (inner if _PREC[o2] > _PREC[o1] else f"({inner})")
            steps = [_step(b, o2, c, r1), _step(a, o1, r1, r2)]
        if _in_range(r1, r2):
            return f"Compute {text}.", ", ".join(steps), str(r2), {"key": text, "ops": 2}  # digits: read aloud


_NAMES = ("Ana", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ivy", "Jon", "Kai", "Lena", "Max", "Nora",
          "Omar", "Pia", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Yara", "Zoe")
_THINGS = ("apples", "pens", "stamps", "marbles", "cards", "shells", "books", "coins", "eggs", "beads")
_HOLDERS = ("boxes", "bags", "jars", "packs", "baskets")


def _gen_word(rng: random.Random) -> tuple[str, str, str, dict]:
    """Two-step word problems: groups of, buys, gives away, gets more, shares equally."""
    name, thing, holder = rng.choice(_NAMES), rng.choice(_THINGS), rng.choice(_HOLDERS)
    while True:
        form = rng.randrange(5)
        a, b, k = rng.randint(2, 5), rng.randint(2, 5), rng.randint(1, 9)
        A, B, K = spoken(a), spoken(b), spoken(k)
        if form == 0:
            r1, r2 = a * b, a * b + k
            text = (f"How many {thing} does {name} have at the end? {name} has {A} {holder} with {B} {thing} "
                    f"in each, then buys {K} more.")
            steps = [_step(a, "*", b, r1), _step(r1, "+", k, r2)]
        elif form == 1:
            r1, r2 = a * b, a * b - k
            text = (f"How many {thing} does {name} have at the end? {name} has {A} {holder} with {B} {thing} "
                    f"in each, then gives away {K}.")
            steps = [_step(a, "*", b, r1), _step(r1, "-", k, r2)]
        elif form == 2:
            a = rng.randint(1, 9)
            r1, r2 = a + k, (a + k) * b
            text = (f"How many {thing} does {name} have at the end? {name} has {spoken(a)} {thing}, finds {K} "
                    f"more, then gets {B} times as many.")
            steps = [_step(a, "+", k, r1), _step(r1, "*", b, r2)]
        elif form == 3:
            a = rng.randint(1, 9)
            r1, r2 = a + k, a + k - b
            text = (f"How many {thing} does {name} have at the end? {name} has {spoken(a)} {thing}, gets {K} "
                    f"more, then loses {B}.")
            steps = [_step(a, "+", k, r1), _step(r1, "-", b, r2)]
        else:  # share equally: (a*b + k*b) / b exactly
            total, more = a * b, k * b
            r1 = total + more
            r2 = r1 // b
            if not _in_range(total, more, r1):
                continue
            text = (f"How many {thing} go in each {holder[:-1] if holder != 'boxes' else 'box'}? {name} has "
                    f"{spoken(total)} {thing}, buys {spoken(more)} more, then shares them equally among {B} {holder}.")
            steps = [_step(total, "+", more, r1), _step(r1, "/", b, r2)]
            a, k = total, more
        if not _in_range(a, k, r1, r2):
            continue
        if form < 4 and rng.random() < 0.5:  # a third step: buys or loses some more
            more, gain = rng.randint(1, 9), rng.random() < 0.5
            r3 = r2 + more if gain else r2 - more
            if not _in_range(r3):
                continue
            then = f"buys {spoken(more)} more" if gain else f"loses {spoken(more)}"
            text = f"{text[:-1]}, and then {then}."
            steps.append(_step(r2, "+" if gain else "-", more, r3))
            return text, ", ".join(steps), str(r3), {"key": f"{form}:{a}:{b}:{k}:{'+' if gain else '-'}{more}",
                                                     "ops": 3}
        return text, ", ".join(steps), str(r2), {"key": f"{form}:{a}:{b}:{k}", "ops": 2}


def _gen_chain(rng: random.Random) -> tuple[str, str, str, dict]:
    """``Start with 4. Multiply by 3, add 2, then subtract 5.`` -> three steps."""
    while True:
        start = rng.randint(1, 9)
        ops = [_random_op(rng) for _ in range(3)]
        value, steps = start, []
        for op, k in ops:
            new = _apply(op, value, k)
            steps.append(_step(value, _SYMBOL[op], k, new))
            value = new
            if not _in_range(value):
                break
        else:
            said = _spoken(ops)
            text = f"Start with {spoken(start)}, {said}."
            key = f"{start}:" + ",".join(f"{op}{k}" for op, k in ops)
            return text, ", ".join(steps), str(value), {"key": key, "ops": 3}


# ------------------------------------------------------------------------------ code generators

def _code_solution(body: str, arg: str = "x") -> str:
    return f"```python\ndef f({arg}):\n    return {body}\n```"


def _asserts(func: Callable, inputs: list) -> str:
    return "\n".join(f"assert f({x!r}) == {func(x)!r}" for x in inputs)


def _gen_fn(rng: random.Random) -> tuple[str, str, dict, dict]:
    n = rng.choices((1, 2, 3), weights=(1, 2, 2))[0]
    ops = [_random_op(rng) for _ in range(n)]

    def func(x):
        for op, k in ops:
            x = _apply(op, x, k)
        return x

    example = rng.randint(1, 9)
    text = f"Example: f({example}) == {func(example)}. Write f(x): start with x, {_spoken(ops)}."
    inputs = [x for x in (0, 1, 2, 3, 5, 7, 10, 12) if x != example][:6]
    reference = {"tests": _asserts(func, inputs), "entry_point": ""}
    key = ",".join(f"{op}{k}" for op, k in ops)
    return text, _code_solution(_expression("x", ops)), reference, {"key": key, "ops": n}


_CONDITIONS = {
    "even": ("x is even", "x % 2 == 0", lambda x: x % 2 == 0),
    "odd": ("x is odd", "x % 2 == 1", lambda x: x % 2 == 1),
}


def _condition(rng: random.Random):
    kind = rng.choice(("even", "odd", "gt", "lt"))
    if kind in _CONDITIONS:
        return kind, *_CONDITIONS[kind]
    k = rng.randint(2, 9)
    if kind == "gt":
        return f"gt{k}", f"x is greater than {spoken(k)}", f"x > {k}", lambda x: x > k
    return f"lt{k}", f"x is less than {spoken(k)}", f"x < {k}", lambda x: x < k


def _gen_cond(rng: random.Random) -> tuple[str, str, dict, dict]:
    ckey, phrase, code, test = _condition(rng)
    (o1, k1), (o2, k2) = _random_op(rng), _random_op(rng)
    while (o1, k1) == (o2, k2):
        o2, k2 = _random_op(rng)

    def func(x):
        return _apply(o1, x, k1) if test(x) else _apply(o2, x, k2)

    yes = next(x for x in rng.sample(range(1, 13), 12) if test(x))
    no = next(x for x in rng.sample(range(0, 13), 13) if not test(x))
    text = (f"Example: f({yes}) == {func(yes)}, f({no}) == {func(no)}. Write f(x): if {phrase}, "
            f"{_phrase(o1, k1)}; otherwise {_phrase(o2, k2)}.")
    inputs = [x for x in range(0, 14) if x not in (yes, no)]
    inputs = sorted(random.Random(f"{ckey}{o1}{k1}{o2}{k2}").sample(inputs, 7))
    body = f"{_expression('x', [(o1, k1)])} if {code} else {_expression('x', [(o2, k2)])}"
    reference = {"tests": _asserts(func, inputs), "entry_point": ""}
    return text, _code_solution(body), reference, {"key": f"{ckey}:{o1}{k1}:{o2}{k2}", "ops": 2}


_AGGREGATES = {"sum": ("the sum of", "sum"), "max": ("the largest of", "max"), "min": ("the smallest of", "min"),
               "count": ("how many", "len")}
_FILTERS = {"even": ("that are even", "x % 2 == 0", lambda x: x % 2 == 0),
            "odd": ("that are odd", "x % 2 == 1", lambda x: x % 2 == 1)}


def _gen_list(rng: random.Random) -> tuple[str, str, dict, dict]:
    agg = rng.choice(tuple(_AGGREGATES))
    fkind = rng.choice(("even", "odd", "gt", "lt"))
    if fkind in _FILTERS:
        fphrase, fcode, ftest = _FILTERS[fkind]
    elif fkind == "all":
        fphrase, fcode, ftest = "", "", lambda x: True
    else:
        k = rng.randint(1, 7) if fkind == "gt" else rng.randint(2, 8)
        fphrase, fcode, ftest = ((f"that are greater than {spoken(k)}", f"x > {k}", lambda x, k=k: x > k)
                                 if fkind == "gt" else
                                 (f"that are less than {spoken(k)}", f"x < {k}", lambda x, k=k: x < k))
        fkind += str(k)
    mapping = "none" if agg == "count" else rng.choice(("mul", "add"))
    k2 = rng.randint(2, 9)
    mexpr = {"none": "x", "mul": f"x * {k2}", "add": f"x + {k2}"}[mapping]
    mspoken = {"none": "x", "mul": f"x times {spoken(k2)}", "add": f"x plus {spoken(k2)}"}[mapping]
    mfunc = {"none": lambda x: x, "mul": lambda x: x * k2, "add": lambda x: x + k2}[mapping]
    phrase, name = _AGGREGATES[agg]
    numbers = " ".join(p for p in ("numbers in xs", fphrase) if p)
    if agg == "count":
        text = f"Write f(xs) that returns how many {numbers} there are."
        body = f"len([x for x in xs if {fcode}])" if fcode else "len(xs)"
    elif mapping == "none":
        text = f"Write f(xs) that returns {phrase} the {numbers}."
        body = f"{name}(x for x in xs if {fcode})" if fcode else f"{name}(xs)"
    else:
        text = f"Write f(xs) that returns {phrase} {mspoken} for the {numbers}."
        body = f"{name}({mexpr} for x in xs{' if ' + fcode if fcode else ''})"

    def func(xs):
        chosen = [mfunc(x) for x in xs if ftest(x)]
        return len(chosen) if agg == "count" else {"sum": sum, "max": max, "min": min}[agg](chosen)

    def lists(r: random.Random, n: int) -> list[list[int]]:
        out = []
        while len(out) < n:
            xs = [r.randint(0, 9) for _ in range(r.randint(3, 6))]
            if any(ftest(x) for x in xs) and xs not in out:
                out.append(xs)
        return out

    key = f"{agg}:{fkind}:{mapping}{k2 if mapping != 'none' else ''}"
    ex, *tests = lists(rng, 6)
    text = f"Example: f({ex}) == {func(ex)}. {text}"
    reference = {"tests": _asserts(func, tests), "entry_point": ""}
    return text, _code_solution(body, "xs"), reference, {"key": key, "ops": 2 if mapping == "none" else 3}


# ------------------------------------------------------------------------------------ fact base

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "tr", "sh")
_VOWELS = ("a", "e", "i", "o", "u")
JOBS = ("baker", "farmer", "painter", "doctor", "teacher", "sailor", "miner", "singer", "tailor", "weaver")
PLACES = ("market", "field", "studio", "hospital", "school", "harbor", "quarry", "theater", "workshop", "mill")
PETS = ("cat", "dog", "owl", "goat", "fox", "crow", "horse", "rabbit")
RELATIONS = ("city", "job", "pet")
CHAINS = ("country", "workplace")  # two-hop: person -> city -> country, person -> job -> workplace


def _word(rng: random.Random, syllables: int, ending: str = "") -> str:
    text = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)) + ending
    return text.capitalize()


@dataclass
class Facts:
    """The knowledge domain's fact base: fictional people (city, job, pet), the country of every
    city and the workplace of every job (a seeded assignment, so it too must be learned).

    ``groups[split]`` lists the people whose facts the questions of that split ask about.
    """

    people: dict[str, dict[str, str]]
    cities: dict[str, str]
    countries: list[str]
    workplaces: dict[str, str]
    groups: dict[str, list[str]]

    @staticmethod
    def statement(person: str, relation: str, value: str) -> str:
        """The canonical sentence of one fact, also the first line of knowledge solutions."""
        return {"city": f"{person} lives in {value}.", "job": f"{person} works as a {value}.",
                "pet": f"{person} has a pet {value}."}[relation]

    @staticmethod
    def city_statement(city: str, country: str) -> str:
        return f"{city} is in {country}."

    @staticmethod
    def job_statement(job: str, place: str) -> str:
        return f"A {job} works at the {place}."

    def statements(self) -> list[str]:
        """Every fact as a sentence: three per person, one per city, one per job."""
        out = [self.statement(p, r, attrs[r]) for p, attrs in self.people.items() for r in RELATIONS]
        out += [self.city_statement(c, k) for c, k in self.cities.items()]
        return out + [self.job_statement(j, w) for j, w in self.workplaces.items()]

    def documents(self, copies: int, seed: int = 0) -> list[str]:
        """``copies`` short documents per person, per country and of the jobs, sentences in a seeded
        random order (varied order helps a small model store facts it can recall from any context)."""
        rng = random.Random(f"{seed}:documents")
        groups: list[list[str]] = [[self.statement(p, r, attrs[r]) for r in RELATIONS]
                                   for p, attrs in self.people.items()]
        for country in self.countries:
            groups.append([self.city_statement(c, k) for c, k in self.cities.items() if k == country])
        jobs = [self.job_statement(j, w) for j, w in self.workplaces.items()]
        groups += [jobs[:len(jobs) // 2], jobs[len(jobs) // 2:]]
        docs = []
        for _ in range(copies):
            for sentences in groups:
                sentences = sentences[:]
                rng.shuffle(sentences)
                docs.append("Facts: " + " ".join(sentences))
        rng.shuffle(docs)
        return docs

    def to_dict(self) -> dict:
        return asdict(self)


def build_facts(seed: int, sizes: Sizes, n_cities: int = 16, n_countries: int = 6) -> Facts:
    rng = random.Random(f"{seed}:facts")
    taken: set[str] = set()

    def fresh(make: Callable[[], str]) -> str:
        while True:
            word = make()
            if word not in taken and word.lower() not in JOBS + PETS + PLACES + ("yes", "no"):
                taken.add(word)
                return word

    countries = [fresh(lambda: _word(rng, 2, "nia")) for _ in range(n_countries)]
    cities = {fresh(lambda: _word(rng, 2, "ton" if rng.random() < 0.5 else "mar")): countries[i % n_countries]
              for i in range(n_cities)}
    workplaces = dict(zip(JOBS, rng.sample(PLACES, len(PLACES))))
    total = sizes.people_test + sizes.people_train + sizes.people_pretrain
    names = [fresh(lambda: _word(rng, 2, rng.choice(("n", "r", "l", "s", "")))) for _ in range(total)]
    city_names = list(cities)
    people = {n: {"city": rng.choice(city_names), "job": rng.choice(JOBS), "pet": rng.choice(PETS)} for n in names}
    order = names[:]
    rng.shuffle(order)
    groups = {"test": order[:sizes.people_test],
              "train": order[sizes.people_test:sizes.people_test + sizes.people_train],
              "pretrain": order[sizes.people_test + sizes.people_train:]}
    return Facts(people, cities, countries, workplaces, groups)


def _values(facts: Facts, relation: str) -> list[str]:
    return list(facts.cities) if relation == "city" else list(JOBS if relation == "job" else PETS)


_QUESTIONS = {"city": "Where does {p} live?", "job": "What is the job of {p}?", "pet": "Which pet does {p} have?"}
_YESNO = {"city": "Does {p} live in {v}?", "job": "Does {p} work as a {v}?", "pet": "Does {p} have a pet {v}?"}
LETTERS = "ABCD"


def _gen_mc(rng: random.Random, facts: Facts, person: str, relation: str) -> tuple[str, str, dict, dict]:
    truth = facts.people[person][relation]
    options = rng.sample([v for v in _values(facts, relation) if v != truth], 3) + [truth]
    rng.shuffle(options)
    letter = LETTERS[options.index(truth)]
    text = MC_PROMPT.format(question=_QUESTIONS[relation].format(p=person),
                            options=", ".join(f"{o} ({LETTERS[i]})" for i, o in enumerate(options)))
    # The answer names the option as the prompt lists it, "Gogimar (C)": after the value, the letter
    # is the token that followed it in the prompt (a plain copy); the verifier reads the letter.
    solution = f"Fact: {Facts.statement(person, relation, truth)}\nANSWER: {truth} ({letter})"
    return text, solution, {"answer": letter, "options": list(LETTERS)}, {"relation": relation}


def _gen_yesno(rng: random.Random, facts: Facts, person: str, relation: str) -> tuple[str, str, dict, dict]:
    truth = facts.people[person][relation]
    answer = rng.choice(("yes", "no"))
    asked = truth if answer == "yes" else rng.choice([v for v in _values(facts, relation) if v != truth])
    text = YESNO_PROMPT.format(question=_YESNO[relation].format(p=person, v=asked))
    solution = f"Fact: {Facts.statement(person, relation, truth)}\nANSWER: {answer}"
    return text, solution, {"answer": answer, "labels": ["yes", "no"]}, {"relation": relation}


def _gen_twohop(rng: random.Random, facts: Facts, person: str, relation: str) -> tuple[str, str, dict, dict]:
    if relation == "country":
        middle = facts.people[person]["city"]
        answer, labels = facts.cities[middle], facts.countries
        question = f"In which country does {person} live?"
        chain = f"{Facts.statement(person, 'city', middle)} {Facts.city_statement(middle, answer)}"
    else:
        middle = facts.people[person]["job"]
        answer, labels = facts.workplaces[middle], list(PLACES)
        question = f"Where does {person} work?"
        chain = f"{Facts.statement(person, 'job', middle)} {Facts.job_statement(middle, answer)}"
    text = TWOHOP_PROMPT.format(question=question, choices=", ".join(rng.sample(labels, len(labels))))
    return text, f"Facts: {chain}\nANSWER: {answer}", {"answer": answer, "labels": list(labels)}, {"relation": relation}


# ------------------------------------------------------------------------------------ the world

@dataclass
class World:
    """A generated tiny world.

    train: domain -> RL training prompts (items of benchmark ``tiny_<domain>_train``).
    test: benchmark name -> test items (see :data:`BENCHMARKS`); ``repeats`` says how many samples
        each is evaluated with.
    pretrain: domain -> supervised pretraining examples (``tiny_<domain>_pretrain``), disjoint from
        train and test; their solutions are in ``metadata["solution"]``.
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

    def pretraining_corpus(self, doc_copies: int = 40, table_copies: int = 10) -> list[dict]:
        """The base model's training data, in a seeded random order: chat examples
        ``{"messages": [...], "solution": str}`` from every domain's ``pretrain`` split, and plain
        documents ``{"text": str}``: ``doc_copies`` shuffled copies of the fact base
        (:meth:`Facts.documents`) and ``table_copies`` of the arithmetic table
        (:func:`arithmetic_documents`) -- the "encyclopedia" and "textbook" a base model has read."""
        rows: list[dict] = [{"messages": item.messages, "solution": item.metadata["solution"]}
                            for item in self.items("pretrain")]
        rows += [{"text": doc} for doc in self.facts.documents(doc_copies, self.seed)]
        rows += [{"text": doc} for doc in arithmetic_documents(table_copies, self.seed)]
        random.Random(f"{self.seed}:corpus").shuffle(rows)
        return rows


def arithmetic_facts() -> list[str]:
    """Every single operation the math problems use, spoken (``seven plus five is twelve``): ``a + b``, ``a - b``
    (b in 1..9), ``a * b`` (b in 2..5) and exact ``a / b`` with a, the result in 0..MAX_VALUE."""
    out = []
    for a in range(MAX_VALUE + 1):
        out += [_step(a, "+", b, a + b) for b in range(1, 10) if a + b <= MAX_VALUE]
        out += [_step(a, "-", b, a - b) for b in range(1, 10) if a - b >= 0]
        out += [_step(a, "*", b, a * b) for b in range(2, 6) if a * b <= MAX_VALUE]
        out += [_step(a, "/", b, a // b) for b in range(2, 6) if a % b == 0 and a > 0]
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


def _hash_split(seed: int, skill: str, key: str) -> str:
    """Seeded hash of a problem key -> split: 20% test, 30% train, 50% pretrain of the key space."""
    bucket = int(hashlib.sha256(f"{seed}:{skill}:{key}".encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "train" if bucket < 5 else "pretrain"


def _quotas(bench: TinyBenchmark, sizes: Sizes, position: int, count: int) -> dict[str, int]:
    train = sizes.train // count + (1 if position < sizes.train % count else 0)
    return {"test": sizes.test_small if bench.small else sizes.test, "train": train, "pretrain": sizes.pretrain}


_STRUCTURED = {"arith": _gen_arith, "word": _gen_word, "chain": _gen_chain,
               "fn": _gen_fn, "cond": _gen_cond, "list": _gen_list}
_KNOWLEDGE = {"mc": _gen_mc, "yesno": _gen_yesno, "twohop": _gen_twohop}


def _structured_items(bench: TinyBenchmark, seed: int, quotas: dict[str, int]) -> dict[str, list[Item]]:
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
        if bench.domain == "math":
            problem, steps, answer, meta = _STRUCTURED[bench.skill](rng)
            text = MATH_PROMPT.format(problem=problem)
            solution, reference = f"{steps}\nANSWER: {answer}", {"answer": answer}
        else:
            task, solution, reference, meta = _STRUCTURED[bench.skill](rng)
            text = CODE_PROMPT.format(task=task)
        key = meta.pop("key")
        split = _hash_split(seed, bench.skill, key)
        unique = text if split == "pretrain" else key
        if unique in seen or len(out[split]) >= quotas[split]:
            continue
        seen.add(unique)
        out[split].append(_item(bench, split, len(out[split]), text, bench.kind, reference, solution, key, **meta))
    return out


def _knowledge_items(bench: TinyBenchmark, seed: int, facts: Facts, quotas: dict[str, int]) -> dict[str, list[Item]]:
    """Test: one question per (person, relation), spread evenly over the test people (every person
    once before anyone twice). Train: the same order over the train people, cycled as often as
    the quota needs, each pass in new words. Pretrain: questions about random pretrain people.
    Within a split no question text repeats."""
    rng = random.Random(f"{seed}:{bench.name}")
    relations = CHAINS if bench.skill == "twohop" else RELATIONS
    out: dict[str, list[Item]] = {}
    for split in SPLITS:
        people = facts.groups[split]
        shuffled = {p: rng.sample(relations, len(relations)) for p in people}
        pairs = [(p, shuffled[p][j]) for j in range(len(relations)) for p in people]
        if split == "test" and len(pairs) < quotas[split]:
            raise ValueError(f"{bench.name}: {quotas[split]} test questions need more than the "
                             f"{len(people)} people of Sizes.people_test")
        items: list[Item] = []
        seen: set[str] = set()
        budget, turn = 200 * quotas[split] + 10_000, 0
        while len(items) < quotas[split]:
            budget -= 1
            if budget < 0:
                raise ValueError(f"{bench.name}: cannot generate {quotas[split]} distinct {split} questions "
                                 f"about {len(people)} people; raise Sizes.people_{split}")
            if split == "pretrain":
                person, relation = rng.choice(people), rng.choice(relations)
            else:
                person, relation = pairs[turn % len(pairs)]
                turn += 1
            text, solution, reference, meta = _KNOWLEDGE[bench.skill](rng, facts, person, relation)
            if text in seen:
                continue
            seen.add(text)
            items.append(_item(bench, split, len(items), text, bench.kind, reference, solution,
                               f"{person}:{meta['relation']}", person=person, **meta))
        out[split] = items
    return out


def build_world(seed: int = 0, sizes: Sizes | dict | None = None) -> World:
    """Generate the tiny world for ``seed`` (deterministic; see the module docstring)."""
    sizes = sizes if isinstance(sizes, Sizes) else Sizes(**(sizes or {}))
    facts = build_facts(seed, sizes)
    splits: dict[str, dict] = {"pretrain": {d: [] for d in DOMAINS}, "train": {d: [] for d in DOMAINS}, "test": {}}
    for domain in DOMAINS:
        benches = [b for b in BENCHMARKS.values() if b.domain == domain]
        for position, bench in enumerate(benches):
            quotas = _quotas(bench, sizes, position, len(benches))
            made = (_knowledge_items(bench, seed, facts, quotas) if domain == "knowledge"
                    else _structured_items(bench, seed, quotas))
            splits["pretrain"][domain] += made["pretrain"]
            splits["train"][domain] += made["train"]
            splits["test"][bench.name] = made["test"]
    for domain in DOMAINS:  # interleave sub-skills of a domain in a seeded order
        random.Random(f"{seed}:{domain}:train").shuffle(splits["train"][domain])
    return World(seed, sizes, splits["train"], splits["test"], splits["pretrain"], facts)


# ------------------------------------------------------------------------------------ storage

def write_world(world: World, data_dir: str | Path) -> Path:
    """Write ``world`` under ``data_dir``: ``world.json`` (seed, sizes, version, repeats),
    ``facts.json``, ``test/<benchmark>.jsonl``, ``train/<domain>.jsonl``, ``pretrain/<domain>.jsonl``
    (one :meth:`Item.to_dict` per line). Each file is written atomically. Returns ``data_dir``."""
    root = Path(data_dir)
    for split in SPLITS:
        for name, items in world.split(split).items():
            write_items(root / split / f"{name}.jsonl", items)
    meta = {"seed": world.seed, "version": world.version, "sizes": asdict(world.sizes), "repeats": world.repeats,
            "benchmarks": {name: asdict(b) for name, b in BENCHMARKS.items()}}
    # Keys keep their order (no sort_keys): the pretraining corpus walks the fact base in that order,
    # so a loaded world must pretrain exactly like the world it was written from.
    for name, content in (("facts.json", world.facts.to_dict()), ("world.json", meta)):  # world.json last
        write_atomic(root / name, json.dumps(content, indent=1))
    return root


def load_world(data_dir: str | Path) -> World:
    """Read a world written by :func:`write_world`."""
    root = Path(data_dir)
    if not (root / "world.json").exists():
        raise FileNotFoundError(f"{root}/world.json not found: write a tiny world there with write_world()")
    meta = json.loads((root / "world.json").read_text())

    def read(split: str) -> dict[str, list[Item]]:
        return {p.stem: read_items(p) for p in sorted((root / split).glob("*.jsonl"))}

    test = read("test")
    test = {name: test[name] for name in BENCHMARKS if name in test}
    train, pretrain = read("train"), read("pretrain")
    order = lambda d: {k: d[k] for k in DOMAINS if k in d}  # noqa: E731
    return World(meta["seed"], Sizes(**meta["sizes"]), order(train), test, order(pretrain),
                 Facts(**json.loads((root / "facts.json").read_text())), meta["version"], meta["repeats"])


__all__ = ["BENCHMARKS", "DOMAINS", "MAX_VALUE", "NUMBER_WORDS", "SPLITS", "WORLD_VERSION", "Facts", "Sizes",
           "TinyBenchmark", "World", "arithmetic_documents", "arithmetic_facts", "build_facts", "build_world",
           "load_world", "spoken", "write_world"]
