"""runtime.shared_prompts: a GRPO group's prompt runs once, and the scores and gradients are those of
TRL's full forward over every (prompt, completion) row."""

import copy

import pytest
import torch

from rpt_core.shared_prompts import sample_completions, score_completions


def _model(tiny_model, attention: str = "sdpa"):
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32, attn_implementation=attention)
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    return model


def _rows(pad: int):
    """Two prompts of different lengths (left-padded), three rollouts each (right-padded), as TRL
    batches a step: (input_ids, attention_mask, completion width)."""
    prompts = [[5, 17, 9, 33, 41, 8], [5, 17, 60, 12]]
    completions = [[[7, 3, 2], [7, 9], [11]], [[4, 4, 4], [19, 2], [6, 7, 8]]]
    width_p, width_c = max(map(len, prompts)), 3
    ids, mask = [], []
    for prompt, group in zip(prompts, completions):
        for completion in group:
            left, right = width_p - len(prompt), width_c - len(completion)
            ids.append([pad] * left + prompt + completion + [pad] * right)
            mask.append([0] * left + [1] * (len(prompt) + len(completion)) + [0] * right)
    return torch.tensor(ids), torch.tensor(mask), width_c


def _full(model, ids, mask, keep):
    """TRL's own scoring: one forward over every full row (GRPOTrainer._get_per_token_logps_and_entropies)."""
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :-keep] = -100
    out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    return out.log_probs[:, -keep:], out.entropy[:, -keep:]


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_scores_and_gradients_equal_the_full_forward(tiny_model, attention):
    model = _model(tiny_model, attention)
    reference = copy.deepcopy(model)
    ids, mask, keep = _rows(pad=0)
    completion_mask = mask[:, -keep:].float()

    ours, ours_entropy = score_completions(model, ids, mask, keep, compute_entropy=True)
    theirs, theirs_entropy = _full(reference, ids, mask, keep)
    torch.testing.assert_close(ours * completion_mask, theirs * completion_mask, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_entropy * completion_mask, theirs_entropy * completion_mask, atol=1e-5, rtol=1e-5)

    weights = torch.linspace(0.5, 1.5, ids.size(0))[:, None] * completion_mask   # like advantages
    (ours * weights).sum().backward()
    (theirs * weights).sum().backward()
    compared = 0
    for (name, a), (_, b) in zip(model.named_parameters(), reference.named_parameters()):
        if b.grad is not None and b.grad.abs().sum() > 0:
            torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-4, msg=name)
            compared += 1
    assert compared > 10   # embeddings, attention and MLP weights of every layer


def test_a_prompt_too_short_to_split_is_an_error(tiny_model):
    model = _model(tiny_model)
    ids, mask = torch.tensor([[5, 7, 3]]), torch.tensor([[1, 1, 1]])
    with pytest.raises(ValueError, match="at least 2 columns"):
        score_completions(model, ids, mask, logits_to_keep=2)


def test_sampling_is_seeded_and_ends_at_eos(tiny_model):
    model = _model(tiny_model)
    model.train()
    prompts = [[5, 17, 9, 33]] * 3 + [[5, 17, 60]] * 3
    eos = model.generation_config.eos_token_id
    eos_ids = eos if isinstance(eos, list) else [eos]
    draw = dict(temperature=1.0, top_p=1.0, max_new_tokens=8, eos_ids=eos_ids, pad_id=0, device="cpu")
    first = sample_completions(model, prompts, seed=3, **draw)
    assert first == sample_completions(model, prompts, seed=3, **draw)
    assert first != sample_completions(model, prompts, seed=4, **draw)
    assert model.training   # sampling leaves the policy in training mode
    for completion in first:
        assert 1 <= len(completion) <= 8
        assert all(t not in eos_ids for t in completion[:-1])
