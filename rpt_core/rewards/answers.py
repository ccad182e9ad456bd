"""Verifiers for knowledge-style answers: an option letter, a label, or a number."""

from __future__ import annotations

import math

from .extract import choice_letter, label, number
from .verdict import VERSION, Verdict


def verify_choice(completion: str, reference: dict) -> Verdict:
    """reference: ``{"answer": "C", "options": ["A", "B", "C", "D"]}``."""
    name = f"choice@{VERSION}"
    options = [str(o) for o in reference["options"]]
    if str(reference["answer"]) not in options:
        return Verdict(False, None, "invalid_reference", name, f"answer {reference['answer']!r} not in {options}")
    picked = choice_letter(completion, options)
    if picked is None:
        return Verdict(False, None, "no_answer", name, f"no option among {options}")
    correct = picked == str(reference["answer"])
    return Verdict(correct, picked, "ok" if correct else "wrong", name)


def verify_label(completion: str, reference: dict) -> Verdict:
    """reference: ``{"answer": "yes", "labels": ["yes", "no", "maybe"]}`` (case-insensitive)."""
    name = f"label@{VERSION}"
    labels = [str(x) for x in reference["labels"]]
    gold = str(reference["answer"]).lower()
    if gold not in [x.lower() for x in labels]:
        return Verdict(False, None, "invalid_reference", name, f"answer {reference['answer']!r} not in {labels}")
    picked = label(completion, labels)
    if picked is None:
        return Verdict(False, None, "no_answer", name, f"no label among {labels}")
    correct = picked.lower() == gold
    return Verdict(correct, picked, "ok" if correct else "wrong", name)


def verify_numeric(completion: str, reference: dict) -> Verdict:
    """reference: ``{"answer": float, "rel_tol": float (default 1e-4), "abs_tol": float (default
    1e-8)}``. Correct iff the extracted number is within either tolerance of the answer."""
    name = f"numeric@{VERSION}"
    try:
        gold = float(reference["answer"])
    except (TypeError, ValueError):
        return Verdict(False, None, "invalid_reference", name, f"answer {reference['answer']!r} is not a number")
    value = number(completion)
    if value is None:
        return Verdict(False, None, "no_answer", name, "no number found")
    correct = math.isclose(value, gold, rel_tol=float(reference.get("rel_tol", 1e-4)),
                           abs_tol=float(reference.get("abs_tol", 1e-8)))
    return Verdict(correct, value, "ok" if correct else "wrong", name)
