"""``report.html``: one self-contained page (inline CSS and SVG charts; no scripts, fonts or links)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from agent_crm.evaluation.charts import bar_chart
from agent_crm.evaluation.gate import describe_failures
from agent_crm.evaluation.report_terminal import SUMMARY_ROWS, best_models, format_metric
from agent_crm.evaluation.results import CaseResult, EvalResults

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#111827;
padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb}
.meta{color:#6b7280;font-size:12px}table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f9fafb}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.best{background:#dcfce7;font-weight:600}
.fail{color:#b91c1c;font-weight:600}.ok{color:#15803d;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #e5e7eb;border-radius:6px;background:#fff}
.ct{font-size:13px;font-weight:600;fill:#111827}.ax{font-size:10px;fill:#4b5563}.val{font-size:9px;fill:#111827}
.na{font-size:9px;fill:#9ca3af}.grid{stroke:#f3f4f6;stroke-width:1}code{font-size:12px}
"""
MAX_CASE_ROWS = 200


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if raw else f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _summary(results: EvalResults) -> str:
    models = list(results.models)
    rows = []
    for metric, title in SUMMARY_ROWS:
        best = best_models(results, metric)
        cells = [f"<td>{escape(title)}</td>"]
        for alias in models:
            cls = "num best" if alias in best else "num"
            value = format_metric(results.models[alias], metric)
            cells.append(f'<td class="{cls}">{escape(value)}</td>')
        rows.append(cells)
    return _table(["metric", *models], rows, raw=True)


def _charts(results: EvalResults) -> str:
    models = list(results.models)
    sums = results.models
    acc = {("accuracy", a): sums[a].accuracy for a in models}
    charts = [
        bar_chart("Decision accuracy per model", ["accuracy"], models, acc, unit="%"),
        bar_chart("Latency per model (ms)", ["p50", "p95"], models,
                  {**{("p50", a): sums[a].latency_p50_ms for a in models},
                   **{("p95", a): sums[a].latency_p95_ms for a in models}}, unit=" ms"),
        bar_chart("Groundedness and citation recall", ["groundedness", "citation recall"], models,
                  {**{("groundedness", a): sums[a].groundedness for a in models},
                   **{("citation recall", a): sums[a].citation_recall for a in models}}, unit="%"),
    ]
    types = sorted({t for a in models for t in sums[a].by_type})
    charts.append(bar_chart("Accuracy per decision type", types, models,
                            {(t, a): (sums[a].by_type[t].accuracy if t in sums[a].by_type else None)
                             for t in types for a in models}, unit="%"))
    charts.append(bar_chart("Latency p50 per decision type (ms)", types, models,
                            {(t, a): (sums[a].by_type[t].latency_p50_ms if t in sums[a].by_type else None)
                             for t in types for a in models}, unit=" ms"))
    langs = sorted({g for a in models for g in sums[a].by_language})
    charts.append(bar_chart("Accuracy per language", langs, models,
                            {(g, a): (sums[a].by_language[g].accuracy if g in sums[a].by_language else None)
                             for g in langs for a in models}, unit="%"))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _gate(results: EvalResults) -> str:
    gate = results.gate
    if gate is None:
        return "<p>No baseline or gate file given: gates not checked.</p>"
    status = '<span class="ok">passed</span>' if gate.passed else '<span class="fail">FAILED</span>'
    parts = [f"<p>Gates {status}" + (f" against <code>{escape(gate.baseline)}</code>" if gate.baseline else "")
             + ".</p>"]
    if gate.failures:
        parts.append("<ul>" + "".join(f'<li class="fail">{escape(x)}</li>' for x in describe_failures(gate))
                     + "</ul>")
    rows = [[model, metric, _num(v.get("baseline")), _num(v.get("current")), _num(v.get("delta"))]
            for model, metrics in gate.comparisons.items() for metric, v in metrics.items()]
    if rows:
        parts.append(_table(["model", "metric", "baseline", "current", "delta"], rows))
    for model, ids in gate.regressed_cases.items():
        parts.append(f"<p>{escape(model)}: right in the baseline, wrong now: {escape(', '.join(ids))}</p>")
    return "".join(parts)


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def _retrieval(results: EvalResults) -> str:
    r = results.retrieval
    if r is None:
        return "<p>No retrieval cases for the tenants of this dataset.</p>"
    head = (f"<p>Mode <b>{escape(r.mode)}</b>, k = {r.k}, {r.cases} queries: recall@{r.k} "
            f"<b>{_num(r.recall_at_k)}</b>, MRR <b>{_num(r.mrr)}</b>, p50 {_num(r.latency_p50_ms)} ms.</p>")
    rows = [[f"tenant {k}", f"{v['cases']:.0f}", _num(v["recall_at_k"]), _num(v["mrr"])]
            for k, v in r.by_tenant.items()]
    rows += [[f"kind {k}", f"{v['cases']:.0f}", _num(v["recall_at_k"]), _num(v["mrr"])]
             for k, v in r.by_kind.items()]
    misses = f"<p>No relevant record in the top {r.k}: {escape(', '.join(r.misses))}</p>" if r.misses else ""
    return head + _table(["slice", "queries", f"recall@{r.k}", "MRR"], rows) + misses


def _case_rows(cases: Sequence[CaseResult]) -> str:
    bad = [c for c in cases if not c.correct or c.status == "error" or c.leaks or c.fallback_used]
    if not bad:
        return "<p>Every case was answered correctly, without leaks or fallbacks.</p>"
    rows = [[c.case_id, c.model, c.decision_type, c.language or "", "/".join(c.expected), c.label or "—",
             c.status + (f" ({c.error_kind})" if c.error_kind else ""), ", ".join(c.leaks),
             "yes" if c.fallback_used else "", f"{c.latency_ms:.0f}"] for c in bad[:MAX_CASE_ROWS]]
    more = f"<p>… and {len(bad) - MAX_CASE_ROWS} more (see cases.jsonl).</p>" if len(bad) > MAX_CASE_ROWS else ""
    head = ["case", "model", "type", "lang", "expected", "got", "status", "leaks", "fallback", "ms"]
    return _table(head, rows) + more


def render_html(results: EvalResults) -> str:
    """Return the report page for ``results``."""
    m = results.meta
    meta = (f"dataset <code>{escape(m.dataset)}</code> · {m.cases} cases × {len(m.models)} models · "
            f"executed {m.executed}, reused {m.reused} · {m.seconds:.1f} s · {escape(m.finished_at)}")
    body = [
        "<h1>agent_crm evaluation</h1>", f'<p class="meta">{meta}</p>',
        "<h2>Summary</h2>", _summary(results),
        "<h2>Charts</h2>", _charts(results),
        "<h2>Regression gates</h2>", _gate(results),
        "<h2>Retrieval</h2>", _retrieval(results),
        "<h2>Cases needing attention</h2>", _case_rows(results.cases),
    ]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>agent_crm evaluation</title><style>{CSS}</style></head><body>"
            + "".join(body) + "</body></html>\n")
