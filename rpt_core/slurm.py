"""A study on a Slurm cluster: ``rpt submit STUDY --shards N``.

Each evaluation step of the study becomes an array job of ``N`` shard tasks. Task ``i`` runs
``rpt shard STUDY STEP i/N``: the step's evaluation config (:func:`rpt_core.study.eval_config`)
restricted to the engine's deterministic shard ``i`` of ``N`` (:class:`rpt_core.evaluate.Plan`),
generating into the study's shared generation cache (``<work_dir>/cache``). Then one job, held until
every shard task succeeded (``--dependency=afterok``), runs ``rpt run STUDY``: its evaluation steps
find every sample cached and only grade, and the analysis steps run as on one machine, so the
records are those of a single-process run (same cache keys, same verdicts).

Bookkeeping lives in ``<work_dir>/slurm/<step>/``:

* ``shard-<i>-of-<N>.json``: written when a shard finished (its sample counts). A finished shard is
  never submitted again; ``rpt submit`` twice submits nothing new while the first jobs are queued
  or running (it asks ``squeue`` by job name), so submitting is idempotent.
* ``.shard-<i>-of-<N>.json.lock``: held (:func:`rpt_core.atomic.locked`) while a shard runs, so
  the same shard started twice (a resubmission racing a slow cancel) generates once; the second
  waits and finds it done.
* ``logs/<job name>-<array job>_<i>.out``: each task's output; :func:`status` names a failed
  shard (not done, not queued, a log) with the last line of its log.

After a shard was cancelled or failed, ``rpt submit`` again resubmits only the shards without a
``.json`` and replaces the analysis job whose dependency can no longer be met. Samples the cancelled
task had already generated are in the cache (every line is appended under a lock, a torn last line
is skipped and generated again), so only the missing samples are generated.

Tested against a real single-node cluster (slurmctld, slurmd, munge) started by
``tests/slurm_cluster.py``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import locked
from .study.spec import Study, eval_config, is_eval_step


def job_name(study: Study, step: str) -> str:
    return f"rpt-{study.name}-{step}"


def shard_dir(study: Study, step: str) -> Path:
    return Path(study.work_dir) / "slurm" / step


def marker(study: Study, step: str, index: int, count: int) -> Path:
    return shard_dir(study, step) / f"shard-{index}-of-{count}.json"


def eval_steps(study: Study) -> list:
    return [s for s in study.steps if is_eval_step(s)]


# ------------------------------------------------------------------------------------ one shard

def run_shard(study: Study, step_name: str, index: int, count: int, workers: int = 2) -> dict:
    """Run shard ``index`` of ``count`` of evaluation step ``step_name`` into the shared generation
    cache and write its marker; a shard already done returns its marker's contents. Raises
    ``ValueError`` for an unknown or non-evaluation step or a bad shard."""
    from dataclasses import replace

    from .evaluate import run_eval

    step = next((s for s in study.steps if s.name == step_name), None)
    if step is None or not is_eval_step(step):
        raise ValueError(f"no evaluation step {step_name!r}; evaluation steps: "
                         f"{', '.join(s.name for s in eval_steps(study)) or 'none'}")
    if not 0 <= index < count:
        raise ValueError(f"shard {index}/{count}: index must be in 0..{count - 1}")
    done = marker(study, step_name, index, count)
    done.parent.mkdir(parents=True, exist_ok=True)
    with locked(done):   # a POSIX record lock, as the generation cache's: NFS forwards it
        if done.exists():
            return json.loads(done.read_text())
        config = replace(eval_config(study, step, done.parent), shard=(index, count))
        started = time.perf_counter()
        result = run_eval(config, workers=workers)
        log = result.log
        summary = {"step": step_name, "shard": f"{index}/{count}", "samples": int(log["samples"].sum()),
                   "generated": int(log["generated"].sum()), "from_cache": int(log["from cache"].sum()),
                   "seconds": round(time.perf_counter() - started, 1)}
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
        tmp.replace(done)
    return summary


# ------------------------------------------------------------------------------------ the queue

def _queued(names: list[str], squeue: str = "squeue") -> dict[str, list[dict]]:
    """``{job name: [{"id", "task", "state", "reason"}]}`` of this user's queued or running jobs."""
    out = subprocess.run([squeue, "--noheader", "--me", "--array", "--name", ",".join(names),
                          "--format", "%j|%A|%K|%T|%r"], capture_output=True, text=True, check=True).stdout
    jobs: dict[str, list[dict]] = {n: [] for n in names}
    for line in out.splitlines():
        name, job, task, state, reason = line.strip().split("|")
        jobs.setdefault(name, []).append({"id": job, "task": task, "state": state, "reason": reason})
    return jobs


