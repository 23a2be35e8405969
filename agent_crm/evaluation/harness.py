"""The evaluation harness: every case on every model, resumable, scored, compared, reported.

``run`` is the SDK twin of ``agent-crm eval run``: it prepares the dataset's tenants in an eval home under
``out`` (once), runs each (case, model alias) through ``CRM.ask``/``CRM.decide`` with ``model=alias`` (so through
the gateway, with the models file's timeouts and fallbacks), appends scored rows to ``out/cases.jsonl``, skips
rows already done with the same inputs, aggregates per model, measures retrieval, checks the regression gates and
writes ``out/results.json`` and ``out/report.html``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent_crm.config import Settings, build_settings, get_settings
from agent_crm.errors import InputError
from agent_crm.evaluation.dataset import (
    DECISION_TYPES,
    Case,
    RetrievalCase,
    dataset_digest,
    load_cases,
    load_retrieval_cases,
)
from agent_crm.evaluation.execution import execute
from agent_crm.evaluation.gate import DEFAULT_GATES, evaluate_gates, load_gates
from agent_crm.evaluation.results import CaseResult, EvalResults, RunMeta, summarize
from agent_crm.evaluation.retrieval import evaluate_retrieval
from agent_crm.evaluation.safety import policy_detector
from agent_crm.evaluation.scoring import score_case
from agent_crm.evaluation.store import CaseStore, input_hash, models_file_entries, prompt_hashes
from agent_crm.evaluation.tenants import TenantFacts, TenantPreparer, find_knowledge_root, tenant_fingerprints
from agent_crm.logs import get_logger

if TYPE_CHECKING:
    from agent_crm.service import CRM

log = get_logger("evaluation.harness")

RESULTS_FILE = "results.json"
REPORT_FILE = "report.html"
RETRIEVAL_FILE = "retrieval.jsonl"

Progress = Callable[[int, int, CaseResult | None], None]
"""Called with (done, total, row): once with ``(0, total, None)`` before the first case, then per case."""


@dataclass(frozen=True)
class _Job:
    case: Case
    alias: str
    digest: str


def eval_settings(base: Settings | None, home: Path, models_file: Path | None) -> Settings:
    """Return the settings of an eval run: ``base`` with the eval home and (optionally) another models file."""
    source = base or get_settings()
    overrides: dict[str, Any] = {**source.model_dump(), "home": home}
    if models_file is not None:
        overrides["models_file"] = models_file
    return build_settings(**overrides)


class _CRMs:
    """One CRM per (worker thread, tenant): each compiles its own graph with its own checkpointer connection."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()

    def get(self, tenant: str) -> CRM:
        from agent_crm.service import CRM

        cache: dict[str, CRM] = self._local.__dict__.setdefault("crms", {})
        if tenant not in cache:
            cache[tenant] = CRM(tenant, settings=self._settings, actor="eval")
        return cache[tenant]


def _retrieval_cases(dataset: Path, retrieval: Path | bool | None, tenants: set[str]) -> list[RetrievalCase]:
    if retrieval is False:
        return []
    path = dataset.parent / RETRIEVAL_FILE if retrieval in (None, True) else Path(str(retrieval))
    if not path.exists():
        if retrieval not in (None, True):
            raise InputError(f"{path}: retrieval dataset not found")
        return []
    cases = load_retrieval_cases(path)
    kept = [c for c in cases if c.tenant in tenants]
    if len(kept) < len(cases):
        log.info("eval_retrieval_cases_skipped", skipped=len(cases) - len(kept),
                 reason="tenant not in the decision dataset")
    return kept


def _plan(cases: Sequence[Case], models: Sequence[str], settings: Settings, facts: dict[str, TenantFacts]
          ) -> tuple[list[_Job], dict[str, str]]:
    from agent_crm.llm.registry import DEFAULT_MODELS_FILE
    from agent_crm.tenant_runtime import gateway_for

    registry = gateway_for(settings).registry
    entries = models_file_entries(Path(settings.models_file) if settings.models_file else DEFAULT_MODELS_FILE)
    chains = {a: [entries.get(s.alias, {"model_name": s.alias}) for s in registry.resolve_chain(a)]
              for a in models}
    prompts = prompt_hashes()
    jobs = [_Job(case, alias, input_hash(case, chains[alias], prompts, facts[case.tenant_key].fingerprint))
            for alias in models for case in cases]
    return jobs, prompts


def _use_models_file(settings: Settings, path: Path, tenants: Iterable[str]) -> None:
    """Make sure this run's tenants call models through ``path``.

    The service caches each tenant's runtime (with its gateway) per process and home; a runtime opened earlier
    with another models file would silently keep that file's aliases, so such runtimes are dropped here.
    """
    from agent_crm.tenant_runtime import forget_tenants, open_tenant

    if any(open_tenant(settings, t).gateway.registry.path != path for t in tenants):
        log.warning("eval_tenant_runtimes_reset", models_file=str(path),
                    reason="tenant runtimes were opened with another models file")
        forget_tenants()


def _warm_up(settings: Settings, crms: _CRMs, jobs: Sequence[_Job]) -> None:
    """Load engines, tenant stores and baselines before the clock runs (so the first case is not penalised)."""
    import agent_crm.agents.assistant  # noqa: F401  (langgraph and the graph's modules)
    from agent_crm.tenant_runtime import gateway_for, open_tenant

    gateway_for(settings).warm_up()
    types = sorted({j.case.decision_type for j in jobs} & set(DECISION_TYPES))
    for tenant in sorted({j.case.tenant_key for j in jobs}):
        deps = open_tenant(settings, tenant)
        for decision_type in types:
            deps.baselines(decision_type)
        crms.get(tenant).search("warm up", k=1)


