"""Run READMEs and the reports index, on a synthetic reports tree, checked as files and in a real browser.

The tree holds two studies: ``demo`` with a finished run (steps, figures, tables, data, key numbers
including a NaN and text that needs escaping), an older failed run (an error in one step, the next
step skipped) and a run whose manifest is not JSON; ``paper-math`` with a running run and a folder
without a manifest. The browser tests need the Debian package ``chromium``; without it they fail
(they do not skip), naming the package.
"""

import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pandas as pd
import pytest

from rpt_core.manifest import write_manifest
from browser import check_page, chromium_binary
from rpt_core.report import read_run, run_page, write_run_readme
from rpt_core.report_index import build_index, find_runs, refresh, write_run
from rpt_core.tables import write_table

DONE = "20261126T051752Z-3f2a9c1"
FAILED = "20261125T101010Z-aaaaaaa"
BROKEN = "20261120T000000Z-deadbee"
RUNNING = "20261201T000000Z-1234567"
NO_MANIFEST = "20261130T000000Z-7654321"


# ------------------------------------------------------------------------------ synthetic tree

def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG of one colour."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_notebook(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), str(path))


def write_figure(run: Path, name: str, formats=("png", "svg", "html", "csv"), size=(40, 24)) -> None:
    folder = run / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    contents = {"png": png_bytes(*size, (30, 120, 200)),
                "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
                "html": b"<!doctype html><p>chart</p>", "csv": b"x,y\n1,2\n"}
    for fmt in formats:
        (folder / f"{name}.{fmt}").write_bytes(contents[fmt])


def step(name: str, status: str, seconds=None, error=None, cell=None) -> dict:
    return {"name": name, "notebook": f"notebooks/{name}.ipynb", "status": status, "seconds": seconds,
            "error": error, "cell": cell}


def study_manifest(study: str, run_id: str, status: str, started: str, finished, steps, key_numbers=None, **extra):
    return dict(kind="study", study=study, run_id=run_id, status=status, started_at=started, finished_at=finished,
                steps=steps, key_numbers=key_numbers or {}, seeds={"seed": 0},
                params={"study": study, "description": "Demo study: <tiny> & fast", "steps": []}, **extra)


def make_done_run(root: Path) -> Path:
    run = root / "demo" / DONE
    steps = [step("train-math", "done", 12.34), step("evaluate", "done", 65.0), step("analysis", "done", 3725.0)]
    for s in steps:
        write_notebook(run / s["notebook"])
    write_figure(run, "id_ood")
    write_figure(run, "dynamics", formats=("png", "csv"), size=(64, 32))
    write_figure(run, "heat map", formats=("png", "svg"))          # a space in the name must be URL-encoded
    write_table(pd.DataFrame({"model": ["math_rl", "code_rl"], "Δ ID (pp)": ["+3.10**", "—"]}), run / "tables", "delta")
    (run / "data").mkdir(parents=True, exist_ok=True)
    (run / "data" / "summary.csv").write_text("model,accuracy\nmath_rl,0.5\n")
    write_manifest(run, **study_manifest("demo", DONE, "done", "2026-11-26T05:17:52Z", "2026-11-26T06:20:00Z", steps,
                                         {"ID Δ (pp) math_rl": 3.1, "OOD Δ (pp) <math_rl>": float("nan"),
                                          "items": 1200, "best": "math_rl"},
                                         git={"commit": "0123456789abcdef0123", "dirty": True}))
    return run


def make_failed_run(root: Path) -> Path:
    run = root / "demo" / FAILED
    steps = [step("train-math", "done", 5.0), step("evaluate", "failed", 2.5, "ValueError: boom | bad <input>", 7),
             step("analysis", "skipped")]
    for s in steps[:2]:
        write_notebook(run / s["notebook"])
    write_figure(run, "id_ood", formats=("png",))
    write_manifest(run, **study_manifest("demo", FAILED, "failed", "2026-11-25T10:10:10Z", "2026-11-25T10:10:18Z",
                                         steps, git={"commit": "fedcba9876543210", "dirty": False}))
    return run


