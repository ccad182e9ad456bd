"""The one reader stack: a task's raw rows from a local copy, the hub, hub files or a package.

Local copies live in ``<data_dir>/<name>/`` (``data_dir`` argument or the ``RPT_DATA_DIR``
environment variable) in the source's own schema: parquet, jsonl, json (a list of records, or a
dict of records keyed by id) or tsv/csv files. When several files exist, those whose path mentions
the split (``test.parquet``, ``test-00000-of-00001.parquet``, ``test/0000.parquet``) are used, else
all of them. Multi-subset tasks keep one folder or file per subset; rows of such tasks carry the
subset name in ``row["_subset"]``. A task with a layout of its own reads it with its ``read_local``
hook; a ``hub_files`` task names its files with its ``files`` hook.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from pathlib import Path

DATA_SUFFIXES = (".parquet", ".jsonl", ".json", ".tsv", ".csv")
TRAINING_SUFFIXES = (".parquet", ".jsonl", ".json")   # what a training set's local copy may hold


class BenchmarkUnavailable(RuntimeError):
    """The task's source cannot be read; the message names the task, the source and how to
    provide a local copy."""


class TrainingSetUnavailable(BenchmarkUnavailable):
    """A training set's rows cannot be read; the message says what to put where."""


class SubsetMissing(UserWarning):
    """Some subsets of a multi-subset benchmark could not be read; the others are used."""


def unavailable(task, why: str) -> BenchmarkUnavailable:
    return BenchmarkUnavailable(
        f"benchmark {task.name!r} is unavailable: cannot read {task.source.describe()} ({why}). "
        f"Provide a local copy: pass data_dir=<dir> to load() or set RPT_DATA_DIR=<dir>, where "
        f"<dir>/{task.name}/ holds {task.source.local_layout(task.name)}.")


