"""The paper's tables, formatted from :mod:`rpt_core.stats` results and written as CSV, Markdown
and LaTeX (:func:`write_table`).

Each ``*_table`` function returns a DataFrame of display strings (what a reader sees), so the three
formats always agree. Conventions:

* Δ in percentage points with a sign and two decimals, stars from the item-clustered permutation
  test of that Δ (``p_delta``), θ̂ with stars from the CMH test (``p_value``)
  (:data:`rpt_core.stats.significance.STAR_LEVELS`: ``*`` p < 0.05, ``**`` p < 0.01, ``***`` p < 0.001);
  :data:`STARS_NOTE` says so in every caption that shows stars;
  p-values with three significant digits, ``<0.001`` below that; accuracies in percent, one decimal.
* A value that does not exist (no OOD benchmark for a model trained on every domain, a relative gain
  over a base at 0 %, a field the registry leaves empty) is written as :data:`PLACEHOLDER` (``—``),
  never as ``nan``. An infinite confidence limit is written ``∞``.

Markdown and LaTeX are written by the small writers here (no ``tabulate`` / ``jinja2`` dependency).
LaTeX output is a ``booktabs`` ``tabular`` (``\\usepackage{booktabs}``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .atomic import write_atomic
from .models import DOMAINS, Registry

PLACEHOLDER = "—"
STARS_NOTE = ("stars on Δ: item-clustered sign-flip permutation test of Δ; on θ̂: CMH test, repeats as samples "
              "(* p < 0.05, ** p < 0.01, *** p < 0.001); † θ̂ zero-cell corrected")


# ---------------------------------------------------------------------------------- formatting

def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or (isinstance(x, str) and x == "")


def fmt_number(x, digits: int = 2, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals (``+`` for positive values if ``sign``); missing -> ``—``, inf -> ``∞``."""
    if _missing(x):
        return PLACEHOLDER
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def fmt_p(p) -> str:
    """p-value: ``<0.001`` or three significant digits; missing -> ``—``."""
    if _missing(p):
        return PLACEHOLDER
    return "<0.001" if p < 0.001 else f"{p:.3g}"


def fmt_text(x) -> str:
    return PLACEHOLDER if _missing(x) else str(x)


def _marked(text: str, marks) -> str:
    return text if text == PLACEHOLDER else text + (marks or "")


def _delta(delta, marks) -> str:
    return _marked(fmt_number(delta, 2, sign=True), marks)


def _odds(row) -> str:
    """θ̂ with its CMH stars; ``†`` where it is zero-cell corrected (0.5 added to every cell)."""
    return _marked(fmt_number(row["odds_ratio"], 2), row["stars"] + ("†" if row["flag"] == "zero_cell_corrected" else ""))


# ---------------------------------------------------------------------------------- tables

def model_table(registry: Registry) -> pd.DataFrame:
    """Model list: one row per RPT model with its base, size (B parameters), RPT training data,
    training domains, algorithm and whether its inclusion in the paper is confirmed."""
    rows = []
    for e in registry.rpt_models():
        size = e.size_b if e.size_b is not None else registry[e.base].size_b  # an RPT model keeps its base's size
        rows.append({"RPT model": e.name, "Base": e.base, "Size (B)": fmt_number(size, 1),
                     "Training data": fmt_text(e.training_data), "Domains": ", ".join(e.domains),
                     "Algorithm": fmt_text(e.algorithm), "Confirmed": "yes" if e.confirmed else "no (?)"})
    return pd.DataFrame(rows, columns=["RPT model", "Base", "Size (B)", "Training data", "Domains", "Algorithm",
                                       "Confirmed"])