@pytest.fixture
def reports(tmp_path) -> Path:
    root = tmp_path / "reports"
    make_done_run(root)
    make_failed_run(root)
    (root / "demo" / BROKEN).mkdir(parents=True)
    (root / "demo" / BROKEN / "manifest.json").write_text("{not json")
    running = root / "paper-math" / RUNNING
    write_notebook(running / "notebooks" / "train-math.ipynb")
    write_manifest(running, **study_manifest("paper-math", RUNNING, "running", "2026-12-01T00:00:00Z", None,
                                             [step("train-math", "done", 30.0), step("evaluate", "pending")]))
    (root / "paper-math" / NO_MANIFEST / "notebooks").mkdir(parents=True)
    return root


# ----------------------------------------------------------------------------------- helpers

def md_links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def assert_links_resolve(targets: list[str], base: Path) -> None:
    assert targets
    for target in targets:
        parts = urlsplit(target)
        assert not parts.scheme and not parts.netloc and not target.startswith("/"), f"not a relative link: {target}"
        if parts.path:
            assert (base / unquote(parts.path)).is_file(), f"broken link {target} (from {base})"


def assert_no_nan(text: str) -> None:
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), "a missing value is shown as nan"


class Links(HTMLParser):
    """Collects href/src attributes and <img> sources of an HTML page."""

    def __init__(self):
        super().__init__()
        self.urls, self.images, self.lazy = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "icon":
            assert attrs["href"] == "data:,"
            return
        self.urls += [attrs[k] for k in ("href", "src") if attrs.get(k)]
        if tag == "img":
            self.images.append(attrs["src"])
            if attrs.get("loading") == "lazy":
                self.lazy.append(attrs["src"])


# ----------------------------------------------------------------------------------- READMEs

def test_readme_of_a_finished_run(reports):
    run = reports / "demo" / DONE
    text = write_run_readme(run).read_text()
    assert text.startswith(f"# demo — run {DONE}\n")
    assert "**Status:** done" in text and "0123456 (dirty)" in text
    assert "2026-11-26 05:17:52 UTC" in text and "1 h 02 min" in text       # 05:17:52 -> 06:20:00
    assert "Demo study: &lt;tiny&gt; &amp; fast" in text
    for name, seconds in (("train-math", "12.3 s"), ("evaluate", "1 min 05 s"), ("analysis", "1 h 02 min")):
        assert re.search(rf"\| {re.escape(name.replace('_', chr(92) + '_'))} \| done \| {seconds} \| "
                         rf"\[{name}\.ipynb\]\(notebooks/{name}\.ipynb\) \|", text), name
    assert "| ID Δ (pp) math\\_rl | 3.1 |" in text and "| items | 1200 |" in text
    assert "| OOD Δ (pp) &lt;math\\_rl&gt; | — |" in text
    assert "![id\\_ood](figures/id_ood.png)" in text and "![heat map](figures/heat%20map.png)" in text
    assert "[SVG](figures/id_ood.svg) · [HTML](figures/id_ood.html) · [CSV](figures/id_ood.csv)" in text
    assert "| math_rl | +3.10** |" in text                               # the table's Markdown, inlined
    assert "[LaTeX](tables/delta.tex)" in text and "[data/summary.csv](data/summary.csv)" in text
    assert_links_resolve(md_links(text), run)
    assert_no_nan(text)


def test_readme_of_a_failed_run_shows_the_error(reports):
    run = reports / "demo" / FAILED
    text = write_run_readme(run).read_text()
    assert "**Status:** failed (step evaluate failed)" in text
    assert "| evaluate | failed | 2.5 s |" in text
    assert "cell 7: ValueError: boom \\| bad &lt;input&gt;" in text
    assert re.search(r"\| analysis \| skipped \| — \| — \|", text)              # no notebook was written
    assert "fedcba9" in text and "dirty" not in text
    assert_links_resolve(md_links(text), run)
    assert_no_nan(text)


def test_unreadable_manifests_are_reported_not_raised(reports):
    assert read_run(reports / "demo" / BROKEN).problem.startswith("manifest.json is not valid JSON")
    assert read_run(reports / "paper-math" / NO_MANIFEST).problem == "manifest.json is missing"
    with pytest.raises(ValueError, match="manifest.json: manifest.json is not valid JSON"):
        write_run_readme(reports / "demo" / BROKEN)


# ----------------------------------------------------------------------------------- index

