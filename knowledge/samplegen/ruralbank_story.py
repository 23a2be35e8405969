"""Tenant ``ruralbank``: scripted stories (林记超市's 50万 loan, a volatile payer, a 300万 ask), queries."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from samplegen import ruralbank as rb
from samplegen.common import (
    Customer,
    Query,
    TenantData,
    add_pii,
    at,
    bank_card,
    cn_id,
    cn_mobile,
    fmt_mobile,
    record,
)
from samplegen.docs import RURALBANK_DOCS
from samplegen.pii import sprinkle_zh
from samplegen.ruralbank_legacy import legacy_records

LIN_FLOWS = [182000, 195000, 188000, 201000, 193000, 186000]  # 2026-05 .. 2026-10
ZHOU_FLOWS = [232000, 71000, 168000, 64000, 241000, 98000]
FENG_FLOWS = [386000, 412000, 398000, 441000, 405000, 389000]


def _months(flows: list[int], key: str = "pos_flow", start: int = 5) -> list[dict[str, Any]]:
    return [{"month": f"2026-{start + i:02d}", key: f} for i, f in enumerate(flows)]


def lin(rng: random.Random, c: Customer, ids: rb.LoanIds) -> dict[str, Any]:
    """Return 林记超市's scripted records."""
    s: dict[str, Any] = {}
    s["lin_pos"] = [
        record(
            c,
            "note",
            at(2026, 8, 3, 9, 12),
            "internal",
            "5—7月POS流水：5月18.2万，6月19.5万，7月18.8万，月均约18.8万。扫码收款占七成，笔均六十元上下，"
            "流水和店里进货量对得上。",
            author=rb.POS_SYS,
            subject="POS流水季度汇总",
            tags=["POS流水"],
            fields={"pos_monthly_flow": _months(LIN_FLOWS[:3])},
        ),
        record(
            c,
            "note",
            at(2026, 11, 2, 9, 5),
            "internal",
            "8—10月收单汇总：8月20.1万，9月19.3万，10月18.6万。三个月里没有闭店，周末略高，未见大额异常交易。",
            author=rb.POS_SYS,
            subject="POS流水季度汇总",
            tags=["POS流水"],
            fields={"pos_monthly_flow": _months(LIN_FLOWS[3:], start=8)},
        ),
    ]
    loan = "LN-2025-00318"
    ids.used.add(loan)
    s["lin_loan"] = loan
    repay = [
        rb.repayment(rng, c, loan, due, 2325.0, "利息", 0, "黄志强")
        for due in (date(2025, 12, 21), date(2026, 3, 21), date(2026, 6, 21), date(2026, 9, 18))
    ]
    repay.append(
        record(
            c,
            "payment",
            at(2026, 9, 18, 10, 40),
            "inbound",
            f"林老板提前三天归还{loan}本金20万元，贷款结清，存续期间无逾期。",
            author="黄志强",
            contact="林老板",
            subject=f"{loan} 到期还本",
            amount=200000,
            currency="CNY",
            product="经营贷",
            tags=["还款", "结清"],
            fields={
                "loan_id": loan,
                "due_date": "2026-09-21",
                "paid_on": "2026-09-18",
                "paid_on_time": True,
                "days_late": 0,
                "installment": "本金",
            },
        )
    )
    s["lin_repay"] = repay
    s["lin_call"] = record(
        c,
        "call",
        at(2026, 11, 4, 18, 30),
        "inbound",
        "林老板来电问春节前能不能贷50万备年货，顺便把店里的冷柜换了。告诉他原来那笔贷款结清记录很好，"
        "可以走经营贷，"
        "让他准备营业执照、身份证和近半年的收单流水。",
        author="黄志强",
        contact="林老板",
        subject="贷款咨询",
        tags=["咨询", "经营贷"],
    )
    s["lin_visit"] = record(
        c,
        "note",
        at(2026, 11, 10, 15, 20),
        "internal",
        "贷前调查林记超市：店面约260平米，在青山镇菜场对面，两个收银台，林老板做了十一年。近6个月POS流水在18."
        "2万到20.1万"
        "之间，月均约19.1万，波动很小；按月均流水×3测算，授信上限约57万，申请50万在政策范围内。"
        "原20万贷款9月已结清，"
        "从未逾期。建议同意，期限12个月，按季付息到期还本。",
        author="黄志强",
        contact="林老板",
        subject="贷前调查",
        tags=["走访", "贷前调查"],
        fields={
            "visit_type": "贷前调查",
            "pos_monthly_flow": _months(LIN_FLOWS),
            "recommendation": "approve",
        },
    )
    s["lin_app"] = record(
        c,
        "application",
        at(2026, 11, 12, 10, 0),
        "inbound",
        "林老板正式提交经营贷申请50万元，期限12个月，按季付息到期还本。用途：春节前备货约35万，"
        "更换冷柜和收银系统约15万。"
        f"原贷款{loan}已结清，无逾期。",
        author="黄志强",
        contact="林老板",
        subject="贷款申请 SQ-2026-1107",
        amount=500000,
        currency="CNY",
        product="经营贷",
        tags=["贷款申请"],
        fields={
            "application_no": "SQ-2026-1107",
            "requested_amount": 500000,
            "purpose": "春节备货及更换冷链设备",
            "term_months": 12,
            "status": "under_review",
        },
    )
    s["lin_other"] = [
        record(
            c,
            "note",
            at(2026, 3, 15, 16, 0),
            "internal",
            "贷后检查：林记超市正常营业，货架满，林老板说开春以后生意稳定，暂时没有资金需求。",
            author="黄志强",
            contact="林老板",
            subject="贷后检查",
            tags=["走访"],
        ),
        record(
            c,
            "call",
            at(2026, 6, 17, 11, 30),
            "outbound",
            "提醒陈姐下周21号扣季度利息，账户留足余额。陈姐说店里账户一直有钱。",
            author="黄志强",
            contact="陈姐",
            subject="还款提醒",
            tags=["还款提醒"],
        ),
    ]
    return s


