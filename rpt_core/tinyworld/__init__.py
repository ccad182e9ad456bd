"""The tiny world: a seeded world small enough to run the paper's whole method on a CPU, with its
transfer effects planted and declared before any training, so the analysis can be checked against
ground truth.

* :mod:`rpt_core.tinyworld.world`: the three domains' problems, splits, habits and planted transfers;
  its test sets are benchmarks written as item files, its train sets are RL training sets.
* :mod:`rpt_core.tinyworld.pretrain`: pretraining the base models on the world's worked solutions,
  publishing them with fingerprints, and checking a published base before a study uses it.
* :mod:`rpt_core.tinyworld.model`: the tiny Qwen2 architecture presets and the byte-level BPE tokenizer.
"""