def test_refresh_writes_every_readme_and_the_index(reports):
    index_md, index_html = refresh(reports)
    assert (index_md, index_html) == (reports / "index.md", reports / "index.html")
    for study, run in (("demo", DONE), ("demo", FAILED), ("paper-math", RUNNING)):
        assert (reports / study / run / "README.md").is_file()
    assert not (reports / "demo" / BROKEN / "README.md").exists()
    assert [[r.path.name for r in runs] for runs in find_runs(reports).values()] == [[DONE, FAILED, BROKEN],
                                                                                    [RUNNING, NO_MANIFEST]]
    text = index_md.read_text()
    assert text.index("## demo") < text.index(DONE) < text.index(FAILED) < text.index(BROKEN) < text.index("## paper-math")
    assert text.index(RUNNING) < text.index(NO_MANIFEST)
    assert f"| {DONE} | done | 2026-11-26 05:17:52 UTC | 1 h 02 min | 0123456 (dirty) |" in text
    assert "ID Δ (pp) math\\_rl: 3.1; OOD Δ (pp) &lt;math\\_rl&gt;: —; items: 1200; best: math\\_rl" in text
    assert f"| {FAILED} | failed |" in text and f"| {RUNNING} | running |" in text
    assert "unreadable: manifest.json is not valid JSON" in text and "unreadable: manifest.json is missing" in text
    assert f"[README](demo/{DONE}/README.md) · [manifest](demo/{DONE}/manifest.json)" in text
    assert_links_resolve(md_links(text), reports)
    assert_no_nan(text)
    assert refresh(reports) == (index_md, index_html)                         # idempotent, no stray temp files
    assert not list(reports.rglob(".*"))


def test_index_html_is_static_escaped_and_links_resolve(reports):
    page = refresh(reports)[1].read_text()
    links = Links()
    links.feed(page)
    assert_links_resolve([u for u in links.urls if not u.startswith("#")], reports)
    assert "<script" not in page and "http://" not in page and "https://" not in page and "@import" not in page
    assert links.images == []                                                  # the index lists runs, no copy of one
    for study, run in (("demo", DONE), ("demo", FAILED), ("paper-math", RUNNING)):
        assert f"{study}/{run}/index.html" in links.urls                       # every readable run links its page
    assert "Demo study: &lt;tiny&gt; &amp; fast" in page and "<tiny>" not in page
    assert "OOD Δ (pp) &lt;math_rl&gt;: <b>—</b>" in page
    assert "<details" not in page and "Generated" not in page
    assert page.count(">unreadable</span>") == 2
    assert_no_nan(page)


def test_run_pages_show_every_figure_escaped_and_links_resolve(reports):
    refresh(reports)
    shown = []
    for study, run in (("demo", DONE), ("demo", FAILED), ("paper-math", RUNNING)):
        folder = reports / study / run
        page = (folder / "index.html").read_text()
        links = Links()
        links.feed(page)
        assert_links_resolve([u for u in links.urls if not u.startswith("#")], folder)
        assert "<script" not in page and "http://" not in page and "https://" not in page
        assert links.lazy == links.images
        shown += [f"{study}/{run}/{unquote(src)}" for src in links.images]
        assert_no_nan(page)
    pngs = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.png"))
    assert sorted(shown) == pngs                                               # every figure of every run is shown
    failed = (reports / "demo" / FAILED / "index.html").read_text()
    assert "cell 7: ValueError: boom | bad &lt;input&gt;" in failed
    assert "Demo study: &lt;tiny&gt; &amp; fast" in failed and "<tiny>" not in failed


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writing_a_run_touches_no_other_run(reports):
    refresh(reports)
    others = {run: snapshot(reports / "demo" / run) for run in (FAILED, BROKEN)}
    others[RUNNING] = snapshot(reports / "paper-math" / RUNNING)
    (reports / "demo" / DONE / "data" / "extra.csv").write_text("a\n1\n")   # the run changed: its page must
    write_run(reports / "demo" / DONE)                                          # change, the others must not
    assert "data/extra.csv" in (reports / "demo" / DONE / "index.html").read_text()
    assert "data/extra.csv" in (reports / "demo" / DONE / "README.md").read_text()
    assert {run: snapshot(reports / ("paper-math" if run == RUNNING else "demo") / run) for run in others} == others
    before = snapshot(reports / "demo" / FAILED)
    refresh(reports)                                                            # rpt report: only what is missing
    assert snapshot(reports / "demo" / FAILED) == before


def test_rendering_twice_gives_identical_bytes(reports):
    def contents():
        return {k: v[0] for k, v in snapshot(reports).items()}

    refresh(reports, rewrite=True)
    first = contents()
    refresh(reports, rewrite=True)
    assert contents() == first
    assert any(k.endswith("notebooks/evaluate.html") for k in first)          # notebook pages rendered again too
    write_run(reports / "demo" / DONE)
    assert contents() == first


