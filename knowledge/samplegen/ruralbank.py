"""Tenant ``ruralbank``: a rural commercial bank lending to small businesses and farmers (Chinese)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from samplegen.common import (
    Contact,
    Customer,
    add_months,
    add_pii,
    compose,
    load_table,
    on_day,
    rand_day,
    record,
    uscc,
    wan,
)

OFFICERS = {"青山镇": "黄志强", "石桥镇": "吴丽", "溪口镇": "郑海", "双河乡": "何敏", "城关镇": "许文杰"}
RISK = "罗婷"
CORE = "信贷核心系统"
POS_SYS = "收单系统"

_C = load_table("ruralbank_borrowers.json")
STORY = {"rb-lin-supermarket", "rb-zhou-seafood", "rb-fengyuan-pig-farm"}
MONTHS6 = [date(2026, m, 1) for m in range(5, 11)]
MONTHS12 = [add_months(date(2025, 11, 1), i) for i in range(12)]


def customers() -> list[Customer]:
    """Return the borrower directory."""
    out = []
    for row in _C:
        out.append(
            Customer(
                row["customer_id"],
                row["name"],
                row["aliases"],
                [Contact(c["name"], c["title"], c["role"]) for c in row["contacts"]],
                row["region"],
                row["segment"],
                extra={
                    "biz": row["business"],
                    "pos": row["pos_base"],
                    "vol": row["pos_volatility"],
                    "loan": row["loan"],
                    "cycle": row["repay_cycle"],
                },
            )
        )
    return out


def _flows(rng: random.Random, base: int, vol: float, months: list[date]) -> list[int]:
    out = []
    for d in months:
        season = 1.0
        if d.month in (1, 2):
            season = 1.25
        factor = max(0.25, rng.gauss(1.0, vol)) * season
        out.append(round(base * factor / 100.0) * 100)
    return out


def pos_records(
    rng: random.Random,
    c: Customer,
    months: list[date],
    flows: list[int],
    quarterly: bool,
    author: str = POS_SYS,
) -> list[dict[str, Any]]:
    """Return POS settlement records, one per month or one per quarter."""
    out = []
    if not quarterly:
        prev = None
        for d, f in zip(months, flows, strict=True):
            when = on_day(rng, add_months(d, 1) + timedelta(days=rng.randint(0, 3)), start=8, end=10)
            txn = max(40, int(f / rng.uniform(55, 140)))
            opts = [
                f"{d.month}月POS收单{wan(f)}元，共{txn}笔，笔均{f / txn:.0f}元。",
                f"收单月结｜{d.year}-{d.month:02d}｜{f:,}元｜{txn}笔。",
                f"{c.name}{d.month}月刷卡及扫码收款合计{f}元。",
            ]
            text = rng.choice(opts)
            if prev:
                ch = (f - prev) / prev * 100
                text += rng.choice([f"环比{'增长' if ch >= 0 else '下降'}{abs(ch):.1f}%。", ""])
            prev = f
            out.append(
                record(
                    c,
                    "note",
                    when,
                    "internal",
                    text,
                    author=author,
                    subject=f"POS收单月结 {d.month}月",
                    tags=["POS流水"],
                    fields={"pos_monthly_flow": [{"month": f"{d.year}-{d.month:02d}", "pos_flow": f}]},
                )
            )
        return out
    for i in range(0, len(months), 3):
        ms, fs = months[i : i + 3], flows[i : i + 3]
        when = on_day(rng, add_months(ms[-1], 1) + timedelta(days=rng.randint(1, 6)))
        parts = "，".join(f"{d.month}月{wan(f)}" for d, f in zip(ms, fs, strict=True))
        avg = sum(fs) / len(fs)
        core = rng.choice(
            [
                f"{ms[0].month}—{ms[-1].month}月POS流水：{parts}，月均约{wan(avg)}。",
                f"调取{c.name}近三个月收单数据：{parts}。",
                f"POS季度汇总（{ms[0].year}年{ms[0].month}—{ms[-1].month}月）{parts}。",
            ]
        )
        opt = [
            "微信、支付宝扫码占六成左右。",
            "流水主要集中在周末和月初。",
            f"期间有{rng.randint(1, 4)}天闭店。",
            "未发现大额异常交易。",
            "与店内进货单据基本匹配。",
        ]
        out.append(
            record(
                c,
                "note",
                when,
                "internal",
                compose(rng, [core], opt, 1, 3),
                author=author,
                subject="POS流水季度汇总",
                tags=["POS流水"],
                fields={
                    "pos_monthly_flow": [
                        {"month": f"{d.year}-{d.month:02d}", "pos_flow": f}
                        for d, f in zip(ms, fs, strict=True)
                    ]
                },
            )
        )
    return out


class LoanIds:
    """Hand out loan ids LN-<year>-<5 digits>."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, rng: random.Random, year: int) -> str:
        while True:
            s = f"LN-{year}-{rng.randint(100, 990):05d}"
            if s not in self.used:
                self.used.add(s)
                return s


