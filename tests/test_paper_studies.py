"""The paper-scale study files run end to end with hub ids swapped for a tiny local model and the
benchmarks and training sets swapped for their real-schema fixtures: the same code path, small sizes."""

from pathlib import Path

import sys

import pandas as pd
import pytest
import yaml

from rpt_core.estimate import architecture, training_memory_gib
from rpt_core.modelref import hub_id_problem
from rpt_core.study import estimates, load_study, plan, run_study

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
PAPER = ROOT / "params" / "paper"


# fewer runs, same code paths: the robustness runs (DAPO, the Llama base) are left out; they run the
# train notebook with other params, which the demo and tests/test_train.py cover
DROPPED_STEPS = ("train-dsq-dapo-{domain}", "train-llama-grpo-{domain}")
DROPPED = tuple(f"{run}-{domain}" for run in ("dsq-dapo", "llama-grpo") for domain in ("math", "code", "knowledge"))


def localize(study_file: Path, tiny_model: str, root: Path) -> dict:
    """The study with every hub model -> ``tiny_model``, benchmarks -> 2 fixture items each (hf backend,
    16 new tokens), training sets -> fixtures, RL shrunk to 2 CPU steps of 2 prompts x 2 rollouts, the
    observational registry cut to its confirmed pairs and the robustness runs left out."""
    raw = yaml.safe_load(study_file.read_text())
    raw["steps"] = [step for step in raw["steps"] if step["name"] not in DROPPED_STEPS]
    for step in raw["steps"]:
        if step["notebook"] == "evaluate":
            step["params"]["models"] = [m for m in step["params"].get("models") or [] if not m["name"] in DROPPED]
            if step["params"].get("registry_models"):
                step["params"]["only_confirmed"] = True
    raw.pop("resources", None)
    raw["work_dir"] = str(root / "work")
    # independent steps two at a time, one core each, as the demo runs them (the trains, then the analyses)
    raw["workers"] = 2
    for step in raw["steps"]:
        if step["notebook"] != "evaluate":
            step["parallel"] = "train" if step["notebook"] == "train" else "analysis"
    registry = yaml.safe_load((ROOT / raw["params"]["registry"]).read_text())
    # confirmed models only, as the evaluation (only_confirmed), less the dropped runs: inside rpt run
    # every registry pair needs records
    confirmed = [m for m in registry["models"] if m.get("confirmed", True) and m["name"] not in DROPPED]
    names = {m["name"] for m in confirmed}
    registry["models"] = [m for m in confirmed if not m.get("base") or m["base"] in names]
    for model in registry["models"]:
        model["path"] = tiny_model
    (root / "registry.yaml").write_text(yaml.safe_dump(registry))
    raw["params"] = {**raw["params"], "registry": str(root / "registry.yaml"), "n_boot": 20}
    for step in raw["steps"]:
        params = step.setdefault("params", {})
        if params.get("registry_models"):
            params["registry_models"] = str(root / "registry.yaml")
        params["models"] = [{**m, "path": m["path"] if m["path"].startswith("{work_dir}") else tiny_model,
                             "dtype": "float32"} for m in params.get("models") or []] or params.pop("models", None)
        if params.get("models") is None:
            params.pop("models")
        if "benchmarks" in params:
            params.update(benchmarks=[{"name": b, "limit": 2} for b in params["benchmarks"]],
                          data_dir=str(FIXTURES / "benchmarks"), backend="hf",
                          sampling={**params["sampling"], "max_new_tokens": 16})
            params.pop("tensor_parallel_size", None), params.pop("data_parallel_size", None)
        if "train" in params:
            train = params["train"]
            params["train"] = {**train, "model": {"path": tiny_model, "dtype": "float32"},
                               "data": {**train["data"], "data_dir": str(FIXTURES / "training"), "size": 4},
                               "rl": {**train["rl"], "prompts_per_step": 2, "num_generations": 2,
                                      "per_device_batch_size": 4, "max_completion_length": 8, "max_steps": 2,
                                      "temperature": 1.0},
                               "runtime": {"device": "cpu", "generation": "transformers", "reward_workers": 2,
                                           "threads": 1},
                               "save_steps": 1}
    return raw


def test_paper_study_files_validate_and_plan():
    for name in ("observational", "interventional"):
        study = load_study(PAPER / f"{name}.yaml")
        text = plan(study)
        assert "total:" in text and "GPU-hours" in text
    interventional = {e.step: e for e in estimates(load_study(PAPER / "interventional.yaml"))}
    math = interventional["train-dsq-grpo-math"]
    assert math.optimizer_steps == 625 and math.generations == 625 * 64 * 8   # 40K / 64 prompts, 8 rollouts
    assert math.max_tokens == math.generations * 8192 and 0 < math.memory_gib < 80
    assert interventional["train-dsq-grpo-math-2ep"].optimizer_steps == 1250


def test_guard_rails_catch_bad_ids_benchmarks_and_memory(tmp_path):
    assert hub_id_problem("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B") is None
    assert "owner/name" in hub_id_problem("DeepSeek R1")
    arch, source = architecture("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
    assert source == "known" and 1.7e9 < arch.parameters < 1.8e9
    assert training_memory_gib(arch, 8 * 8192, gpus=8, zero_stage=3) < training_memory_gib(arch, 8 * 8192)
    raw = yaml.safe_load((PAPER / "observational.yaml").read_text())
    raw["steps"][0]["params"]["benchmarks"].append("gsm9k")
    with pytest.raises(Exception) as error:
        load_study(raw)
    assert "step 'evaluate': benchmarks[16].name: unknown benchmark 'gsm9k'" in str(error.value)
    raw["steps"][0]["params"]["benchmarks"].pop()
    raw["steps"][0]["params"]["models"] = [{"name": "x", "path": "not a hub id"}]
    with pytest.raises(Exception) as error:
        load_study(raw)
    assert "'not a hub id' is neither" in str(error.value)
    raw = yaml.safe_load((PAPER / "interventional.yaml").read_text())
    raw["resources"]["gpu_memory_gib"] = 16
    notes = [n for e in estimates(load_study(raw)) for n in e.notes]
    assert any("GiB are declared" in n for n in notes)


@pytest.mark.parametrize("name", ["observational", "interventional"])
@pytest.mark.slow
def test_paper_study_runs_end_to_end_on_tiny_stand_ins(tiny_model, tmp_path, name, monkeypatch):
    # the BigCodeBench fixture tasks need only the standard library: this interpreter stands in for
    # its execution environment (without one, every sample is a harness error and the step fails)
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", sys.executable)
    study = load_study(localize(PAPER / f"{name}.yaml", tiny_model, tmp_path))
    result = run_study(study, reports_root=tmp_path / "reports", run_id="tiny", progress=False)
    assert result.manifest["status"] == "done"
    records = pd.concat(pd.read_parquet(p) for p in (result.run_dir / "data" / "records").glob("*.parquet"))
    assert records["benchmark"].nunique() == 16
    figure = "fig2_id_ood" if name == "observational" else "fig4_single_domain"
    assert (result.run_dir / "figures" / f"{figure}.png").stat().st_size > 1000
    side = pd.read_csv(result.run_dir / "tables" / "reported_vs_reproduced.csv")  # the paper's numbers beside these
    assert len(side) >= 2 and side["reported"].notna().all() and side["reproduced"].notna().all()
    assert ("mean ID Δ over RPT models (pp)" if name == "observational" else
            "DeepSeek-R1-Distill-Qwen-1.5B + GRPO: ID Δ (pp)") in set(side["quantity"])
