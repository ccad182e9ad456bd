"""Launch commands for a study's training steps on the field's engines: ``rpt launch STUDY``.

``rpt run`` runs a study on one machine. Beyond it, training goes to ``accelerate launch`` (TRL's
launcher; DeepSpeed on GPUs, gloo on CPUs) and, for TRL's server mode, ``trl vllm-serve``. The
commands are rendered from the study spec itself, so nothing is copied by hand:

* each training step's params, resolved as the train notebook resolves them (``out_dir``
  ``<work_dir>/train/<name>``, so ``rpt run`` later finds the finished run and reuses it), are
  written to ``<work_dir>/launch/<step>.yaml``;
* its command: ``accelerate launch <launcher flags> -m rpt_core.cli train <that file>``. On CPUs
  (``runtime.device: cpu``) the flags start ``N`` processes that talk over gloo; on GPUs they name
  a config of ``params/accelerate/`` (one GPU, DeepSpeed ZeRO-2 on one node, or the vLLM-server
  layout) and the process count;
* with ``runtime.generation: vllm_server``, first the ``trl vllm-serve`` command for the base model.

Evaluation steps need no launcher: ``rpt submit`` shards them over a Slurm cluster
(:mod:`rpt_core.slurm`), and vLLM's tensor/data parallel inside a node come from the step's params
(``tensor_parallel_size``, ``data_parallel_size``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from .atomic import write_atomic
from .config import load_train_config
from .study.spec import Study, Step

ACCELERATE_CONFIGS = Path(__file__).resolve().parent.parent / "params" / "accelerate"


@dataclass(frozen=True)
class Launch:
    step: str
    params_file: Path
    commands: list[str]     # run in order; a server command ends with " &"


def is_train_step(step: Step) -> bool:
    return isinstance(step.params.get("train"), dict) and bool(step.params["train"])


def train_params(study: Study, step: Step) -> dict:
    """The training params a study's train step runs with (as notebooks/train.ipynb builds them)."""
    train = step.params["train"]
    name = step.params.get("name", step.name)
    params = {**train, "model": {**train["model"], "name": name}}
    return params if train.get("out_dir") else {**params, "out_dir": str(Path(study.work_dir) / "train" / name)}


def launcher_flags(device: str, generation: str, processes: int, port: int | None = None) -> list[str]:
    """``accelerate launch`` flags for ``processes`` processes on ``device`` (cpu, cuda or auto)."""
    if device == "cpu":
        flags = ["--num_processes", str(processes), "--num_machines", "1", "--mixed_precision", "no",
                 "--dynamo_backend", "no"]
        # more than one process: accelerate's torch.distributed launcher, which uses gloo without GPUs
        flags = (["--multi_gpu"] if processes > 1 else ["--cpu"]) + flags
    else:
        config = ("vllm_server" if generation == "vllm_server" else
                  "single_gpu" if processes == 1 else "zero2")
        flags = ["--config_file", _shown(ACCELERATE_CONFIGS / f"{config}.yaml"), "--num_processes", str(processes)]
    return flags + (["--main_process_port", str(port)] if port else [])


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (commands run from the repository)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def launches(study: Study, processes: int = 2, steps: list[str] | None = None, port: int | None = None) -> list[Launch]:
    """Write each training step's params file and render its commands (every train step, or those
    named in ``steps``). Raises ValueError naming a step that is not a training step."""
    train_steps = [s for s in study.steps if is_train_step(s)]
    names = [s.name for s in train_steps]
    unknown = sorted(set(steps or ()) - set(names))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a training step of {study.name}; training steps: "
                         f"{', '.join(names) or 'none'}")
    out = []
    for step in (s for s in train_steps if not steps or s.name in steps):
        params = train_params(study, step)
        config = load_train_config(params, source=f"{study.source}: step {step.name!r}")
        path = Path(study.work_dir) / "launch" / f"{step.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, yaml.safe_dump(params, sort_keys=False))
        commands, devices = [], ""
        if config.runtime.generation == "vllm_server":
            # the first `processes` GPUs train, the next `processes` serve generation
            server_port = urlparse(config.runtime.vllm_server_base_url).port or 8000
            commands.append(f"CUDA_VISIBLE_DEVICES={','.join(map(str, range(processes, 2 * processes)))} "
                            + shlex.join(["trl", "vllm-serve", "--model", config.model.path, "--data-parallel-size",
                                          str(processes), "--port", str(server_port)]) + " &")
            devices = f"CUDA_VISIBLE_DEVICES={','.join(map(str, range(processes)))} "
        flags = launcher_flags(config.runtime.device, config.runtime.generation, processes, port)
        commands.append(devices + shlex.join(["accelerate", "launch", *flags, "-m", "rpt_core.cli", "train", str(path)]))
        out.append(Launch(step.name, path, commands))
    return out


__all__ = ["Launch", "launches", "launcher_flags", "train_params", "is_train_step"]