def test_reproduce_box_and_pages_name_no_path_of_the_machine(reports, tmp_path):
    from rpt_core.manifest import REPO_ROOT, read_manifest

    run = reports / "demo" / DONE
    manifest = read_manifest(run)                                # an old-style manifest: absolute paths in it
    manifest.update(command=f"rpt run {REPO_ROOT}/params/demo.yaml --work-dir {tmp_path}/work",
                    study_file=f"{REPO_ROOT}/params/demo.yaml")
    (run / "manifest.json").write_text(__import__("json").dumps(manifest))
    page, readme = run_page(read_run(run)), write_run_readme(run).read_text()
    assert "rpt run params/demo.yaml --work-dir &lt;outside-repo&gt;/work" in page
    assert "rpt run params/demo.yaml --work-dir <outside-repo>/work" in readme
    for text in (page, readme):
        assert str(tmp_path) not in text and str(REPO_ROOT) not in text


def test_reference_run_pages_link_only_to_files_git_tracks():
    """On a fresh clone: every relative link of a committed reference run's page (rendered now) leads
    to a file in git; the index, which is not committed, is not linked."""
    import json
    import subprocess

    from rpt_core.manifest import REPO_ROOT

    tracked = set(subprocess.run(["git", "ls-files", "reports"], cwd=REPO_ROOT, capture_output=True, text=True,
                                 check=True).stdout.splitlines())
    references = json.loads((REPO_ROOT / "reports" / "references.json").read_text())
    for folder in references.values():
        run = REPO_ROOT / "reports" / folder
        links = Links()
        links.feed(run_page(read_run(run)))
        targets = [unquote(urlsplit(u).path) for u in links.urls if not u.startswith("#")]
        assert targets and "../../README.md" in targets
        for target in targets:
            resolved = (run / target).resolve().relative_to(REPO_ROOT).as_posix()
            assert resolved in tracked, f"{folder}: {target} is not in git"


def test_empty_reports_root(tmp_path):
    index_md, index_html = build_index(tmp_path / "reports")
    assert "No runs yet" in index_md.read_text() and "No runs yet" in index_html.read_text()


# ----------------------------------------------------------------------------------- browser

def require_chromium() -> str:
    try:
        return chromium_binary()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def test_index_and_run_pages_render_in_headless_chromium(reports):
    require_chromium()
    index_html = refresh(reports)[1]
    seen = check_page(index_html)
    assert seen.errors == [] and seen.images == [] and seen.external_requests == []
    images, requests = [], []
    for study, run in (("demo", DONE), ("demo", FAILED), ("paper-math", RUNNING)):
        page = (reports / study / run / "index.html").resolve()
        assert page.as_uri() in seen.links
        shown = check_page(page)
        assert shown.errors == [] and shown.broken_images == [] and shown.external_requests == []
        images += shown.images
        requests += shown.requests
    pngs = list(reports.rglob("*.png"))
    assert len(images) == len(pngs) == 4
    assert all(img["naturalWidth"] > 0 for img in images)
    assert any(u.endswith("/dynamics.png") for u in requests)


def test_browser_check_catches_broken_pages(tmp_path):
    """The check is not vacuous: a missing and a corrupt image, a console error, an uncaught exception
    and an external request are all reported."""
    require_chromium()
    (tmp_path / "ok.png").write_bytes(png_bytes(4, 4, (0, 0, 0)))
    (tmp_path / "corrupt.png").write_bytes(b"not a png")
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><link rel="icon" href="data:,"><img src="ok.png"><img src="missing.png">'
                    '<img src="corrupt.png"><img src="http://127.0.0.1:9/x.png" loading="lazy">'
                    '<script>console.error("boom"); undefined_function();</script>')
    seen = check_page(page)
    assert sorted(seen.broken_images) == ["corrupt.png", "http://127.0.0.1:9/x.png", "missing.png"]
    assert any("console.error: boom" in e for e in seen.errors)
    assert any("undefined_function" in e for e in seen.errors)
    assert any("missing.png" in e for e in seen.errors)
    assert seen.external_requests == ["http://127.0.0.1:9/x.png"]


def test_chromium_binary_names_the_package_when_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="Debian package `chromium`"):
        chromium_binary()
