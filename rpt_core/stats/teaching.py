"""Teaching the method: small views the methodology notebook uses to show *why* the statistics are
built as they are (strata instead of naive pooling, paired instead of unpaired tests, how precise
pass@1 is with k repeats).

Odds ratios are ratios; p-values in [0, 1]; pass@1 in percent, its spread in pp.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..rewards.verdict import graded
from .significance import cmh, mcnemar
from .stratify import Strata


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


__all__ = ["pooling_comparison", "paired_vs_unpaired", "repeat_precision"]
