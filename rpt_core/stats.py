"""The paper's statistics, computed from per-sample evaluation records only.

Records are the DataFrame of :mod:`rpt_core.evaluate` (``RECORD_COLUMNS``); these columns are used:
``model, benchmark, domain, item_id, sample_index, correct``. A benchmark with repeats (AIME, AMC: 16)
has several ``sample_index`` values per item.

Units: accuracies are pass@1 in percent (0-100), averaged over repeats per item and then over items;
differences (Δ) are in percentage points (pp); relative gain and error-rate reduction in percent.

The flow, top to bottom::

    records ──► Grid (models x samples matrix of 0/1/-1)
            ──► accuracy_table                        per model x benchmark, Wilson CI
            ──► strata(grid, pairs) ──► Strata        one row per (RPT model, base, benchmark):
                                                      accuracies, Δ, 2x2 counts, discordant pairs,
                                                      item-bootstrap draws of Δ
                 └─► aggregate(strata, by) ─────────► Δ (size-weighted and macro), bootstrap CI,
                                                      relative gain, Mantel-Haenszel θ̂ + CMH test
                      comparisons / transfer_matrix / robustness / training_dynamics are
                      `aggregate` with different groupings; paired_tests is per stratum.

Choices, stated once:

* **Accuracy CI**: Wilson score interval with n = number of items (not samples). With repeats, an
  item's mean correctness varies at most as much as one Bernoulli draw, so this is conservative for
  AIME/AMC and exact-coverage Wilson for single-sample benchmarks.
* **Δ weighting** (paper): Δ = Σ_b n_b (acc_rpt(b) − acc_base(b)) / Σ_b n_b, n_b = number of test items
  of benchmark b (the smaller of the two models' item counts if they differ). The macro average
  (each benchmark weighted 1) is reported beside it.
* **Δ CI**: paired item bootstrap, stratified by benchmark: items are resampled with replacement inside
  each benchmark; an item's difference is its RPT mean correctness minus its base mean correctness
  (repeats averaged first, so an AIME item's 16 samples move together: the CI is item-clustered).
  The resampled items are drawn once per benchmark and shared by every model pair, so pooled views
  (several RPT models of one base, a transfer-matrix row) respect the dependence through shared
  items instead of treating each model's strata as independent. Only items that both models
  answered enter the draws; Δ itself uses each model's own items.
* **Δ test (the stars on Δ)**: item-clustered paired sign-flip permutation test: under "no
  difference" an item's difference is as likely negated, so each item's difference is negated with
  probability 1/2 (one flip per item, repeats together, shared across pairs like the bootstrap), the
  pooled Δ recomputed, and p = (1 + #{|Δ*| >= |Δ|}) / (1 + n_boot). ``p_delta`` / ``stars_delta``.
  A star on a Δ always comes from this test of that Δ.
* **CMH / Mantel-Haenszel**: one 2x2 table per benchmark (rows RPT / base, columns correct / wrong).
  **Repeats count as samples** (an AIME item answered 16 times adds 16 to the table), as in the paper.
  θ̂ > 1: RPT raises the odds of a correct answer. CI from the Robins-Breslow-Greenland variance;
  CMH chi-square without continuity correction (optional); Breslow-Day homogeneity with Tarone's
  adjustment. Degenerate strata, see :func:`cmh`.
* **Paired tests per benchmark**: McNemar on samples paired by (item_id, sample_index): repeat r of the
  RPT model is paired with repeat r of the base (samples only one model has are dropped). Exact
  two-sided binomial when there are fewer than 25 discordant pairs. With repeats, pairs of one item
  are not independent, so the test is somewhat liberal on AIME/AMC. Holm across the rows of a table
  (= the cells of one figure) or per ``family``.
* **Stars**: ``*`` p < 0.05, ``**`` p < 0.01, ``***`` p < 0.001 (:data:`STAR_LEVELS`). On Δ: the
  clustered permutation test (``stars_delta``); on θ̂: the paper's CMH test (``stars``), whose 2x2
  tables count repeats as samples and weight a benchmark by its samples, not its items: with repeats
  it overstates significance, and it can disagree in sign with Δ (a large benchmark gaining a little,
  a small repeated one losing a lot), which is why it never decorates Δ.
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .models import DOMAIN_GROUP, DOMAINS, Registry, domain_label, label_domains, split_of
from .notebook import study_run
from .rewards.verdict import graded

STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
SETS: tuple[str, ...] = ("all", "ID", "OOD", *DOMAINS, "structured", "unstructured")
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


# ---------------------------------------------------------------------------------- small tests

def stars(p: float) -> str:
    """``"***"``, ``"**"``, ``"*"`` or ``""`` for p < 0.001, 0.01, 0.05, otherwise."""
    for level, mark in STAR_LEVELS:
        if p < level:
            return mark
    return ""


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, as fractions in [0, 1] (statsmodels'
    ``proportion_confint(method="wilson")``). ``successes`` may be fractional (a mean over repeats
    times n). n = 0 gives the uninformative (0, 1)."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = np.asarray(successes, float), np.asarray(n, float)
    safe = np.where(n > 0, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(np.where(n > 0, k, 0.0), safe, alpha=1 - level, method="wilson")
    return np.where(n > 0, np.clip(low, 0, 1), 0.0), np.where(n > 0, np.clip(high, 0, 1), 1.0)


def holm(pvalues) -> np.ndarray:
    """Holm step-down adjusted p-values in the order given (statsmodels' ``multipletests``): the i-th
    smallest (0-based) times (m − i), running maximum, capped at 1."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, float)
    return p.copy() if p.size == 0 else multipletests(p, method="holm")[1]


def mcnemar(n10, n01, exact_below: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """McNemar's test on discordant pairs (``n10``: RPT right / base wrong, ``n01``: the reverse),
    scalars or arrays. Returns arrays ``(statistic, p_value, exact)``: the continuity-corrected
    chi-square (|n10 − n01| − 1)² / (n10 + n01) as R's ``mcnemar.test`` computes it (0 with no
    discordant pairs), and the two-sided p-value: exact binomial where n10 + n01 < ``exact_below``,
    else chi-square with 1 df. No discordant pairs: p = 1."""
    n10, n01 = np.atleast_1d(np.asarray(n10, float)), np.atleast_1d(np.asarray(n01, float))
    n = n10 + n01
    exact = n < exact_below
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(n > 0, (np.abs(n10 - n01) - 1) ** 2 / n, 0.0)
    p_exact = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(n10, n01), n, 0.5))
    p = np.where(exact, p_exact, sps.chi2.sf(stat, 1))
    return stat, p, exact


# ---------------------------------------------------------------------------------- Mantel-Haenszel

