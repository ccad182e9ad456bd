"""The rpt command line.

    rpt verify [FILE]              verify JSON lines {kind, completion, reference[, id]}
    rpt list benchmarks|training   the benchmark and training-set registries
    rpt eval PARAMS [--shard i/n]  evaluate models on benchmarks (cached, resumable)
    rpt regrade RECORDS            re-verify stored generations of stale benchmark versions, report changes
    rpt check-data [BENCHMARK...]  load benchmarks, compare sizes, run the reference solutions upstream ships
    rpt train PARAMS               RLVR training (GRPO, DAPO, Dr. GRPO); resumes from its last checkpoint
    rpt run STUDY [--dry-run]      execute a study's notebooks with papermill into reports/<study>/<run-id>/
    rpt run STUDY --force STEP     ... executing STEP even when its inputs are unchanged (others are reused)
    rpt validate FILE...           check study, training, evaluation or registry files without running them
    rpt compare RUN_A RUN_B        two runs side by side: what changed, key numbers, accuracies, conclusions
    rpt submit STUDY [--shards N]  the study on Slurm: evaluation shards as array jobs, then rpt run after them
    rpt shard STUDY STEP i/n       one shard of an evaluation step (what the array tasks run)
    rpt report [--rewrite]         reports/index.{md,html}, and the README and page of runs lacking them (all: --rewrite)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import IO, Iterator

from .rewards import VERSION, VerifierInputError, verify


def _verify_line(line: str) -> dict:
    """One JSON line in, one verdict dict out; malformed input becomes an ``error`` verdict."""
    row: dict = {}
    try:
        parsed = json.loads(line)
        if not isinstance(parsed, dict):
            raise VerifierInputError("each line must be a JSON object with kind, completion, reference")
        row = parsed
        missing = [k for k in ("kind", "completion", "reference") if k not in row]
        if missing:
            raise VerifierInputError(f"missing field(s) {missing}; each line needs kind, completion, reference")
        out = verify(row["kind"], row["completion"], row["reference"]).to_dict()
    except (json.JSONDecodeError, VerifierInputError, KeyError, TypeError, ValueError) as exc:
        out = {"correct": False, "extracted": None, "reason": "error", "verifier": f"rpt@{VERSION}",
               "detail": f"{type(exc).__name__}: {exc}"}
    if "id" in row:
        out = {"id": row["id"], **out}
    return out


def _lines(stream: IO[str]) -> Iterator[str]:
    return (line for line in stream if line.strip())


def cmd_verify(args: argparse.Namespace) -> int:
    stream = sys.stdin if args.input in (None, "-") else open(args.input)
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for verdict in pool.map(_verify_line, _lines(stream)):
            sys.stdout.write(json.dumps(verdict, default=str) + "\n")
    sys.stdout.flush()
    return 0


def _print_table(rows: list[dict]) -> None:
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in rows:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths)))


def cmd_check_data(args: argparse.Namespace) -> int:
    from .tasks import BENCHMARKS
    from .tasks.check import check_benchmark

    names = args.benchmarks or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"rpt check-data: error: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    checks = []
    for name in names:
        check = check_benchmark(name, data_dir=args.data_dir, solutions=not args.no_solutions, workers=args.workers)
        checks.append(check)
        print(f"{name}: {check.status}", file=sys.stderr)
    _print_table([c.row() for c in checks])
    for check in checks:
        for line in check.notes + [f"reference solution failed: {f}" for f in check.failures]:
            print(f"{check.benchmark}: {line}")
    return 0 if all(c.status == "ok" for c in checks) else 1


def cmd_list(args: argparse.Namespace) -> int:
    from .tasks import TRAINING_SETS, list_benchmarks

    if args.what == "benchmarks":
        rows = list_benchmarks()
    else:
        rows = [{"name": s.name, "domain": s.domain, "hub_id": s.source.path, "split": s.split, "size": s.size,
                 "verifiers": ",".join(s.verifier_kinds)} for s in TRAINING_SETS.values() if s.source.kind == "hub"]
    _print_table(rows)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import load_eval_config
    from .evaluate import run_eval
    from .manifest import write_manifest
    from .process import set_threads

    started = time.time()
    config = load_eval_config(args.params, {"shard": args.shard} if args.shard else {})
    set_threads(config.threads)
    result = run_eval(config, workers=args.workers)
    index, count = config.shard
    out = Path(config.out_dir)
    result.summary.to_csv(out / f"summary{'' if count == 1 else f'.shard-{index}-of-{count}'}.csv", index=False)
    write_manifest(out, kind="eval", params=str(args.params), config=asdict(config),
                   models=result.log.to_dict("records"), records=len(result.records),
                   seconds=round(time.time() - started, 1))
    print(result.summary.to_string(index=False))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .config import load_train_config
    from .process import set_threads
    from .train import train

    overrides = {"rl": {"max_steps": args.max_steps}} if args.max_steps else {}
    if args.out_dir:
        overrides["out_dir"] = args.out_dir
    config = load_train_config(args.params, overrides)
    set_threads(config.runtime.threads)
    result = train(config)
    print(f"trained {result.manifest['steps']} steps; final model: {result.final_model}; "
          f"log: {result.out_dir / 'train_log.csv'}")
    return 0


def cmd_regrade(args: argparse.Namespace) -> int:
    import pandas as pd

    from .records import regrade, stale, write_records
    from .suite import load_suite

    records = pd.read_parquet(args.records)
    todo = records if args.all else records[stale(records)]
    items, _ = load_suite(sorted(todo["benchmark"].unique()), data_dir=args.data_dir, items_dir=args.items_dir)
    lookup = {f"{i.benchmark}/{i.id}": i for group in items.values() for i in group}
    new, changed = regrade(records, lookup, workers=args.workers, only_stale=not args.all)
    write_records(new, args.out or args.records)
    print(f"regraded {len(todo)} of {len(new)} records ({'all' if args.all else 'stale versions only'}); "
          f"{len(changed)} verdicts changed")
    if len(changed):
        print(changed.to_string(index=False))
    return 0


def _settings(items: list[str] | None) -> dict:
    """``--set NAME=VALUE`` options as a mapping of YAML values."""
    import yaml

    settings = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set {item!r}: expected NAME=VALUE (a shared param of the study)")
        settings[key] = yaml.safe_load(value)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from .study import StepFailed, load_study, plan, run_study

    import yaml

    overrides = {k: v for k, v in (("workers", args.workers), ("work_dir", args.work_dir)) if v}
    study = load_study(args.study, overrides, _settings(args.set))
    if args.dry_run:
        print(plan(study))
        return 0
    if args.print_step:
        from .study.run import step_parameters

        step = next((s for s in study.steps if s.name == args.print_step), None)
        if step is None:
            print(f"rpt run: error: no step {args.print_step!r}; steps: {', '.join(s.name for s in study.steps)}",
                  file=sys.stderr)
            return 2
        run_dir = f"{args.reports}/{study.name}/{args.run_id or '<run-id>'}"
        print(yaml.safe_dump(step_parameters(study, step, run_dir), sort_keys=False), end="")
        return 0
    started = time.perf_counter()
    try:
        result = run_study(study, reports_root=args.reports, run_id=args.run_id, force=tuple(args.force or ()),
                           command=" ".join(["rpt", *map(shlex.quote, sys.argv[1:])]) if sys.argv[1:2] == ["run"] else None)
    except StepFailed as exc:
        print(f"rpt run: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:   # --force naming no step
        print(f"rpt run: error: {exc}", file=sys.stderr)
        return 2
    steps = result.manifest["steps"]
    width = max(len(s["name"]) for s in steps)
    print(f"\n{study.name}: {result.run_dir}")
    for s in steps:
        reused = f"  (reused from {s['reused_from']})" if s.get("reused_from") else ""
        print(f"  {s['name']:<{width}}  {s['status']:<7} {s['seconds']:>7.1f} s{reused}")
    print(f"  {'total (wall)':<{width}}          {time.perf_counter() - started:>7.1f} s")
    return 0


def _warnings(lines: list[str]) -> str:
    return "".join(f"\n    warning: {line}" for line in lines)


def validate_file(path: str) -> str:
    """Validate one params file of any kind; returns what it is. Raises ConfigError when it is bad."""
    from .config import ConfigError, read_yaml, load_eval_config, load_train_config
    from .models import load_registry
    from .study import load_study

    raw = read_yaml(path)
    if "steps" in raw:
        from .study import environment_warnings

        study = load_study(path)
        return f"study {study.name!r}: {len(study.steps)} steps" + _warnings(environment_warnings(study))
    if "models" in raw and "benchmarks" not in raw:
        return f"model registry: {len(load_registry(path))} models"
    if "benchmarks" in raw:
        from .evaluate import missing_environments

        config = load_eval_config(path)
        return f"evaluation params: {len(config.benchmarks)} benchmarks" + _warnings(missing_environments(config))
    if "data" in raw:
        config = load_train_config(path)
        return f"training params: {config.algorithm} on {', '.join(config.data.sets)}"
    if "numbers" in raw:
        from .stats.reproduction import load_reported

        try:
            return f"reported numbers: {len(load_reported(path)['numbers'])} entries"
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    raise ConfigError(f"{path}: not a study (steps), registry (models), evaluation (benchmarks), training "
                      "(data) or reported-numbers (numbers) params file")


def cmd_validate(args: argparse.Namespace) -> int:
    from .config import ConfigError

    failed = 0
    for path in args.files:
        try:
            print(f"ok  {path}: {validate_file(path)}")
        except ConfigError as exc:
            failed += 1
            print(f"bad {exc}", file=sys.stderr)
    return 1 if failed else 0


def _study_for(args: argparse.Namespace):
    from .study import load_study

    return load_study(args.study, {"work_dir": args.work_dir} if args.work_dir else None)


def cmd_submit(args: argparse.Namespace) -> int:
    from . import slurm

    study = _study_for(args)
    if args.status:
        _print_table(slurm.status(study, args.shards))
        return 0
    done = slurm.submit(study, args.study, args.shards, tuple(args.sbatch_arg or ()), reports=args.reports,
                        dry_run=args.dry_run)
    for command in done.commands if args.dry_run else ():
        print(shlex.join(command))
    for step, (job, shards) in done.arrays.items():
        print(f"{step}: array job {job}, shards {','.join(map(str, shards))} of {args.shards}")
    for reason in done.skipped:
        print(f"not submitted: {reason}")
    if done.analysis:
        print(f"rpt run: job {done.analysis} (after the shards)")
    return 0


def cmd_shard(args: argparse.Namespace) -> int:
    from . import slurm

    index, _, count = args.shard.partition("/")
    if not (index.isdigit() and count.isdigit()):
        raise ValueError(f"shard {args.shard!r}: expected i/n, e.g. 0/4")
    summary = slurm.run_shard(_study_for(args), args.step, int(index), int(count), workers=args.workers)
    print(json.dumps(summary))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_runs

    try:
        text = compare_runs(args.run_a, args.run_b)
    except ValueError as exc:
        print(f"rpt compare: error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        from .atomic import write_atomic

        write_atomic(args.out, text)
    print(text, end="")
    return 0


def cmd_launch(args: argparse.Namespace) -> int:
    from .launch import launches
    from .study import load_study

    overrides = {"work_dir": args.work_dir} if args.work_dir else {}
    study = load_study(args.study, overrides, _settings(args.set))
    try:
        found = launches(study, processes=args.processes, steps=args.step, port=args.port)
    except ValueError as exc:
        print(f"rpt launch: error: {exc}", file=sys.stderr)
        return 2
    if not found:
        print(f"rpt launch: {study.name} has no training steps", file=sys.stderr)
        return 2
    for launch in found:
        print(f"# {launch.step} (params: {launch.params_file})")
        print("\n".join(launch.commands))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report_index import refresh

    index_md, index_html = refresh(args.reports, rewrite=args.rewrite)
    print(f"wrote {index_md} and {index_html}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpt", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify", help="verify JSON lines {kind, completion, reference[, id]}")
    p.add_argument("input", nargs="?", help="JSONL file (default: stdin)")
    p.add_argument("--workers", type=int, default=8, help="parallel verifications (default 8)")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("list", help="list registries")
    p.add_argument("what", choices=["benchmarks", "training"])
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("eval", help="evaluate models on benchmarks from a params file")
    p.add_argument("params")
    p.add_argument("--shard", help="i/n: run only this machine's part of the plan")
    p.add_argument("--workers", type=int, default=8, help="parallel verifications (default 8)")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("regrade", help="re-verify stored records whose benchmark or verifier version is stale, "
                                       "without generating")
    p.add_argument("records")
    p.add_argument("--all", action="store_true", help="re-verify every record, not only stale ones")
    p.add_argument("--data-dir", help="local benchmark data (as for rpt eval)")
    p.add_argument("--items-dir", help="folder of <benchmark>.jsonl item files (benchmarks outside the registry)")
    p.add_argument("--out", help="write the regraded records here (default: in place)")
    p.add_argument("--workers", type=int, default=8)
    p.set_defaults(func=cmd_regrade)
    p = sub.add_parser("check-data", help="load benchmarks, compare their sizes with the registry and run the "
                                          "reference solutions upstream ships (exit 1 on any problem)")
    p.add_argument("benchmarks", nargs="*", help="registry names (default: all 16)")
    p.add_argument("--data-dir", help="local benchmark data (as for rpt eval; default $RPT_DATA_DIR, else the hub)")
    p.add_argument("--no-solutions", action="store_true", help="only load and count")
    p.add_argument("--workers", type=int, default=8, help="parallel verifications (default 8)")
    p.set_defaults(func=cmd_check_data)
    p = sub.add_parser("train", help="RLVR training from a params file (resumes an interrupted run)")
    p.add_argument("params")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--out-dir", help="override out_dir of the params file")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("run", help="execute a study (params/<study>.yaml) into reports/<study>/<run-id>/")
    p.add_argument("study")
    p.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    p.add_argument("--reports", default="reports", help="reports root (default: reports)")
    p.add_argument("--run-id", help="use this run-id instead of <UTC time>-<params hash>")
    p.add_argument("--workers", type=int, help="run this many parallel steps at once (default: the study's workers)")
    p.add_argument("--work-dir", help="caches of this run (training runs, generations) go here instead of the study's work_dir")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="set a shared param of the study (YAML value; repeatable), e.g. --set world_seed=1")
    p.add_argument("--force", action="append", metavar="STEP",
                   help="execute this step even if its notebook, parameters, code and inputs are unchanged (repeatable)")
    p.add_argument("--print-step", metavar="NAME",
                   help="print one step's resolved parameters as YAML (for papermill -f, e.g. per shard) and stop")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("submit", help="a study on Slurm: its evaluation steps as array jobs of shards, then "
                                      "rpt run after them (idempotent; resubmits only what is missing)")
    p.add_argument("study")
    p.add_argument("--shards", type=int, default=4, help="shard tasks per evaluation step (default 4)")
    p.add_argument("--sbatch-arg", action="append", metavar="ARG",
                   help="passed to every sbatch call (repeatable), e.g. --sbatch-arg=--partition=gpu")
    p.add_argument("--reports", default="reports", help="reports root of the final rpt run (default: reports)")
    p.add_argument("--work-dir", help="as for rpt run (must be on a filesystem every node sees)")
    p.add_argument("--dry-run", action="store_true", help="print the sbatch commands and stop")
    p.add_argument("--status", action="store_true", help="each shard: done, queued, running or failed (and why)")
    p.set_defaults(func=cmd_submit)
    p = sub.add_parser("launch", help="a study's training steps as accelerate launch commands (and trl vllm-serve "
                                      "for TRL's server mode), each with its resolved params file")
    p.add_argument("study")
    p.add_argument("--step", action="append", help="only this training step (repeatable; default: every one)")
    p.add_argument("--processes", type=int, default=2, help="training processes (GPUs, or CPU processes) per step")
    p.add_argument("--port", type=int, help="the main process's port (default: accelerate's)")
    p.add_argument("--work-dir", help="as for rpt run")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="as for rpt run")
    p.set_defaults(func=cmd_launch)
    p = sub.add_parser("shard", help="one shard of a study's evaluation step into the shared generation cache "
                                     "(what rpt submit's array tasks run)")
    p.add_argument("study")
    p.add_argument("step")
    p.add_argument("shard", help="i/n")
    p.add_argument("--work-dir", help="as for rpt run")
    p.add_argument("--workers", type=int, default=2, help="parallel verifications (default 2)")
    p.set_defaults(func=cmd_shard)
    p = sub.add_parser("validate", help="check params files (study, training, evaluation, registry)")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("compare", help="two runs side by side: what changed, key numbers, accuracies, conclusions")
    p.add_argument("run_a", help="a run folder, e.g. reports/demo/<run-id> (the reference)")
    p.add_argument("run_b", help="another run folder (yours)")
    p.add_argument("--out", help="also write the Markdown here")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("report", help="write reports/index.{md,html}, and the README and page of runs lacking them")
    p.add_argument("--reports", default="reports")
    p.add_argument("--rewrite", action="store_true",
                   help="render every run's README, page and notebook pages again (the committed references too)")
    p.set_defaults(func=cmd_report)
    return parser


def _user_errors() -> tuple[type[Exception], ...]:
    """What a user can fix from the message alone: shown as one line, exit status 2. Anything else
    (a ``KeyError`` from a bug included) keeps its traceback."""
    from .tasks.readers import BenchmarkUnavailable
    from .config import ConfigError
    from .errors import UnknownName
    from .evaluate import HarnessErrors
    from .modelref import ModelReferenceError
    from .tasks.environment import EnvironmentMissing

    return ConfigError, UnknownName, ModelReferenceError, BenchmarkUnavailable, EnvironmentMissing, HarnessErrors


def main(argv: list[str] | None = None) -> int:
    from .process import prepare

    prepare()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _user_errors() as exc:
        print(f"rpt {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
