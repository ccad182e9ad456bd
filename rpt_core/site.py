"""A static site per study run, read in a browser from ``file://`` with no server and no network.

For every run folder ``reports/<study>/<run-id>/`` (:mod:`rpt_core.report` reads them):

* ``index.html``: the run page. Status, timing and commit; a *how to reproduce* box with the exact
  commands; the key numbers; one row per step linking its executed notebook; every figure (the PNG,
  linked to its interactive Altair page ``figures/<name>.html``, which loads the Vega bundle that
  :func:`rpt_core.figures.save` writes beside it); every table; the manifest in readable form
  (environment, packages, hardware, seeds, resolved parameters); the data files.
* ``notebooks/<step>.html``: each executed notebook rendered by nbconvert with its outputs (the
  ``basic`` template: no script, no remote stylesheet; images are inlined in the notebook already),
  wrapped in a page with a link back to the run. A page newer than its notebook is not rendered again.

:func:`refresh` writes every run's ``README.md`` and site, then ``reports/index.{md,html}``, whose
links lead to these pages. Every link is relative and every text escaped.
"""

from __future__ import annotations

import functools
import shlex
from pathlib import Path

import yaml

from .atomic import write_atomic
from .report import (CSS, FIGURE_FORMATS, MISSING, TABLE_FORMATS, Run, a, artifacts, badge, build_index, csv_as_html,
                     data_files, esc, find_runs, fmt_commit, fmt_seconds, fmt_time, fmt_value, parse_time, read_run,
                     run_readme)

SITE_CSS = CSS + """
nav.crumbs { margin: .6rem 0 0; font-size: 14px; }
.reproduce { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .2rem 1rem .6rem; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; font-size: 13px; }
.reproduce pre { background: #fff; border: 1px solid #eaeef2; }
/* nbconvert's basic template: cells, prompts, outputs */
.jp-Cell { margin: .8rem 0; } .jp-InputPrompt, .jp-OutputPrompt { display: none; }
.jp-InputArea-editor, .highlight { background: #f6f8fa; border-radius: 4px; }
.jp-OutputArea-output pre { background: none; padding: .2rem 0; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"] { background: #fff8f0; }
"""


def page(title: str, body: str) -> str:
    """A complete HTML page: inline CSS, no script, no remote resource."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{SITE_CSS}</style></head>\n'
            f"<body>\n{body}\n</body></html>\n")


# -------------------------------------------------------------------------------------- notebooks

@functools.lru_cache(maxsize=1)
def _exporter():
    """One nbconvert exporter for every page (building one loads its templates: ~0.1 s)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic")


def notebook_page(notebook: Path, run: Run | None = None) -> Path:
    """Render one executed notebook to ``<same name>.html`` beside it (outputs included); skipped when
    the page is newer than the notebook. Returns the page's path."""
    out = notebook.with_suffix(".html")
    if out.exists() and out.stat().st_mtime_ns >= notebook.stat().st_mtime_ns:
        return out
    body, _ = _exporter().from_filename(str(notebook))
    back = (f'<nav class="crumbs"><a href="../index.html">&larr; run {esc(run.run_id)}</a> · '
            f'<a href="../../../index.html">all runs</a> · <a href="{esc(notebook.name)}">{esc(notebook.name)}</a></nav>'
            if run else "")
    title = f"{notebook.stem} — {run.study} {run.run_id}" if run else notebook.stem
    return write_atomic(out, page(title, f"{back}\n<h1>{esc(notebook.stem)}</h1>\n{body}"))


# -------------------------------------------------------------------------------------- run page

def reproduce_commands(run: Run) -> list[str]:
    """The commands that re-run this run: the commit, set-up, and the recorded ``rpt run`` command."""
    manifest = run.manifest or {}
    commit = run.git.get("commit")
    command = manifest.get("command") or f"rpt run {shlex.quote(str(manifest.get('study_file') or f'params/{run.study}.yaml'))}"
    lines = [f"git checkout {commit}" if commit else "# commit unknown: this run's manifest records none"]
    if run.git.get("dirty"):
        lines.append("# the working tree had uncommitted changes when this ran")
    return lines + ["make install", command]


