"""The paper's figures, as Altair charts built from :mod:`rpt_core.stats` tables.

One function per figure; each returns an Altair chart whose top-level data is exactly the plotted
DataFrame (``chart.data``), so :func:`save` can write it next to the images:

=============================  ============================================  =========================
function                       figure                                        input (from stats)
=============================  ============================================  =========================
:func:`fig_id_ood`             Fig. 2: ID vs OOD Δ and odds ratios per model  ``comparisons(st)``
:func:`fig_domain_heatmap`     Fig. 3: RPT models x domains, ID cells framed  ``comparisons(st, DOMAINS)``
:func:`fig_single_domain`      Fig. 4: single-domain RPT models x domains     ``comparisons(st, DOMAINS)``
:func:`fig_dynamics`           Fig. 5: ID vs OOD Δ over training steps        ``training_dynamics(...)``
:func:`fig_transfer_matrix`    RQ2: training domain x evaluation domain       ``transfer_matrix(st)``
:func:`fig_benchmark_accuracy` per-benchmark pass@1, base vs RPT             ``paired_tests(st)``
=============================  ============================================  =========================

Colours come from one constant, :data:`PALETTE` (domains and ID/OOD). Stars follow
:data:`rpt_core.stats.significance.STAR_LEVELS`. Rendering is offline: vl-convert draws PNG and SVG, and the HTML
inlines the vega, vega-lite and vega-embed JavaScript. Confidence limits that are not finite (an
uninformative odds ratio, or no bootstrap) are left out of the plotted data rather than drawn.
"""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from .atomic import write_atomic
from .models import DOMAINS

PALETTE: dict[str, str] = {
    "math": "#4C78A8", "code": "#F58518", "knowledge": "#54A24B",  # evaluation / training domains
    "ID": "#5E3C99", "OOD": "#C51B7D",                             # seen / unseen for a model
}
DELTA_TITLE = "Δ accuracy (pp)"
STARS_DELTA = "stars: item-clustered sign-flip permutation test of Δ (* p<0.05, ** p<0.01, *** p<0.001)"
STARS_CMH = "stars: CMH test of θ = 1, repeats as samples (the paper's test)"
STARS_MCNEMAR = "stars: McNemar test per benchmark (samples paired by item and repeat), Holm-adjusted per RPT model"
WIDTH = 320


def _vl_version() -> str:
    """The Vega-Lite version Altair writes, if vl-convert has it; else vl-convert's newest."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    available = vlc.get_vegalite_versions()
    return wanted if wanted in available else available[-1]


def _finite(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Copy with non-finite values in ``columns`` replaced by NaN (written as null, not drawn)."""
    out = frame.copy()
    for c in columns:
        out[c] = out[c].astype(float).where(np.isfinite(out[c].astype(float)))
    return out


def _color(field: str, keys: tuple[str, ...], title: str | None = None) -> alt.Color:
    return alt.Color(f"{field}:N", title=title, scale=alt.Scale(domain=list(keys), range=[PALETTE[k] for k in keys]))


def _label(delta: pd.Series, marks: pd.Series) -> list[str]:
    return [f"{d:+.1f}{m}" for d, m in zip(delta, marks)]


# ---------------------------------------------------------------------------------- Fig. 2

