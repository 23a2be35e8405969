"""The evaluation harness end to end: the local model against scripted models served over HTTP on 127.0.0.1.

One inline tenant (tests/support/mini_tenant.py) is ingested once into a shared eval home; every test writes its
own output folder. The scripted server counts the model calls that reach it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent_crm.cli.main import app
from agent_crm.config import Settings, build_settings
from agent_crm.evaluation import EvalResults, run
from tests.support.mini_tenant import CUSTOMERS, records
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file

WEAK_ANSWER = {
    "answer": "Decision: approve. Approved limit 8,888,888 CNY for 宏达农资公司, per SO-2099-000001.",
    "scripts": [{"strategy": "value", "title": "Call", "text": "Offer 8,888,888 CNY today.", "factors": [],
                 "citations": []}],
}
"""Valid compose JSON with a fixed wrong-ish decision, an invented number and id, another customer, no citations.
Sent to an understand call it is garbage: it does not match the understand schema."""

LOCAL_ENTRY = {"model_name": "local", "litellm_params": {"model": "local/crm-reasoner"},
               "model_info": {"region": "local"}}


def _case(cid: str, expect: dict[str, Any], *, customer: str | None = None, type_: str | None = None,
          question: str | None = None, language: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": cid, "tenant": "inline", "records": records(), "customers": CUSTOMERS,
                            "expect": expect}
    data["input"] = {"question": question} if question else {"customer": customer, "type": type_}
    if language:
        data["language"] = language
    return data


NBA = {"labels": ["price_objection_followup", "procurement_policy_briefing"],
       "top_factors": ["quote_rejections", "objections", "competitor_mentions"], "never": ["13812345678"]}
LIN = {"labels": ["approve"], "top_factors": ["cash_flow_stability", "repayment_history"]}
WAVE = {"labels": ["decline", "refer"], "top_factors": ["repayment_history", "cash_flow_stability"]}

DECIDE_CASES = [
    _case("nba-hz-zh", NBA, customer="hz-first", type_="next_best_action", language="zh"),
    _case("nba-hz-en", NBA, customer="hz-first", type_="next_best_action", language="en"),
    _case("credit-lin-en", LIN, customer="rb-lin", type_="credit_recommendation", language="en"),
    _case("credit-lin-zh", LIN, customer="rb-lin", type_="credit_recommendation", language="zh"),
    _case("credit-wave-zh", WAVE, customer="rb-wave", type_="credit_recommendation", language="zh"),
    _case("nba-sz-en", {"labels": ["qualification_support"]}, customer="sz-second", type_="next_best_action",
          language="en"),
]
ASK_CASES = [
    _case("ask-hz", {**NBA, "customer": "hz-first", "type": "next_best_action"},
          question="张主任上周拒签了骨科耗材报价单，下一步怎么跟进？"),
    _case("ask-lin", {**LIN, "customer": "rb-lin", "type": "credit_recommendation"},
          question="林记超市申请50万经营贷，给个授信建议"),
    _case("ask-wave", {**WAVE, "customer": "rb-wave", "type": "credit_recommendation"},
          question="浪花养殖场申请30万贷款，授信建议是什么？"),
]


def _write(path: Path, cases: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eval home shared by the module (the inline tenant is ingested on first use)."""
    return tmp_path_factory.mktemp("eval-home")


@pytest.fixture(scope="module")
def models_file(tmp_path_factory: pytest.TempPathFactory, model_server_session: ScriptedModelServer) -> Path:
    """One models file: local, weak, slow (0.5 s timeout), garbage, and flaky (garbage, falls back to local)."""
    s = model_server_session
    entries = [LOCAL_ENTRY, s.entry("weak", "weak"), s.entry("slow", "slow", timeout=0.5),
               s.entry("garbage", "garbage"), s.entry("flaky", "garbage", fallbacks=["local"])]
    return write_models_file(tmp_path_factory.mktemp("models") / "models.yaml", entries, default="local")


@pytest.fixture
def server(model_server: ScriptedModelServer) -> Iterator[ScriptedModelServer]:
    """The scripted server with the weak, slow and garbage behaviours."""
    model_server.set_default("weak", Reply.of_json(WEAK_ANSWER))
    model_server.set_default("slow", Reply.after(2.0, Reply.of_json(WEAK_ANSWER)))
    model_server.set_default("garbage", "Sure! The answer is approve, probably.")
    yield model_server


