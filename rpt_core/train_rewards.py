"""The RLVR reward functions handed to TRL's GRPOTrainer: per domain, the binary verifier reward
(:class:`VerifierReward`, the same :func:`rpt_core.rewards.verify` that grades evaluations) or a seeded
coin flip for a placebo control run (:class:`PlaceboReward`); :func:`reward_functions` builds one per
domain of a training set."""

from __future__ import annotations

import json
import random

from .config import REWARDS
from .items import Item
from .rewards import verify_many


def completion_text(completion) -> str:
    """The assistant text of a TRL completion (a string, or chat messages for chat prompts)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role") == "assistant")


class VerifierReward:
    """A TRL reward function: the binary verifier reward for the rows of one domain.

    Rows of other domains get ``None`` (TRL skips them), so a mixed batch is routed row by row and
    TRL logs ``rewards/<domain>/mean`` per verifier. A completion the verifier cannot score (timeout,
    crash, sandbox kill) scores 0 like any wrong answer; verifiers never raise on completions, and a
    malformed reference is a data error that is raised.
    """

    def __init__(self, domain: str, workers: int = 8):
        self.domain = domain
        self.__name__ = domain
        self.workers = workers

    def __call__(self, prompts, completions, kind, reference, domain, **_) -> list[float | None]:
        rows = [i for i, d in enumerate(domain) if d == self.domain]
        verdicts = verify_many([(kind[i], completion_text(completions[i]), json.loads(reference[i])) for i in rows],
                               workers=self.workers)
        rewards: list[float | None] = [None] * len(completions)
        for i, verdict in zip(rows, verdicts):
            rewards[i] = verdict.reward
        return rewards


class PlaceboReward:
    """A methodology control: the reward of every rollout is a coin flip (1 with probability
    ``rate``), drawn from a stream seeded by ``seed`` and independent of the completion. Training
    with it has everything of a real run (sampling, updates, KL, learning rate) except information
    about correctness, so whatever it changes in accuracy is what training noise alone can do."""

    def __init__(self, domain: str, seed: int, rate: float = 0.5):
        self.domain = domain
        self.__name__ = domain
        self.rate = rate
        self.rng = random.Random(f"placebo:{seed}:{domain}")

    def __call__(self, prompts, completions, domain, **_) -> list[float | None]:
        return [float(self.rng.random() < self.rate) if d == self.domain else None for d in domain]


def reward_functions(items: list[Item], workers: int = 8, reward: str = "verifier",
                     seed: int = 0) -> list[VerifierReward | PlaceboReward]:
    """One reward function per domain present in ``items`` (sorted by name): the verifier's
    (:class:`VerifierReward`) or, with ``reward="placebo"``, a coin flip (:class:`PlaceboReward`)."""
    if reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}; allowed: {', '.join(REWARDS)}")
    domains = sorted({item.domain for item in items})
    if reward == "placebo":
        return [PlaceboReward(domain, seed) for domain in domains]
    return [VerifierReward(domain, workers) for domain in domains]


__all__ = ["PlaceboReward", "VerifierReward", "completion_text", "reward_functions"]
