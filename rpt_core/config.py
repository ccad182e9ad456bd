"""Typed params: frozen dataclasses that check themselves. Errors name the file, the field and what is allowed.

Every section is a frozen dataclass whose ``__post_init__`` checks its fields' types (from the
annotations) and its own rules, so a config built in code is checked exactly as one read from
YAML: ``EvalConfig(benchmarks=..., backend="vlm")`` raises the :class:`FieldError` that a params
file with ``backend: vlm`` raises, only without the file's name. Each field is documented beside
its definition, with its default. The loaders (:func:`load_eval_config`, :func:`load_train_config`)
add what only a file has: unknown keys, the ``model:`` shorthand, ``shard: i/n`` text.

An evaluation params file (YAML; ``rpt eval`` and every ``evaluate`` step of a study), an example::

    models:
      - {name: r1-distill-1.5b, path: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B}
    benchmarks:
      - {name: aime2024, repeats: 16}
      - {name: gsm8k, limit: 200}
    backend: vllm
    sampling: {temperature: 0.6, top_p: 0.95, max_new_tokens: 16384}
    shard: 0/4
"""

from __future__ import annotations

import functools
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


class ConfigError(ValueError):
    """Params that do not validate; the message names file, field and allowed values."""


class FieldError(ConfigError):
    """One field is wrong: ``field`` (dotted, e.g. ``models[0].dtype``), ``reason`` (what is wrong and
    what is allowed) and ``source`` (the params file; ``None`` for a config built in code)."""

    def __init__(self, field_name: str, reason: str, source: str | None = None):
        self.field, self.reason, self.source = field_name, reason, source
        super().__init__(f"{source}: {field_name}: {reason}" if source else f"{field_name}: {reason}")

    def located(self, source: str | None, prefix: str = "") -> FieldError:
        """The same error, inside section ``prefix`` of params ``source``."""
        name = f"{prefix}.{self.field}" if prefix and self.field else (prefix or self.field)
        return FieldError(name, self.reason, source or self.source)


# ---------------------------------------------------------------------------------- generic checks

def _type_ok(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits a field annotation: int, float (ints too), bool, str, list[...] (a tuple
    too), dict[...], tuple, dataclasses, unions and None."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if isinstance(annotation, type) and hasattr(annotation, "__dataclass_fields__"):
        return isinstance(value, annotation)
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
        return isinstance(value, (list, tuple)) and (not args or all(_type_ok(v, args[0]) for v in value))
    if annotation is dict or origin is dict:
        return isinstance(value, dict)
    if origin is tuple:
        return isinstance(value, (tuple, list))
    return True


def _describe(annotation: Any) -> str:
    """An annotation in YAML words: ``int | None`` -> ``int | null``."""
    text = str(annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    return text.replace("NoneType", "null").replace("None", "null").replace("rpt_core.config.", "")


@functools.cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check_type(cls, name: str, value: Any) -> None:
    """Raise a FieldError unless ``value`` fits the annotation of field ``name`` of dataclass ``cls``."""
    annotation = _hints(cls)[name]
    if not _type_ok(value, annotation):
        hint = " (YAML reads 1e-6 as text: write 1.0e-6)" if isinstance(value, str) and "float" in str(annotation) else ""
        raise FieldError(name, f"{value!r}: expected {_describe(annotation)}{hint}")


def require(condition: bool, source: str, field_name: str, message: str) -> None:
    """Raise a FieldError naming the params ``source``, the field and what is wrong, unless ``condition``."""
    if not condition:
        raise FieldError(field_name, message, source)


def ensure(condition: bool, field_name: str, message: str) -> None:
    """A section's own rule (inside ``check()``): a FieldError naming the field, unless ``condition``."""
    if not condition:
        raise FieldError(field_name, message)


def ensure_choice(value: Any, allowed: tuple, field_name: str) -> None:
    ensure(value in allowed, field_name, f"{value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")


def ensure_positive(value: Any, field_name: str, optional: bool = False) -> None:
    """A positive integer (or ``None`` when ``optional``)."""
    ensure((optional and value is None) or (isinstance(value, int) and not isinstance(value, bool) and value >= 1),
            field_name, f"must be a positive integer, got {value!r}")


class Checked:
    """Mixin of the params dataclasses: ``__post_init__`` checks every field's type, then ``check()``
    (the section's own rules; raise :class:`FieldError` through :func:`ensure`)."""

    def __post_init__(self):
        for f in fields(self):
            check_type(type(self), f.name, getattr(self, f.name))
        self.check()

    def check(self) -> None:
        pass


def build_section(cls, raw: Any, where: str, source: str):
    """Instantiate dataclass ``cls`` from a mapping, rejecting unknown fields and values whose type
    does not match the field's annotation: a FieldError naming ``source``, the field and what is
    allowed. ``where``: the section's name in the file (empty for top-level fields)."""
    if not isinstance(raw, dict):
        raise FieldError(where or "<top>", f"must be a mapping with fields {[f.name for f in fields(cls)]}", source)
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(raw) - set(known))
    label = (lambda name: f"{where}.{name}") if where else str
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(map(label, unknown))}; allowed: {', '.join(known)}")
    try:
        for name, value in raw.items():
            check_type(cls, name, value)
        return cls(**raw)
    except FieldError as exc:
        raise exc.located(source, where) from None
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


