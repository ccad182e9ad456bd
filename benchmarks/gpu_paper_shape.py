"""GPU check at paper shape: evaluation (hf backend) and 2 GRPO steps on a DeepSeek-R1-Distill-Qwen-1.5B
architecture with random weights in bf16. No hub access needed: the config is written out below and the
tokenizer is a word-level vocabulary of the model's full size (151,936 entries) built in code.

    make gpu-check                       (= python benchmarks/gpu_paper_shape.py reports/gpu-check)
    python benchmarks/gpu_paper_shape.py OUT_DIR [--new-tokens 512] [--completion 512]
    python benchmarks/gpu_paper_shape.py OUT_DIR --device cpu --shape tiny   (a smoke run of the script)

GRPO runs with transformers rollouts, and again with vLLM colocated rollouts
(``runtime.generation: vllm_colocate``) when vllm imports. Prints one table (eval tokens/s, GRPO
step time, peak GPU memory) and writes OUT_DIR/gpu_report.json. Random weights never emit EOS, so
every completion runs to its token limit: these are worst-case lengths for the given limits, not the
paper's 8k-token budget. Without a CUDA device it stops at once, saying so (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# DeepSeek-R1-Distill-Qwen-1.5B (config.json of the hub model, architecture fields only)
PAPER_SHAPE = dict(vocab_size=151_936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                   num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=131_072,
                   rope_theta=10_000.0, rms_norm_eps=1e-6, tie_word_embeddings=False)
# the same architecture, small enough to check the script itself on a CPU
TINY_SHAPE = dict(PAPER_SHAPE, vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048)
SHAPES = {"paper": PAPER_SHAPE, "tiny": TINY_SHAPE}


def build_paper_shaped_model(out_dir: Path, shape: dict = PAPER_SHAPE, device: str = "cuda") -> Path:
    """Save a random-weight bf16 model of the given architecture plus a tokenizer of its vocabulary size."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    from rpt_core.tinyworld.model import CHAT_TEMPLATE, SPECIAL

    vocab = {token: i for i, token in enumerate(SPECIAL)}
    vocab.update({f"w{i}": i for i in range(len(SPECIAL), shape["vocab_size"])})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>",
                                        unk_token="<|endoftext|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2Config(**shape, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    del model
    _free(device)
    return out_dir


def _free(device: str) -> None:
    import torch
    if device == "cuda":
        torch.cuda.empty_cache()


def _peak_gib(device: str) -> float | None:
    import torch
    return round(torch.cuda.max_memory_allocated() / 2**30, 1) if device == "cuda" else None


