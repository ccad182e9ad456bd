"""Typed, validated params files. Errors name the file, the field and what is allowed.

An evaluation params file (YAML)::

    model:
      path: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B   # hub id or local directory
      revision: null
      backend: vllm            # hf | vllm
      chat: true               # apply the chat template (false: raw prompt, for base models)
      dtype: auto              # auto | float32 | bfloat16 | float16
      batch_size: 16           # hf only
      tensor_parallel_size: 1  # vllm only
      data_parallel_size: 1    # vllm only
      max_model_len: null      # vllm only
    benchmarks:                # names from `rpt list benchmarks`; repeats/limit optional
      - {name: aime2024, repeats: 16}
      - {name: gsm8k, limit: 200}
    sampling: {temperature: 0.6, top_p: 0.95, max_new_tokens: 16384, seed: 0}
    data_dir: null             # local copies of benchmark data: <data_dir>/<benchmark>/...
    cache_dir: cache           # generation cache (shared by every run)
    out_dir: runs/eval         # records.parquet and summary.csv are written here
    shard: 0/1                 # i/n: this machine's part of the plan
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml



BACKENDS = ("hf", "vllm")          # generation backends of evaluation
REWARDS = ("verifier", "placebo")  # training rewards: the verdict, or a coin flip (the null control)
# Algorithm presets: the rl fields a params file leaves null are filled from its algorithm's preset.
ALGORITHMS: dict[str, dict[str, Any]] = {
    "grpo": {"loss_type": "grpo", "epsilon_high": None, "scale_rewards": "group",
             "mask_truncated_completions": False, "dynamic_sampling": False, "beta": 0.001},
    "dapo": {"loss_type": "dapo", "epsilon_high": 0.28, "scale_rewards": "group",
             "mask_truncated_completions": True, "dynamic_sampling": True, "beta": 0.0},
    "dr_grpo": {"loss_type": "dr_grpo", "epsilon_high": None, "scale_rewards": "none",
                "mask_truncated_completions": False, "dynamic_sampling": False, "beta": 0.001},
}


@dataclass(frozen=True)
class Sampling:
    """temperature: 0 means greedy. top_p: nucleus mass. max_new_tokens: generation budget, tokens.
    seed: base seed; each sample's seed is derived from it and the sample's key."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 512
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class ConfigError(ValueError):
    """A params file that does not validate; the message names file, field and allowed values."""


@dataclass(frozen=True)
class ModelConfig:
    path: str
    revision: str | None = None
    backend: str = "hf"
    chat: bool = True
    dtype: str = "auto"
    batch_size: int = 16
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    max_model_len: int | None = None
    name: str | None = None

    def generator_options(self) -> dict:
        common = {"revision": self.revision, "chat": self.chat, "dtype": self.dtype}
        if self.backend == "hf":
            return {**common, "batch_size": self.batch_size}
        return {**common, "tensor_parallel_size": self.tensor_parallel_size,
                "data_parallel_size": self.data_parallel_size, "max_model_len": self.max_model_len}


@dataclass(frozen=True)
class BenchmarkChoice:
    name: str
    repeats: int | None = None
    limit: int | None = None
    options: dict = field(default_factory=dict)  # the benchmark's own options, e.g. livecodebench release


@dataclass(frozen=True)
class EvalConfig:
    model: ModelConfig
    benchmarks: list[BenchmarkChoice]
    sampling: Sampling = field(default_factory=Sampling)
    data_dir: str | None = None
    cache_dir: str = "cache"
    out_dir: str = "runs/eval"
    shard: tuple[int, int] = (0, 1)