def parse_shard(text: Any, source: str | None = None) -> tuple[int, int]:
    """``"i/n"`` (this machine's part of a plan) as ``(i, n)``; the range is checked by :class:`EvalConfig`."""
    try:
        index, count = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise FieldError("shard", f"{text!r} must look like i/n, e.g. 0/4", source) from None
    return index, count


# ---------------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class Sampling(Checked):
    """How completions are drawn. ``stop``: strings that end a completion, left out of its text (e.g.
    ``"\n\n"`` after a pretrained base's few-shot answer, as lm-evaluation-harness stops base models)."""

    temperature: float = 0.6    # 0 means greedy
    top_p: float = 0.95         # nucleus mass, in (0, 1]
    max_new_tokens: int = 512   # generation budget, tokens
    seed: int = 0               # base seed; each sample's seed is derived from it and the sample's key
    stop: list[str] = field(default_factory=list)  # none by default

    def check(self) -> None:
        ensure(self.temperature >= 0, "temperature", f"{self.temperature!r}: must be >= 0")
        ensure(0 < self.top_p <= 1, "top_p", f"{self.top_p!r}: must be in (0, 1]")
        ensure_positive(self.max_new_tokens, "max_new_tokens")
        ensure(all(self.stop), "stop", f"{self.stop!r}: must be a list of non-empty strings")

    def to_dict(self) -> dict:
        """The fields as a mapping (part of every sample's cache key); ``stop`` only when given, so
        keys of samples drawn without stop strings are what they always were."""
        out = asdict(self)
        if not out["stop"]:
            del out["stop"]
        return out


@dataclass(frozen=True)
class EvalModel(Checked):
    path: str                   # hub id, local directory or GGUF reference (rpt_core.modelref)
    name: str | None = None     # in records and reports (default: the path)
    revision: str | None = None
    chat: bool = True           # apply the chat template (false: raw prompt, for base models)
    dtype: str = "auto"         # auto | float32 | bfloat16 | float16

    def check(self) -> None:
        ensure_choice(self.dtype, DTYPES, "dtype")

    @property
    def label(self) -> str:
        return self.name or self.path


@dataclass(frozen=True)
class BenchmarkChoice(Checked):
    name: str                   # a registry benchmark (`rpt list benchmarks`) or a <name>.jsonl of items_dir
    repeats: int | None = None  # samples per item (default: the benchmark's)
    limit: int | None = None    # the first `limit` items only
    options: dict = field(default_factory=dict)  # the benchmark's own options, e.g. livecodebench release

    def check(self) -> None:
        from .tasks import BENCHMARKS

        ensure_positive(self.repeats, "repeats", optional=True)
        ensure_positive(self.limit, "limit", optional=True)
        allowed = BENCHMARKS[self.name].options if self.name in BENCHMARKS else {}
        unknown = sorted(set(self.options) - set(allowed))
        ensure(not unknown, "options", f"unknown option(s) {', '.join(unknown)}; allowed: {', '.join(allowed) or 'none'}")


