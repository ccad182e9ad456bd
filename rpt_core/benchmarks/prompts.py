"""Prompt templates in the paper's answer formats.

Math ends with a final ``ANSWER: <answer>`` line; code asks for one fenced ```` ```python ````
block; knowledge asks for the option letter or label on a final ``ANSWER:`` line. Templates are
``str.format`` strings; :func:`render` fills them and strips surrounding whitespace.
"""

from __future__ import annotations

_CODE_BLOCK = "Reply with the complete code in a single ```python code block."
_FINAL = "Think it through, then give your final answer on its own last line in the form `ANSWER: {form}`."

_LCB_INTRO = ("You are an expert Python programmer. You will be given a question (problem specification) and "
              "will generate a correct Python program that matches the specification and passes all tests.\n\n"
              "### Question:\n{statement}\n\n")
_LCB_ANSWER = "### Answer: (use the provided format with backticks)"

TEMPLATES: dict[str, str] = {
    "math": ("Solve the following math problem. Reason step by step, then give the final answer on its own "
             "last line in the form `ANSWER: <answer>`.\n\n{problem}"),
    "math_amc": ("Solve the following math problem. Reason step by step, then give the final answer on its own "
                 "last line in the form `ANSWER: <answer>`. Do not include units in the answer.\n\n{problem}"),
    "code_mbpp": ("{text}\n\nWrite a Python function for this task. Your code should pass these tests:\n\n"
                  "{tests}\n\n" + _CODE_BLOCK),
    "code_humaneval": ("Complete the following Python function. Reply with the complete function (signature, "
                       "docstring and body, plus any imports or helpers it needs) in a single ```python code "
                       "block.\n\n```python\n{prompt}\n```"),
    # BigCodeBench's instruct-mode instruction, then the task.
    "code_bigcodebench": ("Please provide a self-contained Python script that solves the following problem in a "
                          "markdown code block:\n{instruct_prompt}"),
    "code_stdio": ("{statement}\n\nWrite a Python 3 program that solves this problem. It must read the input "
                   "from standard input and write the answer to standard output. " + _CODE_BLOCK),
    # LiveCodeBench's own harness prompt (its system message leads the single user turn).
    "code_lcb_stdio": (_LCB_INTRO + "### Format: Read the inputs from stdin solve the problem and write the answer to "
                       "stdout (do not directly test on the sample inputs). Enclose your code within delimiters as "
                       "follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm "
                       "and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n" + _LCB_ANSWER),
    "code_lcb_starter": (_LCB_INTRO + "### Format: You will use the following starter code to write the solution to "
                         "the problem and enclose your code within delimiters.\n```python\n{starter_code}\n```\n\n"
                         + _LCB_ANSWER),
    # Aider's benchmark: the exercise's docs, then its addendum naming the file to edit (whose stub we
    # show, since the model cannot open it), then our reply format.
    "code_exercise": ("{instructions}\n\n####\n\nUse the above instructions to modify the supplied files: {filename}\n"
                      "Don't change the names of existing functions or classes, as they may be referenced from other "
                      "code like unit tests, etc.\nOnly use standard libraries, don't suggest installing any "
                      "packages.\n\n`{filename}` currently contains:\n\n```python\n{stub}\n```\n\nReply with the "
                      "complete contents of `{filename}` in a single ```python code block."),
    "knowledge_pubmedqa": ("Context:\n{context}\n\nQuestion: {question}\n\nAnswer with yes, no or maybe. "
                           + _FINAL.format(form="<yes|no|maybe>")),
    "knowledge_choice": ("{question}\n\n{options}\n\nAnswer with the letter of the correct option. "
                         + _FINAL.format(form="<letter>")),
    "knowledge_tabfact": ("Table{caption}:\n\n{table}\n\nStatement: {statement}\n\nIs the statement entailed or "
                          "refuted by the table? Answer with entailed or refuted. "
                          + _FINAL.format(form="<entailed|refuted>")),
    "knowledge_legalbench": "{prompt}\n\n(Answer with one of: {labels}. " + _FINAL.format(form="<label>") + ")",
    "knowledge_label": "{text}\n\nAnswer with one of: {labels}. " + _FINAL.format(form="<label>"),
    "knowledge_numeric": ("{text}\n\nGive the final answer as a number only (no units, no % sign). "
                          + _FINAL.format(form="<number>")),
}


# Aider's second try: the test output, then its instruction to fix the code (plus our reply format).
RETRY = ("{errors}\n\n####\n\nSee the testing errors above.\nThe tests are correct, don't try and change them.\n"
         "Fix the code in {filename} to resolve the errors. Reply with the complete contents of `{filename}` in a "
         "single ```python code block.")


def retry_message(item, errors: str) -> str:
    """The user turn of a second try at ``item`` (an exercise), after its tests failed with ``errors``."""
    return RETRY.format(errors=errors.strip() or "The tests failed.", filename=item.metadata["solution_file"])


def render(template: str, **fields) -> str:
    """Fill ``TEMPLATES[template]``; raises ``KeyError`` for an unknown template or missing field."""
    return TEMPLATES[template].format(**fields).strip()


def user_messages(text: str) -> list[dict]:
    """The chat messages an :class:`~rpt_core.items.Item` carries: one user turn."""
    return [{"role": "user", "content": text}]
