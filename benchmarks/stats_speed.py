"""Speed of rpt_core.stats on a paper-sized study vs a naive pandas baseline, in the same run.

Synthetic records: 36 models (6 bases, 4 RPT models per base trained on math / code / knowledge /
math+code, 6 checkpoints of one math run) x the 16 paper benchmarks at their registry sizes and repeats
(AIME 2024 and AMC 2023: 16 repeats). Benchmarks whose size the paper leaves open get the sizes in
OPEN_SIZES (assumptions). "All statistics": accuracy table with CIs, per-pair ID / OOD / per-domain Δ
with bootstrap CIs and Mantel-Haenszel / CMH / Breslow-Day, per-benchmark McNemar + bootstrap + Holm,
the transfer matrix, the robustness table and the training dynamics.

Baseline: what one writes first with pandas and statsmodels: a loop over model pairs, boolean-mask
filtering of the records, groupby per benchmark and item, StratifiedTable / mcnemar per table, index
resampling for the bootstrap. Both sides use the same n_boot; the point estimates are checked equal.

    python benchmarks/stats_speed.py [--n-boot 1000] [--seed 0]
"""

import argparse
import time

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from rpt_core.tasks import BENCHMARKS
from rpt_core.models import DOMAINS, load_registry
from rpt_core.stats import aggregation, stratify

OPEN_SIZES = {"livecodebench": 880, "codeforces": 500, "legalbench": 5000, "finben": 5000}  # assumptions
TRAINING = [("math",), ("code",), ("knowledge",), ("math", "code")]
STEPS = (100, 200, 300, 400, 500, 600)


def synthetic_study(seed: int):
    """A registry (30 RPT models over 6 bases) and their records (~1.1M samples)."""
    rng = np.random.default_rng(seed)
    models = []
    for b in range(6):
        models.append({"name": f"base{b}", "size_b": 1.5 * (b + 1)})
        for k, domains in enumerate(TRAINING):
            models.append({"name": f"base{b}-{'+'.join(domains)}", "base": f"base{b}", "domains": list(domains),
                           "algorithm": "GRPO" if k % 2 == 0 else "DAPO"})
    for step in STEPS:
        models.append({"name": f"base0-math-step{step}", "base": "base0", "domains": ["math"], "algorithm": "GRPO"})
    registry = load_registry({"models": models})

    skill = {m.name: rng.normal(0, 0.5) for m in registry.base_models()}
    frames = []
    for spec in BENCHMARKS.values():
        n, repeats = spec.size or OPEN_SIZES[spec.name], spec.repeats
        difficulty = rng.normal(0, 1.5, n)
        item_ids = np.repeat(np.arange(n).astype(str), repeats)
        sample_index = np.tile(np.arange(repeats), n)
        for entry in registry:
            base = entry.base or entry.name
            shift = skill[base] + (0.0 if not entry.is_rpt else (0.3 if spec.domain in entry.domains else -0.1))
            p = 1 / (1 + np.exp(-(np.repeat(difficulty, repeats) + shift)))
            frames.append(pd.DataFrame({"model": entry.name, "benchmark": spec.name, "domain": spec.domain,
                                        "item_id": item_ids, "sample_index": sample_index,
                                        "correct": rng.random(n * repeats) < p}))
    return registry, pd.concat(frames, ignore_index=True)


def fast(records, registry, n_boot, seed):
    grid = stratify.Grid.from_records(records)
    st = stratify.strata(grid, registry, n_boot=n_boot, seed=seed)
    steps = {f"base0-math-step{s}": s for s in STEPS}
    return {"accuracy": stratify.accuracy_table(grid),
            "comparisons": aggregation.comparisons(st, ("ID", "OOD", *DOMAINS)),
            "paired": aggregation.paired_tests(st),
            "transfer": aggregation.transfer_matrix(st),
            "robustness": aggregation.robustness(st),
            "dynamics": aggregation.training_dynamics(grid, steps, "base0", ("math",), n_boot=n_boot, seed=seed)}


