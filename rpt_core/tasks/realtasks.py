"""Real tasks a small instruct model partly solves, in the paper's three domains.

The paper's question needs a base that is *sometimes* right in every domain: GRPO learns only from
groups with mixed rewards, and a benchmark at the floor cannot show transfer either way. These sets
are generated (math, code) or built from fact packages on PyPI (knowledge, ``countryinfo`` and
``periodictable``), so a study needs no hub access, and their difficulty was chosen by measuring
SmolLM2-135M-Instruct first (``params/smollm-base.yaml``; the table is in README).

Every set is asked the same way as :mod:`rpt_core.tasks.quiz`: the instruction as the system
message, two solved examples as earlier chat turns, then the question; every answer is one
``ANSWER:`` line. The examples fix the format; being right stays the model's own work.

==================  =========  ==========  ============================================================
set                 domain     verifier    item
==================  =========  ==========  ============================================================
``word_problems``   math       math        one-step word problems (add, subtract, multiply, share out)
``code_output``     code       math        what a 2-4 line Python program prints (an integer)
``code_functions``  code       code_tests  write a one-line Python function; run against asserts in the
                                           sandbox
``capitals``        knowledge  text        the capital of a country (``countryinfo``)
``elements``        knowledge  text        the element with a chemical symbol (``periodictable``)
==================  =========  ==========  ============================================================

Splits. Each item has a key (its question); a seeded hash of the key sends ``test_share`` of the
key space to the held-out set (benchmark ``<set>``) and the rest to the RL prompts (training set
``<set>_train``), so no test question is ever an RL prompt. Knowledge facts are finite: each key is
one fact, so RL on capitals never sees a test country. Deterministic in ``(seed, sizes)``; bump
:data:`VERSION` (the items' ``set_version``) when a change alters items. The task version
(:attr:`rpt_core.tasks.task.Task.version`) hashes this file, so any change makes earlier verdicts stale.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

from ..atomic import write_atomic
from ..items import Item, write_items
from .task import Source, Task

VERSION = 1
INSTRUCTION = "End with ANSWER: <answer>."

# ------------------------------------------------------------------------------------------- math

_NAMES = ("Ana", "Ben", "Mia", "Leo", "Ivy", "Sam", "Zoe", "Max", "Eva", "Tom")
_THINGS = ("apples", "pens", "cards", "books", "stickers", "coins", "shells", "marbles")


def _word_problem(rng: random.Random) -> tuple[str, str, str]:
    """(question, worked answer, reference) of one word problem."""
    name, thing = rng.choice(_NAMES), rng.choice(_THINGS)
    op = rng.choice("+-*/")
    if op in "+-":
        a, b = rng.randint(5, 40), rng.randint(2, 20)
        if op == "-":
            a = max(a, b + 1)
            return (f"{name} has {a} {thing} and gives away {b}. How many {thing} are left?",
                    f"{a} - {b} = {a - b}.", str(a - b))
        return (f"{name} has {a} {thing} and gets {b} more. How many {thing} does {name} have now?",
                f"{a} + {b} = {a + b}.", str(a + b))
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    if op == "*":
        return (f"{name} has {a} bags with {b} {thing} in each bag. How many {thing} are there?",
                f"{a} * {b} = {a * b}.", str(a * b))
    return (f"{name} shares {a * b} {thing} equally among {a} friends. How many {thing} does each friend get?",
            f"{a * b} / {a} = {b}.", str(b))


# ------------------------------------------------------------------------------------------- code

def _code_program(rng: random.Random) -> str:
    """A short Python program that prints one integer (never run here: its output is computed by
    :func:`_program_output`, which executes this trusted, generated text)."""
    a, b, c = rng.randint(2, 9), rng.randint(2, 9), rng.randint(2, 9)
    values = [rng.randint(1, 9) for _ in range(rng.randint(3, 5))]
    word = rng.choice(("banana", "apple", "cherry", "mississippi", "coffee", "letter", "balloon", "pepper"))
    letter = rng.choice(sorted(set(word)))
    templates = [
        f"x = {a}\ny = x + {b}\nprint(y * 2)",
        f"x = {a}\nx = x * {b}\nprint(x - {c})",
        f"nums = {values}\nprint(len(nums))",
        f"nums = {values}\nprint(nums[{rng.randint(0, len(values) - 1)}])",
        f"nums = {values}\nprint(sum(nums))",
        f"nums = {values}\nprint(max(nums) - min(nums))",
        f"s = \"{word}\"\nprint(len(s))",
        f"s = \"{word}\"\nprint(s.count(\"{letter}\"))",
        f"total = 0\nfor i in range({a}):\n    total += {b}\nprint(total)",
        f"x = {a + b}\nif x > {c + 5}:\n    x = x - {c}\nelse:\n    x = x + {c}\nprint(x)",
        f"def f(n):\n    return n * {b} + 1\nprint(f({a}))",
        f"print({a * b + c} // {b})",
        f"print({a * b + c} % {b})",
    ]
    return rng.choice(templates)


def _program_output(program: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(program, {"__builtins__": {"print": print, "len": len, "sum": sum, "max": max, "min": min,
                                        "range": range}})
    return out.getvalue().strip()


def _code_output(rng: random.Random) -> tuple[str, str, str]:
    program = _code_program(rng)
    return f"What does this Python program print?\n```python\n{program}\n```", "", _program_output(program)


# (name, signature, description, body, [(args, result), ...]) of one-line functions; k varies per item
_FUNCTIONS: tuple[tuple[str, str, Callable[[int], str], Callable[[int], str], Callable[[int], list]], ...] = (
    ("add", "x", lambda k: f"returns x plus {k}", lambda k: f"x + {k}", lambda k: [(3, 3 + k), (-1, k - 1)]),
    ("times", "x", lambda k: f"returns x times {k}", lambda k: f"x * {k}", lambda k: [(3, 3 * k), (0, 0)]),
    ("minus", "x", lambda k: f"returns x minus {k}", lambda k: f"x - {k}", lambda k: [(10, 10 - k), (0, -k)]),
    ("is_multiple", "x", lambda k: f"returns True if x is divisible by {k}, else False", lambda k: f"x % {k} == 0",
     lambda k: [(k * 3, True), (k * 3 + 1, False)]),
    ("greater", "x", lambda k: f"returns True if x is greater than {k}, else False", lambda k: f"x > {k}",
     lambda k: [(k + 1, True), (k, False)]),
    ("first_n", "s", lambda k: f"returns the first {k} characters of the string s", lambda k: f"s[:{k}]",
     lambda k: [("abcdefghij", "abcdefghij"[:k]), ("xy", "xy"[:k])]),
    ("repeat", "s", lambda k: f"returns the string s repeated {k} times", lambda k: f"s * {k}",
     lambda k: [("ab", "ab" * k), ("", "")]),
    ("count", "items", lambda k: f"returns how many times {k} appears in the list items",
     lambda k: f"items.count({k})", lambda k: [([k, 1, k], 2), ([0], 0)]),
    ("power", "x", lambda k: f"returns x to the power {k}", lambda k: f"x ** {k}", lambda k: [(2, 2 ** k), (3, 3 ** k)]),
    ("last_n", "items", lambda k: f"returns the last {k} elements of the list items", lambda k: f"items[-{k}:]",
     lambda k: [(list(range(30)), list(range(30))[-k:])]),
    ("first_items", "items", lambda k: f"returns the first {k} elements of the list items", lambda k: f"items[:{k}]",
     lambda k: [(list(range(30)), list(range(30))[:k]), ([1], [1])]),
    ("subtract_from", "x", lambda k: f"returns {k} minus x", lambda k: f"{k} - x", lambda k: [(1, k - 1), (k + 5, -5)]),
    ("floor_div", "x", lambda k: f"returns x divided by {k}, rounded down to an integer", lambda k: f"x // {k}",
     lambda k: [(k * 4 + 1, 4), (k - 1, 0)]),
    ("remainder", "x", lambda k: f"returns the remainder of x divided by {k}", lambda k: f"x % {k}",
     lambda k: [(k * 3 + 1, 1), (k, 0)]),
    ("less_than", "x", lambda k: f"returns True if x is less than {k}, else False", lambda k: f"x < {k}",
     lambda k: [(k - 1, True), (k, False)]),
    ("equals", "x", lambda k: f"returns True if x equals {k}, else False", lambda k: f"x == {k}",
     lambda k: [(k, True), (k + 1, False)]),
    ("add_each", "items", lambda k: f"returns a list with {k} added to each element of the list items",
     lambda k: f"[i + {k} for i in items]", lambda k: [([1, 2], [1 + k, 2 + k]), ([], [])]),
    ("shout", "s", lambda k: f"returns the string s followed by {k} exclamation marks", lambda k: f"s + '!' * {k}",
     lambda k: [("hi", "hi" + "!" * k)]),
    ("at_most", "x", lambda k: f"returns the smaller of x and {k}", lambda k: f"min(x, {k})",
     lambda k: [(k + 3, k), (k - 3, k - 3)]),
    ("at_least", "x", lambda k: f"returns the larger of x and {k}", lambda k: f"max(x, {k})",
     lambda k: [(k + 3, k + 3), (k - 3, k)]),
)


def _code_function(rng: random.Random) -> tuple[str, str, dict]:
    stem, arg, describe, body, cases = rng.choice(_FUNCTIONS)
    k = rng.randint(2, 20)
    name = f"{stem}_{k}"
    tests = "\n".join(f"assert {name}({a!r}) == {r!r}" for a, r in cases(k))
    question = f"Write a Python function {name}({arg}) that {describe(k)}."
    return question, f"```python\ndef {name}({arg}):\n    return {body(k)}\n```", {"tests": tests, "time_limit_s": 5.0}


# -------------------------------------------------------------------------------------- knowledge

def _countries() -> list[dict]:
    """Countries of the ``countryinfo`` package with a capital: ``{"name", "capital", "region"}``."""
    folder = resources.files("countryinfo") / "data"
    rows = []
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if file.name.endswith(".json"):
            row = json.loads(file.read_text(encoding="utf-8"))
            if row.get("name") and row.get("capital"):
                rows.append({"name": row["name"], "capital": row["capital"], "region": row.get("region")})
    return rows


ELEMENTS_UP_TO = 86   # radon; the heavier ones (francium to oganesson) the base never named right


def _elements() -> list[dict]:
    """Elements 1..:data:`ELEMENTS_UP_TO` of ``periodictable``: ``{"symbol", "name"}``."""
    import periodictable

    return [{"symbol": e.symbol, "name": e.name.capitalize()} for e in periodictable.elements
            if 0 < e.number <= ELEMENTS_UP_TO]


# ------------------------------------------------------------------------------------------- sets

@dataclass(frozen=True)
class TaskSet:
    """One generated set. ``draw(rng)`` returns (question, worked text shown before the answer in a
    solved example, reference); ``facts`` lists every item of a finite set instead (knowledge)."""

    name: str
    domain: str
    kind: str
    shots: tuple[tuple[str, str], ...]
    draw: Callable[[random.Random], tuple] | None = None
    facts: Callable[[], list[tuple[str, str, object]]] | None = None

    def reference(self, raw) -> dict:
        return raw if isinstance(raw, dict) else {"answer": str(raw)}


def _capital_facts() -> list[tuple[str, str, str]]:
    return [(f"What is the capital of {c['name']}?", "", c["capital"]) for c in _countries()]


def _element_facts() -> list[tuple[str, str, str]]:
    return [(f"Which chemical element has the symbol {e['symbol']}?", "", e["name"]) for e in _elements()]


SETS: dict[str, TaskSet] = {s.name: s for s in (
    TaskSet("word_problems", "math", "math",
            (("Kim has 12 pears and gets 5 more. How many pears does Kim have now?", "12 + 5 = 17.\nANSWER: 17"),
             ("Raj has 4 boxes with 6 toys in each box. How many toys are there?", "4 * 6 = 24.\nANSWER: 24")),
            draw=_word_problem),
    TaskSet("code_output", "code", "math",
            (("What does this Python program print?\n```python\nx = 3\nprint(x + 4)\n```", "ANSWER: 7"),
             ("What does this Python program print?\n```python\nnums = [5, 1, 8]\nprint(nums[0])\n```", "ANSWER: 5")),
            draw=_code_output),
    TaskSet("code_functions", "code", "code_tests",
            (("Write a Python function double(x) that returns x times 2.",
              "```python\ndef double(x):\n    return x * 2\n```"),
             ("Write a Python function head(s) that returns the first character of the string s.",
              "```python\ndef head(s):\n    return s[0]\n```")),
            draw=_code_function),
    TaskSet("capitals", "knowledge", "text",
            (("What is the capital of Japan?", "ANSWER: Tokyo"), ("What is the capital of Italy?", "ANSWER: Rome")),
            facts=_capital_facts),
    TaskSet("elements", "knowledge", "text",
            (("Which chemical element has the symbol O?", "ANSWER: Oxygen"),
             ("Which chemical element has the symbol Na?", "ANSWER: Sodium")),
            facts=_element_facts),
)}


# The real-model study's sizes: test items and RL prompts per set, and the share of each set's key
# space held out. With the quiz's 100 items, each domain has 200 test items, asked 8 times each:
# 1,600 samples, a minimum detectable Δ of 4.95 pp at 80% power (base at 50%, the worst case).
SIZES: dict[str, dict] = {
    "word_problems": {"test": 100, "train": 200},
    "code_functions": {"test": 200, "train": 150, "test_share": 0.55},
    "capitals": {"test": 148, "train": 90, "test_share": 0.62},
    "elements": {"test": 52, "train": 28, "test_share": 0.62},
}


def task_messages(task: TaskSet, question: str) -> list[dict]:
    """The chat a model sees: the instruction (system), the two solved examples, then ``question``."""
    instruction = ("Answer with a Python code block." if task.kind == "code_tests" else INSTRUCTION)
    messages = [{"role": "system", "content": instruction}]
    for shot, answer in task.shots:
        messages += [{"role": "user", "content": shot}, {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": question}]


def _split(seed: int, name: str, key: str, test_share: float) -> str:
    bucket = int(hashlib.sha256(f"{seed}:{name}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < test_share else "train"


def build_set(name: str, seed: int = 0, test: int = 100, train: int = 200,
              test_share: float = 0.5) -> dict[str, list[Item]]:
    """``{"train": [...], "test": [...]}`` of set ``name`` (:data:`SETS`): distinct questions, none in
    both. Finite (knowledge) sets raise when the split cannot hold the sizes asked for."""
    if name not in SETS:
        raise ValueError(f"unknown task set {name!r}; allowed: {', '.join(SETS)}")
    if test < 1 or train < 0:
        raise ValueError(f"{name}: test must be >= 1 and train >= 0, got test={test}, train={train}")
    task = SETS[name]
    quotas = {"train": train, "test": test}
    out: dict[str, list[Item]] = {"train": [], "test": []}
    rng = random.Random(f"{seed}:{name}")
    if task.facts:
        pool = task.facts()
        rng.shuffle(pool)
        draws = iter(pool)
    else:
        draws = (task.draw(rng) for _ in range(50 * (train + test)))
    seen: set[str] = set()
    for question, _, raw in draws:
        split = _split(seed, name, question, test_share)
        if question in seen or len(out[split]) >= quotas[split]:
            continue
        seen.add(question)
        benchmark = name if split == "test" else f"{name}_train"
        out[split].append(Item(benchmark, f"{len(out[split]):04d}", task_messages(task, question), task.kind,
                               task.reference(raw), task.domain, {"question": question, "set_version": VERSION}))
        if all(len(out[s]) == quotas[s] for s in quotas):
            return out
    raise ValueError(f"{name}: cannot draw {quotas} distinct items (got train={len(out['train'])}, "
                     f"test={len(out['test'])}); lower the sizes or change test_share")


def write_sets(out_dir: str | Path, sizes: dict[str, dict], seed: int = 0) -> Path:
    """Write ``<out_dir>/test/<set>.jsonl`` and ``<out_dir>/train/<set>_train.jsonl`` for each
    ``{set: {"test": n, "train": n, "test_share"?: f}}``, and ``realtasks.json`` (version, seed, sizes)."""
    root = Path(out_dir)
    for name, size in sizes.items():
        built = build_set(name, seed=seed, **size)
        write_items(root / "test" / f"{name}.jsonl", built["test"])
        write_items(root / "train" / f"{name}_train.jsonl", built["train"])
    write_atomic(root / "realtasks.json", json.dumps({"version": VERSION, "seed": seed, "sizes": sizes}, indent=1))
    return root


# The held-out test sets as declared tasks (written by a study step, read from their item files).
TASKS = tuple(Task(name, SETS[name].domain, Source("embedded", __name__), size["test"], 1, INSTRUCTION, SETS[name].kind,
                   role="embedded", module=__name__) for name, size in SIZES.items())

__all__ = ["INSTRUCTION", "SETS", "SIZES", "TaskSet", "VERSION", "build_set", "task_messages", "write_sets"]
