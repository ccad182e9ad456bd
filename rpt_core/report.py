"""Rendering a run: one model of a run folder, shown through two templates, Markdown and HTML.

A study run (:mod:`rpt_core.study`) leaves ``reports/<study>/<run-id>/`` with ``manifest.json``,
``notebooks/`` (the executed copies), ``figures/<name>.{png,svg,html,csv}``,
``tables/<name>.{csv,md,tex}`` and ``data/``. :func:`view` reads such a folder into a
:class:`RunView`; :func:`run_readme` renders it as the run's ``README.md`` and :func:`run_page` as
its page ``index.html``, beside which each executed notebook is rendered (:func:`notebook_page`).
Writing them (:func:`write_run_readme`, :func:`write_run_page`) touches only that run's folder; the
listing of every run is :mod:`rpt_core.report_index`.

Rendering is a function of the run folder (no clock is read): the same run renders to the same
bytes. Every link is relative and leads into the run folder, or to the reports folder's committed
``README.md`` when there is one (never to the index, which is not committed). Every text from a
manifest or a file name is escaped; missing values show as ``—``, never ``nan``; pages have inline
CSS (:mod:`rpt_core.report_style`), no script and no network resource. Writes are atomic.
"""

from __future__ import annotations

import csv
import functools
import html
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from .atomic import write_atomic
from .layout import KEY_NUMBERS
from .manifest import portable
from .report_style import (CSS, MISSING, STATUS_COLORS, fmt_commit, fmt_seconds, fmt_time, fmt_value,
                           parse_time)

FIGURE_FORMATS = ("png", "svg", "html", "csv")     # what figures.save writes; png is the one shown
TABLE_FORMATS = ("md", "csv", "tex")               # what tables.write_table writes; md is inlined
HTML_TABLE_ROWS = 60                               # rows of a table CSV shown inline on a run page
UP = "README.md"                                   # the reports folder's committed guide, linked from pages


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
                numbers = json.loads((self.path / KEY_NUMBERS).read_text())
            except (OSError, ValueError):
                numbers = {}
        return numbers if isinstance(numbers, dict) else {}

    @property
    def git(self) -> dict:
        git = (self.manifest or {}).get("git")
        return git if isinstance(git, dict) else {}

    def page(self, notebook: str | None) -> str | None:
        """The rendered HTML page (:func:`notebook_page`) of an executed notebook of this run, if written."""
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


def link(path: str | Path) -> str:
    """A relative URL for a path (POSIX separators, unsafe characters percent-encoded)."""
    return quote(Path(path).as_posix())


def md_text(text: Any) -> str:
    """Text safe inside a Markdown table cell or line: no ``|``, newlines, or raw HTML."""
    text = html.escape(str(text), quote=False)
    return re.sub(r"\s*\n\s*", " ", text).replace("|", "\\|").replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")


def md_link(label: str, target: str | Path) -> str:
    return f"[{md_text(label)}]({link(target)})"



def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def a(label: Any, target: str | Path) -> str:
    return f'<a href="{esc(link(target))}">{esc(label)}</a>'


def badge(status: str) -> str:
    return f'<span class="status" style="background:{STATUS_COLORS.get(status, "#6e7781")}">{esc(status)}</span>'


def format_label(fmt: str) -> str:
    return "LaTeX" if fmt == "tex" else fmt.upper()


# ---------------------------------------------------------------------------------------- the model

@dataclass
class StepView:
    number: int
    name: str
    status: str
    time: str
    notebook: str | None                 # the executed notebook, relative to the run folder
    page: str | None                     # its rendered HTML page, if written
    error: str                           # "cell <i>: <error>" or ""
    reused_from: str | None


@dataclass
class RunView:
    """What both templates show of one readable run; every path is relative to the run folder
    (``up``: the reports folder's ``README.md`` relative to it, ``None`` when there is none)."""

    study: str
    run_id: str
    description: str
    status: str
    failed_step: str | None
    started: str
    finished: str
    duration: str
    commit: str
    seeds: list[tuple[str, str]]
    accelerators: str | None             # None: the manifest records no hardware
    steps: list[StepView]
    key_numbers: list[tuple[str, str]]
    figures: list[tuple[str, dict[str, str]]]
    tables: list[tuple[str, dict[str, str], str]]     # name, files, the Markdown table ("" without one)
    data: list[str]
    reproduce: list[str]
    facts: list[tuple[str, str]]
    packages: dict[str, str] = field(default_factory=dict)
    params_yaml: str = ""
    up: str | None = None


