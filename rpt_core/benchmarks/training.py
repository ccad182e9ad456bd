"""The paper's RLVR training sets (interventional study), normalized to :class:`~rpt_core.items.Item`.

    >>> from rpt_core.benchmarks import load_training_set, mixed_training_set, training_set_hash
    >>> maths = load_training_set("eurus-2-math-100k", seed=None)       # first 40K in hub order
    >>> code = load_training_set("code", data_dir="/data", seed=42)      # domain aliases work too
    >>> mixed = mixed_training_set(seed=42)                              # 3 x 13,333, shuffled
    >>> training_set_hash(mixed)                                         # sha256 for manifests

Sets (``TRAINING_SETS``; aliases ``math``/``code``/``knowledge``):

=====================  =========  ======================================  ==================
name                   domain     hub id (split)                          verifier kind(s)
=====================  =========  ======================================  ==================
eurus-2-math-100k      math       uiuc-kang-lab/eurus-2-math-100k (train) ``math``
code-100k-rl           code       uiuc-kang-lab/code-100k-rl (train)      ``code_stdio`` /
                                                                          ``code_tests``
mlvr-100k-rl           knowledge  uiuc-kang-lab/mlvr-100k-rl (train)      ``text`` / ``math`` /
                                                                          ``choice``
=====================  =========  ======================================  ==================

Selection (deterministic). Rows are read in source order (hub split order; for a local copy, the
sorted data files concatenated), filtered with the authors' rules (``keep`` below, plus an optional
``data_source`` filter), then ordered: ``seed=None`` keeps source order, an integer ``seed`` applies
the permutation ``numpy.random.default_rng(seed).permutation(n)``, which is exactly what
``datasets.Dataset.shuffle(seed=seed)`` does. ``size`` (default ``spec.size`` = 40,000) takes the
first rows of that order that normalize to a gradable item (a row without usable tests or answer is
skipped and the next one taken). Ids are the row's position in the source split, so they are
stable across seeds and sizes. Fewer than ``size`` rows available -> all of them, no error.

What the authors did (their SkyRL data-preparation scripts, found in a public code index without
a repository path: a single-domain math script writing ``deepscaler_train.parquet`` and a
mixed-domain script writing ``mixed_domain_train.parquet`` whose environment imports
``rl_gen.mixed_domain``, i.e. the authors' SkyRL fork):

* single-domain math: ``load_dataset(eurus-2-math-100k, split="train").select(range(40000))``, no
  shuffle -> ``load_training_set("eurus-2-math-100k", seed=None)`` (``spec.paper_seed``).
* mixed domain: per set ``shuffle(seed=42).select(range(13333))`` (code first filtered to
  ``data_source == "eurus"`` and to rows with non-empty tests without >1000-digit integers), the three
  concatenated as [math, code, knowledge] and shuffled again with seed 42 ->
  ``mixed_training_set(seed=42)`` reproduces that order given the same hub revision.
* single-domain code and knowledge: the authors' 40K scripts were not found. ``spec.paper_seed``
  is 42 for both by analogy with the mixed script, and the single-domain code set is NOT restricted
  to ``data_source == "eurus"`` (the Eurus code pool has only ~26.8K problems, fewer than 40K):
  both unconfirmed.

Prompts are the authors' training prompts, kept as chat messages (system message included where
the authors had one; ``Item.prompt`` leaves system messages out):

* math: the dataset's own ``prompt`` messages (Eurus/PRIME system prompt + user problem ending in
  "Present the answer in LaTex format: \\boxed{Your answer}"); the ``math`` verifier extracts
  ``\\boxed{}``. A user turn without ``\\boxed`` gets that instruction appended.
* code: one user turn, the ``problem`` followed by :data:`CODE_INSTRUCTION` (a fenced python block)
  unless it already shows a python fence; the code verifiers extract the last fenced block.
* knowledge: the dataset's messages with the system turn replaced by :data:`MLVR_SYSTEM_PROMPT` and
  :data:`MLVR_INSTRUCTION` (answer in ``\\boxed{}``) appended to the user turn.

References and kinds:

* math: ``{"answer": reward_model.ground_truth}`` -> ``math``.
* code: ``tests`` is a JSON string: ``{"inputs": [...], "outputs": [...]}`` (APPS/TACO style, with
  ``"fn_name"`` for call-based problems) or ``[{"input": ..., "output": ..., "testtype"?,
  "metadata"?}, ...]`` (LiveCodeBench/DeepCoder style). stdin/stdout tests -> ``code_stdio`` with
  ``time_limit_s`` 6 (the authors' per-test timeout); call-based / ``"functional"`` tests ->
  ``code_tests`` calling the function (or ``Solution().<fn>``) on each JSON argument list.
  Deviation: the authors' grader dropped ``fn_name`` and ran call-based problems as stdin programs,
  so those always scored 0 there.
* knowledge: the answers are free-form (ExamQA with the distractors removed, see below), not option
  letters. A bare option letter whose options are listed in the question -> ``choice``; words ->
  ``text`` (normalized exact match or whole-word containment: the authors' reward accepted a boxed
  answer that contains the reference); numbers and formulas -> ``math`` (Math-Verify equivalence).

Sources (schemas; the hub itself was not reachable when this was written):

* eurus-2-math-100k: same columns as ``PRIME-RL/Eurus-2-RL-Data`` (``data_source``, ``prompt``
  [list of {content, role}: system + user], ``ability``, ``reward_model`` {ground_truth, style},
  ``extra_info`` {index, split}); splits train and validation. Confirmed from the authors' scripts
  (``example["prompt"]`` with 2 messages system/user, ``example["reward_model"]["ground_truth"]``,
  ``x["ability"] == "math"``, splits train/validation) and the Eurus-2-RL-Data card
  (https://huggingface.co/datasets/PRIME-RL/Eurus-2-RL-Data); the boxed instruction in the user turn
  is asserted by uiuc-kang-lab/SkyRL examples/train/eurus_rl_math/eurus_rl_math_dataset.py.
* code-100k-rl: columns ``problem`` (str), ``tests`` (JSON string, may be null/empty) and
  ``data_source`` (includes ``"eurus"``) are confirmed by the authors' mixed-domain script; other
  columns, if any, are unknown. Test formats as read by the authors' grader (uiuc-kang-lab/
  rlvr-noisy-data SkyRL/skyrl-gym/skyrl_gym/envs/lcb/livecodebench.py, ``compute_score``).
* mlvr-100k-rl: ``prompt`` (2 messages system/user) and ``reward_model.ground_truth`` confirmed by
  the authors' mixed-domain script; the other verl columns (``data_source``, ``ability``,
  ``extra_info``) are assumed. Built from ``virtuoussy/Multi-subject-RLVR`` (columns ``query``
  [system, user], ``label``; free-form answers: https://huggingface.co/datasets/virtuoussy/
  Multi-subject-RLVR), filtered by the authors with an LLM knowledge/reasoning classifier.
* File layout of all three (``data/train-*.parquet`` as written by ``push_to_hub``) is assumed.

Local copies: ``<data_dir>/<name>/`` (``data_dir`` argument or ``$RPT_DATA_DIR``) holding the
dataset's files in its own schema (parquet, jsonl or json); files whose path mentions the split
(``data/train-00000-of-00001.parquet``) are used, else all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnknownName
from ..items import Item
from .loaders import BenchmarkUnavailable, read_records

# The authors' instruction strings (verbatim).
MATH_INSTRUCTION = "Present the answer in LaTex format: \\boxed{Your answer}"
CODE_INSTRUCTION = "Write Python code to solve the problem. Present the code in\n```python\nYour code\n```\nat the end."
MLVR_SYSTEM_PROMPT = ("You are a chatbot who can solve problems. Please solve the following problem and give your "
                      "thought process.")
MLVR_INSTRUCTION = "Let's think step by step and output the final answer within: \\boxed{}."

CODE_TIME_LIMIT_S = 6.0        # the authors' per-test timeout (lcb_check_correctness)
CODE_TESTS_MAX_TIME_S = 60.0   # cap for a call-based suite (one sandbox run for all its cases)
GIANT_INT_DIGITS = 1000        # the authors drop code rows whose tests hold a longer integer
_DATA_SUFFIXES = (".parquet", ".jsonl", ".json")
_LETTERS = "ABCDEFGHIJ"


class TrainingSetUnavailable(BenchmarkUnavailable):
    """A training set's rows cannot be read; the message says what to put where."""


