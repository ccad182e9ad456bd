"""``rpt compare RUN_A RUN_B``: why does my run differ from the reference?

Two run folders (``reports/<study>/<run-id>/``) side by side, as Markdown:

1. **What changed** between them: code commit, package versions, hardware, code sandbox, and every
   resolved study parameter that differs (dotted paths).
2. **Key numbers**, with B − A where both are numbers.
3. **Per-benchmark accuracy** (pass@1, %, from each run's records: :func:`rpt_core.stats.stratify.accuracy_table`)
   for every model x benchmark in either run, with B − A.
4. **Conclusions**: for each RPT model and benchmark set of the observational comparisons
   (``data/observational_comparisons.csv``), whether Δ is a significant gain, a significant loss
   (item-clustered test, alpha 0.05) or neither; and, for tiny-world runs, whether each planted
   effect was recovered (``data/planted_transfer.csv``). Rows whose conclusion flipped are marked;
   a run older than the item-clustered test is judged by CMH's p, and its rows say so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from .report import Run, read_run
from .report_style import fmt_commit, fmt_value

ALPHA = 0.05


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}.{key}" if prefix else str(key)).items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        return {k: v for item in value for k, v in _flatten(item, f"{prefix}[{item['name']}]").items()}
    return {prefix: value}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "_none_"
    cells = [[str(fmt_value(c)).replace("|", "\\|") for c in row] for row in rows]
    return "\n".join(["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + ["| " + " | ".join(r) + " |" for r in cells])


def changes(a: Run, b: Run) -> list[list[Any]]:
    """``[what, A, B]`` for every difference in commit, packages, hardware, sandbox and parameters."""
    ma, mb = a.manifest or {}, b.manifest or {}
    rows = []
    if fmt_commit(a.git) != fmt_commit(b.git):
        rows.append(["code commit", fmt_commit(a.git), fmt_commit(b.git)])
    for section in ("packages", "hardware"):
        fa, fb = _flatten(ma.get(section) or {}), _flatten(mb.get(section) or {})
        rows += [[f"{section}: {k}", fa.get(k, "—"), fb.get(k, "—")] for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]
    if ma.get("sandbox") != mb.get("sandbox"):
        rows.append(["code sandbox", ma.get("sandbox", "—"), mb.get("sandbox", "—")])
    pa, pb = (_relative_to_work_dir(_flatten(m.get("params") or {})) for m in (ma, mb))
    rows += [[f"parameter {k}", pa.get(k, "—"), pb.get(k, "—")] for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)]
    return rows


def _relative_to_work_dir(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with the run's ``work_dir`` written as ``<work_dir>``, so two runs in different
    work dirs differ only in that one parameter."""
    work_dir = params.get("work_dir")
    if not isinstance(work_dir, str) or not work_dir:
        return params
    def strip(value):
        if isinstance(value, str):
            return value.replace(work_dir, "<work_dir>")
        return [strip(v) for v in value] if isinstance(value, list) else value
    return {k: v if k == "work_dir" else strip(v) for k, v in params.items()}


def key_numbers(a: Run, b: Run) -> list[list[Any]]:
    rows = []
    for key in sorted(set(a.key_numbers) | set(b.key_numbers)):
        va, vb = a.key_numbers.get(key, "—"), b.key_numbers.get(key, "—")
        diff = _number(vb) - _number(va) if _number(va) is not None and _number(vb) is not None else ""
        rows.append([key, va, vb, round(diff, 2) if diff != "" else "", "" if va == vb else "changed"])
    return rows


def accuracies(a: Run, b: Run) -> pd.DataFrame:
    """Per model x benchmark pass@1 (%) of both runs (empty where a run has no records)."""
    from .records import read_eval_records
    from .stats.stratify import accuracy_table

    def table(run: Run) -> pd.DataFrame:
        try:
            records = read_eval_records(run.path / "data" / "records")
        except FileNotFoundError:
            return pd.DataFrame(columns=["model", "benchmark", "accuracy"])
        return accuracy_table(records)[["model", "benchmark", "accuracy"]]

    merged = table(a).merge(table(b), on=["model", "benchmark"], how="outer", suffixes=(" A", " B"))
    merged["B − A"] = merged["accuracy B"] - merged["accuracy A"]
    return merged.sort_values(["model", "benchmark"]).reset_index(drop=True)


