"""The paper's statistics, computed from per-sample evaluation records only. This package holds
no code of its own; each module has one job:

* :mod:`~rpt_core.stats.significance`: stars, Wilson intervals, Holm, McNemar, CMH / Mantel-Haenszel
* :mod:`~rpt_core.stats.stratify`: records -> ``Grid`` -> ``strata`` (per pair x benchmark)
* :mod:`~rpt_core.stats.aggregation`: Δ pooled over strata and the paper's comparisons built on it
* :mod:`~rpt_core.stats.passk`: the unbiased pass@k estimator, pass@k curves, the base-model band check
* :mod:`~rpt_core.stats.reproduction`: the paper's reported numbers beside this run's
* :mod:`~rpt_core.stats.teaching`: views that show why the method is built as it is
* :mod:`~rpt_core.stats.calibration`: null comparisons and planted effects, where the truth is known

None of them imports the generation or evaluation engine: they read records, nothing else.

Records are the DataFrame of :mod:`rpt_core.records` (``RECORD_COLUMNS``); these columns are used:
``model, benchmark, domain, item_id, sample_index, correct``. A benchmark with repeats (AIME, AMC: 16)
has several ``sample_index`` values per item.

Units: accuracies are pass@1 in percent (0-100), averaged over repeats per item and then over items;
differences (Δ) are in percentage points (pp); relative gain and error-rate reduction in percent.

The flow, top to bottom::

    records ──► Grid (models x samples matrix of 0/1/-1)             stratify
            ──► accuracy_table                        per model x benchmark, Wilson CI
            ──► strata(grid, pairs) ──► Strata        one row per (RPT model, base, benchmark):
                                                      accuracies, Δ, 2x2 counts, discordant pairs,
                                                      item-bootstrap draws of Δ
                 └─► aggregate(strata, by) ─────────► Δ (size-weighted and macro), bootstrap CI,   aggregation
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
  adjustment. Degenerate strata, see :func:`rpt_core.stats.significance.cmh`.
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