@dataclass(frozen=True)
class TrainingSetSpec:
    """One training set. ``verifier`` lists the possible item kinds joined by ``"/"``; ``keep`` and
    ``normalizer`` name entries of :data:`KEEP` and :data:`NORMALIZERS`. ``paper_seed`` is the seed
    that reproduces the authors' single-domain selection (``None`` = source order).
    ``mixed_data_sources``: the ``data_source`` values the authors' mixed-domain run kept."""

    name: str
    hub_id: str
    domain: str
    split: str
    verifier: str
    normalizer: str
    keep: str = "all"
    size: int = 40_000
    paper_seed: int | None = 42
    mixed_data_sources: tuple[str, ...] | None = None
    notes: str = ""

    @property
    def verifier_kinds(self) -> tuple[str, ...]:
        return tuple(self.verifier.split("/"))

    def layout(self) -> str:
        return (f"<data_dir>/{self.name}/ holding the hub dataset {self.hub_id} in its own schema as parquet, jsonl "
                f"or json files, e.g. <data_dir>/{self.name}/data/{self.split}-00000-of-00001.parquet "
                f"(files whose path mentions '{self.split}' are used, else all)")


_SPECS = [
    TrainingSetSpec("eurus-2-math-100k", "uiuc-kang-lab/eurus-2-math-100k", "math", "train", "math", "eurus_math",
                    paper_seed=None,
                    notes="verl/PRIME schema (Eurus-2-RL-Data math subset); single-domain run took the first 40K"),
    TrainingSetSpec("code-100k-rl", "uiuc-kang-lab/code-100k-rl", "code", "train", "code_stdio/code_tests", "code",
                    keep="code_tests", mixed_data_sources=("eurus",),
                    notes="problem/tests/data_source; other columns unknown; single-domain selection unconfirmed"),
    TrainingSetSpec("mlvr-100k-rl", "uiuc-kang-lab/mlvr-100k-rl", "knowledge", "train", "text/math/choice", "mlvr",
                    notes="Multi-subject-RLVR (ExamQA, free-form answers) without math/code; verl columns assumed"),
]
TRAINING_SETS: dict[str, TrainingSetSpec] = {spec.name: spec for spec in _SPECS}
MIXED_PAPER_SEED = 42   # the authors' mixed-domain script: per-set and final shuffle seed
DOMAIN_ALIASES = {"math": "eurus-2-math-100k", "code": "code-100k-rl", "knowledge": "mlvr-100k-rl"}


