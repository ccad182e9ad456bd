"""LegalBench (nguha/legalbench, one config per task): the 155 tasks upstream scores by balanced
accuracy over a label set, each posed with its task's ``base_prompt.txt``."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

from .metrics import balanced_accuracy, gold, predicted
from .prompting import FINAL, render
from .readers import offline, unavailable
from .rows import item
from .task import Metric, Source, Task

PROMPT = "{prompt}\n\n(Answer with one of: {labels}. " + FINAL.format(form="<label>") + ")"
# Tasks that upstream does not score by balanced accuracy over a label set (evaluation.py):
# they are open-ended or numeric, and left out as in the paper (~155 exact-match tasks).
NOT_LABEL_TASKS = {
    "sara_numeric": "within 10% of the dollar amount", "citation_prediction_open": "case name contained",
    "definition_extraction": "stemmed term match", "ssla_company_defendants": "F1 over names",
    "ssla_individual_defendants": "F1 over names", "ssla_plaintiff": "F1 over names", "rule_qa": "manual grading",
}
PROMPT_URL = "https://raw.githubusercontent.com/HazyResearch/legalbench/main/tasks/{task}/base_prompt.txt"


def task_prompt(task: str, data_dir: Path | None) -> str:
    """The task's ``base_prompt.txt`` (instruction, worked examples, ``{{column}}`` placeholders) from
    the LegalBench GitHub repository: ``<data_dir>/legalbench/tasks/<task>/`` of a local copy, else
    downloaded (cached under ``~/.cache/rpt/legalbench``) unless downloads are off
    (:func:`rpt_core.tasks.readers.offline`). Raises :class:`~rpt_core.tasks.readers.BenchmarkUnavailable`."""
    cached = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rpt" / "legalbench"
    for root in ([data_dir / "legalbench"] if data_dir else []) + [cached]:
        path = root / "tasks" / task / "base_prompt.txt"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    if data_dir or offline():
        where = data_dir / "legalbench" / "tasks" if data_dir else cached / "tasks"
        raise unavailable(TASK, f"no task prompt {where / task / 'base_prompt.txt'}"
                                + ("" if data_dir else " and downloads are off (HF_HUB_OFFLINE)")
                                + ": put the tasks/ folder of https://github.com/HazyResearch/legalbench there")
    try:
        import urllib.request
        with urllib.request.urlopen(PROMPT_URL.format(task=task), timeout=30) as response:
            text = response.read().decode("utf-8")
    except Exception as exc:
        raise unavailable(TASK, f"task prompt of {task!r} not downloadable ({type(exc).__name__}: {exc})") from exc
    path = cached / "tasks" / task / "base_prompt.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def fill_placeholders(template: str, row: dict, where: str) -> str:
    """Replace every ``{{column}}`` of ``template`` by the row's value; only the columns the template
    names are shown, so columns that give the answer away (``diversity_*``'s ``aic_is_met``,
    ``hearsay``'s ``slice``) never reach the prompt. Raises ``ValueError`` for a column the row lacks."""
    def value(match):
        column = match.group(1)
        if column not in row:
            raise ValueError(f"{where}: the prompt names column {{{{{column}}}}}, which the data lacks "
                             f"(columns: {', '.join(k for k in row if not k.startswith('_'))})")
        return str(row[column])
    return re.sub(r"\{\{(.+?)\}\}", value, template)


def task_rows(task, rows: list[dict], data_dir: Path | None) -> list[dict]:
    """The rows of the tasks upstream scores by balanced accuracy over a label set (option
    ``tasks``: of these tasks only), each with its task's ``base_prompt.txt`` as ``_prompt``."""
    present = {r["_subset"] for r in rows}
    wanted = set(task.options.get("tasks") or present) - set(NOT_LABEL_TASKS)
    if wanted - present:
        raise ValueError(f"legalbench: option tasks names {', '.join(sorted(wanted - present))}, not in the data")
    base = {name: task_prompt(name, data_dir) for name in sorted(wanted)}
    return [dict(r, _prompt=base[r["_subset"]]) for r in rows if r["_subset"] in wanted]


def normalize(task, rows):
    """nguha/legalbench, one config (folder) per task; columns vary by task (``answer`` is the gold,
    ``index`` the row id). Each row's prompt is its task's upstream ``base_prompt.txt`` (attached as
    ``_prompt`` by :func:`task_rows`) with the placeholders filled, plus the answer format. The label
    set is the task's distinct test answers."""
    by_task: dict[str, list[dict]] = {}
    for r in rows:
        by_task.setdefault(r["_subset"], []).append(r)
    items = []
    for name, named_rows in sorted(by_task.items()):
        labels = sorted({str(r["answer"]).strip() for r in named_rows})
        for i, r in enumerate(named_rows):
            question = fill_placeholders(r["_prompt"], r, f"legalbench/{name}").strip()
            text = render(task.prompt, prompt=question, labels=", ".join(labels))
            items.append(item(task, f"{name}/{r.get('index', i)}", text, "label",
                              {"answer": str(r["answer"]).strip(), "labels": labels}, task=name))
    return items


def mean_balanced_accuracy(rows) -> float:
    """Balanced accuracy per task (LegalBench ``evaluation.py``), averaged over tasks."""
    by_task: dict[str, list] = defaultdict(list)
    for it, row in rows:
        by_task[it.metadata["task"]].append((gold(it), predicted(row["extracted"])))
    return sum(balanced_accuracy(*zip(*v)) for v in by_task.values()) / len(by_task)


TASK = Task("legalbench", "knowledge",
            Source("hub", "nguha/legalbench", "{subset}", revision="refs/convert/parquet", subset_root="data",
                   layout="the task data, one folder per task as in the hub repository (data/<task>/test.tsv, "
                          "or <task>/test.tsv, <task>/test-*.parquet), plus the tasks/ folder of "
                          "https://github.com/HazyResearch/legalbench (tasks/<task>/base_prompt.txt: the "
                          "instructions and examples); e.g. <data_dir>/legalbench/data/abercrombie/test.tsv "
                          "and <data_dir>/legalbench/tasks/abercrombie/base_prompt.txt"),
            None, 1, PROMPT, "label", normalize, options={"tasks": None}, prepare=task_rows,
            upstream=Metric("balanced accuracy (mean over tasks)", mean_balanced_accuracy), module=__name__,
            notes="the 155 tasks upstream scores by balanced accuracy (label answers); prompts are the "
                  "tasks' base_prompt.txt; sara_numeric, ssla_*, citation_prediction_open, "
                  "definition_extraction and rule_qa (other metrics) are left out")