def run(
    models: Sequence[str],
    dataset: Path,
    out: Path,
    baseline: Path | None = None,
    concurrency: int = 1,
    models_file: Path | None = None,
    settings: Settings | None = None,
    *,
    gate: Path | None = None,
    fresh: bool = False,
    knowledge: Path | None = None,
    retrieval: Path | bool | None = None,
    home: Path | None = None,
    progress: Progress | None = None,
) -> EvalResults:
    """Evaluate model aliases on a dataset and return the results object (also written to ``out``).

    Args:
        models: model aliases of the models file to compare.
        dataset: decision dataset (JSONL).
        out: output folder (``cases.jsonl``, ``results.json``, ``report.html``, the eval home ``home/``).
        baseline: a previous ``results.json`` to compare with under the gates.
        concurrency: cases run in parallel.
        models_file: models file to use instead of the settings' one.
        settings: base settings (default: from the environment); the home is replaced by the eval home.
        gate: gate rules file (default: ``DEFAULT_GATES``); gates are checked when a baseline or a gate file is
            given (absolute rules such as ``pii_leaks: max 0`` also without a baseline).
        fresh: ignore results of earlier runs in ``out`` and run every case again.
        knowledge: folder holding the sample tenants (default: the nearest ``knowledge/tenants``).
        retrieval: retrieval dataset (default: ``retrieval.jsonl`` beside the dataset, if any; False: none).
        home: eval data home (default: ``out/home``); lets several output folders share prepared tenants.
        progress: called as cases finish (see ``Progress``).

    Raises:
        InputError: bad dataset or options. NotFoundError: unknown model alias. ConfigError: bad models/gate file.
    """
    models = list(dict.fromkeys(models))
    if not models:
        raise InputError("give at least one model alias")
    if concurrency < 1:
        raise InputError("concurrency must be at least 1")
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = Path(dataset)
    cases = load_cases(dataset)
    rules = load_gates(gate) if gate is not None else DEFAULT_GATES
    base_results = EvalResults.load(Path(baseline)) if baseline is not None else None
    cfg = eval_settings(settings, Path(home) if home is not None else out / "home", models_file)
    from agent_crm.tenant_runtime import gateway_for

    registry = gateway_for(cfg).registry
    for alias in models:
        registry.get(alias)

    root = knowledge if knowledge is not None else find_knowledge_root(dataset.parent)
    preparer = TenantPreparer(cfg, knowledge_root=root, inline_dir=out / "inline")
    facts = preparer.prepare(cases)
    _use_models_file(cfg, registry.path, facts)
    jobs, prompts = _plan(cases, models, cfg, facts)
    store = CaseStore(out)
    rows: dict[tuple[str, str], CaseResult] = {}
    todo: list[_Job] = []
    for job in jobs:
        done = None if fresh else store.done(job.case.id, job.alias, job.digest)
        if done is not None:
            rows[(job.case.id, job.alias)] = done
        else:
            todo.append(job)
    crms = _CRMs(cfg)
    detector = policy_detector()
    if todo:
        _warm_up(cfg, crms, todo)
    total, finished = len(todo), 0
    lock = threading.Lock()
    if progress is not None:
        progress(0, total, None)

    def work(job: _Job) -> CaseResult:
        outcome = execute(crms.get(job.case.tenant_key), job.case, job.alias)
        row = score_case(job.case, job.alias, job.digest, outcome, facts[job.case.tenant_key], detector)
        store.append(row)
        return row

    def finish(row: CaseResult) -> None:
        nonlocal finished
        with lock:
            rows[(row.case_id, row.model)] = row
            finished += 1
            if progress is not None:
                progress(finished, total, row)

    if concurrency == 1:
        for job in todo:
            finish(work(job))
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
            for fut in as_completed([pool.submit(work, j) for j in todo]):
                finish(fut.result())

    ordered = [rows[(c.id, a)] for a in models for c in cases]
    retrieval_cases = _retrieval_cases(dataset, retrieval, {c.tenant for c in cases})
    results = EvalResults(
        meta=RunMeta(
            dataset=str(dataset), dataset_sha256=dataset_digest(cases), models=models,
            models_file=str(registry.path), eval_home=str(cfg.home), concurrency=concurrency,
            started_at=started_at, cases=len(cases), executed=len(todo), reused=len(jobs) - len(todo),
            tenants=tenant_fingerprints(facts), prompts=prompts,
        ),
        models={a: summarize(a, [r for r in ordered if r.model == a]) for a in models},
        retrieval=evaluate_retrieval(retrieval_cases, crms.get) if retrieval_cases else None,
        cases=ordered,
    )
    if base_results is not None or gate is not None:
        results.gate = evaluate_gates(results, base_results, rules,
                                      baseline_path=str(baseline) if baseline is not None else None)
    results.meta.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    results.meta.seconds = round(time.perf_counter() - started, 3)
    write_outputs(results, out)
    return results


def write_outputs(results: EvalResults, out: Path) -> None:
    """Write ``results.json`` and the self-contained ``report.html`` into ``out``."""
    from agent_crm.evaluation.report_html import render_html

    results.save(out / RESULTS_FILE)
    (out / REPORT_FILE).write_text(render_html(results), encoding="utf-8")
