"""A study on a real Slurm cluster (tests/slurm_cluster.py: slurmctld, slurmd and munge on this
machine): its evaluation as a 4-shard array job plus the dependent rpt run, one shard cancelled while
running and resubmitted, the merged records equal to a single-process run's (same keys, completions
and verdicts)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import WORDS, build_yes_world
from rpt_core.items import Item, write_items
from rpt_core.study import load_study, run_study

import slurm_cluster

pytestmark = pytest.mark.slow


def eval_study(root: Path, work: Path) -> dict:
    return {"study": "sharded", "description": "evaluation fanned out over Slurm", "work_dir": str(work),
            "params": {"seed": 0}, "workers": 1,
            "steps": [
                {"name": "evaluate", "notebook": "evaluate", "kind": "evaluate",
                 "params": {"models": [{"name": "tiny-base", "path": str(root / "base")}],
                            "benchmarks": [{"name": "yes_knowledge", "repeats": 4}, {"name": "yes_math", "repeats": 4}],
                            "items_dir": str(root / "items"), "batch_size": 4, "threads": 1,
                            # greedy: hf seeds a batch by its first sample, so at T > 0 a sample's text
                            # depends on the batch it fell in (vLLM seeds each sample; README)
                            "sampling": {"temperature": 0.0, "max_new_tokens": 8, "seed": 0}}},
                {"name": "base-check", "notebook": "base_check", "params": {"models": ["tiny-base"], "k": 4}},
            ]}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = slurm_cluster.missing()
    if why:
        pytest.skip(why)
    with slurm_cluster.local_cluster(tmp_path_factory.mktemp("slurm")) as env:
        yield env


def jobs(env, name):
    out = subprocess.run(["squeue", "--noheader", "--array", "--name", name, "--format", "%K|%T"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|") for line in out.split())


def wait(condition, what, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def rpt(env, *args):
    return subprocess.run([sys.executable, "-m", "rpt_core.cli", *args], env=env, capture_output=True, text=True)


def test_sharded_evaluation_on_slurm_survives_a_cancelled_shard_and_equals_one_process(cluster, tmp_path):
    root = tmp_path
    build_yes_world(root)
    items = [Item("yes_knowledge", str(i), [{"role": "user", "content": f"Question {i}: say yes."}], "label",
                  {"answer": "yes", "labels": WORDS}, "knowledge") for i in range(24)]
    write_items(root / "items" / "yes_knowledge.jsonl", items)
    write_items(root / "items" / "yes_math.jsonl", [Item("yes_math", i.id, i.messages, "label", i.reference, "math")
                                                    for i in items[:12]])
    (root / "local.yaml").write_text(yaml.safe_dump(eval_study(root, root / "work-local")))
    (root / "sharded.yaml").write_text(yaml.safe_dump(eval_study(root, root / "work-slurm")))
    local = run_study(load_study(root / "local.yaml"), reports_root=root / "reports-local", run_id="one", progress=False)
    reference = pd.read_parquet(local.run_dir / "data" / "records" / "tiny-base.parquet")

    env = {**cluster, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "HF_HUB_OFFLINE": "1"}
    study, reports = str(root / "sharded.yaml"), str(root / "reports-slurm")
    first = rpt(env, "submit", study, "--shards", "4", "--reports", reports, "--sbatch-arg=--cpus-per-task=1")
    assert first.returncode == 0, first.stderr
    assert "shards 0,1,2,3 of 4" in first.stdout and "after the shards" in first.stdout
    again = rpt(env, "submit", study, "--shards", "4", "--reports", reports)   # idempotent while queued
    assert "not submitted: evaluate: shards [0, 1, 2, 3] queued or running" in again.stdout, again.stdout
    assert "not submitted: run: job" in again.stdout

    name = "rpt-sharded-evaluate"
    array = first.stdout.split("array job ")[1].split(",")[0]
    wait(lambda: jobs(env, name).get("1") == "RUNNING", "shard 1 to start")
    subprocess.run(["scancel", "--signal", "KILL", "--full", f"{array}_1"], env=env, check=True)
    done_dir = root / "work-slurm" / "slurm" / "evaluate"
    wait(lambda: not jobs(env, name), "the other shards")
    assert sorted(p.name for p in done_dir.glob("*.json")) == [f"shard-{i}-of-4.json" for i in (0, 2, 3)]
    status = rpt(env, "submit", study, "--shards", "4", "--status").stdout
    shard_1 = next(line for line in status.splitlines() if " 1/4 " in f" {line} ")
    assert "done" not in shard_1 and ("failed" in shard_1 or "not submitted" in shard_1), status

    resubmitted = rpt(env, "submit", study, "--shards", "4", "--reports", reports)
    assert resubmitted.returncode == 0, resubmitted.stderr
    assert "shards 1 of 4" in resubmitted.stdout, resubmitted.stdout
    wait(lambda: not jobs(env, name) and not jobs(env, "rpt-sharded-run"), "the resubmitted jobs", timeout=600)
    markers = [json.loads(p.read_text()) for p in sorted(done_dir.glob("*.json"))]
    assert len(markers) == 4, rpt(env, "submit", study, "--shards", "4", "--status").stdout

    runs = list(Path(reports, "sharded").iterdir())
    assert len(runs) == 1 and json.loads((runs[0] / "manifest.json").read_text())["status"] == "done"
    merged = pd.read_parquet(runs[0] / "data" / "records" / "tiny-base.parquet")
    log = pd.read_csv(runs[0] / "data" / "generation_log_evaluate.csv")
    assert log["generated"].sum() == 0                  # the final run found every sample in the shared cache
    generations = (root / "work-slurm" / "cache" / "generations").glob("*.jsonl")
    cache_lines = sum(len(p.read_text().splitlines()) for p in generations)
    assert cache_lines == len(reference)                # no sample generated twice, cancelled shard included
    columns = ["key", "item_id", "sample_index", "completion", "correct", "reason"]
    pd.testing.assert_frame_equal(merged[columns].sort_values("key").reset_index(drop=True),
                                  reference[columns].sort_values("key").reset_index(drop=True))
