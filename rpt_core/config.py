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

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .generate import BACKENDS, Sampling


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


@dataclass(frozen=True)
class EvalConfig:
    model: ModelConfig
    benchmarks: list[BenchmarkChoice]
    sampling: Sampling = field(default_factory=Sampling)
    data_dir: str | None = None
    cache_dir: str = "cache"
    out_dir: str = "runs/eval"
    shard: tuple[int, int] = (0, 1)


def _build(cls, raw: Any, where: str, source: str):
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


def _check(condition: bool, source: str, field_name: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{source}: {field_name}: {message}")


def load_eval_config(path: str | Path, overrides: dict | None = None) -> EvalConfig:
    """Read and validate an evaluation params file (see the module docstring)."""
    from .benchmarks import BENCHMARKS

    source = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: cannot read params: {exc}") from None
    raw = {**raw, **(overrides or {})}
    for required in ("model", "benchmarks"):
        _check(required in raw, source, required, "is required")
    top = {f.name for f in fields(EvalConfig)}
    unknown = sorted(set(raw) - top)
    _check(not unknown, source, ", ".join(unknown), f"unknown field(s); allowed: {', '.join(sorted(top))}")

    model = _build(ModelConfig, raw["model"], "model", source)
    _check(model.backend in BACKENDS, source, "model.backend", f"{model.backend!r} is not allowed; allowed: {', '.join(BACKENDS)}")
    dtypes = ("auto", "float32", "bfloat16", "float16")
    _check(model.dtype in dtypes, source, "model.dtype", f"{model.dtype!r} is not allowed; allowed: {', '.join(dtypes)}")

    _check(isinstance(raw["benchmarks"], list) and raw["benchmarks"], source, "benchmarks", "must be a non-empty list")
    choices = []
    for i, entry in enumerate(raw["benchmarks"]):
        choice = _build(BenchmarkChoice, {"name": entry} if isinstance(entry, str) else entry, f"benchmarks[{i}]", source)
        _check(choice.name in BENCHMARKS, source, f"benchmarks[{i}].name",
               f"unknown benchmark {choice.name!r}; allowed: {', '.join(BENCHMARKS)}")
        for name in ("repeats", "limit"):
            value = getattr(choice, name)
            _check(value is None or (isinstance(value, int) and value >= 1), source, f"benchmarks[{i}].{name}", "must be a positive integer")
        choices.append(choice)

    sampling = _build(Sampling, raw.get("sampling") or {}, "sampling", source)
    _check(sampling.temperature >= 0, source, "sampling.temperature", "must be >= 0")
    _check(0 < sampling.top_p <= 1, source, "sampling.top_p", "must be in (0, 1]")
    _check(isinstance(sampling.max_new_tokens, int) and sampling.max_new_tokens >= 1, source, "sampling.max_new_tokens", "must be a positive integer")

    shard_text = str(raw.get("shard", "0/1"))
    try:
        index, count = (int(x) for x in shard_text.split("/"))
    except ValueError:
        raise ConfigError(f"{source}: shard: {shard_text!r} must look like i/n, e.g. 0/4") from None
    _check(0 <= index < count, source, "shard", f"{shard_text!r}: need 0 <= i < n")
    return EvalConfig(model, choices, sampling, raw.get("data_dir"), str(raw.get("cache_dir", "cache")),
                      str(raw.get("out_dir", "runs/eval")), (index, count))