CMH_NOTE = " (CMH p)"


def _verdict(row: pd.Series) -> str:
    """Gain, loss or no change by the item-clustered test (``p_delta``). A run older than that test
    has only CMH's p (``p_value``): its verdict says so (:data:`CMH_NOTE`), so a conclusion that
    differs only because the test differs is never taken for a flip of the result."""
    test = "" if "p_delta" in row else CMH_NOTE
    p = row["p_delta"] if "p_delta" in row else row["p_value"]
    if not (p < ALPHA):
        return "no significant change" + test
    return ("significant gain" if row["delta"] > 0 else "significant loss") + test


def conclusions(a: Run, b: Run) -> list[list[Any]]:
    """``[subject, conclusion A, conclusion B, flipped]`` from the runs' comparisons and planted checks."""
    rows = []
    for name, key, verdict in (("observational_comparisons.csv", ["rpt", "set"], _verdict),
                               ("planted_transfer.csv", ["model", "train_domain", "eval_domain"],
                                lambda r: f"planted {r['planted']}: " + ("recovered" if r["recovered"] else "not recovered"))):
        frames = []
        for run in (a, b):
            path = run.path / "data" / name
            frames.append({tuple(r[k] for k in key): verdict(r) for _, r in pd.read_csv(path).iterrows()} if path.exists() else {})
        for subject in sorted(set(frames[0]) | set(frames[1]), key=str):
            ca, cb = frames[0].get(subject, "—"), frames[1].get(subject, "—")
            if "—" in (ca, cb) or ca.removesuffix(CMH_NOTE) == cb.removesuffix(CMH_NOTE):
                mark = ""
            elif (CMH_NOTE in ca) != (CMH_NOTE in cb):
                mark = "other test"   # clustered p on one side, CMH's on the other: not comparable
            else:
                mark = "FLIPPED"
            rows.append([" / ".join(map(str, subject)), ca, cb, mark])
    return rows


def compare_runs(run_a: str | Path, run_b: str | Path) -> str:
    """The comparison of two run folders as Markdown (see the module docstring)."""
    a, b = read_run(run_a), read_run(run_b)
    for run in (a, b):
        if run.manifest is None:
            raise ValueError(f"{run.path}: {run.problem}; not a study run folder")
    acc = accuracies(a, b)
    acc_rows = [[r["model"], r["benchmark"], *(round(r[c], 1) if pd.notna(r[c]) else "—" for c in ("accuracy A", "accuracy B", "B − A"))]
                for _, r in acc.iterrows()]
    concl = conclusions(a, b)
    flipped = sum(1 for r in concl if r[3] == "FLIPPED")
    other_test = sum(1 for r in concl if r[3] == "other test")
    return "\n\n".join([
        f"# {a.study} {a.run_id} (A) vs {b.study} {b.run_id} (B)",
        f"A: {a.path} · {a.status} · commit {fmt_commit(a.git)}\nB: {b.path} · {b.status} · commit {fmt_commit(b.git)}",
        "## What changed", _table(["what", "A", "B"], changes(a, b)),
        "## Key numbers", _table(["quantity", "A", "B", "B − A", ""], key_numbers(a, b)),
        "## Per-benchmark accuracy (pass@1, %)", _table(["model", "benchmark", "A", "B", "B − A"], acc_rows),
        f"## Conclusions ({flipped} flipped)"
        + (f"\n\n{other_test} conclusion(s) compare the item-clustered test with CMH's{CMH_NOTE}: one run is "
           "older than the clustered test; re-run it to compare like with like" if other_test else ""),
        _table(["subject", "A", "B", ""], concl),
    ]) + "\n"


__all__ = ["compare_runs", "changes", "key_numbers", "accuracies", "conclusions"]
