"""A study re-run with nothing changed, against the cold run, in one process.

Runs the study twice into a fresh work dir and reports root: cold (empty caches: training,
generation, everything executed), then again unchanged (every step's outputs reused,
rpt_core.reuse). Prints both wall times and the ratio; the target for the demo is <= 0.1x.

    python benchmarks/cached_rerun.py [--study params/demo.yaml] [--root /tmp/cached-rerun]

``--root`` keeps the two runs (reports under <root>/reports, caches under <root>/work), so the cold
run can serve as a fresh reference report.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rpt_core.study import load_study, run_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default="params/demo.yaml")
    parser.add_argument("--root", help="keep the runs here (default: a temporary folder, removed after)")
    args = parser.parse_args()
    root = Path(args.root or tempfile.mkdtemp(prefix="cached-rerun-"))
    if (root / "work").exists():
        sys.exit(f"{root / 'work'} exists: the cold run needs empty caches; pass another --root")
    study = load_study(args.study, {"work_dir": str(root / "work")})
    times = {}
    try:
        for label in ("cold", "unchanged"):
            started = time.perf_counter()
            result = run_study(study, reports_root=root / "reports", progress=True)
            times[label] = time.perf_counter() - started
            reused = sum(1 for s in result.manifest["steps"] if s.get("reused_from"))
            print(f"{label}: {times[label]:.1f} s, {reused}/{len(result.manifest['steps'])} steps reused "
                  f"({result.run_dir})", flush=True)
    finally:
        if not args.root:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\n{args.study}: cold {times['cold']:.1f} s, unchanged re-run {times['unchanged']:.1f} s, "
          f"re-run / cold = {times['unchanged'] / times['cold']:.3f}x (target <= 0.1x)")


if __name__ == "__main__":
    main()