def repayment(
    rng: random.Random,
    c: Customer,
    loan_id: str,
    due: date,
    amount: float,
    kind: str,
    days_late: int,
    officer: str,
    reason: str = "",
) -> dict[str, Any]:
    """Return one repayment record."""
    paid = due + timedelta(days=days_late)
    on_time = days_late == 0
    money = f"{amount:,.2f}元"
    if on_time:
        text = rng.choice(
            [
                f"{loan_id} {due.month}月{kind}{money}到期日自动扣款成功。",
                f"贷款{loan_id}本期{kind}{money}已按时归还（{due.month}月{due.day}日）。",
                f"{due:%Y-%m-%d}应还{kind}{money}，当日足额扣收（{loan_id}）。",
                f"{c.name}{due.month}月{kind}{money}正常入账（{loan_id}）。",
                f"批扣成功｜{loan_id}｜{due:%Y%m%d}｜{kind}{money}。",
            ]
        )
        author = CORE
    else:
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"{loan_id} {due:%Y-%m-%d}应还{kind}{money}，账户余额不足扣款失败，"
                        f"{paid.month}月{paid.day}日补缴，逾期{days_late}天。",
                        f"{c.name}本期{kind}{money}逾期{days_late}天，{paid:%m-%d}结清，已计收罚息。",
                    ]
                )
            ],
            [reason]
            if reason
            else [
                f"已电话提醒{c.contacts[0].name}。",
                "已计入征信逾期记录。",
                f"{c.contacts[0].name}说是回款没到账。",
            ],
            1,
            3,
        )
        author = officer
    return record(
        c,
        "payment",
        on_day(rng, paid, start=7, end=20),
        "inbound",
        text,
        author=author,
        contact=c.contacts[0].name if not on_time else None,
        subject=f"{loan_id} 还款",
        amount=amount,
        currency="CNY",
        product="经营贷",
        tags=["还款"] + ([] if on_time else ["逾期"]),
        fields={
            "loan_id": loan_id,
            "due_date": due.isoformat(),
            "paid_on": paid.isoformat(),
            "paid_on_time": on_time,
            "days_late": days_late,
            "installment": kind,
        },
    )


def schedule(
    rng: random.Random,
    c: Customer,
    loan_id: str,
    principal: int,
    cycle: str,
    officer: str,
    late: dict[int, tuple[int, str]] | None = None,
    n: int | None = None,
    day: int | None = None,
    random_late: bool = True,
) -> list[dict[str, Any]]:
    """Return recent repayments of a loan (monthly: 4–6 months; quarterly: 4 quarters)."""
    late = late or {}
    out = []
    day = day or rng.choice((5, 10, 15, 20, 21, 25))
    p_late = 0.04 if random_late else 0.0
    rate = rng.choice((0.0435, 0.0465, 0.0520, 0.0555))
    if cycle == "month":
        count = n or rng.randint(4, 6)
        for i in range(count):
            due = date(2026, 10 - count + 1 + i, day)
            amount = round(principal / 36 + principal * rate / 12, 2)
            d_late = (
                late.get(i, (0, ""))[0] if i in late else (rng.randint(1, 9) if rng.random() < p_late else 0)
            )
            out.append(
                repayment(rng, c, loan_id, due, amount, "本息", d_late, officer, late.get(i, (0, ""))[1])
            )
    else:
        for i, mo in enumerate((12, 3, 6, 9)):
            due = date(2025 if mo == 12 else 2026, mo, day)
            amount = round(principal * rate / 4, 2)
            d_late = (
                late.get(i, (0, ""))[0] if i in late else (rng.randint(1, 6) if rng.random() < p_late else 0)
            )
            out.append(
                repayment(rng, c, loan_id, due, amount, "利息", d_late, officer, late.get(i, (0, ""))[1])
            )
    return out