@dataclass(frozen=True)
class CMHResult:
    """Mantel-Haenszel common odds ratio over strata, CMH test of θ = 1, Breslow-Day homogeneity.

    ``n_strata``: informative strata used; ``n_dropped``: strata without information (see :func:`cmh`).
    ``flag``: ``""``; ``"no_information"`` (nothing left: θ̂ = 1, CI (0, inf), statistic 0, p = 1);
    ``"zero_cell_corrected"`` (Σ ad/T or Σ bc/T was 0, so θ̂ and its CI use 0.5 added to every cell
    of the informative strata; the CMH test uses the raw counts). Breslow-Day needs two informative
    strata: with fewer, ``breslow_day`` = 0, ``breslow_day_df`` = 0, ``breslow_day_p`` = 1.
    """

    odds_ratio: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    breslow_day: float
    breslow_day_df: int
    breslow_day_p: float
    n_strata: int
    n_dropped: int
    flag: str


def cmh(a, b, c, d, level: float = 0.95, correction: bool = False, tarone: bool = True) -> CMHResult:
    """Mantel-Haenszel estimate and tests over strata given as arrays of 2x2 counts.

    Per stratum k: ``a`` RPT correct, ``b`` RPT wrong, ``c`` base correct, ``d`` base wrong, T = a+b+c+d.
    θ̂ = Σ(a·d/T) / Σ(b·c/T). Var(log θ̂) by Robins, Breslow & Greenland (1986). CMH statistic
    (|Σ(a − E[a])| − cc)² / Σ Var(a), E[a] = (a+b)(a+c)/T, Var(a) = (a+b)(c+d)(a+c)(b+d) / (T²(T−1)),
    cc = 0.5 if ``correction`` else 0; chi-square with 1 df. Breslow-Day (Tarone-adjusted if ``tarone``)
    with K − 1 df, K = informative strata.

    Degenerate strata rule: a stratum is *informative* when both rows and both columns have a
    positive total. Empty strata, one model missing, and strata where every answer of both models is
    correct (or every one wrong) carry no information: they add 0 to Σad/T, Σbc/T, Σ(a − E[a]) and
    Σ Var(a) anyway, so they are dropped (counted in ``n_dropped``) to avoid 0/0 and to give
    Breslow-Day the right degrees of freedom. Never raises on counts and never returns NaN.
    """
    arrays = [np.atleast_1d(np.asarray(x, float)) for x in (a, b, c, d)]
    if len({x.shape for x in arrays}) != 1 or arrays[0].ndim != 1:
        raise ValueError("cmh: a, b, c, d must be 1-d arrays of equal length (one entry per stratum)")
    if any((x < 0).any() for x in arrays):
        raise ValueError("cmh: counts must be >= 0")
    out = _cmh_arrays(*arrays, group=np.zeros(arrays[0].size, int), n_groups=1, level=level,
                      correction=correction, tarone=tarone)
    return CMHResult(**{k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in out.items()})


def _cmh_arrays(a, b, c, d, group, n_groups: int, level: float = 0.95, correction: bool = False,
                tarone: bool = True) -> dict[str, np.ndarray]:
    """:func:`cmh` for many groups at once: stratum i belongs to group ``group[i]`` (0..n_groups-1)."""
    def total(x, where):
        return np.bincount(group[where], weights=x[where], minlength=n_groups)

    n1, n0, m1, m0 = a + b, c + d, a + c, b + d
    t = n1 + n0
    ok = (n1 > 0) & (n0 > 0) & (m1 > 0) & (m0 > 0)
    n_strata = np.bincount(group[ok], minlength=n_groups)
    n_dropped = np.bincount(group[~ok], minlength=n_groups)
    safe_t = np.where(ok, t, 1.0)

    # CMH test on raw counts.
    expected = n1 * m1 / safe_t
    variance = n1 * n0 * m1 * m0 / (safe_t**2 * np.where(ok, t - 1, 1.0))
    excess, var_sum = total(a - expected, ok), total(variance, ok)
    cc = 0.5 if correction else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(var_sum > 0, np.maximum(np.abs(excess) - cc, 0) ** 2 / var_sum, 0.0)
    p_value = np.where(var_sum > 0, sps.chi2.sf(statistic, 1), 1.0)

    # θ̂ and RBG variance; Haldane-Anscombe +0.5 where Σad/T or Σbc/T is 0.
    raw_r, raw_s = total(a * d / safe_t, ok), total(b * c / safe_t, ok)
    zero = (n_strata > 0) & ((raw_r == 0) | (raw_s == 0))
    shift = np.where(zero[group] & ok, 0.5, 0.0)
    ca, cb, cc_, cd = a + shift, b + shift, c + shift, d + shift
    ct = np.where(ok, ca + cb + cc_ + cd, 1.0)
    r, s = ca * cd / ct, cb * cc_ / ct
    p_, q_ = (ca + cd) / ct, (cb + cc_) / ct
    sum_r, sum_s = total(r, ok), total(s, ok)
    informative = n_strata > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(informative, sum_r / sum_s, 1.0)
        var_log = (total(p_ * r, ok) / (2 * sum_r**2) + total(p_ * s + q_ * r, ok) / (2 * sum_r * sum_s)
                   + total(q_ * s, ok) / (2 * sum_s**2))
    half = sps.norm.ppf(0.5 + level / 2) * np.sqrt(np.where(informative, var_log, 0.0))
    log_theta = np.log(theta)
    ci_low = np.where(informative, np.exp(log_theta - half), 0.0)
    ci_high = np.where(informative, np.exp(log_theta + half), np.inf)

    bd, bd_df, bd_p = _breslow_day(a, n1, n0, m1, ok, group, theta, n_groups, tarone)
    flag = np.where(~informative, "no_information", np.where(zero, "zero_cell_corrected", "")).astype(object)
    return {"odds_ratio": theta, "ci_low": ci_low, "ci_high": ci_high, "statistic": statistic,
            "p_value": p_value, "breslow_day": bd, "breslow_day_df": bd_df, "breslow_day_p": bd_p,
            "n_strata": n_strata, "n_dropped": n_dropped, "flag": flag}


