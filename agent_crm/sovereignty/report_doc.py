"""A tiny document model for reports, rendered to Markdown or to ONE self-contained HTML file.

Reports build a :class:`Document` of sections holding facts, paragraphs, tables and charts; the renderers
turn it into Markdown (a chart becomes its data table) or HTML with inline CSS and inline SVG only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Literal

from agent_crm.errors import InputError

Tone = Literal["ok", "bad", "note"] | None


@dataclass
class Para:
    """A paragraph, optionally highlighted as a status."""

    text: str
    tone: Tone = None


@dataclass
class Facts:
    """Label/value pairs."""

    items: list[tuple[str, str]]


@dataclass
class Table:
    """A table (cells are plain text)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str = ""


@dataclass
class Chart:
    """An inline SVG chart with its data table (shown instead of the chart in Markdown; None: the data is
    already in a table next to it)."""

    svg: str
    data: Table | None = None


Block = Para | Facts | Table | Chart


@dataclass
class Section:
    """A titled section."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    """A whole report."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)


def _md_cell(v: object) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> list[str]:
    out = [f"*{t.caption}*", ""] if t.caption else []
    out += ["| " + " | ".join(_md_cell(h) for h in t.headers) + " |", "|" + "---|" * len(t.headers)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return [*out, ""]


def render_markdown(doc: Document) -> str:
    """Render a document as Markdown."""
    lines = [f"# {doc.title}", ""] + ([doc.subtitle, ""] if doc.subtitle else [])
    for s in doc.sections:
        lines += ["#" * s.level + " " + s.title, ""]
        for b in s.blocks:
            if isinstance(b, Para):
                prefix = {"ok": "✅ ", "bad": "❌ ", "note": "ℹ️ "}.get(b.tone or "", "")
                lines += [prefix + b.text, ""]
            elif isinstance(b, Facts):
                lines += [f"- **{k}:** {v}" for k, v in b.items] + [""]
            elif isinstance(b, Table):
                lines += _md_table(b)
            elif b.data is not None:
                lines += _md_table(b.data)
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body{font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","PingFang SC",sans-serif;color:#222;
max-width:1040px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
h3{font-size:16px;margin-top:20px}.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f6f8}tr:nth-child(even) td{background:#fafbfc}
caption{text-align:left;color:#555;padding-bottom:4px}dl{display:grid;grid-template-columns:max-content auto;
gap:2px 16px}dt{color:#555}dd{margin:0}.ok{color:#1f7a4a;font-weight:600}.bad{color:#b5453b;font-weight:600}
.note{color:#555;font-style:italic}svg.chart{display:block;margin:8px 0 16px;font-size:12px}
svg .chart-title{font-weight:600;font-size:13px}code{background:#f4f6f8;padding:0 3px}
"""


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in t.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in row) + "</tr>"
                   for row in t.rows)
    cap = f"<caption>{escape(t.caption)}</caption>" if t.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(doc: Document) -> str:
    """Render a document as one self-contained HTML page (inline CSS and SVG, no external resource)."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{escape(doc.title)}</title><style>{_CSS}</style></head><body>", f"<h1>{escape(doc.title)}</h1>"]
    if doc.subtitle:
        out.append(f'<p class="sub">{escape(doc.subtitle)}</p>')
    for s in doc.sections:
        out.append(f"<h{s.level}>{escape(s.title)}</h{s.level}>")
        for b in s.blocks:
            if isinstance(b, Para):
                cls = f' class="{b.tone}"' if b.tone else ""
                out.append(f"<p{cls}>{escape(b.text)}</p>")
            elif isinstance(b, Facts):
                out.append("<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in b.items) + "</dl>")
            elif isinstance(b, Table):
                out.append(_html_table(b))
            elif b.svg:
                out.append(b.svg)
            elif b.data is not None:
                out.append(_html_table(b.data))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_document(doc: Document, path: Path) -> Path:
    """Write the document as HTML (``.html``/``.htm``) or Markdown (``.md``) by the file's suffix.

    Raises:
        InputError: another suffix.
    """
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = render_html(doc)
    elif suffix in (".md", ".markdown"):
        text = render_markdown(doc)
    else:
        raise InputError(f"{path}: report file must end in .html or .md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
