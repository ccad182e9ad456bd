"""The tiny world: a seeded world small enough to run the paper's whole method on a CPU, with its
transfer effects planted and declared before any training, so the analysis can be checked against
ground truth.

* :mod:`rpt_core.tinyworld.world`: the world assembled: sub-benchmarks, splits, pretraining corpus,
  storage; its test sets are benchmarks written as item files, its train sets are RL training sets.
* :mod:`rpt_core.tinyworld.habits`: the planted mechanism (habits) and the planted transfers.
* :mod:`rpt_core.tinyworld.arithmetic`, :mod:`rpt_core.tinyworld.facts`: the math/code and the
  knowledge generators; :mod:`rpt_core.tinyworld.problem`: prompts and the generated problem.
* :mod:`rpt_core.tinyworld.pretrain`: pretraining the base models on the world's worked solutions,
  publishing them with fingerprints, and checking a published base before a study uses it.
* :mod:`rpt_core.tinyworld.model`: the tiny Qwen2 architecture presets and the byte-level BPE tokenizer.
"""
