"""TabFact (ibm-research/tab_fact, test): 12,779 statements about tables, entailed or refuted."""

from __future__ import annotations

from .prompting import FINAL, render
from .rows import item
from .task import Source, Task

PROMPT = ("Table{caption}:\n\n{table}\n\nStatement: {statement}\n\nIs the statement entailed or "
          "refuted by the table? Answer with entailed or refuted. " + FINAL.format(form="<entailed|refuted>"))


def markdown_table(table_text: str) -> str:
    """TabFact ``table_text`` (rows on lines, cells separated by ``#``, first row = header) as markdown."""
    rows = [line.split("#") for line in table_text.strip().splitlines() if line.strip()]
    if not rows:
        return ""
    width = max(len(r) for r in rows)

    def line(cells):
        return "| " + " | ".join(c.strip().replace("|", "\\|") for c in cells + [""] * (width - len(cells))) + " |"
    return "\n".join([line(rows[0]), "|" + " --- |" * width] + [line(r) for r in rows[1:]])


def normalize(task, rows):
    """tab_fact (config tab_fact): id (the *table's* index, shared by all its statements), table_id
    (the table's csv name), table_text (``#``-separated cells), table_caption, statement, label
    (0 = refuted, 1 = entailed). An item id is ``<table_id>/<k>``, the k-th statement of that table
    in source order. The table is rendered as markdown."""
    labels = ["refuted", "entailed"]
    seen: dict[str, int] = {}
    items = []
    for r in rows:
        table = str(r["table_id"])
        seen[table] = seen.get(table, -1) + 1
        text = render(task.prompt, table=markdown_table(r["table_text"]),
                      caption=f" ({r['table_caption']})" if r.get("table_caption") else "",
                      statement=r["statement"])
        items.append(item(task, f"{table}/{seen[table]}", text, "label",
                          {"answer": labels[int(r["label"])], "labels": labels}, table_id=table,
                          table_index=r.get("id")))
    return items


TASK = Task("tabfact", "knowledge", Source("hub", "ibm-research/tab_fact", "tab_fact", revision="refs/convert/parquet"),
            12779, 1, PROMPT, "label", normalize, module=__name__)
