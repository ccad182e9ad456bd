"""Verifiers for knowledge-style answers: an option letter, a label, a number, or a short free text."""

from __future__ import annotations

import math
import re
import unicodedata

from .extract import choice_letter, label, math_answer, number
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
    1e-8), "alternatives": [float, ...] (optional: other accepted forms of the same answer, e.g. a
    percentage as a fraction)}``. Correct iff the extracted number is within either tolerance of the
    answer or of an alternative."""
    name = f"numeric@{VERSION}"
    try:
        gold = float(reference["answer"])
    except (TypeError, ValueError):
        return Verdict(False, None, "invalid_reference", name, f"answer {reference['answer']!r} is not a number")
    value = number(completion)
    if value is None:
        return Verdict(False, None, "no_answer", name, "no number found")
    rel_tol, abs_tol = float(reference.get("rel_tol", 1e-4)), float(reference.get("abs_tol", 1e-8))
    golds = [gold] + [float(a) for a in reference.get("alternatives") or ()]
    correct = any(math.isclose(value, g, rel_tol=rel_tol, abs_tol=abs_tol) for g in golds)
    return Verdict(correct, value, "ok" if correct else "wrong", name)


def normalize_text(text: str) -> str:
    """Lower case, LaTeX ``\\text{}`` unwrapped, accents folded, punctuation dropped, spaces collapsed."""
    text = re.sub(r"\\(?:text|textbf|mathrm)\s*\{([^{}]*)\}", r"\1", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)", " ", text.lower())
    return " ".join(text.split())


def verify_text(completion: str, reference: dict) -> Verdict:
    """reference: ``{"answer": str}``, a short free-form answer ("Market Approach", "0.05").

    The answer is the last ``\\boxed{}`` / ``ANSWER:`` of the completion (as for math). Correct when,
    after :func:`normalize_text`, it equals the reference, contains it as whole words (the rule of the
    paper's knowledge reward, which accepted answers containing the reference), or both are numbers
    within 1e-4 relative tolerance. Word order matters: "approach market" is wrong.
    """
    name = f"text@{VERSION}"
    gold = normalize_text(str(reference["answer"]))
    if not gold:
        return Verdict(False, None, "invalid_reference", name, f"answer {reference['answer']!r} is empty")
    raw = math_answer(completion)
    if raw is None:
        return Verdict(False, None, "no_answer", name, "no \\boxed{} or ANSWER: found")
    answer = normalize_text(raw)
    correct = answer == gold or re.search(rf"(?<!\w){re.escape(gold)}(?!\w)", answer) is not None
    if not correct:
        try:
            correct = math.isclose(float(answer), float(gold), rel_tol=1e-4)
        except ValueError:
            pass
    return Verdict(correct, raw, "ok" if correct else "wrong", name)