@dataclass(frozen=True)
class EvalConfig(Checked):
    """What to evaluate and how: the fields of an evaluation params file."""

    benchmarks: list[BenchmarkChoice]                  # what to evaluate on (non-empty)
    models: list[EvalModel] = field(default_factory=list)
    checkpoints_of: list[str] = field(default_factory=list)  # training runs under <work_dir>/train: their
    #                                                  checkpoints and final model too
    registry_models: str | None = None                 # a model registry file: each entry with a hub path
    only_confirmed: bool = False                       # registry: only entries whose facts are confirmed
    items_dir: str | list[str] | None = None           # folder(s) of <benchmark>.jsonl item files
    data_dir: str | None = None                        # local copies of benchmark data: <data_dir>/<benchmark>/
    backend: str = "hf"                                # hf | vllm
    batch_size: int = 64                               # hf: prompts per generate call
    threads: int | None = None                         # hf on CPU: torch threads (null: torch's default)
    tensor_parallel_size: int = 1                      # vllm: GPUs per model replica
    data_parallel_size: int = 1                        # vllm: model replicas
    max_model_len: int | None = None                   # vllm: context length (null: the model's)
    sampling: Sampling = field(default_factory=Sampling)
    shard: tuple[int, int] = (0, 1)                    # (i, n): this machine's part of the plan; YAML "i/n"
    max_harness_error_rate: float = 0.01               # fail when more of a benchmark's samples than this
    #                                                  met a harness error (a fraction)
    work_dir: str = "runs/eval"                        # generation cache (<work_dir>/cache), training runs
    #                                                  (<work_dir>/train)
    out_dir: str = "runs/eval"                         # records/<model>[.shard-i-of-n].parquet go here

    def check(self) -> None:
        from .tasks import BENCHMARKS

        ensure(len(self.benchmarks) > 0, "benchmarks", "must be a non-empty list")
        ensure(self.models or self.checkpoints_of or self.registry_models, "models",
                "nothing to evaluate: give models, checkpoints_of or registry_models")
        for i, choice in enumerate(self.benchmarks):
            ensure(choice.name in BENCHMARKS or self.items_dir, f"benchmarks[{i}].name",
                    f"unknown benchmark {choice.name!r}; allowed: {', '.join(BENCHMARKS)}, or a <name>.jsonl in items_dir")
        ensure_choice(self.backend, BACKENDS, "backend")
        for name in ("batch_size", "tensor_parallel_size", "data_parallel_size"):
            ensure_positive(getattr(self, name), name)
        for name in ("threads", "max_model_len"):
            ensure_positive(getattr(self, name), name, optional=True)
        ensure(len(self.shard) == 2, "shard", f"{self.shard!r}: must be (i, n)")
        index, count = self.shard
        ensure(0 <= index < count, "shard", f"{f'{index}/{count}'!r}: need 0 <= i < n")
        ensure(0 <= self.max_harness_error_rate <= 1, "max_harness_error_rate",
                f"must be a fraction in [0, 1], got {self.max_harness_error_rate!r}")

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
    """Read and validate evaluation params: a YAML file or a mapping of the same fields
    (:class:`EvalConfig`). ``source`` names the params in errors. A benchmark outside the registry
    must be a ``<name>.jsonl`` in ``items_dir``; whether that file exists is checked when it is
    loaded (an earlier step of a study may write it)."""
    source = source or ("<eval params>" if isinstance(path, dict) else str(path))
    raw = {**(dict(path) if isinstance(path, dict) else read_yaml(path)), **(overrides or {})}
    if "model" in raw:
        require("models" not in raw, source, "model", "give either model (one) or models (a list), not both")
        raw["models"] = [raw.pop("model")]
    for name in ("benchmarks", "models", "checkpoints_of"):
        require(isinstance(raw.get(name) or [], list), source, name, "must be a list")
    models = [build_section(EvalModel, m, f"models[{i}]", source) for i, m in enumerate(raw.get("models") or [])]
    choices = [build_section(BenchmarkChoice, {"name": entry} if isinstance(entry, str) else entry, f"benchmarks[{i}]", source)
               for i, entry in enumerate(raw.get("benchmarks") or [])]
    sampling = build_section(Sampling, raw.get("sampling") or {}, "sampling", source)
    rest = {k: str(v) if isinstance(v, Path) else v for k, v in raw.items() if k not in ("models", "benchmarks", "sampling", "shard")}
    return build_section(EvalConfig, {**rest, "models": models, "benchmarks": choices, "sampling": sampling,
                                      "shard": parse_shard(raw.get("shard", "0/1"), source)}, "", source)


# --------------------------------------------------------------------------------------------------
# Training params (rpt train). Defaults are the paper's (its training setup); fields left null in
# `rl` are filled by the algorithm preset of ALGORITHMS (above) and recorded resolved.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainModel(Checked):
    path: str                   # hub id, local directory or GGUF reference (rpt_core.modelref)
    revision: str | None = None
    dtype: str = "auto"         # auto | float32 | bfloat16 (auto: bfloat16 on GPU, float32 on CPU)
    chat: bool = True           # prompts as chat messages (template applied) or raw text
    name: str | None = None     # name of the trained model in records and reports

    def check(self) -> None:
        ensure_choice(self.dtype, ("auto", "float32", "bfloat16"), "dtype")


@dataclass(frozen=True)
class TrainData(Checked):
    sets: list[str]             # training-set names (`rpt list training`) or items .jsonl files
    size: int | None = None     # items per set; null: 40,000 for one set, 13,333 per set for a mix
    data_dir: str | None = None
    seed: int | str | None = 0  # shuffle seed of the data; null: source order; "paper": the authors'
    #                             selection of each hub set (TrainingSetSpec.paper_seed; a mix: 42)

    def check(self) -> None:
        ensure(len(self.sets) > 0, "sets", "must be a non-empty list of training-set names or .jsonl paths")
        ensure(self.seed is None or self.seed == "paper" or isinstance(self.seed, int), "seed",
                f"{self.seed!r} is not allowed; allowed: an integer, null (source order) or paper")