# ------------------------------------------------------------------------------------- entry points

def training_set(name: str) -> TrainingSetSpec:
    """The spec for a set name or domain alias; ``KeyError`` naming the allowed ones otherwise."""
    spec = TRAINING_SETS.get(DOMAIN_ALIASES.get(name, name))
    if spec is None:
        raise UnknownName(f"unknown training set {name!r}; known: {', '.join(TRAINING_SETS)} "
                       f"(aliases: {', '.join(f'{a}={n}' for a, n in DOMAIN_ALIASES.items())})")
    return spec


def load_training_set(name: str, data_dir: str | os.PathLike | None = None, size: int | None = None,
                      seed: int | None = 0, *, split: str | None = None,
                      data_sources: tuple[str, ...] | list[str] | None = None) -> list[Item]:
    """Items of training set ``name`` (or alias), selected as the module docstring describes.

    data_dir: folder holding ``<name>/``; defaults to ``$RPT_DATA_DIR``; without either, the hub.
    size: how many items (default ``spec.size``, 40,000), the first of the order.
    seed: ``None`` = source order; an int = ``datasets.Dataset.shuffle(seed=seed)``'s permutation.
    split: override the source split. data_sources: keep only rows with these ``data_source`` values.
    Raises ``KeyError`` for an unknown name and :class:`TrainingSetUnavailable` when nothing can be read.
    """
    spec = training_set(name)
    size = spec.size if size is None else size
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    rows = _read_rows(spec, data_dir, split or spec.split)
    wanted = set(data_sources) if data_sources is not None else None
    keep = KEEP[spec.keep]
    candidates = [(i, row) for i, row in enumerate(rows)
                  if (wanted is None or row.get("data_source") in wanted) and keep(row)]
    items = []
    for index, row in shuffled(candidates, seed):
        if len(items) >= size:
            break
        item = NORMALIZERS[spec.normalizer](spec, index, row)
        if item is not None:
            items.append(item)
    return items