def fig_id_ood(comparisons: pd.DataFrame, title: str = "ID vs OOD improvement per RPT model") -> alt.HConcatChart:
    """Fig. 2. Left: Δ (pp) on ID and OOD benchmarks per RPT model with bootstrap CIs, stars from the
    item-clustered permutation test of Δ; right: Mantel-Haenszel odds ratio (log scale) with its CI,
    stars from the CMH test. Each panel's subtitle names its test."""
    data = comparisons[comparisons["set"].isin(["ID", "OOD"])]
    data = _finite(data[["rpt", "base", "set", "delta", "ci_low", "ci_high", "p_delta", "stars_delta", "odds_ratio",
                         "or_ci_low", "or_ci_high", "p_value", "stars", "flag"]],
                   ["ci_low", "ci_high", "or_ci_low", "or_ci_high"])
    data = data.assign(label=_label(data["delta"], data["stars_delta"]),
                       or_label=[f"{o:.2f}{s}" for o, s in zip(data["odds_ratio"], data["stars"])])
    y = alt.Y("rpt:N", title="RPT model", sort=list(dict.fromkeys(data["rpt"])))
    color, offset = _color("set", ("ID", "OOD"), "Benchmarks"), alt.YOffset("set:N", sort=["ID", "OOD"])
    tooltip = ["rpt", "base", "set", alt.Tooltip("delta:Q", format="+.2f"),
               alt.Tooltip("p_delta:Q", format=".3g", title="p (clustered, Δ)"),
               alt.Tooltip("p_value:Q", format=".3g", title="p (CMH, θ)")]
    base = alt.Chart().encode(y=y, yOffset=offset, color=color)
    bars = base.mark_bar().encode(x=alt.X("delta:Q", title=DELTA_TITLE), tooltip=tooltip)
    error = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q")
    # Labels sit beyond the bar and its CI: right of positive bars, left of negative ones.
    right_text = (base.mark_text(align="left", dx=4, fontSize=10, color="black").encode(x="label_x:Q", text="label:N")
                  .transform_filter(alt.datum.delta >= 0)
                  .transform_calculate(label_x="isValid(datum.ci_high) ? max(datum.ci_high, datum.delta) "
                                               ": datum.delta"))
    left_text = (base.mark_text(align="right", dx=-4, fontSize=10, color="black").encode(x="label_x:Q", text="label:N")
                 .transform_filter(alt.datum.delta < 0)
                 .transform_calculate(label_x="isValid(datum.ci_low) ? min(datum.ci_low, datum.delta) : datum.delta"))
    zero = alt.Chart().mark_rule(color="gray").encode(x=alt.datum(0))
    left = alt.layer(bars, error, right_text, left_text, zero).properties(
        width=WIDTH, title=alt.TitleParams("Accuracy improvement", subtitle=STARS_DELTA))

    informative = alt.datum.flag != "no_information"
    points = (base.mark_point(filled=True, size=50).encode(
        x=alt.X("odds_ratio:Q", title="Mantel–Haenszel odds ratio (log scale)", scale=alt.Scale(type="log")),
        tooltip=tooltip)
        .transform_filter(informative))
    or_error = base.mark_rule().encode(x="or_ci_low:Q", x2="or_ci_high:Q").transform_filter(informative)
    or_text = (base.mark_text(align="left", dx=6, fontSize=10, color="black")
               .encode(x="odds_ratio:Q", text="or_label:N").transform_filter(informative))
    one = alt.Chart().mark_rule(color="gray").encode(x=alt.datum(1))
    right = alt.layer(or_error, points, or_text, one).properties(
        width=WIDTH, title=alt.TitleParams("Odds of a correct answer, RPT vs base", subtitle=STARS_CMH))
    return alt.hconcat(left, right, data=data).properties(title=title).resolve_scale(y="shared")


# ---------------------------------------------------------------------------------- heatmaps

