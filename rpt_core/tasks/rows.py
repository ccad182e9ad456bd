"""Helpers the normalizers share: build an :class:`~rpt_core.items.Item` from a row, and read the
values rows hold (answers, JSON columns, test cases, time limits, numbers, chat messages)."""

from __future__ import annotations

import json
import math
import re

from ..items import Item
from .prompting import user_messages

LETTERS = "ABCDEFGHIJ"   # option letters, in order


def item(declared, item_id, text: str, kind: str, reference: dict, **metadata) -> Item:
    """An item of the task ``declared`` with ``text`` as its one user turn."""
    return Item(benchmark=declared.name, id=str(item_id), messages=user_messages(text), kind=kind,
                reference=reference, domain=declared.domain, metadata=metadata)


def chat_item(declared, index: int, messages: list[dict], kind: str, reference: dict, **metadata) -> Item:
    """An item of the task ``declared`` that carries its own chat ``messages`` (training sets)."""
    return Item(benchmark=declared.name, id=str(index), messages=messages, kind=kind, reference=reference,
                domain=declared.domain, metadata=metadata)


def answer_text(value) -> str:
    """Math answers as strings; integral floats (``27.0``) lose the ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def json_or(value, default):
    """A JSON column's value: ``default`` when empty, parsed when a string, else as is."""
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def cases(tests) -> list[dict]:
    """``[{"input","output"}]`` from a list of case dicts or ``{"inputs": [...], "outputs": [...]}``;
    list-valued inputs/outputs are joined with newlines."""
    if isinstance(tests, dict):
        tests = [{"input": i, "output": o} for i, o in zip(tests.get("inputs", []), tests.get("outputs", []))]
    join = lambda v: "\n".join(map(str, v)) if isinstance(v, list) else str(v)  # noqa: E731
    return [{"input": join(t["input"]), "output": join(t["output"])} for t in tests]


def seconds(value, default: float | None) -> float | None:
    """A time limit in seconds from a number or text like ``"2 seconds"``; >100 is read as ms."""
    match = re.search(r"\d+(?:\.\d+)?", str(value)) if value is not None else None
    if not match:
        return default
    found = float(match.group())
    return found / 1000 if found > 100 else found


def parse_number(value) -> float | None:
    """A float from ``"1,234.5"``, ``"12%"``, ``"$3"``, ``"(4.2)"``; ``None`` when not a number."""
    text = str(value).strip().replace(",", "").replace("$", "").rstrip("%").strip()
    if re.fullmatch(r"\(\s*[\d.]+\s*\)", text):
        text = "-" + text.strip("() ")
    try:
        found = float(text)
    except ValueError:
        return None
    return found if math.isfinite(found) else None


# ------------------------------------------------------------------------------------- chat rows (verl schema)

def messages(prompt) -> list[dict]:
    """Chat messages as plain ``{"role", "content"}`` dicts (a bare string becomes one user turn)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]


def append_to_user(chat: list[dict], text: str, sep: str) -> list[dict]:
    """``chat`` with ``sep + text`` appended to its last user turn; ``ValueError`` without one."""
    last = max((i for i, m in enumerate(chat) if m["role"] == "user"), default=None)
    if last is None:
        raise ValueError("no user message")
    chat[last] = {"role": "user", "content": chat[last]["content"] + sep + text}
    return chat


def ground_truth(row: dict) -> str | None:
    """``reward_model.ground_truth`` stripped; ``None`` when missing or empty."""
    reward_model = row.get("reward_model") or {}
    answer = reward_model.get("ground_truth") if isinstance(reward_model, dict) else None
    answer = None if answer is None else str(answer).strip()
    return answer or None


def source_meta(row: dict) -> dict:
    """The verl provenance columns that are present (data_source, ability, extra_info index/split)."""
    extra = row.get("extra_info") if isinstance(row.get("extra_info"), dict) else {}
    meta = {"data_source": row.get("data_source"), "ability": row.get("ability"),
            "source_index": extra.get("index"), "source_split": extra.get("split")}
    return {k: v for k, v in meta.items() if v is not None}
