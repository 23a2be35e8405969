"""A small bilingual tenant (hospital sales + rural bank customers) built in memory for service-level tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

TZ = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)

CUSTOMERS: list[dict[str, Any]] = [
    {"customer_id": "hz-first", "name": "杭州市第一人民医院", "aliases": ["杭州一院"],
     "contacts": [{"name": "张主任", "title": "骨科主任"}], "region": "CN-ZJ"},
    {"customer_id": "sz-second", "name": "苏州大学附属第二医院", "aliases": ["苏大附二院"],
     "contacts": [{"name": "张医生", "title": "骨科医生"}, {"name": "李主任", "title": "麻醉科主任"}], "region": "CN-JS"},
    {"customer_id": "nj-drum", "name": "南京鼓楼医院", "aliases": [],
     "contacts": [{"name": "李主任", "title": "检验科主任"}], "region": "CN-JS"},
    {"customer_id": "rb-lin", "name": "林记超市", "aliases": ["林记"], "contacts": [{"name": "林老板", "title": "店主"}]},
    {"customer_id": "rb-wave", "name": "浪花养殖场", "aliases": [], "contacts": [{"name": "周老板", "title": "场主"}]},
    {"customer_id": "rb-big", "name": "宏达农资公司", "aliases": ["宏达农资"], "contacts": [{"name": "吴总", "title": "总经理"}]},
]


def _ts(days_ago: float) -> str:
    return (AS_OF - timedelta(days=days_ago)).isoformat()


def records() -> list[dict[str, Any]]:
    """The tenant's interaction records (deterministic)."""
    out: list[dict[str, Any]] = []
    n = 0

    def add(cid: str, name: str, channel: str, days: float, text: str, **kw: Any) -> str:
        nonlocal n
        n += 1
        rid = f"t-{n:04d}"
        out.append({"id": rid, "customer_id": cid, "customer_name": name, "channel": channel,
                    "timestamp": _ts(days), "text": text, **kw})
        return rid

    hz = "杭州市第一人民医院"
    for m in range(12):
        add("hz-first", hz, "order", 30 * m + 20, f"骨科耗材常规订货第{12 - m}批，创伤钉板与缝合锚钉。",
            amount=180000 + 5000 * (m % 3), currency="CNY", product="骨科耗材", department="骨科", direction="inbound")
    add("hz-first", hz, "note", 40, "骨科手术量持续上升，月手术量约420台，比去年同期多两成。", department="骨科",
        fields={"surgery_volume_monthly": 420})
    add("hz-first", hz, "call", 25, "竞品康骨医疗在本院骨科铺货，报价比我们低8%，张主任提到同事在试用。",
        contact_name="张主任", fields={"competitor": "康骨医疗"}, direction="inbound")
    add("hz-first", hz, "quote", 7, "张主任拒签了骨科耗材报价单：认为价格偏高，且需符合省集采带量采购目录价格。"
        "联系电话13812345678。", contact_name="张主任", amount=1260000, currency="CNY", product="骨科耗材",
        department="骨科", direction="inbound",
        fields={"quote_status": "rejected", "objection": "price", "competitor": "康骨医疗"})
    add("hz-first", hz, "meeting", 3, "与张主任沟通下季度骨科耗材需求，希望提供集采目录内型号对照表。",
        contact_name="张主任", direction="outbound")
    sz = "苏州大学附属第二医院"
    add("sz-second", sz, "quote", 12, "麻醉科监护耗材报价被李主任退回，要求补充资质文件。", contact_name="李主任",
        amount=230000, currency="CNY", fields={"quote_status": "rejected", "objection": "qualification"})
    add("sz-second", sz, "order", 60, "张医生所在骨科订购关节假体试用装。", contact_name="张医生", amount=52000,
        currency="CNY", product="关节假体")
    add("nj-drum", "南京鼓楼医院", "call", 9, "李主任询问检验科试剂的到货周期。", contact_name="李主任")
    add("nj-drum", "南京鼓楼医院", "order", 50, "检验科试剂年度框架订单。", amount=400000, currency="CNY")
    months = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    lin_flow = [186000, 192000, 188500, 195000, 190200, 193400]
    for i, (mth, flow) in enumerate(zip(months, lin_flow, strict=True)):
        add("rb-lin", "林记超市", "note", 170 - 30 * i, f"林记超市{mth} POS收单流水{flow}元，经营稳定。",
            fields={"pos_monthly_flow": [{"month": mth, "pos_flow": flow}]})
        add("rb-lin", "林记超市", "payment", 165 - 30 * i, f"林记超市第{i + 1}期贷款按时还款。",
            amount=21000, currency="CNY", fields={"paid_on_time": True, "days_late": 0, "loan_id": "L-2025-0042"})
    add("rb-lin", "林记超市", "note", 5, "林老板申请50万元经营贷，用于年底备货，期限12个月。", contact_name="林老板",
        fields={"requested_amount": 500000, "purpose": "备货", "term_months": 12})
    wave_flow = [40000, 210000, 15000, 160000, 30000, 90000]
    for i, (mth, flow) in enumerate(zip(months, wave_flow, strict=True)):
        add("rb-wave", "浪花养殖场", "note", 168 - 30 * i, f"浪花养殖场{mth} POS流水{flow}元，波动较大。",
            fields={"pos_monthly_flow": [{"month": mth, "pos_flow": flow}]})
        late = i % 2 == 1
        add("rb-wave", "浪花养殖场", "payment", 160 - 30 * i,
            "浪花养殖场本期还款逾期。" if late else "浪花养殖场本期按时还款。", amount=15000, currency="CNY",
            fields={"paid_on_time": not late, "days_late": 21 if late else 0, "loan_id": "L-2025-0077"})
    add("rb-wave", "浪花养殖场", "note", 6, "周老板申请30万元贷款扩建鱼塘。", contact_name="周老板",
        fields={"requested_amount": 300000, "term_months": 24})
    for i, (mth, flow) in enumerate(zip(months, [820000, 845000, 810000, 860000, 838000, 851000], strict=True)):
        add("rb-big", "宏达农资公司", "note", 169 - 30 * i, f"宏达农资{mth} POS流水{flow}元。",
            fields={"pos_monthly_flow": [{"month": mth, "pos_flow": flow}]})
        add("rb-big", "宏达农资公司", "payment", 161 - 30 * i, "宏达农资按时还款。", amount=60000, currency="CNY",
            fields={"paid_on_time": True, "days_late": 0})
    add("rb-big", "宏达农资公司", "note", 4, "吴总申请300万元流动资金贷款，用于春耕化肥集中采购。", contact_name="吴总",
        fields={"requested_amount": 3000000, "term_months": 12})
    return out
