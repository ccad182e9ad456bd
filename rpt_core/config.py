"""Typed, validated params files. Errors name the file, the field and what is allowed.

Every section is a frozen dataclass; :func:`build_section` rejects unknown fields and values of the
wrong type (from the field annotations), and each loader then checks ranges and choices.

An evaluation params file (YAML; ``rpt eval`` and every ``evaluate`` step of a study)::

    models:                    # each: path (hub id, local directory or GGUF reference), name, chat, dtype
      - {name: r1-distill-1.5b, path: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B}
    checkpoints_of: []         # training runs under <work_dir>/train: their checkpoints and final model too
    registry_models: null      # a model registry file: every entry with a hub path is evaluated too
    benchmarks:                # names from `rpt list benchmarks`, or <name>.jsonl files in items_dir
      - {name: aime2024, repeats: 16}
      - {name: gsm8k, limit: 200}
    items_dir: null            # folder (or list of folders) of <benchmark>.jsonl item files
    data_dir: null             # local copies of benchmark data: <data_dir>/<benchmark>/...
    backend: vllm              # hf | vllm
    batch_size: 64             # hf: prompts per generate call
    threads: null              # hf on CPU: torch threads
    tensor_parallel_size: 1    # vllm: GPUs per model replica
    data_parallel_size: 1      # vllm: model replicas
    max_model_len: null        # vllm: context length
    sampling: {temperature: 0.6, top_p: 0.95, max_new_tokens: 16384, seed: 0}   # stop: [...] optional
    shard: 0/1                 # i/n: this machine's part of the plan
    max_harness_error_rate: 0.01   # fail when more of a benchmark's samples than this met a harness error
    work_dir: runs/eval        # generation cache (<work_dir>/cache) and training runs (<work_dir>/train)
    out_dir: runs/eval         # records/<model>[.shard-i-of-n].parquet go here

``model: {...}`` (one mapping) is accepted in place of a one-entry ``models`` list.
"""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

BACKENDS = ("hf", "vllm")          # generation backends of evaluation
DTYPES = ("auto", "float32", "bfloat16", "float16")
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
    seed: base seed; each sample's seed is derived from it and the sample's key. stop: strings that
    end a completion, left out of its text (e.g. ``"\n\n"`` after a pretrained base's few-shot
    answer, as lm-evaluation-harness stops base models); none by default."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 512
    seed: int = 0
    stop: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The fields as a mapping (part of every sample's cache key); ``stop`` only when given, so
        keys of samples drawn without stop strings are what they always were."""
        out = asdict(self)
        if not out["stop"]:
            del out["stop"]
        return out


class ConfigError(ValueError):
    """A params file that does not validate; the message names file, field and allowed values."""


# ---------------------------------------------------------------------------------- generic checks

def _type_ok(value: Any, annotation: Any) -> bool:
    """Whether ``value`` (parsed YAML) fits a field annotation: int, float (ints too), bool, str,
    list[...], dict[...], unions and None. Nested dataclasses and Any are checked elsewhere."""
    origin = typing.get_origin(annotation)
    if annotation is Any or (isinstance(annotation, type) and hasattr(annotation, "__dataclass_fields__")):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if annotation is list or origin is list:
        args = typing.get_args(annotation)
        return isinstance(value, list) and (not args or all(_type_ok(v, args[0]) for v in value))
    if annotation is dict or origin is dict:
        return isinstance(value, dict)
    if origin is tuple:
        return isinstance(value, (tuple, list))
    return True


def _describe(annotation: Any) -> str:
    """An annotation in YAML words: ``int | None`` -> ``int | null``."""
    text = str(annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    return text.replace("NoneType", "null").replace("None", "null")


def build_section(cls, raw: Any, where: str, source: str):
    """Instantiate dataclass ``cls`` from a mapping, rejecting unknown fields and values whose type
    does not match the field's annotation (a ConfigError naming ``source``, the field and what is
    allowed). ``where``: the section's name in the file (empty for top-level fields)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where} must be a mapping with fields {[f.name for f in fields(cls)]}")
    label = (lambda name: f"{where}.{name}") if where else str
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(map(label, unknown))}; allowed: {', '.join(known)}")
    hints = typing.get_type_hints(cls)
    for name, value in raw.items():
        if not _type_ok(value, hints[name]):
            hint = " (YAML reads 1e-6 as text: write 1.0e-6)" if isinstance(value, str) and "float" in str(hints[name]) else ""
            raise ConfigError(f"{source}: {label(name)}: {value!r}: expected {_describe(hints[name])}{hint}")
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


