"""Pretrain a tiny base model from scratch on the tiny world, on a CPU.

Cost: the published tiny-world bases (10,000 steps of 16 rows) take about 6 minutes each on one
core, which is why the demo starts from committed bases (``params/tinyworld-bases.yaml``) instead of
pretraining. A tiny model learns to copy numbers and names from its prompt late (after thousands of
steps; see :data:`PRESETS`).

    >>> from rpt_core.tinyworld.world import build_world
    >>> from rpt_core.tinyworld.pretrain import pretrain
    >>> model_dir = pretrain(build_world(seed=0), "runs/base-small", size="small")

What it does, top to bottom:

1. **Data**: :meth:`World.pretraining_corpus` -- chat examples (prompt, worked solution) from every
   domain's ``pretrain`` split (never the RL ``train`` or the ``test`` items), each written in the
   careful habit with probability ``careful_rate`` and otherwise as the domain's shortcut (so the
   base has its skills only *latent*), plain documents (every fact of the knowledge domain as
   statements, the arithmetic table) and generic copying rows (:func:`copy_examples`).
2. **Tokenizer**: byte-level BPE trained on that corpus (:func:`rpt_core.tinyworld.model.build_tokenizer`, chat template
   included), pre-tokenized exactly as ``AutoTokenizer`` will pre-tokenize it when it loads the model
   folder (for ``qwen2`` models transformers imposes Qwen2's split: single digits, a space is kept
   apart from a number); training encodes with the tokenizer re-loaded from the saved folder, so
   training and generation/RL see the same token ids.
3. **Model**: a randomly initialised Qwen2 of a :data:`PRESETS` size (:func:`rpt_core.tinyworld.model.build_model`).
4. **Training**: next-token cross-entropy; on chat examples only the assistant part (solution +
   ``<|im_end|>``) is scored, on documents every token. Plain torch loop: AdamW, linear warm-up, a
   constant rate, then cosine decay to ``min_lr_ratio * lr`` (:func:`lr_at`), gradient clipping, shuffled batches of rows of similar
   length (little padding), tqdm progress.
5. **Output** (``out_dir``, written to a temporary folder and renamed at the end, so it is never
   half-written): HF-format model + tokenizer and ``pretrain.json`` (config, model size, parameter
   count, steps, initial/final loss, loss curve, seconds, torch threads).

Determinism: model initialisation, data order and dropout-free training are seeded by ``seed``;
the same seed, world, config, torch version and thread count give the same weights. Results may
differ in the last bits across thread counts or CPUs (BLAS reduction order): pass ``threads`` to fix
the count.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from .world import World
from .model import build_model, build_tokenizer


@dataclass(frozen=True)
class ModelSize:
    """Qwen2 dimensions. head_dim = hidden // heads must stay >= 32 (vLLM on CPU)."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int


# kv_heads == heads (no grouped-query attention): with a single KV head, a 2-layer model did not learn
# to copy tokens from the prompt within 200 steps, where full multi-head attention did by step 150.
# Three layers: measured on the tiny world v3 (10,000 steps of 16 rows), a 2-layer model wrote the
# careful template right 59-62% of the time on tiny_code_fn/list and 6% on tiny_math_chain (copying
# the operands of later steps from the prompt), a 3-layer one 83-100% on every sub-benchmark.
# "medium" has a wider MLP than "small".
PRESETS: dict[str, ModelSize] = {
    "small": ModelSize(hidden=64, layers=3, heads=2, kv_heads=2, intermediate=192),
    "medium": ModelSize(hidden=64, layers=3, heads=2, kv_heads=2, intermediate=256),
}


