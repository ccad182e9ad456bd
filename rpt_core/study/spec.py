"""Study files: the schema of a study and its steps, and the templating that expands fan-outs.

A study is an ordered list of notebook steps. A study file (YAML)::

    study: demo                       # reports/<study>/<run-id>/
    description: one line for the index
    work_dir: runs/demo               # caches shared by every run: checkpoints, generations, world
    params: {seed: 0}                 # passed to every step that declares them (a step's own win)
    resources: {gpus: 8, gpu_memory_gib: 80, zero_stage: 2}   # declared hardware, for the estimates
    workers: 2                        # parallel steps run this many at a time (default 1)
    x-rl: &rl {...}                   # top-level keys starting with x- hold YAML anchors, ignored
    steps:
      - name: train-{domain}          # fan-out: one step per value, {domain} filled in everywhere
        notebook: train               # notebooks/train.ipynb
        foreach: {domain: [math, code, knowledge]}
        params: {name: "tiny-{domain}", train: {data: {sets: ["{work_dir}/world/train/{domain}.jsonl"]}}}
        parallel: train               # runs alongside the other steps of group "train" (see workers)
      - name: evaluate
        notebook: evaluate
        kind: evaluate                # see STEP_KINDS
        params: {...}

Independent steps may run at the same time: give them the same ``parallel: <group>`` name and
the study ``workers: N`` (default 1). Consecutive steps (after fan-out) of one group run N at a
time, each in its own kernel; the next step starts when the whole group is done, so a step never
runs alongside one it depends on. Give each parallel step a share of the cores (e.g.
``runtime.threads`` for training) so they do not contend.

A step declares its ``kind`` (:data:`STEP_KINDS`, default ``notebook``): an ``evaluate`` step's
params are an evaluation config (:class:`rpt_core.config.EvalConfig`), validated in full and passed
whole to its notebook; any other step gets the params its notebook declares.

Running a study is :mod:`rpt_core.study.run`; checking one before a long run (and what a dry run
prints) is :mod:`rpt_core.study.plan`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..config import ConfigError, EvalConfig, read_yaml, require

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks"
EVAL_FIELDS = {f.name for f in fields(EvalConfig)} - {"out_dir"}
STEP_KINDS = {"notebook": "params passed as the notebook declares them (the default)",
              "evaluate": "params are an evaluation config, validated in full and passed whole"}


@dataclass(frozen=True)
class Step:
    """One step of a study after fan-out: a notebook, the params injected into it, and its kind."""

    name: str
    notebook: str                        # name under notebooks/ (without .ipynb) or a path
    params: dict = field(default_factory=dict)
    parallel: str | None = None          # group name: runs at the same time as neighbours of the same group
    kind: str = "notebook"               # one of STEP_KINDS

    @property
    def notebook_path(self) -> Path:
        path = Path(self.notebook)
        return path if path.suffix == ".ipynb" else NOTEBOOKS_DIR / f"{self.notebook}.ipynb"


@dataclass(frozen=True)
class Study:
    """A validated study file: its steps in order, the shared params and the ``work_dir`` of its caches."""

    name: str
    steps: list[Step]
    work_dir: str
    params: dict = field(default_factory=dict)
    description: str = ""
    source: str = "<study>"
    resources: dict = field(default_factory=dict)
    workers: int = 1

    def resolved(self) -> dict:
        """The study as it will run: fan-outs expanded, templates filled. Hashing this gives the run-id
        (``workers`` is left out: how many steps run at once does not change what they compute)."""
        return {"study": self.name, "description": self.description, "work_dir": self.work_dir,
                "params": self.params, "steps": [asdict(step) for step in self.steps]}

    def groups(self) -> list[list[Step]]:
        """The steps in execution order, consecutive steps of the same ``parallel`` group together
        (each step alone when ``workers`` is 1)."""
        out: list[list[Step]] = []
        for step in self.steps:
            if self.workers > 1 and step.parallel and out and out[-1][0].parallel == step.parallel:
                out[-1].append(step)
            else:
                out.append([step])
        return out

    def params_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.resolved(), sort_keys=True, default=str).encode()).hexdigest()[:7]



def _fill(value: Any, names: dict[str, Any]) -> Any:
    """Replace ``{name}`` in every string of ``value`` (recursively); unknown names are left as they are.

    A string that is exactly one placeholder takes the value itself, so ``"{steps}"`` can be a list.
    """
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole.group(1) in names:
            return names[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]) if m.group(1) in names else m.group(0), value)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def read_study(path: str | Path | dict, overrides: dict | None = None, params: dict | None = None) -> Study:
    """Read and validate a study file against the schema (:func:`rpt_core.study.plan.load_study` adds
    the checks of what the steps name: models, benchmarks); fan-outs are expanded into one :class:`Step` per value.

    ``overrides`` replace top-level fields, ``params`` entries of the shared ``params``. Scalar shared
    params can be used as ``{name}`` templates in step params (like ``{work_dir}``), so one study file
    serves several settings: ``rpt run params/demo.yaml --set world_seed=1 --set bases_dir=...``."""
    source = "<study>" if isinstance(path, dict) else str(path)
    raw = dict(path) if isinstance(path, dict) else read_yaml(path)
    raw.update(overrides or {})
    if params:
        raw["params"] = {**(raw.get("params") or {}), **params}
    allowed = ("study", "description", "work_dir", "params", "steps", "resources", "workers")
    unknown = sorted(k for k in set(raw) - set(allowed) if not k.startswith("x-"))  # x-*: YAML anchors
    require(not unknown, source, ", ".join(unknown), f"unknown field(s); allowed: {', '.join(allowed)}")
    require(isinstance(raw.get("study"), str) and re.fullmatch(r"[\w.-]+", raw.get("study", "")) is not None,
           source, "study", "is required: a name of letters, digits, '.', '_' or '-'")
    work_dir = str(raw.get("work_dir") or f"runs/{raw['study']}")
    shared = raw.get("params") or {}
    require(isinstance(shared, dict), source, "params", "must be a mapping")
    require(isinstance(raw.get("steps"), list) and raw["steps"], source, "steps", "must be a non-empty list")

    steps: list[Step] = []
    for i, entry in enumerate(raw["steps"]):
        where = f"steps[{i}]"
        require(isinstance(entry, dict), source, where, "must be a mapping with name, notebook[, kind, params, foreach, parallel]")
        extra = sorted(set(entry) - {"name", "notebook", "kind", "params", "foreach", "parallel"})
        require(not extra, source, f"{where}.{extra[0] if extra else ''}",
               "unknown field; allowed: name, notebook, kind, params, foreach, parallel")
        kind = entry.get("kind", "notebook")
        require(isinstance(kind, str) and kind in STEP_KINDS, source, f"{where}.kind",
               f"unknown step kind {kind!r}; allowed: {', '.join(STEP_KINDS)}")
        require(entry.get("parallel") is None or isinstance(entry["parallel"], str), source, f"{where}.parallel",
               "must be a group name: consecutive steps of the same group run at the same time")
        for key in ("name", "notebook"):
            require(isinstance(entry.get(key), str) and entry[key], source, f"{where}.{key}", "is required (a string)")
        foreach = entry.get("foreach") or {}
        require(isinstance(foreach, dict) and all(isinstance(v, list) and v for v in foreach.values()), source,
               f"{where}.foreach", "must map names to non-empty lists, e.g. {domain: [math, code]}")
        params = entry.get("params") or {}
        require(isinstance(params, dict), source, f"{where}.params", "must be a mapping")
        for combo in itertools.product(*foreach.values()) if foreach else [()]:
            names = {**{k: v for k, v in shared.items() if isinstance(v, (str, int, float))}, "work_dir": work_dir,
                     **dict(zip(foreach, combo))}
            step = Step(_fill(entry["name"], names), entry["notebook"], _fill(params, names), entry.get("parallel"), kind)
            require(step.notebook_path.exists(), source, f"{where}.notebook",
                   f"{step.notebook_path} does not exist; available: {', '.join(sorted(available_notebooks()))}")
            steps.append(step)
    names = [s.name for s in steps]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    require(not duplicates, source, "steps", f"step names must be unique after fan-out; repeated: {duplicates}")
    for step in steps:
        check_step_params(step, source)
    resources = raw.get("resources") or {}
    require(isinstance(resources, dict) and set(resources) <= {"gpus", "gpu_memory_gib", "zero_stage"}, source,
           "resources", "must be a mapping with gpus, gpu_memory_gib, zero_stage")
    workers = raw.get("workers", 1)
    require(isinstance(workers, int) and not isinstance(workers, bool) and workers >= 1, source, "workers",
           f"must be a positive integer (steps run at once), got {workers!r}")
    return Study(raw["study"], steps, work_dir, _fill(shared, {"work_dir": work_dir}), raw.get("description", ""),
                 source, resources, workers)


def available_notebooks() -> list[str]:
    return [p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")]


def notebook_parameters(notebook: Path) -> dict[str, Any]:
    """Names and default values (as source text) of a notebook's ``parameters`` cell (papermill's own
    inspection)."""
    return dict(_inspect(str(notebook), Path(notebook).stat().st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _inspect(notebook: str, mtime_ns: int) -> tuple:
    import papermill

    return tuple((name, info["default"]) for name, info in papermill.inspect_notebook(notebook).items())


def is_eval_step(step: Step) -> bool:
    """An evaluation step: one the study declares ``kind: evaluate``."""
    return step.kind == "evaluate"


def eval_config(study: Study, step: Step, run_dir: str | Path = "<run_dir>"):
    """The validated :class:`rpt_core.config.EvalConfig` of an evaluation step: the study's shared
    params its notebook declares, then the step's own. Raises ConfigError naming the step and field."""
    from ..config import load_eval_config

    params = {**{k: v for k, v in study.params.items() if k in EVAL_FIELDS}, **step.params}
    return load_eval_config({**params, "work_dir": study.work_dir, "out_dir": str(Path(run_dir) / "data")},
                            source=f"{study.source}: step {step.name!r}")