def reproduce_commands(run: Run) -> list[str]:
    """The commands that re-run this run: the commit, set-up, and the recorded ``rpt run`` command
    (paths inside the repository relative to its root; others as placeholders, :func:`portable`)."""
    manifest = run.manifest or {}
    commit = run.git.get("commit")
    command = manifest.get("command") or f"rpt run {shlex.quote(str(manifest.get('study_file') or f'params/{run.study}.yaml'))}"
    lines = [f"git checkout {commit}" if commit else "# commit unknown: this run's manifest records none"]
    if run.git.get("dirty"):
        lines.append("# the working tree had uncommitted changes when this ran")
    return lines + ["make install", portable(str(command))]


def view(run: Run) -> RunView:
    """The model of a readable run (``run.manifest`` is not ``None``)."""
    manifest = run.manifest or {}
    params = manifest.get("params") if isinstance(manifest.get("params"), dict) else {}
    hardware = manifest.get("hardware") if isinstance(manifest.get("hardware"), dict) else {}
    gpus = hardware.get("gpus") if isinstance(hardware.get("gpus"), list) else None
    names = [str(g.get("name", "?")) for g in gpus or [] if isinstance(g, dict)]
    accelerators = (", ".join(names) or "none (CPU)") if gpus is not None else None
    seeds = manifest.get("seeds") if isinstance(manifest.get("seeds"), dict) else {}
    steps = []
    for i, step in enumerate(run.steps, 1):
        notebook = run.file(step.get("notebook"))
        error = step.get("error") or ""
        if error and step.get("cell") is not None:
            error = f"cell {step['cell']}: {error}"
        steps.append(StepView(i, str(step.get("name", "?")), str(step.get("status", "unknown")),
                              fmt_seconds(step.get("seconds")), notebook, run.page(notebook), str(error),
                              step.get("reused_from")))

    def relative(files: dict[str, Path]) -> dict[str, str]:
        return {fmt: p.relative_to(run.path).as_posix() for fmt, p in files.items()}

    tables = [(name, relative(files), files["md"].read_text(encoding="utf-8", errors="replace").strip()
               if "md" in files else "") for name, files in artifacts(run.path / "tables", TABLE_FORMATS).items()]
    packages = manifest.get("packages") if isinstance(manifest.get("packages"), dict) else {}
    facts = [("Python", hardware.get("python")), ("Platform", hardware.get("platform")), ("CPUs", hardware.get("cpus")),
             ("Accelerators", accelerators or "none (CPU)"), ("Code sandbox", manifest.get("sandbox")),
             ("Git commit", fmt_commit(run.git)), ("Seeds", ", ".join(f"{k} = {v}" for k, v in seeds.items())),
             ("Parallel steps", manifest.get("workers"))]
    failed = [s for s in steps if s.status == "failed"]
    up = Path("../..") / UP if (run.path.parent.parent / UP).is_file() else None
    return RunView(
        study=run.study, run_id=run.run_id, description=str(params.get("description") or ""), status=run.status,
        failed_step=failed[0].name if failed else None, started=fmt_time(run.started),
        finished=fmt_time(parse_time(manifest.get("finished_at"))), duration=fmt_seconds(run.seconds),
        commit=fmt_commit(run.git), seeds=[(str(k), fmt_value(v)) for k, v in seeds.items()],
        accelerators=accelerators, steps=steps, key_numbers=[(str(k), fmt_value(v)) for k, v in run.key_numbers.items()],
        figures=[(name, relative(files)) for name, files in artifacts(run.path / "figures", FIGURE_FORMATS).items()],
        tables=tables, data=[p.relative_to(run.path).as_posix() for p in data_files(run)],
        reproduce=reproduce_commands(run),
        facts=[(k, fmt_value(v) if v not in (None, "") else MISSING) for k, v in facts],
        packages={str(k): str(v) for k, v in packages.items()},
        params_yaml=portable(yaml.safe_dump(manifest.get("params") or {}, sort_keys=False, width=110, allow_unicode=True)),
        up=up.as_posix() if up else None)


# ------------------------------------------------------------------------------ Markdown template

