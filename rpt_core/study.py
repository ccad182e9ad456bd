"""Studies: an ordered list of notebook steps, executed by papermill into a versioned report folder.

A study file (YAML)::

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
        params: {...}

Independent steps may run at the same time: give them the same ``parallel: <group>`` name and
the study ``workers: N`` (default 1). Consecutive steps (after fan-out) of one group run N at a
time, each in its own kernel; the next step starts when the whole group is done, so a step never
runs alongside one it depends on. Give each parallel step a share of the cores (e.g.
``runtime.threads`` for training) so they do not contend.

``rpt run STUDY`` executes the steps in order into ``reports/<study>/<run-id>/`` (run-id: UTC time
plus a short hash of the resolved study): ``notebooks/`` (the executed copies), ``figures/``,
``tables/``, ``data/``, ``manifest.json`` and ``README.md``; then it refreshes ``reports/index``.
Every step receives ``run_dir``, ``work_dir`` and ``step`` besides its params. Re-runs are
incremental at two levels: a step whose notebook, parameters, code and inputs are unchanged is not
executed at all, its outputs are copied from the run that made them (:mod:`rpt_core.reuse`); and a
step that does run finds training and generation cached under ``work_dir``, so a rerun after a
crash or a parameter change redoes only what changed. A failing cell or a dead kernel marks the step failed in the
manifest, keeps everything produced so far, skips the remaining steps and raises :class:`StepFailed`
naming the step, the cell and the error.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from .config import ConfigError, EvalConfig, read_yaml, require
from .manifest import read_manifest, utc_now, write_manifest
from .notebook import inside_study

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
EVAL_FIELDS = {f.name for f in fields(EvalConfig)} - {"out_dir"}
RUN_FOLDERS = ("notebooks", "figures", "tables", "data")
KEY_NUMBERS = "data/key_numbers.json"


class StepFailed(RuntimeError):
    """A study step failed; the message names the step, the cell and the error."""


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str                        # name under notebooks/ (without .ipynb) or a path
    params: dict = field(default_factory=dict)
    parallel: str | None = None          # group name: runs at the same time as neighbours of the same group

    @property
    def notebook_path(self) -> Path:
        path = Path(self.notebook)
        return path if path.suffix == ".ipynb" else NOTEBOOKS_DIR / f"{self.notebook}.ipynb"


@dataclass(frozen=True)
class Study:
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


# --------------------------------------------------------------------------------------- loading

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


def load_study(path: str | Path | dict, overrides: dict | None = None, params: dict | None = None) -> Study:
    """Read and validate a study file; fan-outs are expanded into one :class:`Step` per value.

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
        require(isinstance(entry, dict), source, where, "must be a mapping with name, notebook[, params, foreach, parallel]")
        extra = sorted(set(entry) - {"name", "notebook", "params", "foreach", "parallel"})
        require(not extra, source, f"{where}.{extra[0] if extra else ''}",
               "unknown field; allowed: name, notebook, params, foreach, parallel")
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
            step = Step(_fill(entry["name"], names), entry["notebook"], _fill(params, names), entry.get("parallel"))
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
    study = Study(raw["study"], steps, work_dir, _fill(shared, {"work_dir": work_dir}), raw.get("description", ""),
                  source, resources, workers)
    problems = check_study(study)
    require(not problems, source, "steps", "; ".join(problems))
    return study


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
    """An evaluation step: its notebook's parameters are the fields of an evaluation config
    (:class:`rpt_core.config.EvalConfig`, less ``out_dir``, which the step sets to ``<run_dir>/data``)."""
    return EVAL_FIELDS <= set(notebook_parameters(step.notebook_path))


def eval_config(study: Study, step: Step, run_dir: str | Path = "<run_dir>"):
    """The validated :class:`rpt_core.config.EvalConfig` of an evaluation step: the study's shared
    params its notebook declares, then the step's own. Raises ConfigError naming the step and field."""
    from .config import load_eval_config

    params = {**{k: v for k, v in study.params.items() if k in EVAL_FIELDS}, **step.params}
    return load_eval_config({**params, "work_dir": study.work_dir, "out_dir": str(Path(run_dir) / "data")},
                            source=f"{study.source}: step {step.name!r}")