@dataclass(frozen=True)
class PretrainConfig:
    """size: a :data:`PRESETS` name. steps: optimizer steps. batch_size: rows per step.
    lr: peak learning rate; warmup_steps: linear warm-up; the last ``decay_fraction`` of the steps
    decay (cosine) to ``min_lr_ratio * lr`` (:func:`lr_at`).
    weight_decay: AdamW decoupled weight decay. grad_clip: max global gradient norm.
    vocab_size: BPE vocabulary (incl. 4 special tokens). careful_rate: share of worked solutions
    written in the careful habit (the rest are shortcuts; see :meth:`World.pretraining_corpus`): the
    rate at which the base samples the careful template. table_copies: passes over the arithmetic
    table. fact_copies: passes over the fact base. copy_rows: generic "repeat after me" chat rows added to the corpus
    (:func:`copy_examples`); they make the model learn to copy from its prompt early, which every
    domain needs (numbers, names, operations). max_len: longer rows are cut (tokens).
    seed: init + data order.
    threads: torch CPU threads (``None``: leave torch's default). device: where to train (``"cpu"``,
    ``"cuda"``); the saved model is the same format either way."""

    size: str = "small"
    steps: int = 10000
    batch_size: int = 16
    lr: float = 3e-3
    warmup_steps: int = 30
    decay_fraction: float = 0.25
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    vocab_size: int = 1024
    careful_rate: float = 0.35
    table_copies: int = 40
    fact_copies: int = 40
    copy_rows: int = 6000
    max_len: int = 256
    seed: int = 0
    threads: int | None = 1
    device: str = "cpu"

    def __post_init__(self):
        if self.size not in PRESETS:
            raise ValueError(f"unknown model size {self.size!r}; allowed: {', '.join(PRESETS)}")
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {self.steps} and {self.batch_size}")


def copy_examples(corpus: list[dict], count: int, seed: int) -> list[dict]:
    """``count`` domain-neutral chat rows with 3-8 items each, in turn: "Repeat after me: five two
    nine" -> "OK: five two nine" (spoken numbers), "In digits: five two twelve" -> "OK: 5 2 12" (or
    "In words: 5 2 12" -> "OK: five two twelve"), and "Repeat after me: <words of the corpus>". They
    teach what every domain needs and a tiny model otherwise learns late: to copy a token from its
    prompt (a number, a name) and to write a number in digits or in words."""
    from .arithmetic import NUMBER_WORDS

    rng = random.Random(f"{seed}:copy")
    words = sorted({w.strip(".,;:?()`") for row in corpus[:2000]
                    for w in (row.get("solution") or row.get("text") or "").split()} - {""})
    rows = []
    for i in range(count):
        n = rng.randint(3, 8)
        if i % 3 == 2:
            items = [rng.choice(words) for _ in range(n)]
            prompt, answer = "Repeat after me: " + " ".join(items), " ".join(items)
        else:
            values = [rng.randrange(len(NUMBER_WORDS)) for _ in range(n)]
            spoken = " ".join(NUMBER_WORDS[v] for v in values)
            digits = " ".join(str(v) for v in values)
            prompt, answer = ((f"Repeat after me: {spoken}", spoken) if i % 3 == 0
                              else (f"In digits: {spoken}", digits) if i % 6 == 1 else (f"In words: {digits}", spoken))
        rows.append({"messages": [{"role": "user", "content": prompt}], "solution": f"OK: {answer}"})
    return rows


def _encode(tokenizer, corpus: list[dict], max_len: int) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) per corpus row; labels are -100 where no loss is taken."""
    def ids(texts: list[str]) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []

    chats = [row for row in corpus if "messages" in row]
    prompts = ids([tokenizer.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True)
                   for r in chats])
    answers = ids([r["solution"] for r in chats])
    docs = ids([row["text"] for row in corpus if "text" in row])
    chat_rows = iter(zip(prompts, answers))
    doc_rows = iter(docs)
    eos, end = tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|endoftext|>")
    out = []
    for row in corpus:  # keep the corpus order
        if "messages" in row:
            prompt, answer = next(chat_rows)
            ids, labels = prompt + answer + [eos], [-100] * len(prompt) + answer + [eos]
        else:
            ids = next(doc_rows) + [end]
            labels = ids
        out.append((ids[:max_len], labels[:max_len]))
    return out


def _epoch_batches(rows: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch of batches (row indices): shuffled, then rows of similar length grouped into a
    batch (sorted within windows of 50 batches) so little compute goes to padding."""
    indices = list(range(len(rows)))
    rng.shuffle(indices)
    window = 50 * batch_size
    batches = []
    for start in range(0, len(indices), window):
        chunk = sorted(indices[start:start + window], key=lambda i: len(rows[i][0]))
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _batch(rows: list[tuple[list[int], list[int]]], pad_id: int):
    import torch

    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (ids, lab) in enumerate(rows):
        input_ids[i, :len(ids)] = torch.tensor(ids)
        labels[i, :len(lab)] = torch.tensor(lab)
        mask[i, :len(ids)] = 1
    return input_ids, mask, labels


