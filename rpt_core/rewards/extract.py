"""Pull the answer out of a completion. Pure string functions, no model or sandbox.

Shared rules for every kind:

* ``<think>...</think>`` blocks are removed first. An unterminated ``<think>`` means the model never
  left its reasoning, so the answer is missing (``None``), whatever text follows.
* When several candidate answers appear, the **last** one wins (models restate, correct themselves
  and conclude at the end). Explicitly marked answers (``\\boxed{}``, ``ANSWER:``, "the answer
  is") take precedence over bare mentions; the last marked one wins.
"""

from __future__ import annotations

import re

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def strip_think(text: str) -> str | None:
    """Remove reasoning blocks; ``None`` when a ``<think>`` block is never closed.

    A stray ``</think>`` without an opening tag (chat templates often put ``<think>`` in the
    prompt) ends the reasoning: only the text after the last one is kept.
    """
    text = _THINK_BLOCK.sub("", text)
    if re.search(r"<think>", text, re.IGNORECASE):
        return None
    closing = list(re.finditer(r"</think>", text, re.IGNORECASE))
    return text[closing[-1].end():] if closing else text


def _boxed_spans(text: str) -> list[tuple[int, str]]:
    """(position, content) of every ``\\boxed{...}`` / ``\\fbox{...}`` with balanced braces."""
    found = []
    for match in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                found.append((match.start(), text[start:i].strip()))
                break
    return found


def math_answer(completion: str) -> str | None:
    """The final math answer: the last ``\\boxed{}``, ``ANSWER: ...`` line or ``#### ...``."""
    text = strip_think(completion)
    if text is None:
        return None
    candidates = _boxed_spans(text)
    for pattern in (r"(?im)\banswer[ \t*]*:[ \t*]*(.+?)[ \t*]*$", r"(?m)####[ \t]*(.+?)[ \t]*$"):
        candidates += [(m.start(), m.group(1)) for m in re.finditer(pattern, text)]
    candidates = [(pos, answer.strip().rstrip(".").strip().strip("$").strip()) for pos, answer in candidates]
    candidates = [(pos, answer) for pos, answer in candidates if answer]
    return max(candidates)[1] if candidates else None


def code_block(completion: str) -> str | None:
    """The last fenced code block (python preferred), else the whole text when it is plain code.

    A final fence that was opened but never closed (a truncated completion) still counts.
    """
    text = strip_think(completion)
    if text is None:
        return None
    blocks = re.findall(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", text, re.DOTALL)
    python = [body for lang, body in blocks if lang.lower() in ("python", "py", "python3")]
    chosen = python or [body for lang, body in blocks if not lang]
    if chosen:
        return chosen[-1].strip("\n") or None
    if blocks:
        return None
    return text.strip("\n") if text.strip() else None


def lcb_code(completion: str) -> str | None:
    """LiveCodeBench's own extraction (its ``extract_code`` for chat models), followed on purpose:
    the text between the last two lines that contain a code fence, whatever their language;
    ``None`` with fewer than two such lines (plain code without fences is no answer there). It
    does not remove ``<think>`` blocks."""
    lines = completion.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return None
    return "\n".join(lines[fences[-2] + 1:fences[-1]]).strip("\n") or None


def first_python_fence(completion: str) -> str | None:
    """Extractor ``first_python_fence`` (USACOBench's own extraction, followed on purpose): from the
    first ```` ```python ```` (case sensitive) to the next fence; without both, the whole response
    is the program."""
    start = completion.find("```python")
    end = completion.find("```", start + len("```python")) if start >= 0 else -1
    if start < 0 or end < 0:
        return completion if completion.strip() else None
    return completion[start + len("```python"):end]


CODE_EXTRACTORS = {"last_block": code_block, "lcb": lcb_code, "first_python_fence": first_python_fence}


def _last(pattern: str, text: str, flags=re.IGNORECASE) -> str | None:
    matches = list(re.finditer(pattern, text, flags))
    return matches[-1].group(1) if matches else None


def choice_letter(completion: str, options: list[str]) -> str | None:
    """The chosen option letter, tolerant of "Answer: (C)", "**C**", "\\boxed{C}", "C." alone."""
    text = strip_think(completion)
    if text is None:
        return None
    letters = "".join(re.escape(o) for o in options)
    tiers = (
        rf"answer(?:\s+is)?\s*(?:[:=]|\bis\b)?\s*[\(\[\*\s]*([{letters}])(?![A-Za-z])",
        rf"\\boxed\{{\s*(?:\\text\{{)?\s*([{letters}])\s*\}}",
        rf"(?:\*\*|\()\s*([{letters}])\s*(?:\*\*|\))",
        rf"(?m)^\s*[\*\(\[]*\s*([{letters}])\s*[\)\]\*.:]*\s*$",
        rf"(?m)^\s*([{letters}])[\).:]\s",
    )
    for pattern in tiers:
        flags = re.IGNORECASE if pattern is tiers[0] else 0
        found = _last(pattern, text, flags)
        if found:
            return found.upper() if found.upper() in options else found
    return None


def label(completion: str, labels: list[str]) -> str | None:
    """One of ``labels`` (case-insensitive, whole words); the canonical spelling is returned.

    "Answer: <label>" wins over a bare mention; longer labels are matched before shorter ones,
    so "not entailed" is not read as "entailed".
    """
    text = strip_think(completion)
    if text is None:
        return None
    alternation = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    canonical = {x.lower(): x for x in labels}
    for pattern in (
        rf"answer(?:\s+is)?\s*[:=]?\s*[\*\"'\(\[]*({alternation})(?![\w-])",
        rf"\\boxed\{{\s*(?:\\text\{{)?\s*({alternation})\s*\}}",
        rf"(?<![\w-])({alternation})(?![\w-])",
    ):
        found = _last(pattern, text)
        if found:
            return canonical[found.lower()]
    return None


_NUMBER = r"[-−]?\s?[$€£¥]?\s?[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-−]?\.\d+"


def number(completion: str) -> float | None:
    """The final number: after "answer"/``ANSWER:``/``\\boxed`` when present, else the last one.

    Commas as thousands separators, currency signs and a trailing ``%`` are dropped (``12%`` reads
    as 12). Scientific notation is not recognised.
    """
    text = strip_think(completion)
    if text is None:
        return None
    marked = [answer for _, answer in _boxed_spans(text)]
    marked += re.findall(r"(?i)answer(?:\s+is)?\s*[:=]?\s*([^\n]*)", text)
    for region in reversed(marked) if marked else []:
        values = re.findall(_NUMBER, region)
        if values:
            return _to_float(values[0])
    values = re.findall(_NUMBER, text)
    return _to_float(values[-1]) if values else None


def _to_float(raw: str) -> float:
    cleaned = raw.replace("−", "-").replace(",", "")
    cleaned = re.sub(r"[\s$€£¥]", "", cleaned)
    return float(cleaned.replace("--", "-"))