def run_readme(run: Run) -> str:
    """The Markdown of ``README.md`` for one readable run (all links relative to the run folder)."""
    v = view(run)
    header = [f"# {md_text(v.study)} — run {md_text(v.run_id)}", ""]
    if v.description:
        header += [md_text(v.description), ""]
    header += [f"- **Status:** {md_text(v.status)}" + (f" (step {md_text(v.failed_step)} failed)" if v.failed_step else ""),
               f"- **Started:** {v.started}", f"- **Finished:** {v.finished}", f"- **Duration:** {v.duration}",
               f"- **Git commit:** {md_text(v.commit)}"]
    if v.seeds:
        header.append("- **Seeds:** " + ", ".join(f"{md_text(k)} = {md_text(s)}" for k, s in v.seeds))
    if v.accelerators is not None:
        header.append(f"- **Accelerators:** {md_text(v.accelerators)}")
    header.append(f"- **Manifest:** {md_link('manifest.json', 'manifest.json')} (resolved parameters, package versions, hardware)")
    sections = ["\n".join(header)]
    if v.steps:
        rows = ["## Steps", "", "| # | Step | Status | Time | Executed notebook | Error |", "|---|---|---|---|---|---|"]
        rows += [f"| {s.number} | {md_text(s.name)} | {md_text(s.status)} | {s.time} "
                 f"| {md_link(Path(s.notebook).name, s.notebook) if s.notebook else MISSING} "
                 f"| {md_text(s.error) if s.error else ''} |" for s in v.steps]
        sections.append("\n".join(rows))
    if v.key_numbers:
        sections.append("\n".join(["## Key numbers", "", "| Quantity | Value |", "|---|---|"]
                                  + [f"| {md_text(k)} | {md_text(n)} |" for k, n in v.key_numbers]))
    if v.figures:
        parts = ["## Figures"]
        for name, files in v.figures:
            parts.append(f"### {md_text(name)}")
            if "png" in files:
                parts.append(f"![{md_text(name)}]({link(files['png'])})")
            parts.append(" · ".join(md_link(format_label(fmt), p) for fmt, p in files.items() if fmt != "png"))
        sections.append("\n\n".join(p for p in parts if p))
    if v.tables:
        parts = ["## Tables"]
        for name, files, markdown in v.tables:
            parts += [f"### {md_text(name)}", markdown, " · ".join(md_link(format_label(fmt), p) for fmt, p in files.items())]
        sections.append("\n\n".join(p for p in parts if p))
    if v.data:
        sections.append("## Data\n\n" + "\n".join(f"- {md_link(p, p)}" for p in v.data))
    sections.append("## How to reproduce\n\n```\n" + "\n".join(v.reproduce) + "\n```")
    return "\n\n".join(sections).rstrip() + "\n"


# ---------------------------------------------------------------------------------- HTML template

def page(title: str, body: str) -> str:
    """A complete HTML page: inline CSS, no script, no remote resource."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{CSS}</style></head>\n'
            f"<body>\n{body}\n</body></html>\n")


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


def _html_steps(v: RunView) -> str:
    rows = ["<table><tr><th>#</th><th>Step</th><th>Status</th><th>Time</th><th>Executed notebook</th><th>Error</th></tr>"]
    for s in v.steps:
        links = (" · ".join(([a(Path(s.page).stem, s.page)] if s.page else []) + [a(".ipynb", s.notebook)])
                 if s.notebook else MISSING)
        status = badge(s.status) + (f' <span class="muted">reused from {esc(s.reused_from)}</span>' if s.reused_from else "")
        rows.append(f"<tr><td>{s.number}</td><td>{esc(s.name)}</td><td>{status}</td><td>{s.time}</td><td>{links}</td>"
                    f'<td><span class="error">{esc(s.error)}</span></td></tr>')
    return "<h2>Steps</h2>\n" + "\n".join(rows) + "</table>"


def _html_figures(v: RunView) -> str:
    items = []
    for name, files in v.figures:
        target = files.get("html") or files.get("png")
        img = (f'<a href="{esc(link(target))}"><img src="{esc(link(files["png"]))}" alt="{esc(name)}" loading="lazy"></a>'
               if "png" in files else "")
        links = " · ".join(a("interactive" if fmt == "html" else fmt.upper(), p) for fmt, p in files.items() if fmt != "png")
        items.append(f"<figure>{img}<figcaption><b>{esc(name)}</b> {links}</figcaption></figure>")
    return ('<h2>Figures</h2>\n<p class="muted">Click a figure for its interactive version.</p>\n'
            '<div class="figures">\n' + "\n".join(items) + "\n</div>")


def _html_tables(v: RunView, run: Run) -> str:
    parts = ["<h2>Tables</h2>"]
    for name, files, _ in v.tables:
        links = " · ".join(a(format_label(fmt), p) for fmt, p in files.items())
        parts.append(f'<h3 id="table-{esc(name)}">{esc(name)}</h3><p>{links}</p>'
                     + (csv_as_html(run.path / files["csv"]) if "csv" in files else ""))
    return "\n".join(parts)


def _html_manifest(v: RunView) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(value)}</td></tr>" for k, value in v.facts)
    packages = "".join(f"<tr><td>{esc(k)}</td><td>{esc(version)}</td></tr>" for k, version in v.packages.items())
    return ("<h2>Manifest</h2>\n" + f"<table>{rows}</table>\n"
            + (f"<details><summary>Packages ({len(v.packages)})</summary><table><tr><th>package</th><th>version</th></tr>"
               f"{packages}</table></details>\n" if v.packages else "")
            + f"<details><summary>Resolved study parameters</summary><pre>{esc(v.params_yaml)}</pre></details>\n"
            + f'<p>{a("manifest.json", "manifest.json")} (everything above, as recorded)</p>')


def run_page(run: Run) -> str:
    """The HTML of ``<run>/index.html`` (all links relative to the run folder)."""
    v = view(run)
    crumbs = ([a("← all reports", v.up)] if v.up else []) + [a("README.md", "README.md")]
    body = [f'<nav class="crumbs">{" · ".join(crumbs)}</nav><h1>{esc(v.study)} — run {esc(v.run_id)}</h1>'
            + (f"<p>{esc(v.description)}</p>" if v.description else "")
            + f'<p>{badge(v.status)} <span class="muted">started {v.started} · finished {v.finished} · {v.duration} · '
            f"commit {esc(v.commit)}</span></p>",
            '<section class="reproduce"><h3>How to reproduce</h3>'
            f"<pre>{esc(chr(10).join(v.reproduce))}</pre>"
            '<p class="muted">Caches under the study\'s <code>work_dir</code> make a re-run cheap; '
            "<code>rpt compare</code> lists what differs between two runs.</p></section>"]
    if v.key_numbers:
        body.append("<h2>Key numbers</h2>\n<table><tr><th>Quantity</th><th>Value</th></tr>"
                    + "".join(f"<tr><td>{esc(k)}</td><td><b>{esc(n)}</b></td></tr>" for k, n in v.key_numbers) + "</table>")
    body += [_html_steps(v) if v.steps else "", _html_figures(v) if v.figures else "",
             _html_tables(v, run) if v.tables else "", _html_manifest(v)]
    if v.data:
        body.append("<h2>Data</h2>\n<p>" + " · ".join(a(p, p) for p in v.data) + "</p>")
    return page(f"{v.study} — {v.run_id}", "\n".join(b for b in body if b))


@functools.lru_cache(maxsize=1)
def _exporter():
    """One nbconvert exporter for every page (building one loads its templates: ~0.1 s)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic")