def mixed_training_set(names: list[str] | tuple[str, ...] | None = None, per_domain: int = 13_333,
                       data_dir: str | os.PathLike | None = None, seed: int | None = 0) -> list[Item]:
    """``per_domain`` items of each set in ``names`` (default: math, code, knowledge), each selected
    with ``seed`` (code restricted to ``spec.mixed_data_sources``, as in the authors' run), then
    concatenated in ``names`` order and shuffled with the same ``seed`` (``None``: round-robin
    interleaving instead). Every item keeps its own ``benchmark``, ``domain`` and ``kind``; ids are
    unique per ``(benchmark, id)``. ``seed=42`` reproduces the authors' mixed-domain order."""
    specs = [training_set(n) for n in (names if names is not None else list(TRAINING_SETS))]
    if not specs:
        raise ValueError("mixed_training_set needs at least one training set")
    if len({s.name for s in specs}) != len(specs):
        raise ValueError(f"duplicate training sets in {list(names or [])}")
    parts = [load_training_set(s.name, data_dir, size=per_domain, seed=seed, data_sources=s.mixed_data_sources)
             for s in specs]
    if seed is None:
        return [part[i] for i in range(max(map(len, parts))) for part in parts if i < len(part)]
    return shuffled([item for part in parts for item in part], seed)


def training_set_hash(items) -> str:
    """sha256 (hex) of the items in order, one ``json.dumps(item.to_dict(), sort_keys=True)`` line
    each (the bytes :func:`rpt_core.items.write_items` writes)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update((json.dumps(item.to_dict(), sort_keys=True) + "\n").encode("utf-8"))
    return digest.hexdigest()


# ------------------------------------------------------------------------------------- reading

def _read_rows(spec: TrainingSetSpec, data_dir, split: str) -> list[dict]:
    data_dir = data_dir or os.environ.get("RPT_DATA_DIR")
    if data_dir:
        return _read_local(spec, Path(data_dir), split)
    try:
        import datasets
        return datasets.load_dataset(spec.hub_id, split=split).to_list()
    except Exception as exc:  # offline, missing repo or split: all mean "provide a copy"
        raise _unavailable(spec, f"cannot load hub:{spec.hub_id}/{split} ({type(exc).__name__}: "
                                 f"{str(exc)[:200]})") from exc


def _read_local(spec: TrainingSetSpec, data_dir: Path, split: str) -> list[dict]:
    root = data_dir / spec.name
    if not root.is_dir():
        raise _unavailable(spec, f"no local copy at {root}")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _DATA_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    pattern = rf"(^|[/_.-]){re.escape(split)}([/_.-]|$)"
    mentions = [p for p in files if re.search(pattern, p.relative_to(root).as_posix())]
    rows = [row for path in (mentions or files) for row in read_records(path)]
    if not rows:
        raise _unavailable(spec, f"no {'/'.join(_DATA_SUFFIXES)} rows under {root}")
    return rows


def _unavailable(spec: TrainingSetSpec, why: str) -> TrainingSetUnavailable:
    return TrainingSetUnavailable(
        f"training set {spec.name!r} is unavailable: {why}. Provide a local copy: pass data_dir=<dir> or set "
        f"RPT_DATA_DIR=<dir>, with {spec.layout()}; or make hub:{spec.hub_id} reachable.")


def _permutation(n: int, seed: int) -> list[int]:
    import numpy as np
    return np.random.default_rng(seed).permutation(n).tolist()


def shuffled(candidates: list, seed: int | None) -> list:
    """``candidates`` in the order ``datasets.Dataset.shuffle(seed)`` gives; ``seed=None`` keeps them."""
    return candidates if seed is None else [candidates[j] for j in _permutation(len(candidates), seed)]


# ------------------------------------------------------------------------------------- helpers

def _messages(prompt) -> list[dict]:
    """Chat messages as plain ``{"role", "content"}`` dicts (a bare string becomes one user turn)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]


def _append_to_user(messages: list[dict], text: str, sep: str) -> list[dict]:
    last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if last is None:
        raise ValueError("no user message")
    messages[last] = {"role": "user", "content": messages[last]["content"] + sep + text}
    return messages


def _ground_truth(row: dict) -> str | None:
    reward_model = row.get("reward_model") or {}
    answer = reward_model.get("ground_truth") if isinstance(reward_model, dict) else None
    answer = None if answer is None else str(answer).strip()
    return answer or None