def _heatmap(data: pd.DataFrame, row: str, column: str, row_title: str, column_title: str,
             title: str) -> alt.LayerChart:
    """Δ heatmap (diverging, 0 = white) with "+1.2*" labels (stars: the clustered test of Δ) and
    in-domain cells framed in black."""
    data = data.assign(label=_label(data["delta"], data["stars_delta"]))
    limit = float(max(1.0, np.nanmax(np.abs(data["delta"])))) if len(data) else 1.0
    rows = list(dict.fromkeys(data[row]))
    columns = [d for d in DOMAINS if d in set(data[column])] + sorted(set(data[column]) - set(DOMAINS))
    base = alt.Chart().encode(y=alt.Y(f"{row}:N", title=row_title, sort=rows),
                              x=alt.X(f"{column}:N", title=column_title, sort=columns, axis=alt.Axis(labelAngle=0)))
    cells = base.mark_rect().encode(
        color=alt.Color("delta:Q", title=DELTA_TITLE, scale=alt.Scale(scheme="redblue", domain=[-limit, limit])),
        tooltip=[row, column, alt.Tooltip("delta:Q", format="+.2f"),
                 alt.Tooltip("p_delta:Q", format=".3g", title="p (clustered, Δ)"),
                 alt.Tooltip("odds_ratio:Q", format=".2f"), alt.Tooltip("p_value:Q", format=".3g", title="p (CMH, θ)")])
    text = base.mark_text(fontSize=11).encode(text="label:N")
    frame = base.mark_rect(fill=None, stroke="black", strokeWidth=2.5).transform_filter(alt.datum.in_domain)
    return alt.layer(cells, text, frame, data=data).properties(
        title=alt.TitleParams(title, subtitle=STARS_DELTA), width=max(120, 70 * len(columns)), height=max(60, 22 * len(rows)))


def _domain_cells(comparisons: pd.DataFrame) -> pd.DataFrame:
    data = comparisons[comparisons["set"].isin(DOMAINS)]
    return data[["rpt", "base", "train_domains", "set", "in_domain", "delta", "ci_low", "ci_high", "p_delta",
                 "stars_delta", "odds_ratio", "p_value"]].reset_index(drop=True)


def fig_domain_heatmap(comparisons: pd.DataFrame,
                       title: str = "Δ per evaluation domain (in-domain framed)") -> alt.LayerChart:
    """Fig. 3: RPT models x evaluation domains, cells Δ (pp) with stars; in-domain cells framed.
    Needs ``comparisons(st, sets=DOMAINS)`` (or more sets; only domain sets are drawn)."""
    data = _finite(_domain_cells(comparisons), ["ci_low", "ci_high"])
    return _heatmap(data, "rpt", "set", "RPT model", "Evaluation domain", title)


def fig_single_domain(comparisons: pd.DataFrame,
                      title: str = "Single-domain RPT models: Δ per evaluation domain") -> alt.LayerChart:
    """Fig. 4: like :func:`fig_domain_heatmap`, only RPT models trained on exactly one domain."""
    data = _domain_cells(comparisons)
    data = _finite(data[~data["train_domains"].str.contains("+", regex=False)], ["ci_low", "ci_high"])
    return _heatmap(data, "rpt", "set", "RPT model (training domain)", "Evaluation domain", title)


def fig_transfer_matrix(transfer: pd.DataFrame,
                        title: str = "Transfer matrix: Δ by training and evaluation domain") -> alt.LayerChart:
    """RQ2 transfer matrix from :func:`rpt_core.stats.aggregation.transfer_matrix`; in-domain cells framed."""
    data = _finite(transfer[["train_domains", "eval_domain", "in_domain", "n_models", "delta", "ci_low", "ci_high",
                             "p_delta", "stars_delta", "odds_ratio", "p_value"]].reset_index(drop=True),
                   ["ci_low", "ci_high"])
    return _heatmap(data, "train_domains", "eval_domain", "Training domain(s)", "Evaluation domain", title)


# ---------------------------------------------------------------------------------- Fig. 5

