"""Δ pooled over strata, the paper's comparisons: :func:`aggregate` (n_b-weighted Δ, its bootstrap
CI and item-clustered permutation test, relative gain, Mantel-Haenszel θ̂ and CMH test) and the
groupings built on it: ID / OOD / domain comparisons, the transfer matrix, robustness across bases
and algorithms, training dynamics, per-benchmark paired tests, the placebo-adjusted Δ, the
decomposition of Δ into answer format and correctness, and the transfer matrix in words.

Accuracies are in percent (0-100); Δ and CIs in percentage points (pp); p-values in [0, 1].
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..models import DOMAIN_GROUP, DOMAINS, Registry, label_domains, id_or_ood
from ..rewards.verdict import graded
from .significance import _cmh_arrays, holm, mcnemar, stars
from .stratify import Grid, Pair, Strata, _correct_column, _starts, pairs_from, strata

SETS: tuple[str, ...] = ("all", "ID", "OOD", *DOMAINS, "structured", "unstructured")


def aggregate(st: Strata, by: Sequence[str] = (), correction: bool = False) -> pd.DataFrame:
    """Pool strata rows grouped by ``by`` (columns of ``st.table``; () pools everything).

    Returns one row per group with: n_benchmarks (strata), n_items (Σ n_b), base_accuracy,
    rpt_accuracy (n_b-weighted, %), delta (n_b-weighted Δ, pp), delta_macro (unweighted mean, pp),
    ci_low, ci_high (bootstrap CI of the weighted Δ, pp), p_delta and stars_delta (item-clustered
    sign-flip permutation test of Δ), relative_gain = Δ / base accuracy (%, NaN when
    the base accuracy is 0), error_rate_reduction = Δ / (100 − base accuracy) (%, NaN when the base is
    at 100), odds_ratio, or_ci_low, or_ci_high, cmh_statistic, p_value and stars (the CMH test of θ = 1), breslow_day,
    breslow_day_df, breslow_day_p, n_strata, n_dropped, flag (see :class:`rpt_core.stats.significance.CMHResult`).
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
        return id_or_ood(set_name, trained) == "ID"
    if set_name in ("structured", "unstructured"):
        return all(id_or_ood(d, trained) == "ID" for d, g in DOMAIN_GROUP.items() if g == set_name)
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
    out.insert(2, "in_domain", [id_or_ood(e, label_domains(t)) == "ID" for t, e in zip(out["train_domains"], out["eval_domain"])])
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


def format_correctness_decomposition(records: pd.DataFrame, pairs: Registry | Iterable[Pair | tuple]) -> pd.DataFrame:
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
            raise ValueError(f"records lack column {column!r}; format_correctness_decomposition needs model, benchmark, domain, correct, reason")
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
                         "split": id_or_ood(r["domain"], pair.domains),
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


__all__ = ["SETS", "aggregate", "comparisons", "mean_delta", "minimum_detectable_delta", "transfer_matrix",
           "robustness", "paired_tests", "training_dynamics", "format_correctness_decomposition", "placebo_adjusted",
           "describe_transfer"]