@pytest.fixture
def settings(home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose home is the shared eval home."""
    monkeypatch.setenv("AGENT_CRM_HOME", str(home))
    return build_settings(home=home)


def test_local_ranks_above_a_weaker_scripted_model(tmp_path: Path, server: ScriptedModelServer, home: Path,
                                                  models_file: Path, settings: Settings) -> None:
    """On 9 inline cases the local model beats the weak one on accuracy, groundedness and consistency."""
    dataset = _write(tmp_path / "cases.jsonl", DECIDE_CASES + ASK_CASES)
    out = tmp_path / "out"
    res = run(["local", "weak"], dataset, out, models_file=models_file, settings=settings, home=home)
    local, weak = res.models["local"], res.models["weak"]
    assert local.cases == weak.cases == 9
    assert local.accuracy is not None and weak.accuracy is not None
    assert local.accuracy > weak.accuracy
    assert local.groundedness is not None and weak.groundedness is not None
    assert local.groundedness > weak.groundedness
    assert (local.answer_consistency or 0) > (weak.answer_consistency or 0)
    assert local.customer_resolution == 1.0
    assert weak.error_kinds == {"invalid_output": 3}  # its compose JSON fails every understand call
    assert local.errors == 0 and local.valid_output_rate == 1.0 and local.pii_leaks == 0
    assert len(server.requests_for("weak")) == 6 + 3  # 6 compose calls + 3 failed understand calls
    weak_rows = [c for c in res.cases if c.model == "weak" and c.status == "ok"]
    assert any("8,888,888" in c.ungrounded for c in weak_rows)
    saved = EvalResults.load(out / "results.json")
    assert saved.model_dump() == res.model_dump()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5
    assert "<script" not in page and "<link" not in page and "src=" not in page


def test_resumed_run_skips_finished_work_and_reruns_changed_cases(
        tmp_path: Path, server: ScriptedModelServer, home: Path, models_file: Path, settings: Settings) -> None:
    """A rerun makes no model call; changing one case's input reruns only that case."""
    cases = DECIDE_CASES[:3]
    dataset = _write(tmp_path / "cases.jsonl", cases)
    out = tmp_path / "out"
    first = run(["weak"], dataset, out, models_file=models_file, settings=settings, home=home)
    assert (first.meta.executed, first.meta.reused) == (3, 0)
    assert len(server.requests_for("weak")) == 3
    again = run(["weak"], dataset, out, models_file=models_file, settings=settings, home=home)
    assert (again.meta.executed, again.meta.reused) == (0, 3)
    assert len(server.requests_for("weak")) == 3
    changed = [{**cases[0], "language": "en"}, *cases[1:]]
    third = run(["weak"], _write(dataset, changed), out, models_file=models_file, settings=settings, home=home)
    assert (third.meta.executed, third.meta.reused) == (1, 2)
    assert len(server.requests_for("weak")) == 4
    assert len((out / "cases.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def test_timeouts_garbage_and_fallbacks_are_scored_not_fatal(
        tmp_path: Path, server: ScriptedModelServer, home: Path, models_file: Path, settings: Settings) -> None:
    """A timed-out and a garbage model are errors scored as wrong; a fallback answer is invalid for the alias."""
    dataset = _write(tmp_path / "cases.jsonl", DECIDE_CASES[2:4])
    res = run(["slow", "garbage", "flaky"], dataset, tmp_path / "out", models_file=models_file,
              settings=settings, home=home)
    slow, garbage, flaky = res.models["slow"], res.models["garbage"], res.models["flaky"]
    assert slow.error_kinds == {"timeout": 2} and slow.accuracy == 0.0 and slow.valid_output_rate == 0.0
    assert all(c.latency_ms < 1900 for c in res.cases if c.model == "slow")  # cut at the 0.5 s alias timeout
    assert garbage.error_kinds == {"invalid_output": 2} and garbage.accuracy == 0.0
    assert flaky.errors == 0 and flaky.fallbacks == 2 and flaky.valid_output_rate == 0.0
    assert flaky.accuracy == 0.0
    assert {c.answered_by for c in res.cases if c.model == "flaky"} == {"local"}


def test_a_regression_against_the_baseline_fails_the_gate(
        tmp_path: Path, server: ScriptedModelServer, home: Path, models_file: Path, settings: Settings) -> None:
    """The CLI exits 3 naming accuracy when it dropped below the baseline's; the same results pass."""
    dataset = _write(tmp_path / "cases.jsonl", [*DECIDE_CASES[2:4], ASK_CASES[1]])
    out = tmp_path / "out"
    args = ["eval", "run", "--models", "weak", "--dataset", str(dataset), "--out", str(out),
            "--models-file", str(models_file), "--eval-home", str(home), "--no-progress"]
    runner = CliRunner()
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    current = EvalResults.load(out / "results.json")
    assert current.models["weak"].accuracy == pytest.approx(2 / 3, abs=1e-3)
    same = runner.invoke(app, [*args, "--baseline", str(out / "results.json")])
    assert same.exit_code == 0, same.output
    assert "gates passed" in same.output
    better = current.model_copy(deep=True)
    better.models["weak"].accuracy = 1.0
    better.save(tmp_path / "baseline.json")
    failed = runner.invoke(app, [*args, "--baseline", str(tmp_path / "baseline.json")])
    assert failed.exit_code == 3, failed.output
    assert "accuracy" in failed.output and "drop > 0.02" in failed.output
    assert EvalResults.load(out / "results.json").gate_failed