def zhou(rng: random.Random, c: Customer, ids: rb.LoanIds) -> dict[str, Any]:
    """Return 周记水产's records: volatile flow and late repayments."""
    s: dict[str, Any] = {}
    s["zhou_pos"] = [
        record(
            c,
            "note",
            at(2026, 8, 4, 9, 30),
            "internal",
            "5—7月POS流水：5月23.2万，6月7.1万，7月16.8万。6月禁渔期货源少，流水掉得厉害。",
            author=rb.POS_SYS,
            subject="POS流水季度汇总",
            tags=["POS流水"],
            fields={"pos_monthly_flow": _months(ZHOU_FLOWS[:3])},
        ),
        record(
            c,
            "note",
            at(2026, 11, 3, 9, 40),
            "internal",
            "8—10月收单：8月6.4万，9月24.1万，10月9.8万。9月开海后集中出货，其余月份大量交易走个人微信收款，"
            "没有进POS。",
            author=rb.POS_SYS,
            subject="POS流水季度汇总",
            tags=["POS流水"],
            fields={"pos_monthly_flow": _months(ZHOU_FLOWS[3:], start=8)},
        ),
    ]
    loan = "LN-2025-00412"
    ids.used.add(loan)
    reasons = {
        1: (12, "周老板说下游酒店回款拖了。"),
        3: (8, "周老板说钱压在冷库的货上。"),
        4: (35, "多次电话未接，上门才找到人，10月中旬才补上。"),
        5: (5, ""),
    }
    repay = rb.schedule(rng, c, loan, 300000, "month", "吴丽", late=reasons, n=6, day=10, random_late=False)
    s["zhou_repay"] = repay
    s["zhou_late"] = [r for r in repay if not r["fields"]["paid_on_time"]]
    s["zhou_app"] = record(
        c,
        "application",
        at(2026, 9, 2, 14, 0),
        "inbound",
        "周老板申请增加20万周转资金，说开海以后要囤货。考虑到近期多次逾期，暂不受理，先把欠款还清再说。",
        author="吴丽",
        contact="周老板",
        subject="贷款申请 SQ-2026-0866",
        amount=200000,
        currency="CNY",
        product="经营贷",
        tags=["贷款申请"],
        fields={
            "application_no": "SQ-2026-0866",
            "requested_amount": 200000,
            "purpose": "开海备货周转",
            "term_months": 12,
            "status": "declined",
        },
    )
    s["zhou_risk"] = record(
        c,
        "note",
        at(2026, 10, 20, 16, 45),
        "internal",
        "风险复核：周记水产近6个月POS流水最低6.4万、最高24.1万，起伏很大，变异系数约0.5；半年内逾期4次，"
        "其中9月那期拖了35天。"
        "经营者把大量收款转到个人微信，流水不可靠。列入关注类，暂停新增授信，按月上门。",
        author=rb.RISK,
        contact="周老板",
        subject="风险复核",
        tags=["风险", "关注类"],
        fields={"risk_level": "watch", "pos_cv": 0.5, "late_count_6m": 4},
    )
    return s


