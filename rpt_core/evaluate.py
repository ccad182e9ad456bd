"""Evaluation engine: plan -> cached generation -> verification -> records.

* **Plan** = model x benchmark items x repeats. Every sample has a content key: sha256 of the
  model fingerprint, the rendered prompt, the sampling parameters (incl. seed) and the sample index.
* **Generate once.** Generations are appended to ``<cache>/generations/<model>.jsonl`` (flushed and
  fsynced per batch). A re-run skips every key already there; after a SIGKILL a torn last line is
  ignored, so a re-run completes with no duplicates and nothing regenerated that was stored.
* **Grade many.** Every sample is verified with :mod:`rpt_core.rewards`. Verdicts are cached too,
  under the sample key plus the benchmark's version (:func:`rpt_core.tasks.benchmark_version`)
  and the verifier version, which every record stores: a benchmark whose declaration changed (a new
  content version) is regraded, and only it. :func:`rpt_core.records.regrade` re-verifies stored records without generating.
* **Shards.** ``shard=(i, n)`` keeps the samples whose key hashes to ``i`` mod ``n``; the union of
  all shards is exactly the unsharded plan, so merged shard records equal an unsharded run
  (:func:`rpt_core.records.merge_shards`).
* **Harness errors.** A benchmark whose samples mostly could not be graded fails the evaluation
  (:func:`check_harness`), naming the fix.

:func:`run_eval` is the one entry point: it takes a validated :class:`rpt_core.config.EvalConfig`
and is what both ``rpt eval`` and the ``evaluate`` notebook of a study call. Records are
:mod:`rpt_core.records`, their summaries :mod:`rpt_core.summary`, the suite :mod:`rpt_core.suite`,
and where a run's records and trained checkpoints live :mod:`rpt_core.layout`.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from .atomic import locked
from .tasks import BENCHMARKS, benchmark_version
from .config import EvalConfig, EvalModel
from .generate import Completion, Generator, Sampling, dumps, load_generator, sample_seed
from .items import Item
from .layout import records_path, trained_models
from .records import RECORD_COLUMNS, merge_shards, typed_records, write_records
from .rewards import VERSION as VERIFIER_VERSION
from .rewards import HARNESS_REASONS, SANDBOXED, Verdict, verify_many
from .rewards.sandbox import isolation, warm
from .suite import load_suite
from .summary import summarize

_UNCACHED_REASONS = ("sandbox_error",)  # the harness failed, not the model: grade again next time


@dataclass(frozen=True)
class Sample:
    item: Item
    index: int
    prompt: str
    key: str
    seed: int


@dataclass
class Plan:
    """What to evaluate: ``items`` per benchmark and how many samples (repeats) of each."""

    items: dict[str, list[Item]]
    repeats: dict[str, int]
    sampling: Sampling = field(default_factory=Sampling)
    shard: tuple[int, int] = (0, 1)

    def samples(self, generator: Generator) -> list[Sample]:
        index, count = self.shard
        if not 0 <= index < count:
            raise ValueError(f"shard {index}/{count}: index must be in 0..{count - 1}")
        out = []
        for benchmark, items in self.items.items():
            for item in items:
                prompt = generator.render(item.messages)
                for i in range(self.repeats.get(benchmark, 1)):
                    key = sample_key(generator.fingerprint, prompt, self.sampling, i)
                    if int(key[:12], 16) % count == index:
                        out.append(Sample(item, i, prompt, key, sample_seed(self.sampling.seed, key)))
        return out


def sample_key(fingerprint: str, prompt: str, sampling: Sampling, index: int) -> str:
    return hashlib.sha256(dumps([fingerprint, prompt, sampling.to_dict(), index]).encode()).hexdigest()


class GenerationCache:
    """Append-only JSONL store of completions by sample key; safe against a kill mid-write and
    against several writers (processes, or Slurm array tasks on a shared filesystem): each append
    holds the file's lock (:func:`rpt_core.atomic.locked`). A line that does not parse (torn by a
    kill) is skipped and counted in ``torn``; its sample is generated again."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, dict] = {}
        self.torn = 0
        if self.path.exists():
            with open(self.path, "rb") as f:
                for line in f:
                    try:
                        row = json.loads(line)
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        self.torn += 1
                        continue
                    self.entries.setdefault(row["key"], row)

    def add(self, rows: list[dict]) -> None:
        if not rows:
            return
        with locked(self.path), open(self.path, "ab") as f:
            if f.tell() and not self._ends_with_newline():
                f.write(b"\n")
            f.write("".join(dumps(r) + "\n" for r in rows).encode())
            f.flush()
            os.fsync(f.fileno())
        for row in rows:
            self.entries.setdefault(row["key"], row)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"