def lr_at(step: int, config: PretrainConfig) -> float:
    """Learning rate for 0-based ``step`` (warm-up, stable, decay): linear warm-up over
    ``warmup_steps``, constant ``lr``, then over the last ``decay_fraction`` of the steps a cosine
    decay to ``min_lr_ratio * lr``. A tiny model learns its slowest skills (copying from the
    prompt, two-operand lookups) late, so most steps run at the full rate."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    decay_start = max(config.warmup_steps, int(config.steps * (1 - config.decay_fraction)))
    if step < decay_start:
        return config.lr
    progress = (step - decay_start) / max(1, config.steps - decay_start)
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def pretrain(world: World, out_dir: str | Path, size: str = "small", steps: int | None = None, seed: int = 0,
             config: PretrainConfig | None = None, progress: bool = True, **overrides) -> Path:
    """Pretrain a base model on ``world`` and save it to ``out_dir``; returns ``out_dir``.

    ``config`` (or the defaults) with ``size``, ``steps``, ``seed`` and any other
    :class:`PretrainConfig` field in ``overrides`` replaced. An existing ``out_dir`` is replaced.
    """
    import torch
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    config = replace(config or PretrainConfig(), size=size, seed=seed,
                     **({"steps": steps} if steps is not None else {}), **overrides)
    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)

    corpus = world.pretraining_corpus(careful_rate=config.careful_rate, table_copies=config.table_copies,
                                      fact_copies=config.fact_copies, seed=config.seed)
    corpus += copy_examples(corpus, config.copy_rows, config.seed)
    texts = ["user", "assistant"] * 100 + [m["content"] for row in corpus for m in row.get("messages", [])]
    texts += [row.get("solution") or row.get("text") for row in corpus]
    trained = build_tokenizer(texts, vocab_size=config.vocab_size)
    dims = PRESETS[config.size]
    build_model(tmp, trained, hidden=dims.hidden, layers=dims.layers, heads=dims.heads, kv_heads=dims.kv_heads,
                intermediate=dims.intermediate, max_positions=512, seed=config.seed)
    tokenizer = AutoTokenizer.from_pretrained(tmp)  # exactly what generation and RL will load
    sample = texts[-1] + " 12 + 345 = 357"
    if tokenizer(sample).input_ids != trained(sample).input_ids:
        raise RuntimeError("the tokenizer re-loaded with AutoTokenizer splits text differently from the trained one")
    torch.manual_seed(config.seed)
    model = Qwen2ForCausalLM.from_pretrained(tmp, dtype=torch.float32).to(config.device)
    model.train()
    rows = _encode(tokenizer, corpus, config.max_len)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=config.lr, betas=(0.9, 0.95))
    rng = random.Random(f"{config.seed}:pretrain-order")
    order: list[list[int]] = []
    losses: list[float] = []
    tokens = 0
    bar = tqdm(range(config.steps), desc=f"pretrain {config.size}", disable=not progress)
    for step in bar:
        if not order:
            order = _epoch_batches(rows, config.batch_size, rng)
        batch = [rows[i] for i in order.pop()]
        input_ids, mask, labels = (t.to(config.device) for t in _batch(batch, tokenizer.pad_token_id))
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, config)
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        losses.append(loss.item())
        tokens += int(mask.sum())
        if step % 10 == 0 or step == config.steps - 1:
            bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")

    model.to("cpu").eval()
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tail = losses[-max(1, min(20, len(losses) // 5)):]
    manifest = {
        "config": asdict(config), "model": asdict(dims), "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer), "corpus_rows": len(rows), "tokens_seen": tokens, "steps": config.steps,
        "initial_loss": losses[0], "final_loss": sum(tail) / len(tail),
        "loss_curve": [round(sum(losses[i:i + 10]) / len(losses[i:i + 10]), 4) for i in range(0, len(losses), 10)],
        "seconds": round(time.perf_counter() - started, 2), "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "world": {"seed": world.seed, "version": world.version, "sizes": asdict(world.sizes)},
    }
    (tmp / "pretrain.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return out_dir


def read_pretraining(model_dir: str | Path) -> dict:
    """The ``pretrain.json`` written by :func:`pretrain`."""
    return json.loads((Path(model_dir) / "pretrain.json").read_text())


# ------------------------------------------------------------------------ published base models
# The demo starts from committed ("published") bases, as the paper starts from published models: a
# base pretrained once by this code, with a manifest that says how, and fingerprints the demo checks.

PUBLISHED = "published.json"
_PUBLISHED_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                    "tokenizer_config.json", "chat_template.jinja", "pretrain.json")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish_base(model_dir: str | Path, out_dir: str | Path, command: str) -> dict:
    """Copy the base in ``model_dir`` (written by :func:`pretrain`) to ``out_dir`` as a published
    model: its weights, config, tokenizer and ``pretrain.json``, plus ``published.json`` with the
    model fingerprint (:func:`rpt_core.generate.model_fingerprint`), the sha256 of every file, the
    world (seed, version) and pretraining config it came from, ``command`` (how to rebuild it) and the
    git state. ``out_dir`` is replaced. Returns the ``published.json`` content."""
    from ..generate import model_fingerprint
    from ..manifest import git_state, utc_now

    source, out_dir = Path(model_dir), Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in _PUBLISHED_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, tmp / name)
    manifest = read_pretraining(source)
    record = {"name": out_dir.name, "fingerprint": model_fingerprint(str(tmp)),
              "files": {f.name: _sha256(f) for f in sorted(tmp.iterdir())},
              "world": manifest["world"], "pretrain": manifest["config"], "parameters": manifest["parameters"],
              "command": command, "git": git_state(), "published_at": utc_now()}
    (tmp / PUBLISHED).write_text(json.dumps(record, indent=1))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return record


def check_published(model_dir: str | Path, world: World | None = None) -> dict:
    """Verify a published base before a study uses it: every file's sha256 and the model fingerprint
    match ``published.json``, and (given ``world``) it was pretrained on a world of the same seed and
    version, so the world's test and RL items are unseen by it. Returns ``published.json``; raises
    ValueError naming what differs and how to rebuild the base."""
    from ..generate import model_fingerprint

    path = Path(model_dir)
    if not (path / PUBLISHED).exists():
        raise ValueError(f"{path} is not a published base (no {PUBLISHED}); publish one with "
                         "`rpt run params/tinyworld-bases.yaml`")
    record = json.loads((path / PUBLISHED).read_text())
    rebuild = f"rebuild it with: {record.get('command', 'rpt run params/tinyworld-bases.yaml')}"
    changed = [name for name, digest in record["files"].items()
               if not (path / name).exists() or _sha256(path / name) != digest]
    if changed:
        raise ValueError(f"{path}: {', '.join(changed)} differ from {PUBLISHED} (modified or missing); {rebuild}")
    if model_fingerprint(str(path)) != record["fingerprint"]:
        raise ValueError(f"{path}: model fingerprint differs from {PUBLISHED}; {rebuild}")
    if world is not None:
        made_on = {k: record["world"].get(k) for k in ("seed", "version")}
        if made_on != {"seed": world.seed, "version": world.version}:
            raise ValueError(f"{path} was pretrained on the tiny world {made_on}, not on seed {world.seed} "
                             f"version {world.version}: its pretraining items may overlap this world's test "
                             f"items; {rebuild}")
    return record


def pretrain_many(world: World, jobs: dict[str, dict], root: str | Path, workers: int | None = None) -> dict[str, dict]:
    """Pretrain several base models at once, one process per model (each single-threaded by
    :class:`PretrainConfig`'s ``threads``, so N models use N cores instead of taking turns).

    ``jobs`` maps a model name to :func:`pretrain` keyword arguments (``size``, ``steps``, ``seed``,
    ...); the model goes to ``root/<name>``. A model whose ``pretrain.json`` already records the
    same arguments and world is reused. Returns each model's manifest.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    root = Path(root)

    def done(name: str, options: dict) -> bool:
        path = root / name / "pretrain.json"
        if not path.exists():
            return False
        manifest = json.loads(path.read_text())
        same_world = manifest["world"] == {"seed": world.seed, "version": world.version, "sizes": asdict(world.sizes)}
        return same_world and all(manifest["config"].get(k) == v for k, v in options.items())

    todo = {name: options for name, options in jobs.items() if not done(name, options)}
    if todo:
        with ProcessPoolExecutor(max_workers=workers or min(len(todo), os.cpu_count() or 1),
                                 mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(pretrain, world, root / name, progress=False, **options)
                       for name, options in todo.items()]
            for future in futures:
                future.result()
    return {name: read_pretraining(root / name) for name in jobs}


__all__ = ["pretrain_many", "PRESETS", "ModelSize", "PretrainConfig", "pretrain", "read_pretraining", "lr_at", "publish_base",
           "check_published", "PUBLISHED"]
