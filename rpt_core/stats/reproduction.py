"""The paper's reported numbers beside this run's: loading and checking the reported file
(``params/paper/reported.yaml``), each reported number beside the same quantity reproduced here,
a one-line coverage note, and the paper's qualitative transfer statements beside this run's verdicts.

Δ in percentage points (pp); θ̂ a ratio of odds; p-values in [0, 1].
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..models import DOMAINS
from .aggregation import aggregate, comparisons, mean_delta, robustness
from .stratify import Strata

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
    beside the same quantity computed here the same way: Δ (pp) as in :func:`~rpt_core.stats.aggregation.comparisons`, the mean
    over models as in :func:`~rpt_core.stats.aggregation.mean_delta`, pooled θ̂ as in
    :func:`~rpt_core.stats.aggregation.aggregate`, (base, algorithm) Δ as in
    :func:`~rpt_core.stats.aggregation.robustness`. Columns: quantity, reported, reproduced, difference (reproduced - reported),
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
    cell of the transfer matrix (:func:`~rpt_core.stats.aggregation.transfer_matrix`): ``gain``/``loss`` where the item-clustered
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


__all__ = ["REPORTED_KINDS", "TRANSFER_VERDICTS", "load_reported", "reported_vs_reproduced", "coverage_note",
           "transfer_statements"]
