"""pass@k: the unbiased estimator of Chen et al. (2021), pass@k curves per model and domain, and the
band check of a base model (is its pass@1 where RL can learn and a Δ can show?).

pass@k of one item is a probability in [0, 1]; averaged over items it is reported in percent (0-100).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from ..rewards.verdict import graded
from .stratify import _correct_column, accuracy_table


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimator (Chen et al. 2021): 1 - C(n-c, k) / C(n, k); needs n >= k."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def band_check(records: pd.DataFrame, k: int = 8, band: tuple[float, float] = (15.0, 85.0)) -> pd.DataFrame:
    """Is a base model where RL can learn and a Δ can show? Per model x benchmark: pass@1 (%, with
    its Wilson CI over items), pass@k (%, unbiased estimator; NaN when an item has fewer than ``k``
    samples), the share of samples with an answer in the asked format (%), and ``in_band``: pass@1
    within ``band`` (a set at the floor or the ceiling can show neither gains nor transfer)."""
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


def pass_at_k_curves(records: pd.DataFrame, models: Sequence[str] | None = None,
                     ks: Sequence[int] = (1, 2, 4, 8)) -> pd.DataFrame:
    """pass@k (%, the unbiased estimator of Chen et al. 2021, averaged over items) per model, domain
    and k, for every k no larger than the model's samples per item on every benchmark of the domain.
    Columns: model, domain, k, pass_at_k, n_items."""
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


__all__ = ["pass_at_k", "pass_at_k_curves", "band_check"]
