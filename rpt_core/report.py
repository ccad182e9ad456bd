"""Browsable reports: a ``README.md`` per study run, and an index of every run as Markdown and HTML.

A study run (:mod:`rpt_core.study`) leaves ``reports/<study>/<run-id>/`` with ``manifest.json``,
``notebooks/`` (the executed copies), ``figures/<name>.{png,svg,html,csv}``,
``tables/<name>.{csv,md,tex}`` and ``data/``. This module only reads those folders and writes:

* :func:`write_run_readme`: ``<run>/README.md`` (status, timing, git commit, one row per step with a
  link to its executed notebook and its error, key numbers, every figure and table);
* :func:`build_index`: ``reports/index.md`` and ``reports/index.html``, every run of every study,
  newest first. The HTML page is self-contained (inline CSS, no script, no network resource): the
  newest readable run of each study is expanded with its figures; older runs are collapsed
  (their images load lazily when opened);
* each run's own page, ``<run>/index.html``, and its rendered notebooks come from :mod:`rpt_core.site`,
  whose ``refresh`` writes all of it for the whole tree (what ``rpt report`` and ``rpt run`` call).

Every link is relative, so a reports folder can be copied, zipped or served as it is. Every text that
comes from a manifest or a file name is escaped. A run whose ``manifest.json`` is missing or is not a
JSON object is listed as *unreadable* with the reason; it never stops the rest of the index. Missing
values are shown as ``—``, never as ``nan``. All writes are atomic. (The tests open ``index.html``
in headless Chromium with their helper ``tests/browser.py``.)
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .atomic import write_atomic
from .manifest import utc_now

MISSING = "—"
FIGURE_FORMATS = ("png", "svg", "html", "csv")     # what figures.save writes; png is the one shown
TABLE_FORMATS = ("md", "csv", "tex")               # what tables.write_table writes; md is inlined
HTML_TABLE_ROWS = 60                               # rows of a table CSV shown inline in index.html
STATUS_COLORS = {"done": "#1a7f37", "failed": "#cf222e", "running": "#9a6700", "pending": "#6e7781",
                 "skipped": "#6e7781", "unreadable": "#8250df"}


# ------------------------------------------------------------------------------------- reading runs

@dataclass
class Run:
    """One ``reports/<study>/<run-id>/`` folder; ``manifest`` is ``None`` when it could not be read."""

    study: str
    path: Path
    manifest: dict | None
    problem: str | None = None          # why the manifest is unreadable

    @property
    def run_id(self) -> str:
        return str((self.manifest or {}).get("run_id") or self.path.name)

    @property
    def status(self) -> str:
        return str(self.manifest.get("status") or "unknown") if self.manifest is not None else "unreadable"

    @property
    def started(self) -> datetime | None:
        """Start time: the manifest's ``started_at``, else the UTC time the run-id begins with."""
        if self.manifest and parse_time(self.manifest.get("started_at")):
            return parse_time(self.manifest.get("started_at"))
        match = re.match(r"(\d{8}T\d{6}Z)", self.path.name)
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) if match else None

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish; ``None`` while running or when a time is missing."""
        start, end = self.started, parse_time((self.manifest or {}).get("finished_at"))
        return (end - start).total_seconds() if start and end else None

    @property
    def steps(self) -> list[dict]:
        steps = (self.manifest or {}).get("steps")
        return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []

    @property
    def key_numbers(self) -> dict:
        """The manifest's key numbers; while a run is in progress, those its notebooks recorded so far."""
        numbers = (self.manifest or {}).get("key_numbers")
        if not numbers:
            try:
                numbers = json.loads((self.path / "data" / "key_numbers.json").read_text())
            except (OSError, ValueError):
                numbers = {}
        return numbers if isinstance(numbers, dict) else {}

    @property
    def git(self) -> dict:
        git = (self.manifest or {}).get("git")
        return git if isinstance(git, dict) else {}

    def page(self, notebook: str | None) -> str | None:
        """The rendered HTML page (:mod:`rpt_core.site`) of an executed notebook of this run, if written."""
        return self.file(str(Path(notebook).with_suffix(".html"))) if notebook else None

    def file(self, relative: Any) -> str | None:
        """``relative`` (a manifest path) if it names an existing file inside the run folder, else ``None``."""
        if not isinstance(relative, str) or not relative:
            return None
        target = (self.path / relative).resolve()
        inside = target.is_relative_to(self.path.resolve())
        return target.relative_to(self.path.resolve()).as_posix() if inside and target.is_file() else None


