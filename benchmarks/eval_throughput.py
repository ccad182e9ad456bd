"""The demo's tiny-model evaluation, run by this checkout's code and by an earlier commit's, in one run.

Both run the same command (``rpt eval`` on the same params, items and published bases, each from an
empty cache, one after the other): the demo's evaluation settings (params/demo.yaml ``x-eval``: the
tiny world's nine test sets, 60 items per set, 4-8 samples per item, T 0.6, top-p 0.95, up to 64
new tokens, hf backend, batch 256, one thread) for the published bases tiny-s and tiny-m. The
earlier code is checked out into a temporary git worktree and imported from there. Prints each
one's wall time (process start to records written: imports, model loads, generation, grading),
samples per second, the ratio of the median wall times over ``--repeats`` interleaved runs (a
shared machine's slow spells move single runs by 10-20%), and pass@1 per domain of both (the draws
differ between the two decoders; the accuracies should agree within sampling noise).

    python benchmarks/eval_throughput.py [--baseline b690e56] [--models tiny-s tiny-m] [--threads 1] [--repeats 3]

The default baseline, b690e56, is the code before the hf decoder ran shared prompt prefixes once,
compacted finished rows and stopped at stop strings.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from rpt_core.tinyworld.world import ensure_world

ROOT = Path(__file__).resolve().parent.parent


DEMO = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())


def eval_params(work: Path, items_dir: Path, models: list[str], threads: int) -> dict:
    params = {k: v for k, v in DEMO["x-eval"].items() if k != "items_dir"}
    return {**params, "threads": threads, "items_dir": str(items_dir),
            "models": [{"name": m, "path": str(ROOT / "models" / "tinyworld" / m)} for m in models],
            "work_dir": str(work), "out_dir": str(work / "out")}


def run_eval(code: Path, work: Path, params: dict) -> tuple[float, pd.DataFrame]:
    """Wall seconds of ``rpt eval`` importing rpt_core from ``code``, and its summary."""
    work.mkdir(parents=True)
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rpt_core.cli", "eval", str(work / "params.yaml")], cwd=code, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, pd.read_csv(work / "out" / "summary.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="b690e56", help="the commit to compare against")
    parser.add_argument("--models", nargs="+", default=["tiny-s", "tiny-m"], help="published tiny-world bases")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the demo: 1 per step)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, interleaved; medians are compared")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rpt-eval-throughput-"))
    baseline = root / "baseline-code"
    subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.baseline], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        world_step = next(step for step in DEMO["steps"] if step["name"] == "world")
        ensure_world(root / "world", seed=0, sizes=world_step["params"]["world_sizes"])
        params = lambda label: eval_params(root / label, root / "world" / "test", args.models, args.threads)
        runs: dict[str, list[tuple[float, pd.DataFrame]]] = {"baseline": [], "current": []}
        for repeat in range(args.repeats):  # interleaved, so a slow spell of the machine hits both
            for label, code in (("baseline", baseline), ("current", ROOT)):
                runs[label].append(run_eval(code, root / f"{label}-{repeat}", params(f"{label}-{repeat}")))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, capture_output=True)
    medians = {}
    for label, results in runs.items():
        seconds = sorted(s for s, _ in results)
        medians[label] = statistics.median(seconds)
        summary = results[0][1]
        n = int(summary["n_samples"].sum())
        print(f"{label:8s} {args.baseline if label == 'baseline' else 'this checkout':>13s}: median "
              f"{medians[label]:6.1f} s of {len(seconds)} ({', '.join(f'{s:.1f}' for s in seconds)}), "
              f"{n} samples, {n / medians[label]:6.1f} samples/s")
        by_domain = summary.groupby(["model", "domain"])["pass@1"].mean().unstack().round(3)
        print(by_domain.to_string(), "\n")
    ratio = medians["baseline"] / medians["current"]
    print(f"evaluation throughput, this checkout / {args.baseline} (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
