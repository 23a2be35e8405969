"""Rich renderings of reports, hits and decisions for the terminal."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent_crm.types import Decision, Hit


@functools.lru_cache(maxsize=1)
def console() -> Console:
    """The process's console."""
    return Console()


def ingest_table(report: dict[str, Any]) -> Table:
    """One-row summary of an ingest report."""
    cols = ["records_ok", "added", "replaced", "duplicates", "quarantined", "chunks_added", "customers", "documents",
            "seconds"]
    table = Table(*cols, title=f"ingest into {report['tenant']}")
    table.add_row(*(str(report.get(c, "")) for c in cols))
    return table


def hits_table(query: str, hits: Sequence[Hit]) -> Table:
    """Search hits with their citations and score parts."""
    table = Table("#", "record", "customer", "channel", "date", "text", "rrf", "dense", "bm25", title=query)
    for i, h in enumerate(hits, 1):
        c = h.chunk
        table.add_row(
            str(i), c.record_id, c.customer_id, c.channel, c.timestamp.date().isoformat(),
            c.text.replace("\n", " ")[:90], f"{h.score:.4f}",
            "" if h.dense_score is None else f"{h.dense_score:.3f}",
            "" if h.lexical_score is None else f"{h.lexical_score:.2f}",
        )
    return table


def decision_panel(d: Decision) -> Panel:
    """A decision with its factors (weights, direction, evidence), answer, scripts and audit id."""
    head = Text.assemble(
        (f"{d.type}", "bold"), " → ", (d.label, "bold green"), f"   score {d.score:.2f}   customer {d.customer_id}"
    )
    factors = Table("factor", "weight", "dir", "value", "evidence", "rationale", expand=True)
    for f in d.factors:
        arrow = {"positive": "[green]▲[/]", "negative": "[red]▼[/]"}.get(f.direction, "·")
        factors.add_row(f.label or f.name, f"{f.weight:.1f} %", arrow, str(f.value)[:18],
                        ", ".join(f.evidence[:3]) + (" …" if len(f.evidence) > 3 else ""), f.rationale)
    parts: list[Any] = [head, factors, Text(d.answer)]
    for s in d.scripts:
        parts.append(Panel(s.text, title=f"script · {s.strategy} · {s.title}", title_align="left"))
    foot = f"model {d.model}   audit {d.audit_id}"
    if d.flags:
        foot += f"   flags {', '.join(d.flags)}"
    parts.append(Text(foot, style="dim"))
    return Panel(Group(*parts), title="decision", title_align="left")