def feng(rng: random.Random, c: Customer, ids: rb.LoanIds) -> dict[str, Any]:
    """Return 丰源生猪养殖场's records: a 300万 request far above its flow."""
    s: dict[str, Any] = {}
    s["feng_flow"] = record(
        c,
        "note",
        at(2026, 11, 5, 10, 0),
        "internal",
        "调取丰源养殖场对公账户近6个月销售回款：5月38.6万，6月41.2万，7月39.8万，8月44.1万，9月40.5万，"
        "10月38.9万，"
        "月均约40.5万，主要来自县肉联厂。",
        author="郑海",
        subject="结算流水",
        tags=["流水"],
        fields={"settlement_monthly_flow": _months(FENG_FLOWS, "flow")},
    )
    loan = "LN-2025-00205"
    ids.used.add(loan)
    s["feng_repay"] = rb.schedule(rng, c, loan, 800000, "quarter", "郑海", random_late=False)
    s["feng_app"] = record(
        c,
        "application",
        at(2026, 11, 6, 9, 30),
        "inbound",
        "冯场长申请固定资产贷款300万元，期限36个月，用途是新建两栋标准化猪舍，存栏从2000头扩到5000头。"
        "资金缺口他说自己能拿出80万，剩下靠贷款。",
        author="郑海",
        contact="冯场长",
        subject="贷款申请 SQ-2026-1093",
        amount=3000000,
        currency="CNY",
        product="固定资产贷款",
        tags=["贷款申请", "大额"],
        fields={
            "application_no": "SQ-2026-1093",
            "requested_amount": 3000000,
            "purpose": "新建猪舍扩大存栏",
            "term_months": 36,
            "status": "under_review",
        },
    )
    s["feng_collateral"] = record(
        c,
        "note",
        at(2026, 11, 11, 15, 0),
        "internal",
        "抵押物：场区土地经营权（流转合同剩余14年）及现有猪舍，评估价180万元，按七成抵押率只能覆盖126万。"
        "县农业融资担保公司初步同意担保100万，意向函还没出。",
        author="郑海",
        contact="冯场长",
        subject="担保与抵押",
        tags=["担保", "抵押"],
        fields={"collateral": "土地经营权及猪舍", "appraised_value": 1800000},
    )
    s["feng_risk"] = record(
        c,
        "note",
        at(2026, 11, 16, 17, 10),
        "internal",
        "风险经理意见：丰源申请300万，是月均结算流水（约40.5万）的7倍多，远超流水×3的上限；"
        "抵押足值部分126万，缺口大。"
        "生猪价格在下行周期，扩栏后回款周期拉长。按政策须报总行授信审批委员会。建议额度压到120万以内，"
        "或分两期投放并追加担保。",
        author=rb.RISK,
        contact="冯场长",
        subject="风险复核意见",
        tags=["风险", "大额"],
        fields={"risk_level": "high", "recommendation": "reduce", "cap_by_flow": 1215000},
    )
    s["feng_visit"] = record(
        c,
        "note",
        at(2026, 10, 30, 11, 0),
        "internal",
        "走访丰源养殖场：现存栏约2000头，防疫记录齐全，新猪舍的地已经平整好。"
        "冯场长说肉联厂愿意签三年收购协议，但还没落到纸面。",
        author="郑海",
        contact="冯场长",
        subject="走访记录",
        tags=["走访"],
    )
    return s