def notebook_page(notebook: Path, run: Run, rewrite: bool = False) -> Path:
    """Render one executed notebook to ``<same name>.html`` beside it (outputs included); skipped when
    the page is newer than the notebook, unless ``rewrite``. Returns the page's path."""
    out = notebook.with_suffix(".html")
    if not rewrite and out.exists() and out.stat().st_mtime_ns >= notebook.stat().st_mtime_ns:
        return out
    body, _ = _exporter().from_filename(str(notebook))
    up = [a("all reports", Path("../../..") / UP)] if (run.path.parent.parent / UP).is_file() else []
    crumbs = " · ".join([f'<a href="../index.html">&larr; run {esc(run.run_id)}</a>', *up, a(notebook.name, notebook.name)])
    return write_atomic(out, page(f"{notebook.stem} — {run.study} {run.run_id}",
                                  f'<nav class="crumbs">{crumbs}</nav>\n<h1>{esc(notebook.stem)}</h1>\n{body}'))


# ------------------------------------------------------------------------------------------ writing

def _readable(run_dir: str | Path, what: str) -> Run:
    run = read_run(run_dir)
    if run.manifest is None:
        raise ValueError(f"{Path(run_dir) / 'manifest.json'}: {run.problem}; cannot write {what}")
    return run


def write_run_readme(run_dir: str | Path) -> Path:
    """Write ``run_dir/README.md``; raises ``ValueError`` (naming the file) if the manifest is unreadable."""
    run = _readable(run_dir, "README.md")
    return write_atomic(run.path / "README.md", run_readme(run))


def write_run_page(run_dir: str | Path, rewrite: bool = False) -> Path:
    """Render the run's notebooks (again with ``rewrite``) and write its ``index.html``; returns the
    page's path. Raises ``ValueError`` (naming the file) if the manifest is unreadable."""
    run = _readable(run_dir, "index.html")
    for step in run.steps:
        notebook = run.file(step.get("notebook"))
        if notebook:
            notebook_page(run.path / notebook, run, rewrite)
    return write_atomic(run.path / "index.html", run_page(read_run(run_dir)))


__all__ = ["Run", "RunView", "read_run", "view", "run_readme", "run_page", "reproduce_commands", "write_run_readme",
           "write_run_page", "csv_as_html", "notebook_page", "artifacts", "data_files",
           "a", "badge", "esc", "md_link", "md_text", "page"]