def _reset_peak(device: str) -> None:
    import torch
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def check_eval(model_dir: Path, work: Path, new_tokens: int, batch: int, device: str = "cuda") -> dict:
    """Evaluate real-schema fixture items of every domain with the hf backend; tokens/s and memory."""
    from rpt_core.tasks.loading import load
    from rpt_core.evaluate import Plan, evaluate
    from rpt_core.generate import HFGenerator, Sampling
    from rpt_core.summary import summarize

    fixtures = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "benchmarks"
    items = {name: load(name, data_dir=fixtures) for name in ("gsm8k", "math500", "mbpp", "humaneval", "pubmedqa", "medqa")}
    items["humaneval"] = items["humaneval"][:8]
    repeats = {name: max(1, batch // max(1, len(group) * len(items))) for name, group in items.items()}
    _reset_peak(device)
    generator = HFGenerator(str(model_dir), dtype="bfloat16", device=device, batch_size=batch)
    started = time.perf_counter()
    records = evaluate(generator, Plan(items, repeats, Sampling(temperature=0.6, top_p=0.95, max_new_tokens=new_tokens)),
                       work / "cache", model_name="ds-qwen-1.5b-shape")
    seconds = time.perf_counter() - started
    summary = summarize(records)
    del generator
    _free(device)
    return {"samples": len(records), "generated_tokens": int(records["tokens"].sum()), "seconds": round(seconds, 1),
            "tokens_per_s": round(records["tokens"].sum() / seconds), "batch": batch, "peak_gib": _peak_gib(device),
            "benchmarks": summary[["benchmark", "n_samples", "pass@1"]].to_dict("records")}


def check_grpo(model_dir: Path, work: Path, completion: int, steps: int = 2, device: str = "cuda",
               generation: str = "transformers") -> dict:
    """Two GRPO steps (8 prompts x 8 rollouts, bf16) through rpt_core.train, rollouts from
    ``generation`` (transformers or vllm_colocate)."""
    import yaml

    from rpt_core.config import load_train_config
    from rpt_core.items import Item, write_items
    from rpt_core.train import train

    items = [Item("arith", str(i), [{"role": "user", "content": f"w{100 + i} w{200 + i} w{300 + i}"}], "math",
                  {"answer": str(i)}, "math") for i in range(64)]
    write_items(work / "train.jsonl", items)
    params = {"model": {"path": str(model_dir), "dtype": "bfloat16"}, "data": {"sets": [str(work / "train.jsonl")]},
              "algorithm": "grpo",
              "rl": {"prompts_per_step": 8, "num_generations": 8, "per_device_batch_size": 16,
                     "max_completion_length": completion, "max_steps": steps},
              "runtime": {"device": device, "generation": generation, "gradient_checkpointing": True},
              "save_steps": 1000, "out_dir": str(work / f"grpo-{generation}")}
    (work / "train.yaml").write_text(yaml.safe_dump(params))
    _reset_peak(device)
    result = train(load_train_config(work / "train.yaml"))
    log = result.log
    return {"generation": generation, "steps": int(len(log)), "step_time_s": [round(x, 1) for x in log["step_time_s"]],
            "completion_tokens": completion, "rollouts_per_step": 64, "peak_gib": _peak_gib(device),
            "mean_completion_length": [round(x, 1) for x in log["completions/mean_length"]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--new-tokens", type=int, default=512, help="eval: max new tokens per sample")
    parser.add_argument("--batch", type=int, default=128, help="eval: prompts per generate call")
    parser.add_argument("--completion", type=int, default=512, help="GRPO: max completion tokens")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--shape", choices=tuple(SHAPES), default="paper")
    args = parser.parse_args()
    import importlib.util

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu-check: no CUDA device here (torch.cuda.is_available() is False); run it on a GPU machine, "
              "or check the script itself with --device cpu --shape tiny", file=sys.stderr)
        return 2
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))   # the model (3 GiB at paper shape) stays out of OUT_DIR
    report = {"device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu", "shape": args.shape,
              "torch": torch.__version__}
    started = time.perf_counter()
    model_dir = build_paper_shaped_model(work / "model", SHAPES[args.shape], args.device)
    report["build_s"] = round(time.perf_counter() - started, 1)
    report["eval"] = check_eval(model_dir, work, args.new_tokens, args.batch, args.device)
    generations = ["transformers"]
    if args.device == "cuda" and importlib.util.find_spec("vllm") is not None:
        generations.append("vllm_colocate")
    else:
        report["vllm_colocate"] = "not run: " + ("vllm does not import" if args.device == "cuda" else "needs CUDA")
    report["grpo"] = [check_grpo(model_dir, work, args.completion, device=args.device, generation=g)
                      for g in generations]
    (out / "gpu_report.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    e = report["eval"]
    print(f"\n{'check':<36}{'result':>36}")
    print(f"{'eval (hf, bf16)':<36}{e['tokens_per_s']:>20} tok/s  peak {e['peak_gib']} GiB")
    for g in report["grpo"]:
        label = f"GRPO {g['generation']} (64 x {g['completion_tokens']} tok)"
        print(f"{label:<36}{str(g['step_time_s']):>20} s      peak {g['peak_gib']} GiB")
    if "vllm_colocate" in report:
        print(f"{'GRPO vllm_colocate':<36}{report['vllm_colocate']:>36}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
