"""What whole-file model fingerprints cost: hashing a checkpoint-sized weight file against loading it.

A 1.5B-parameter model in bfloat16 is a ~3.1 GB safetensors file. This writes one of that size (random
bytes, so nothing compresses), then times in one run:
  * the old fingerprint: file size plus the first and last MiB (what it replaced),
  * the new fingerprint (rpt_core.generate.model_fingerprint): sha256 of every byte,
  * the baseline: loading the weights into memory (safetensors, then a copy, as a model load does),
    which every evaluation does anyway,
and prints new/baseline. Both read from the page cache on a second pass; the first (cold) pass is
printed too.

    python benchmarks/fingerprint_cost.py [--gib 3.1] [--dir /tmp]
"""

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from rpt_core.generate import model_fingerprint


def head_tail(path: Path) -> str:
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(f"{path.name}:{size}".encode())
    with open(path, "rb") as f:
        digest.update(f.read(1 << 20))
        f.seek(-(1 << 20), os.SEEK_END)
        digest.update(f.read())
    return digest.hexdigest()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=3.1, help="weight file size in GB (default 3.1: 1.5B in bf16)")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(dir=args.dir, prefix="fingerprint-"))
    try:
        n = int(args.gib * 1e9 / 2)
        rows, cols = n // 4096, 4096
        save_file({"weight": torch.randint(-2**15, 2**15 - 1, (rows, cols), dtype=torch.int16).view(torch.bfloat16)},
                  folder / "model.safetensors")
        (folder / "config.json").write_text("{}")
        size = (folder / "model.safetensors").stat().st_size
        print(f"weight file: {size / 1e9:.2f} GB ({rows * cols / 1e9:.2f} B bf16 values)")
        for attempt in ("first pass", "second pass"):
            old = timed(lambda: head_tail(folder / "model.safetensors"))
            new = timed(lambda: model_fingerprint(str(folder)))
            load = timed(lambda: [t.clone() for t in load_file(folder / "model.safetensors").values()])
            print(f"{attempt}: head+tail {old:.3f} s | whole-file sha256 {new:.2f} s ({size / new / 1e9:.2f} GB/s) | "
                  f"load weights {load:.2f} s | whole-file / load = {new / load:.2f}x")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