@dataclass(frozen=True)
class RLConfig(Checked):
    learning_rate: float = 1e-6
    prompts_per_step: int = 64          # unique prompts per optimizer step
    num_generations: int = 8            # rollouts per prompt (the group), >= 2
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
    lr_scheduler: str = "constant"      # constant | linear | cosine | constant_with_warmup
    warmup_ratio: float = 0.0           # share of steps for linear warm-up, in [0, 1)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0

    def check(self) -> None:
        for name in ("prompts_per_step", "num_generations", "per_device_batch_size", "max_completion_length",
                     "num_iterations"):
            ensure_positive(getattr(self, name), name)
        ensure(self.num_generations >= 2, "num_generations", "must be >= 2 (group-relative advantages)")
        ensure(self.learning_rate > 0, "learning_rate", "must be > 0")
        ensure(self.temperature > 0, "temperature", "must be > 0 (RL samples rollouts)")
        ensure(0 < self.top_p <= 1, "top_p", "must be in (0, 1]")
        ensure(self.beta is None or self.beta >= 0, "beta", "must be >= 0")
        ensure(self.epsilon_high is None or self.epsilon_high >= self.epsilon, "epsilon_high", "must be >= rl.epsilon")
        ensure_choice(self.loss_type, (None, "grpo", "dapo", "dr_grpo", "bnpo"), "loss_type")
        ensure_choice(self.scale_rewards, (None, "group", "batch", "none"), "scale_rewards")
        ensure_choice(self.lr_scheduler, ("constant", "linear", "cosine", "constant_with_warmup"), "lr_scheduler")


@dataclass(frozen=True)
class TrainRuntime(Checked):
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

    def check(self) -> None:
        ensure_choice(self.device, ("auto", "cpu", "cuda"), "device")
        ensure_choice(self.generation, ("transformers", "vllm_colocate", "vllm_server"), "generation")
        ensure_choice(self.attention, ("default", "grouped"), "attention")
        ensure(self.generation != "vllm_server" or self.vllm_server_base_url, "vllm_server_base_url",
                "is required when runtime.generation is vllm_server")
        processes = self.num_processes or 1
        ensure(not self.shared_prompts or (self.generation == "transformers" and processes == 1), "shared_prompts",
                f"needs runtime.generation transformers and one process, got generation {self.generation!r} "
                f"with {processes} process(es)")


@dataclass(frozen=True)
class TrainConfig(Checked):
    model: TrainModel
    data: TrainData
    algorithm: str = "grpo"             # a key of ALGORITHMS: grpo | dapo | dr_grpo
    reward: str = "verifier"            # verifier | placebo (a coin flip: the null control of the tiny world)
    rl: RLConfig = field(default_factory=RLConfig)
    runtime: TrainRuntime = field(default_factory=TrainRuntime)
    save_steps: int = 50                # checkpoint every N optimizer steps
    save_total_limit: int | None = None # keep only the newest N checkpoints (null: all, for dynamics)
    out_dir: str = "runs/train"

    def check(self) -> None:
        ensure_choice(self.algorithm, tuple(ALGORITHMS), "algorithm")
        ensure_choice(self.reward, REWARDS, "reward")
        ensure_positive(self.save_steps, "save_steps")
        rl, processes = self.rl, self.runtime.num_processes or 1
        rollouts = rl.prompts_per_step * rl.num_generations
        ensure(rollouts % (rl.per_device_batch_size * processes) == 0, "rl.per_device_batch_size",
                f"prompts_per_step x num_generations = {rollouts} must be divisible by per_device_batch_size x "
                f"num_processes = {rl.per_device_batch_size * processes}")


def load_train_config(path: str | Path | dict, overrides: dict | None = None, source: str | None = None) -> TrainConfig:
    """Read and validate a training params file, or a mapping of the same fields (fields and
    defaults: the dataclasses above). ``source`` names the params in errors."""
    source = source or ("<train params>" if isinstance(path, dict) else str(path))
    raw = dict(path) if isinstance(path, dict) else read_yaml(path)
    for section, values in (overrides or {}).items():
        raw[section] = {**raw.get(section, {}), **values} if isinstance(values, dict) else values
    for required in ("model", "data"):
        require(required in raw, source, required, "is required")
    sections = {"model": TrainModel, "data": TrainData, "rl": RLConfig, "runtime": TrainRuntime}
    built = {name: build_section(cls, raw.get(name) or {}, name, source) for name, cls in sections.items()}
    return build_section(TrainConfig, {**raw, **built}, "", source)