VISIT_OBS = {
    "default": [
        "店面位置在镇上主街，人流稳定。",
        "经营者本人在店，精神状态不错。",
        "库存摆放整齐，进货单据齐全。",
        "家里还有{n}亩承包地，农忙时请人打理。",
        "配偶在镇上上班，家庭收入稳定。",
        "说今年生意比去年好一点。",
        "对手机银行不太会用，教了一遍。",
        "提到隔壁新开了一家同类店，有竞争。",
    ],
    "养殖": [
        "存栏量和上次走访差不多。",
        "防疫记录齐全，消毒通道有人管。",
        "饲料价格上涨，利润被压缩。",
        "粪污处理设施去年刚改造过。",
    ],
    "种植": ["今年雨水偏多，产量受了点影响。", "和县里两家超市签了供货协议。", "准备扩种{n}亩。"],
    "餐饮": ["中午饭点客人坐满七成。", "周末有旅游团订餐。", "后厨卫生合格，证照齐全。"],
}


def visit(rng: random.Random, c: Customer, d: date) -> dict[str, Any]:
    """Return a 客户经理 visit note."""
    biz = str(c.extra["biz"])
    key = (
        "养殖"
        if "养殖" in biz or biz in ("禽苗孵化", "养蜂")
        else (
            "种植"
            if "种植" in biz or biz in ("苗木", "茶叶")
            else ("餐饮" if biz in ("餐饮", "农家乐") else "")
        )
    )
    pool = VISIT_OBS["default"] + (VISIT_OBS[key] if key else [])
    pool = [p.replace("{n}", str(rng.randint(3, 30))) for p in pool]
    has_loan = bool(c.extra["loan"])
    core = rng.choice(
        [
            f"走访{c.name}，{c.contacts[0].name}在。",
            f"上门回访{c.contacts[0].name}。",
            f"路过{c.region}顺便去了{c.name}。",
        ]
        + ([f"贷后检查：{c.name}。"] if has_loan else [])
    )
    text = compose(rng, [core], pool, 2, 5)
    subject = "贷后检查" if core.startswith("贷后") else rng.choice(["走访记录", "客户回访"])
    return record(
        c,
        "note",
        on_day(rng, d),
        "internal",
        text,
        author=OFFICERS[c.region],
        contact=c.contacts[0].name,
        subject=subject,
        tags=["走访"],
    )


def call(rng: random.Random, c: Customer, d: date) -> dict[str, Any]:
    """Return a call record (reminder, marketing or inquiry)."""
    who = c.contacts[0].name
    kind = rng.randint(0, 3)
    if kind == 0:
        text = rng.choice(
            [
                f"提醒{who}本月{rng.choice([10, 15, 20])}号扣款，账户留足余额。{who}说知道了。",
                f"电话提醒{who}下期还款，对方说这两天就存进去。",
            ]
        )
        return record(
            c,
            "call",
            on_day(rng, d),
            "outbound",
            text,
            author=OFFICERS[c.region],
            contact=who,
            subject="还款提醒",
            tags=["还款提醒"],
        )
    if kind == 1:
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"给{who}介绍了丰收贷和收单费率优惠活动。",
                        f"向{who}推荐开通企业手机银行和POS费率优惠。",
                    ]
                )
            ],
            ["对方有兴趣，约了下周到网点。", "说再考虑考虑。", "要了产品资料。"],
            1,
            2,
        )
        return record(
            c,
            "call",
            on_day(rng, d),
            "outbound",
            text,
            author=OFFICERS[c.region],
            contact=who,
            subject="产品推荐",
            tags=["营销"],
        )
    if kind == 2:
        text = rng.choice(
            [
                f"{who}来电问续贷要准备哪些材料，已把清单发微信。",
                f"{who}打电话问能不能提前还一部分本金，告知提前还款不收违约金。",
                f"{who}咨询POS机换新，已登记。",
            ]
        )
        return record(
            c,
            "call",
            on_day(rng, d),
            "inbound",
            text,
            author=OFFICERS[c.region],
            contact=who,
            subject="客户咨询",
            tags=["咨询"],
        )
    text = rng.choice(
        [
            f"{who}问今年的贴息政策，答复农业经营主体可以申请县里的贴息，需要合作社证明。",
            f"{who}问贷款利率能不能再降一点，说隔壁银行给了更低的。已记录，报给支行。",
        ]
    )
    return record(
        c,
        "call",
        on_day(rng, d),
        "inbound",
        text,
        author=OFFICERS[c.region],
        contact=who,
        subject="利率咨询",
        tags=["咨询"],
    )