def read_run(run_dir: str | Path, study: str | None = None) -> Run:
    """The run in ``run_dir``; an unreadable manifest gives a :class:`Run` with ``problem`` set."""
    path = Path(run_dir)
    study = study or path.parent.name
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Run(study, path, None, "manifest.json is missing")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Run(study, path, None, f"manifest.json is not valid JSON: {exc}")
    if not isinstance(manifest, dict):
        return Run(study, path, None, f"manifest.json holds a {type(manifest).__name__}, not an object")
    return Run(str(manifest.get("study") or study), path, manifest)


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


def artifacts(folder: Path, formats: tuple[str, ...]) -> dict[str, dict[str, Path]]:
    """``{name: {format: path}}`` of the files in ``folder`` with one of ``formats``, sorted by name."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        fmt = path.suffix.lstrip(".").lower()
        if path.is_file() and fmt in formats and not path.name.startswith("."):
            found.setdefault(path.stem, {})[fmt] = path
    return {name: dict(sorted(files.items(), key=lambda kv: formats.index(kv[0]))) for name, files in found.items()}


def data_files(run: Run) -> list[Path]:
    """Files under ``data/`` (recursively, hidden ones left out), sorted."""
    folder = run.path / "data"
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------- formatting

def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive times are taken as UTC), or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def fmt_time(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else MISSING


def fmt_seconds(seconds: Any) -> str:
    """``12.3 s``, ``4 min 05 s``, ``2 h 03 min``; missing or non-finite -> ``—``."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds):
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def fmt_value(value: Any) -> str:
    """A key number for display: floats with 4 significant digits, ``—`` for missing/NaN, ``∞`` for inf."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan", "none", "null")):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def fmt_commit(git: dict) -> str:
    """``3f2a9c1`` (short sha), ``3f2a9c1 (dirty)``, or ``—`` outside a git checkout."""
    commit = git.get("commit")
    if not commit:
        return MISSING
    return f"{str(commit)[:7]} (dirty)" if git.get("dirty") else str(commit)[:7]


def link(path: str | Path) -> str:
    """A relative URL for a path (POSIX separators, unsafe characters percent-encoded)."""
    return quote(Path(path).as_posix())


def md_text(text: Any) -> str:
    """Text safe inside a Markdown table cell or line: no ``|``, newlines, or raw HTML."""
    text = html.escape(str(text), quote=False)
    return re.sub(r"\s*\n\s*", " ", text).replace("|", "\\|").replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")


def md_link(label: str, target: str | Path) -> str:
    return f"[{md_text(label)}]({link(target)})"


# ------------------------------------------------------------------------------------ run README.md

def run_readme(run: Run) -> str:
    """The Markdown of ``README.md`` for one readable run (all links relative to the run folder)."""
    sections = [_readme_header(run), _readme_steps(run), _readme_key_numbers(run), _readme_figures(run),
                _readme_tables(run), _readme_data(run)]
    return "\n\n".join(s for s in sections if s).rstrip() + "\n"


def _readme_header(run: Run) -> str:
    manifest = run.manifest or {}
    params = manifest.get("params") if isinstance(manifest.get("params"), dict) else {}
    lines = [f"# {md_text(run.study)} — run {md_text(run.run_id)}", ""]
    if params.get("description"):
        lines += [md_text(params["description"]), ""]
    failed = [s for s in run.steps if s.get("status") == "failed"]
    lines += [f"- **Status:** {md_text(run.status)}"
              + (f" (step {md_text(failed[0].get('name'))} failed)" if failed else ""),
              f"- **Started:** {fmt_time(run.started)}",
              f"- **Finished:** {fmt_time(parse_time(manifest.get('finished_at')))}",
              f"- **Duration:** {fmt_seconds(run.seconds)}",
              f"- **Git commit:** {md_text(fmt_commit(run.git))}"]
    seeds = manifest.get("seeds")
    if isinstance(seeds, dict) and seeds:
        lines.append("- **Seeds:** " + ", ".join(f"{md_text(k)} = {md_text(fmt_value(v))}" for k, v in seeds.items()))
    gpus = (manifest.get("hardware") or {}).get("gpus") if isinstance(manifest.get("hardware"), dict) else None
    if isinstance(gpus, list):
        names = [md_text(g.get("name", "?")) for g in gpus if isinstance(g, dict)]
        lines.append("- **Accelerators:** " + (", ".join(names) if names else "none (CPU)"))
    lines.append(f"- **Manifest:** {md_link('manifest.json', 'manifest.json')} "
                 "(resolved parameters, package versions, hardware)")
    return "\n".join(lines)


def _readme_steps(run: Run) -> str:
    if not run.steps:
        return ""
    rows = ["## Steps", "", "| # | Step | Status | Time | Executed notebook | Error |", "|---|---|---|---|---|---|"]
    for i, step in enumerate(run.steps, 1):
        notebook = run.file(step.get("notebook"))
        error = step.get("error")
        if error and step.get("cell") is not None:
            error = f"cell {step['cell']}: {error}"
        rows.append(f"| {i} | {md_text(step.get('name', '?'))} | {md_text(step.get('status', 'unknown'))} "
                    f"| {fmt_seconds(step.get('seconds'))} "
                    f"| {md_link(Path(notebook).name, notebook) if notebook else MISSING} "
                    f"| {md_text(error) if error else ''} |")
    return "\n".join(rows)


def _readme_key_numbers(run: Run) -> str:
    if not run.key_numbers:
        return ""
    rows = ["## Key numbers", "", "| Quantity | Value |", "|---|---|"]
    rows += [f"| {md_text(k)} | {md_text(fmt_value(v))} |" for k, v in run.key_numbers.items()]
    return "\n".join(rows)


def _other_formats(files: dict[str, Path], shown: str | None, base: Path) -> str:
    """`` · ``-separated links to every format of one figure/table except ``shown`` (None: all)."""
    return " · ".join(md_link(fmt.upper() if fmt != "tex" else "LaTeX", p.relative_to(base))
                      for fmt, p in files.items() if fmt != shown)


def _readme_figures(run: Run) -> str:
    figures = artifacts(run.path / "figures", FIGURE_FORMATS)
    if not figures:
        return ""
    parts = ["## Figures"]
    for name, files in figures.items():
        parts.append(f"### {md_text(name)}")
        if "png" in files:
            parts.append(f"![{md_text(name)}]({link(files['png'].relative_to(run.path))})")
        parts.append(_other_formats(files, "png", run.path))
    return "\n\n".join(p for p in parts if p)


def _readme_tables(run: Run) -> str:
    tables = artifacts(run.path / "tables", TABLE_FORMATS)
    if not tables:
        return ""
    parts = ["## Tables"]
    for name, files in tables.items():
        parts.append(f"### {md_text(name)}")
        if "md" in files:
            parts.append(files["md"].read_text(encoding="utf-8", errors="replace").strip())
        parts.append(_other_formats(files, None, run.path))
    return "\n\n".join(p for p in parts if p)


def _readme_data(run: Run) -> str:
    files = data_files(run)
    if not files:
        return ""
    return "## Data\n\n" + "\n".join(f"- {md_link(p.relative_to(run.path).as_posix(), p.relative_to(run.path))}"
                                     for p in files)


def write_run_readme(run_dir: str | Path) -> Path:
    """Write ``run_dir/README.md``; raises ``ValueError`` (naming the file) if the manifest is unreadable."""
    run = read_run(run_dir)
    if run.manifest is None:
        raise ValueError(f"{Path(run_dir) / 'manifest.json'}: {run.problem}; cannot write README.md")
    return write_atomic(run.path / "README.md", run_readme(run))


# ------------------------------------------------------------------------------------ index.md

def _key_numbers_inline(run: Run) -> str:
    return "; ".join(f"{k}: {fmt_value(v)}" for k, v in run.key_numbers.items()) or MISSING


def _counts(studies: dict[str, list[Run]]) -> str:
    """``3 runs in 2 studies`` (singulars where due)."""
    runs = sum(map(len, studies.values()))
    return f"{runs} run{'s' * (runs != 1)} in {len(studies)} stud{'y' if len(studies) == 1 else 'ies'}"


def index_markdown(studies: dict[str, list[Run]], root: Path) -> str:
    """The Markdown index: one section per study, one table row per run (newest first)."""
    lines = ["# Study reports", "", f"Generated {fmt_time(parse_time(utc_now()))}. "
             f"{_counts(studies)}. "
             "Browsable with figures: [index.html](index.html).", ""]
    if not studies:
        lines.append("No runs yet: `rpt run STUDY` writes them under this folder.")
    for study, runs in studies.items():
        lines += [f"## {md_text(study)}", "",
                  "| Run | Status | Started | Duration | Commit | Key numbers | Links |", "|---|---|---|---|---|---|---|"]
        for run in runs:
            base = run.path.relative_to(root)
            links = [md_link("README", base / "README.md")] if (run.path / "README.md").is_file() else []
            if (run.path / "manifest.json").is_file():
                links.append(md_link("manifest", base / "manifest.json"))
            status = run.status if run.manifest is not None else f"unreadable: {run.problem}"
            lines.append(f"| {md_text(run.run_id)} | {md_text(status)} | {fmt_time(run.started)} "
                         f"| {fmt_seconds(run.seconds)} | {md_text(fmt_commit(run.git))} "
                         f"| {md_text(_key_numbers_inline(run))} | {' · '.join(links) or MISSING} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------------------ index.html

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1rem 1.5rem 3rem; color: #1f2328; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2.2rem; }
a { color: #0969da; } .muted { color: #57606a; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.status { display: inline-block; padding: 0 .5rem; border-radius: 1rem; color: #fff; font-size: 13px; }
details.run { border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .8rem; margin: .6rem 0; }
details.run > summary { cursor: pointer; font-weight: 600; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; border: 1px solid #eaeef2; padding: .5rem; max-width: 100%; }
figure img { max-width: min(100%, 600px); height: auto; display: block; }  /* figures.save writes 2x PNGs */
figcaption { font-size: 13px; margin-top: .3rem; }
.error { color: #cf222e; font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap; }
"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def a(label: Any, target: str | Path) -> str:
    return f'<a href="{esc(link(target))}">{esc(label)}</a>'


def badge(status: str) -> str:
    return f'<span class="status" style="background:{STATUS_COLORS.get(status, "#6e7781")}">{esc(status)}</span>'


def _html_runs_table(runs: list[Run], root: Path) -> str:
    rows = ["<table><tr><th>Run</th><th>Status</th><th>Started</th><th>Duration</th><th>Commit</th>"
            "<th>Key numbers</th><th>Links</th></tr>"]
    for run in runs:
        base = run.path.relative_to(root)
        if (run.path / "index.html").is_file():      # the run's page (rpt_core.site); else its Markdown
            links = [a("report", base / "index.html")]
        else:
            links = [a("README", base / "README.md")] if (run.path / "README.md").is_file() else []
        if (run.path / "manifest.json").is_file():
            links.append(a("manifest", base / "manifest.json"))
        status = badge(run.status) + (f' <span class="error">{esc(run.problem)}</span>' if run.problem else "")
        numbers = "<br>".join(f"{esc(k)}: <b>{esc(fmt_value(v))}</b>" for k, v in run.key_numbers.items()) or MISSING
        rows.append(f"<tr><td>{esc(run.run_id)}</td><td>{status}</td><td>{fmt_time(run.started)}</td>"
                    f"<td>{fmt_seconds(run.seconds)}</td><td>{esc(fmt_commit(run.git))}</td><td>{numbers}</td>"
                    f"<td>{' · '.join(links) or MISSING}</td></tr>")
    return "\n".join(rows) + "</table>"


def _html_steps(run: Run, base: Path) -> str:
    if not run.steps:
        return ""
    rows = ["<table><tr><th>#</th><th>Step</th><th>Status</th><th>Time</th><th>Executed notebook</th><th>Error</th></tr>"]
    for i, step in enumerate(run.steps, 1):
        notebook = run.file(step.get("notebook"))
        notebook = run.page(notebook) or notebook
        error = step.get("error") or ""
        where = f"cell {step['cell']}: " if error and step.get("cell") is not None else ""
        rows.append(f"<tr><td>{i}</td><td>{esc(step.get('name', '?'))}</td><td>{badge(str(step.get('status', 'unknown')))}</td>"
                    f"<td>{fmt_seconds(step.get('seconds'))}</td>"
                    f"<td>{a(Path(notebook).stem, base / notebook) if notebook else MISSING}</td>"
                    f'<td><span class="error">{esc(where + str(error)) if error else ""}</span></td></tr>')
    return "<h4>Steps</h4>\n" + "\n".join(rows) + "</table>"


def _html_figures(run: Run, base: Path, lazy: bool) -> str:
    figures = artifacts(run.path / "figures", FIGURE_FORMATS)
    if not figures:
        return ""
    items = []
    for name, files in figures.items():
        img = ""
        if "png" in files:
            src = esc(link(base / files["png"].relative_to(run.path)))
            img = f'<a href="{src}"><img src="{src}" alt="{esc(name)}"' + (' loading="lazy"' if lazy else "") + "></a>"
        others = " · ".join(a(fmt.upper(), base / p.relative_to(run.path)) for fmt, p in files.items() if fmt != "png")
        items.append(f"<figure>{img}<figcaption><b>{esc(name)}</b> {others}</figcaption></figure>")
    return '<h4>Figures</h4>\n<div class="figures">\n' + "\n".join(items) + "\n</div>"


def csv_as_html(path: Path, limit: int = HTML_TABLE_ROWS) -> str:
    """The first ``limit`` rows of a CSV file as an escaped HTML table; empty when it cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            rows = [row for _, row in zip(range(limit + 2), csv.reader(f))]
    except (OSError, csv.Error):
        return ""
    if not rows:
        return ""
    head = "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr>"
    body = ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows[1:limit + 1]]
    more = f'<p class="muted">first {limit} rows shown</p>' if len(rows) > limit + 1 else ""
    return "<table>" + head + "".join(body) + "</table>" + more


