"""The tiny world's planted mechanism, declared before any model is trained: the two *habits* in which
each domain's worked solutions are written (:data:`HABITS`: a careful template that is right, a
shortcut that is wrong in a systematic way), the ground truth of transfer they imply
(:func:`planted_transfer`), and how to tell a completion's habit from its first line
(:func:`habit_of`, :func:`habit_table`). See :mod:`rpt_core.tinyworld.world` for the whole design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

DOMAINS = ("math", "code", "knowledge")


@dataclass(frozen=True)
class Habit:
    """How the worked solutions of a domain are written: the first line of a careful solution, of a
    shortcut one, and the systematic error of the shortcut."""

    careful: str
    shortcut: str
    error: str


HABITS: dict[str, Habit] = {
    "math": Habit("Step by step:", "Shortcut:", "stops one operation early (answers the value before the last step)"),
    "code": Habit("Step by step:", "Shortcut:", "leaves out the last operation of the specification"),
    "knowledge": Habit("Recall:", "Guess:", "answers the first option listed (without options: the most common value)"),
}


def planted_transfer(train_domains: Iterable[str]) -> dict[str, str]:
    """The declared effect of RL on ``train_domains`` on each evaluation domain: ``"gain"`` where the
    domain shares a careful template with a trained domain (itself included), else ``"none"``.
    Derived from :data:`HABITS` alone, never from results."""
    train_domains = list(train_domains)
    unknown = set(train_domains) - set(HABITS)
    if unknown:
        raise ValueError(f"unknown domain(s) {sorted(unknown)}; allowed: {', '.join(DOMAINS)}")
    templates = {HABITS[d].careful for d in train_domains}
    return {d: "gain" if HABITS[d].careful in templates else "none" for d in DOMAINS}


def habit_of(completion: str) -> str:
    """``"careful"``, ``"shortcut"`` or ``"other"`` from a completion's first line."""
    first = completion.lstrip().split("\n", 1)[0].strip()
    if any(first.startswith(h.careful) for h in HABITS.values()):
        return "careful"
    if any(first.startswith(h.shortcut) for h in HABITS.values()):
        return "shortcut"
    return "other"


def habit_table(records, by: tuple[str, ...] = ("model", "domain")):
    """How the models answer, from evaluation records: per group of ``by`` the share of completions
    in the careful habit, pass@1 (%), and accuracy within each habit (%), so an accuracy change splits
    into "answers carefully more often" and "is right more often when careful". Columns: ``by``,
    samples, careful (%), pass_at_1, acc_careful, acc_shortcut (NaN where a habit never occurs)."""
    import pandas as pd

    frame = records.assign(habit=records["completion"].map(habit_of))
    rows = []
    for key, group in frame.groupby(list(by), sort=False):
        correct = group["correct"].astype(float)
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "samples": len(group),
                     "careful": 100 * float((group["habit"] == "careful").mean()),
                     "pass_at_1": 100 * float(correct.mean()),
                     "acc_careful": 100 * float(correct[group["habit"] == "careful"].mean()),
                     "acc_shortcut": 100 * float(correct[group["habit"] == "shortcut"].mean())})
    return pd.DataFrame(rows)


__all__ = ["DOMAINS", "HABITS", "Habit", "habit_of", "habit_table", "planted_transfer"]