def cache_path(cache_dir: str | Path, fingerprint: str) -> Path:
    name = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return Path(cache_dir) / "generations" / f"{name}.jsonl"


def verdict_path(cache_dir: str | Path, fingerprint: str) -> Path:
    """Where the verdicts of one model's generations are stored (next to its generations)."""
    return cache_path(cache_dir, fingerprint).parent.parent / "verdicts" / cache_path(cache_dir, fingerprint).name


def generate_missing(generator: Generator, samples: list[Sample], cache: GenerationCache,
                     sampling: Sampling, chunk: int | None = None) -> int:
    """Generate every sample not yet in ``cache``, storing each chunk as soon as it is done; a chunk
    is the generator's batch (``batch_size``; 64 when it has none). Returns how many samples were
    generated."""
    chunk = chunk or getattr(generator, "batch_size", None) or 64
    todo = [s for s in samples if s.key not in cache.entries]
    progress = tqdm(total=len(todo), desc=f"generate {Path(generator.model).name}", disable=not todo)
    for start in range(0, len(todo), chunk):
        part = todo[start:start + chunk]
        completions: list[Completion] = generator.generate([s.prompt for s in part], sampling, [s.seed for s in part])
        cache.add([{"key": s.key, "text": c.text, "tokens": c.tokens, "finish_reason": c.finish_reason}
                   for s, c in zip(part, completions)])
        progress.update(len(part))
    progress.close()
    return len(todo)


def reference_digest(item: Item) -> str:
    """What decides a verdict besides the completion: the item's verifier kind and reference (12 hex)."""
    return hashlib.sha256(dumps([item.kind, item.reference]).encode()).hexdigest()[:12]


def grade(samples: list[Sample], cache: GenerationCache, model: str, workers: int = 8,
          verdicts: GenerationCache | None = None) -> pd.DataFrame:
    """Verify every sample's stored completion; one record per sample. With a ``verdicts`` store,
    a verdict already stored for the same sample, benchmark version, verifier version and item
    reference (:func:`reference_digest`) is reused and new ones are added: a corrected answer is
    graded again even where its prompt and benchmark version are unchanged."""
    versions = {name: benchmark_version(name) for name in {s.item.benchmark for s in samples}}
    verdict_keys = [f"{s.key}:{versions[s.item.benchmark]}:{VERIFIER_VERSION}:{reference_digest(s.item)}"
                    for s in samples]
    known = verdicts.entries if verdicts is not None else {}
    todo = [i for i, k in enumerate(verdict_keys) if k not in known]
    triples = [(samples[i].item.kind, cache.entries[samples[i].key]["text"], samples[i].item.reference) for i in todo]
    fresh = verify_many(triples, workers=workers, desc="verify")
    if verdicts is not None:  # a code verdict also records how its program was isolated
        verdicts.add([{"key": verdict_keys[i], **v.to_dict(),
                       **({"isolation": isolation()} if samples[i].item.kind.startswith("code") else {})}
                      for i, v in zip(todo, fresh) if v.reason not in _UNCACHED_REASONS])
    found = dict(zip(todo, fresh))
    rows = []
    for index, s in enumerate(samples):
        v = found.get(index) or Verdict(**{f: known[verdict_keys[index]][f] for f in Verdict.__dataclass_fields__})
        gen = cache.entries[s.key]
        rows.append({
            "model": model, "benchmark": s.item.benchmark, "benchmark_version": versions[s.item.benchmark],
            "domain": s.item.domain, "item_id": s.item.id, "sample_index": s.index, "key": s.key,
            "completion": gen["text"], "finish_reason": gen["finish_reason"], "tokens": gen["tokens"],
            "extracted": None if v.extracted is None else str(v.extracted), "correct": v.correct,
            "reason": v.reason, "verifier": v.verifier, "detail": v.detail,
            "retry_completion": "", "correct_2": v.correct,
        })
    return typed_records(pd.DataFrame(rows, columns=RECORD_COLUMNS))