def _source_meta(row: dict) -> dict:
    extra = row.get("extra_info") if isinstance(row.get("extra_info"), dict) else {}
    meta = {"data_source": row.get("data_source"), "ability": row.get("ability"),
            "source_index": extra.get("index"), "source_split": extra.get("split")}
    return {k: v for k, v in meta.items() if v is not None}


def _item(spec: TrainingSetSpec, index: int, messages: list[dict], kind: str, reference: dict, **metadata) -> Item:
    return Item(benchmark=spec.name, id=str(index), messages=messages, kind=kind, reference=reference,
                domain=spec.domain, metadata=metadata)


class _GiantInt(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > GIANT_INT_DIGITS:
        raise _GiantInt(text[:20])
    return int(text)


def parse_tests(raw):
    """The ``tests`` value as Python data; raises ``ValueError`` when it is missing, not JSON, or holds
    an integer longer than :data:`GIANT_INT_DIGITS` digits (the authors' drop rules)."""
    if raw is None or (isinstance(raw, (str, list, dict)) and len(raw) == 0):
        raise ValueError("no tests")
    if isinstance(raw, str):
        return json.loads(raw, parse_int=_parse_int)
    if _has_giant_int(raw):
        raise _GiantInt("giant integer")
    return raw


def _has_giant_int(obj) -> bool:
    if isinstance(obj, int) and not isinstance(obj, bool):
        return len(str(abs(obj))) > GIANT_INT_DIGITS
    if isinstance(obj, (list, tuple)):
        return any(_has_giant_int(x) for x in obj)
    if isinstance(obj, dict):
        return any(_has_giant_int(v) for v in obj.values())
    return False


def _text(value) -> str:
    """A stdin/stdout value as text: lists are lines, other values ``str``."""
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return value if isinstance(value, str) else str(value)


_CALL_HARNESS = '''
import json as _json
_CASES = _json.loads({cases!r})
_NAME = {name!r}
_fn = globals().get(_NAME)
if _fn is None and "Solution" in globals():
    _fn = getattr(globals()["Solution"](), _NAME, None)
assert callable(_fn), f"no function {{_NAME}} defined"
for _i, (_args, _want) in enumerate(_CASES):
    _got = _fn(*_args)
    _got = list(_got) if isinstance(_got, tuple) else _got
    _ok = _got == _want or (isinstance(_want, list) and len(_want) == 1 and _got == _want[0])
    assert _ok, f"case {{_i}}: got {{_got!r:.80}}"
'''


def call_based_tests(fn_name: str, cases: list[tuple[list, object]]) -> str:
    """``code_tests`` source calling ``fn_name`` (a function, or a ``Solution`` method) on each
    argument list; a result equals the expected output, or its single element (APPS convention)."""
    return _CALL_HARNESS.format(cases=json.dumps([[list(a), w] for a, w in cases]), name=fn_name)


# ------------------------------------------------------------------------------------- keep rules

def _keep_all(row: dict) -> bool:
    return True


def _keep_code(row: dict) -> bool:
    """The authors' drop rules: tests missing/empty or holding a >1000-digit integer."""
    try:
        parse_tests(row.get("tests"))
    except (ValueError, TypeError, RecursionError):
        return False
    return True


KEEP = {"all": _keep_all, "code_tests": _keep_code}


# ------------------------------------------------------------------------------------- normalizers

def norm_eurus_math(spec: TrainingSetSpec, index: int, row: dict) -> Item | None:
    """verl/PRIME row: prompt (system + user), reward_model.ground_truth (LaTeX) -> ``math``."""
    answer = _ground_truth(row)
    if answer is None or not row.get("prompt"):
        return None
    messages = _messages(row["prompt"])
    if not any("\\boxed" in m["content"] for m in messages if m["role"] == "user"):
        messages = _append_to_user(messages, MATH_INSTRUCTION, "\n\n")
    return _item(spec, index, messages, "math", {"answer": answer}, **_source_meta(row))


def norm_code(spec: TrainingSetSpec, index: int, row: dict) -> Item | None:
    """problem + tests (JSON) -> ``code_stdio`` (stdin/stdout) or ``code_tests`` (call-based)."""
    problem = row.get("problem")
    try:
        tests = parse_tests(row.get("tests"))
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(problem, str) or not problem.strip():
        return None
    text = problem if "```python" in problem else problem + "\n" + CODE_INSTRUCTION
    messages = [{"role": "user", "content": text}]
    meta = {k: v for k, v in {"data_source": row.get("data_source")}.items() if v is not None}

    if isinstance(tests, dict):                      # APPS/TACO: {"inputs", "outputs"[, "fn_name"]}
        fmt, fn_name = "inputs_outputs", tests.get("fn_name") or None
        pairs = list(zip(tests.get("inputs") or [], tests.get("outputs") or []))
        calls = [(a if isinstance(a, list) else [a], w) for a, w in pairs] if fn_name else []
    elif isinstance(tests, list) and all(isinstance(t, dict) and "input" in t and "output" in t for t in tests):
        fmt, fn_name = "case_list", None            # LiveCodeBench/DeepCoder: [{"input", "output", ...}]
        pairs = [(t["input"], t["output"]) for t in tests]
        functional = [t for t in tests if t.get("testtype") == "functional"]
        calls = []
        if functional:
            fn_name = (functional[0].get("metadata") or {}).get("func_name")
            if not fn_name:
                return None
            try:
                calls = [([json.loads(line) for line in _text(i).split("\n") if line.strip()], json.loads(_text(o)))
                         for i, o in pairs]
            except ValueError:
                return None
    else:
        return None
    if not pairs:
        return None
    if fn_name:
        limit = min(CODE_TESTS_MAX_TIME_S, CODE_TIME_LIMIT_S * len(calls))
        return _item(spec, index, messages, "code_tests",
                     {"tests": call_based_tests(fn_name, calls), "time_limit_s": limit},
                     test_format=fmt, fn_name=fn_name, n_cases=len(calls), **meta)
    cases = [{"input": _text(i), "output": _text(o)} for i, o in pairs]
    return _item(spec, index, messages, "code_stdio", {"cases": cases, "time_limit_s": CODE_TIME_LIMIT_S},
                 test_format=fmt, n_cases=len(cases), **meta)


def _listed_options(question: str) -> list[str]:
    """Option letters listed in a question (``A. ...``, ``(B) ...``, ``C) ...``), contiguous from A."""
    found = set(re.findall(r"(?:^|[\s(（])([A-J])\s*[.)．、:：）]", question))
    letters = []
    for letter in _LETTERS:
        if letter not in found:
            break
        letters.append(letter)
    return letters


def norm_mlvr(spec: TrainingSetSpec, index: int, row: dict) -> Item | None:
    """verl row of Multi-subject-RLVR: prompt (system + user), reward_model.ground_truth (free-form).
    A bare option letter with listed options -> ``choice``; words -> ``text`` (exact or whole-word
    containment, the authors' rule); numbers and formulas -> ``math``."""
    answer = _ground_truth(row)
    if answer is None or not row.get("prompt"):
        return None
    messages = [m for m in _messages(row["prompt"]) if m["role"] != "system"]
    if not any(m["role"] == "user" for m in messages):
        return None
    question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    messages = [{"role": "system", "content": MLVR_SYSTEM_PROMPT}] + _append_to_user(messages, MLVR_INSTRUCTION, "\n")
    options = _listed_options(question)
    if re.fullmatch(r"[A-J]", answer) and answer in options and len(options) >= 2:
        return _item(spec, index, messages, "choice", {"answer": answer, "options": options}, **_source_meta(row))
    kind = "text" if _is_words(answer) else "math"
    return _item(spec, index, messages, kind, {"answer": answer}, **_source_meta(row))


def _is_words(answer: str) -> bool:
    """A free-text answer ("Market Approach"), not a number or a formula (those go to ``math``)."""
    return "\\" not in answer and re.search(r"[A-Za-z]{2,}", answer) is not None


NORMALIZERS = {"eurus_math": norm_eurus_math, "code": norm_code, "mlvr": norm_mlvr}

__all__ = ["TRAINING_SETS", "DOMAIN_ALIASES", "TrainingSetSpec", "TrainingSetUnavailable", "KEEP", "NORMALIZERS",
           "load_training_set", "mixed_training_set", "training_set", "training_set_hash", "parse_tests",
           "call_based_tests", "MATH_INSTRUCTION", "CODE_INSTRUCTION", "MLVR_SYSTEM_PROMPT", "MLVR_INSTRUCTION"]
