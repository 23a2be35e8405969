"""Sample protocol contexts of a hospital-sales tenant (documentation, benchmarks, tests of the reasoner)."""

from __future__ import annotations

import copy
from typing import Any

DIRECTORY: list[dict[str, Any]] = [
    {
        "customer_id": "H001",
        "name": "杭州市第一人民医院",
        "aliases": ["杭州一院"],
        "contacts": [{"name": "张主任", "title": "骨科主任"}, {"name": "李主任", "title": "设备科主任"}],
    },
    {
        "customer_id": "H002",
        "name": "浙江大学医学院附属第一医院",
        "aliases": ["浙大一院", "一院"],
        "contacts": [{"name": "李主任", "title": "采购办主任"}, {"name": "王芳", "title": "护士长"}],
    },
    {
        "customer_id": "H003",
        "name": "宁波市第二医院",
        "aliases": [],
        "contacts": [{"name": "张医生", "title": "主治医师"}],
    },
    {"customer_id": "H004", "name": "杭州市人民医院", "aliases": ["人民医院"], "contacts": []},
    {
        "customer_id": "C100",
        "name": "Acme Medical Supplies",
        "aliases": ["Acme"],
        "contacts": [{"name": "John Carter", "title": "CFO"}],
    },
]
"""A small customer directory with a shared contact name (李主任) and overlapping aliases."""

DECISION_TYPES = ["next_best_action", "lead_score", "churn_risk", "ticket_routing", "credit_recommendation"]