def _breslow_day(a, n1, n0, m1, ok, group, theta_by_group, n_groups, tarone):
    """Breslow-Day: Σ (a − A)² / Var(A) where A is the count of cell a that gives odds ratio θ̂ under
    the stratum's margins (root of (1−θ)A² + (n0 − m1 + θ(n1+m1))A − θ·n1·m1 = 0 inside its bounds)."""
    theta = theta_by_group[group]
    qa, qb, qc = 1 - theta, n0 - m1 + theta * (n1 + m1), -theta * n1 * m1
    disc = np.sqrt(np.maximum(qb**2 - 4 * qa * qc, 0))
    q = -0.5 * (qb + np.where(qb >= 0, 1, -1) * disc)  # stable quadratic roots: q/qa and qc/q
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = np.stack([np.where(qa != 0, q / np.where(qa != 0, qa, 1), np.inf), qc / np.where(q != 0, q, 1)])
    low, high = np.maximum(0, m1 - n0), np.minimum(n1, m1)
    inside = (roots >= low - 1e-9) & (roots <= high + 1e-9)
    fitted = np.where(inside[1], roots[1], roots[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1 / (1 / fitted + 1 / (n1 - fitted) + 1 / (m1 - fitted) + 1 / (n0 - m1 + fitted))
    use = ok & np.isfinite(var) & (var > 0)
    dev = np.where(use, a - fitted, 0.0)
    var = np.where(use, var, 1.0)
    stat = np.bincount(group[use], weights=(dev**2 / var)[use], minlength=n_groups)
    if tarone:
        var_sum = np.bincount(group[use], weights=var[use], minlength=n_groups)
        dev_sum = np.bincount(group[use], weights=dev[use], minlength=n_groups)
        stat = stat - np.where(var_sum > 0, dev_sum**2 / np.where(var_sum > 0, var_sum, 1), 0)
    df = np.maximum(np.bincount(group[use], minlength=n_groups) - 1, 0)
    stat = np.where(df > 0, np.maximum(stat, 0.0), 0.0)
    p = np.where(df > 0, sps.chi2.sf(stat, np.maximum(df, 1)), 1.0)
    return stat, df, p


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
        "split": [split_of(d, pairs[i].domains) for i, d in zip(p_idx, domains)],
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


# ---------------------------------------------------------------------------------- aggregation

def aggregate(st: Strata, by: Sequence[str] = (), correction: bool = False) -> pd.DataFrame:
    """Pool strata rows grouped by ``by`` (columns of ``st.table``; () pools everything).

    Returns one row per group with: n_benchmarks (strata), n_items (Σ n_b), base_accuracy,
    rpt_accuracy (n_b-weighted, %), delta (n_b-weighted Δ, pp), delta_macro (unweighted mean, pp),
    ci_low, ci_high (bootstrap CI of the weighted Δ, pp), p_delta and stars_delta (item-clustered
    sign-flip permutation test of Δ), relative_gain = Δ / base accuracy (%, NaN when
    the base accuracy is 0), error_rate_reduction = Δ / (100 − base accuracy) (%, NaN when the base is
    at 100), odds_ratio, or_ci_low, or_ci_high, cmh_statistic, p_value and stars (the CMH test of θ = 1), breslow_day,
    breslow_day_df, breslow_day_p, n_strata, n_dropped, flag (see :class:`CMHResult`).
    """
    table = st.table
    by = list(by)
    group = table.groupby(by, sort=False).ngroup().to_numpy() if by else np.zeros(len(table), int)
    n_groups = int(group.max()) + 1 if len(table) else 0
    keys = table[by].drop_duplicates().reset_index(drop=True) if by else pd.DataFrame(index=range(n_groups))

    w = table["n_items"].to_numpy(float)

    def wsum(x):
        return np.bincount(group, weights=w * x, minlength=n_groups)

    weight = np.bincount(group, weights=w, minlength=n_groups)
    count = np.bincount(group, minlength=n_groups)
    base_acc = wsum(table["base_accuracy"].to_numpy()) / weight
    rpt_acc = wsum(table["rpt_accuracy"].to_numpy()) / weight
    delta = wsum(table["delta"].to_numpy()) / weight
    macro = np.bincount(group, weights=table["delta"].to_numpy(), minlength=n_groups) / count

    n_boot = st.boot.shape[1]
    if n_boot > 0 and n_groups > 0:
        order = np.argsort(group, kind="stable")
        starts = _starts(group[order])
        pooled = np.add.reduceat(w[order, None] * st.boot[order], starts, axis=0) / weight[:, None]
        alpha = (1 - st.level) / 2
        ci_low, ci_high = np.quantile(pooled, [alpha, 1 - alpha], axis=1)
        observed = wsum(np.nan_to_num(table["delta_paired"].to_numpy(float))) / weight
        null = np.add.reduceat(w[order, None] * st.null[order], starts, axis=0) / weight[:, None]
        extreme = (np.abs(null) >= np.abs(observed)[:, None] - 1e-9).sum(axis=1)
        p_delta = (1 + extreme) / (1 + n_boot)
    else:
        ci_low = ci_high = p_delta = np.full(n_groups, np.nan)

    counts = [table[c].to_numpy(float) for c in "abcd"]
    mh = _cmh_arrays(*counts, group=group, n_groups=n_groups, level=st.level, correction=correction)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(base_acc > 0, 100 * delta / base_acc, np.nan)
        err_red = np.where(base_acc < 100, 100 * delta / (100 - base_acc), np.nan)
    out = keys.assign(
        n_benchmarks=count, n_items=weight.astype(np.int64), base_accuracy=base_acc, rpt_accuracy=rpt_acc,
        delta=delta, delta_macro=macro, ci_low=ci_low, ci_high=ci_high, p_delta=p_delta,
        stars_delta=[stars(p) if np.isfinite(p) else "" for p in p_delta], relative_gain=relative,
        error_rate_reduction=err_red, odds_ratio=mh["odds_ratio"], or_ci_low=mh["ci_low"], or_ci_high=mh["ci_high"],
        cmh_statistic=mh["statistic"], p_value=mh["p_value"], stars=[stars(p) for p in mh["p_value"]],
        breslow_day=mh["breslow_day"], breslow_day_df=mh["breslow_day_df"], breslow_day_p=mh["breslow_day_p"],
        n_strata=mh["n_strata"], n_dropped=mh["n_dropped"], flag=mh["flag"])
    return out


def comparisons(st: Strata, sets: Sequence[str] = ("ID", "OOD")) -> pd.DataFrame:
    """One row per (RPT model, base, set) of benchmarks, sets from :data:`SETS`: ``"all"``, ``"ID"``,
    ``"OOD"``, a domain, ``"structured"`` (math + code) or ``"unstructured"`` (knowledge). Columns:
    rpt, base, train_domains, algorithm, set, in_domain (the set lies inside the training domains),
    then :func:`aggregate`'s. A (pair, set) without a benchmark answered by both models has no row."""
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise ValueError(f"unknown set(s) {unknown}; allowed: {', '.join(SETS)}")
    keys = ["rpt", "base", "train_domains", "algorithm", "set"]
    t = st.table
    parts = []
    for name in sets:
        column = {"all": None, "ID": "split", "OOD": "split", "structured": "group",
                  "unstructured": "group"}.get(name, "domain")
        mask = np.ones(len(t), bool) if column is None else (t[column] == name).to_numpy()
        part = st.where(mask)
        parts.append(aggregate(Strata(part.table.assign(set=name), part.boot, part.null, st.level), keys))
    out = pd.concat(parts, ignore_index=True)
    out.insert(5, "in_domain", [_in_domain(s, d) for s, d in zip(out["set"], out["train_domains"])])
    pair_rank = {p: i for i, p in enumerate(t["rpt"].drop_duplicates())}
    set_rank = {s: i for i, s in enumerate(sets)}
    order = np.lexsort((out["set"].map(set_rank).to_numpy(), out["rpt"].map(pair_rank).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def mean_delta(comparisons_: pd.DataFrame, sets: Sequence[str] = ("ID", "OOD")) -> dict[str, float]:
    """The headline numbers: per set, Δ (pp) averaged over the RPT models (each model's Δ from
    :func:`comparisons`, weighted equally); NaN for a set no model has."""
    means = comparisons_.groupby("set")["delta"].mean()
    return {s: float(means.get(s, float("nan"))) for s in sets}


def minimum_detectable_delta(benchmarks: Sequence[tuple[int, int]], base_accuracy: float = 0.5,
                             alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest Δ (pp) a two-sided test at ``alpha`` detects with probability ``power``, for a
    pooled Δ over ``benchmarks`` given as (items, repeats), weighted by items as :func:`aggregate`
    weights them. Normal approximation with the two models' samples independent given the item
    (no item-level correlation, which is conservative: correlated models make paired differences
    less variable) and every item at ``base_accuracy`` (0.5 is the worst case): an item's mean
    difference has variance 2 p (1 - p) / repeats, so Var(Δ) = 2 p (1 - p) Σ n_b / r_b / (Σ n_b)²."""
    n = np.array([b[0] for b in benchmarks], float)
    r = np.array([b[1] for b in benchmarks], float)
    if not len(n) or (n <= 0).any() or (r <= 0).any():
        raise ValueError(f"benchmarks must be (items > 0, repeats > 0) pairs, got {list(benchmarks)}")
    p = base_accuracy
    se = math.sqrt(2 * p * (1 - p) * float((n / r).sum())) / float(n.sum())
    return 100 * (sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) * se


def _in_domain(set_name: str, train_domains: str) -> bool:
    """Whether a set of benchmarks (:data:`SETS`) is seen in training by a model trained on the
    domains of the label ``train_domains``."""
    trained = label_domains(train_domains)
    if set_name == "ID":
        return True
    if set_name in DOMAINS:
        return split_of(set_name, trained) == "ID"
    if set_name in ("structured", "unstructured"):
        return all(split_of(d, trained) == "ID" for d, g in DOMAIN_GROUP.items() if g == set_name)
    return False


def _domain_rank(label: str) -> tuple:
    """Sort key for training-domain labels: single domains first, in :data:`DOMAINS` order."""
    parts = label_domains(label)
    return (len(parts), [DOMAINS.index(p) if p in DOMAINS else len(DOMAINS) for p in parts])


def transfer_matrix(st: Strata) -> pd.DataFrame:
    """Training domain(s) x evaluation domain: Δ pooled over every RPT model with those training
    domains and every benchmark of the evaluation domain (n_b-weighted; CMH over all those strata).
    Columns: train_domains, eval_domain, in_domain, n_models, then :func:`aggregate`'s."""
    out = aggregate(st, ["train_domains", "domain"]).rename(columns={"domain": "eval_domain"})
    n_models = st.table.groupby(["train_domains", "domain"], sort=False)["rpt"].nunique().to_numpy()
    out.insert(2, "in_domain", [split_of(e, label_domains(t)) == "ID" for t, e in zip(out["train_domains"], out["eval_domain"])])
    out.insert(3, "n_models", n_models)
    rows = sorted(range(len(out)), key=lambda i: (_domain_rank(out["train_domains"].iat[i]),
                                                  _domain_rank(out["eval_domain"].iat[i])))
    return out.iloc[rows].reset_index(drop=True)


def robustness(st: Strata) -> pd.DataFrame:
    """Per (base, algorithm): ID and OOD Δ pooled over that base's RPT models trained with that
    algorithm (n_b-weighted; p and stars from the item-clustered permutation test of that pooled Δ,
    items drawn jointly across the models), and the gap ID − OOD (pp). Columns: base, algorithm,
    n_models, delta_id, p_id, stars_id, delta_ood, p_ood, stars_ood, gap. A (base, algorithm) whose
    models have no OOD (or ID) benchmark gets NaN there (and no stars)."""
    pooled = aggregate(st, ["base", "algorithm", "split"])
    out = st.table.groupby(["base", "algorithm"], sort=False)["rpt"].nunique().rename("n_models").reset_index()
    for split in ("ID", "OOD"):
        s = split.lower()
        part = pooled.loc[pooled["split"] == split, ["base", "algorithm", "delta", "p_delta"]]
        out = out.merge(part.rename(columns={"delta": f"delta_{s}", "p_delta": f"p_{s}"}),
                        on=["base", "algorithm"], how="left")
        out[f"stars_{s}"] = [stars(p) if np.isfinite(p) else "" for p in out[f"p_{s}"]]
    out["gap"] = out["delta_id"] - out["delta_ood"]
    return out[["base", "algorithm", "n_models", "delta_id", "p_id", "stars_id", "delta_ood", "p_ood",
                "stars_ood", "gap"]]


def paired_tests(st: Strata, family: Sequence[str] | None = None, exact_below: int = 25) -> pd.DataFrame:
    """Per (pair, benchmark): McNemar test and bootstrap CI of Δ, Holm-adjusted across all rows, or
    within each group of ``family`` columns (e.g. ``["rpt"]``: one family per model's figure panel).
    Columns: rpt, base, benchmark, domain, split, n_items, n_pairs, base_accuracy, rpt_accuracy, delta,
    ci_low, ci_high (pp), n10, n01, statistic, p_value, exact, p_holm, stars (from p_holm)."""
    t = st.table
    stat, p, exact = mcnemar(t["n10"].to_numpy(), t["n01"].to_numpy(), exact_below)
    alpha = (1 - st.level) / 2
    if st.boot.shape[1] > 0 and len(t):
        ci_low, ci_high = np.quantile(st.boot, [alpha, 1 - alpha], axis=1)
    else:
        ci_low = ci_high = np.full(len(t), np.nan)
    out = t[["rpt", "base", "benchmark", "domain", "split", "n_items", "n_pairs", "base_accuracy",
             "rpt_accuracy", "delta"]].assign(ci_low=ci_low, ci_high=ci_high, n10=t["n10"], n01=t["n01"],
                                              statistic=stat, p_value=p, exact=exact)
    if family:
        out["p_holm"] = out.groupby(list(family), sort=False)["p_value"].transform(lambda s: holm(s.to_numpy()))
    else:
        out["p_holm"] = holm(out["p_value"].to_numpy())
    out["stars"] = [stars(x) for x in out["p_holm"]]
    return out.reset_index(drop=True)


def training_dynamics(records: pd.DataFrame | Grid, steps: Mapping[str, int], base: str, domains: Sequence[str],
                      n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """ID and OOD Δ of each checkpoint over ``base``. ``steps`` maps checkpoint model names (as in the
    records) to training steps; ``domains`` are the run's training domains. Including ``base`` itself
    at step 0 gives the Δ = 0 origin. Columns: step, model, split, and :func:`aggregate`'s columns."""
    st = strata(records, [Pair(model, base, tuple(domains)) for model in steps], n_boot, seed, level)
    out = aggregate(st, ["rpt", "split"]).rename(columns={"rpt": "model"})
    out.insert(0, "step", out["model"].map(dict(steps)).astype(int))
    return out.sort_values(["step", "split"], kind="stable").reset_index(drop=True)


def format_split(records: pd.DataFrame, pairs: Registry | Iterable[Pair | tuple]) -> pd.DataFrame:
    """How much of each benchmark's Δ is answer format and how much is correctness.

    pass@1 = a x c, with ``a`` the share of samples with an extractable answer (``reason`` is not
    ``"no_answer"``) and ``c`` the accuracy on those. Exactly, Δ = (a_rpt - a_base) c_base
    [``delta_format``: more (or fewer) answers at the base's accuracy] + a_rpt (c_rpt - c_base)
    [``delta_correctness``: more of the given answers right]. All in percent / pp, per sample (a
    repeated item counts once per sample; with equal repeats this is the per-item mean). Also the
    truncation rate (``finish_reason == "length"``) and mean completion tokens of both models, where
    the records have those columns. One row per RPT model and benchmark both models answered;
    ``c`` is NaN where a model answered nothing (and its share of Δ then NaN too)."""
    for column in ("model", "benchmark", "domain", "correct", "reason"):
        if column not in records:
            raise ValueError(f"records lack column {column!r}; format_split needs model, benchmark, domain, correct, reason")
    records = graded(records)
    frame = records.assign(answered=records["reason"] != "no_answer", correct=_correct_column(records),
                           truncated=records.get("finish_reason", pd.Series("", index=records.index)) == "length",
                           tokens=records["tokens"] if "tokens" in records else np.nan)
    per = frame.groupby(["model", "benchmark"]).agg(domain=("domain", "first"), samples=("correct", "size"),
                                                    acc=("correct", "mean"), answered=("answered", "mean"),
                                                    truncated=("truncated", "mean"), tokens=("tokens", "mean"))
    per["acc_answered"] = frame[frame["answered"]].groupby(["model", "benchmark"])["correct"].mean()
    rows = []
    for pair in pairs_from(pairs):
        if pair.rpt not in per.index.get_level_values(0) or pair.base not in per.index.get_level_values(0):
            continue
        rpt, base = per.loc[pair.rpt], per.loc[pair.base]
        for benchmark in rpt.index.intersection(base.index):
            r, b = rpt.loc[benchmark], base.loc[benchmark]
            rows.append({"rpt": pair.rpt, "base": pair.base, "benchmark": benchmark, "domain": r["domain"],
                         "split": split_of(r["domain"], pair.domains),
                         "acc_base": 100 * b["acc"], "acc_rpt": 100 * r["acc"], "delta": 100 * (r["acc"] - b["acc"]),
                         "answered_base": 100 * b["answered"], "answered_rpt": 100 * r["answered"],
                         "acc_answered_base": 100 * b["acc_answered"], "acc_answered_rpt": 100 * r["acc_answered"],
                         "delta_format": 100 * (r["answered"] - b["answered"]) * b["acc_answered"],
                         "delta_correctness": 100 * r["answered"] * (r["acc_answered"] - b["acc_answered"]),
                         "truncated_base": 100 * b["truncated"], "truncated_rpt": 100 * r["truncated"],
                         "tokens_base": b["tokens"], "tokens_rpt": r["tokens"]})
    return pd.DataFrame(rows)


def placebo_adjusted(records: pd.DataFrame | Grid, pairs: Registry | Iterable[Pair | tuple], placebo: str,
                     n_boot: int = 1000, seed: int = 0, sets: Sequence[str] = DOMAINS) -> pd.DataFrame:
    """Each RPT model's Δ against the placebo run instead of the base: what RL on the verifier's
    reward did beyond what the same training with a coin-flip reward did (sampling, updates and
    format drift alike). ``placebo`` names the placebo model in the records; it must share the
    RPT models' base and training budget. Same columns as :func:`comparisons`, with ``base`` the
    placebo: ``delta`` = RPT − placebo (pp), its item-bootstrap CI and item-clustered ``p_delta``
    (the placebo's items are the base's items, so the pairing holds)."""
    against = [Pair(p.rpt, placebo, p.domains, p.algorithm) for p in pairs_from(pairs) if p.rpt != placebo]
    return comparisons(strata(records, against, n_boot=n_boot, seed=seed), sets)


def describe_transfer(matrix: pd.DataFrame, alpha: float = 0.05, adjusted: pd.DataFrame | None = None) -> str:
    """The transfer matrix (:func:`transfer_matrix`) in plain words, one line per cell: a gain or a
    loss where the item-clustered p is below ``alpha``, else "no measurable transfer" with the CI
    that bounds it. With ``adjusted`` (:func:`placebo_adjusted`, pooled per training domain and
    set) each line adds the placebo-adjusted Δ."""
    lines = []
    for row in matrix.itertuples():
        kind = "in domain" if row.in_domain else "transfer"
        ci = f"95% CI {row.ci_low:+.1f} to {row.ci_high:+.1f} pp"
        if np.isfinite(row.p_delta) and row.p_delta < alpha:
            verdict = f"{'gain' if row.delta > 0 else 'loss'} of {row.delta:+.1f} pp ({ci}, p = {row.p_delta:.3g})"
        else:
            verdict = f"no measurable {'change' if row.in_domain else 'transfer'}: {row.delta:+.1f} pp ({ci})"
        line = f"- RL on **{row.train_domains}** → {row.eval_domain} ({kind}): {verdict}"
        if adjusted is not None:
            match = adjusted[(adjusted["train_domains"] == row.train_domains) & (adjusted["set"] == row.eval_domain)]
            if len(match):
                a = match.iloc[0]
                line += (f"; beyond the placebo {a['delta']:+.1f} pp (CI {a['ci_low']:+.1f} to {a['ci_high']:+.1f}, "
                         f"p = {a['p_delta']:.3g})")
        lines.append(line)
    return "\n".join(lines)


def band_check(records: pd.DataFrame, k: int = 8, band: tuple[float, float] = (15.0, 85.0)) -> pd.DataFrame:
    """Is a base model where RL can learn and a Δ can show? Per model x benchmark: pass@1 (%, with
    its Wilson CI over items), pass@k (%, unbiased estimator; NaN when an item has fewer than ``k``
    samples), the share of samples with an answer in the asked format (%), and ``in_band``: pass@1
    within ``band`` (a set at the floor or the ceiling can show neither gains nor transfer)."""
    from .evaluate import pass_at_k

    records = graded(records)
    table = accuracy_table(records)
    frame = records.assign(correct=_correct_column(records), answered=records["reason"] != "no_answer")
    per_item = frame.groupby(["model", "benchmark", "item_id"], sort=False)["correct"].agg(["size", "sum"])
    passk = {key: 100 * float(np.mean([pass_at_k(int(n), int(c), k) for n, c in zip(g["size"], g["sum"])]))
             if g["size"].min() >= k else float("nan")
             for key, g in per_item.groupby(level=["model", "benchmark"], sort=False)}
    answered = frame.groupby(["model", "benchmark"])["answered"].mean() * 100
    table[f"pass_at_{k}"] = [passk[(m, b)] for m, b in zip(table["model"], table["benchmark"])]
    table["answered"] = [answered[(m, b)] for m, b in zip(table["model"], table["benchmark"])]
    table["in_band"] = table["accuracy"].between(*band)
    return table[["model", "benchmark", "domain", "n_items", "n_samples", "accuracy", "ci_low", "ci_high",
                  f"pass_at_{k}", "answered", "in_band"]]


# ------------------------------------------------------------------ reported beside reproduced

REPORTED_KINDS: dict[str, tuple[str, ...]] = {
    "mean_delta": ("set",), "pooled_odds": ("set",), "pair_delta": ("model", "set"),
    "benchmark_delta": ("model", "benchmark"), "robustness": ("base", "algorithm", "set"),
    "transfer": ("train", "eval")}
TRANSFER_VERDICTS = ("gain", "none", "loss")   # the values of a reported ``transfer`` statement


def load_reported(source: str | Mapping) -> dict:
    """A file of reported numbers (``params/paper/reported.yaml``: ``paper`` and ``numbers``, each
    number with ``kind`` from :data:`REPORTED_KINDS`, that kind's keys, ``value`` and ``section``),
    checked: a bad entry raises ValueError naming its position, the field and what is allowed."""
    import yaml

    raw = dict(source) if isinstance(source, Mapping) else yaml.safe_load(open(source))
    numbers = raw.get("numbers") or []
    for i, n in enumerate(numbers):
        where = f"numbers[{i}]"
        if n.get("kind") not in REPORTED_KINDS:
            raise ValueError(f"{where}.kind: {n.get('kind')!r} is not allowed; allowed: {', '.join(REPORTED_KINDS)}")
        missing = [k for k in (*REPORTED_KINDS[n["kind"]], "value", "section") if k not in n]
        if missing:
            raise ValueError(f"{where} ({n['kind']}): missing {', '.join(missing)}")
        if n["kind"] == "transfer" and n["value"] not in TRANSFER_VERDICTS:
            raise ValueError(f"{where}.value: {n['value']!r} is not allowed for a transfer statement; "
                             f"allowed: {', '.join(TRANSFER_VERDICTS)}")
    return {"paper": raw.get("paper") or {}, "numbers": numbers}


def reported_vs_reproduced(reported: str | Mapping, st: Strata, study: str | None = None) -> pd.DataFrame:
    """Every reported number (:func:`load_reported`; of ``study`` when given) that these strata cover,
    beside the same quantity computed here the same way: Δ (pp) as in :func:`comparisons`, the mean
    over models as in :func:`mean_delta`, pooled θ̂ as in :func:`aggregate`, (base, algorithm) Δ as in
    :func:`robustness`. Columns: quantity, reported, reproduced, difference (reproduced - reported),
    version, section. Numbers about models or settings the strata lack have no row; they are listed in
    ``attrs["not_covered"]`` (quantities) so a reader sees how many were out of reach."""
    reported = load_reported(reported)
    default_version = reported["paper"].get("version", "")
    t = st.table
    comps = comparisons(st, ("ID", "OOD", *DOMAINS)) if len(t) else pd.DataFrame(columns=["rpt", "set", "delta"])
    robust = robustness(st) if len(t) else pd.DataFrame(columns=["base", "algorithm"])
    rows, not_covered = [], []
    for n in reported["numbers"]:
        if (study and n.get("study") not in (None, study)) or n["kind"] == "transfer":
            continue   # transfer statements are verdicts, not numbers: transfer_statements
        kind, value = n["kind"], np.nan
        if kind == "mean_delta":
            quantity = f"mean {n['set']} Δ over RPT models (pp)"
            value = mean_delta(comps, (n["set"],))[n["set"]] if len(comps) else np.nan
        elif kind == "pooled_odds":
            quantity = f"pooled {n['set']} θ̂ (Mantel-Haenszel)"
            column = "split" if n["set"] in ("ID", "OOD") else "domain"
            part = st.where((t[column] == n["set"]).to_numpy())
            value = float(aggregate(part).iloc[0]["odds_ratio"]) if len(part.table) else np.nan
        elif kind == "pair_delta":
            quantity = f"{n['model']}: {n['set']} Δ (pp)"
            hit = comps[(comps["rpt"] == n["model"]) & (comps["set"] == n["set"])]
            value = float(hit["delta"].iloc[0]) if len(hit) else np.nan
        elif kind == "benchmark_delta":
            quantity = f"{n['model']}: {n['benchmark']} Δ (pp)"
            hit = t[(t["rpt"] == n["model"]) & (t["benchmark"] == n["benchmark"])]
            value = float(hit["delta"].iloc[0]) if len(hit) else np.nan
        else:
            quantity = f"{n['base']} + {n['algorithm']}: {n['set']} Δ (pp)"
            hit = robust[(robust["base"] == n["base"]) & (robust["algorithm"].str.upper() == n["algorithm"].upper())]
            value = float(hit[f"delta_{n['set'].lower()}"].iloc[0]) if len(hit) else np.nan
        if np.isfinite(value):
            rows.append({"quantity": quantity, "reported": float(n["value"]), "reproduced": value,
                         "difference": value - float(n["value"]), "version": n.get("version", default_version),
                         "section": n["section"]})
        else:
            not_covered.append(quantity)
    side = pd.DataFrame(rows, columns=["quantity", "reported", "reproduced", "difference", "version", "section"])
    side.attrs["not_covered"] = not_covered
    return side


def coverage_note(side: pd.DataFrame) -> str:
    """One line: how many reported numbers a :func:`reported_vs_reproduced` table covers, and which
    it cannot (up to five named)."""
    missing = side.attrs.get("not_covered", [])
    total = len(side) + len(missing)
    if not missing:
        return f"This run covers all {total} reported numbers."
    named = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
    return (f"This run covers {len(side)} of the {total} reported numbers; the other {len(missing)} are about "
            f"models or settings it lacks: {named}.")


def transfer_statements(reported: str | Mapping, matrix: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The paper's qualitative transfer statements (``kind: transfer`` in the reported file, e.g.
    RQ2's "math -> code: gain", "math -> knowledge: none") beside this run's verdict on the same
    cell of the transfer matrix (:func:`transfer_matrix`): ``gain``/``loss`` where the item-clustered
    p is below ``alpha``, else ``none``. Cells the run lacks are left out. Columns: statement,
    reported, reproduced, delta, ci_low, ci_high, p_delta, agrees, version, section."""
    reported = load_reported(reported)
    default_version = reported["paper"].get("version", "")
    rows = []
    for n in reported["numbers"]:
        if n["kind"] != "transfer":
            continue
        hit = matrix[(matrix["train_domains"] == n["train"]) & (matrix["eval_domain"] == n["eval"])]
        if not len(hit):
            continue
        cell = hit.iloc[0]
        verdict = ("gain" if cell["delta"] > 0 else "loss") if cell["p_delta"] < alpha else "none"
        rows.append({"statement": f"RL on {n['train']} -> {n['eval']}", "reported": n["value"], "reproduced": verdict,
                     "delta": cell["delta"], "ci_low": cell["ci_low"], "ci_high": cell["ci_high"],
                     "p_delta": cell["p_delta"], "agrees": verdict == n["value"],
                     "version": n.get("version", default_version), "section": n["section"]})
    return pd.DataFrame(rows, columns=["statement", "reported", "reproduced", "delta", "ci_low", "ci_high", "p_delta",
                                       "agrees", "version", "section"])


# ------------------------------------------------------------------------- teaching the method
# Small views used by the methodology notebook to show *why* the statistics are built as they are.

def pooling_comparison(st: Strata) -> pd.DataFrame:
    """Per RPT model: the odds ratio of each benchmark, of all samples collapsed into one 2x2 table
    (naive pooling, which mixes easy and hard benchmarks), and the Mantel-Haenszel θ̂ that keeps
    benchmarks as strata. Columns: rpt, benchmark, a, b, c, d, odds_ratio, with benchmark
    ``"(collapsed)"`` and ``"(Mantel-Haenszel)"`` rows per model. A 0 in a cell gives +0.5 to all four
    cells of that row (Haldane), so every row has a finite odds ratio."""
    rows = []
    for rpt, group in st.table.groupby("rpt", sort=False):
        cells = group[["a", "b", "c", "d"]].to_numpy(float)
        for name, (a, b, c, d) in [*zip(group["benchmark"], cells), ("(collapsed)", cells.sum(axis=0))]:
            a, b, c, d = (x + 0.5 for x in (a, b, c, d)) if min(a, b, c, d) == 0 else (a, b, c, d)
            rows.append({"rpt": rpt, "benchmark": name, "a": a, "b": b, "c": c, "d": d, "odds_ratio": a * d / (b * c)})
        pooled = cmh(*cells.T)
        rows.append({"rpt": rpt, "benchmark": "(Mantel-Haenszel)", "odds_ratio": pooled.odds_ratio})
    return pd.DataFrame(rows)


def paired_vs_unpaired(st: Strata) -> pd.DataFrame:
    """Per (pair, benchmark): the p-value of the paired McNemar test and of an unpaired Pearson
    chi-square test on the same 2x2 counts (which ignores that both models answered the same items).
    Pairing removes item difficulty from the noise, so its p-value is usually the smaller one."""
    t = st.table
    _, p_paired, _ = mcnemar(t["n10"].to_numpy(), t["n01"].to_numpy())
    p_unpaired = []
    for a, b, c, d in t[["a", "b", "c", "d"]].to_numpy(float):
        table = np.array([[a, b], [c, d]])
        informative = table.sum(axis=0).all() and table.sum(axis=1).all()
        p_unpaired.append(sps.chi2_contingency(table, correction=False)[1] if informative else 1.0)
    return t[["rpt", "base", "benchmark", "delta", "n10", "n01"]].assign(
        p_paired=p_paired, p_unpaired=p_unpaired).reset_index(drop=True)


def repeat_precision(records: pd.DataFrame, model: str, benchmark: str, repeats: Sequence[int] | None = None,
                     n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """How precise pass@1 is with k samples per item: for each k, draw k of the model's repeats per
    item (without replacement) ``n_boot`` times and report the standard deviation of the resulting
    pass@1 in pp. Columns: repeats, pass_at_1 (mean, %), sd (pp). Needs repeats in the records."""
    rows = graded(records)
    rows = rows[(rows["model"] == model) & (rows["benchmark"] == benchmark)]
    table = rows.pivot_table(index="item_id", columns="sample_index", values="correct", aggfunc="first")
    if table.empty:
        raise ValueError(f"no records of model {model!r} on benchmark {benchmark!r}")
    matrix = table.to_numpy(float)
    available = matrix.shape[1]
    repeats = [k for k in (repeats or [1, 2, 4, 8, 16, 32]) if k <= available]
    rng = np.random.default_rng(seed)
    out = []
    for k in repeats:
        means = []
        for _ in range(n_boot):
            picks = np.argsort(rng.random(matrix.shape), axis=1)[:, :k]
            means.append(100 * np.nanmean(np.take_along_axis(matrix, picks, axis=1)))
        out.append({"repeats": k, "pass_at_1": float(np.mean(means)), "sd": float(np.std(means))})
    return pd.DataFrame(out)


# ------------------------------------------------------------ calibration and known ground truth
# Where the truth is known (the tiny world), these check the method itself: does a "significant" Δ
# appear where there is no effect, and does the analysis find the effects planted by construction?

def calibration(records: pd.DataFrame, resampled: Sequence[str] = (), placebo: Iterable[Pair | tuple] = (),
                sets: Sequence[str] = DOMAINS, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Null comparisons, whose true Δ is 0 by construction, analysed exactly like an RPT model
    against its base (:func:`comparisons`: n_b-weighted Δ, bootstrap CI, the paper's CMH p-value and
    the item-clustered permutation p-value of Δ) on each of ``sets``.

    ``resampled``: models evaluated with several repeats. Their repeats are split into disjoint
    consecutive pairs (sample 1 vs sample 0, 3 vs 2, ...): the same model on the same items with
    independent sampling seeds (``kind="resampling"``; sampling noise only).
    ``placebo``: pairs (model trained with a reward that ignores correctness, its base)
    (``kind="placebo"``; sampling noise plus whatever training alone does).
    Columns: comparison, kind, set, n_items, base_accuracy, rpt_accuracy, delta, ci_low, ci_high,
    odds_ratio, p_value (CMH), p_delta (clustered).
    """
    frames, pairs, labels = [], [], {}
    for model in resampled:
        rows = records[records["model"] == model]
        if rows.empty:
            raise ValueError(f"calibration: no records of model {model!r}")
        indices = sorted(rows["sample_index"].unique())
        if len(indices) < 2:
            raise ValueError(f"calibration: {model!r} has one sample per item; resampling nulls need repeats")
        for a, b in zip(indices[0::2], indices[1::2]):
            first, second = f"{model}#{b}", f"{model}#{a}"
            frames += [rows[rows["sample_index"] == b].assign(model=first, sample_index=0),
                       rows[rows["sample_index"] == a].assign(model=second, sample_index=0)]
            pairs.append(Pair(first, second, ()))
            labels[first] = (f"{model}: sample {b} vs sample {a}", "resampling")
    for pair in pairs_from(placebo):
        frames.append(records[records["model"].isin([pair.rpt, pair.base])])
        pairs.append(pair)
        labels[pair.rpt] = (f"{pair.rpt} vs {pair.base}", "placebo")
    if not pairs:
        raise ValueError("calibration: give resampled models and/or placebo pairs")
    out = comparisons(strata(pd.concat(frames, ignore_index=True), pairs, n_boot, seed), sets)
    out.insert(0, "comparison", out["rpt"].map(lambda m: labels[m][0]))
    out.insert(1, "kind", out["rpt"].map(lambda m: labels[m][1]))
    return out[["comparison", "kind", "set", "n_items", "base_accuracy", "rpt_accuracy", "delta", "ci_low",
                "ci_high", "odds_ratio", "p_value", "p_delta"]].reset_index(drop=True)


TESTS = {"p_value": "CMH (repeats as samples)", "p_delta": "item-clustered permutation test of Δ"}


def false_positive_rate(calibrated: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per kind of null comparison (:func:`calibration`) and per test (:data:`TESTS`): how many, how
    many with p < ``alpha`` ("significant" although the true effect is 0) and that share. A
    calibrated test gives about ``alpha`` on resampling nulls. Columns: kind, test, comparisons,
    significant, rate, alpha."""
    parts = []
    for column, test in TESTS.items():
        grouped = calibrated.assign(significant=calibrated[column] < alpha).groupby("kind", sort=False)
        part = grouped.agg(comparisons=(column, "size"), significant=("significant", "sum")).reset_index()
        parts.append(part.assign(test=test))
    out = pd.concat(parts, ignore_index=True)[["kind", "test", "comparisons", "significant"]]
    return out.assign(rate=out["significant"] / out["comparisons"], alpha=alpha)


def planted_recovery(comps: pd.DataFrame, planted: Mapping[str, Mapping[str, str]], alpha: float = 0.05,
                     margin: float = 2.0) -> pd.DataFrame:
    """Compare declared effects with what the analysis found.

    ``comps``: :func:`comparisons` rows with ``set`` a domain, one RPT model per training-domain
    label. ``planted``: training-domain label (``"math"``, ``"math+code+knowledge"``) -> evaluation
    domain -> ``"gain"`` or ``"none"``, declared before training. A ``gain`` is recovered when
    Δ > 0 with the item-clustered permutation p (``p_delta``, the test of Δ) < ``alpha``; a ``none``
    when the 95% CI of Δ contains 0 or |Δ| < ``margin`` pp.
    Columns: train_domain, eval_domain, planted, delta, ci_low, ci_high, p_delta, p_value (CMH),
    recovered, model.
    Raises ValueError when a declared cell has no comparison, or a label has several models.
    """
    rows = []
    for train, effects in planted.items():
        models = comps.loc[comps["train_domains"] == train, "rpt"].unique()
        if len(models) != 1:
            raise ValueError(f"planted_recovery: training domains {train!r} need exactly one model in comps, "
                             f"found {list(models)}")
        for domain, effect in effects.items():
            if effect not in ("gain", "none"):
                raise ValueError(f"planted effect {effect!r} for {train} -> {domain}; allowed: gain, none")
            row = comps[(comps["rpt"] == models[0]) & (comps["set"] == domain)]
            if row.empty:
                raise ValueError(f"planted_recovery: no comparison of {models[0]} on {domain!r}")
            r = row.iloc[0]
            found = (r["delta"] > 0 and r["p_delta"] < alpha) if effect == "gain" else \
                bool(r["ci_low"] <= 0 <= r["ci_high"] or abs(r["delta"]) < margin)
            rows.append({"train_domain": train, "eval_domain": domain, "planted": effect, "delta": r["delta"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_delta": r["p_delta"], "p_value": r["p_value"],
                         "recovered": bool(found), "model": models[0]})
    return pd.DataFrame(rows)


def describe_recovery(recovery: pd.DataFrame) -> str:
    """Markdown: one sentence per row of :func:`planted_recovery`, then the count recovered."""
    lines = []
    for r in recovery.itertuples():
        numbers = (f"Δ = {r.delta:+.1f} pp (95% CI {r.ci_low:+.1f} to {r.ci_high:+.1f}, item-clustered p = {r.p_delta:.2g}, "
                   f"CMH p = {r.p_value:.2g})")
        if r.planted == "gain":
            verdict = "**found**" if r.recovered else "**missed**: no significant gain"
            lines.append(f"- RL on {r.train_domain} was planted to raise {r.eval_domain}: {numbers}, {verdict}.")
        else:
            verdict = ("**consistent**: no effect detected" if r.recovered
                       else "**not consistent**: the analysis reports an effect that was not planted")
            lines.append(f"- RL on {r.train_domain} was planted to leave {r.eval_domain} unchanged: {numbers}, {verdict}.")
    found = int(recovery["recovered"].sum())
    return "\n".join(lines + [f"\n**{found} of {len(recovery)} planted effects recovered.**"])


def describe_calibration(calibrated: pd.DataFrame, alpha: float = 0.05) -> str:
    """Markdown: the false-positive rate of each kind of null comparison and the largest |Δ| among
    them, in words (:func:`calibration`)."""
    lines = []
    rates = false_positive_rate(calibrated, alpha)
    for kind, group in rates.groupby("kind", sort=False):
        part = calibrated[calibrated["kind"] == kind]
        largest = part.loc[part["delta"].abs().idxmax()]
        found = "; ".join(f"{r.significant} of {r.comparisons} by the {r.test} ({100 * r.rate:.0f}%)"
                          for r in group.itertuples())
        lines.append(f"- **{kind}**: null comparisons \"significant\" at p < {alpha:g} (nominal rate "
                     f"{100 * alpha:.0f}%): {found}. The largest |Δ| was {abs(largest['delta']):.1f} pp "
                     f"({largest['comparison']}, {largest['set']}).")
    return "\n".join(lines)


def pass_at_k_curves(records: pd.DataFrame, models: Sequence[str] | None = None,
                     ks: Sequence[int] = (1, 2, 4, 8)) -> pd.DataFrame:
    """pass@k (%, the unbiased estimator of Chen et al. 2021, averaged over items) per model, domain
    and k, for every k no larger than the model's samples per item on every benchmark of the domain.
    Columns: model, domain, k, pass_at_k, n_items."""
    from .evaluate import pass_at_k

    records = graded(records)
    chosen = records if models is None else records[records["model"].isin(list(models))]
    per_item = chosen.groupby(["model", "domain", "benchmark", "item_id"], sort=False)["correct"].agg(["size", "sum"])
    rows = []
    for (model, domain), items in per_item.groupby(level=["model", "domain"], sort=False):
        n, c = items["size"].to_numpy(), items["sum"].to_numpy()
        for k in ks:
            if k > n.min():
                continue
            values = [pass_at_k(int(ni), int(ci), k) for ni, ci in zip(n, c)]
            rows.append({"model": model, "domain": domain, "k": k, "pass_at_k": 100 * float(np.mean(values)),
                         "n_items": len(values)})
    return pd.DataFrame(rows, columns=["model", "domain", "k", "pass_at_k", "n_items"])


__all__ = ["STAR_LEVELS", "SETS", "stars", "wilson_interval", "holm", "mcnemar", "CMHResult",
           "cmh", "Grid", "accuracy_table", "Pair", "pairs_from", "Strata", "strata", "aggregate", "comparisons",
           "mean_delta", "minimum_detectable_delta", "REPORTED_KINDS", "load_reported", "reported_vs_reproduced", "coverage_note", "transfer_matrix", "robustness", "paired_tests", "training_dynamics", "format_split",
           "pooling_comparison", "paired_vs_unpaired", "repeat_precision", "calibration", "false_positive_rate",
           "planted_recovery", "describe_recovery", "describe_calibration", "pass_at_k_curves", "placebo_adjusted",
           "describe_transfer", "band_check", "transfer_statements", "TRANSFER_VERDICTS"]