def fig_dynamics(dynamics: pd.DataFrame, title: str = "ID vs OOD improvement over training") -> alt.LayerChart:
    """Fig. 5: Δ (pp) on ID and OOD benchmarks per checkpoint step, bootstrap CI band, stars (the
    clustered test of Δ) above points."""
    data = _finite(dynamics[["step", "model", "split", "delta", "ci_low", "ci_high", "p_delta",
                             "stars_delta"]].reset_index(drop=True), ["ci_low", "ci_high"])
    base = alt.Chart().encode(x=alt.X("step:Q", title="Training step"),
                              color=_color("split", ("ID", "OOD"), "Benchmarks"))
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("ci_low:Q", title=DELTA_TITLE), y2="ci_high:Q")
    line = base.mark_line().encode(y="delta:Q")
    points = base.mark_point(filled=True, size=50).encode(
        y="delta:Q", tooltip=["model", "step", "split", alt.Tooltip("delta:Q", format="+.2f"),
                              alt.Tooltip("p_delta:Q", format=".3g", title="p (clustered, Δ)")])
    text = base.mark_text(dy=-10, fontSize=12).encode(y="delta:Q", text="stars_delta:N")
    zero = alt.Chart().mark_rule(color="gray").encode(y=alt.datum(0))
    return alt.layer(band, line, points, text, zero, data=data).properties(
        title=alt.TitleParams(title, subtitle=STARS_DELTA), width=WIDTH * 1.5, height=240)


def fig_training_reward(log: pd.DataFrame, title: str = "Training reward per verifier") -> alt.Chart:
    """Mean binary reward (0-1) per optimizer step from ``train_log.csv``, one line per domain's
    verifier; several runs when ``log`` has a ``run`` column (one panel each)."""
    columns = [c for c in log.columns if c.startswith("rewards/") and c.endswith("/mean")]
    ids = ["step"] + (["run"] if "run" in log.columns else [])
    data = log[ids + columns].melt(id_vars=ids, var_name="domain", value_name="reward").dropna()
    data["domain"] = data["domain"].str.split("/").str[1]
    keys = tuple(d for d in DOMAINS if d in set(data["domain"]))
    chart = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("step:Q", title="Training step"), y=alt.Y("reward:Q", title="Mean reward (share correct)",
                                                            scale=alt.Scale(domain=[0, 1])),
        color=_color("domain", keys, "Verifier") if keys else alt.Color("domain:N", title="Verifier"),
        tooltip=ids + ["domain", alt.Tooltip("reward:Q", format=".3f")])
    chart = chart.properties(width=WIDTH, height=180)
    return (chart.facet(column=alt.Column("run:N", title=None)) if "run" in log.columns else chart).properties(title=title)


def fig_pretraining_loss(curves: pd.DataFrame, title: str = "Base-model pretraining loss") -> alt.Chart:
    """Training loss (cross-entropy, nats per scored token) against the optimizer step, one line per
    base model; ``curves`` has columns ``base``, ``step`` and ``loss`` (e.g. the 10-step means of
    ``pretrain.json``'s ``loss_curve``). Log-scaled y: the early drop and the late plateau both show."""
    return alt.Chart(curves).mark_line().encode(
        x=alt.X("step:Q", title="Pretraining step"),
        y=alt.Y("loss:Q", title="Loss (nats / token)", scale=alt.Scale(type="log")),
        color=alt.Color("base:N", title="Base model"),
        tooltip=["base", "step", alt.Tooltip("loss:Q", format=".3f")]).properties(width=WIDTH, height=200, title=title)


# ---------------------------------------------------------------------------------- methodology

