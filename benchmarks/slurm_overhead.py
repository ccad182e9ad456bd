"""The Slurm path's overhead against a local run of the same evaluation, both measured in one run.

The evaluation is the demo's (params/demo.yaml): its three evaluation steps (the two tiny-world
bases, then every RL model and checkpoint in two halves), on the world and training runs of a finished demo run (``--from``, default runs/demo: run ``make demo`` first),
each path from an empty generation cache:

* local: ``rpt run`` of that study on this machine (two steps at a time, one core each, as the demo);
* Slurm: ``rpt submit --shards N`` of the same study to a one-node cluster on this machine
  (tests/slurm_cluster.py: slurmctld, slurmd, munge; root needed), each shard task one CPU, then the
  dependent ``rpt run``, which finds every sample cached, grades and analyses.

Prints both wall times (submit to the last job's end for Slurm), their ratio, and the Slurm jobs'
own run times, so the overhead splits into scheduling and the work the two paths do differently.

    python benchmarks/slurm_overhead.py [--shards 2] [--from runs/demo]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import slurm_cluster  # noqa: E402

EVAL_STEPS = ("evaluate-bases", "evaluate-s", "evaluate-m")


def evaluation_study(work_dir: Path) -> dict:
    demo = yaml.safe_load(Path("params/demo.yaml").read_text())
    steps = [{**s, "parallel": "evaluate"} for s in demo["steps"] if s["name"] in EVAL_STEPS]
    return {**{k: v for k, v in demo.items() if not k.startswith("x-")}, "study": "demo-evaluation",
            "description": "the demo's evaluation, on a finished demo run's world and training runs",
            "work_dir": str(work_dir), "steps": steps}


def prepared(root: Path, name: str, source: Path) -> Path:
    """A study file whose work dir holds ``source``'s world and training runs, no generations."""
    work = root / f"work-{name}"
    for part in ("world", "train"):
        shutil.copytree(source / part, work / part)
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(evaluation_study(work), sort_keys=False))
    return path


def rpt(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rpt_core.cli", *args], env=env, capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--from", dest="source", default="runs/demo", help="a finished demo run's work dir")
    args = parser.parse_args()
    source = Path(args.source)
    if not (source / "train").is_dir() or not (source / "world").is_dir():
        sys.exit(f"{source}: no world/ and train/ of a finished demo run; run `make demo` first")
    why = slurm_cluster.missing()
    if why:
        sys.exit(f"no local Slurm cluster: {why}")
    root = Path(tempfile.mkdtemp(prefix="rpt-slurm-overhead-"))
    local, sharded = prepared(root, "local", source), prepared(root, "slurm", source)

    started = time.perf_counter()
    done = rpt("run", str(local), "--reports", str(root / "reports-local"))
    local_s = time.perf_counter() - started
    if done.returncode:
        sys.exit(done.stderr[-2000:])

    with slurm_cluster.local_cluster(root / "cluster") as env:
        started = time.perf_counter()
        done = rpt("submit", str(sharded), "--shards", str(args.shards), "--reports", str(root / "reports-slurm"),
                   "--sbatch-arg=--cpus-per-task=1", env=env)
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        while subprocess.run(["squeue", "--noheader", "--me"], env=env, capture_output=True, text=True).stdout.strip():
            time.sleep(0.5)
        slurm_s = time.perf_counter() - started
    manifests = list((root / "reports-slurm" / "demo-evaluation").glob("*/manifest.json"))
    if not manifests:
        sys.exit(f"the Slurm path did not finish; see {root}/work-slurm/slurm/")
    shards = {str(m.relative_to(root / "work-slurm" / "slurm")): json.loads(m.read_text())["seconds"]
              for m in sorted((root / "work-slurm" / "slurm").glob("*/shard-*.json"))}
    final = json.loads(manifests[0].read_text())["steps"]
    print(f"the demo's evaluation ({', '.join(EVAL_STEPS)}), cold generation cache, this machine:")
    print(f"  local rpt run                          {local_s:7.1f} s")
    print(f"  rpt submit --shards {args.shards} + dependent run  {slurm_s:7.1f} s   "
          f"({slurm_s / local_s:.2f}x local, overhead {slurm_s - local_s:+.1f} s)")
    print("  shard tasks (run time inside the job): " + ", ".join(f"{k} {v:.1f} s" for k, v in shards.items()))
    steps = ", ".join(f"{step['name']} {step['seconds']:.1f} s" for step in final)
    print(f"  dependent rpt run: {sum(step['seconds'] for step in final):.1f} s of steps ({steps})")


if __name__ == "__main__":
    main()
