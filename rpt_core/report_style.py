"""How reports look: the style sheet of every page (inlined by :mod:`rpt_core.report`, so a page needs
no file beside it and no network), status colours, and the display format of times, durations,
values and commits (``—`` for anything missing)."""

import math
from datetime import datetime, timezone
from typing import Any

MISSING = "—"

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1rem 1.5rem 3rem; color: #1f2328; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2.2rem; }
a { color: #0969da; } .muted { color: #57606a; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.status { display: inline-block; padding: 0 .5rem; border-radius: 1rem; color: #fff; font-size: 13px; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; border: 1px solid #eaeef2; padding: .5rem; max-width: 100%; }
figure img { max-width: min(100%, 600px); height: auto; display: block; }  /* figures.save writes 2x PNGs */
figcaption { font-size: 13px; margin-top: .3rem; }
.error { color: #cf222e; font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap; }
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

STATUS_COLORS = {"done": "#1a7f37", "failed": "#cf222e", "running": "#9a6700", "pending": "#6e7781",
                 "skipped": "#6e7781", "unreadable": "#8250df"}


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