def require_choice(value: Any, allowed: tuple, source: str, field_name: str) -> None:
    require(value in allowed, source, field_name, f"{value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")


def parse_shard(text: Any, source: str) -> tuple[int, int]:
    """``"i/n"`` (this machine's part of a plan) as ``(i, n)`` with 0 <= i < n."""
    try:
        index, count = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ConfigError(f"{source}: shard: {text!r} must look like i/n, e.g. 0/4") from None
    require(0 <= index < count, source, "shard", f"{text!r}: need 0 <= i < n")
    return index, count


# ---------------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class EvalModel:
    path: str                   # hub id, local directory or GGUF reference (rpt_core.modelref)
    name: str | None = None     # in records and reports (default: the path)
    revision: str | None = None
    chat: bool = True           # apply the chat template (false: raw prompt, for base models)
    dtype: str = "auto"         # auto | float32 | bfloat16 | float16

    @property
    def label(self) -> str:
        return self.name or self.path


@dataclass(frozen=True)
class BenchmarkChoice:
    name: str
    repeats: int | None = None
    limit: int | None = None
    options: dict = field(default_factory=dict)  # the benchmark's own options, e.g. livecodebench release


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate and how; the fields of an evaluation params file (module docstring)."""

    benchmarks: list[BenchmarkChoice]
    models: list[EvalModel] = field(default_factory=list)
    checkpoints_of: list[str] = field(default_factory=list)
    registry_models: str | None = None
    only_confirmed: bool = False
    items_dir: str | list[str] | None = None
    data_dir: str | None = None
    backend: str = "hf"
    batch_size: int = 64
    threads: int | None = None
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    max_model_len: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    shard: tuple[int, int] = (0, 1)
    max_harness_error_rate: float = 0.01
    work_dir: str = "runs/eval"
    out_dir: str = "runs/eval"

    def to_params(self) -> dict:
        """The config as plain params (what a YAML file gives): ``load_eval_config(c.to_params()) == c``."""
        return {**asdict(self), "shard": f"{self.shard[0]}/{self.shard[1]}"}

    def generator_options(self, model: EvalModel) -> dict:
        """Constructor arguments of this config's backend for ``model``."""
        common = {"revision": model.revision, "chat": model.chat, "dtype": model.dtype}
        if self.backend == "hf":
            return {**common, "batch_size": self.batch_size}
        return {**common, "tensor_parallel_size": self.tensor_parallel_size,
                "data_parallel_size": self.data_parallel_size, "max_model_len": self.max_model_len}


