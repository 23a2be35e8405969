"""Scoring weights: packaged defaults, tenant overrides, precise config errors, tenant baselines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent_crm.decisions import DECISION_TYPES, decide, get_spec, load_weights, tenant_baselines
from agent_crm.errors import ConfigError, InputError
from agent_crm.types import Interaction

TENANT = "acme"
AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def rec(cid: str, rid: str, days: float, channel: str, text: str = "", **kw: Any) -> Interaction:
    """Build one record of customer ``cid``, ``days`` before AS_OF."""
    return Interaction(
        id=rid,
        tenant=TENANT,
        customer_id=cid,
        channel=channel,
        timestamp=AS_OF - timedelta(days=days),
        text=text,
        **kw,
    )


def write(tmp_path: Path, text: str) -> Path:
    """Write a weights override file."""
    path = tmp_path / "weights.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_cover_every_type_and_scored_feature() -> None:
    """The packaged file gives every decision type a weight, baseline and scale per scored feature."""
    models = load_weights()
    assert set(models) == set(DECISION_TYPES)
    for t, m in models.items():
        spec = get_spec(t)
        assert m.decision_type == t
        assert set(m.weights) == set(m.baselines) == set(m.scale) == set(spec.features)
        assert set(m.thresholds) == set(spec.thresholds) and set(m.params) == set(spec.params)
    assert load_weights(None)["credit_recommendation"].params["limit_multiple"] == 3.0


def test_override_merges_over_defaults_and_changes_the_outcome(tmp_path: Path) -> None:
    """A tenant file that only raises the churn bias and recency weight turns a 'low' customer 'high'."""
    records = [rec("c1", "r1", 75, "call", "例行回访", direction="outbound")]
    default = decide("churn_risk", records, tenant=TENANT, customer_id="c1", as_of=AS_OF)
    path = write(tmp_path, "churn_risk:\n  bias: 0.5\n  weights:\n    recency: 3.0\n")
    models = load_weights(path)
    tuned = decide(
        "churn_risk", records, tenant=TENANT, customer_id="c1", as_of=AS_OF, model=models["churn_risk"]
    )
    assert default.label != tuned.label and tuned.label == "high"
    assert models["churn_risk"].weights["sentiment"] == load_weights()["churn_risk"].weights["sentiment"]
    assert models["churn_risk"].bias == 0.5
    recency = next(f for f in tuned.factors if f.name == "recency")
    assert recency.contribution == pytest.approx(3.0 * (75 - 30) / 45)


def test_threshold_override_moves_the_band(tmp_path: Path) -> None:
    """Raising the approve threshold above the score turns an approval into approve_with_conditions."""
    pos = [
        rec("m", f"p{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 100_000 + 1_000 * i})
        for i in range(6)
    ]
    pay = [rec("m", f"y{i}", 15 + 30 * i, "payment", fields={"paid_on_time": True}) for i in range(6)]
    base = decide("credit_recommendation", pos + pay, tenant=TENANT, customer_id="m", as_of=AS_OF)
    assert base.label == "approve"
    models = load_weights(write(tmp_path, "credit_recommendation:\n  thresholds:\n    approve: 0.999999\n"))
    strict = decide(
        "credit_recommendation",
        pos + pay,
        tenant=TENANT,
        customer_id="m",
        as_of=AS_OF,
        model=models["credit_recommendation"],
    )
    assert strict.label == "approve_with_conditions" and strict.score == base.score


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("churn_risk:\n  weights:\n    recencyy: 1.0\n", "churn_risk.weights.recencyy: unknown feature"),
        (
            "churn_risk:\n  weights:\n    recency: fast\n",
            "churn_risk.weights.recency: expected a number, got str",
        ),
        (
            "churn_risk:\n  weights:\n    recency: true\n",
            "churn_risk.weights.recency: expected a number, got bool",
        ),
        ("churn_risk:\n  scales:\n    recency: 0\n", "churn_risk.scales.recency: scale must be > 0"),
        ("churn_risk:\n  thresholds:\n    high: 1.5\n", "churn_risk.thresholds.high: must be within [0, 1]"),
        ("churn_risk:\n  thresholds:\n    medium: 0.9\n", "churn_risk.thresholds.medium: 0.9 is above high"),
        ("churn_risk:\n  thresholds:\n    severe: 0.9\n", "churn_risk.thresholds.severe: unknown threshold"),
        (
            "churn_risk:\n  bounds:\n    recency: [10, 5]\n",
            "churn_risk.bounds.recency: low 10.0 must be below",
        ),
        (
            "churn_risk:\n  transforms:\n    recency: sqrt\n",
            "churn_risk.transforms.recency: unknown transform",
        ),
        ("churn_risk:\n  wieghts: {}\n", "churn_risk.wieghts: unknown section"),
        (
            "churn_risk:\n  params:\n    limit_multiple: 2\n",
            "churn_risk.params.limit_multiple: unknown parameter",
        ),
        ("credit_score:\n  bias: 1\n", "credit_score: unknown decision type"),
        ("churn_risk: [1, 2]\n", "churn_risk: expected a mapping"),
        ("churn_risk:\n  weights:\n    recency: [1\n", "invalid YAML at line"),
        ("lead_score:\n  weights:\n    cash_flow_stability: 1\n", "lead_score.weights.cash_flow_stability"),
    ],
)
def test_bad_weights_file_names_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    """Bad YAML, unknown names, non-numeric or out-of-range values: ConfigError naming file and key."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_weights(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_missing_weights_file_is_a_config_error(tmp_path: Path) -> None:
    """A weights path that does not exist is reported as such."""
    with pytest.raises(ConfigError, match="not found"):
        load_weights(tmp_path / "nope.yaml")