def fig_calibration(calibrated: pd.DataFrame, alpha: float = 0.05,
                    title: str = "Null comparisons: Δ with 95% CI where the true effect is 0") -> alt.LayerChart:
    """Δ (pp) with bootstrap CI of every null comparison (:func:`rpt_core.stats.calibration.calibration`), one row
    each, coloured by evaluation domain; filled points are "significant" (CMH p < ``alpha``) although
    nothing changed, i.e. false positives. Resampling and placebo comparisons are grouped by kind."""
    data = _finite(calibrated[["comparison", "kind", "set", "delta", "ci_low", "ci_high", "p_value"]]
                   .reset_index(drop=True), ["ci_low", "ci_high"])
    data["row"] = data["kind"] + " | " + data["comparison"] + " | " + data["set"]
    data["significant"] = np.where(data["p_value"] < alpha, f"p < {alpha:g}", f"p ≥ {alpha:g}")
    keys = tuple(d for d in DOMAINS if d in set(data["set"]))
    y = alt.Y("row:N", title=None, sort=list(data["row"]), axis=alt.Axis(labelLimit=400))
    base = alt.Chart().encode(y=y, color=_color("set", keys, "Domain"))
    rule = base.mark_rule().encode(x=alt.X("ci_low:Q", title=DELTA_TITLE), x2="ci_high:Q")
    point = base.mark_point(size=45).encode(
        x="delta:Q", fill=alt.Fill("significant:N", title="CMH test",
                                   scale=alt.Scale(domain=[f"p < {alpha:g}", f"p ≥ {alpha:g}"],
                                                   range=["black", "white"])),
        tooltip=["comparison", "kind", "set", alt.Tooltip("delta:Q", format="+.2f"),
                 alt.Tooltip("p_value:Q", format=".3g")])
    zero = alt.Chart().mark_rule(color="gray").encode(x=alt.datum(0))
    return alt.layer(rule, point, zero, data=data).properties(title=title, width=WIDTH, height=12 * len(data))


