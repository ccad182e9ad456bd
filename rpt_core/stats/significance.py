"""The paper's small tests and intervals: stars, Wilson intervals, Holm, McNemar, and the
Cochran-Mantel-Haenszel test with its Mantel-Haenszel odds ratio θ̂ and Breslow-Day homogeneity.

Inputs are counts (arrays or scalars); p-values are two-sided probabilities in [0, 1]; intervals
are proportions in [0, 1]. The choices behind them are stated once in :mod:`rpt_core.stats`.
scipy and statsmodels are imported by the functions that use them: an evaluation reaches this
module (pass@k -> stratify -> Wilson intervals) and need not pay their import (about 0.6 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


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
    from scipy import stats as sps

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
    from scipy import stats as sps

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
    from scipy import stats as sps

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


__all__ = ["STAR_LEVELS", "stars", "wilson_interval", "holm", "mcnemar", "CMHResult", "cmh"]
