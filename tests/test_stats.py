"""Offline tests of rpt_core.stats and rpt_core.models: hand-worked examples, invariants and
degenerate inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import StratifiedTable

from rpt_core import tables
from rpt_core.config import ConfigError
from rpt_core.models import load_registry
from rpt_core.stats import aggregation, calibration, passk, reproduction, significance, stratify

BENCHES = {"m1": ("math", 12, 1), "m2": ("math", 5, 4), "c1": ("code", 10, 1), "k1": ("knowledge", 15, 1)}


def synthetic_records(shifts: dict[str, dict[str, float]], seed: int = 0, benches=BENCHES) -> pd.DataFrame:
    """Records for models given as {name: {domain: logit shift}}; benches {name: (domain, items, repeats)}."""
    rng = np.random.default_rng(seed)
    frames = []
    for bench, (domain, n, repeats) in benches.items():
        difficulty = np.repeat(rng.normal(0, 1.2, n), repeats)
        for model, shift in shifts.items():
            p = 1 / (1 + np.exp(-(difficulty + shift.get(domain, 0.0))))
            frames.append(pd.DataFrame({
                "model": model, "benchmark": bench, "domain": domain,
                "item_id": np.repeat([f"{bench}-{i}" for i in range(n)], repeats),
                "sample_index": np.tile(np.arange(repeats), n), "correct": rng.random(n * repeats) < p}))
    return pd.concat(frames, ignore_index=True)


def tiny(rows):
    """Records from (model, benchmark, domain, item_id, sample_index, correct) tuples."""
    return pd.DataFrame(rows, columns=["model", "benchmark", "domain", "item_id", "sample_index", "correct"])


# ---------------------------------------------------------------------------------- Mantel-Haenszel

def test_mantel_haenszel_and_cmh_on_a_worked_example():
    # Stratum 1: RPT 10 right / 5 wrong, base 6 right / 9 wrong, T = 30.
    # Stratum 2: RPT  8 right / 2 wrong, base 4 right / 6 wrong, T = 20.
    result = significance.cmh([10, 8], [5, 2], [6, 4], [9, 6])
    # θ̂ = Σ ad/T / Σ bc/T = (10·9/30 + 8·6/20) / (5·6/30 + 2·4/20) = (3 + 2.4) / (1 + 0.4) = 27/7
    assert result.odds_ratio == pytest.approx(27 / 7)
    # E[a] = (a+b)(a+c)/T: 15·16/30 = 8 and 10·12/20 = 6, so Σ(a − E) = 2 + 2 = 4.
    # Var(a) = (a+b)(c+d)(a+c)(b+d)/(T²(T−1)): 15·15·16·14/(900·29) and 10·10·12·8/(400·19).
    var = 15 * 15 * 16 * 14 / (900 * 29) + 10 * 10 * 12 * 8 / (400 * 19)
    assert result.statistic == pytest.approx(4**2 / var)
    assert result.statistic == pytest.approx(5.00909, abs=1e-5)
    assert result.p_value == pytest.approx(sps.chi2.sf(16 / var, 1))
    assert result.p_value == pytest.approx(0.02521, abs=1e-5)
    # RBG: P = (a+d)/T, Q = (b+c)/T; R = (3, 2.4), S = (1, 0.4).
    P, Q, R, S = np.array([19 / 30, 14 / 20]), np.array([11 / 30, 6 / 20]), np.array([3, 2.4]), np.array([1, 0.4])
    var_log = (P @ R / (2 * 5.4**2) + (P @ S + Q @ R) / (2 * 5.4 * 1.4) + Q @ S / (2 * 1.4**2))
    half = 1.959963984540054 * math.sqrt(var_log)
    assert (result.ci_low, result.ci_high) == pytest.approx((27 / 7 * math.exp(-half), 27 / 7 * math.exp(half)))
    assert (result.n_strata, result.n_dropped, result.flag, result.breslow_day_df) == (2, 0, "", 1)
    # With continuity correction: (|4| − 0.5)² / var.
    assert significance.cmh([10, 8], [5, 2], [6, 4], [9, 6], correction=True).statistic == pytest.approx(3.5**2 / var)


def test_cmh_agrees_with_statsmodels_on_random_tables():
    rng = np.random.default_rng(3)
    for _ in range(20):
        tables = rng.integers(1, 60, size=(rng.integers(2, 9), 4))
        ours = significance.cmh(*tables.T)
        ref = StratifiedTable([t.reshape(2, 2) for t in tables])
        assert ours.odds_ratio == pytest.approx(ref.oddsratio_pooled)
        assert (ours.ci_low, ours.ci_high) == pytest.approx(ref.oddsratio_pooled_confint())
        assert ours.statistic == pytest.approx(ref.test_null_odds().statistic)
        assert ours.p_value == pytest.approx(ref.test_null_odds().pvalue)
        assert ours.breslow_day == pytest.approx(ref.test_equal_odds(adjust=True).statistic)
        assert ours.breslow_day_p == pytest.approx(ref.test_equal_odds(adjust=True).pvalue)
        plain = significance.cmh(*tables.T, tarone=False)
        assert plain.breslow_day == pytest.approx(ref.test_equal_odds(adjust=False).statistic)


def test_cmh_drops_uninformative_strata_and_counts_them():
    informative = significance.cmh([10, 8], [5, 2], [6, 4], [9, 6])
    # + all correct for both, all wrong for both, empty, and a stratum where the base has no samples
    padded = significance.cmh([10, 5, 0, 0, 8, 3], [5, 0, 4, 0, 2, 2], [6, 5, 0, 0, 4, 0], [9, 0, 7, 0, 6, 0])
    for field in ("odds_ratio", "ci_low", "ci_high", "statistic", "p_value", "breslow_day", "breslow_day_p"):
        assert getattr(padded, field) == pytest.approx(getattr(informative, field))
    assert (padded.n_strata, padded.n_dropped, padded.breslow_day_df, padded.flag) == (2, 4, 1, "")


def test_cmh_without_information_is_neutral_and_flagged():
    for counts in ([[5], [0], [5], [0]], [[0], [0], [0], [0]], [[], [], [], []]):
        r = significance.cmh(*counts)
        assert (r.odds_ratio, r.statistic, r.p_value, r.ci_low, r.ci_high) == (1.0, 0.0, 1.0, 0.0, math.inf)
        assert r.flag == "no_information" and r.n_strata == 0
        assert (r.breslow_day, r.breslow_day_df, r.breslow_day_p) == (0.0, 0, 1.0)


def test_cmh_zero_cell_uses_haldane_correction_for_the_estimate_only():
    # RPT never worse where the base is right: every b·c is 0, so the raw θ̂ would be infinite.
    r = significance.cmh([3, 4], [0, 1], [1, 0], [2, 3])
    # +0.5 per cell: T' = 8, 10. R = 3.5·2.5/8 + 4.5·3.5/10 = 2.66875, S = 0.5·1.5/8 + 1.5·0.5/10 = 0.16875
    assert r.flag == "zero_cell_corrected"
    assert r.odds_ratio == pytest.approx(2.66875 / 0.16875)
    assert all(math.isfinite(x) for x in (r.ci_low, r.ci_high, r.statistic, r.p_value, r.breslow_day))
    # The CMH test still uses the raw counts: rows (3, 3) and (5, 3), columns (4, 2) and (4, 4);
    # E = 3·4/6 = 2 and 5·4/8 = 2.5; Var = 3·3·4·2/(36·5) and 5·3·4·4/(64·7)
    excess = (3 - 2) + (4 - 2.5)
    assert r.statistic == pytest.approx(excess**2 / (72 / 180 + 240 / 448))


def test_cmh_permuting_strata_and_swapping_rows():
    a, b, c, d = np.array([[10, 5, 6, 9], [8, 2, 4, 6], [30, 12, 20, 22]]).T
    r = significance.cmh(a, b, c, d)
    order = [2, 0, 1]
    permuted = significance.cmh(a[order], b[order], c[order], d[order])
    assert permuted.odds_ratio == pytest.approx(r.odds_ratio)
    assert (permuted.statistic, permuted.breslow_day) == pytest.approx((r.statistic, r.breslow_day))
    swapped = significance.cmh(c, d, a, b)  # base as "RPT"
    assert swapped.odds_ratio == pytest.approx(1 / r.odds_ratio)
    assert (swapped.ci_low, swapped.ci_high) == pytest.approx((1 / r.ci_high, 1 / r.ci_low))
    assert swapped.p_value == pytest.approx(r.p_value)


# ---------------------------------------------------------------------------------- small tests

def test_mcnemar_exact_and_chi_square_by_hand():
    stat, p, exact = significance.mcnemar(7, 2)
    # Exact: 2·P(X ≤ 2), X ~ Bin(9, 1/2) = 2·(1 + 9 + 36)/512
    assert exact[0] and p[0] == pytest.approx(92 / 512)
    stat, p, exact = significance.mcnemar([30, 20, 0, 3], [12, 20, 0, 3])
    assert not exact[0] and stat[0] == pytest.approx(17**2 / 42) and p[0] == pytest.approx(sps.chi2.sf(289 / 42, 1))
    # equal discordant counts: R's mcnemar.test(matrix(c(0, 20, 20, 0), 2)) gives 1/40, p = 0.8744
    assert stat[1] == pytest.approx(1 / 40) and p[1] == pytest.approx(0.874367, abs=1e-6)
    assert (stat[2], p[2]) == (0.0, 1.0) and p[3] == 1.0


def test_holm_on_a_known_example():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> running max 0.06
    assert significance.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert significance.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert significance.holm([]).size == 0


def test_wilson_interval_and_stars():
    low, high = significance.wilson_interval(5, 10)
    z = 1.959963984540054
    center, half = 0.5, z / (1 + z**2 / 10) * math.sqrt(0.025 + z**2 / 400)
    assert (float(low), float(high)) == pytest.approx((center - half, center + half))
    low, high = significance.wilson_interval(0, 20)
    assert float(low) == 0.0 and 0 < float(high) < 0.2
    assert significance.wilson_interval(0, 0) == (0.0, 1.0)
    assert [significance.stars(p) for p in (0.0001, 0.005, 0.03, 0.05, 0.2)] == ["***", "**", "*", "", ""]


# ---------------------------------------------------------------------------------- from records

def test_accuracy_averages_repeats_per_item_then_items():
    rows = [("m", "b", "math", "x", 0, True), ("m", "b", "math", "x", 1, False), ("m", "b", "math", "x", 2, False),
            ("m", "b", "math", "x", 3, False), ("m", "b", "math", "y", 0, True), ("m", "b", "math", "y", 1, True)]
    table = stratify.accuracy_table(tiny(rows))
    row = table.iloc[0]
    # item x: 1/4, item y: 2/2 -> pass@1 = (0.25 + 1)/2 = 62.5 % (not 3/6 = 50 %)
    assert row["accuracy"] == pytest.approx(62.5)
    assert (row["n_items"], row["n_samples"], row["n_correct"]) == (2, 6, 3)
    low, high = significance.wilson_interval(0.625 * 2, 2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * float(low), 100 * float(high)))


def test_delta_is_size_weighted_and_macro_by_hand():
    rows = []
    for i in range(4):  # benchmark A (4 items): base 1/4, rpt 3/4
        rows += [("base", "A", "math", str(i), 0, i == 0), ("rpt", "A", "math", str(i), 0, i < 3)]
    for i in range(2):  # benchmark B (2 items, 2 repeats): base 1/2 per item on item 0, 0 on item 1; rpt all right
        rows += [("base", "B", "code", str(i), r, i == 0 and r == 0) for r in range(2)]
        rows += [("rpt", "B", "code", str(i), r, True) for r in range(2)]
    c = aggregation.aggregate(stratify.strata(tiny(rows), [("rpt", "base", ())], n_boot=200)).iloc[0]
    # A: 75 − 25 = 50 pp over 4 items; B: 100 − 25 = 75 pp over 2 items
    assert c["delta"] == pytest.approx((4 * 50 + 2 * 75) / 6)
    assert c["delta_macro"] == pytest.approx((50 + 75) / 2)
    assert c["base_accuracy"] == pytest.approx((4 * 25 + 2 * 25) / 6)
    assert c["relative_gain"] == pytest.approx(100 * c["delta"] / c["base_accuracy"])
    assert c["error_rate_reduction"] == pytest.approx(100 * c["delta"] / (100 - c["base_accuracy"]))
    # 2x2 per benchmark, repeats as samples: A (3, 1, 1, 3), B (4, 0, 1, 3)
    ref = significance.cmh([3, 4], [1, 0], [1, 1], [3, 3])
    assert c["odds_ratio"] == pytest.approx(ref.odds_ratio) and c["p_value"] == pytest.approx(ref.p_value)
    assert c["ci_low"] <= c["delta"] <= c["ci_high"]


def test_identical_records_give_zero_delta_unit_odds_and_p_one():
    base = synthetic_records({"base": {}}, seed=1)
    records = pd.concat([base, base.assign(model="rpt")], ignore_index=True)
    st = stratify.strata(records, [("rpt", "base", ("math",))], n_boot=200)
    out = aggregation.comparisons(st, ("ID", "OOD", "all"))
    assert np.allclose(out["delta"], 0) and np.allclose(out["odds_ratio"], 1) and np.allclose(out["p_value"], 1)
    assert np.allclose(out[["ci_low", "ci_high"]], 0)
    paired = aggregation.paired_tests(st)
    assert (paired["n10"] == 0).all() and (paired["n01"] == 0).all() and np.allclose(paired["p_holm"], 1)


def test_swapping_base_and_rpt_negates_delta_and_inverts_odds():
    records = synthetic_records({"base": {}, "rpt": {"math": 1.0, "code": -0.5}}, seed=2)
    forward = aggregation.comparisons(stratify.strata(records, [("rpt", "base", ("math",))], n_boot=300), ("ID", "OOD", "all"))
    backward = aggregation.comparisons(stratify.strata(records, [("base", "rpt", ("math",))], n_boot=300), ("ID", "OOD", "all"))
    assert backward["delta"].to_numpy() == pytest.approx(-forward["delta"].to_numpy())
    assert backward["odds_ratio"].to_numpy() == pytest.approx(1 / forward["odds_ratio"].to_numpy())
    assert backward["p_value"].to_numpy() == pytest.approx(forward["p_value"].to_numpy())
    assert backward["ci_low"].to_numpy() == pytest.approx(-forward["ci_high"].to_numpy())
    assert forward.loc[forward["set"] == "ID", "delta"].iat[0] > 5


def test_permuting_records_and_benchmark_names_changes_nothing():
    records = synthetic_records({"base": {}, "rpt": {"math": 0.8}}, seed=3)
    pairs = [("rpt", "base", ("math",))]
    first = aggregation.comparisons(stratify.strata(records, pairs, n_boot=200, seed=7), ("ID", "OOD"))
    shuffled = records.sample(frac=1, random_state=0).reset_index(drop=True)
    second = aggregation.comparisons(stratify.strata(shuffled, pairs, n_boot=200, seed=7), ("ID", "OOD"))
    pd.testing.assert_frame_equal(first, second)
    # More models in the records do not change this pair's numbers (bootstrap seeds are per stratum).
    more = pd.concat([records, synthetic_records({"other": {"code": 1}}, seed=9)], ignore_index=True)
    third = aggregation.comparisons(stratify.strata(more, pairs, n_boot=200, seed=7), ("ID", "OOD"))
    pd.testing.assert_frame_equal(first, third)
    different_seed = aggregation.comparisons(stratify.strata(records, pairs, n_boot=200, seed=8), ("ID", "OOD"))
    assert not np.allclose(first["ci_low"], different_seed["ci_low"])


def test_degenerate_benchmarks_in_records_are_dropped_not_nan():
    rows = []
    for i in range(5):  # "easy": everyone right; "hard": everyone wrong; "mixed": informative
        rows += [(m, "easy", "math", str(i), 0, True) for m in ("base", "rpt")]
        rows += [(m, "hard", "math", str(i), 0, False) for m in ("base", "rpt")]
        rows += [("base", "mixed", "math", str(i), 0, i < 2), ("rpt", "mixed", "math", str(i), 0, i < 4)]
    st = stratify.strata(tiny(rows), [("rpt", "base", ("math",))], n_boot=100)
    row = aggregation.comparisons(st, ("ID",)).iloc[0]
    assert row["n_benchmarks"] == 3 and row["n_dropped"] == 2 and row["flag"] == ""
    assert row["delta"] == pytest.approx(40 / 3)  # (0 + 0 + 40) / 3, equal item counts
    numeric = row.drop(["rpt", "base", "train_domains", "algorithm", "set", "stars", "stars_delta", "flag"]).astype(float)
    assert np.isfinite(numeric.drop(["relative_gain", "error_rate_reduction"])).all()
    # only the all-correct / all-wrong benchmarks: no information, neutral, flagged
    only = aggregation.comparisons(st.where(st.table["benchmark"] != "mixed"), ("ID",)).iloc[0]
    assert (only["odds_ratio"], only["p_value"], only["flag"]) == (1.0, 1.0, "no_information")
    assert only["p_delta"] == 1.0 and only["stars_delta"] == ""


def test_mcnemar_pairs_samples_by_item_and_sample_index():
    rows = []
    # item 0: repeat 0 rpt right / base wrong, repeat 1 both right; item 1: repeat 0 rpt wrong / base right
    for item, r, rpt, base in ((0, 0, True, False), (0, 1, True, True), (1, 0, False, True), (1, 1, True, False)):
        rows += [("rpt", "b", "code", str(item), r, rpt), ("base", "b", "code", str(item), r, base)]
    rows += [("rpt", "b", "code", "2", 0, True)]  # answered by the RPT model only: not paired
    st = stratify.strata(tiny(rows), [("rpt", "base", ("code",))], n_boot=50)
    row = aggregation.paired_tests(st).iloc[0]
    assert (row["n10"], row["n01"], row["n_pairs"], row["exact"]) == (2, 1, 4, True)
    assert row["p_value"] == pytest.approx(1.0)  # 2·P(Bin(3, ½) ≤ 1) = 2·4/8


def test_paired_tests_holm_per_family():
    records = synthetic_records({"base": {}, "r1": {"math": 1}, "r2": {"code": 1}}, seed=4)
    st = stratify.strata(records, [("r1", "base", ("math",)), ("r2", "base", ("code",))], n_boot=100)
    whole, per_model = aggregation.paired_tests(st), aggregation.paired_tests(st, family=["rpt"])
    assert whole["p_holm"].to_numpy() == pytest.approx(significance.holm(whole["p_value"].to_numpy()))
    for _, group in per_model.groupby("rpt"):
        assert group["p_holm"].to_numpy() == pytest.approx(significance.holm(group["p_value"].to_numpy()))
    assert (whole["p_holm"] >= per_model["p_holm"] - 1e-12).all()


def test_item_draws_are_index_resampling_and_fair_sign_flips():
    diff = np.repeat([-100.0, 0.0, 100.0, 50.0], [30, 50, 60, 10])
    counts, signs = stratify._item_draws(diff.size, 20000, 0, "x")
    assert (counts.sum(axis=1) == diff.size).all()  # each draw resamples n items with replacement
    draws = counts @ diff / diff.size
    assert draws.mean() == pytest.approx(diff.mean(), abs=0.3)
    assert draws.std() == pytest.approx(diff.std() / math.sqrt(diff.size), rel=0.03)
    nulls = signs @ diff / diff.size  # sign flips: centred on 0, spread sqrt(sum d^2) / n
    assert set(np.unique(signs)) == {-1.0, 1.0} and nulls.mean() == pytest.approx(0, abs=0.3)
    assert nulls.std() == pytest.approx(math.sqrt((diff**2).sum()) / diff.size, rel=0.03)
    again = stratify._item_draws(diff.size, 50, 0, "x")
    assert (again[0] == counts[:50]).all() and not (stratify._item_draws(diff.size, 50, 0, "y")[0] == again[0]).all()


def test_seen_unseen_sets_transfer_matrix_and_robustness():
    registry = load_registry({"models": [
        {"name": "base", "size_b": 1.5},
        {"name": "m", "base": "base", "domains": ["math"], "algorithm": "GRPO"},
        {"name": "c", "base": "base", "domains": ["code"], "algorithm": "GRPO"},
        {"name": "all3", "base": "base", "domains": ["math", "code", "knowledge"], "algorithm": "DAPO"}]})
    records = synthetic_records({"base": {}, "m": {"math": 1}, "c": {"code": 1}, "all3": {"math": 1}}, seed=5)
    st = stratify.strata(records, registry, n_boot=100)
    assert set(st.table.loc[st.table["rpt"] == "m", "split"]) == {"ID", "OOD"}
    assert (st.table.loc[(st.table["rpt"] == "m") & (st.table["domain"] == "math"), "split"] == "ID").all()
    comp = aggregation.comparisons(st, ("ID", "OOD", "math", "structured", "unstructured"))
    assert not ((comp["rpt"] == "all3") & (comp["set"] == "OOD")).any()  # no OOD benchmark: no row
    assert comp.loc[(comp["rpt"] == "c") & (comp["set"] == "math"), "in_domain"].item() is False
    assert comp.loc[(comp["rpt"] == "all3") & (comp["set"] == "structured"), "in_domain"].item() is True
    with pytest.raises(ValueError, match="allowed"):
        aggregation.comparisons(st, ("seen",))

    matrix = aggregation.transfer_matrix(st)
    cell = matrix[(matrix["train_domains"] == "math") & (matrix["eval_domain"] == "code")].iloc[0]
    direct = aggregation.comparisons(st, ("code",))
    assert cell["delta"] == pytest.approx(direct.loc[direct["rpt"] == "m", "delta"].item())
    assert list(matrix["train_domains"].drop_duplicates()) == ["math", "code", "math+code+knowledge"]
    assert matrix["in_domain"].sum() == 1 + 1 + 3

    rob = aggregation.robustness(st).set_index("algorithm")
    ids = st.table[(st.table["algorithm"] == "GRPO") & (st.table["split"] == "ID")]
    assert rob.loc["GRPO", "delta_id"] == pytest.approx(np.average(ids["delta"], weights=ids["n_items"]))
    assert rob.loc["GRPO", "gap"] == pytest.approx(rob.loc["GRPO", "delta_id"] - rob.loc["GRPO", "delta_ood"])
    assert rob.loc["GRPO", "n_models"] == 2 and math.isnan(rob.loc["DAPO", "delta_ood"])


def test_training_dynamics_per_step():
    records = synthetic_records({"base": {}, "s100": {"math": 0.5}, "s200": {"math": 1.0}}, seed=6)
    dyn = aggregation.training_dynamics(records, {"base": 0, "s100": 100, "s200": 200}, "base", ["math"], n_boot=100)
    assert list(dyn["step"]) == [0, 0, 100, 100, 200, 200]
    assert list(dyn["split"]) == ["ID", "OOD"] * 3
    assert np.allclose(dyn.loc[dyn["step"] == 0, ["delta", "ci_low", "ci_high"]], 0)
    assert dyn.loc[(dyn["step"] == 200) & (dyn["split"] == "ID"), "delta"].item() > 5


def test_grid_rejects_bad_records():
    good = synthetic_records({"a": {}}, seed=0)
    with pytest.raises(ValueError, match="duplicate"):
        stratify.Grid.from_records(pd.concat([good, good.iloc[:1]]))
    with pytest.raises(ValueError, match="more than one domain"):
        stratify.Grid.from_records(pd.concat([good, good.iloc[:1].assign(domain="code", item_id="new")]))
    with pytest.raises(ValueError, match="correct"):
        stratify.Grid.from_records(good.drop(columns=["correct"]))
    with pytest.raises(ValueError, match="empty"):
        stratify.Grid.from_records(good.iloc[:0])


def test_missing_pair_is_skipped_with_a_warning():
    records = synthetic_records({"base": {}, "rpt": {}}, seed=0)
    with pytest.warns(UserWarning, match="ghost"):
        st = stratify.strata(records, [("rpt", "base", ("math",)), ("ghost", "base", ("code",))], n_boot=10)
    assert set(st.table["rpt"]) == {"rpt"}


# ---------------------------------------------------------------------------------- registry

def test_registry_pairs_split_and_domain_order(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("models:\n"
                    "  - {name: B, size_b: 7}\n"
                    "  - {name: R, base: B, domains: [code, math], algorithm: GRPO, confirmed: false}\n")
    registry = load_registry(path)
    assert registry.pairs() == [("R", "B")]
    assert registry["R"].domains == ("math", "code") and registry["R"].domain_label == "math+code"
    assert (registry.split("R", "code"), registry.split("R", "knowledge")) == ("ID", "OOD")
    assert registry["B"].size_b == 7.0 and not registry["R"].confirmed
    with pytest.raises(ValueError, match="base model"):
        registry.split("B", "math")
    assert list(registry.to_frame()["name"]) == ["B", "R"]


@pytest.mark.parametrize("models, message", [
    ([{"name": "B"}, {"name": "R", "base": "B", "domains": ["physics"]}],
     r"models\[1\]\.domains: 'physics'.*allowed: math, code, knowledge"),
    ([{"name": "B", "domains": ["math"]}], r"models\[0\]\.domains: a base model"),
    ([{"name": "R", "base": "X", "domains": ["math"]}], r"models\[0\]\.base: 'X' is not a model"),
    ([{"name": "B"}, {"name": "R", "base": "B"}], r"models\[1\]\.domains: an RPT model needs"),
    ([{"name": "B", "size": 3}], r"unknown field\(s\) models\[0\]\.size; allowed"),
    ([{"name": "B", "size_b": -1}], r"models\[0\]\.size_b"),
    ([{"name": "B"}, {"name": "B"}], r"duplicate model name 'B'"),
])
def test_registry_errors_name_file_field_and_allowed_values(tmp_path, models, message):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"models": models}))
    with pytest.raises(ConfigError, match=message) as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_teaching_views_on_synthetic_records():
    from rpt_core.stats.stratify import strata
    from rpt_core.stats.teaching import paired_vs_unpaired, pooling_comparison, repeat_precision

    rng = np.random.default_rng(1)
    rows = []
    for model, p in (("base", 0.4), ("rl", 0.6)):
        for item in range(30):
            for r in range(8):
                rows.append({"model": model, "benchmark": "small", "domain": "math", "item_id": str(item),
                             "sample_index": r, "correct": bool(rng.random() < p)})
    records = pd.DataFrame(rows)
    st = strata(records, [("rl", "base", ("math",))], n_boot=0)
    pooled = pooling_comparison(st)
    assert list(pooled["benchmark"]) == ["small", "(collapsed)", "(Mantel-Haenszel)"]
    # one stratum: collapsing changes nothing and MH equals the stratum's own odds ratio
    assert np.allclose(pooled["odds_ratio"], pooled["odds_ratio"].iloc[0])
    both = paired_vs_unpaired(st)
    assert 0 <= both["p_paired"].iloc[0] <= 1 and 0 <= both["p_unpaired"].iloc[0] <= 1
    precision = repeat_precision(records, "rl", "small", repeats=[1, 2, 4, 8], n_boot=200)
    assert list(precision["repeats"]) == [1, 2, 4, 8]
    assert precision["sd"].iloc[0] > precision["sd"].iloc[2] > 0
    assert precision["sd"].iloc[3] < 1e-9  # all 8 repeats drawn: no sampling noise left


# ------------------------------------------------------------------ calibration and ground truth

def test_calibration_resampling_nulls_pair_disjoint_repeats_and_placebo_pairs():
    benches = {"m1": ("math", 40, 8), "c1": ("code", 40, 8), "k1": ("knowledge", 40, 8)}
    records = synthetic_records({"base": {}, "placebo": {}, "trained": {"math": 2.0}}, seed=3, benches=benches)
    cal = calibration.calibration(records, resampled=["base"], placebo=[("placebo", "base", ("math",))], n_boot=200)
    resampling = cal[cal["kind"] == "resampling"]
    assert len(resampling) == 4 * 3  # 8 repeats -> 4 disjoint pairs, on 3 domains
    assert set(resampling["comparison"]) == {f"base: sample {b} vs sample {a}" for a, b in ((0, 1), (2, 3), (4, 5), (6, 7))}
    assert len(cal[cal["kind"] == "placebo"]) == 3
    assert (cal["ci_low"] <= cal["delta"]).all() and (cal["delta"] <= cal["ci_high"]).all()
    rates = calibration.false_positive_rate(cal).set_index(["kind", "test"])
    assert set(rates.index.get_level_values("test")) == set(calibration.TESTS.values())
    assert (rates.loc["resampling", "comparisons"] == 12).all() and rates["rate"].between(0, 1).all()
    # a real effect passed off as a "placebo" is flagged: the check can fail
    loud = calibration.calibration(records, placebo=[("trained", "base", ("math",))], n_boot=200)
    assert loud.set_index("set").loc["math", "p_value"] < 0.001 and loud.set_index("set").loc["math", "p_delta"] < 0.01
    assert "by the item-clustered permutation test of Δ" in calibration.describe_calibration(cal)
    with pytest.raises(ValueError, match="one sample per item"):
        calibration.calibration(records[records["sample_index"] == 0], resampled=["base"])


def test_resampling_nulls_are_calibrated_on_iid_samples():
    # many nulls on i.i.d. samples: the CMH test should reject at about its nominal rate
    benches = {f"b{i}": (("math", "code", "knowledge")[i % 3], 30, 16) for i in range(6)}
    records = synthetic_records({"base": {}}, seed=11, benches=benches)
    cal = calibration.calibration(records, resampled=["base"], n_boot=200)
    assert len(cal) == 8 * 3
    assert (calibration.false_positive_rate(cal)["rate"] <= 0.25).all()


def test_planted_recovery_checks_gains_and_nones():
    records = synthetic_records({"base": {}, "on-math": {"math": 2.5, "code": 2.0}, "on-code": {"code": 2.5}},
                                seed=5, benches={"m1": ("math", 60, 4), "c1": ("code", 60, 4), "k1": ("knowledge", 60, 4)})
    st = stratify.strata(records, [("on-math", "base", ("math",)), ("on-code", "base", ("code",))], n_boot=300)
    comps = aggregation.comparisons(st, ("math", "code", "knowledge"))
    truth = {"math": {"math": "gain", "code": "gain", "knowledge": "none"},
             "code": {"math": "gain", "code": "gain", "knowledge": "none"}}
    found = calibration.planted_recovery(comps, truth)
    assert list(found.columns[:9]) == ["train_domain", "eval_domain", "planted", "delta", "ci_low", "ci_high",
                                       "p_delta", "p_value", "recovered"]
    assert found.set_index(["train_domain", "eval_domain"])["recovered"].to_dict() == {
        ("math", "math"): True, ("math", "code"): True, ("math", "knowledge"): True,
        ("code", "math"): False, ("code", "code"): True, ("code", "knowledge"): True}
    text = calibration.describe_recovery(found)
    assert "**missed**" in text and "5 of 6 planted effects recovered" in text
    with pytest.raises(ValueError, match="allowed: gain, none"):
        calibration.planted_recovery(comps, {"math": {"code": "maybe"}})
    with pytest.raises(ValueError, match="exactly one model"):
        calibration.planted_recovery(comps, {"knowledge": {"code": "none"}})


def test_pass_at_k_estimator():
    assert passk.pass_at_k(16, 0, 4) == 0.0 and passk.pass_at_k(16, 16, 4) == 1.0
    assert passk.pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert passk.pass_at_k(16, 2, 4) == pytest.approx(1 - (14 * 13 * 12 * 11) / (16 * 15 * 14 * 13))


def test_pass_at_k_curves_match_the_unbiased_estimator():
    records = tiny([("m", "b", "math", "i1", s, c) for s, c in enumerate([1, 0, 0, 0])]
                   + [("m", "b", "math", "i2", s, 0) for s in range(4)])
    curves = passk.pass_at_k_curves(records, ks=(1, 2, 4, 8)).set_index("k")["pass_at_k"]
    assert list(curves.index) == [1, 2, 4]  # k = 8 exceeds the 4 samples per item
    assert curves[1] == pytest.approx(100 * 0.25 / 2) and curves[2] == pytest.approx(100 * 0.5 / 2)
    assert curves[4] == pytest.approx(50.0)


# ---------------------------------------------------------------------------------- answer format

def test_format_correctness_decomposition_is_exact_and_worked_by_hand():
    rows = []
    # base: 10 samples, 5 answered, 2 of those right (acc 20%); rpt: 9 answered, 6 right (acc 60%)
    for i in range(10):
        rows.append(("base", "q", "math", str(i), 0, i < 2, "no_answer" if i >= 5 else "ok", "stop", 10))
        rows.append(("rl", "q", "math", str(i), 0, i < 6, "no_answer" if i == 9 else "ok", "length" if i == 0 else "stop", 4))
    # an OOD benchmark the RPT model stopped answering: its accuracy on answered items is undefined
    rows += [("base", "k", "knowledge", "0", 0, True, "ok", "stop", 3), ("rl", "k", "knowledge", "0", 0, False, "no_answer", "stop", 3)]
    records = pd.DataFrame(rows, columns=["model", "benchmark", "domain", "item_id", "sample_index", "correct", "reason",
                                          "finish_reason", "tokens"])
    decomposition = aggregation.format_correctness_decomposition(records, [("rl", "base", ["math"])]).set_index("benchmark")
    q = decomposition.loc["q"]
    assert q["split"] == "ID" and q["delta"] == pytest.approx(40.0)
    assert (q["answered_base"], q["answered_rpt"]) == pytest.approx((50.0, 90.0))
    assert (q["acc_answered_base"], q["acc_answered_rpt"]) == pytest.approx((40.0, 600 / 9))
    assert q["delta_format"] == pytest.approx(40 * 0.4) and q["delta_correctness"] == pytest.approx(90 * (6 / 9 - 0.4))
    assert q["delta_format"] + q["delta_correctness"] == pytest.approx(q["delta"])
    assert (q["truncated_base"], q["truncated_rpt"], q["tokens_base"], q["tokens_rpt"]) == pytest.approx((0, 10, 10, 4))
    k = decomposition.loc["k"]
    assert k["split"] == "OOD" and k["delta"] == -100 and math.isnan(k["acc_answered_rpt"]) and math.isnan(k["delta_correctness"])
    with pytest.raises(ValueError, match="lack column 'reason'"):
        aggregation.format_correctness_decomposition(records.drop(columns="reason"), [("rl", "base", ["math"])])


@pytest.mark.parametrize("bad", [[0.5, 1.0], ["False", True], [2, 0]])
def test_correct_must_be_boolean_not_cast(bad):
    records = tiny([("a", "b", "math", "0", 0, bad[0]), ("a", "b", "math", "1", 0, bad[1])])
    with pytest.raises(ValueError, match="column 'correct' must hold booleans"):
        stratify.accuracy_table(records)
    assert stratify.accuracy_table(tiny([("a", "b", "math", "0", 0, 1), ("a", "b", "math", "1", 0, 0)]))["accuracy"].iloc[0] == 50


# ------------------------------------------------------ item-clustered tests and dependent pooling

def _two_model_records(p_base, p_rpt, repeats, rng, benchmark="b", domain="math"):
    """Records of models base / rpt on items with per-item success probabilities, ``repeats`` each."""
    n = len(p_base)
    frames = []
    for model, p in (("base", p_base), ("rpt", p_rpt)):
        frames.append(pd.DataFrame({
            "model": model, "benchmark": benchmark, "domain": domain,
            "item_id": np.repeat([f"{benchmark}-{i}" for i in range(n)], repeats),
            "sample_index": np.tile(np.arange(repeats), n), "correct": rng.random(n * repeats) < np.repeat(p, repeats)}))
    return frames


def test_a_star_on_delta_comes_from_a_test_of_delta_not_from_a_cmh_decrease():
    # GSM8K-like: 1319 items, rpt +2 pp; AIME-like: 30 items x 16 repeats, rpt -20 pp on every item.
    rows = []
    for i in range(1319):
        base_right, rpt_right = i < 791, i < 791 + 26
        rows += [("base", "gsm", "math", str(i), 0, base_right), ("rpt", "gsm", "math", str(i), 0, rpt_right)]
    for i in range(30):
        for r in range(16):
            rows += [("base", "aime", "math", str(i), r, r < 8), ("rpt", "aime", "math", str(i), r, r < 5)]
    st = stratify.strata(tiny(rows), [("rpt", "base", ("math",))], n_boot=2000)
    row = aggregation.aggregate(st).iloc[0]
    assert row["delta"] == pytest.approx((1319 * 100 * 26 / 1319 - 30 * 18.75) / 1349)  # +1.51 pp
    assert row["odds_ratio"] < 1 and row["p_value"] < 0.05 and row["stars"]  # the paper's CMH: a decrease
    # the star that decorates Δ tests Δ: its direction is Δ's, whatever CMH says about θ
    assert row["p_delta"] < 0.05 and row["stars_delta"] == significance.stars(row["p_delta"])
    table = tables.delta_table(aggregation.comparisons(st, ("ID",)))
    assert table.loc[0, "ID Δ (pp)"] == f"+1.51{row['stars_delta']}"
    assert table.loc[0, "ID θ̂"] == f"{row['odds_ratio']:.2f}{row['stars']}"
    assert "stars on Δ: item-clustered" in tables.STARS_NOTE


def test_clustered_test_and_bootstrap_ci_are_calibrated_by_simulation():
    """Brute force: 300 synthetic studies (heterogeneous items, one benchmark with 8 repeats). Under
    the null the clustered test rejects at alpha = 0.05 within Monte Carlo error (SE 1.3 pp at 300
    studies); with a real effect the 95% CI covers the true Δ (over the item population) about 95%."""
    rng = np.random.default_rng(2024)
    expit = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    shift = 0.4
    pool = rng.normal(0, 1.5, 1_000_000)
    true_delta = 100 * float(np.mean(expit(pool + shift) - expit(pool)))
    rejections, covered, sims = 0, 0, 300
    for sim in range(sims):
        records = []
        for effect, target in ((0.0, "null"), (shift, "effect")):
            logits = {b: rng.normal(0, 1.5, n) for b, n in (("small", 30), ("large", 120))}
            frames = [*_two_model_records(expit(logits["small"]), expit(logits["small"] + effect), 8, rng, "small"),
                      *_two_model_records(expit(logits["large"]), expit(logits["large"] + effect), 1, rng, "large")]
            records.append(pd.concat(frames, ignore_index=True))
        null = aggregation.aggregate(stratify.strata(records[0], [("rpt", "base", ())], n_boot=200, seed=sim)).iloc[0]
        rejections += null["p_delta"] < 0.05
        real = aggregation.aggregate(stratify.strata(records[1], [("rpt", "base", ())], n_boot=200, seed=sim)).iloc[0]
        covered += real["ci_low"] <= true_delta <= real["ci_high"]
    assert 0.01 <= rejections / sims <= 0.095, rejections
    assert 0.90 <= covered / sims <= 0.985, covered


def test_pooling_a_duplicated_model_adds_no_evidence():
    records = synthetic_records({"base": {}, "rpt": {"math": 0.5}}, seed=4)
    one = stratify.strata(records, [("rpt", "base", ("math",))], n_boot=500)
    copy = pd.concat([records, records[records["model"] == "rpt"].assign(model="rpt-copy")], ignore_index=True)
    two = stratify.strata(copy, [("rpt", "base", ("math",)), ("rpt-copy", "base", ("math",))], n_boot=500)
    single, pooled = aggregation.transfer_matrix(one).iloc[0], aggregation.transfer_matrix(two).iloc[0]
    assert pooled["n_models"] == 2 and pooled["delta"] == pytest.approx(single["delta"])
    # items are drawn jointly for both copies: the same CI and clustered p as one model ...
    assert (pooled["ci_low"], pooled["ci_high"], pooled["p_delta"]) == pytest.approx(
        (single["ci_low"], single["ci_high"], single["p_delta"]))
    # ... while the paper's CMH, which treats the copies' samples as independent, doubles its statistic
    assert pooled["cmh_statistic"] == pytest.approx(2 * single["cmh_statistic"], rel=1e-6)


def test_minimum_detectable_delta_by_hand_and_by_simulation():
    # one benchmark, 100 items, 1 sample, p = 0.5: SE = sqrt(2 * 0.25 / 100) = 0.0707 -> (1.96 + 0.84) * 7.07 pp
    assert aggregation.minimum_detectable_delta([(100, 1)]) == pytest.approx(100 * (1.959964 + 0.841621) * math.sqrt(0.005), rel=1e-5)
    # repeats shrink it; a second benchmark pools by items
    assert aggregation.minimum_detectable_delta([(100, 4)]) == pytest.approx(aggregation.minimum_detectable_delta([(100, 1)]) / 2)
    assert aggregation.minimum_detectable_delta([(100, 1), (100, 1)]) == pytest.approx(aggregation.minimum_detectable_delta([(200, 1)]))
    with pytest.raises(ValueError, match="items > 0, repeats > 0"):
        aggregation.minimum_detectable_delta([(0, 1)])
    # at that Δ, the clustered test finds the effect about 80% of the time (independent samples, p near 0.5)
    rng = np.random.default_rng(7)
    mde = aggregation.minimum_detectable_delta([(400, 1)])
    found = 0
    for sim in range(150):
        p_base = np.full(400, 0.5 - mde / 200)
        frames = _two_model_records(p_base, p_base + mde / 100, 1, rng)
        row = aggregation.aggregate(stratify.strata(pd.concat(frames, ignore_index=True), [("rpt", "base", ())], n_boot=200,
                                                    seed=sim)).iloc[0]
        found += row["p_delta"] < 0.05
    assert 0.68 <= found / 150 <= 0.92, found


def test_reported_beside_reproduced_on_fixture_records():
    benches = {"gsm8k": ("math", 40, 1), "humaneval": ("code", 30, 1), "tabfact": ("knowledge", 30, 1)}
    records = synthetic_records({"DeepSeek-R1-Distill-Qwen-1.5B": {}, "DeepScaleR-1.5B-Preview": {"math": 1.0, "knowledge": -0.5},
                                 "Llama-3.1-8B-Instruct": {}, "Fino1-8B": {"knowledge": -1.0}}, seed=2, benches=benches)
    registry = load_registry({"models": [
        {"name": "DeepSeek-R1-Distill-Qwen-1.5B"}, {"name": "Llama-3.1-8B-Instruct"},
        {"name": "DeepScaleR-1.5B-Preview", "base": "DeepSeek-R1-Distill-Qwen-1.5B", "domains": ["math"], "algorithm": "GRPO"},
        {"name": "Fino1-8B", "base": "Llama-3.1-8B-Instruct", "domains": ["knowledge"], "algorithm": "SFT+GRPO"}]})
    st = stratify.strata(records, registry, n_boot=50)
    table = reproduction.reported_vs_reproduced("params/paper/reported.yaml", st, study="observational").set_index("quantity")
    comps = aggregation.comparisons(st, ("ID", "OOD", "math"))
    scaler = comps[(comps["rpt"] == "DeepScaleR-1.5B-Preview") & (comps["set"] == "math")].iloc[0]
    row = table.loc["DeepScaleR-1.5B-Preview: math Δ (pp)"]
    assert (row["reported"], row["reproduced"]) == pytest.approx((5.1, scaler["delta"]))
    assert row["difference"] == pytest.approx(scaler["delta"] - 5.1) and row["version"] == "v3"
    means = aggregation.mean_delta(comps)
    both = table.loc["mean ID Δ over RPT models (pp)"]  # v3 and v1 reported numbers, one reproduced value
    assert sorted(both["reported"]) == [2.87, 3.57] and both["reproduced"].tolist() == pytest.approx([means["ID"]] * 2)
    assert "Fino1-8B: tabfact Δ (pp)" in table.index and "pooled OOD θ̂ (Mantel-Haenszel)" in table.index
    assert "AZR-Coder-7B: code Δ (pp)" not in table.index  # a model the records lack has no row ...
    assert "AZR-Coder-7B: code Δ (pp)" in table.attrs["not_covered"]   # ... and is counted
    note = reproduction.coverage_note(table)
    assert note.startswith(f"This run covers {len(table)} of the {len(table) + len(table.attrs['not_covered'])} ")
    assert not any("+ GRPO" in q for q in table.index)  # interventional numbers belong to the other study
    with pytest.raises(ValueError, match=r"numbers\[0\].kind: 'mean' is not allowed; allowed: mean_delta"):
        reproduction.load_reported({"numbers": [{"kind": "mean", "value": 1}]})
    with pytest.raises(ValueError, match=r"numbers\[0\] \(robustness\): missing algorithm"):
        reproduction.load_reported({"numbers": [{"kind": "robustness", "base": "b", "set": "ID", "value": 1, "section": "s"}]})


def test_pooled_ci_over_models_sharing_a_base_covers_by_simulation():
    """Two RPT models of one base, both right where the base is right plus a shared item effect: their
    strata are dependent through the base's samples and the items. The pooled (transfer-matrix) CI,
    with items drawn jointly, covers the true pooled Δ about 95% of the time over 250 studies."""
    rng = np.random.default_rng(99)
    expit = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    pool = rng.normal(0, 1.5, 1_000_000)
    true_delta = 100 * float(np.mean((expit(pool + 0.3) + expit(pool + 0.5)) / 2 - expit(pool)))
    covered, sims = 0, 250
    for sim in range(sims):
        logits = rng.normal(0, 1.5, 120)
        u_base, u_shared = rng.random((2, 120, 2))
        frames = []
        for model, shift, u in (("base", 0.0, u_base), ("rpt-a", 0.3, u_shared), ("rpt-b", 0.5, u_shared)):
            frames.append(pd.DataFrame({"model": model, "benchmark": "b", "domain": "math",
                                        "item_id": np.repeat([f"b-{i}" for i in range(120)], 2),
                                        "sample_index": np.tile([0, 1], 120),
                                        "correct": (u < expit(logits + shift)[:, None]).ravel()}))
        st = stratify.strata(pd.concat(frames, ignore_index=True), [("rpt-a", "base", ("math",)), ("rpt-b", "base", ("math",))],
                             n_boot=200, seed=sim)
        row = aggregation.transfer_matrix(st).iloc[0]
        covered += row["ci_low"] <= true_delta <= row["ci_high"]
    assert 0.90 <= covered / sims <= 0.985, covered


# ------------------------------------------------------------- placebo, verdicts, the band check

def test_placebo_adjusted_delta_is_rpt_minus_placebo_and_pairs_by_item():
    big = {"m": ("math", 150, 4), "c": ("code", 150, 4), "k": ("knowledge", 150, 4)}
    records = synthetic_records({"base": {}, "placebo": {"math": 0.4, "code": 0.4, "knowledge": 0.4},
                                 "rl-math": {"math": 1.5, "code": 0.4, "knowledge": 0.4}}, benches=big)
    adjusted = aggregation.placebo_adjusted(records, [("rl-math", "base", ("math",))], "placebo", n_boot=300)
    assert set(adjusted["base"]) == {"placebo"} and list(adjusted["set"]) == ["math", "code", "knowledge"]
    acc = records.groupby(["model", "domain"])["correct"].mean() * 100
    for row in adjusted.itertuples():
        assert row.delta == pytest.approx(acc["rl-math", row.set] - acc["placebo", row.set])
    by_set = adjusted.set_index("set")
    assert by_set.loc["math", "p_delta"] < 0.01 and by_set.loc["math", "ci_low"] > 0   # the reward's own effect
    assert by_set.loc["code", "ci_low"] < 0 < by_set.loc["code", "ci_high"]           # placebo-level elsewhere
    # over the base, the same model "transfers" to code: only the placebo shows that was training alone
    over_base = aggregation.comparisons(stratify.strata(records, [("rl-math", "base", ("math",))], n_boot=300), ("code",))
    assert over_base.iloc[0]["p_delta"] < 0.05


def test_transfer_verdicts_in_words_and_beside_the_paper():
    matrix = pd.DataFrame([
        {"train_domains": "math", "eval_domain": "math", "in_domain": True, "delta": 8.0, "ci_low": 4.0, "ci_high": 12.0, "p_delta": 0.001},
        {"train_domains": "math", "eval_domain": "code", "in_domain": False, "delta": 1.0, "ci_low": -2.0, "ci_high": 4.0, "p_delta": 0.4},
        {"train_domains": "math", "eval_domain": "knowledge", "in_domain": False, "delta": -3.0, "ci_low": -5.0, "ci_high": -1.0, "p_delta": 0.01}])
    text = aggregation.describe_transfer(matrix)
    assert "RL on **math** → math (in domain): gain of +8.0 pp" in text
    assert "→ code (transfer): no measurable transfer: +1.0 pp (95% CI -2.0 to +4.0 pp)" in text
    assert "→ knowledge (transfer): loss of -3.0 pp" in text
    reported = {"paper": {"version": "v3"}, "numbers": [
        {"kind": "transfer", "train": "math", "eval": "code", "value": "gain", "section": "RQ2"},
        {"kind": "transfer", "train": "math", "eval": "knowledge", "value": "none", "section": "RQ2"},
        {"kind": "transfer", "train": "code", "eval": "math", "value": "gain", "section": "RQ2"}]}
    side = reproduction.transfer_statements(reported, matrix)
    assert list(side["reproduced"]) == ["none", "loss"] and not side["agrees"].any()   # code -> math: not in the run
    with pytest.raises(ValueError, match="allowed: gain, none, loss"):
        reproduction.load_reported({"numbers": [{"kind": "transfer", "train": "math", "eval": "code", "value": "yes", "section": "x"}]})
    assert len(reproduction.load_reported("params/paper/reported.yaml")["numbers"]) > 4


def test_band_check_reports_pass_at_k_format_and_the_band():
    rows = []
    for item in range(4):   # item 0 always right, 1 half, 2 and 3 never; item 3 never answers
        for sample in range(4):
            correct = item == 0 or (item == 1 and sample < 2)
            rows.append(("base", "b", "math", f"i{item}", sample, correct, "no_answer" if item == 3 else "ok"))
    records = pd.DataFrame(rows, columns=["model", "benchmark", "domain", "item_id", "sample_index", "correct", "reason"])
    check = passk.band_check(records, k=4, band=(15, 85)).iloc[0]
    assert check["accuracy"] == pytest.approx(37.5) and check["pass_at_4"] == pytest.approx(50.0)
    assert check["answered"] == pytest.approx(75.0) and check["in_band"]
    assert not passk.band_check(records, k=4, band=(40, 85)).iloc[0]["in_band"]
    assert np.isnan(passk.band_check(records, k=8).iloc[0]["pass_at_8"])   # fewer than 8 samples per item


def test_pairs_without_records_are_counted_outside_a_study_and_an_error_inside(monkeypatch):
    records = synthetic_records({"base": {}, "rl": {"math": 1.0}}, seed=1)
    pairs = [("rl", "base", ("math",)), ("ghost", "base", ("code",))]
    with pytest.warns(UserWarning, match=r"no records for 1 of 2 pairs: ghost <- base"):
        st = stratify.strata(records, pairs, n_boot=0)
    assert st.dropped == ("ghost <- base",) and set(st.table["rpt"]) == {"rl"}
    assert st.where(st.table["benchmark"] == st.table["benchmark"].iloc[0]).dropped == st.dropped
    monkeypatch.setenv("RPT_STUDY_RUN", "run-1")
    with pytest.raises(ValueError, match=r"ghost <- base.*inside rpt run \(run run-1\)"):
        stratify.strata(records, pairs, n_boot=0)