def fig_pass_at_k(curves: pd.DataFrame, title: str = "pass@k before and after RL") -> alt.FacetChart:
    """pass@k (%) against k (log scale) per model, one panel per domain
    (:func:`rpt_core.stats.passk.pass_at_k_curves`). RL that sharpens what the base already samples raises
    pass@1 much more than pass@k at large k."""
    data = curves[["model", "domain", "k", "pass_at_k"]].reset_index(drop=True)
    ks = sorted(data["k"].unique().tolist())
    chart = alt.Chart().mark_line(point=True).encode(
        x=alt.X("k:Q", title="k (samples per item)", scale=alt.Scale(type="log", base=2), axis=alt.Axis(values=ks)),
        y=alt.Y("pass_at_k:Q", title="pass@k (%)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("model:N", title="Model"),
        tooltip=["model", "domain", "k", alt.Tooltip("pass_at_k:Q", format=".1f")]).properties(width=WIDTH * 0.6, height=180)
    order = [d for d in DOMAINS if d in set(data["domain"])]
    return alt.layer(chart, data=data).facet(column=alt.Column("domain:N", title=None, sort=order)).properties(title=title)


# ---------------------------------------------------------------------------------- per benchmark

def fig_benchmark_accuracy(paired: pd.DataFrame, columns: int = 3,
                           title: str = "Per-benchmark pass@1: base (hollow) vs RPT (filled)") -> alt.FacetChart:
    """Per-benchmark pass@1 (%) of each RPT model (filled) and its base (hollow), one panel per RPT
    model, benchmarks grouped by domain; stars are Holm-adjusted McNemar p-values."""
    data = paired[["rpt", "base", "benchmark", "domain", "split", "base_accuracy", "rpt_accuracy", "delta",
                   "p_holm", "stars"]].reset_index(drop=True)
    rank = {d: i for i, d in enumerate(DOMAINS)}
    order = [b for _, b in sorted({(rank.get(d, len(DOMAINS)), b) for b, d in zip(data["benchmark"], data["domain"])})]
    y = alt.Y("benchmark:N", title=None, sort=order)
    color = _color("domain", tuple(d for d in DOMAINS if d in set(data["domain"])), "Domain")
    x_title = "pass@1 (%)"
    tooltip = ["rpt", "base", "benchmark", "split", alt.Tooltip("base_accuracy:Q", format=".1f"),
               alt.Tooltip("rpt_accuracy:Q", format=".1f"), alt.Tooltip("delta:Q", format="+.1f"),
               alt.Tooltip("p_holm:Q", format=".3g")]
    base = alt.Chart().encode(y=y, color=color)
    rule = base.mark_rule().encode(x=alt.X("base_accuracy:Q", title=x_title, scale=alt.Scale(domain=[0, 100])),
                                   x2="rpt_accuracy:Q")
    base_point = base.mark_point(filled=False, size=40).encode(x="base_accuracy:Q", tooltip=tooltip)
    rpt_point = base.mark_point(filled=True, size=40).encode(x="rpt_accuracy:Q", tooltip=tooltip)
    text = base.mark_text(align="left", dx=6, fontSize=10).encode(
        x=alt.X("max_accuracy:Q"), text="stars:N").transform_calculate(
        max_accuracy="max(datum.base_accuracy, datum.rpt_accuracy)")
    layer = alt.layer(rule, base_point, rpt_point, text).properties(width=220, height=16 * max(1, len(order)))
    return layer.facet(facet=alt.Facet("rpt:N", title="RPT model", sort=list(dict.fromkeys(data["rpt"]))),
                       columns=columns, data=data).properties(title=alt.TitleParams(title, subtitle=STARS_MCNEMAR))


# ---------------------------------------------------------------------------------- output

def publish(chart: alt.TopLevelMixin, run_dir: str | Path, name: str, data: pd.DataFrame | None = None):
    """Save a figure into ``<run_dir>/figures/`` (see :func:`save`) and return its PNG as an
    ``IPython.display.Image`` at 1x size, so executed notebooks show it in any viewer."""
    import struct

    from IPython.display import Image

    png = save(chart, data, Path(run_dir) / "figures", name)["png"]
    payload = png.read_bytes()
    width = struct.unpack(">I", payload[16:20])[0]  # IHDR width (the PNG is rendered at 2x)
    return Image(data=payload, format="png", width=width // 2)


VEGA_SCRIPT = "vega-embed.js"
_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title><script src="{script}"></script></head>
<body><div id="figure"></div>
<script>vegaEmbed("#figure", {spec}, {{"actions": {{"export": true, "source": false, "compiled": false, "editor": false}}}})
  .catch(function (error) {{ console.error(error); }});</script>
</body></html>
"""


@functools.lru_cache(maxsize=1)
def _vega_bundle(version: str) -> str:
    return vlc.javascript_bundle(vl_version=version)


def save(chart: alt.TopLevelMixin, data: pd.DataFrame | None, out_dir: str | Path, name: str) -> dict[str, Path]:
    """Write ``<name>.png`` (2x scale), ``.svg``, ``.html`` (interactive, works offline) and ``.csv``
    (the plotted data; ``data`` defaults to ``chart.data``; missing values are empty cells) into
    ``out_dir``. The HTML pages of a folder share one local ``vega-embed.js`` (Vega, Vega-Lite and
    Vega-Embed, written once, ~0.9 MB) instead of inlining it in every page. Each file is written
    atomically. Returns the paths by extension."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = chart.data if isinstance(chart.data, pd.DataFrame) else pd.DataFrame()
    spec, version = chart.to_dict(), _vl_version()
    if not (out / VEGA_SCRIPT).exists():
        write_atomic(out / VEGA_SCRIPT, _vega_bundle(version))
    title = spec.get("title", name)
    contents = {
        "png": vlc.vegalite_to_png(spec, vl_version=version, scale=2),
        "svg": vlc.vegalite_to_svg(spec, vl_version=version).encode(),
        "html": _HTML.format(title=html.escape(title if isinstance(title, str) else name), script=VEGA_SCRIPT,
                             spec=json.dumps(spec).replace("</", "<\\/")).encode(),
        "csv": data.to_csv(index=False).encode(),
    }
    paths = {}
    for ext, payload in contents.items():
        paths[ext] = write_atomic(out / f"{name}.{ext}", payload)
    return paths


__all__ = ["PALETTE", "fig_id_ood", "fig_domain_heatmap", "fig_single_domain", "fig_transfer_matrix",
           "fig_dynamics", "fig_benchmark_accuracy", "fig_training_reward", "fig_pretraining_loss", "fig_calibration", "fig_pass_at_k",
           "publish", "save"]
