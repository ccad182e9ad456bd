"""hf vs vllm generation throughput on the same tiny local model and prompts, and the cost of a
cache-hit rerun vs the cold run, all in one run. Prints tokens/s of each backend and the ratios.

    python benchmarks/generation_throughput.py [--prompts 64] [--max-new-tokens 64]
"""

import argparse
import tempfile
import time
from pathlib import Path

from rpt_core.evaluate import Plan, evaluate
from rpt_core.generate import Sampling, load_generator
from rpt_core.items import Item
from rpt_core.tinymodel import build_model, build_tokenizer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rpt-bench-"))
    texts = [f"Compute {i} + {i * 3}. End with ANSWER: <n>" for i in range(args.prompts)]
    model = str(build_model(work / "model", build_tokenizer(texts * 4, vocab_size=400), hidden=128, layers=4, heads=4))
    items = {"bench": [Item("bench", str(i), [{"role": "user", "content": t}], "math", {"answer": str(4 * i)}, "math")
                       for i, t in enumerate(texts)]}
    plan = Plan(items, {"bench": 1}, Sampling(temperature=0.7, top_p=1.0, max_new_tokens=args.max_new_tokens, seed=0))
    results = {}
    for backend, options in (("hf", {"batch_size": 32, "dtype": "float32"}),
                             ("vllm", {"dtype": "float32", "max_model_len": 1024, "enforce_eager": True})):
        started = time.perf_counter()
        generator = load_generator(backend, model, **options)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        records = evaluate(generator, plan, work / f"cache-{backend}")
        cold = time.perf_counter() - started
        started = time.perf_counter()
        evaluate(generator, plan, work / f"cache-{backend}")
        warm = time.perf_counter() - started
        results[backend] = (records["tokens"].sum(), cold, warm, load_s)
    print(f"{args.prompts} prompts, {args.max_new_tokens} new tokens max, tiny Qwen2 (4 layers, hidden 128), CPU")
    for backend, (tokens, cold, warm, load_s) in results.items():
        print(f"  {backend:5s} load {load_s:5.1f} s | cold run {cold:6.2f} s, {tokens / cold:8.1f} tok/s "
              f"| cache-hit rerun {warm:5.2f} s ({cold / warm:5.1f}x faster than cold)")
    hf, vllm = results["hf"], results["vllm"]
    print(f"  vllm / hf generation throughput: {(vllm[0] / vllm[1]) / (hf[0] / hf[1]):.2f}x")


if __name__ == "__main__":
    main()
