"""Tenant ``ruralbank``: ~30 older records as exported by the core-banking tool (written as GB18030 CSV)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from samplegen.common import Customer, add_pii, at, cn_id, on_day, rand_day, record

EXPORTER = "信贷核心系统V3"


def legacy_records(rng: random.Random, hs: dict[str, Customer]) -> list[dict[str, Any]]:
    """Return the legacy export rows; the first is 林记超市's 2024 loan settlement."""
    lin = hs["rb-lin-supermarket"]
    out = [
        record(
            lin,
            "note",
            at(2025, 9, 20, 15, 2),
            "internal",
            "贷款LN-2024-00127结清：本金150000.00元，利息已全部结清，存续期间无逾期，结清证明已打印交客户。",
            author=EXPORTER,
            contact="林老板",
            subject="贷款结清 LN-2024-00127",
            amount=150000,
            currency="CNY",
            product="经营贷",
            tags=["结清", "核心系统导出"],
            fields={"loan_id": "LN-2024-00127", "settled_on": "2025-09-20", "max_days_late": 0},
        ),
        record(
            lin,
            "note",
            at(2024, 9, 23, 10, 30),
            "internal",
            "经营贷LN-2024-00127放款150000.00元，期限12个月，按季付息到期还本，利率4.65%。",
            author=EXPORTER,
            contact="林老板",
            subject="放款 LN-2024-00127",
            amount=150000,
            currency="CNY",
            product="经营贷",
            tags=["放款", "核心系统导出"],
            fields={"loan_id": "LN-2024-00127", "term_months": 12, "rate": 0.0465},
        ),
        record(
            lin,
            "note",
            at(2025, 9, 21, 9, 45),
            "internal",
            "经营贷LN-2025-00318放款200000.00元，期限12个月，按季付息到期还本。",
            author=EXPORTER,
            contact="林老板",
            subject="放款 LN-2025-00318",
            amount=200000,
            currency="CNY",
            product="经营贷",
            tags=["放款", "核心系统导出"],
            fields={"loan_id": "LN-2025-00318", "term_months": 12, "rate": 0.0465},
        ),
    ]
    others = [c for cid, c in hs.items() if cid not in ("rb-lin-supermarket",)]
    seq = 100
    while len(out) < 30:
        c = rng.choice(others)
        seq += rng.randint(3, 40)
        kind = rng.randint(0, 3)
        d = rand_day(rng, date(2023, 6, 1), date(2025, 10, 31))
        lid = f"LN-{d.year if kind == 0 else max(2022, d.year - rng.randint(0, 1))}-{seq:05d}"
        amount = rng.choice((30, 50, 80, 100, 150, 200, 300)) * 1000
        who = c.contacts[0].name
        if kind == 0:
            rec = record(
                c,
                "note",
                on_day(rng, d),
                "internal",
                f"放款{amount:.2f}元，贷款编号{lid}，期限{rng.choice((12, 24, 36))}个月。",
                author=EXPORTER,
                contact=who,
                subject=f"放款 {lid}",
                amount=amount,
                currency="CNY",
                product="经营贷",
                tags=["放款", "核心系统导出"],
                fields={"loan_id": lid},
            )
        elif kind == 1:
            days = rng.choice((0, 0, 0, 0, 3, 17))
            rec = record(
                c,
                "payment",
                on_day(rng, d),
                "inbound",
                f"{lid}还款{amount / 24:.2f}元" + ("，正常。" if days == 0 else f"，逾期{days}天。"),
                author=EXPORTER,
                contact=who,
                subject=f"还款 {lid}",
                amount=round(amount / 24, 2),
                currency="CNY",
                product="经营贷",
                tags=["还款", "核心系统导出"],
                fields={"loan_id": lid, "paid_on_time": days == 0, "days_late": days},
            )
        elif kind == 2:
            rec = record(
                c,
                "note",
                on_day(rng, d),
                "internal",
                f"贷款{lid}结清，本金{amount:.2f}元。",
                author=EXPORTER,
                contact=who,
                subject=f"结清 {lid}",
                amount=amount,
                currency="CNY",
                product="经营贷",
                tags=["结清", "核心系统导出"],
                fields={"loan_id": lid},
            )
        else:
            rec = record(
                c,
                "note",
                on_day(rng, d),
                "internal",
                f"客户信息变更：{who}更新经营地址为"
                f"{c.region}{rng.choice(('新街', '老街', '工业路', '菜场路'))}"
                f"{rng.randint(2, 188)}号。",
                author=EXPORTER,
                contact=who,
                subject="客户信息变更",
                tags=["信息变更", "核心系统导出"],
            )
        out.append(rec)
    add_pii(out[5], "保证人邝䶮，身份证已核验。", [])
    for rec in (out[8], out[17], out[26]):
        num = cn_id(rng)
        add_pii(rec, f"证件号码{num}。", [("CN_ID", num)])
    return out