def _html_tables(run: Run, base: Path) -> str:
    tables = artifacts(run.path / "tables", TABLE_FORMATS)
    if not tables:
        return ""
    parts = ["<h4>Tables</h4>"]
    for name, files in tables.items():
        links = " · ".join(a(fmt.upper() if fmt != "tex" else "LaTeX", base / p.relative_to(run.path)) for fmt, p in files.items())
        parts.append(f"<p><b>{esc(name)}</b> {links}</p>" + (csv_as_html(files["csv"]) if "csv" in files else ""))
    return "\n".join(parts)


def _html_data(run: Run, base: Path) -> str:
    files = data_files(run)
    if not files:
        return ""
    return "<h4>Data</h4>\n<p>" + " · ".join(a(p.relative_to(run.path).as_posix(), base / p.relative_to(run.path))
                                             for p in files) + "</p>"


def _html_run(run: Run, root: Path, expanded: bool) -> str:
    """One run as a ``<details>`` block: open (images load at once) for the newest, collapsed otherwise."""
    base = run.path.relative_to(root)
    manifest = run.manifest or {}
    summary = (f"{esc(run.run_id)} {badge(run.status)} "
               f'<span class="muted">{fmt_time(run.started)} · {fmt_seconds(run.seconds)} · commit {esc(fmt_commit(run.git))}</span>')
    if (run.path / "index.html").is_file():
        page = a("run report", base / "index.html")
    else:
        page = a("README.md", base / "README.md") if (run.path / "README.md").is_file() else ""
    meta = (f'<p class="muted">Finished {fmt_time(parse_time(manifest.get("finished_at")))} · {page} '
            f'{a("manifest.json", base / "manifest.json")}</p>')
    body = [meta, _html_steps(run, base), _html_figures(run, base, lazy=not expanded), _html_tables(run, base),
            _html_data(run, base)]
    return (f'<details class="run"{" open" if expanded else ""}><summary>{summary}</summary>\n'
            + "\n".join(b for b in body if b) + "\n</details>")


