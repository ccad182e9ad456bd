"""Every figure and table renders offline from a synthetic records set, in every output format."""

import math
import re
import struct

import numpy as np
import pandas as pd
import pytest

from rpt_core import figures, tables
from rpt_core.models import DOMAINS, load_registry
from rpt_core.stats import aggregation, stratify

BENCHES = {"gsm8k": ("math", 20, 1), "aime": ("math", 6, 4), "mbpp": ("code", 15, 1), "he": ("code", 8, 1),
           "medqa": ("knowledge", 25, 1), "pubmed_qa": ("knowledge", 12, 1)}
MODELS = {  # name: (base, training domains, algorithm, logit shift per domain)
    "base_a": (None, [], None, {}),
    "math_rl": ("base_a", ["math"], "GRPO", {"math": 1.0, "knowledge": -0.3}),
    "code_rl": ("base_a", ["code"], "GRPO", {"code": 1.0}),
    "know_rl": ("base_a", ["knowledge"], "DAPO", {"knowledge": 0.8}),
    "mc_rl": ("base_a", ["math", "code"], "DAPO", {"math": 0.6, "code": 0.6}),
    "all_rl": ("base_a", ["math", "code", "knowledge"], "GRPO", {"math": 0.3}),
    "step100": ("base_a", ["math"], "GRPO", {"math": 0.4}),
    "step200": ("base_a", ["math"], "GRPO", {"math": 0.9}),
}


