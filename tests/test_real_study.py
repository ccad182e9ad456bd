"""The real-model study (params/smollm.yaml) in a reduced variant: the same steps, notebooks and
models (SmolLM2-135M-Instruct from its GGUF file), each set cut to a few items and each RL run to
one step, so the whole interventional path runs on a real model in a few minutes."""

import json

import pandas as pd
import pytest
import yaml

from rpt_core.study import load_study, run_study

SIZES = {"word_problems": {"test": 3, "train": 8}, "code_functions": {"test": 3, "train": 8, "test_share": 0.55},
         "capitals": {"test": 3, "train": 8, "test_share": 0.62}, "elements": {"test": 3, "train": 8, "test_share": 0.62}}


def reduced_study(tmp_path) -> dict:
    raw = yaml.safe_load(open("params/smollm.yaml"))
    raw["work_dir"] = str(tmp_path / "work")
    raw["params"].update(n_boot=50)   # its own threads and workers: GRPO runs two at a time on a core each
    for step in raw["steps"]:
        params = step.setdefault("params", {})
        if step["notebook"] == "realtasks":
            params.update(quiz_sizes={"train": 8, "test": 3}, sizes=SIZES)
        if step["notebook"] == "train":
            params["train"]["rl"] = {**params["train"]["rl"], "max_steps": 1, "prompts_per_step": 2,
                                     "num_generations": 4, "per_device_batch_size": 8, "max_completion_length": 16}
            params["train"]["save_steps"] = 1
        if step["notebook"] == "evaluate":
            params["benchmarks"] = [{**b, "repeats": 2} for b in params["benchmarks"]]
            params["sampling"] = {**params["sampling"], "max_new_tokens": 16}
    return raw


@pytest.mark.slow
def test_reduced_real_model_study_trains_three_domains_and_a_placebo_and_reads_the_matrix(model_cache, tmp_path):
    study = load_study(reduced_study(tmp_path))
    result = run_study(study, reports_root=tmp_path / "reports", progress=False)
    run = result.run_dir
    manifest = json.loads((run / "manifest.json").read_text())
    assert all(s["status"] == "done" for s in manifest["steps"]), manifest["steps"]
    records = pd.concat(pd.read_parquet(f) for f in (run / "data" / "records").glob("*.parquet"))
    assert set(records["model"]) == {"smollm2-135m", "smollm2-135m-math", "smollm2-135m-code",
                                     "smollm2-135m-knowledge", "smollm2-135m-placebo"}
    assert set(records["benchmark"]) == {"arith_quiz", "word_problems", "code_functions", "capitals", "elements"}
    assert set(records["domain"]) == {"math", "code", "knowledge"}
    matrix = pd.read_csv(run / "tables" / "transfer_matrix.csv")
    assert len(matrix) == 3  # three training domains (rows) x three evaluation domains (columns)
    adjusted = pd.read_csv(run / "data" / "placebo_adjusted.csv")
    assert set(adjusted["base"]) == {"smollm2-135m-placebo"} and len(adjusted) == 9
    conclusions = (run / "data" / "conclusions.md").read_text()
    assert conclusions.count("- RL on") == 9 and "beyond the placebo" in conclusions
    statements = pd.read_csv(run / "tables" / "transfer_statements.csv")
    assert set(statements["statement"]) == {"RL on math -> code", "RL on code -> math", "RL on math -> knowledge",
                                            "RL on code -> knowledge"}
    check = pd.read_csv(run / "tables" / "base_check.csv")
    assert list(check["model"].unique()) == ["smollm2-135m"] and len(check) == 5