def _html_study(study: str, runs: list[Run], root: Path) -> str:
    readable = [r for r in runs if r.manifest is not None]
    description = next((r.manifest["params"].get("description") for r in readable
                        if isinstance(r.manifest.get("params"), dict) and r.manifest["params"].get("description")), "")
    parts = [f'<section id="{esc(quote(study))}"><h2>{esc(study)}</h2>']
    if description:
        parts.append(f"<p>{esc(description)}</p>")
    parts.append(_html_runs_table(runs, root))
    parts += [_html_run(run, root, expanded=(i == 0)) for i, run in enumerate(readable)]
    return "\n".join(parts) + "\n</section>"


def index_html(studies: dict[str, list[Run]], root: Path) -> str:
    """The self-contained HTML index (inline CSS, no script, relative links only)."""
    nav = " · ".join(f'<a href="#{esc(quote(s))}">{esc(s)}</a>' for s in studies)
    sections = [_html_study(study, runs, root) for study, runs in studies.items()]
    empty = "<p>No runs yet: <code>rpt run STUDY</code> writes them under this folder.</p>" if not studies else ""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,"><title>Study reports</title>'
            f"<style>{CSS}</style></head>\n<body>\n<h1>Study reports</h1>\n"
            f'<p class="muted">Generated {fmt_time(parse_time(utc_now()))} · '
            f"{_counts(studies)} · {a('index.md', 'index.md')}</p>\n"
            f"<nav>{nav}</nav>\n{empty}" + "\n".join(sections) + "\n</body></html>\n")


def build_index(reports_root: str | Path = "reports") -> tuple[Path, Path]:
    """Write ``reports_root/index.md`` and ``index.html`` for every run found; returns both paths."""
    root = Path(reports_root)
    studies = find_runs(root)
    return (write_atomic(root / "index.md", index_markdown(studies, root)),
            write_atomic(root / "index.html", index_html(studies, root)))


__all__ = ["Run", "read_run", "find_runs", "run_readme", "write_run_readme", "index_markdown", "index_html",
           "build_index", "csv_as_html"]
