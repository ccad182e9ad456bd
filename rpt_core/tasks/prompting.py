"""Prompt pieces several tasks share, and how a template becomes a prompt.

Math ends with a final ``ANSWER: <answer>`` line; code asks for one fenced ```` ```python ````
block; knowledge asks for the option letter or label on a final ``ANSWER:`` line. Templates are
``str.format`` strings (each task declares its own in ``Task.prompt``); :func:`render` fills one
and strips surrounding whitespace.
"""

from __future__ import annotations

CODE_BLOCK = "Reply with the complete code in a single ```python code block."
FINAL = "Think it through, then give your final answer on its own last line in the form `ANSWER: {form}`."

MATH = ("Solve the following math problem. Reason step by step, then give the final answer on its own "
        "last line in the form `ANSWER: <answer>`.\n\n{problem}")
CODE_STDIO = ("{statement}\n\nWrite a Python 3 program that solves this problem. It must read the input "
              "from standard input and write the answer to standard output. " + CODE_BLOCK)
CHOICE = "{question}\n\n{options}\n\nAnswer with the letter of the correct option. " + FINAL.format(form="<letter>")
LABEL = "{text}\n\nAnswer with one of: {labels}. " + FINAL.format(form="<label>")
NUMERIC = "{text}\n\nGive the final answer as a number only (no units, no % sign). " + FINAL.format(form="<number>")

# Aider's second try: the test output, then its instruction to fix the code (plus our reply format).
RETRY = ("{errors}\n\n####\n\nSee the testing errors above.\nThe tests are correct, don't try and change them.\n"
         "Fix the code in {filename} to resolve the errors. Reply with the complete contents of `{filename}` in a "
         "single ```python code block.")


def retry_message(item, errors: str) -> str:
    """The user turn of a second try at ``item`` (an exercise), after its tests failed with ``errors``."""
    return RETRY.format(errors=errors.strip() or "The tests failed.", filename=item.metadata["solution_file"])


def render(template: str, **fields) -> str:
    """Fill ``template``; raises ``KeyError`` for a missing field."""
    return template.format(**fields).strip()


def user_messages(text: str) -> list[dict]:
    """The chat messages an :class:`~rpt_core.items.Item` carries: one user turn."""
    return [{"role": "user", "content": text}]