def load_eval_config(path: str | Path | dict, overrides: dict | None = None, source: str | None = None) -> EvalConfig:
    """Read and validate evaluation params: a YAML file or a mapping of the same fields (the module
    docstring). ``source`` names the params in errors. A benchmark outside the registry must be a
    ``<name>.jsonl`` in ``items_dir``; whether that file exists is checked when it is loaded (an
    earlier step of a study may write it)."""
    from .tasks import BENCHMARKS

    source = source or ("<eval params>" if isinstance(path, dict) else str(path))
    raw = {**(dict(path) if isinstance(path, dict) else read_yaml(path)), **(overrides or {})}
    if "model" in raw:
        require("models" not in raw, source, "model", "give either model (one) or models (a list), not both")
        raw["models"] = [raw.pop("model")]
    top = [f.name for f in fields(EvalConfig)]
    unknown = sorted(set(raw) - set(top))
    require(not unknown, source, ", ".join(unknown), f"unknown field(s); allowed: {', '.join(top)}")
    require(isinstance(raw.get("benchmarks"), list) and raw["benchmarks"], source, "benchmarks", "must be a non-empty list")
    for name in ("models", "checkpoints_of"):
        require(isinstance(raw.get(name) or [], list), source, name, "must be a list")
    models = [build_section(EvalModel, m, f"models[{i}]", source) for i, m in enumerate(raw.get("models") or [])]
    for i, model in enumerate(models):
        require_choice(model.dtype, DTYPES, source, f"models[{i}].dtype")
    require(models or raw.get("checkpoints_of") or raw.get("registry_models"), source, "models",
            "nothing to evaluate: give models, checkpoints_of or registry_models")

    choices = []
    for i, entry in enumerate(raw["benchmarks"]):
        choice = build_section(BenchmarkChoice, {"name": entry} if isinstance(entry, str) else entry, f"benchmarks[{i}]", source)
        require(choice.name in BENCHMARKS or raw.get("items_dir"), source, f"benchmarks[{i}].name",
                f"unknown benchmark {choice.name!r}; allowed: {', '.join(BENCHMARKS)}, or a <name>.jsonl in items_dir")
        for name in ("repeats", "limit"):
            value = getattr(choice, name)
            require(value is None or value >= 1, source, f"benchmarks[{i}].{name}", "must be a positive integer")
        allowed = BENCHMARKS[choice.name].options if choice.name in BENCHMARKS else {}
        unknown = sorted(set(choice.options or {}) - set(allowed))
        require(not unknown, source, f"benchmarks[{i}].options", f"unknown option(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(allowed) or 'none'}")
        choices.append(choice)

    sampling = build_section(Sampling, raw.get("sampling") or {}, "sampling", source)
    require(sampling.temperature >= 0, source, "sampling.temperature", f"{sampling.temperature!r}: must be >= 0")
    require(0 < sampling.top_p <= 1, source, "sampling.top_p", f"{sampling.top_p!r}: must be in (0, 1]")
    require(sampling.max_new_tokens >= 1, source, "sampling.max_new_tokens", "must be a positive integer")
    require(all(isinstance(x, str) and x for x in sampling.stop), source, "sampling.stop",
           f"{sampling.stop!r}: must be a list of non-empty strings")

    rest = {k: str(v) if isinstance(v, Path) else v for k, v in raw.items() if k not in ("models", "benchmarks", "sampling", "shard")}
    config = build_section(EvalConfig, {**rest, "models": models, "benchmarks": choices, "sampling": sampling,
                                        "shard": parse_shard(raw.get("shard", "0/1"), source)}, "", source)
    require_choice(config.backend, BACKENDS, source, "backend")
    for name in ("batch_size", "tensor_parallel_size", "data_parallel_size", "threads", "max_model_len"):
        value = getattr(config, name)
        require(value is None or value >= 1, source, name, f"must be a positive integer, got {value!r}")
    require(0 <= config.max_harness_error_rate <= 1, source, "max_harness_error_rate",
           f"must be a fraction in [0, 1], got {config.max_harness_error_rate!r}")
    return config


# --------------------------------------------------------------------------------------------------
# Training params (rpt train). Defaults are the paper's (its training setup); fields left null in
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
    seed: int | str | None = 0  # shuffle seed of the data; null: source order; "paper": the authors'
    #                             selection of each hub set (TrainingSetSpec.paper_seed; a mix: 42)


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
    attention: str = "default"          # default | grouped: the model's own attention, or grouped-query
    #                                     heads kept grouped under a padding mask (rpt_core.attention)
    shared_prompts: bool = False        # each group's prompt runs once to sample and to score its rollouts
    #                                     (rpt_core.shared_prompts; one process, transformers generation)
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
    "runtime.attention": ("default", "grouped"),
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
    require_choice(config.reward, REWARDS, source, "reward")
    for dotted, allowed in TRAIN_CHOICES.items():
        section, name = dotted.split(".")
        require_choice(getattr(getattr(config, section), name), allowed, source, dotted)
    data = config.data
    require(isinstance(data.sets, list) and data.sets and all(isinstance(s, str) for s in data.sets),
           source, "data.sets", "must be a non-empty list of training-set names or .jsonl paths")
    require(data.seed is None or data.seed == "paper" or (isinstance(data.seed, int) and not isinstance(data.seed, bool)),
           source, "data.seed", f"{data.seed!r} is not allowed; allowed: an integer, null (source order) or paper")
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
    require(not config.runtime.shared_prompts or (config.runtime.generation == "transformers" and processes == 1),
           source, "runtime.shared_prompts", "needs runtime.generation transformers and one process, got "
           f"generation {config.runtime.generation!r} with {processes} process(es)")
    rollouts = rl.prompts_per_step * rl.num_generations
    require(rollouts % (rl.per_device_batch_size * processes) == 0, source, "rl.per_device_batch_size",
           f"prompts_per_step x num_generations = {rollouts} must be divisible by per_device_batch_size x "
           f"num_processes = {rl.per_device_batch_size * processes}")
    return config
