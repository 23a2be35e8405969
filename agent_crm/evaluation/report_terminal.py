"""The terminal report: models side by side (columns), metrics as rows, the best value per row highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent_crm.evaluation.gate import describe_failures
from agent_crm.evaluation.results import METRIC_DIRECTIONS, EvalResults, ModelSummary, metric_value

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("accuracy", "decision accuracy"),
    ("customer_resolution", "customer resolution"),
    ("answer_consistency", "answer states the decision"),
    ("factor_top3_overlap", "factor top-3 overlap"),
    ("factor_spearman", "factor rank (Spearman)"),
    ("factor_kendall", "factor rank (Kendall)"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("citation_validity", "citations that exist"),
    ("groundedness", "groundedness"),
    ("valid_output_rate", "valid structured output"),
    ("fallbacks", "fallback answers"),
    ("pii_leaks", "cases leaking PII"),
    ("refusals", "refusals"),
    ("errors", "errors (timeouts, garbage)"),
    ("latency_p50_ms", "latency p50"),
    ("latency_p95_ms", "latency p95"),
    ("over_budget", "over latency budget"),
    ("tokens_in", "tokens in"),
    ("tokens_out", "tokens out"),
    ("cost_usd", "cost (USD)"),
)
"""Rows of the summary table: (metric, title)."""

_SHARES = {"accuracy", "customer_resolution", "answer_consistency", "factor_top3_overlap", "citation_precision", "citation_recall",
           "citation_validity", "groundedness", "valid_output_rate"}


def format_metric(summary: ModelSummary, metric: str) -> str:
    """Return a metric of a model as display text (shares as %, latency in ms, cost in USD)."""
    value = metric_value(summary, metric)
    if value is None:
        return "n/a"
    if metric in _SHARES:
        return f"{value * 100:.1f}%"
    if metric.endswith("_ms"):
        return f"{value:,.0f} ms"
    if metric == "cost_usd":
        return f"${value:.4f}"
    if metric in ("factor_spearman", "factor_kendall"):
        return f"{value:+.2f}"
    return f"{value:,.0f}"


def best_models(results: EvalResults, metric: str) -> set[str]:
    """Return the aliases with the best value of ``metric`` (none when fewer than two models have a value)."""
    direction = METRIC_DIRECTIONS.get(metric, 1)
    values = {a: metric_value(s, metric) for a, s in results.models.items()}
    present = {a: v for a, v in values.items() if v is not None}
    if len(present) < 2 or len(set(present.values())) < 2:
        return set()
    best = max(present.values()) if direction > 0 else min(present.values())
    return {a for a, v in present.items() if v == best}


def summary_table(results: EvalResults) -> RenderableType:
    """Return the side-by-side rich table."""
    from rich.table import Table

    table = Table(title="Evaluation: models side by side", title_justify="left")
    table.add_column("metric")
    for alias in results.models:
        table.add_column(alias, justify="right")
    for metric, title in SUMMARY_ROWS:
        best = best_models(results, metric)
        cells = []
        for alias, summary in results.models.items():
            text = format_metric(summary, metric)
            cells.append(f"[bold green]{text}[/]" if alias in best else text)
        table.add_row(title, *cells)
    types = sorted({t for s in results.models.values() for t in s.by_type})
    for t in types:
        row = []
        for s in results.models.values():
            g = s.by_type.get(t)
            row.append("n/a" if g is None or g.accuracy is None else f"{g.accuracy * 100:.0f}% ({g.cases})")
        table.add_row(f"accuracy · {t}", *row)
    for lang in sorted({g for s in results.models.values() for g in s.by_language}):
        row = []
        for s in results.models.values():
            g = s.by_language.get(lang)
            row.append("n/a" if g is None or g.accuracy is None else f"{g.accuracy * 100:.0f}% ({g.cases})")
        table.add_row(f"accuracy · {lang}", *row)
    return table


def print_report(results: EvalResults, console: Console) -> None:
    """Print the summary table, retrieval figures and the gate verdict."""
    console.print(summary_table(results))
    r = results.retrieval
    if r is not None:
        console.print(f"retrieval ({r.mode}, {r.cases} queries): recall@{r.k} "
                      f"{'n/a' if r.recall_at_k is None else f'{r.recall_at_k:.3f}'}, "
                      f"MRR {'n/a' if r.mrr is None else f'{r.mrr:.3f}'}")
    m = results.meta
    console.print(f"cases: {m.cases} × {len(m.models)} models · executed {m.executed}, reused {m.reused} · "
                  f"{m.seconds:.1f} s")
    gate = results.gate
    if gate is not None:
        if gate.passed:
            console.print("[bold green]gates passed[/]")
        else:
            console.print("[bold red]gates FAILED:[/]")
            for line in describe_failures(gate):
                console.print(f"  [red]{line}[/]")