def retry_samples(samples: list[Sample], records: pd.DataFrame, generator: Generator,
                  sampling: Sampling) -> list[tuple[str, Sample]]:
    """Second tries (Aider's ``pass_rate_2``): for each failed sample of a benchmark with
    ``tries == 2``, the conversation continues with the completion and a user turn holding the
    test output (:func:`rpt_core.tasks.prompting.retry_message`). ``records`` are ``samples``'
    first-try records, in the same order. Returns (first-try key, second-try sample) pairs."""
    from .tasks.prompting import retry_message

    out = []
    for s, row in zip(samples, records.itertuples()):
        spec = BENCHMARKS.get(s.item.benchmark)
        if row.correct or spec is None or spec.tries < 2:
            continue
        messages = s.item.messages + [{"role": "assistant", "content": row.completion},
                                      {"role": "user", "content": retry_message(s.item, row.detail)}]
        item = replace(s.item, messages=messages)
        prompt = generator.render(messages)
        key = sample_key(generator.fingerprint, prompt, sampling, s.index)
        out.append((s.key, Sample(item, s.index, prompt, key, sample_seed(sampling.seed, key))))
    return out


def with_retries(records: pd.DataFrame, retried: pd.DataFrame, firsts: list[str]) -> pd.DataFrame:
    """Records with the second tries' completions and ``correct_2`` (right on either try);
    ``firsts`` holds the first-try key of each row of ``retried``."""
    records = records.copy()
    position = {key: i for i, key in enumerate(records["key"])}
    rows = [position[k] for k in firsts]
    records.loc[rows, "retry_completion"] = retried["completion"].to_numpy()
    records.loc[rows, "correct_2"] = records.loc[rows, "correct"].to_numpy() | retried["correct"].to_numpy()
    return typed_records(records)


def evaluate(generator: Generator, plan: Plan, cache_dir: str | Path, model_name: str | None = None,
             workers: int = 8) -> pd.DataFrame:
    """Run ``plan`` with ``generator``: generate what is missing, then verify everything.
    ``records.attrs``: ``generated`` (samples generated now; the rest came from the cache) and
    ``torn_lines`` (unreadable cache lines skipped, whose samples were generated again)."""
    samples = plan.samples(generator)
    cache = GenerationCache(cache_path(cache_dir, generator.fingerprint))
    if cache.torn:
        warnings.warn(f"{cache.path}: skipped {cache.torn} unreadable line(s) (torn by a kill); "
                      "their samples are generated again", stacklevel=2)
    generated = generate_missing(generator, samples, cache, plan.sampling)
    verdicts = GenerationCache(verdict_path(cache_dir, generator.fingerprint))
    model = model_name or generator.model
    records = grade(samples, cache, model, workers, verdicts)
    retries = retry_samples(samples, records, generator, plan.sampling)
    if retries:
        second = [retry for _, retry in retries]
        generated += generate_missing(generator, second, cache, plan.sampling)
        records = with_retries(records, grade(second, cache, model, workers, verdicts), [first for first, _ in retries])
    records.attrs["generated"] = generated
    records.attrs["torn_lines"] = cache.torn
    return records


def missing_environments(config: EvalConfig) -> list[str]:
    """One warning per benchmark of ``config`` whose execution environment is not built (its
    samples would all be harness errors), saying how to build it; ``[]`` when none is missing."""
    from .tasks.environment import EnvironmentMissing

    out = []
    for choice in config.benchmarks:
        spec = BENCHMARKS.get(choice.name)
        if spec is not None and spec.environment:
            try:
                spec.environment.python()
            except EnvironmentMissing as exc:
                out.append(f"benchmark {choice.name}: {exc}")
    return out


class HarnessErrors(RuntimeError):
    """Too many samples of a benchmark could not be graded; the message names the fix."""


