"""The trainer a run drives: :class:`RLVRTrainer` (TRL's GRPOTrainer plus DAPO's dynamic-sampling filter
and shared-prompt sampling; built by :func:`trainer_class`, so TRL is imported only when a run starts),
what it writes each step (the prompts of each global batch in ``batches.jsonl``, read back with
:func:`read_batches`; the per-step metrics table ``train_log.csv`` written by the :class:`TrainLog`
callback of :func:`log_callback`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from .atomic import write_atomic

LOG_FILE = "train_log.csv"
BATCHES_FILE = "batches.jsonl"


def trainer_class():
    from trl import GRPOTrainer

    class RLVRTrainer(GRPOTrainer):
        """GRPOTrainer plus DAPO's dynamic-sampling filter (see :mod:`rpt_core.train`) and, with
        ``shared_prompts``, each group's prompt run once for sampling and scoring
        (:mod:`rpt_core.shared_prompts`)."""

        def __init__(self, *args, dynamic_sampling: bool = False, shared_prompts: bool = False, **kwargs):
            super().__init__(*args, **kwargs)
            self.dynamic_sampling, self.shared_prompts = dynamic_sampling, shared_prompts

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
            if not self.shared_prompts:
                return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations,
                                                     has_tool_images)
            from .shared_prompts import sample_completions

            args = self.args
            completions = sample_completions(
                self.accelerator.unwrap_model(self.model), prompt_ids, temperature=args.temperature,
                top_p=args.top_p, max_new_tokens=args.max_completion_length,
                seed=args.seed * 1_000_003 + self.state.global_step, eos_ids=list(self.eos_token_ids),
                pad_id=self._tokenizer.pad_token_id, device=self.accelerator.device)
            return completions, None

        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                               batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                               **multimodal):
            if not self.shared_prompts:
                return super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                    compute_aux_loss, **multimodal)
            import torch

            from .shared_prompts import score_completions

            batch_size = batch_size or input_ids.size(0)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                with self.accelerator.autocast():
                    lp, entropy = score_completions(model, input_ids[start:start + batch_size],
                                                    attention_mask[start:start + batch_size], logits_to_keep,
                                                    compute_entropy)
                logps.append(lp)
                entropies.append(entropy)
            return torch.cat(logps), (torch.cat(entropies) if compute_entropy else None), None

        def _generate_and_score_completions(self, inputs):
            batch = super()._generate_and_score_completions(inputs)
            self._log_batch(inputs)
            if self.dynamic_sampling:
                # binary rewards: an advantage of exactly 0 means every rollout of the group scored alike
                keep = (batch["advantages"] != 0).int()
                batch["completion_mask"] = batch["completion_mask"] * keep.unsqueeze(1)
                loss_mask = batch["completion_mask"] * batch.get("tool_mask", 1)
                batch["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
                kept = self.accelerator.gather(keep.float()).mean().item()
                mode = "train" if self.model.training else "eval"
                self._metrics[mode]["dynamic_sampling/kept_fraction"].append(kept)
            return batch

        def _log_batch(self, inputs) -> None:
            """One line of ``batches.jsonl`` per generation: the step it trains, the rollouts of the
            global batch (every process's, gathered) and their prompts' ``item_id`` (sorted)."""
            from accelerate.utils import gather_object

            prompts = gather_object([row["item_id"] for row in inputs])
            if self.accelerator.is_main_process:
                line = {"step": self.state.global_step + 1, "rollouts": len(prompts), "processes": self.accelerator.num_processes,
                        "prompts": sorted(prompts)}
                with open(Path(self.args.output_dir) / BATCHES_FILE, "a") as f:
                    f.write(json.dumps(line) + "\n")

    return RLVRTrainer


def read_batches(out_dir: str | Path) -> dict[int, dict]:
    """``{step: line}`` of a run's ``batches.jsonl``; a step logged again after a resume counts once
    (its last line)."""
    path = Path(out_dir) / BATCHES_FILE
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return {line["step"]: line for line in lines}


def log_callback():
    from transformers import TrainerCallback

    class TrainLog(TrainerCallback):
        """Appends TRL's per-step metrics plus wall time to ``out_dir/train_log.csv`` after every step.

        Columns: ``step``, ``step_time_s`` (generation + verification + update), ``reward``,
        ``rewards/<domain>/mean|std``, ``kl``, ``entropy``, ``clip_ratio/*``, ``completions/*`` (lengths
        in tokens, ``clipped_ratio`` = truncated share), ``loss``, ``learning_rate``, ...
        On resume, rows after the resumed checkpoint are dropped so no step appears twice.
        """

        def __init__(self, out_dir: Path):
            self.path = Path(out_dir) / LOG_FILE
            self.rows: list[dict] = []
            self.started = time.perf_counter()

        def on_train_begin(self, args, state, control, **kwargs):
            if self.path.exists():
                old = pd.read_csv(self.path)
                self.rows = old[old["step"] <= state.global_step].to_dict("records")

        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "reward" not in logs or not state.is_world_process_zero:
                return
            row = {"step": state.global_step, "step_time_s": round(time.perf_counter() - self.started, 3), **logs}
            self.rows = [r for r in self.rows if r["step"] != row["step"]] + [row]
            write_atomic(self.path, pd.DataFrame(self.rows).to_csv(index=False))

    return TrainLog


__all__ = ["BATCHES_FILE", "LOG_FILE", "log_callback", "read_batches", "trainer_class"]
