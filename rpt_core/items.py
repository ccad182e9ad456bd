"""The one item schema every benchmark and training set is normalized to."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic import write_atomic


@dataclass(frozen=True)
class Item:
    """One task for a model.

    benchmark: registry name (``"gsm8k"``), or a training-set name.
    id: stable id unique within the benchmark (taken from the source where it has one).
    messages: chat messages ``[{"role": "user", "content": ...}]`` with the paper's prompt already
        rendered; ``prompt`` is the same text for base models without a chat template.
    kind: the verifier kind of :mod:`rpt_core.rewards` that scores completions.
    reference: the verifier's reference fields (see :mod:`rpt_core.rewards`).
    domain: ``"math"``, ``"code"`` or ``"knowledge"``.
    metadata: anything else worth keeping (subject, difficulty, source split, ...).
    """

    benchmark: str
    id: str
    messages: list[dict]
    kind: str
    reference: dict
    domain: str
    metadata: dict = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return "\n\n".join(m["content"] for m in self.messages if m["role"] != "system")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> "Item":
        return cls(**{k: row[k] for k in ("benchmark", "id", "messages", "kind", "reference", "domain")},
                   metadata=row.get("metadata") or {})


def write_items(path, items) -> Path:
    """Write items as JSON lines (one ``Item.to_dict()`` per line), atomically."""
    return write_atomic(path, "".join(json.dumps(item.to_dict(), sort_keys=True) + "\n" for item in items))


def read_items(path) -> list[Item]:
    """Items from a JSON-lines file written by :func:`write_items`; errors name the file and line."""
    items = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(Item.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not an item ({exc}); fields: benchmark, id, messages, "
                             "kind, reference, domain[, metadata]") from None
    return items