def test_empty_override_is_the_defaults(tmp_path: Path) -> None:
    """An empty override file changes nothing."""
    assert load_weights(write(tmp_path, "")) == load_weights()


def test_model_of_another_type_is_refused() -> None:
    """Passing the churn model to a credit decision is an InputError."""
    with pytest.raises(InputError, match="churn_risk"):
        decide(
            "credit_recommendation",
            [],
            tenant=TENANT,
            customer_id="c",
            as_of=AS_OF,
            model=load_weights()["churn_risk"],
        )


def three_customers() -> dict[str, list[Interaction]]:
    """Three customers: two with POS flow and repayments, one with neither (but a complaint)."""
    out: dict[str, list[Interaction]] = {}
    for cid, level, paid in (("a", 100_000, True), ("b", 200_000, False)):
        out[cid] = [
            rec(
                cid, f"{cid}-p{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": level + 10_000 * (i % 2)}
            )
            for i in range(6)
        ]
        out[cid] += [
            rec(cid, f"{cid}-y{i}", 12 + 30 * i, "payment", fields={"paid_on_time": paid}) for i in range(4)
        ]
    out["c"] = [rec("c", "c-1", 5, "email", "我要投诉，服务太差了。", direction="inbound")]
    return out


def test_tenant_baselines_average_customers_with_evidence_and_keep_counts_at_zero() -> None:
    """Level features: mean over customers that have evidence; count features stay 0 (none = baseline)."""
    by_customer = three_customers()
    base = tenant_baselines("credit_recommendation", by_customer, AS_OF)
    feats = {
        cid: {
            f.name: f.value
            for f in decide(
                "credit_recommendation", recs, tenant=TENANT, customer_id=cid, as_of=AS_OF
            ).factors
        }
        for cid, recs in by_customer.items()
    }
    assert base["repayment_history"] == pytest.approx(
        (feats["a"]["repayment_history"] + feats["b"]["repayment_history"]) / 2, abs=1e-6
    )
    assert base["sentiment"] == pytest.approx(feats["c"]["sentiment"])
    assert base["complaints"] == 0.0 and base["competitor_mentions"] == 0.0
    assert "requested_amount_ratio" not in base  # nobody applied: the configured prior stays


def test_a_customer_at_the_tenant_baseline_contributes_zero() -> None:
    """With tenant baselines, a feature equal to the tenant's average contributes exactly 0."""
    by_customer = {"a": three_customers()["a"]}
    base = tenant_baselines("credit_recommendation", by_customer, AS_OF)
    d = decide(
        "credit_recommendation", by_customer["a"], tenant=TENANT, customer_id="a", as_of=AS_OF, baselines=base
    )
    stab = next(f for f in d.factors if f.name == "cash_flow_stability")
    assert stab.evidence and stab.contribution == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(InputError, match="finite"):
        decide(
            "credit_recommendation",
            by_customer["a"],
            tenant=TENANT,
            customer_id="a",
            as_of=AS_OF,
            baselines={"cash_flow_stability": float("nan")},
        )