def _reproduce(run: Run) -> str:
    commands = "\n".join(reproduce_commands(run))
    return ('<section class="reproduce"><h3>How to reproduce</h3>'
            f"<pre>{esc(commands)}</pre>"
            '<p class="muted">Caches under the study\'s <code>work_dir</code> make a re-run cheap; '
            "<code>rpt compare</code> lists what differs between two runs.</p></section>")


def _key_numbers(run: Run) -> str:
    if not run.key_numbers:
        return ""
    rows = "".join(f"<tr><td>{esc(k)}</td><td><b>{esc(fmt_value(v))}</b></td></tr>" for k, v in run.key_numbers.items())
    return f"<h2>Key numbers</h2>\n<table><tr><th>Quantity</th><th>Value</th></tr>{rows}</table>"


def _steps(run: Run) -> str:
    if not run.steps:
        return ""
    rows = ["<table><tr><th>#</th><th>Step</th><th>Status</th><th>Time</th><th>Executed notebook</th><th>Error</th></tr>"]
    for i, step in enumerate(run.steps, 1):
        notebook = run.file(step.get("notebook"))
        rendered = run.page(notebook)
        links = (" · ".join(([a(Path(rendered).stem, rendered)] if rendered else []) + [a(".ipynb", notebook)])
                 if notebook else MISSING)
        status = badge(str(step.get("status", "unknown")))
        if step.get("reused_from"):
            status += f' <span class="muted">reused from {esc(step["reused_from"])}</span>'
        error = step.get("error") or ""
        where = f"cell {step['cell']}: " if error and step.get("cell") is not None else ""
        rows.append(f"<tr><td>{i}</td><td>{esc(step.get('name', '?'))}</td><td>{status}</td>"
                    f"<td>{fmt_seconds(step.get('seconds'))}</td><td>{links}</td>"
                    f'<td><span class="error">{esc(where + str(error)) if error else ""}</span></td></tr>')
    return "<h2>Steps</h2>\n" + "\n".join(rows) + "</table>"


def _figures(run: Run) -> str:
    figures = artifacts(run.path / "figures", FIGURE_FORMATS)
    if not figures:
        return ""
    items = []
    for name, files in figures.items():
        rel = {fmt: p.relative_to(run.path) for fmt, p in files.items()}
        target = rel.get("html") or rel.get("png")
        img = f'<a href="{esc(target.as_posix())}"><img src="{esc(rel["png"].as_posix())}" alt="{esc(name)}" loading="lazy"></a>' \
            if "png" in rel else ""
        links = " · ".join(a("interactive" if fmt == "html" else fmt.upper(), p) for fmt, p in rel.items() if fmt != "png")
        items.append(f"<figure>{img}<figcaption><b>{esc(name)}</b> {links}</figcaption></figure>")
    return '<h2>Figures</h2>\n<p class="muted">Click a figure for its interactive version.</p>\n' \
           '<div class="figures">\n' + "\n".join(items) + "\n</div>"


def _tables(run: Run) -> str:
    tables = artifacts(run.path / "tables", TABLE_FORMATS)
    if not tables:
        return ""
    parts = ["<h2>Tables</h2>"]
    for name, files in tables.items():
        links = " · ".join(a(fmt.upper() if fmt != "tex" else "LaTeX", p.relative_to(run.path)) for fmt, p in files.items())
        parts.append(f'<h3 id="table-{esc(name)}">{esc(name)}</h3><p>{links}</p>'
                     + (csv_as_html(files["csv"]) if "csv" in files else ""))
    return "\n".join(parts)