def check_step_params(step: Step, source: str) -> None:
    """Every param must be a parameter of the step's notebook; training params are validated in full
    (evaluation params are, by :func:`eval_config`, once the study is built)."""
    known = notebook_parameters(step.notebook_path)
    unknown = sorted(set(step.params) - set(known))
    require(not unknown, source, f"step {step.name!r}: params.{unknown[0] if unknown else ''}",
           f"not a parameter of {step.notebook_path.name}; allowed: {', '.join(sorted(set(known) - {'run_dir', 'work_dir', 'step'}))}")
    if isinstance(step.params.get("train"), dict) and step.params["train"]:
        from .config import load_train_config

        load_train_config({"out_dir": "<checked>", **step.params["train"]}, source=f"{source}: step {step.name!r}: train")


# --------------------------------------------------------------------------------------- running

def new_run_id(study: Study, now: datetime | None = None) -> str:
    """``<UTC time>-<7 hex of the resolved study>``, e.g. ``20261126T051752Z-3f2a9c1``."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{study.params_hash()}"


@dataclass
class RunResult:
    run_dir: Path
    manifest: dict


def step_parameters(study: Study, step: Step, run_dir: Path) -> dict[str, Any]:
    """What papermill injects: the shared params the notebook declares, then the step's own params,
    then ``run_dir``, ``work_dir`` and ``step``. An evaluation step gets every field of its validated
    config, so no notebook default (meant for running it alone) leaks into a study."""
    if is_eval_step(step):
        params = {k: v for k, v in eval_config(study, step, run_dir).to_params().items() if k != "out_dir"}
    else:
        declared = notebook_parameters(step.notebook_path)
        params = {**{k: v for k, v in study.params.items() if k in declared}, **step.params}
    return {**params, "run_dir": str(run_dir), "work_dir": study.work_dir, "step": step.name}


def run_study(study: Study, reports_root: str | Path = "reports", run_id: str | None = None,
              kernel: str = "python3", progress: bool = True, seeds: dict | None = None,
              force: tuple[str, ...] = (), command: str | None = None, heartbeat_s: float | None = None) -> RunResult:
    """Execute every step of ``study`` into ``reports_root/<study>/<run-id>/`` and refresh the index.

    A step (or group of parallel steps) whose key is unchanged since an earlier run is not executed:
    its outputs are copied from that run (:mod:`rpt_core.reuse`) and its manifest entry says
    ``reused_from``; steps named in ``force`` always run. With ``progress``, a line per running step
    is printed every ``heartbeat_s`` seconds (default: 10 on a terminal, 60 otherwise) with the
    elapsed time, the cell and the step's latest progress bar (:class:`Heartbeat`). ``command`` is
    recorded in the manifest as the way to reproduce the run.

    Raises :class:`StepFailed` after recording the failure (the manifest and index are written first).
    """
    import papermill

    from .reuse import StepStore, code_version, snapshot, step_key, written
    from .site import refresh

    unknown = sorted(set(force) - {s.name for s in study.steps})
    if unknown:
        raise ValueError(f"--force {', '.join(unknown)}: no such step; steps: {', '.join(s.name for s in study.steps)}")
    run_dir = Path(reports_root) / study.name / (run_id or new_run_id(study))
    for folder in RUN_FOLDERS:
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    Path(study.work_dir).mkdir(parents=True, exist_ok=True)
    steps = [{"name": s.name, "notebook": f"notebooks/{s.name}.ipynb", "source": str(s.notebook_path),
              "status": "pending", "started_at": None, "seconds": None, "error": None, "cell": None}
             for s in study.steps]
    manifest = {"kind": "study", "study": study.name, "run_id": run_dir.name, "status": "running",
                "started_at": utc_now(), "finished_at": None, "study_file": study.source,
                "command": command or f"rpt run {study.source}", "params": study.resolved(),
                "seeds": seeds or {k: v for k, v in study.params.items() if "seed" in k}, "workers": study.workers,
                "steps": steps, "key_numbers": {}}
    write_manifest(run_dir, **manifest)
    entries = {s.name: entry for s, entry in zip(study.steps, steps)}
    lock = threading.Lock()
    store, code = StepStore(study.work_dir), code_version()
    heartbeat = Heartbeat(study.name, run_dir, heartbeat_s) if progress else None

    def say(message: str) -> None:
        if progress:
            print(f"[{study.name} {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def execute(step: Step) -> StepFailed | None:
        entry = entries[step.name]
        say(f"step {step.name} ({step.notebook_path.name}) started")
        started = time.perf_counter()
        entry["started_at"] = utc_now()
        if heartbeat:
            heartbeat.start(step.name, run_dir / entry["notebook"])
        failed = None
        try:
            papermill.execute_notebook(str(step.notebook_path), str(run_dir / entry["notebook"]),
                                       parameters=step_parameters(study, step, run_dir), kernel_name=kernel,
                                       progress_bar=False, cwd=str(Path.cwd()), log_output=False,
                                       autosave_cell_every=5)
            entry["status"] = "done"
        except Exception as exc:  # a failing cell, a dead kernel, a missing kernel: all fail the step
            entry.update(status="failed", **describe_failure(exc, run_dir / entry["notebook"]))
            failed = StepFailed(f"study {study.name!r}, step {step.name!r} failed"
                                + (f" at cell {entry['cell']}" if entry["cell"] is not None else "")
                                + f": {entry['error']} (executed notebook: {run_dir / entry['notebook']})")
        finally:
            if heartbeat:
                heartbeat.stop(step.name)
        entry["seconds"] = round(time.perf_counter() - started, 1)
        say(f"step {step.name} {entry['status']} in {entry['seconds']} s")
        with lock:
            write_manifest(run_dir, **manifest)
        return failed

    failure, upstream = None, []
    with inside_study(run_dir.name):   # analysis notebooks then read only this run's records
        for group in study.groups():
            keys = [step_key(s.notebook_path, step_parameters(study, s, run_dir), code, upstream, study.work_dir) for s in group]
            upstream = upstream + keys
            if failure:
                for step in group:
                    entries[step.name]["status"] = "skipped"
                continue
            stored = [None if s.name in force else store.get(k) for s, k in zip(group, keys)]
            if all(stored):
                stored[0].restore(run_dir)   # a group's steps share one record of what the group wrote
                record_key_numbers(run_dir, **stored[0].key_numbers)
                for step, previous in zip(group, stored):
                    entries[step.name].update(status="done", started_at=utc_now(), seconds=0.0,
                                              reused_from=previous.run_id, original_seconds=previous.seconds)
                    say(f"step {step.name} unchanged: outputs reused from run {previous.run_id}")
                write_manifest(run_dir, **manifest)
                continue
            before, numbers, started = snapshot(run_dir), read_key_numbers(run_dir), time.perf_counter()
            if len(group) == 1:
                failure = execute(group[0])
            else:
                with ThreadPoolExecutor(max_workers=min(study.workers, len(group))) as pool:  # a failure lets the
                    outcomes = list(pool.map(execute, group))                                  # group finish
                failure = next((o for o in outcomes if o), None)
            if not failure:
                files = written(before, snapshot(run_dir))
                recorded = {k: v for k, v in read_key_numbers(run_dir).items() if numbers.get(k) != v}
                for key in keys:
                    store.put(key, run_dir, files, recorded, round(time.perf_counter() - started, 1))
    if heartbeat:
        heartbeat.close()
    manifest.update(status="failed" if failure else "done", finished_at=utc_now(), key_numbers=read_key_numbers(run_dir))
    write_manifest(run_dir, **manifest)
    refresh(reports_root)
    if failure:
        raise failure
    return RunResult(run_dir, read_manifest(run_dir))


class Heartbeat:
    """Prints, every ``interval`` seconds, one line per running step: elapsed time, the cell being
    executed and the last line of its output (a tqdm bar of training, generation or grading shows
    its count, rate and ETA). It reads the executed notebook papermill keeps saving (every 5 s while
    output arrives). Plain lines with timestamps, so logs under Slurm (no terminal) read the same."""

    def __init__(self, study: str, run_dir: Path, interval: float | None = None):
        import sys

        self.study, self.run_dir = study, run_dir
        self.interval = interval or (10.0 if sys.stdout.isatty() else 60.0)
        self.running: dict[str, tuple[float, Path]] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def start(self, step: str, notebook: Path) -> None:
        with self.lock:
            self.running[step] = (time.perf_counter(), notebook)

    def stop(self, step: str) -> None:
        with self.lock:
            self.running.pop(step, None)

    def close(self) -> None:
        self.done.set()

    def _loop(self) -> None:
        while not self.done.wait(self.interval):
            with self.lock:
                running = dict(self.running)
            for step, (started, notebook) in running.items():
                print(f"[{self.study} {time.strftime('%H:%M:%S')}] {step}: running {format_elapsed(time.perf_counter() - started)}"
                      f"{notebook_progress(notebook)}", flush=True)


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def notebook_progress(notebook: Path) -> str:
    """``", cell i/n: <last output line>"`` of the cell papermill marks running in a notebook being
    executed (a tqdm bar with its bar graphic dropped); empty when it cannot be read yet."""
    try:
        cells = [c for c in json.loads(notebook.read_text())["cells"] if c.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError):
        return ""
    index = next((i for i, c in enumerate(cells) if c.get("metadata", {}).get("papermill", {}).get("status") == "running"), None)
    if index is None:
        return ""
    text = "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", []))
                   for o in cells[index].get("outputs", []) if o.get("output_type") == "stream")
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)   # tqdm's cursor moves between nested bars
    lines = [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]
    last = re.sub(r"\|[^|]*\|", "", lines[-1]).strip() if lines else ""
    return f", cell {index + 1}/{len(cells)}" + (f": {last[:150]}" if last else "")


def describe_failure(exc: Exception, executed: Path) -> dict[str, Any]:
    """``{"error": "<Name>: <message>", "cell": index | None}`` for papermill's and the kernel's errors."""
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        return {"error": f"{exc.ename}: {exc.evalue}", "cell": _failed_cell(executed, exc.exec_count)}
    return {"error": f"{name}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
            "cell": _failed_cell(executed, None)}


def _failed_cell(executed: Path, exec_count: int | None) -> int | None:
    """Index of the failing code cell in the executed notebook (papermill marks it), if it can be found."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        if exec_count is not None and cell.get("execution_count") == exec_count:
            return index
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
    return None


