"""The tiny world's sets (:mod:`rpt_core.tinyworld.world`), declared as tasks: its nine test
sub-benchmarks (written by a study step, read from their item files) and its RL prompts per domain,
training sets ``tinyworld-<domain>`` built in memory from the world of seed 0 (the world the
published bases were pretrained for), so training on them needs no files."""

from __future__ import annotations

from ..tinyworld.habits import DOMAINS
from ..tinyworld.world import BENCHMARKS, Sizes
from .task import Source, Task

WORLD_SEED = 0          # the world the published bases were pretrained for
# every source file whose code makes the items: a change to any of them changes the version
GENERATORS = ("tinyworld/world.py", "tinyworld/habits.py", "tinyworld/problem.py", "tinyworld/arithmetic.py",
              "tinyworld/facts.py")
_SOURCE = Source("embedded", "rpt_core.tinyworld.world")


def _train_items(domain: str):
    def build():
        from ..tinyworld.world import build_world
        return build_world(seed=WORLD_SEED).train[domain]
    return build


TASKS = tuple(
    [Task(name, b.domain, _SOURCE, Sizes().test_small if b.small else Sizes().test, b.repeats, "the world's prompts",
          b.kind, role="embedded", module=__name__, generators=GENERATORS) for name, b in BENCHMARKS.items()]
    + [Task(f"tinyworld-{domain}", domain, _SOURCE, Sizes().train, 1, "the world's prompts", "", role="training",
            build=_train_items(domain), module=__name__, generators=GENERATORS) for domain in DOMAINS])