def build_section(cls, raw: Any, where: str, source: str):
    """Instantiate dataclass ``cls`` from a mapping, rejecting unknown fields and wrong types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where} must be a mapping with fields {[f.name for f in fields(cls)]}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(f'{where}.{u}' for u in unknown)}; allowed: {', '.join(known)}")
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ConfigError(f"{source}: {where}: {exc}") from None


def read_yaml(path: str | Path) -> dict:
    """The mapping in a YAML params file; a ConfigError names the file when it is unreadable."""
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read params: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: params must be a mapping of fields, got {type(raw).__name__}")
    return raw


def require(condition: bool, source: str, field_name: str, message: str) -> None:
    """Raise a ConfigError naming the params ``source``, the field and what is wrong, unless ``condition``."""
    if not condition:
        raise ConfigError(f"{source}: {field_name}: {message}")


def load_eval_config(path: str | Path, overrides: dict | None = None) -> EvalConfig:
    """Read and validate an evaluation params file (see the module docstring)."""
    from .benchmarks import BENCHMARKS

    source = str(path)
    raw = {**read_yaml(path), **(overrides or {})}
    for required in ("model", "benchmarks"):
        require(required in raw, source, required, "is required")
    top = {f.name for f in fields(EvalConfig)}
    unknown = sorted(set(raw) - top)
    require(not unknown, source, ", ".join(unknown), f"unknown field(s); allowed: {', '.join(sorted(top))}")

    model = build_section(ModelConfig, raw["model"], "model", source)
    require(model.backend in BACKENDS, source, "model.backend", f"{model.backend!r} is not allowed; allowed: {', '.join(BACKENDS)}")
    dtypes = ("auto", "float32", "bfloat16", "float16")
    require(model.dtype in dtypes, source, "model.dtype", f"{model.dtype!r} is not allowed; allowed: {', '.join(dtypes)}")

    require(isinstance(raw["benchmarks"], list) and raw["benchmarks"], source, "benchmarks", "must be a non-empty list")
    choices = []
    for i, entry in enumerate(raw["benchmarks"]):
        choice = build_section(BenchmarkChoice, {"name": entry} if isinstance(entry, str) else entry, f"benchmarks[{i}]", source)
        require(choice.name in BENCHMARKS, source, f"benchmarks[{i}].name",
               f"unknown benchmark {choice.name!r}; allowed: {', '.join(BENCHMARKS)}")
        for name in ("repeats", "limit"):
            value = getattr(choice, name)
            require(value is None or (isinstance(value, int) and value >= 1), source, f"benchmarks[{i}].{name}", "must be a positive integer")
        allowed = BENCHMARKS[choice.name].options
        unknown = sorted(set(choice.options or {}) - set(allowed))
        require(not unknown, source, f"benchmarks[{i}].options", f"unknown option(s) {', '.join(unknown)}; allowed: "
               f"{', '.join(allowed) or 'none'}")
        choices.append(choice)

    sampling = build_section(Sampling, raw.get("sampling") or {}, "sampling", source)
    require(sampling.temperature >= 0, source, "sampling.temperature", "must be >= 0")
    require(0 < sampling.top_p <= 1, source, "sampling.top_p", "must be in (0, 1]")
    require(isinstance(sampling.max_new_tokens, int) and sampling.max_new_tokens >= 1, source, "sampling.max_new_tokens", "must be a positive integer")

    shard_text = str(raw.get("shard", "0/1"))
    try:
        index, count = (int(x) for x in shard_text.split("/"))
    except ValueError:
        raise ConfigError(f"{source}: shard: {shard_text!r} must look like i/n, e.g. 0/4") from None
    require(0 <= index < count, source, "shard", f"{shard_text!r}: need 0 <= i < n")
    return EvalConfig(model, choices, sampling, raw.get("data_dir"), str(raw.get("cache_dir", "cache")),
                      str(raw.get("out_dir", "runs/eval")), (index, count))


# --------------------------------------------------------------------------------------------------
# Training params (rpt train). Defaults are the paper's (see ../shared/paper.md); fields left null in
# `rl` are filled by the algorithm preset of ALGORITHMS (above) and recorded resolved.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainModel:
    path: str                   # hub id, local directory or GGUF reference (rpt_core.modelref)
    revision: str | None = None
    dtype: str = "auto"         # auto | float32 | bfloat16 (auto: bfloat16 on GPU, float32 on CPU)
    chat: bool = True           # prompts as chat messages (template applied) or raw text
    name: str | None = None     # name of the trained model in records and reports


@dataclass(frozen=True)
class TrainData:
    sets: list[str]             # training-set names (`rpt list training`) or items .jsonl files
    size: int | None = None     # items per set; null: 40,000 for one set, 13,333 per set for a mix
    data_dir: str | None = None
    seed: int = 0               # shuffle seed of the data


@dataclass(frozen=True)
class RLConfig:
    learning_rate: float = 1e-6
    prompts_per_step: int = 64          # unique prompts per optimizer step
    num_generations: int = 8            # rollouts per prompt (the group)
    per_device_batch_size: int = 8      # completions per forward/backward pass on one device
    max_completion_length: int = 8192   # tokens
    temperature: float = 0.6
    top_p: float = 1.0
    beta: float | None = None           # KL coefficient; preset: 0.001 (dapo: 0.0)
    epochs: float = 1.0
    max_steps: int | None = None        # overrides epochs when set
    epsilon: float = 0.2                # lower clip
    epsilon_high: float | None = None   # upper clip; preset: epsilon (dapo: 0.28)
    loss_type: str | None = None        # grpo | dapo | dr_grpo | bnpo; preset: the algorithm's
    scale_rewards: str | None = None    # group | batch | none; preset: group (dr_grpo: none)
    mask_truncated_completions: bool | None = None  # preset: false (dapo: true, overlong filtering)
    dynamic_sampling: bool | None = None            # preset: false (dapo: true)
    num_iterations: int = 1             # policy updates per generation batch (mu)
    lr_scheduler: str = "constant"
    warmup_ratio: float = 0.0           # share of steps for linear warm-up, in [0, 1)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class TrainRuntime:
    device: str = "auto"                # auto | cpu | cuda
    generation: str = "transformers"    # transformers | vllm_colocate | vllm_server
    vllm_gpu_memory_utilization: float = 0.3   # vllm_colocate: share of GPU memory for vLLM
    vllm_server_base_url: str | None = None    # vllm_server: e.g. http://node0:8000
    gradient_checkpointing: bool = False
    num_processes: int | None = None    # devices in the job; null: WORLD_SIZE from the launcher, else 1
    reward_workers: int = 8             # threads verifying completions
    threads: int | None = None          # torch CPU threads (null: torch's default); set it when runs share cores
    allow_unsandboxed: bool = False     # train on code with the sandbox's rlimit fallback (no bubblewrap)


@dataclass(frozen=True)
class TrainConfig:
    model: TrainModel
    data: TrainData
    algorithm: str = "grpo"
    reward: str = "verifier"            # verifier | placebo (a coin flip: the null control of the tiny world)
    rl: RLConfig = field(default_factory=RLConfig)
    runtime: TrainRuntime = field(default_factory=TrainRuntime)
    save_steps: int = 50                # checkpoint every N optimizer steps
    save_total_limit: int | None = None # keep only the newest N checkpoints (null: all, for dynamics)
    out_dir: str = "runs/train"


TRAIN_CHOICES = {
    "model.dtype": ("auto", "float32", "bfloat16"),
    "runtime.device": ("auto", "cpu", "cuda"),
    "runtime.generation": ("transformers", "vllm_colocate", "vllm_server"),
    "rl.loss_type": (None, "grpo", "dapo", "dr_grpo", "bnpo"),
    "rl.scale_rewards": (None, "group", "batch", "none"),
    "rl.lr_scheduler": ("constant", "linear", "cosine", "constant_with_warmup"),
}


def load_train_config(path: str | Path | dict, overrides: dict | None = None, source: str | None = None) -> TrainConfig:
    """Read and validate a training params file, or a mapping of the same fields (fields and
    defaults: the dataclasses above). ``source`` names the params in errors."""

    source = source or ("<train params>" if isinstance(path, dict) else str(path))
    raw = dict(path) if isinstance(path, dict) else read_yaml(path)
    for section, values in (overrides or {}).items():
        raw[section] = {**raw.get(section, {}), **values} if isinstance(values, dict) else values
    for required in ("model", "data"):
        require(required in raw, source, required, "is required")
    top = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(raw) - top)
    require(not unknown, source, ", ".join(unknown), f"unknown field(s); allowed: {', '.join(sorted(top))}")

    sections = {"model": TrainModel, "data": TrainData, "rl": RLConfig, "runtime": TrainRuntime}
    built = {name: build_section(cls, raw.get(name) or {}, name, source) for name, cls in sections.items()}
    config = TrainConfig(**built, **{k: raw[k] for k in ("algorithm", "reward", "save_steps", "save_total_limit", "out_dir")
                                     if k in raw})

    require(config.algorithm in ALGORITHMS, source, "algorithm",
           f"{config.algorithm!r} is not allowed; allowed: {', '.join(ALGORITHMS)}")
    require(config.reward in REWARDS, source, "reward", f"{config.reward!r} is not allowed; allowed: {', '.join(REWARDS)}")
    for dotted, allowed in TRAIN_CHOICES.items():
        section, name = dotted.split(".")
        value = getattr(getattr(config, section), name)
        require(value in allowed, source, dotted, f"{value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
    data = config.data
    require(isinstance(data.sets, list) and data.sets and all(isinstance(s, str) for s in data.sets),
           source, "data.sets", "must be a non-empty list of training-set names or .jsonl paths")
    rl = config.rl
    for name in ("prompts_per_step", "num_generations", "per_device_batch_size", "max_completion_length",
                 "num_iterations", "save_steps"):
        value = getattr(config, name) if name == "save_steps" else getattr(rl, name)
        require(isinstance(value, int) and value >= 1, source, name if name == "save_steps" else f"rl.{name}",
               f"must be a positive integer, got {value!r}")
    require(rl.num_generations >= 2, source, "rl.num_generations", "must be >= 2 (group-relative advantages)")
    require(rl.learning_rate > 0, source, "rl.learning_rate", "must be > 0")
    require(rl.temperature > 0, source, "rl.temperature", "must be > 0 (RL samples rollouts)")
    require(0 < rl.top_p <= 1, source, "rl.top_p", "must be in (0, 1]")
    require(rl.beta is None or rl.beta >= 0, source, "rl.beta", "must be >= 0")
    require(rl.epsilon_high is None or rl.epsilon_high >= rl.epsilon, source, "rl.epsilon_high", "must be >= rl.epsilon")
    require(config.runtime.generation != "vllm_server" or config.runtime.vllm_server_base_url, source,
           "runtime.vllm_server_base_url", "is required when runtime.generation is vllm_server")
    processes = config.runtime.num_processes or 1
    rollouts = rl.prompts_per_step * rl.num_generations
    require(rollouts % (rl.per_device_batch_size * processes) == 0, source, "rl.per_device_batch_size",
           f"prompts_per_step x num_generations = {rollouts} must be divisible by per_device_batch_size x "
           f"num_processes = {rl.per_device_batch_size * processes}")
    return config
