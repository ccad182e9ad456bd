"""The index of a reports folder: ``reports/index.{md,html}`` list every run of every study, newest
first, and link each run's page, README and manifest (:mod:`rpt_core.report` renders those).

:func:`write_run` writes one run's README and page and then the index; no other run's folder is
touched (what ``rpt run`` calls). :func:`refresh` (``rpt report``) writes the index and the README and
page of every run that lacks them; only ``rewrite=True`` renders every run again (the committed
references too). A run whose ``manifest.json`` is missing or is not a JSON object is listed as
*unreadable* with the reason; it never stops the rest of the index. The index is not committed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from .atomic import write_atomic
from .report import Run, a, badge, esc, md_link, md_text, page, read_run, write_run_page, write_run_readme
from .report_style import MISSING, fmt_commit, fmt_seconds, fmt_time, fmt_value


def find_runs(reports_root: str | Path = "reports") -> dict[str, list[Run]]:
    """``{study: [runs, newest first]}`` for every ``<study>/<run>/`` folder; studies sorted by name."""
    def folders(path: Path) -> list[Path]:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")) if path.is_dir() else []

    oldest = datetime.min.replace(tzinfo=timezone.utc)
    studies: dict[str, list[Run]] = {}
    for study_dir in folders(Path(reports_root)):
        runs = [read_run(p, study_dir.name) for p in folders(study_dir)]
        if runs:
            studies[study_dir.name] = sorted(runs, key=lambda r: (r.started or oldest, r.path.name), reverse=True)
    return studies


def _counts(studies: dict[str, list[Run]]) -> str:
    """``3 runs in 2 studies`` (singulars where due)."""
    runs = sum(map(len, studies.values()))
    return f"{runs} run{'s' * (runs != 1)} in {len(studies)} stud{'y' if len(studies) == 1 else 'ies'}"


def _index_links(run: Run, root: Path, link_to) -> list[str]:
    base = run.path.relative_to(root)
    links = [link_to("report", base / "index.html")] if (run.path / "index.html").is_file() else []
    if (run.path / "README.md").is_file():
        links.append(link_to("README", base / "README.md"))
    if (run.path / "manifest.json").is_file():
        links.append(link_to("manifest", base / "manifest.json"))
    return links


def index_markdown(studies: dict[str, list[Run]], root: Path) -> str:
    """The Markdown index: one section per study, one table row per run (newest first)."""
    lines = ["# Study reports", "", f"{_counts(studies)}. Browsable: [index.html](index.html).", ""]
    if not studies:
        lines.append("No runs yet: `rpt run STUDY` writes them under this folder.")
    for study, runs in studies.items():
        lines += [f"## {md_text(study)}", "",
                  "| Run | Status | Started | Duration | Commit | Key numbers | Links |", "|---|---|---|---|---|---|---|"]
        for run in runs:
            status = run.status if run.manifest is not None else f"unreadable: {run.problem}"
            numbers = "; ".join(f"{k}: {fmt_value(value)}" for k, value in run.key_numbers.items()) or MISSING
            lines.append(f"| {md_text(run.run_id)} | {md_text(status)} | {fmt_time(run.started)} "
                         f"| {fmt_seconds(run.seconds)} | {md_text(fmt_commit(run.git))} "
                         f"| {md_text(numbers)} | {' · '.join(_index_links(run, root, md_link)) or MISSING} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def index_html(studies: dict[str, list[Run]], root: Path) -> str:
    """The HTML index: per study its description and a table of its runs, each linking its page."""
    sections = []
    for study, runs in studies.items():
        description = next((r.manifest["params"].get("description") for r in runs if r.manifest is not None
                            and isinstance(r.manifest.get("params"), dict) and r.manifest["params"].get("description")), "")
        rows = ["<table><tr><th>Run</th><th>Status</th><th>Started</th><th>Duration</th><th>Commit</th>"
                "<th>Key numbers</th><th>Links</th></tr>"]
        for run in runs:
            status = badge(run.status) + (f' <span class="error">{esc(run.problem)}</span>' if run.problem else "")
            numbers = "<br>".join(f"{esc(k)}: <b>{esc(fmt_value(value))}</b>" for k, value in run.key_numbers.items()) or MISSING
            rows.append(f"<tr><td>{esc(run.run_id)}</td><td>{status}</td><td>{fmt_time(run.started)}</td>"
                        f"<td>{fmt_seconds(run.seconds)}</td><td>{esc(fmt_commit(run.git))}</td><td>{numbers}</td>"
                        f"<td>{' · '.join(_index_links(run, root, a)) or MISSING}</td></tr>")
        sections.append(f'<section id="{esc(quote(study))}"><h2>{esc(study)}</h2>'
                        + (f"<p>{esc(description)}</p>" if description else "") + "\n".join(rows) + "</table>\n</section>")
    nav = " · ".join(f'<a href="#{esc(quote(s))}">{esc(s)}</a>' for s in studies)
    empty = "<p>No runs yet: <code>rpt run STUDY</code> writes them under this folder.</p>" if not studies else ""
    return page("Study reports", f'<h1>Study reports</h1>\n<p class="muted">{_counts(studies)} · {a("index.md", "index.md")}</p>\n'
                                 f"<nav>{nav}</nav>\n{empty}" + "\n".join(sections))


def build_index(reports_root: str | Path = "reports") -> tuple[Path, Path]:
    """Write ``reports_root/index.md`` and ``index.html`` for every run found; returns both paths."""
    root = Path(reports_root)
    studies = find_runs(root)
    return (write_atomic(root / "index.md", index_markdown(studies, root)),
            write_atomic(root / "index.html", index_html(studies, root)))


def write_run(run_dir: str | Path) -> Path:
    """Write one run's README and page, then the index of its reports folder (``run_dir/../..``);
    nothing in another run's folder is touched. Returns the page's path."""
    write_run_readme(run_dir)
    out = write_run_page(run_dir)
    build_index(Path(run_dir).parent.parent)
    return out


def refresh(reports_root: str | Path = "reports", rewrite: bool = False) -> tuple[Path, Path]:
    """Write ``reports_root/index.{md,html}``, and the README and page of every readable run that
    lacks one (every readable run with ``rewrite``); unreadable runs are only listed. What ``rpt report``
    calls. Returns the index's two paths."""
    for runs in find_runs(reports_root).values():
        for run in runs:
            if run.manifest is None:
                continue
            if rewrite or not (run.path / "README.md").is_file():
                write_run_readme(run.path)
            if rewrite or not (run.path / "index.html").is_file():
                write_run_page(run.path, rewrite)
    return build_index(reports_root)


__all__ = ["find_runs", "index_markdown", "index_html", "build_index", "write_run", "refresh"]