def offline() -> bool:
    """Whether downloads are off: ``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` set to a true value."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def read_rows(task, data_dir: Path | None, split: str) -> list[dict]:
    """A benchmark's rows: its local copy under ``data_dir``, else its packaged copy, its hub files
    or the hub."""
    if data_dir:
        return read_local(task, Path(data_dir), split)
    if task.packaged is not None:
        return task.packaged()
    if task.source.kind == "hub_files":
        return fetch_hub_files(task)
    return fetch_hub(task, split)


# ------------------------------------------------------------------------------------- hub

def fetch_hub(task, split: str) -> list[dict]:
    """Rows from the Hugging Face hub via ``datasets.load_dataset`` (all subsets, tagged ``_subset``).
    An unreadable subset (gated, moved) is dropped with a :class:`SubsetMissing` warning; with
    no subset left the benchmark is unavailable."""
    source = task.source
    if source.kind != "hub":
        raise unavailable(task, f"no hub copy; source is {source.kind}")
    try:
        import datasets
        subsets = source.subsets
        if not subsets and source.per_subset:
            subsets = tuple(datasets.get_dataset_config_names(source.path, revision=source.revision))
    except Exception as exc:  # offline, missing repo: both mean "provide a copy"
        raise unavailable(task, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    rows, missing = [], {}
    for subset in subsets or (None,):
        path = source.path.format(subset=subset)
        config = source.config.format(subset=subset) if source.config else None
        try:
            data = datasets.load_dataset(path, config, split=split, revision=source.revision)
        except Exception as exc:
            missing[subset] = f"{type(exc).__name__}: {str(exc)[:200]}"
            continue
        rows += [dict(row, _subset=subset) if subset else dict(row) for row in data]
    return with_missing_subsets(task, rows, missing)


def with_missing_subsets(task, rows: list[dict], missing: dict) -> list[dict]:
    """``rows``, after warning about each missing subset; unavailable when nothing was read."""
    if missing and not rows:
        raise unavailable(task, "; ".join(f"{k or task.source.path}: {v}" for k, v in missing.items()))
    if missing:
        warnings.warn(f"{task.name}: dropped {len(missing)} unavailable subset(s), the benchmark is smaller than "
                      "its definition: " + "; ".join(f"{k} ({v})" for k, v in missing.items()),
                      SubsetMissing, stacklevel=4)
    return rows


def source_files(task) -> list[str]:
    """The files of a ``hub_files`` source that the options select (the task's ``files`` hook)."""
    if task.files is None:
        raise ValueError(f"{task.name}: no file list for a hub_files source")
    return task.files(task)


def fetch_hub_files(task) -> list[dict]:
    """Rows of a script-only hub dataset, read from its data files (``huggingface_hub`` download)."""
    try:
        from huggingface_hub import hf_hub_download
        paths = [Path(hf_hub_download(task.source.path, f, repo_type="dataset", revision=task.source.revision))
                 for f in source_files(task)]
    except Exception as exc:  # offline, gated, missing file: all mean "provide a copy"
        raise unavailable(task, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return [row for path in paths for row in read_records(path)]


# ------------------------------------------------------------------------------------- local copies

def read_local(task, data_dir: Path, split: str) -> list[dict]:
    """Rows from ``<data_dir>/<name>/`` (see the module docstring for the accepted layouts)."""
    root = data_dir / task.name
    if not root.is_dir():
        raise unavailable(task, f"no local copy at {root}")
    if task.read_local is not None:
        return task.read_local(task, root)
    source = task.source
    if source.kind == "hub_files":
        return release_rows(task, root)
    if not source.per_subset:
        return read_files(task, root, dataset_files(root), split)
    if source.subset_root and (root / source.subset_root).is_dir():
        root = root / source.subset_root
    wanted = source.subsets or sorted({p.name.split(".")[0] for p in root.iterdir() if p.name != "tasks"})
    rows, missing = [], {}
    for subset in wanted:
        names = (subset,) + tuple(source.aliases.get(subset, ()))
        files = next((dataset_files(root / n) for n in names if (root / n).is_dir()), None)
        if files is None:
            files = [p for n in names for p in root.glob(f"{n}.*") if p.suffix in DATA_SUFFIXES]
        found = read_files(task, root, files, split, required=False)
        if found:
            rows += [dict(row, _subset=subset) for row in found]
        else:
            missing[subset] = f"no {split} rows under {root / subset}"
    if not rows:
        raise unavailable(task, f"no subset files under {root}")
    return with_missing_subsets(task, rows, missing)


def dataset_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES) if folder.is_dir() else []


def split_files(root: Path, files: list[Path], split: str) -> list[Path]:
    """The ``files`` whose path below ``root`` mentions ``split``, else all of them."""
    pattern = rf"(^|[/_.-]){re.escape(split)}([/_.-]|$)"
    return [p for p in files if re.search(pattern, p.relative_to(root).as_posix())] or files


def read_files(task, root: Path, files: list[Path], split: str, required: bool = True) -> list[dict]:
    """Rows of the files whose path below ``root`` mentions ``split``, else of all ``files``."""
    rows = [row for path in split_files(root, files, split) for row in read_records(path)]
    if required and not rows:
        raise unavailable(task, f"no {'/'.join(DATA_SUFFIXES)} rows found")
    return rows


def read_records(path: Path) -> list[dict]:
    """Records of one parquet/jsonl/json/tsv/csv file. A json dict of dicts (keyed by id) gets each
    key in ``"_key"``."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix in (".tsv", ".csv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix == ".tsv" else ","))
    data = json.loads(text)
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        return [dict(value, _key=key) for key, value in data.items()]
    return data if isinstance(data, list) else data.get("data", [data])


def release_rows(task, root: Path) -> list[dict]:
    """A copy of a ``hub_files`` dataset: its files under ``root`` (every one the options select,
    none silently dropped), or a parquet mirror's folder named after the release."""
    release = root / str(task.options.get("release"))
    if release.is_dir():
        return read_files(task, release, dataset_files(release), task.source.split)
    wanted = source_files(task)
    missing = [f for f in wanted if not (root / f).is_file()]
    if missing:
        raise unavailable(task, f"{root} lacks {', '.join(missing)} (release {task.options.get('release')} "
                                f"needs {', '.join(wanted)})")
    return [row for f in wanted for row in read_records(root / f)]


# ------------------------------------------------------------------------------------- training sets

def read_training_rows(task, data_dir, split: str) -> list[dict]:
    """A training set's rows in source order: hub split order, or a local copy's sorted data files
    (:data:`TRAINING_SUFFIXES`, hidden paths skipped) concatenated. Raises
    :class:`TrainingSetUnavailable`."""
    data_dir = data_dir or os.environ.get("RPT_DATA_DIR")
    if data_dir:
        root = Path(data_dir) / task.name
        if not root.is_dir():
            raise training_unavailable(task, f"no local copy at {root}")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TRAINING_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(root).parts))
        rows = [row for path in split_files(root, files, split) for row in read_records(path)]
        if not rows:
            raise training_unavailable(task, f"no {'/'.join(TRAINING_SUFFIXES)} rows under {root}")
        return rows
    try:
        import datasets
        return datasets.load_dataset(task.source.path, split=split).to_list()
    except Exception as exc:  # offline, missing repo or split: all mean "provide a copy"
        raise training_unavailable(task, f"cannot load hub:{task.source.path}/{split} ({type(exc).__name__}: "
                                         f"{str(exc)[:200]})") from exc


def training_unavailable(task, why: str) -> TrainingSetUnavailable:
    return TrainingSetUnavailable(
        f"training set {task.name!r} is unavailable: {why}. Provide a local copy: pass data_dir=<dir> or set "
        f"RPT_DATA_DIR=<dir>, with {task.training_layout()}; or make hub:{task.source.path} reachable.")