def fee_complaints(hs: dict[str, Customer]) -> list[dict[str, Any]]:
    """Return the planted fee and double-debit complaints."""
    return [
        record(
            hs["rb-chengxin-mart"],
            "ticket",
            at(2026, 7, 8, 10, 15),
            "inbound",
            "程老板投诉：POS手续费比合同约定的多扣了0.1个点，6月一个月就多扣了三百多块，要求退还。核实属实，"
            "已退。",
            author="网点客服",
            contact="程老板",
            subject="客户投诉",
            tags=["投诉", "手续费"],
            fields={"status": "resolved", "category": "手续费"},
        ),
        record(
            hs["rb-song-hotpot"],
            "ticket",
            at(2026, 9, 23, 14, 50),
            "inbound",
            "宋老板说9月那期贷款被扣了两次，账上少了一万多，很生气。查系统是批扣重复，当天冲正并致歉。",
            author="网点客服",
            contact="宋老板",
            subject="重复扣款投诉",
            tags=["投诉", "扣款"],
            fields={"status": "resolved", "category": "扣款"},
        ),
        record(
            hs["rb-baiyun-laundry"],
            "ticket",
            at(2026, 4, 12, 9, 40),
            "inbound",
            "白阿姨反映每个月被扣短信通知服务费，她说从来没开通过。已关闭该服务并退还近半年费用。",
            author="网点客服",
            contact="白阿姨",
            subject="服务费投诉",
            tags=["投诉", "手续费"],
            fields={"status": "resolved", "category": "手续费"},
        ),
    ]


def build(rng: random.Random) -> TenantData:
    """Generate the ruralbank tenant."""
    cs = rb.customers()
    hs = {c.customer_id: c for c in cs}
    ids = rb.LoanIds()
    s: dict[str, Any] = {}
    s.update(lin(rng, hs["rb-lin-supermarket"], ids))
    s.update(zhou(rng, hs["rb-zhou-seafood"], ids))
    s.update(feng(rng, hs["rb-fengyuan-pig-farm"], ids))
    s["fee_complaints"] = fee_complaints(hs)
    records: list[dict[str, Any]] = []
    for key, v in s.items():
        if key == "zhou_late":
            continue
        if isinstance(v, dict):
            records.append(v)
        elif isinstance(v, list):
            records.extend(v)
    records += rb.background(rng, cs, ids)
    num = cn_id(rng, 1975, 1982)
    card = bank_card(rng, "622848", 19)
    add_pii(s["lin_app"], f"申请人身份证号{num}，放款账户{card}。", [("CN_ID", num), ("BANK_CARD", card)])
    mob = fmt_mobile(rng, cn_mobile(rng))
    add_pii(s["feng_collateral"], f"担保公司对接人电话{mob}。", [("PHONE", mob)])
    sprinkle_zh(rng, records, "ruralbank")
    legacy = legacy_records(rng, hs)
    lin_settled = legacy[0]
    q = [
        Query("zh", "林记超市近半年POS流水", s["lin_pos"] + [s["lin_visit"]], "keyword"),
        Query(
            "zh", "林老板申请50万经营贷的情况", [s["lin_app"], s["lin_visit"], s["lin_call"]], "paraphrase"
        ),
        Query("zh", f"{s['lin_loan']}的还款情况", s["lin_repay"], "identifier"),
        Query(
            "zh",
            "林记超市2024年那笔贷款是什么时候结清的",
            [lin_settled],
            "paraphrase",
            {"customer_id": "rb-lin-supermarket"},
        ),
        Query("zh", "周记水产最近哪几期还款逾期了", s["zhou_late"], "keyword"),
        Query("zh", "周记水产近半年POS流水波动大不大", s["zhou_pos"] + [s["zhou_risk"]], "paraphrase"),
        Query(
            "zh",
            "丰源养殖场300万贷款申请有哪些风险点",
            [s["feng_app"], s["feng_risk"], s["feng_collateral"]],
            "cross_channel",
        ),
        Query("zh", "丰源猪场拿什么做抵押", [s["feng_collateral"]], "paraphrase"),
        Query("zh", "哪些客户投诉过多扣手续费或者重复扣款", s["fee_complaints"], "paraphrase"),
        Query(
            "en",
            "Lin's supermarket card and QR payment turnover over the last six months",
            s["lin_pos"] + [s["lin_visit"]],
            "paraphrase",
        ),
        Query(
            "en",
            "Which loan repayments were more than 30 days overdue?",
            [r for r in records if r["fields"].get("days_late", 0) > 30],
            "paraphrase",
        ),
        Query(
            "en",
            "risk review of the 3 million yuan pig farm expansion loan",
            [s["feng_app"], s["feng_risk"], s["feng_collateral"]],
            "cross_channel",
        ),
    ]
    return TenantData("ruralbank", "rb", cs, records, RURALBANK_DOCS, q, legacy=legacy)
