"""What a study will cost before it runs: generations, tokens, steps, GPU memory and GPU-hours.

Used by ``rpt validate`` and ``rpt run --dry-run`` as guard rails for long runs. Everything here is an
*estimate* from counts and a few constants, stated below; nothing is loaded or downloaded.

* Parameter count: from a local ``config.json`` when the model is a folder; else from
  :data:`KNOWN_MODELS` (architectures of the paper's models); else parsed from a size in the name
  ("-7B-"), flagged as a guess.
* Inference memory (GiB): weights (2 bytes/parameter in bf16) + KV cache for the sequences in flight
  (2 x layers x kv_heads x head_dim x 2 bytes per token), per GPU after tensor parallelism.
* Training memory (GiB): 16 bytes/parameter for bf16 weights, gradients, fp32 master weights and
  Adam moments (divided over GPUs by ZeRO stage 2/3 as configured), plus activations of one
  micro-batch with gradient checkpointing (hidden x layers x 2 bytes x tokens x 2), plus the vLLM
  share of GPU memory when generation is colocated.
* GPU-hours: generated tokens / throughput, with :data:`THROUGHPUT` measured on one H200 (see
  README); training steps: seconds per rollout-token measured for GRPO on the same GPU.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Architecture:
    parameters: float        # count
    layers: int
    hidden: int
    kv_heads: int
    head_dim: int


# config.json of the hub models (architecture fields); parameters as counted by transformers
KNOWN_MODELS: dict[str, Architecture] = {
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": Architecture(1.777e9, 28, 1536, 2, 128),
    "meta-llama/Llama-3.2-3B-Instruct": Architecture(3.213e9, 28, 3072, 8, 128),
    "Qwen/Qwen2.5-Coder-7B": Architecture(7.616e9, 28, 3584, 4, 128),
    "meta-llama/Llama-3.1-8B-Instruct": Architecture(8.030e9, 32, 4096, 8, 128),
}

# Measured on one H200 (benchmarks/gpu_paper_shape.py, DeepSeek-R1-Distill-Qwen-1.5B shape, bf16):
# hf generation 942 tok/s at batch 128; GRPO 64 rollouts x 512 tokens in 16.6-21.3 s per step
# (transformers generation, gradient checkpointing) -> ~0.57 ms per rollout token for a 1.78B model.
THROUGHPUT = {"hf_tokens_per_s_1.5b": 942.0, "grpo_s_per_rollout_token_1.5b": 18.95 / (64 * 512)}
# vLLM's throughput was not measurable here (no vLLM on the GPU machine); its usual speed-up over
# transformers generation for batched sampling is taken as this factor, stated, not measured.
VLLM_SPEEDUP_ASSUMED = 10.0


def architecture(path: str) -> tuple[Architecture | None, str]:
    """The model's architecture and where it came from: ``config``, ``known`` or ``name`` (a guess)."""
    config_file = Path(path) / "config.json"
    if config_file.exists():
        c = json.loads(config_file.read_text())
        hidden, layers = c["hidden_size"], c["num_hidden_layers"]
        heads = c["num_attention_heads"]
        kv = c.get("num_key_value_heads", heads)
        head_dim = c.get("head_dim") or hidden // heads
        inter, vocab = c.get("intermediate_size", 4 * hidden), c["vocab_size"]
        per_layer = hidden * (heads * head_dim) * 2 + hidden * (kv * head_dim) * 2 + 3 * hidden * inter
        embeddings = vocab * hidden * (1 if c.get("tie_word_embeddings") else 2)
        return Architecture(layers * per_layer + embeddings, layers, hidden, kv, head_dim), "config"
    if path in KNOWN_MODELS:
        return KNOWN_MODELS[path], "known"
    match = re.search(r"(\d+(?:\.\d+)?)[Bb](?![a-z])", path)
    if match:
        billions = float(match.group(1))
        # a typical dense decoder of that size (layers ~ 28-32, GQA with 8 KV heads of 128)
        hidden = int(round(math.sqrt(billions * 1e9 / (28 * 12)) / 128) * 128) or 1024
        return Architecture(billions * 1e9, 28, hidden, 8, 128), "name"
    return None, "unknown"


@dataclass
class Estimate:
    """One step's cost. Tokens are upper bounds (every sample generating its maximum)."""

    step: str
    kind: str                                  # eval | train
    generations: int = 0
    max_tokens: int = 0
    optimizer_steps: int = 0
    memory_gib: float | None = None            # per GPU
    gpu_hours: float | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.generations:,} generations", f"<= {self.max_tokens / 1e6:,.1f} M tokens"]
        if self.optimizer_steps:
            parts.insert(0, f"{self.optimizer_steps:,} optimizer steps")
        if self.memory_gib is not None:
            parts.append(f"~{self.memory_gib:,.1f} GiB/GPU")
        if self.gpu_hours is not None:
            parts.append(f"~{self.gpu_hours:,.1f} GPU-h")
        return f"{self.kind:<5} " + ", ".join(parts) + "".join(f"\n         note: {n}" for n in self.notes)


