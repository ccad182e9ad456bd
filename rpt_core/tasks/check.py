"""``rpt check-data``: is a benchmark's data complete, and does its grading accept the reference
solutions that upstream ships?

For each declared benchmark: load it (local copy or hub), compare the item count with its declared
size, note dropped subsets, and run every reference solution its items carry (metadata
``canonical_solution``) through the verifier, listing the failures. Nothing is generated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from ..errors import UnknownName
from ..rewards import verify_many
from . import BENCHMARKS
from .loading import load
from .readers import BenchmarkUnavailable, SubsetMissing


@dataclass
class DataCheck:
    """The outcome for one benchmark. ``status``: ``ok``, ``problems`` or ``unavailable``."""

    benchmark: str
    status: str
    items: int = 0
    expected: int | None = None
    references: int = 0
    references_passed: int = 0
    failures: list[str] = field(default_factory=list)  # "<item id>: <reason> <detail>"
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"benchmark": self.benchmark, "status": self.status, "items": self.items,
                "expected": "open" if self.expected is None else self.expected,
                "references passed": f"{self.references_passed}/{self.references}" if self.references else "-"}


def _fenced(code: str) -> str:
    return f"```python\n{code}\n```"


def check_benchmark(name: str, data_dir=None, solutions: bool = True, workers: int = 8, **options) -> DataCheck:
    """Load benchmark ``name`` and (with ``solutions``) grade its shipped reference solutions."""
    if name not in BENCHMARKS:
        raise UnknownName(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    task = BENCHMARKS[name]
    check = DataCheck(name, "ok", expected=task.size)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SubsetMissing)
            items = load(name, data_dir=data_dir, **options)
    except BenchmarkUnavailable as exc:
        check.status = "unavailable"
        check.notes.append(str(exc))
        return check
    check.notes += [str(w.message) for w in caught if issubclass(w.category, SubsetMissing)]
    check.items = len(items)
    if task.size is not None and len(items) != task.size:
        check.notes.append(f"{len(items)} items, expected {task.size}")
    with_solution = [i for i in items if i.metadata.get("canonical_solution")] if solutions else []
    if with_solution:
        verdicts = verify_many([(i.kind, _fenced(i.metadata["canonical_solution"]), i.reference)
                                for i in with_solution], workers=workers)
        check.references = len(verdicts)
        check.references_passed = sum(v.correct for v in verdicts)
        check.failures = [f"{i.id}: {v.reason} {v.detail.splitlines()[0] if v.detail else ''}".strip()
                          for i, v in zip(with_solution, verdicts) if not v.correct]
    if check.notes or check.failures:
        check.status = "problems"
    return check