def naive(records, registry, n_boot, seed):
    rng = np.random.default_rng(seed)
    acc = []
    for (model, bench), g in records.groupby(["model", "benchmark"]):
        per_item = g.groupby("item_id")["correct"].mean()
        low, high = proportion_confint(per_item.sum(), len(per_item), method="wilson")
        acc.append((model, bench, 100 * per_item.mean(), 100 * low, 100 * high))

    def bench_table(rpt, base):
        rows = []
        r, b = records[records["model"] == rpt], records[records["model"] == base]
        for bench, rb in r.groupby("benchmark"):
            bb = b[b["benchmark"] == bench]
            ir, ib = rb.groupby("item_id")["correct"].mean(), bb.groupby("item_id")["correct"].mean()
            joined = rb.merge(bb, on=["item_id", "sample_index"], suffixes=("_r", "_b"))
            n10 = int((joined["correct_r"] & ~joined["correct_b"]).sum())
            n01 = int((~joined["correct_r"] & joined["correct_b"]).sum())
            p = sm_mcnemar([[0, n10], [n01, 0]], exact=n10 + n01 < 25).pvalue
            diff = 100 * (ir - ib.reindex(ir.index)).to_numpy()
            boot = np.concatenate([diff[rng.integers(0, diff.size, (min(100, n_boot), diff.size))].mean(1)
                                   for _ in range(0, n_boot, 100)])[:n_boot]
            rows.append({"benchmark": bench, "domain": rb["domain"].iat[0], "n": min(len(ir), len(ib)),
                         "acc_r": 100 * ir.mean(), "acc_b": 100 * ib.mean(), "a": int(rb["correct"].sum()),
                         "b": int((~rb["correct"]).sum()), "c": int(bb["correct"].sum()),
                         "d": int((~bb["correct"]).sum()),
                         "p_mcnemar": p, "boot": boot})
        return pd.DataFrame(rows)

    def pooled(tab):
        delta = float(np.average(tab["acc_r"] - tab["acc_b"], weights=tab["n"]))
        boot = np.average(np.stack(tab["boot"].to_list()), axis=0, weights=tab["n"])
        tables = [np.array([[t.a, t.b], [t.c, t.d]]) for t in tab.itertuples()
                  if min(t.a + t.b, t.c + t.d, t.a + t.c, t.b + t.d) > 0]
        st = StratifiedTable(tables)
        or_ci = st.oddsratio_pooled_confint()
        bd = st.test_equal_odds(adjust=True) if len(tables) > 1 else None
        return {"delta": delta, "ci": np.quantile(boot, [0.025, 0.975]), "odds_ratio": st.oddsratio_pooled,
                "or_ci": or_ci, "p_value": st.test_null_odds().pvalue, "bd": bd}

    results, all_tabs, p_mcnemar = {}, [], []
    for entry in registry.rpt_models():
        tab = bench_table(entry.name, entry.base)
        tab["split"] = np.where(tab["domain"].isin(entry.domains), "ID", "OOD")
        p_mcnemar.extend(tab["p_mcnemar"])
        all_tabs.append(tab.assign(train="+".join(entry.domains), base=entry.base, algorithm=entry.algorithm))
        for name in ("ID", "OOD", *DOMAINS):
            sub = tab[(tab["split"] == name) | (tab["domain"] == name)]
            if len(sub):
                results[(entry.name, name)] = pooled(sub)
    holm_p = multipletests(p_mcnemar, method="holm")[1]
    everything = pd.concat(all_tabs, ignore_index=True)
    transfer = {key: pooled(g) for key, g in everything.groupby(["train", "domain"])}
    robust = {key: pooled(g) for key, g in everything.groupby(["base", "algorithm", "split"])}
    return {"accuracy": acc, "comparisons": results, "holm": holm_p, "transfer": transfer, "robustness": robust}


def check_equal(fast_out, naive_out):
    comp = fast_out["comparisons"].set_index(["rpt", "set"])
    worst = 0.0
    for key, ref in naive_out["comparisons"].items():
        row = comp.loc[key]
        for ours, theirs in ((row["delta"], ref["delta"]), (row["odds_ratio"], ref["odds_ratio"]),
                             (row["p_value"], ref["p_value"])):
            worst = max(worst, abs(ours - theirs) / max(1.0, abs(theirs)))
    assert worst < 1e-9, f"fast and naive disagree (max relative difference {worst})"
    assert len(comp) == len(naive_out["comparisons"])
    return worst


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    registry, records = synthetic_study(args.seed)
    print(f"synthetic records: {len(records):,} samples, {records['model'].nunique()} models, "
          f"{records['benchmark'].nunique()} benchmarks, {len(registry.pairs())} RPT/base pairs "
          f"(built in {time.perf_counter() - started:.1f} s); n_boot = {args.n_boot}")

    started = time.perf_counter()
    ours = fast(records, registry, args.n_boot, args.seed)
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = naive(records, registry, args.n_boot, args.seed)
    naive_s = time.perf_counter() - started
    worst = check_equal(ours, theirs)
    print(f"rpt_core.stats (all statistics): {fast_s:8.2f} s")
    print(f"naive pandas/statsmodels loops : {naive_s:8.2f} s")
    print(f"speed-up (naive / rpt_core)    : {naive_s / fast_s:8.1f}x")
    print(f"point estimates agree: Δ, θ̂, CMH p over {len(theirs['comparisons'])} (pair, set) cells, "
          f"max relative difference {worst:.1e}")
    print(f"rows: accuracy {len(ours['accuracy'])}, comparisons {len(ours['comparisons'])}, "
          f"paired tests {len(ours['paired'])}, transfer {len(ours['transfer'])}, dynamics {len(ours['dynamics'])}")


if __name__ == "__main__":
    main()
