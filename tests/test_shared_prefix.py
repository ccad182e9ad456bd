"""The hf backend's shared-prefix decoding and the grouped-heads attention: faster, and the same
tokens as transformers' own generate."""

import pytest
import torch

from rpt_core.attention import grouped_attention
from rpt_core.generate import HFGenerator, Sampling, _batches, _sample


def _prompts():
    shared = "Answer with ANSWER: <n>.\n\nWhat is 1 + 1?\nANSWER: 2\n\n"
    return [shared + q for q in ("What is 2 + 2?", "What is 3 + 4? Think.", "yes or no?")]


def test_greedy_shared_prefix_decoding_equals_transformers_generate(tiny_model):
    generator = HFGenerator(tiny_model, chat=False, dtype="float32", batch_size=8)
    prompts = [p for p in _prompts() for _ in range(2)]   # each prompt twice, as repeats are
    ours = generator.generate(prompts, Sampling(temperature=0, max_new_tokens=12), [0] * len(prompts))
    reference = []
    tokenizer, lm = generator.tokenizer, generator.lm
    lm.set_attn_implementation("sdpa")
    for prompt in prompts:   # one at a time: no padding at all
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        out = lm.generate(**ids, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        reference.append(out[0, ids["input_ids"].shape[1]:].tolist())
    eos = lm.generation_config.eos_token_id
    for completion, ids in zip(ours, reference):
        stop = next((i for i, t in enumerate(ids) if t == eos), None)
        kept = ids if stop is None else ids[:stop]
        assert completion.text == tokenizer.decode(kept, skip_special_tokens=True)
        assert completion.tokens == len(kept) + (stop is not None)
        assert completion.finish_reason == ("length" if stop is None else "stop")


def test_repeats_stay_in_one_batch_and_order_is_kept():
    encoded = [[1, 2], [1, 3], [1, 2], [1, 3], [1, 4]]
    assert _batches(encoded, 4) == [[0, 2, 1, 3], [4]]
    assert sorted(i for b in _batches(encoded, 2) for i in b) == list(range(5))
    assert all(len(b) <= 2 for b in _batches(encoded, 2))


def test_nucleus_sampling_is_exact_with_few_candidates():
    torch.manual_seed(0)
    logits = torch.randn(4, 50) * 3
    logits[2:] /= 6
    logits[:2, :3] += 12   # rows 0-1: the nucleus is among 4 candidates; rows 2-3 need the full sort
    probs = torch.softmax(logits / 0.7, -1)
    assert probs.topk(4, -1).values.sum(-1)[:2].gt(0.9).all() and probs.topk(4, -1).values.sum(-1)[2:].lt(0.9).all()
    # at top_p 0.97 the ladder (1, 4) takes row 1 at its first count and row 0 at its second
    top1 = probs.max(-1).values
    assert top1[0] < 0.97 <= top1[1] and probs.topk(4, -1).values.sum(-1)[0] >= 0.97
    draws = 4000
    for top_p, candidates in ((0.9, (4,)), (0.9, (50,)), (0.97, (1, 4)), (0.9, (1, 4, 20))):
        ordered, order = probs.sort(-1, descending=True)
        in_nucleus = ordered.cumsum(-1) - ordered <= top_p
        exact = torch.zeros_like(probs).scatter(-1, order, ordered * in_nucleus)
        exact /= exact.sum(-1, keepdim=True)   # the nucleus distribution, renormalised
        sampling = Sampling(temperature=0.7, top_p=top_p, max_new_tokens=1)
        generator = torch.Generator().manual_seed(sum(candidates))
        drawn = torch.stack([_sample(logits, sampling, generator, candidates=candidates) for _ in range(draws)])
        frequency = torch.zeros_like(probs).scatter_add(-1, drawn.T, torch.ones_like(drawn.T, dtype=torch.float)) / draws
        assert (frequency[exact == 0] == 0).all()   # never outside the nucleus
        assert (frequency - exact).abs().max() < 0.03, candidates
    assert len(set(drawn[:, 2].tolist())) > 5   # it samples


def test_grouped_attention_matches_the_default_under_a_padding_mask(tiny_model):
    from transformers import AutoModelForCausalLM

    default = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="sdpa").eval()
    grouped = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation=grouped_attention()).eval()
    assert grouped.config.num_key_value_heads < grouped.config.num_attention_heads
    ids = torch.randint(3, 300, (3, 9))
    mask = torch.ones_like(ids)
    mask[0, :4] = 0
    mask[1, 2:5] = 0   # padding in the middle, as after a shared prefix
    with torch.no_grad():
        a, b = default(ids, attention_mask=mask).logits, grouped(ids, attention_mask=mask).logits
    assert torch.allclose(a[mask.bool()], b[mask.bool()], atol=1e-5)
    with pytest.raises(ValueError, match="allowed: default, grouped"):
        from rpt_core.config import load_train_config

        load_train_config({"model": {"path": tiny_model}, "data": {"sets": ["x.jsonl"]}, "runtime": {"attention": "fast"}})


