"""The HTML of a run report: one self-contained page, images embedded.

Why our own code: the report is one static page of headline numbers, tables
and images; a template engine would add a dependency for string joins that
`html.escape` keeps safe.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tfstarter.report._class_scores import ClassScores
from tfstarter.report._format import format_bytes, format_metric

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1.5rem 2rem; color: #1b1f24; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de;
     padding-bottom: 0.3rem; }
.subtitle { color: #57606a; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 0.6rem 1rem;
        min-width: 8rem; background: #f6f8fa; }
.card .value { font-size: 1.35rem; font-weight: 600; }
.card .label { color: #57606a; font-size: 0.85rem; }
.card.test { background: #eef6ff; border-color: #9cc7f5; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 0.85rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f6f8fa; }
pre { background: #f6f8fa; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
"""


@dataclass(frozen=True)
class Plot:
    """A plot on the page: its file name stem, heading and PNG bytes."""

    name: str
    title: str
    png: bytes
    caption: str = ""


def _card(label: str, value: str, *, kind: str = "") -> str:
    return (
        f'<div class="card {kind}"><div class="value">{html.escape(value)}</div>'
        f'<div class="label">{html.escape(label)}</div></div>'
    )


def _figure(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    file = f"plots/{plot.name}.png"
    caption = f"{plot.caption} " if plot.caption else ""
    return (
        f'<figure id="plot-{html.escape(plot.name)}">'
        f'<img src="data:image/png;base64,{data}" '
        f'alt="{html.escape(plot.title)} ({file})">'
        f"<figcaption>{html.escape(caption)}"
        f'<a href="{file}">{file}</a></figcaption></figure>'
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scores_table(scores: Sequence[ClassScores]) -> str:
    """Return the per-class precision / recall / F1 / support table, with the mean.

    Examples:
        >>> from tfstarter.report._class_scores import ClassScores
        >>> "<td>cat</td>" in scores_table([ClassScores("cat", 1.0, 0.5, 0.667, 2)])
        True
    """
    rows = [
        [s.name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)]
        for s in scores
    ]
    if scores:
        count = len(scores)
        rows.append(
            [
                "macro mean",
                f"{sum(s.precision for s in scores) / count:.3f}",
                f"{sum(s.recall for s in scores) / count:.3f}",
                f"{sum(s.f1 for s in scores) / count:.3f}",
                f"{sum(s.support for s in scores):,}",
            ]
        )
    return _table(["class", "precision", "recall", "F1", "support"], rows)


def exports_table(exports: Sequence[Mapping[str, Any]]) -> str:
    """Return the table of exported artifacts: size and verification.

    Examples:
        >>> "1.0 KiB" in exports_table([{"key": "keras", "bytes": 1024}])
        True
    """
    rows = []
    for entry in exports:
        passed = entry.get("passed")
        verdict = "—" if passed is None else ("passed" if passed else "FAILED")
        diff = entry.get("max_abs_diff")
        rows.append(
            [
                str(entry.get("key", "")),
                format_bytes(float(entry.get("bytes", 0))),
                verdict,
                "—" if diff is None else f"{float(diff):.2g}",
            ]
        )
    return _table(["artifact", "size", "verified", "max |diff| vs Keras"], rows)


def render_page(
    *,
    title: str,
    subtitle: str,
    test_metrics: Mapping[str, float],
    facts: Sequence[tuple[str, str]],
    sections: Sequence[tuple[str, str]],
    plots: Mapping[str, Sequence[Plot]],
    config_text: str | None,
    environment: Mapping[str, Any] | None,
) -> str:
    """Return the whole page: headline cards, then each section's HTML and plots.

    ``sections`` are ``(heading, html)`` pairs in page order; ``plots`` maps
    a heading to the plots shown under it, after its HTML.
    """
    cards = [
        _card(f"test {name}", format_metric(name, value), kind="test")
        for name, value in test_metrics.items()
    ]
    cards += [_card(label, value) for label, value in facts]
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="subtitle">{html.escape(subtitle)}</p>',
        f'<div class="cards">{"".join(cards)}</div>',
    ]
    for heading, content in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.append(content)
        body.extend(_figure(plot) for plot in plots.get(heading, ()))
    if environment:
        rows = [
            [str(key), json.dumps(value) if not isinstance(value, str) else value]
            for key, value in environment.items()
        ]
        body.append("<h2>Environment</h2>")
        body.append(_table(["", "value"], rows))
    if config_text:
        body.append("<h2>Configuration</h2>")
        body.append(f"<pre>{html.escape(config_text)}</pre>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{chr(10).join(body)}\n</body>\n</html>\n"
    )