def application(
    rng: random.Random,
    c: Customer,
    d: date,
    amount: int,
    purpose: str,
    term: int,
    app_no: str,
    extra: str = "",
) -> dict[str, Any]:
    """Return a loan application record."""
    who = c.contacts[0].name
    core = rng.choice(
        [
            f"{who}申请经营贷{wan(amount)}元，用途：{purpose}，期限{term}个月。",
            f"受理{c.name}贷款申请（{app_no}），金额{wan(amount)}，{term}个月，主要用于{purpose}。",
            f"{c.name}提交{wan(amount)}贷款申请，用于{purpose}，申请期限{term}个月。",
        ]
    )
    opt = [
        "资料基本齐全，待补近6个月流水。",
        "已查征信，无不良记录。",
        "申请人愿意追加配偶作为共同还款人。",
        "已预约下周上门调查。",
    ]
    text = compose(rng, [core] + ([extra] if extra else []), opt, 1, 4)
    return record(
        c,
        "application",
        on_day(rng, d),
        "inbound",
        text,
        author=OFFICERS[c.region],
        contact=who,
        subject=f"贷款申请 {app_no}",
        amount=amount,
        currency="CNY",
        product="经营贷",
        tags=["贷款申请"],
        fields={
            "application_no": app_no,
            "requested_amount": amount,
            "purpose": purpose,
            "term_months": term,
            "status": "under_review"
            if (date(2026, 11, 19) - d).days < 30
            else rng.choice(["approved", "approved", "reduced"]),
        },
    )


def collateral(rng: random.Random, c: Customer, d: date) -> dict[str, Any]:
    """Return a collateral or guarantee note."""
    who = c.contacts[0].name
    if rng.random() < 0.5:
        asset = rng.choice(
            ["自建房一处（有不动产证）", "临街商铺一间", "土地经营权（流转合同剩余9年）", "货车两辆"]
        )
        val = rng.choice([40, 60, 85, 120, 150, 220]) * 10000
        text = compose(
            rng,
            [f"抵押物：{asset}，评估价{wan(val)}元，抵押率按七成算可担保{wan(val * 0.7)}。"],
            ["产权清晰，无其他抵押。", "已办理抵押登记。", "评估报告编号已录入系统。"],
            1,
            3,
        )
        fields: dict[str, Any] = {"collateral": asset, "appraised_value": val}
    else:
        rel = rng.choice(["妹夫", "同村养殖户", "表哥", "合作社理事"])
        text = compose(
            rng,
            [f"保证人为{who}的{rel}，本人同意承担连带责任。"],
            ["保证人有稳定收入。", "保证人名下无贷款。", "已面签保证合同。"],
            1,
            3,
        )
        fields = {"guarantee": rel}
    return record(
        c,
        "note",
        on_day(rng, d),
        "internal",
        text,
        author=OFFICERS[c.region],
        contact=who,
        subject="担保与抵押",
        tags=["担保"],
        fields=fields,
    )


COMPLAINTS = [
    ("网点排队时间太长，中午只开一个窗口。", "排队"),
    ("放款比说好的慢了一周，耽误了进货。", "放款慢"),
    ("客户经理电话打得太频繁，影响做生意。", "营销打扰"),
    ("手机银行转账老是要重新登录。", "手机银行"),
]


