"""Attention for small grouped-query models on a CPU.

transformers' ``sdpa`` attention copies each grouped key/value head out to every query head
whenever an attention mask is given (padding in a batch, the shared-prefix cache of
:mod:`rpt_core.generate`): for SmolLM2-135M (9 query heads, 3 key/value heads) in a decode step of
256 rows that copy of the whole cache, per layer, cost more than the matrix products. PyTorch's
``scaled_dot_product_attention`` takes grouped heads as they are (``enable_gqa``), with a mask.
:func:`grouped_attention` registers that variant with transformers under its own name, so a model
opts in with ``attn_implementation=grouped_attention()`` and no other model is affected.
"""

from __future__ import annotations

GROUPED = "rpt_sdpa_grouped"


def grouped_attention() -> str:
    """Register the grouped-heads attention with transformers (idempotent); returns its name."""
    from transformers import AttentionInterface, AttentionMaskInterface
    from transformers.masking_utils import sdpa_mask

    AttentionInterface.register(GROUPED, _grouped_sdpa)
    AttentionMaskInterface.register(GROUPED, sdpa_mask)
    return GROUPED


def _grouped_sdpa(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None,
                  is_causal=None, **kwargs):
    """transformers' sdpa attention forward (same arguments and result), grouped heads kept grouped."""
    import torch

    causal = query.shape[2] > 1 and attention_mask is None and (is_causal if is_causal is not None else True)
    out = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=attention_mask, dropout_p=dropout if module.training else 0.0, scale=scaling,
        is_causal=causal, enable_gqa=key.shape[1] != query.shape[1])
    return out.transpose(1, 2).contiguous(), None