def _manifest(run: Run) -> str:
    manifest = run.manifest or {}
    hardware = manifest.get("hardware") if isinstance(manifest.get("hardware"), dict) else {}
    gpus = [g.get("name", "?") for g in hardware.get("gpus") or [] if isinstance(g, dict)]
    facts = [("Python", hardware.get("python")), ("Platform", hardware.get("platform")), ("CPUs", hardware.get("cpus")),
             ("Accelerators", ", ".join(gpus) if gpus else "none (CPU)"), ("Code sandbox", manifest.get("sandbox")),
             ("Git commit", fmt_commit(run.git)), ("Seeds", ", ".join(f"{k} = {v}" for k, v in (manifest.get("seeds") or {}).items())),
             ("Parallel steps", manifest.get("workers"))]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(fmt_value(v) if v not in (None, '') else MISSING)}</td></tr>"
                   for k, v in facts)
    packages = manifest.get("packages") if isinstance(manifest.get("packages"), dict) else {}
    package_rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in packages.items())
    params = yaml.safe_dump(manifest.get("params") or {}, sort_keys=False, width=110, allow_unicode=True)
    return ("<h2>Manifest</h2>\n" + f"<table>{rows}</table>\n"
            + (f"<details><summary>Packages ({len(packages)})</summary><table><tr><th>package</th><th>version</th></tr>"
               f"{package_rows}</table></details>\n" if packages else "")
            + f"<details><summary>Resolved study parameters</summary><pre>{esc(params)}</pre></details>\n"
            + f'<p>{a("manifest.json", "manifest.json")} (everything above, as recorded)</p>')


def _data(run: Run) -> str:
    files = data_files(run)
    if not files:
        return ""
    return "<h2>Data</h2>\n<p>" + " · ".join(a(p.relative_to(run.path).as_posix(), p.relative_to(run.path)) for p in files) + "</p>"


def run_page(run: Run) -> str:
    """The HTML of ``<run>/index.html`` (all links relative to the run folder)."""
    manifest = run.manifest or {}
    params = manifest.get("params") if isinstance(manifest.get("params"), dict) else {}
    header = (f'<nav class="crumbs"><a href="../../index.html">&larr; all runs</a> · {a("README.md", "README.md")}</nav>'
              f"<h1>{esc(run.study)} — run {esc(run.run_id)}</h1>"
              + (f"<p>{esc(params['description'])}</p>" if params.get("description") else "")
              + f'<p>{badge(run.status)} <span class="muted">started {fmt_time(run.started)} · finished '
              f'{fmt_time(parse_time(manifest.get("finished_at")))} · {fmt_seconds(run.seconds)} · commit '
              f"{esc(fmt_commit(run.git))}</span></p>")
    body = [header, _reproduce(run), _key_numbers(run), _steps(run), _figures(run), _tables(run), _manifest(run), _data(run)]
    return page(f"{run.study} — {run.run_id}", "\n".join(b for b in body if b))


def write_site(run_dir: str | Path) -> Path:
    """Render the run's notebooks and write its ``index.html``; returns the page's path. Raises
    ``ValueError`` (naming the file) if the manifest is unreadable."""
    run = read_run(run_dir)
    if run.manifest is None:
        raise ValueError(f"{Path(run_dir) / 'manifest.json'}: {run.problem}; cannot write index.html")
    for step in run.steps:
        notebook = run.file(step.get("notebook"))
        if notebook:
            notebook_page(run.path / notebook, run)
    return write_atomic(run.path / "index.html", run_page(run))


def refresh(reports_root: str | Path = "reports") -> tuple[Path, Path]:
    """Rewrite every readable run's ``README.md`` and site, then ``reports/index.{md,html}``; unreadable
    runs are only listed. What ``rpt report`` and every ``rpt run`` call."""
    for runs in find_runs(reports_root).values():
        for run in runs:
            if run.manifest is not None:
                write_atomic(run.path / "README.md", run_readme(run))
                write_site(run.path)
    return build_index(reports_root)


__all__ = ["page", "notebook_page", "reproduce_commands", "run_page", "write_site", "refresh"]
