"""What a tiny-world generator makes: the prompt templates of the five task shapes and
:class:`Problem`, one generated problem with its prompt, both worked solutions (careful and
shortcut), the verifier reference and the problem key that decides its split."""

from __future__ import annotations

from dataclasses import dataclass, field

# Instructions come first and the problem last: what the answer restates (numbers, names) then sits
# at a short, nearly fixed distance from the answer, which a tiny model learns to copy much sooner.
MATH_PROMPT = "Solve, end with ANSWER: <number>.\n{problem}"
CODE_PROMPT = "Reply with a ```python block.\n{task}"
MC_PROMPT = "End with ANSWER: <option>.\nOptions: {options}.\n{question}"
RECALL_PROMPT = "End with ANSWER: <word>.\n{question}"
TWOHOP_PROMPT = "End with ANSWER: <choice>.\nChoices: {choices}.\n{question}"


@dataclass(frozen=True)
class Problem:
    """What a generator returns: the prompt text, both worked solutions, the verifier reference,
    the problem key (decides the split) and metadata."""

    text: str
    careful: str
    shortcut: str
    reference: dict
    key: str
    meta: dict = field(default_factory=dict)


__all__ = ["CODE_PROMPT", "MATH_PROMPT", "MC_PROMPT", "Problem", "RECALL_PROMPT", "TWOHOP_PROMPT"]
