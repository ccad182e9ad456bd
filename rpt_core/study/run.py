"""Running a study: each step executed by papermill into a versioned run folder, unchanged steps
reused, a heartbeat line per running step.

``rpt run STUDY`` executes the steps in order into ``reports/<study>/<run-id>/`` (run-id: UTC time
plus a short hash of the resolved study): ``notebooks/`` (the executed copies), ``figures/``,
``tables/``, ``data/``, ``manifest.json``, ``README.md`` and ``index.html`` (:mod:`rpt_core.report`), and lists the run in
``reports/index``; no other run's folder is touched.
Every step receives ``run_dir``, ``work_dir`` and ``step`` besides its params. Re-runs are
incremental at two levels: a step whose notebook, parameters, code and inputs are unchanged is not
executed at all, its outputs are copied from the run that made them (:mod:`rpt_core.reuse`); and a
step that does run finds training and generation cached under ``work_dir``, so a rerun after a
crash or a parameter change redoes only what changed. A failing cell or a dead kernel marks the step failed in the
manifest, keeps everything produced so far, skips the remaining steps and raises :class:`StepFailed`
naming the step, the cell and the error.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..layout import read_key_numbers, record_key_numbers
from ..manifest import read_manifest, utc_now, write_manifest
from ..notebook import inside_study
from .spec import Step, Study, eval_config, is_eval_step, notebook_parameters

RUN_FOLDERS = ("notebooks", "figures", "tables", "data")


class StepFailed(RuntimeError):
    """A study step failed; the message names the step, the cell and the error."""


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
    """Execute every step of ``study`` into ``reports_root/<study>/<run-id>/``, write its README and
    page and list it in the index (:func:`rpt_core.report.write_run`).

    A step (or group of parallel steps) whose key is unchanged since an earlier run is not executed:
    its outputs are copied from that run (:mod:`rpt_core.reuse`) and its manifest entry says
    ``reused_from``; steps named in ``force`` always run. With ``progress``, a line per running step
    is printed every ``heartbeat_s`` seconds (default: 10 on a terminal, 60 otherwise) with the
    elapsed time, the cell and the step's latest progress bar (:class:`Heartbeat`). ``command`` is
    recorded in the manifest as the way to reproduce the run.

    Raises :class:`StepFailed` after recording the failure (the manifest and index are written first).
    """
    import papermill

    from ..report_index import write_run
    from ..reuse import StepStore, code_version, snapshot, step_key, written

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
    write_run(run_dir)
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


__all__ = ["StepFailed", "RunResult", "Heartbeat", "run_study", "new_run_id", "step_parameters", "RUN_FOLDERS"]