def complaint(
    rng: random.Random, c: Customer, d: date, text: str, tag: str, extra: str = ""
) -> dict[str, Any]:
    """Return a complaint ticket."""
    body = compose(
        rng,
        [f"{c.contacts[0].name}投诉：{text}"] + ([extra] if extra else []),
        ["网点负责人已回电致歉。", "已按投诉处理规范登记。", "两个工作日内给答复。"],
        1,
        3,
    )
    return record(
        c,
        "ticket",
        on_day(rng, d),
        "inbound",
        body,
        author="网点客服",
        contact=c.contacts[0].name,
        subject="客户投诉",
        tags=["投诉", tag],
        fields={"status": "resolved", "category": tag},
    )


def background(rng: random.Random, cs: list[Customer], ids: LoanIds) -> list[dict[str, Any]]:
    """Return records for customers that are not part of the scripted story."""
    out: list[dict[str, Any]] = []
    start, end = date(2025, 11, 20), date(2026, 11, 19)
    quarterly_toggle = False
    apps = 0
    for c in cs:
        if c.customer_id in STORY:
            continue
        pos, vol, loan, cycle = (
            int(c.extra["pos"]),
            float(c.extra["vol"]),
            int(c.extra["loan"]),
            str(c.extra["cycle"]),
        )
        officer = OFFICERS[c.region]
        if pos:
            quarterly_toggle = not quarterly_toggle
            months = MONTHS12 if quarterly_toggle else MONTHS6
            out += pos_records(rng, c, months, _flows(rng, pos, vol, months), quarterly_toggle)
        else:
            months = MONTHS6[-3:]
            flows = _flows(rng, rng.choice((60000, 120000, 250000)), 0.2, months)
            parts = "，".join(f"{d.month}月{wan(f)}" for d, f in zip(months, flows, strict=True))
            out.append(
                record(
                    c,
                    "note",
                    on_day(rng, date(2026, 11, rng.randint(2, 12))),
                    "internal",
                    f"对公结算及销售回款流水（近三个月）：{parts}。",
                    author=officer,
                    subject="结算流水",
                    tags=["流水"],
                    fields={
                        "settlement_monthly_flow": [
                            {"month": f"{d.year}-{d.month:02d}", "flow": f}
                            for d, f in zip(months, flows, strict=True)
                        ]
                    },
                )
            )
        if loan:
            lid = ids(rng, 2025)
            out += schedule(rng, c, lid, loan, cycle, officer)
            if c.customer_id == "rb-gu-farmstay":
                out.append(
                    repayment(
                        rng,
                        c,
                        lid,
                        date(2026, 2, 20),
                        round(loan / 36 + loan * 0.0465 / 12, 2),
                        "本息",
                        41,
                        officer,
                        "淡季没有客人，顾老板娘说要等五一之后才有回款，已列入关注类客户。",
                    )
                )
            if rng.random() < 0.5:
                out.append(collateral(rng, c, rand_day(rng, start, end)))
        for _ in range(rng.randint(1, 2)):
            out.append(visit(rng, c, rand_day(rng, start, end)))
        if rng.random() < 0.55:
            out.append(call(rng, c, rand_day(rng, start, end)))
        if apps < 16 and rng.random() < 0.5:
            apps += 1
            base = max(pos, 60000) if pos else 100000
            amt = round(base * rng.uniform(1.2, 2.8) / 10000) * 10000
            purpose = rng.choice(
                ["进货备货", "设备更新", "店面装修", "购买饲料", "支付土地流转费", "季节性收购"]
            )
            d = rand_day(rng, date(2026, 3, 1), end)
            rec = application(
                rng, c, d, amt, purpose, rng.choice((12, 24, 36)), f"SQ-2026-{rng.randint(1000, 9999)}"
            )
            if c.segment == "小微企业" and rng.random() < 0.7:
                code = uscc(rng)
                add_pii(rec, f"营业执照统一社会信用代码{code}。", [("USCC", code)])
            out.append(rec)
    for text, tag in COMPLAINTS:
        c = rng.choice([x for x in cs if x.customer_id not in STORY])
        out.append(complaint(rng, c, rand_day(rng, start, end), text, tag))
    return out