def synthetic_records(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for bench, (domain, n, repeats) in BENCHES.items():
        difficulty = np.repeat(rng.normal(0, 1.2, n), repeats)
        for model, (_, _, _, shift) in MODELS.items():
            p = 1 / (1 + np.exp(-(difficulty + shift.get(domain, 0.0))))
            frames.append(pd.DataFrame({
                "model": model, "benchmark": bench, "domain": domain,
                "item_id": np.repeat([str(i) for i in range(n)], repeats),
                "sample_index": np.tile(np.arange(repeats), n), "correct": rng.random(n * repeats) < p}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def study():
    registry = load_registry({"models": [
        {"name": name, "base": base, "domains": domains, "algorithm": algorithm,
         **({"size_b": 1.5, "family": "qwen2"} if base is None else {"training_data": "synthetic_set 40K"}),
         **({"confirmed": False} if name == "all_rl" else {})}
        for name, (base, domains, algorithm, _) in MODELS.items()]})
    records = synthetic_records()
    st = stratify.strata(records, registry, n_boot=200, seed=0)
    dynamics = aggregation.training_dynamics(records, {"base_a": 0, "step100": 100, "step200": 200}, "base_a", ["math"],
                                             n_boot=200)
    return {"registry": registry, "records": records, "strata": st, "dynamics": dynamics,
            "comparisons": aggregation.comparisons(st, ("ID", "OOD", *DOMAINS))}


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 200 <= width <= 8000 and 100 <= height <= 8000, (width, height)
    assert len(data) > 10_000
    return width, height


def check_outputs(paths, chart):
    check_png(paths["png"])
    svg = paths["svg"].read_text()
    assert svg.lstrip().startswith("<svg") and "<text" in svg
    html = paths["html"].read_text()
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert sources == ["vega-embed.js"], "HTML must load its scripts from the local bundle only"
    bundle = paths["html"].parent / "vega-embed.js"
    assert "window.vegaEmbed" in bundle.read_text() and bundle.stat().st_size > 200_000
    assert "vegaEmbed(" in html and len(html) < 200_000
    csv = paths["csv"].read_text()
    assert not re.search(r"\b(nan|inf|NaN|Infinity)\b", csv)
    assert len(pd.read_csv(paths["csv"])) == len(chart.data) > 0


def test_fig_id_ood(study, tmp_path):
    comp = study["comparisons"]
    # one uninformative row (infinite CI): must render, and not reach the plotted data as inf
    comp = comp.copy()
    first_ood = comp.index[comp["set"] == "OOD"][0]
    comp.loc[first_ood, ["odds_ratio", "or_ci_low", "or_ci_high", "flag"]] = [1.0, 0.0, math.inf, "no_information"]
    chart = figures.fig_id_ood(comp)
    assert set(chart.data["set"]) == {"ID", "OOD"}
    assert "all_rl" in set(chart.data["rpt"])  # its OOD bar is simply absent
    check_outputs(figures.save(chart, None, tmp_path, "fig2_id_ood"), chart)


@pytest.mark.parametrize("which", ["fig_domain_heatmap", "fig_single_domain"])
def test_domain_heatmaps_frame_in_domain_cells(study, tmp_path, which):
    chart = getattr(figures, which)(study["comparisons"])
    data = chart.data
    assert set(data["set"]) == set(DOMAINS)
    framed = data[data["in_domain"]]
    assert all(s in d.split("+") for s, d in zip(framed["set"], framed["train_domains"]))
    if which == "fig_single_domain":
        assert set(data["rpt"]) == {"math_rl", "code_rl", "know_rl", "step100", "step200"}
    else:
        assert len(framed) == 1 + 1 + 1 + 2 + 3 + 1 + 1
    spec = chart.to_dict()
    assert any(layer.get("mark", {}).get("stroke") == "black" for layer in spec["layer"])
    check_outputs(figures.save(chart, data, tmp_path, which), chart)


def test_fig_dynamics_and_transfer_matrix(study, tmp_path):
    chart = figures.fig_dynamics(study["dynamics"])
    assert sorted(set(chart.data["step"])) == [0, 100, 200]
    check_outputs(figures.save(chart, None, tmp_path, "fig5_dynamics"), chart)
    chart = figures.fig_transfer_matrix(aggregation.transfer_matrix(study["strata"]))
    assert set(chart.data["eval_domain"]) == set(DOMAINS)
    check_outputs(figures.save(chart, None, tmp_path, "transfer"), chart)


def test_fig_pretraining_loss_one_line_per_base(tmp_path):
    curves = pd.DataFrame([{"base": base, "step": 10 * i, "loss": 7.0 * (0.9 ** i) + 0.5}
                           for base in ("tiny-s", "tiny-m") for i in range(40)])
    chart = figures.fig_pretraining_loss(curves)
    spec = chart.to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log" and spec["encoding"]["color"]["field"] == "base"
    check_outputs(figures.save(chart, None, tmp_path, "pretraining_loss"), chart)


def test_fig_benchmark_accuracy_uses_the_domain_palette(study, tmp_path):
    chart = figures.fig_benchmark_accuracy(aggregation.paired_tests(study["strata"], family=["rpt"]))
    assert len(chart.data) == len(BENCHES) * (len(MODELS) - 1)
    spec = chart.to_dict()
    scale = spec["spec"]["layer"][0]["encoding"]["color"]["scale"]
    assert scale["range"] == [figures.PALETTE[d] for d in scale["domain"]]
    width, height = check_png(figures.save(chart, None, tmp_path, "accuracy")["png"])
    assert height > width / 2  # one panel per RPT model, three per row
    check_outputs({k: tmp_path / f"accuracy.{k}" for k in ("png", "svg", "html", "csv")}, chart)


def no_nan(text):
    return not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_tables_write_csv_markdown_latex_without_nan(study, tmp_path):
    st, comp = study["strata"], study["comparisons"]
    built = {
        "models": tables.model_table(study["registry"]),
        "delta": tables.delta_table(comp),
        "robustness": tables.robustness_table(aggregation.robustness(st)),
        "transfer": tables.transfer_table(aggregation.transfer_matrix(st)),
        "accuracy": tables.benchmark_accuracy_table(stratify.accuracy_table(study["records"]), models=list(MODELS)),
    }
    for name, table in built.items():
        paths = tables.write_table(table, tmp_path, name, caption=f"{name} (synthetic)")
        md, tex, csv = (paths[k].read_text() for k in ("md", "tex", "csv"))
        assert no_nan(md) and no_nan(tex) and no_nan(csv), name
        assert md.count("\n") == len(table) + 2
        assert tex.count(r"\\") == len(table) + 1 and r"\toprule" in tex and r"\label{tab:" + name + "}" in tex
        assert len(pd.read_csv(paths["csv"])) == len(table)

    delta = built["delta"].set_index("RPT model")
    # all_rl was trained on every domain: no OOD benchmark, so its OOD cells are placeholders
    assert (delta.loc["all_rl", ["OOD Δ (pp)", "OOD θ̂", "OOD p (Δ)"]] == tables.PLACEHOLDER).all()
    assert re.fullmatch(r"[+-]\d+\.\d\d\**", delta.loc["math_rl", "ID Δ (pp)"])
    tex = (tmp_path / "delta.tex").read_text()
    assert r"math\_rl" in tex and r"$\Delta$" in tex and r"$\hat{\theta}$" in tex and "---" in tex
    models = built["models"].set_index("RPT model")
    assert models.loc["math_rl", "Size (B)"] == "1.5"  # inherited from the base
    assert models.loc["all_rl", "Confirmed"] == "no (?)"
    assert built["transfer"].iloc[0, 2].startswith("[")  # math -> math is in-domain
    assert list(built["accuracy"]["Model"]) == list(MODELS)
    assert list(built["accuracy"].columns[1:]) == ["aime", "gsm8k", "he", "mbpp", "medqa", "pubmed_qa"]


def test_formatting_helpers():
    assert tables.fmt_number(float("nan")) == tables.PLACEHOLDER
    assert tables.fmt_number(None) == tables.PLACEHOLDER
    assert tables.fmt_number(3.14159, 2, sign=True) == "+3.14"
    assert tables.fmt_number(math.inf) == "∞"
    assert tables.fmt_p(0.0004) == "<0.001" and tables.fmt_p(0.01234) == "0.0123"
    table = pd.DataFrame({"a|b": ["x|y", None], "pct_%": [1.5, float("nan")]})
    md = tables.to_markdown(table)
    assert "a\\|b" in md and "x\\|y" in md and tables.PLACEHOLDER in md and no_nan(md)
    assert tables.latex_escape("a_b & 5% #1 {x} ~ Δ θ̂ —") == (
        r"a\_b \& 5\% \#1 \{x\} \textasciitilde{} $\Delta$ $\hat{\theta}$ ---")


def test_interactive_figure_renders_offline_in_headless_chromium(study, tmp_path):
    from browser import check_page

    paths = figures.save(figures.fig_transfer_matrix(aggregation.transfer_matrix(study["strata"])), None, tmp_path, "tm")
    page = check_page(paths["html"])
    assert not page.errors and not page.external_requests, (page.errors, page.external_requests)
    assert any(url.endswith("vega-embed.js") for url in page.requests)
