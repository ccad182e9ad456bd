"""The tiny world's math and code domains: spoken arithmetic over 0..20 (:data:`NUMBER_WORDS`,
:func:`spoken`), the generators of their six sub-skills (:data:`ARITHMETIC_GENERATORS`: ``arith``,
``word``, ``chain`` for math; ``fn``, ``cond``, ``list`` for code), and the arithmetic table a base
model reads in pretraining (:func:`arithmetic_facts`, :func:`arithmetic_documents`)."""

from __future__ import annotations

import random
from typing import Callable

from .habits import HABITS
from .problem import CODE_PROMPT, MATH_PROMPT, Problem

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


ARITHMETIC_GENERATORS: dict[str, Callable[[random.Random], Problem]] = {
    "arith": _gen_arith, "word": _gen_word, "chain": _gen_chain, "fn": _gen_fn, "cond": _gen_cond, "list": _gen_list}
"""Skill name -> generator of the math and code domains; each draws one problem from ``rng``."""


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


__all__ = ["ARITHMETIC_GENERATORS", "MAX_VALUE", "NUMBER_WORDS", "arithmetic_documents", "arithmetic_facts", "spoken"]
