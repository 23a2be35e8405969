"""Evaluation commands: ``agent-crm eval run`` compares model aliases on a dataset, with regression gates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState

if TYPE_CHECKING:
    from agent_crm.evaluation.results import CaseResult

app = typer.Typer(help="Evaluate model aliases on decision and retrieval datasets.", no_args_is_help=True)

GATE_FAILED_EXIT = 3
"""Exit code when a regression gate fails."""


def _aliases(value: str) -> list[str]:
    aliases = [a.strip() for a in value.split(",") if a.strip()]
    if not aliases:
        raise typer.BadParameter("give at least one model alias", param_hint="--models")
    return aliases


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    models: Annotated[str, typer.Option(help="Model aliases to compare, comma-separated (e.g. local,remote).")],
    dataset: Annotated[Path, typer.Option(help="Decision dataset (JSONL).", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(help="Output folder: cases.jsonl, results.json, report.html, eval home.")],
    baseline: Annotated[Path | None, typer.Option(help="A previous results.json to compare with.", exists=True,
                                                  dir_okay=False)] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Cases run in parallel.")] = 1,
    models_file: Annotated[Path | None, typer.Option(help="Models file (default: settings / packaged).",
                                                     exists=True, dir_okay=False)] = None,
    gate: Annotated[Path | None, typer.Option(help="Gate rules (YAML; default: built-in, as in "
                                                   "evals/configs/gate.yaml).", exists=True, dir_okay=False)] = None,
    retrieval: Annotated[Path | None, typer.Option(help="Retrieval dataset (default: retrieval.jsonl beside "
                                                        "the dataset).")] = None,
    no_retrieval: Annotated[bool, typer.Option("--no-retrieval", help="Skip retrieval metrics.")] = False,
    knowledge: Annotated[Path | None, typer.Option(help="Folder of the sample tenants (default: the nearest "
                                                        "knowledge/tenants).")] = None,
    eval_home: Annotated[Path | None, typer.Option(help="Eval data home (default: OUT/home).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore earlier results in OUT; run every case.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run every case on every model; print the comparison; exit 3 when a regression gate fails."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent_crm.evaluation.harness import REPORT_FILE, RESULTS_FILE, run
    from agent_crm.evaluation.report_terminal import print_report

    state: CLIState = ctx.obj
    settings = state.settings()
    out_console = console()
    bar = Progress(TextColumn("[bold]eval[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=out_console, disable=not progress, transient=False)
    task = bar.add_task("preparing tenants", total=None)

    def on_progress(done: int, total: int, row: CaseResult | None) -> None:
        if row is None:
            bar.update(task, total=total, completed=0, description="" if total else "nothing to run (all reused)")
            return
        mark = "✓" if row.correct else ("timeout" if row.error_kind == "timeout" else "✗")
        bar.update(task, completed=done, description=f"{row.model} · {row.case_id} {mark}")

    with bar:
        results = run(
            _aliases(models), dataset, out, baseline=baseline, concurrency=concurrency, models_file=models_file,
            settings=settings, gate=gate, fresh=fresh, knowledge=knowledge,
            retrieval=False if no_retrieval else retrieval, home=eval_home, progress=on_progress,
        )
    print_report(results, out_console)
    out_console.print(f"results: {out / RESULTS_FILE}  ·  report: {out / REPORT_FILE}")
    if results.gate_failed:
        raise typer.Exit(GATE_FAILED_EXIT)
