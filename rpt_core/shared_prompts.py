"""A GRPO group's rollouts share one prompt: run it once, for sampling and for scoring.

GRPO samples ``num_generations`` completions of every prompt, then scores every (prompt, completion)
row with a forward pass over the whole row, and backpropagates through it. Under causal attention a
prompt's hidden states do not depend on what follows, so each *distinct* prompt can run once and its
key/value cache serve every row of its group:

* **sampling** (:func:`sample_completions`): :func:`rpt_core.generate._decode_shared`, the evaluation
  engine's decoder (the prompt runs once per group, finished rows leave the batch; temperature and
  nucleus sampling are exact);
* **scoring** (:func:`score_completions`): the prompt columns run once per distinct prompt, with
  gradients; the cache is indexed out to the group's rows (indexing is differentiable, so each
  prompt's gradient is the sum over its rows, as in the full forward) and the completion columns
  run on top of it. Only the completion positions reach the LM head.

Scoring is the same computation as TRL's full forward (same columns, positions, masks), grouped
differently, so log-probabilities and gradients agree to float rounding (tests/test_shared_prompts.py).
For SmolLM2-135M (4 prompts x 6 rollouts of ~100 prompt and ~20 completion tokens) the rows fed
through the model drop from ~3,000 tokens per step to ~900 (benchmarks/grpo_step.py measures the step).

Used by :class:`rpt_core.train.RLVRTrainer` when ``runtime.shared_prompts`` is on (one process,
rollouts generated with transformers, text-only models).
"""

from __future__ import annotations


def _distinct(rows) -> tuple[list[int], list[int]]:
    """(first row index of each distinct row, for every row the index of its distinct row)."""
    seen: dict[tuple, int] = {}
    first, which = [], []
    for i, row in enumerate(rows):
        key = tuple(row)
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        which.append(seen[key])
    return first, which


def score_completions(model, input_ids, attention_mask, logits_to_keep: int, compute_entropy: bool = False):
    """Per-token log-probabilities (and entropies) of the last ``logits_to_keep`` tokens of each row,
    as TRL's fused-LM-head forward returns them: ``input_ids``/``attention_mask`` are (rows, columns),
    prompts left-padded, completions right-padded; ``model`` has TRL's fused head
    (``trl.trainer.utils.add_fused_lm_head``). Returns ``(log_probs, entropy or None)``, each
    (rows, logits_to_keep), zero at padding. Rows with the same prompt columns share one prompt pass."""
    import torch

    width = input_ids.size(1)
    split = width - logits_to_keep - 1   # the last prompt column's output predicts the first completion token
    if split < 1:
        raise ValueError(f"a prompt needs at least 2 columns to share, got {width - logits_to_keep}")
    first, which = _distinct(torch.cat([input_ids[:, :split], attention_mask[:, :split]], 1).tolist())
    first = torch.tensor(first, device=input_ids.device)
    prompt = model(input_ids=input_ids[first, :split], attention_mask=attention_mask[first, :split],
                   use_cache=True, logits_to_keep=1)
    cache = prompt.past_key_values
    cache.batch_select_indices(torch.tensor(which, device=input_ids.device))
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    labels[:, :-logits_to_keep] = -100
    out = model(input_ids=input_ids[:, split:], attention_mask=attention_mask, past_key_values=cache,
                labels=labels[:, split:], fused_lm_head=True)
    entropy = out.entropy[:, -logits_to_keep:] if compute_entropy else None
    return out.log_probs[:, -logits_to_keep:], entropy


def sample_completions(model, prompt_ids: list[list[int]], *, temperature: float, top_p: float,
                       max_new_tokens: int, seed: int, eos_ids: list[int], pad_id: int, device) -> list[list[int]]:
    """One completion per row of ``prompt_ids`` (token ids; a group's rows are equal), sampled at
    ``temperature``/``top_p`` with a generator seeded by ``seed``; each completion ends with its EOS
    token when one was produced (as TRL keeps it), else after ``max_new_tokens`` tokens."""
    from .config import Sampling
    from .generate import _decode_shared

    sampling = Sampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed)
    was_training = model.training
    model.eval()
    try:
        return _decode_shared(model, [list(p) for p in prompt_ids], sampling, seed, eos_ids, pad_id, str(device))
    finally:
        model.train(was_training)