def delta_table(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Per RPT model: ID and OOD Δ (pp, starred by its item-clustered permutation p, which is shown),
    relative Δ (% of base accuracy), the Mantel-Haenszel odds ratio θ̂ starred by the CMH p-value
    (``†``: zero-cell corrected, see :class:`rpt_core.stats.significance.CMHResult`).
    Input: ``aggregation.comparisons(st, ("ID", "OOD"))``."""
    columns = ["RPT model", "Base", "Domains"]
    for split in ("ID", "OOD"):
        columns += [f"{split} Δ (pp)", f"{split} p (Δ)", f"{split} rel. Δ (%)", f"{split} θ̂"]
    rows = []
    for (rpt, base, domains), group in comparisons.groupby(["rpt", "base", "train_domains"], sort=False):
        row = {"RPT model": rpt, "Base": base, "Domains": domains.replace("+", ", ")}
        for split in ("ID", "OOD"):
            hit = group[group["set"] == split]
            r = hit.iloc[0] if len(hit) else None
            row[f"{split} Δ (pp)"] = _delta(r["delta"], r["stars_delta"]) if r is not None else PLACEHOLDER
            row[f"{split} p (Δ)"] = fmt_p(r["p_delta"]) if r is not None else PLACEHOLDER
            row[f"{split} rel. Δ (%)"] = fmt_number(r["relative_gain"], 1, sign=True) if r is not None else PLACEHOLDER
            row[f"{split} θ̂"] = _odds(r) if r is not None else PLACEHOLDER
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def robustness_table(robustness: pd.DataFrame) -> pd.DataFrame:
    """RQ4: per base model x algorithm, ID Δ, OOD Δ (pp, starred by the clustered test of the pooled
    Δ) and the gap ID − OOD (pp).
    Input: ``aggregation.robustness(st)``."""
    rows = [{"Base": r.base, "Algorithm": fmt_text(r.algorithm), "Models": str(r.n_models),
             "ID Δ (pp)": _delta(r.delta_id, r.stars_id), "OOD Δ (pp)": _delta(r.delta_ood, r.stars_ood),
             "Gap (pp)": fmt_number(r.gap, 2, sign=True)} for r in robustness.itertuples()]
    return pd.DataFrame(rows, columns=["Base", "Algorithm", "Models", "ID Δ (pp)", "OOD Δ (pp)", "Gap (pp)"])


def transfer_table(transfer: pd.DataFrame) -> pd.DataFrame:
    """RQ2 transfer matrix: rows training domain(s), columns evaluation domains, cells Δ (pp) with
    stars (the clustered test of the pooled Δ); in-domain cells are marked with brackets.
    Input: ``aggregation.transfer_matrix(st)``."""
    evals = [d for d in DOMAINS if d in set(transfer["eval_domain"])]
    rows = []
    for train, group in transfer.groupby("train_domains", sort=False):
        row = {"Training domain(s)": train.replace("+", ", "), "Models": str(int(group["n_models"].max()))}
        for domain in evals:
            hit = group[group["eval_domain"] == domain]
            if not len(hit):
                row[f"{domain} Δ (pp)"] = PLACEHOLDER
                continue
            r = hit.iloc[0]
            text = _delta(r["delta"], r["stars_delta"])
            row[f"{domain} Δ (pp)"] = f"[{text}]" if r["in_domain"] else text
        rows.append(row)
    return pd.DataFrame(rows, columns=["Training domain(s)", "Models", *[f"{d} Δ (pp)" for d in evals]])


def benchmark_accuracy_table(accuracy: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """Per-benchmark pass@1 (%): one row per model (``models`` order, default as given), one column
    per benchmark, grouped by domain. Input: ``stratify.accuracy_table(records)``."""
    rank = {d: i for i, d in enumerate(DOMAINS)}
    benches = sorted(set(zip(accuracy["domain"], accuracy["benchmark"])), key=lambda x: (rank.get(x[0], 9), x[1]))
    order = models or list(dict.fromkeys(accuracy["model"]))
    lookup = {(m, b): a for m, b, a in zip(accuracy["model"], accuracy["benchmark"], accuracy["accuracy"])}
    rows = [{"Model": m, **{b: fmt_number(lookup.get((m, b)), 1) for _, b in benches}} for m in order]
    return pd.DataFrame(rows, columns=["Model", *[b for _, b in benches]])


# ---------------------------------------------------------------------------------- writers

def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub pipe table; ``|`` inside cells is escaped, missing cells become ``—``."""
    def cell(x) -> str:
        return fmt_text(x).replace("|", "\\|").replace("\n", " ")
    header = "| " + " | ".join(cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(cell(x) for x in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "θ̂": r"$\hat{\theta}$",
          "Δ": r"$\Delta$", "—": "---", "∞": r"$\infty$", "±": r"$\pm$", "<": r"$<$", ">": r"$>$"}


def latex_escape(text: str) -> str:
    """Escape LaTeX specials and map the symbols used in tables (Δ, θ̂, —, ∞, ±, <, >) to LaTeX."""
    out, i = [], 0
    keys = sorted(_LATEX, key=len, reverse=True)
    while i < len(text):
        for key in keys:
            if text.startswith(key, i):
                out.append(_LATEX[key])
                i += len(key)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def to_latex(table: pd.DataFrame, caption: str | None = None, label: str | None = None) -> str:
    """A ``booktabs`` tabular (first column left-aligned, the rest right-aligned), wrapped in a
    ``table`` float when ``caption`` or ``label`` is given."""
    spec = "l" + "r" * (len(table.columns) - 1)
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(latex_escape(str(c)) for c in table.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(fmt_text(x)) for x in row) + r" \\" for row in table.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption or label:
        lines = [r"\begin{table}[t]", r"\centering", *lines]
        if caption:
            lines.append(rf"\caption{{{latex_escape(caption)}}}")
        if label:
            lines.append(rf"\label{{{label}}}")
        lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_table(table: pd.DataFrame, out_dir: str | Path, name: str, caption: str | None = None) -> dict[str, Path]:
    """Write ``<name>.csv``, ``.md`` and ``.tex`` into ``out_dir`` (atomically); returns paths by extension."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shown = table.map(fmt_text)
    contents = {"csv": shown.to_csv(index=False), "md": to_markdown(shown),
                "tex": to_latex(shown, caption=caption, label=f"tab:{name}")}
    return {ext: write_atomic(out / f"{name}.{ext}", text.encode()) for ext, text in contents.items()}


__all__ = ["PLACEHOLDER", "fmt_number", "fmt_p", "fmt_text", "model_table", "delta_table", "robustness_table",
           "transfer_table", "STARS_NOTE", "benchmark_accuracy_table", "to_markdown", "to_latex", "latex_escape", "write_table"]