def record_key_numbers(run_dir: str | Path, **numbers: Any) -> dict:
    """Merge ``numbers`` into the run's key numbers (shown in the index); called from notebooks, also
    by steps running in parallel (the read-merge-write holds the file's lock). Keys stay sorted, so
    the file does not depend on which step finished first."""
    from .atomic import locked, write_atomic

    path = Path(run_dir) / KEY_NUMBERS
    with locked(path):
        merged = {**read_key_numbers(run_dir), **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in numbers.items()}}
        write_atomic(path, json.dumps(dict(sorted(merged.items())), indent=2, default=str))
    return merged


def read_key_numbers(run_dir: str | Path) -> dict:
    path = Path(run_dir) / KEY_NUMBERS
    return json.loads(path.read_text()) if path.exists() else {}


def _embedded_benchmarks() -> dict[str, tuple[str, int, int]]:
    """(domain, items, repeats) of the benchmarks a study writes itself (the declared embedded sets) at their
    default sizes: known before the step that writes them has run."""
    from .tasks import EMBEDDED

    return {name: (task.domain, task.size, task.repeats) for name, task in EMBEDDED.items()}


def benchmark_shapes(config: EvalConfig) -> dict[str, tuple[str | None, int | None, int]]:
    """(domain, items, repeats) per benchmark of an evaluation config; items ``None`` where not known yet."""
    from .suite import items_file
    from .tasks import BENCHMARKS

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
    from .stats.aggregation import minimum_detectable_delta

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
    from .modelref import hub_id_problem
    from .evaluate import models_to_evaluate
    from .suite import items_file
    from .tasks import BENCHMARKS

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
    from .evaluate import missing_environments

    chosen = [s for s in study.steps if is_eval_step(s) and (step is None or s is step)]
    return [f"step {s.name!r}: {w}" for s in chosen for w in missing_environments(eval_config(study, s))]


def estimates(study: Study) -> list:
    """Per-step cost estimates (:mod:`rpt_core.estimate`): generations, tokens, steps, memory, GPU-hours."""
    from .config import EvalModel, load_train_config
    from .estimate import Estimate, estimate_eval, estimate_train

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
            from .evaluate import models_to_evaluate

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


__all__ = ["Study", "Step", "StepFailed", "RunResult", "Heartbeat", "load_study", "run_study", "new_run_id", "plan", "estimates",
           "check_study", "environment_warnings",
           "record_key_numbers", "read_key_numbers", "notebook_parameters", "ConfigError"]
