"""Checking the method where the truth is known (the tiny world): null comparisons (resampled
repeats, placebo runs) and how often they come out "significant", and whether the analysis recovers
the effects planted by construction; both also in Markdown sentences.

Δ and CIs in percentage points (pp); p-values and rates in [0, 1].
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import pandas as pd

from ..models import DOMAINS
from .aggregation import comparisons
from .stratify import Pair, pairs_from, strata


def calibration(records: pd.DataFrame, resampled: Sequence[str] = (), placebo: Iterable[Pair | tuple] = (),
                sets: Sequence[str] = DOMAINS, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Null comparisons, whose true Δ is 0 by construction, analysed exactly like an RPT model
    against its base (:func:`rpt_core.stats.aggregation.comparisons`: n_b-weighted Δ, bootstrap CI, the paper's CMH p-value and
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

    ``comps``: :func:`rpt_core.stats.aggregation.comparisons` rows with ``set`` a domain, one RPT model per training-domain
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


__all__ = ["calibration", "TESTS", "false_positive_rate", "planted_recovery", "describe_recovery",
           "describe_calibration"]