def check_harness(records: pd.DataFrame, suite: dict[str, list[Item]], max_rate: float) -> None:
    """Raise :class:`HarnessErrors` when, for some model x benchmark, more than ``max_rate`` (a
    fraction) of the samples met a harness error, naming the benchmark, the count, an example and
    the fix (the make target of a missing execution environment)."""
    from .tasks import ENVIRONMENTS

    failing = []
    for (model, benchmark), group in records.groupby(["model", "benchmark"], sort=True):
        errors = group[group["reason"].isin(HARNESS_REASONS)]
        if len(errors) > max_rate * len(group):
            names = {i.reference.get("environment") for i in suite.get(benchmark, []) if isinstance(i.reference, dict)}
            targets = [f"`make {ENVIRONMENTS[n].make_target}`" for n in sorted(names - {None}) if n in ENVIRONMENTS]
            fix = (f"build its execution environment ({', '.join(targets)})" if targets else
                   "fix the harness (see the records' detail column)")
            failing.append(f"{model} on {benchmark}: {len(errors)} of {len(group)} samples ({len(errors) / len(group):.1%}) "
                           f"could not be graded ({errors['reason'].iloc[0]}: {str(errors['detail'].iloc[0])[:200]}); {fix}")
    if failing:
        raise HarnessErrors("harness errors above max_harness_error_rate "
                            f"{max_rate:.1%}: " + "; ".join(failing) + ". The records are written; harness "
                            "errors are never cached, so a re-run after the fix grades those samples again")


@dataclass
class Evaluation:
    """What :func:`run_eval` produced: every model's ``records`` (one row per sample), their
    ``summary`` (:func:`rpt_core.summary.summarize`), a ``log`` row per model (samples, generated now, from the cache,
    unreadable cache lines, records file) and the ``suite`` (benchmark -> items) and its ``repeats``."""

    records: pd.DataFrame
    summary: pd.DataFrame
    log: pd.DataFrame
    suite: dict[str, list[Item]]
    repeats: dict[str, int]


def models_to_evaluate(config: EvalConfig, checkpoints: bool = True) -> list[EvalModel]:
    """The explicit ``models``, then every checkpoint and final model of each run in ``checkpoints_of``
    (under ``<work_dir>/train``; left out with ``checkpoints=False``), then the ``registry_models``
    entries that have a hub path (``only_confirmed``: those marked confirmed), in bfloat16."""
    from .models import load_registry

    out = list(config.models)
    for run in config.checkpoints_of if checkpoints else ():
        out += [EvalModel(m["path"], m["name"]) for m in trained_models(Path(config.work_dir) / "train" / run, run)]
    if config.registry_models:
        out += [EvalModel(e.path, e.name, dtype="bfloat16") for e in load_registry(config.registry_models)
                if e.path and (e.confirmed or not config.only_confirmed)]
    return out


def run_eval(config: EvalConfig, workers: int = 8) -> Evaluation:
    """Evaluate every model of ``config`` (:func:`models_to_evaluate`) on its benchmark suite, one
    model at a time: generate what the cache lacks, verify, and write each model's records to
    :func:`rpt_core.layout.records_path` as soon as it is done (an interrupted run keeps the finished
    models and every stored generation). ``workers``: parallel verifications. ``config.threads`` is
    applied by the entry point (:func:`rpt_core.process.set_threads`), not here."""
    suite, repeats = load_suite(config.benchmarks, data_dir=config.data_dir, items_dir=config.items_dir)
    models = models_to_evaluate(config)
    if not models:
        raise ValueError("nothing to evaluate: no models, no finished checkpoints in checkpoints_of "
                         f"({', '.join(config.checkpoints_of) or 'none'}) and no registry entries with a path")
    plan = Plan(suite, repeats, config.sampling, config.shard)
    if any(item.kind in SANDBOXED for items in suite.values() for item in items):
        warm(workers)  # the sandbox servers boot in their own processes while the first model loads
    parts, log = [], []
    for model in models:
        generator = load_generator(config.backend, model.path, **config.generator_options(model))
        records = evaluate(generator, plan, Path(config.work_dir) / "cache", model_name=model.label, workers=workers)
        path = write_records(records, records_path(config.out_dir, model.label, config.shard))
        parts.append(records)
        log.append({"model": model.label, "samples": len(records), "generated": records.attrs["generated"],
                    "from cache": len(records) - records.attrs["generated"], "torn lines": records.attrs["torn_lines"],
                    "harness errors": int(records["reason"].isin(HARNESS_REASONS).sum()), "records": str(path)})
        del generator
        check_harness(records, suite, config.max_harness_error_rate)
    records = merge_shards(parts)
    return Evaluation(records, summarize(records, items=suite), pd.DataFrame(log), suite, repeats)


__all__ = ["Sample", "Plan", "sample_key", "GenerationCache", "cache_path", "verdict_path", "generate_missing",
           "reference_digest", "grade", "retry_samples", "with_retries", "evaluate", "missing_environments",
           "HarnessErrors", "check_harness", "Evaluation", "models_to_evaluate", "run_eval"]
