"""The embedded default at reduced size, through papermill as `make demo` runs it: the published bases,
short GRPO runs on each domain plus a placebo run, evaluation, and the analyses. Asserts what the
tiny world is for: an in-domain gain with p < 0.01, every planted effect recovered, and a calibration
file with its false-positive rate."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rpt_core.study import load_study, run_study

ROOT = Path(__file__).resolve().parent.parent
KEPT_STEPS = ("world", "train-tiny-s-{domain}", "train-tiny-s-placebo", "evaluate-bases", "evaluate-s",
              "interventional", "methodology")


def reduced_demo(work_dir: Path) -> dict:
    """params/demo.yaml with fewer test items, one base and without the mixed, DAPO and tiny-m runs."""
    raw = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())
    raw["work_dir"] = str(work_dir)
    # the registry lists only the models this reduced study evaluates (inside rpt run, a registry
    # pair without records is an error)
    registry = yaml.safe_load((ROOT / raw["params"]["registry"]).read_text())
    kept = {"tiny-s", "tiny-s-math", "tiny-s-code", "tiny-s-knowledge"}
    registry["models"] = [m for m in registry["models"] if m["name"] in kept]
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "registry.yaml").write_text(yaml.safe_dump(registry))
    raw["params"] = {**raw["params"], "registry": str(work_dir / "registry.yaml"), "n_boot": 200,
                     "bases_dir": str(ROOT / raw["params"]["bases_dir"])}
    raw["steps"] = [s for s in raw["steps"] if s["name"] in KEPT_STEPS]
    for step in raw["steps"]:
        params = step.setdefault("params", {})
        if step["name"] == "world":
            params["world_sizes"] = {"test": 30, "test_small": 10, "train": 270, "pretrain": 10}
            params["bases"] = params["bases"][:1]
        if step["notebook"] == "train":  # the demo's RL settings: knowledge needs all 16 steps to gain
            params["train"] = {**params["train"], "save_steps": 16}
        if step["name"] == "evaluate-bases":
            params["models"] = params["models"][:1]
        if step["name"] == "evaluate-s":
            params["models"] = [{"name": f"tiny-s-{d}", "path": f"{work_dir}/train/tiny-s-{d}/final"}
                                for d in ("math", "code", "knowledge", "placebo")]
            params["checkpoints_of"] = []
        if step["name"] == "interventional":
            params["rpt_models"] = params["planted_models"] = ["tiny-s-math", "tiny-s-code", "tiny-s-knowledge"]
        if step["name"] == "methodology":
            params.update(null_models=["tiny-s"], pass_at_k_models=["tiny-s", "tiny-s-math"])
    return raw


@pytest.mark.slow
def test_reduced_demo_recovers_the_planted_effects(tmp_path):
    study = load_study(reduced_demo(tmp_path / "work"))
    result = run_study(study, reports_root=tmp_path / "reports", run_id="reduced", progress=False)
    run = result.run_dir
    assert [s["status"] for s in result.manifest["steps"]] == ["done"] * len(study.steps)

    planted = pd.read_csv(run / "data" / "planted_transfer.csv")
    assert list(planted.columns[:9]) == ["train_domain", "eval_domain", "planted", "delta", "ci_low", "ci_high",
                                         "p_delta", "p_value", "recovered"]
    assert len(planted) == 9 and set(planted["planted"]) == {"gain", "none"}
    assert planted["recovered"].all(), planted.to_string()
    in_domain = planted[planted["train_domain"] == planted["eval_domain"]]
    assert (in_domain["delta"] > 0).all() and (in_domain["p_delta"] < 0.01).all(), in_domain.to_string()

    calibration = pd.read_csv(run / "data" / "calibration.csv")
    assert {"comparison", "kind", "delta", "p_value", "p_delta"} <= set(calibration.columns)
    assert set(calibration["kind"]) == {"resampling", "placebo"}
    assert len(calibration[calibration["kind"] == "resampling"]) == 4 * 3  # 8 samples -> 4 pairs, 3 domains
    rates = pd.read_csv(run / "data" / "false_positive_rate.csv").set_index(["kind", "test"])
    assert rates["rate"].between(0, 1).all() and (rates.loc["resampling", "comparisons"] == 12).all()
    assert (run / "figures" / "calibration.png").stat().st_size > 1000
    assert (run / "figures" / "pass_at_k.png").stat().st_size > 1000