@dataclass
class Submission:
    """What :func:`submit` did: ``arrays`` ``{step: (job id, [shard indices])}`` of new array jobs,
    ``analysis`` the id of the new ``rpt run`` job (or ``None``), ``skipped`` why nothing was
    submitted where nothing was, and ``commands`` every sbatch command line (also in a dry run)."""

    arrays: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    analysis: str | None = None
    skipped: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)


def submit(study: Study, study_file: str, shards: int, sbatch_args: tuple[str, ...] = (), reports: str = "reports",
           python: str = sys.executable, sbatch: str = "sbatch", squeue: str = "squeue", scancel: str = "scancel",
           dry_run: bool = False) -> Submission:
    """Submit what is missing of ``study`` (see the module docstring): for each evaluation step the
    shards neither done nor queued, then the ``rpt run`` job after all of them. ``sbatch_args`` go on
    every sbatch command (partition, account, time, GPUs); ``python`` runs ``rpt_core.cli``."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    steps = eval_steps(study)
    if not steps:
        raise ValueError(f"{study.source}: no evaluation step to fan out")
    rpt = [python, "-m", "rpt_core.cli"]
    names = [job_name(study, s.name) for s in steps] + [job_name(study, "run")]
    queued = {} if dry_run else _queued(names, squeue)
    result = Submission()
    waits_on = []
    for step in steps:
        name = job_name(study, step.name)
        (shard_dir(study, step.name) / "logs").mkdir(parents=True, exist_ok=True)
        in_queue = {int(j["task"]) for j in queued.get(name, []) if j["task"].isdigit()}
        waits_on += sorted({j["id"] for j in queued.get(name, [])})
        todo = [i for i in range(shards) if not marker(study, step.name, i, shards).exists() and i not in in_queue]
        if not todo:
            result.skipped.append(f"{step.name}: " + ("every shard done" if not in_queue else
                                                      f"shards {sorted(in_queue)} queued or running"))
            continue
        command = [sbatch, "--parsable", "--job-name", name, "--array", ",".join(map(str, todo)),
                   "--output", str(shard_dir(study, step.name) / "logs" / "%x-%A_%a.out"), *sbatch_args,
                   "--wrap", shlex.join([*rpt, "shard", study_file, step.name]) + f' "$SLURM_ARRAY_TASK_ID/{shards}"']
        result.commands.append(command)
        if not dry_run:
            job = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().split(";")[0]
            result.arrays[step.name] = (job, todo)
            waits_on.append(job)
    run_name = job_name(study, "run")
    pending_run = queued.get(run_name, [])
    # a waiting analysis job is replaced when its dependency can no longer be met (a shard was
    # cancelled or failed) or when new shards were submitted that it does not wait for
    superseded = [j["id"] for j in pending_run if j["state"] == "PENDING"
                  and ("DependencyNeverSatisfied" in j["reason"] or result.arrays)]
    if superseded:
        subprocess.run([scancel, *superseded], check=True)
    elif pending_run:
        result.skipped.append(f"run: job {pending_run[0]['id']} already {pending_run[0]['state'].lower()}")
        return result
    command = [sbatch, "--parsable", "--job-name", run_name, "--output",
               str(Path(study.work_dir) / "slurm" / "logs" / "%x-%j.out"), *sbatch_args,
               *(["--dependency", "afterok:" + ":".join(waits_on)] if waits_on else []),
               "--wrap", shlex.join([*rpt, "run", study_file, "--reports", reports])]
    (Path(study.work_dir) / "slurm" / "logs").mkdir(parents=True, exist_ok=True)
    result.commands.append(command)
    if not dry_run:
        result.analysis = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().split(";")[0]
    return result


def status(study: Study, shards: int, squeue: str = "squeue") -> list[dict]:
    """One row per evaluation step and shard: ``state`` done / queued / running / failed / not
    submitted, and for a failed shard the last line of its log (``why``)."""
    steps = eval_steps(study)
    queued = _queued([job_name(study, s.name) for s in steps], squeue)
    rows = []
    for step in steps:
        by_task = {int(j["task"]): j for j in queued.get(job_name(study, step.name), []) if j["task"].isdigit()}
        for i in range(shards):
            done = marker(study, step.name, i, shards)
            logs = sorted((shard_dir(study, step.name) / "logs").glob(f"*_{i}.out"), key=lambda p: p.stat().st_mtime)
            row = {"step": step.name, "shard": f"{i}/{shards}", "state": "not submitted", "why": ""}
            if done.exists():
                row.update(state="done", why=f"{json.loads(done.read_text())['generated']} generated")
            elif i in by_task:
                row.update(state=by_task[i]["state"].lower(), why=by_task[i]["reason"])
            elif logs:
                lines = [line for line in logs[-1].read_text(errors="replace").splitlines() if line.strip()]
                row.update(state="failed", why=(lines[-1] if lines else "empty log") + f" ({logs[-1]})")
            rows.append(row)
    return rows


__all__ = ["submit", "status", "run_shard", "Submission", "marker", "job_name"]
