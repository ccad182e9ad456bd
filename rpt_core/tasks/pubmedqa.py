"""PubMedQA (expert-labeled PQA-L): the official 500-question test set, answered yes/no/maybe;
upstream's own number is macro-F1."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import NO_ANSWER, f1, gold, predicted
from .prompting import FINAL, render
from .rows import item
from .task import Metric, Source, Task

PROMPT = ("Context:\n{context}\n\nQuestion: {question}\n\nAnswer with yes, no or maybe. "
          + FINAL.format(form="<yes|no|maybe>"))
TEST_IDS = Path(__file__).with_name("pubmedqa_test_pmids.json")


def official_test_ids() -> set[str]:
    """PMIDs of the official 500-question test set (``test_ground_truth.json`` of the PubMedQA repo)."""
    return set(json.loads(TEST_IDS.read_text())["ids"])


def normalize(task, rows):
    """PubMedQA's expert-labeled questions (PQA-L) in any of their published layouts:

    * ``qiaojin/PubMedQA`` ``pqa_labeled`` (parquet, 1,000 rows, one ``train`` split): pubid,
      question, context {contexts, labels, meshes, ...}, long_answer, final_decision;
    * the GitHub repository's ``ori_pqal.json`` (1,000 entries keyed by PMID): QUESTION, CONTEXTS,
      LABELS, MESHES, YEAR, reasoning_*_pred, final_decision, LONG_ANSWER;
    * ``bigbio/pubmed_qa`` ``pubmed_qa_labeled_fold0_source`` (its parquet conversion), whose
      ``test`` split is already the official test set but carries no PMID (ids are row numbers).

    Rows with a PMID are kept only when it is one of the official 500 test PMIDs
    (:func:`official_test_ids`), so every layout gives the same test set."""
    labels = ["yes", "no", "maybe"]
    official = official_test_ids()
    items = []
    for i, r in enumerate(rows):
        if "pubid" in r:
            pmid, question, contexts, year = str(r["pubid"]), r["question"], r["context"]["contexts"], None
        else:
            pmid, question, contexts, year = r.get("_key"), r["QUESTION"], r["CONTEXTS"], r.get("YEAR")
        if pmid is not None and pmid not in official:
            continue
        items.append(item(task, pmid if pmid is not None else i,
                          render(task.prompt, question=question, context="\n".join(contexts)),
                          "label", {"answer": r["final_decision"].strip().lower(), "labels": labels}, year=year))
    return items


def macro_f1(rows) -> float:
    """The official evaluation.py: sklearn's macro-F1 with its default label set, the union of gold
    and predicted labels; a missing answer is one more predicted label (:data:`NO_ANSWER`)."""
    predictions = [predicted(r["extracted"]) or NO_ANSWER for _, r in rows]
    return f1([gold(i) for i, _ in rows], predictions, average="macro", union=True)


TASK = Task("pubmedqa", "knowledge",
            Source("hub", "qiaojin/PubMedQA", "pqa_labeled", split="train",
                   layout="qiaojin/PubMedQA's pqa_labeled parquet (e.g. pqa_labeled/train-00000-of-00001.parquet), "
                          "or ori_pqal.json of https://github.com/pubmedqa/pubmedqa, or bigbio/pubmed_qa's "
                          "pubmed_qa_labeled_fold0_source/test parquet"),
            500, 1, PROMPT, "label", normalize, upstream=Metric("macro-F1", macro_f1), module=__name__,
            generators=("tasks/pubmedqa_test_pmids.json",),
            notes="paper: bigbio/pubmed_qa labeled fold0 test, i.e. the official 500-question test set; "
                  "bigbio is script-only, so the script-free copy is filtered to the official test PMIDs")
