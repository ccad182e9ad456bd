"""Records to strata: per-sample records as a :class:`Grid`, per-model accuracies, model
:class:`Pair` s, and :func:`strata`, one row per (RPT model, base, benchmark) with its 2x2 counts,
discordant pairs, Δ and the item-bootstrap and sign-flip draws every pooled view starts from.

Records are the DataFrame of :mod:`rpt_core.records` (``RECORD_COLUMNS``); these columns are used:
``model, benchmark, domain, item_id, sample_index, correct``. Accuracies are in percent (0-100),
Δ in percentage points (pp).
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from ..models import DOMAIN_GROUP, DOMAINS, Registry, domain_label, id_or_ood
from ..notebook import study_run
from ..rewards.verdict import graded
from .significance import wilson_interval

REQUIRED_COLUMNS = ("model", "benchmark", "domain", "item_id", "sample_index", "correct")


def _correct_column(records: pd.DataFrame) -> pd.Series:
    """``records["correct"]`` as booleans; only booleans or the numbers 0 and 1 are accepted (a cast
    would turn 0.5 or the string "False" into True)."""
    column = records["correct"]
    if column.dtype == bool:
        return column
    values = pd.to_numeric(column, errors="coerce") if column.dtype != object else column.map(
        lambda v: v if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)) else np.nan)
    bad = ~values.isin([0, 1])
    if bad.any():
        raise ValueError(f"records: column 'correct' must hold booleans (or 0/1); found {column[bad].tolist()[0]!r} "
                         f"in {int(bad.sum())} row(s), e.g. model={records.loc[bad.idxmax(), 'model']!r}")
    return values.astype(bool)


# ---------------------------------------------------------------------------------- records as a grid

@dataclass(frozen=True)
class Grid:
    """Records as a dense matrix: one row per model, one column per sample (benchmark, item, repeat).

    ``correct[m, s]`` is 1 (correct), 0 (wrong) or −1 (model m has no such sample). Samples are sorted
    by item and items by benchmark, so ``sample_item`` and ``item_benchmark`` are non-decreasing.
    """

    models: tuple[str, ...]
    benchmarks: tuple[str, ...]
    domains: tuple[str, ...]
    correct: np.ndarray
    sample_item: np.ndarray
    sample_index: np.ndarray
    item_benchmark: np.ndarray

    @classmethod
    def from_records(cls, records: pd.DataFrame) -> "Grid":
        """Build the grid; raises ValueError on missing columns, missing ``correct`` values, a benchmark
        with two domains, or a duplicated (model, benchmark, item_id, sample_index)."""
        missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
        if missing:
            raise ValueError(f"records lack column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}")
        if len(records) == 0:
            raise ValueError("records are empty")
        records = graded(records)   # a harness error is a sample not drawn, never a wrong answer
        if len(records) == 0:
            raise ValueError("records: every sample is a harness error (see their reason and detail)")
        if records["correct"].isna().any():
            raise ValueError("records: 'correct' has missing values; grade every sample first")
        model_code, models = pd.factorize(records["model"].astype(str), sort=True)
        bench_code, benchmarks = pd.factorize(records["benchmark"].astype(str), sort=True)
        domain_code, domain_names = pd.factorize(records["domain"].astype(str))
        item_raw, _ = pd.factorize(records["item_id"].astype(str), sort=True)  # canonical item order
        repeat = records["sample_index"].to_numpy(np.int64)
        if (repeat < 0).any():
            raise ValueError("records: sample_index must be >= 0")

        n_dom = len(domain_names)
        combos = np.unique(bench_code.astype(np.int64) * n_dom + domain_code)
        combo_bench = combos // n_dom
        twice = np.flatnonzero(np.bincount(combo_bench) > 1)
        if twice.size:
            raise ValueError(f"records: benchmark(s) {', '.join(benchmarks[twice])} appear with more than one domain")
        domains = tuple(str(domain_names[c % n_dom]) for c in combos)

        item_key = bench_code.astype(np.int64) * (item_raw.max() + 1) + item_raw
        item_uniq, item_code = _sorted_codes(item_key)
        sample_key = item_code.astype(np.int64) * (repeat.max() + 1) + repeat
        sample_uniq, sample_code = _sorted_codes(sample_key)
        n_models, n_samples = len(models), len(sample_uniq)
        cell = model_code.astype(np.int64) * n_samples + sample_code
        if np.bincount(cell, minlength=n_models * n_samples).max() > 1:
            dup = records.iloc[np.flatnonzero(pd.Series(cell).duplicated().to_numpy())[0]]
            raise ValueError(f"records: duplicate sample model={dup['model']!r} benchmark={dup['benchmark']!r} "
                             f"item_id={dup['item_id']!r} sample_index={dup['sample_index']}; merge shards first")
        correct = np.full((n_models, n_samples), -1, np.int8)
        correct[model_code, sample_code] = _correct_column(records).to_numpy()
        return cls(tuple(map(str, models)), tuple(map(str, benchmarks)), domains, correct,
                   (sample_uniq // (repeat.max() + 1)).astype(np.int64),
                   (sample_uniq % (repeat.max() + 1)).astype(np.int64),
                   (item_uniq // (item_raw.max() + 1)).astype(np.int64))

    def item_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(answered, correct) sample counts per model x item, shape (n_models, n_items)."""
        starts = _starts(self.sample_item)
        answered = np.add.reduceat((self.correct >= 0).astype(np.int32), starts, axis=1)
        right = np.add.reduceat((self.correct == 1).astype(np.int32), starts, axis=1)
        return answered, right

    def benchmark_summary(self) -> dict[str, np.ndarray]:
        """Per model x benchmark (n_models, n_benchmarks): ``n_items`` answered, ``n_samples``,
        ``n_correct`` and ``pass1`` (fraction; mean over items of the mean over repeats; NaN where
        the model has no items, an internal marker that never reaches a public table)."""
        answered, right = self.item_counts()
        has = answered > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            item_mean = np.where(has, right / np.where(has, answered, 1), 0.0)
        starts = _starts(self.item_benchmark)
        n_items = np.add.reduceat(has.astype(np.int64), starts, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pass1 = np.add.reduceat(item_mean, starts, axis=1) / n_items
        return {"n_items": n_items, "n_samples": np.add.reduceat(answered, starts, axis=1),
                "n_correct": np.add.reduceat(right, starts, axis=1), "pass1": np.where(n_items > 0, pass1, np.nan)}


def _sorted_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for non-negative integer keys, by a lookup table when
    the key range is small (much faster than sorting a million keys)."""
    top = int(keys.max()) + 1
    if top > 50_000_000:
        return np.unique(keys, return_inverse=True)
    present = np.zeros(top, bool)
    present[keys] = True
    uniq = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    return uniq, lookup[keys]


def _starts(sorted_codes: np.ndarray) -> np.ndarray:
    """Indices where a run of equal values begins in a sorted code array (for np.add.reduceat)."""
    return np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])


def _grid(records: pd.DataFrame | Grid) -> Grid:
    return records if isinstance(records, Grid) else Grid.from_records(records)


def accuracy_table(records: pd.DataFrame | Grid, level: float = 0.95) -> pd.DataFrame:
    """Per model x benchmark that the model answered: ``accuracy`` (pass@1 averaged over repeats, %),
    Wilson ``ci_low``/``ci_high`` (%, n = items), ``n_items``, ``n_samples``, ``n_correct``."""
    grid = _grid(records)
    summary = grid.benchmark_summary()
    m, b = np.nonzero(summary["n_items"] > 0)
    n_items, pass1 = summary["n_items"][m, b], summary["pass1"][m, b]
    low, high = wilson_interval(pass1 * n_items, n_items, level)
    return pd.DataFrame({
        "model": np.array(grid.models, object)[m], "benchmark": np.array(grid.benchmarks, object)[b],
        "domain": np.array(grid.domains, object)[b], "n_items": n_items, "n_samples": summary["n_samples"][m, b],
        "n_correct": summary["n_correct"][m, b], "accuracy": 100 * pass1, "ci_low": 100 * low, "ci_high": 100 * high,
    })


# ---------------------------------------------------------------------------------- model pairs

@dataclass(frozen=True)
class Pair:
    """An RPT model compared with its base; ``domains`` are its training domains (ID benchmarks)."""

    rpt: str
    base: str
    domains: tuple[str, ...]
    algorithm: str | None = None

    @property
    def train_domains(self) -> str:
        return domain_label(self.domains)


def pairs_from(source: Registry | Iterable[Pair | tuple]) -> list[Pair]:
    """Pairs of a registry (every RPT model with its base), or given as Pair / (rpt, base, domains)."""
    if isinstance(source, Registry):
        return [Pair(e.name, e.base, e.domains, e.algorithm) for e in source.rpt_models()]
    pairs = [p if isinstance(p, Pair) else Pair(p[0], p[1], tuple(p[2]), *p[3:]) for p in source]
    for p in pairs:
        unknown = [d for d in p.domains if d not in DOMAINS]
        if unknown:
            raise ValueError(f"pair {p.rpt} <- {p.base}: unknown domain(s) {unknown}; allowed: {', '.join(DOMAINS)}")
    return pairs


@dataclass(frozen=True)
class Strata:
    """One row per (RPT model, base, benchmark) that both models answered, plus bootstrap draws.

    ``table`` columns: rpt, base, train_domains, algorithm, benchmark, domain, group (structured /
    unstructured), split (ID / OOD), n_items (weight n_b), n_paired_items, base_accuracy,
    rpt_accuracy (%), delta (pp), a, b, c, d (samples: RPT correct, RPT wrong, base correct, base
    wrong), n_pairs (samples paired by item and sample_index), n10, n01 (discordant pairs).
    ``boot``: (rows, n_boot) item-bootstrap draws of the paired Δ in pp.
    """

    table: pd.DataFrame
    boot: np.ndarray
    null: np.ndarray
    level: float = 0.95
    dropped: tuple[str, ...] = ()   # "rpt <- base" of the pairs left out for want of records

    def where(self, mask) -> "Strata":
        """The rows where boolean ``mask`` holds (table re-indexed, draw rows kept aligned)."""
        mask = np.asarray(mask, bool)
        return Strata(self.table[mask].reset_index(drop=True), self.boot[mask], self.null[mask], self.level,
                      self.dropped)


def strata(records: pd.DataFrame | Grid, pairs: Registry | Iterable[Pair | tuple], n_boot: int = 1000,
           seed: int = 0, level: float = 0.95) -> Strata:
    """Per-(pair, benchmark) counts, accuracies, Δ and bootstrap draws: the input of every aggregate.

    Pairs whose RPT model or base has no records are an error inside ``rpt run``
    (:func:`rpt_core.notebook.study_run`); elsewhere they are left out with a warning and listed in
    ``Strata.dropped``. ``n_boot = 0`` skips the
    draws (CI and clustered p-value columns downstream are then NaN). Per stratum, ``delta_paired`` is
    the mean item difference over the items both models answered (an item's difference: its RPT
    mean correctness minus its base mean correctness, repeats averaged first). ``boot`` holds item
    bootstrap draws of it and ``null`` its sign-flip permutation draws (each item's difference
    negated with probability 1/2, the null of no difference); both resample whole items, so repeats
    of an item stay together, and both are shared across pairs (:func:`_item_draws`).
    """
    grid = _grid(records)
    index = {m: i for i, m in enumerate(grid.models)}
    pairs = pairs_from(pairs)
    absent = tuple(f"{p.rpt} <- {p.base}" for p in pairs if p.rpt not in index or p.base not in index)
    if absent:
        message = (f"no records for {len(absent)} of {len(pairs)} pairs: {', '.join(absent)} "
                   f"(models with records: {', '.join(grid.models) or 'none'})")
        if study_run():
            raise ValueError(f"{message}; inside rpt run (run {study_run()}) every pair of the registry needs "
                             "records: evaluate those models or remove them from the registry")
        warnings.warn(message, stacklevel=2)
    pairs = [p for p in pairs if p.rpt in index and p.base in index]
    rpt_idx = np.array([index[p.rpt] for p in pairs], int)
    base_idx = np.array([index[p.base] for p in pairs], int)

    summary = grid.benchmark_summary()
    answered, right = grid.item_counts()
    sample_starts = _starts(grid.item_benchmark[grid.sample_item])
    item_starts = _starts(grid.item_benchmark)

    both = (grid.correct[rpt_idx] >= 0) & (grid.correct[base_idx] >= 0)
    n10 = np.add.reduceat((both & (grid.correct[rpt_idx] == 1) & (grid.correct[base_idx] == 0)).astype(np.int64),
                          sample_starts, axis=1)
    n01 = np.add.reduceat((both & (grid.correct[rpt_idx] == 0) & (grid.correct[base_idx] == 1)).astype(np.int64),
                          sample_starts, axis=1)
    n_pairs = np.add.reduceat(both.astype(np.int64), sample_starts, axis=1)
    paired_items = (answered[rpt_idx] > 0) & (answered[base_idx] > 0)
    n_paired_items = np.add.reduceat(paired_items.astype(np.int64), item_starts, axis=1)

    items_r, items_b = summary["n_items"][rpt_idx], summary["n_items"][base_idx]
    p_idx, b_idx = np.nonzero((items_r > 0) & (items_b > 0))
    r_m, b_m = rpt_idx[p_idx], base_idx[p_idx]
    acc_r, acc_b = 100 * summary["pass1"][r_m, b_idx], 100 * summary["pass1"][b_m, b_idx]
    samples_r, samples_b = summary["n_samples"][r_m, b_idx], summary["n_samples"][b_m, b_idx]
    correct_r, correct_b = summary["n_correct"][r_m, b_idx], summary["n_correct"][b_m, b_idx]
    domains = np.array(grid.domains, object)[b_idx]
    table = pd.DataFrame({
        "rpt": [pairs[i].rpt for i in p_idx], "base": [pairs[i].base for i in p_idx],
        "train_domains": [pairs[i].train_domains for i in p_idx],
        "algorithm": [pairs[i].algorithm or "" for i in p_idx],
        "benchmark": np.array(grid.benchmarks, object)[b_idx], "domain": domains,
        "group": [DOMAIN_GROUP.get(d, "") for d in domains],
        "split": [id_or_ood(d, pairs[i].domains) for i, d in zip(p_idx, domains)],
        "n_items": np.minimum(items_r[p_idx, b_idx], items_b[p_idx, b_idx]),
        "n_paired_items": n_paired_items[p_idx, b_idx],
        "base_accuracy": acc_b, "rpt_accuracy": acc_r, "delta": acc_r - acc_b,
        "a": correct_r, "b": samples_r - correct_r, "c": correct_b, "d": samples_b - correct_b,
        "n_pairs": n_pairs[p_idx, b_idx], "n10": n10[p_idx, b_idx], "n01": n01[p_idx, b_idx],
    })

    boot, null = np.zeros((len(table), n_boot)), np.zeros((len(table), n_boot))
    delta_paired = np.full(len(table), np.nan)
    if n_boot > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            item_mean = right / np.where(answered > 0, answered, 1)
        for b in np.unique(b_idx):  # one benchmark at a time: its draws serve every pair in one product
            lo, hi = item_starts[b], item_starts[b + 1] if b + 1 < len(item_starts) else answered.shape[1]
            rows = np.flatnonzero((b_idx == b) & paired_items[p_idx, lo:hi].any(axis=1))
            if not rows.size:
                continue
            pairs_b = p_idx[rows]
            keep = paired_items[pairs_b, lo:hi].T.astype(float)                        # items x rows
            diff = np.where(keep > 0, 100 * (item_mean[rpt_idx[pairs_b], lo:hi] - item_mean[base_idx[pairs_b], lo:hi]).T, 0.0)
            counts, signs = _item_draws(hi - lo, n_boot, seed, grid.benchmarks[b])
            n_keep = keep.sum(axis=0)
            delta_paired[rows] = diff.sum(axis=0) / n_keep
            resampled = counts @ keep
            with np.errstate(divide="ignore", invalid="ignore"):
                boot[rows] = (np.where(resampled > 0, (counts @ diff) / resampled, delta_paired[rows]) + 0.0).T
            null[rows] = ((signs @ diff) / n_keep + 0.0).T  # + 0.0 turns -0.0 into 0.0
    table["delta_paired"] = delta_paired
    return Strata(table, boot, null, level, absent)


def _item_draws(n_items: int, n_draws: int, seed: int, benchmark: str) -> tuple[np.ndarray, np.ndarray]:
    """For one benchmark's ``n_items`` items: ``counts`` (n_draws x n_items, how often each item is
    drawn in a bootstrap resample) and ``signs`` (n_draws x n_items of +-1, a sign flip per item).
    Seeded by ``seed`` and the benchmark alone, so every model pair resamples (and flips) the same
    items: comparisons that share items (one base, several RPT models) stay jointly resampled when
    they are pooled, and swapping a pair's models negates its draws exactly."""
    rng = np.random.default_rng([seed, zlib.crc32(benchmark.encode())])
    counts = rng.multinomial(n_items, np.full(n_items, 1 / n_items), size=n_draws).astype(np.float64)
    signs = rng.integers(0, 2, size=(n_draws, n_items)).astype(np.float64) * 2 - 1
    return counts, signs


__all__ = ["REQUIRED_COLUMNS", "Grid", "accuracy_table", "Pair", "pairs_from", "Strata", "strata"]