def check_step_params(step: Step, source: str) -> None:
    """Every param must be a parameter of the step's notebook, and the step's kind must match its
    notebook (an ``evaluate`` step's notebook takes every evaluation config field, and a notebook that
    does is declared ``evaluate``); training params are validated in full (evaluation params are, by
    :func:`eval_config`, once the study is built)."""
    known = notebook_parameters(step.notebook_path)
    takes_eval_config = EVAL_FIELDS <= set(known)
    require(takes_eval_config or step.kind != "evaluate", source, f"step {step.name!r}: kind",
           f"evaluate, but {step.notebook_path.name} does not declare every evaluation config field; "
           f"missing: {', '.join(sorted(EVAL_FIELDS - set(known)))}")
    require(not takes_eval_config or step.kind == "evaluate", source, f"step {step.name!r}: kind",
           f"{step.notebook_path.name} takes an evaluation config: declare the step 'kind: evaluate'")
    unknown = sorted(set(step.params) - set(known))
    require(not unknown, source, f"step {step.name!r}: params.{unknown[0] if unknown else ''}",
           f"not a parameter of {step.notebook_path.name}; allowed: {', '.join(sorted(set(known) - {'run_dir', 'work_dir', 'step'}))}")
    if isinstance(step.params.get("train"), dict) and step.params["train"]:
        from ..config import load_train_config

        load_train_config({"out_dir": "<checked>", **step.params["train"]}, source=f"{source}: step {step.name!r}: train")


__all__ = ["Study", "Step", "STEP_KINDS", "read_study", "eval_config", "is_eval_step", "notebook_parameters",
           "available_notebooks", "NOTEBOOKS_DIR", "ConfigError"]
