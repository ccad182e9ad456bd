"""The embedded default at reduced size: the tiny-world study end to end through papermill, twice with
the same seed (identical records and tables), as CI runs it."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rpt_core.study import load_study, run_study

ROOT = Path(__file__).resolve().parent.parent
KEPT_STEPS = ("world", "train-tiny-s-{domain}", "evaluate-bases", "evaluate-s", "observational")


def reduced_demo(work_dir: Path) -> dict:
    """params/demo.yaml with a small world, short pretraining and RL, one base and two domains."""
    raw = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())
    raw["work_dir"] = str(work_dir)
    raw["params"] = {**raw["params"], "registry": str(ROOT / raw["params"]["registry"]), "n_boot": 50}
    raw["steps"] = [s for s in raw["steps"] if s["name"] in KEPT_STEPS]
    for step in raw["steps"]:
        params = step.setdefault("params", {})
        if step["name"] == "world":
            params["world_sizes"] = {"test": 12, "test_small": 4, "train": 48, "pretrain": 120,
                                     "people_test": 8, "people_train": 8, "people_pretrain": 8}
            params["bases"] = [{**params["bases"][0], "steps": 40}]
        if step["name"] == "train-tiny-s-{domain}":
            step["foreach"] = {"domain": ["math", "knowledge"]}
            params["train"] = {**params["train"], "rl": {**params["train"]["rl"], "max_steps": 2},
                               "save_steps": 1}
        if step["notebook"] == "evaluate":
            params["models"] = ([m for m in params["models"] if m["name"] == "tiny-s"] if step["name"] == "evaluate-bases"
                                else [{"name": "tiny-s-knowledge", "path": "{work_dir}/train/tiny-s-knowledge/final"}])
            params["checkpoints_of"] = [] if step["name"] == "evaluate-bases" else ["tiny-s-math"]
            params["sampling"] = {**params["sampling"], "max_new_tokens": 32}
    return raw


def test_reduced_demo_runs_end_to_end_and_reproduces(tmp_path):
    runs = []
    for attempt in ("a", "b"):  # separate work dirs: the second run recomputes everything
        study = load_study(reduced_demo(tmp_path / f"work-{attempt}"))
        runs.append(run_study(study, reports_root=tmp_path / f"reports-{attempt}", run_id="same-seed", progress=False))
    first, second = (r.run_dir for r in runs)
    assert [s["status"] for s in runs[0].manifest["steps"]] == ["done"] * 6
    assert (first / "figures" / "fig2_id_ood.png").stat().st_size > 1000
    records = sorted(p.name for p in (first / "data" / "records").glob("*.parquet"))
    assert "tiny-s.parquet" in records and "tiny-s-math@1.parquet" in records
    for name in records:
        a, b = (pd.read_parquet(run / "data" / "records" / name) for run in (first, second))
        pd.testing.assert_frame_equal(a, b)
    for table in sorted((first / "tables").glob("*.csv")):
        assert table.read_text() == (second / "tables" / table.name).read_text(), table.name
    base = pd.read_csv(first / "data" / "base_models.csv")
    assert list(base["base"]) == ["tiny-s"] and base["final loss"].iloc[0] < 6
