"""Checking a study before a long run and the dry run: guard rails on what the steps name, cost
estimates per step (:mod:`rpt_core.estimate`) and what each evaluation can detect (power).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ..config import EvalConfig, require
from .spec import Study, Step, eval_config, is_eval_step, read_study


def load_study(path: str | Path | dict, overrides: dict | None = None, params: dict | None = None) -> Study:
    """Read and validate a study file (:func:`rpt_core.study.spec.read_study`), then check what its
    steps name (:func:`check_study`). Raises ConfigError naming the file and field."""
    study = read_study(path, overrides, params)
    problems = check_study(study)
    require(not problems, study.source, "steps", "; ".join(problems))
    return study


def _embedded_benchmarks() -> dict[str, tuple[str, int, int]]:
    """(domain, items, repeats) of the benchmarks a study writes itself (the declared embedded sets) at their
    default sizes: known before the step that writes them has run."""
    from ..tasks import EMBEDDED

    return {name: (task.domain, task.size, task.repeats) for name, task in EMBEDDED.items()}


def benchmark_shapes(config: EvalConfig) -> dict[str, tuple[str | None, int | None, int]]:
    """(domain, items, repeats) per benchmark of an evaluation config; items ``None`` where not known yet."""
    from ..suite import items_file
    from ..tasks import BENCHMARKS

    embedded = _embedded_benchmarks()
    shapes = {}
    for choice in config.benchmarks:
        name = choice.name
        file = items_file(name, config.items_dir)
        if name in BENCHMARKS:
            domain, n, repeats = BENCHMARKS[name].domain, BENCHMARKS[name].size, BENCHMARKS[name].repeats
        elif file is not None:
            lines = [line for line in file.read_text().splitlines() if line.strip()]
            domain, n, repeats = (json.loads(lines[0])["domain"] if lines else None), len(lines), 1
        elif name in embedded:  # written by an earlier step of the study: its default size
            domain, n, repeats = embedded[name]
        else:
            domain, n, repeats = None, None, 1
        if n is not None and choice.limit:
            n = min(n, choice.limit)
        shapes[name] = (domain, n, choice.repeats or repeats)
    return shapes


def power_line(config: EvalConfig, base_accuracy: float = 0.5, alpha: float = 0.05, power: float = 0.8) -> str | None:
    """What an evaluation step can detect: the minimum detectable Δ (pp) per domain and over all its
    benchmarks (:func:`rpt_core.stats.aggregation.minimum_detectable_delta`); ``None`` when no size is known."""
    from ..stats.aggregation import minimum_detectable_delta

    shapes = [(d, n, r) for d, n, r in benchmark_shapes(config).values() if n]
    if not shapes:
        return None
    groups = {d: [(n, r) for dd, n, r in shapes if dd == d] for d in dict.fromkeys(d for d, _, _ in shapes)}
    groups["all"] = [(n, r) for _, n, r in shapes]
    parts = [f"{d} {minimum_detectable_delta(g, base_accuracy, alpha, power):.1f} pp "
             f"({sum(n for n, _ in g):,} items)" for d, g in groups.items()]
    return (f"power: minimum detectable Δ at {power:.0%} power, alpha {alpha:g} (base at {base_accuracy:.0%}): "
            + "; ".join(parts))


def check_study(study: Study) -> list[str]:
    """Guard rails before a long run: every evaluation step's config valid, model ids well-formed,
    benchmarks known or written by the study."""
    from ..evaluate import models_to_evaluate
    from ..modelref import hub_id_problem
    from ..suite import items_file
    from ..tasks import BENCHMARKS

    embedded = _embedded_benchmarks()
    problems = []
    for step in study.steps:
        paths = []
        train = step.params.get("train")
        if isinstance(train, dict) and isinstance(train.get("model"), dict):
            paths.append(train["model"].get("path", ""))
        if is_eval_step(step):
            config = eval_config(study, step)
            paths += [m.path for m in models_to_evaluate(config)]
            for choice in config.benchmarks:
                if choice.name not in BENCHMARKS and choice.name not in embedded and items_file(choice.name, config.items_dir) is None:
                    problems.append(f"step {step.name!r}: unknown benchmark {choice.name!r}; allowed: "
                                    f"{', '.join([*BENCHMARKS, *embedded])} or a <name>.jsonl in items_dir")
        for path in paths:
            problem = hub_id_problem(path)
            if problem and not path.startswith(study.work_dir):   # models made by earlier steps
                problems.append(f"step {step.name!r}: model {problem}")
    return problems


def environment_warnings(study: Study, step: Step | None = None) -> list[str]:
    """Warnings for evaluation steps (all, or ``step``) with a benchmark whose execution environment
    is not built (:func:`rpt_core.evaluate.missing_environments`); shown by ``--dry-run`` and
    ``rpt validate``, and at run time such samples are harness errors that fail the step."""
    from ..evaluate import missing_environments

    chosen = [s for s in study.steps if is_eval_step(s) and (step is None or s is step)]
    return [f"step {s.name!r}: {w}" for s in chosen for w in missing_environments(eval_config(study, s))]


def estimates(study: Study) -> list:
    """Per-step cost estimates (:mod:`rpt_core.estimate`): generations, tokens, steps, memory, GPU-hours."""
    from ..config import EvalModel, load_train_config
    from ..estimate import Estimate, estimate_eval, estimate_train

    gpus = int(study.resources.get("gpus", 1))
    memory = float(study.resources.get("gpu_memory_gib", 80))
    zero = int(study.resources.get("zero_stage", 0))
    out = []
    evaluable: dict[str, int] = {}   # training run -> checkpoints + final model
    for step in study.steps:
        params = {**study.params, **step.params}
        if isinstance(params.get("train"), dict) and params["train"]:
            config = load_train_config({"out_dir": "<estimate>", **params["train"]})
            files = [Path(s) for s in config.data.sets if s.endswith(".jsonl")]
            if files and all(f.exists() for f in files):
                n = sum(min(config.data.size or 10**9, sum(1 for _ in f.open())) for f in files)
            else:
                n = (config.data.size or (40_000 if len(config.data.sets) == 1 else 13_333)) * len(config.data.sets)
            out.append(estimate_train(step.name, config, n, gpus, memory, zero))
            evaluable[params.get("name", step.name)] = out[-1].optimizer_steps // config.save_steps + 1
        elif is_eval_step(step):
            from ..evaluate import models_to_evaluate

            config = eval_config(study, step)
            sizes = {name: None if n is None else n * r for name, (_, n, r) in benchmark_shapes(config).items()}
            known = {b: n for b, n in sizes.items() if n is not None}
            models = models_to_evaluate(config, checkpoints=False) + [
                EvalModel(f"{study.work_dir}/train/{run}", f"{run} (x{evaluable.get(run, 1)} checkpoints)")
                for run in config.checkpoints_of]
            step_estimates = estimate_eval(step.name, config, models, known, memory)
            for est, model in zip(step_estimates, models):
                copies = evaluable.get(model.path.rsplit("/", 1)[-1], 1) if model.path.startswith(study.work_dir) else 1
                est.generations, est.max_tokens = est.generations * copies, est.max_tokens * copies
                est.gpu_hours = est.gpu_hours * copies if est.gpu_hours is not None else None
                if len(known) < len(sizes):
                    est.notes.append(f"not counted (size unknown until loaded): {', '.join(b for b in sizes if b not in known)}")
            out += step_estimates
        else:
            out.append(Estimate(step.name, "cpu"))
    for est in out:  # models that earlier steps of this study produce have no size yet: not worth a note
        est.notes = [n for n in est.notes if not (n.startswith("parameter count of") and study.work_dir in n)]
    return out


def plan(study: Study) -> str:
    """The study as text: each step with its notebook, parameters and cost estimate (``--dry-run``)."""
    lines = [f"study {study.name}: {len(study.steps)} steps; work_dir {study.work_dir}"]
    if study.description:
        lines.append(f"  {study.description}")
    if study.resources:
        lines.append(f"  resources: {study.resources}")
    costs = estimates(study)
    by_step: dict[str, list] = {}
    for est in costs:
        by_step.setdefault(est.step.split(":")[0], []).append(est)
    for i, step in enumerate(study.steps, 1):
        lines.append(f"{i:>3}. {step.name}  [{step.notebook_path.name}]")
        lines += [f"       {line}" for line in yaml.safe_dump(step.params, sort_keys=False, width=100).splitlines()
                  if step.params]
        for est in by_step.get(step.name, []):
            if est.kind != "cpu":
                label = est.step.split(":", 1)[1].strip() if ":" in est.step else ""
                lines.append(f"     = {label + ': ' if label else ''}{est.line()}")
        power = power_line(eval_config(study, step)) if is_eval_step(step) else None
        if power:
            lines.append(f"     = {power}")
        lines += [f"     ! warning: {w}" for w in environment_warnings(study, step)]
    total = [e for e in costs if e.gpu_hours is not None]
    lines.append(f"total: {sum(e.generations for e in total):,} generations, <= {sum(e.max_tokens for e in total) / 1e6:,.1f} M "
                 f"tokens, {sum(e.optimizer_steps for e in total):,} optimizer steps, ~{sum(e.gpu_hours for e in total):,.1f} GPU-hours")
    return "\n".join(lines)


__all__ = ["load_study", "check_study", "environment_warnings", "estimates", "plan", "power_line", "benchmark_shapes"]