def _scale(arch: Architecture | None) -> float:
    """Cost relative to the 1.78B model the throughput was measured on (linear in parameters)."""
    return (arch.parameters / 1.777e9) if arch else 1.0


def inference_memory_gib(arch: Architecture, tokens_in_flight: int, tensor_parallel: int = 1) -> float:
    weights = 2 * arch.parameters
    kv = 2 * arch.layers * arch.kv_heads * arch.head_dim * 2 * tokens_in_flight
    return (weights + kv) / tensor_parallel / 2**30


def training_memory_gib(arch: Architecture, micro_batch_tokens: int, gpus: int = 1, zero_stage: int = 0,
                        vllm_share: float = 0.0, gpu_memory_gib: float = 80.0) -> float:
    states = 16 * arch.parameters
    if zero_stage == 2:
        states = 4 * arch.parameters + 12 * arch.parameters / gpus
    elif zero_stage == 3:
        states = 16 * arch.parameters / gpus
    activations = arch.hidden * arch.layers * 2 * micro_batch_tokens * 2
    return (states + activations) / 2**30 + vllm_share * gpu_memory_gib


def estimate_eval(step: str, config, models: list, n_items: dict[str, int], gpu_memory_gib: float = 80.0) -> list[Estimate]:
    """One estimate per model (:class:`rpt_core.config.EvalModel`) of an evaluation step with a validated
    :class:`rpt_core.config.EvalConfig`. ``n_items``: benchmark -> items x repeats.
    Memory: weights + the KV cache of one hf batch; with vLLM, weights only (it sizes its own cache)."""
    max_new = config.sampling.max_new_tokens
    samples = sum(n_items.values())
    vllm = config.backend == "vllm"
    out = []
    for model in models:
        arch, source = architecture(model.path)
        est = Estimate(f"{step}: {model.label}", "eval", samples, samples * max_new)
        speed = THROUGHPUT["hf_tokens_per_s_1.5b"] / _scale(arch)
        if vllm:
            speed *= VLLM_SPEEDUP_ASSUMED
            est.notes.append(f"vLLM throughput assumed {VLLM_SPEEDUP_ASSUMED:g}x transformers (not measured)")
        est.gpu_hours = est.max_tokens / speed / 3600
        if arch:  # vLLM pages the KV cache into whatever memory is left
            est.memory_gib = inference_memory_gib(arch, 0 if vllm else config.batch_size * max_new, config.tensor_parallel_size)
            if est.memory_gib > gpu_memory_gib:
                est.notes.append(f"needs ~{est.memory_gib:.0f} GiB per GPU but {gpu_memory_gib:g} GiB are declared: "
                                 "lower batch_size or max_new_tokens, or use vllm with tensor parallelism")
        if source in ("name", "unknown"):
            est.notes.append(f"parameter count of {model.path} {'guessed from its name' if source == 'name' else 'unknown'}")
        out.append(est)
    return out


def estimate_train(step: str, config, n_items: int, gpus: int = 1, gpu_memory_gib: float = 80.0,
                   zero_stage: int = 0) -> Estimate:
    """Steps, rollouts, tokens, memory and GPU-hours of one training run (a validated TrainConfig)."""
    rl = config.rl
    steps = rl.max_steps or math.ceil(n_items / rl.prompts_per_step * rl.epochs)
    rollouts = steps * rl.prompts_per_step * rl.num_generations
    est = Estimate(step, "train", rollouts, rollouts * rl.max_completion_length, optimizer_steps=steps)
    arch, source = architecture(config.model.path)
    est.gpu_hours = est.max_tokens * THROUGHPUT["grpo_s_per_rollout_token_1.5b"] * _scale(arch) / 3600
    if arch:
        share = config.runtime.vllm_gpu_memory_utilization if config.runtime.generation == "vllm_colocate" else 0.0
        est.memory_gib = training_memory_gib(arch, rl.per_device_batch_size * rl.max_completion_length, gpus,
                                             zero_stage, share, gpu_memory_gib)
        if est.memory_gib > gpu_memory_gib:
            est.notes.append(f"needs ~{est.memory_gib:.0f} GiB per GPU but {gpu_memory_gib:g} GiB are declared: "
                             "lower per_device_batch_size, enable gradient checkpointing, or use ZeRO-3 / more GPUs")
    if source in ("name", "unknown"):
        est.notes.append(f"parameter count of {config.model.path} {'guessed from its name' if source == 'name' else 'unknown'}")
    return est


__all__ = ["Architecture", "KNOWN_MODELS", "THROUGHPUT", "Estimate", "architecture",
           "inference_memory_gib", "training_memory_gib", "estimate_eval", "estimate_train"]