def test_stop_strings_cut_the_completion_and_leave_other_cache_keys_alone(tiny_model):
    from rpt_core.config import load_eval_config
    from rpt_core.evaluate import sample_key
    from rpt_core.generate import cut_at_stop

    assert cut_at_stop("ANSWER: 7\n\nWhat is", ["\n\n"]) == ("ANSWER: 7", True)
    assert cut_at_stop("a|b;c", [";", "|"]) == ("a", True) and cut_at_stop("abc", ["\n\n"]) == ("abc", False)
    plain = Sampling(temperature=1.0, top_p=1.0, max_new_tokens=12, seed=1)
    assert "stop" not in plain.to_dict()   # keys of samples without stop strings are unchanged
    stopped = Sampling(temperature=1.0, top_p=1.0, max_new_tokens=12, seed=1, stop=[" "])
    assert sample_key("m", "p", plain, 0) != sample_key("m", "p", stopped, 0)
    generator = HFGenerator(tiny_model, chat=False, dtype="float32", batch_size=8)
    prompts = [p for p in _prompts() for _ in range(3)]
    assert all(" " not in c.text for c in generator.generate(prompts, stopped, [0] * len(prompts)))
    # greedy, so both runs draw alike: the stopped one is the free one cut at its stop string
    greedy = Sampling(temperature=0, max_new_tokens=12)
    free = generator.generate(prompts, greedy, [0] * len(prompts))
    longest = max((c.text for c in free), key=len)
    stop = longest[len(longest) // 3]   # a character the decoding writes early in some completion
    cut = generator.generate(prompts, Sampling(temperature=0, max_new_tokens=12, stop=[stop]), [0] * len(prompts))
    for a, b in zip(free, cut):
        assert stop not in b.text and a.text.startswith(b.text)
        assert b.finish_reason == ("stop" if stop in a.text else a.finish_reason)
        assert b.tokens <= a.tokens
    # a stop string ends the row's decoding: no tokens are spent after it
    assert any(b.tokens < a.tokens for a, b in zip(free, cut))
    with pytest.raises(Exception, match="sampling.stop"):
        load_eval_config({"model": {"path": "m"}, "benchmarks": ["gsm8k"], "sampling": {"stop": [""]}})


def test_when_finished_rows_leave_the_cache_does_not_change_the_draws(tiny_model):
    from rpt_core.generate import _decode_shared

    generator = HFGenerator(tiny_model, chat=False, dtype="float32", batch_size=8)
    rows = [generator.tokenizer(p, add_special_tokens=False)["input_ids"] for p in _prompts() for _ in range(4)]
    sampling = Sampling(temperature=1.5, top_p=0.95, max_new_tokens=24)
    eos = [generator.tokenizer.eos_token_id, *generator.tokenizer(" ", add_special_tokens=False)["input_ids"]]
    runs = {at: _decode_shared(generator.lm, rows, sampling, 7, eos, generator.tokenizer.pad_token_id, "cpu", compact_at=at)
            for at in (0.0, 0.25, 1.01)}   # at every finish, in groups, never
    lengths = {len(r) for r in runs[0.0]}
    assert len(lengths) > 2 and min(lengths) < 24   # rows finish at different steps
    assert runs[0.0] == runs[0.25] == runs[1.01]


def test_plain_text_prompts_end_where_an_answer_starts(tiny_model):
    from transformers import AutoTokenizer

    from rpt_core.generate import render_prompt

    turns = [{"role": "system", "content": "Answer."}, {"role": "user", "content": "Q1"},
             {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}]
    rendered = render_prompt(AutoTokenizer.from_pretrained(tiny_model), turns, chat=False)
    # every answer of the solved examples follows a blank line, so the continuation needs none first
    # (a blank-line stop string would otherwise end every completion before it began)
    assert rendered == "Answer.\n\nQ1\n\nA1\n\nQ2\n\n"