def understand_context(
    question: str, current_customer_id: str | None = None, history: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Return an ``understand`` context for ``question`` over the sample directory."""
    return {
        "task": "understand",
        "question": question,
        "decision_types": list(DECISION_TYPES),
        "directory": copy.deepcopy(DIRECTORY),
        "current_customer_id": current_customer_id,
        "history": list(history or []),
    }


_EVIDENCE_ZH = [
    ("med-000101", "email", "2024-05-06", "张主任回复：贵司报价比预算高出18%，院里暂时无法签字。"),
    ("med-000102", "meeting", "2024-04-22", "骨科去年完成关节置换手术320台，今年预计增长15%。"),
    ("med-000103", "call", "2024-05-02", "张主任提到美敦力上月给出了更低的报价，并提供免费培训。"),
    ("med-000104", "quote", "2024-04-28", "第二版报价单：髋关节假体单价4.2万元，总价86万元。"),
    ("med-000105", "chat", "2024-05-10", "张主任近两周未回复微信，上次约定的拜访被推迟。"),
    ("med-000106", "meeting", "2024-04-29", "最后一次面谈在4月29日，张主任对术后随访数据很感兴趣。"),
    ("med-000107", "note", "2024-05-08", "设备科李主任表示项目需要走院内论证和公开招标流程。"),
    ("med-000108", "email", "2024-05-09", "李主任确认下季度预算会议在6月召开。"),
    ("med-000109", "ticket", "2024-03-15", "去年一次器械交付延迟了3天，客户已接受补偿方案。"),
    ("med-000110", "order", "2023-11-20", "去年合作订单金额52万元，回款及时。"),
]

_KNOWLEDGE_ZH = [
    {
        "record_id": "kb-proc-001",
        "title": "医院采购管理规定摘要",
        "snippet": "单价超过50万元的医疗设备须经院内论证并公开招标；供应商须提供医疗器械注册证和经营许可证。",
    },
    {
        "record_id": "kb-case-002",
        "title": "关节置换耗材价值案例",
        "snippet": "某三甲医院采用我方方案后，单台手术耗材成本下降12%，库存周转提高20%。",
    },
]

_FACTORS_ZH = [
    (
        "price_objection",
        "价格异议",
        31.5,
        "positive",
        18,
        ["med-000101", "med-000104"],
        "客户认为报价高于预算，需要先回应价格",
    ),
    (
        "competitor_presence",
        "竞品威胁",
        22.0,
        "positive",
        "美敦力",
        ["med-000103"],
        "竞品正在以更低价格争取该客户",
    ),
    ("surgery_volume", "手术量", 14.5, "positive", 320, ["med-000102"], "手术量大且在增长，方案价值可量化"),
    ("contact_engagement", "关键联系人互动", 12.0, "negative", 0.4, ["med-000105"], "关键联系人近期回应减少"),
    ("recency", "最近互动", 10.0, "negative", 18, ["med-000106"], "距上次面谈已有一段时间"),
    ("procurement_stage", "采购流程", 10.0, "positive", "院内论证", ["med-000107"], "项目处于院内论证阶段"),
]


def compose_context_zh(n_scripts: int = 3) -> dict[str, Any]:
    """Return a Chinese ``compose`` context: next best action for H001 after a rejected quote."""
    return {
        "task": "compose",
        "language": "zh",
        "question": "张主任拒签了，下一步怎么跟进？",
        "customer": {"customer_id": "H001", "name": "杭州市第一人民医院"},
        "decision": {
            "type": "next_best_action",
            "label": "value_review_meeting",
            "score": 0.68,
            "factors": [
                {
                    "name": n,
                    "label": lab,
                    "weight": w,
                    "direction": d,
                    "value": v,
                    "evidence": ev,
                    "rationale": r,
                }
                for n, lab, w, d, v, ev, r in _FACTORS_ZH
            ],
            "details": {"action": "安排价值复盘会", "alternatives": ["提供分期付款方案", "邀请参观标杆医院"]},
        },
        "evidence": [
            {"record_id": rid, "channel": ch, "timestamp": ts, "snippet": text}
            for rid, ch, ts, text in _EVIDENCE_ZH
        ],
        "knowledge": copy.deepcopy(_KNOWLEDGE_ZH),
        "n_scripts": n_scripts,
        "strategies": ["value", "relationship", "compliance"],
        "flags": [],
    }


def compose_context_en() -> dict[str, Any]:
    """Return an English ``compose`` context: churn risk of Acme Medical Supplies."""
    return {
        "task": "compose",
        "language": "en",
        "question": "What is the churn risk for Acme?",
        "customer": {"customer_id": "C100", "name": "Acme Medical Supplies"},
        "decision": {
            "type": "churn_risk",
            "label": "high",
            "score": 0.81,
            "factors": [
                {
                    "name": "recency",
                    "label": "Recency",
                    "weight": 40.0,
                    "direction": "positive",
                    "value": 97,
                    "evidence": ["acme-7"],
                    "rationale": "No order for a long time",
                },
                {
                    "name": "complaints",
                    "label": "Complaints",
                    "weight": 35.0,
                    "direction": "positive",
                    "value": 3,
                    "evidence": ["acme-3", "acme-5"],
                    "rationale": "Repeated delivery complaints",
                },
                {
                    "name": "monetary",
                    "label": "Monetary value",
                    "weight": 25.0,
                    "direction": "negative",
                    "value": 120000,
                    "evidence": ["acme-1"],
                    "rationale": "Large historical spend",
                },
            ],
            "details": {"renewal_date": "2024-09-30"},
        },
        "evidence": [
            {
                "record_id": "acme-1",
                "channel": "order",
                "timestamp": "2023-06-01",
                "snippet": "Annual order of 120,000 USD for surgical gloves and gowns.",
            },
            {
                "record_id": "acme-3",
                "channel": "ticket",
                "timestamp": "2024-02-11",
                "snippet": "Third late delivery this quarter; John Carter says patience is running out.",
            },
            {
                "record_id": "acme-5",
                "channel": "email",
                "timestamp": "2024-03-02",
                "snippet": "Complaint: shipment arrived 6 days late and two cartons were damaged.",
            },
            {
                "record_id": "acme-7",
                "channel": "note",
                "timestamp": "2024-04-05",
                "snippet": "No purchase order received in the last 97 days.",
            },
        ],
        "knowledge": [
            {
                "record_id": "kb-sla-1",
                "title": "Delivery SLA policy",
                "snippet": "Late deliveries beyond 5 days entitle the customer to a 10% credit "
                "under the contract.",
            },
        ],
        "n_scripts": 3,
        "strategies": [],
        "flags": [],
    }


def credit_context_zh() -> dict[str, Any]:
    """Return a Chinese ``compose`` context for a credit recommendation."""
    return {
        "task": "compose",
        "language": "zh",
        "question": "这家诊所能给多少授信额度？",
        "customer": {"customer_id": "K001", "name": "明德口腔诊所"},
        "decision": {
            "type": "credit_recommendation",
            "label": "approve_with_conditions",
            "score": 0.62,
            "factors": [
                {
                    "name": "cash_flow_stability",
                    "label": "现金流稳定性",
                    "weight": 45.0,
                    "direction": "positive",
                    "value": 38,
                    "evidence": ["k-1"],
                    "rationale": "POS月流水稳定",
                },
                {
                    "name": "debt_ratio",
                    "label": "负债水平",
                    "weight": 30.0,
                    "direction": "negative",
                    "value": 0.55,
                    "evidence": ["k-2"],
                    "rationale": "负债率偏高",
                },
                {
                    "name": "repayment_history",
                    "label": "还款记录",
                    "weight": 25.0,
                    "direction": "positive",
                    "value": 12,
                    "evidence": ["k-3"],
                    "rationale": "历史还款按时",
                },
            ],
            "details": {"limit": 300000, "currency": "CNY", "term_months": 12},
        },
        "evidence": [
            {
                "record_id": "k-1",
                "channel": "note",
                "timestamp": "2024-05-01",
                "snippet": "近6个月POS月均流水38万元，波动小。",
            },
            {
                "record_id": "k-2",
                "channel": "note",
                "timestamp": "2024-05-02",
                "snippet": "资产负债率0.55，另有设备融资租赁。",
            },
            {
                "record_id": "k-3",
                "channel": "note",
                "timestamp": "2024-05-03",
                "snippet": "过去12期贷款均按时还款。",
            },
        ],
        "knowledge": [
            {
                "record_id": "kb-credit-1",
                "title": "小微授信材料清单",
                "snippet": "申请授信须提供营业执照、近一年银行流水和财务报表，并授权征信查询。",
            },
        ],
        "n_scripts": 3,
        "strategies": [],
        "flags": [],
    }
