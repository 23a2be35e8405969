"""Tenant ``medtech-east``: a medical-device distributor in East China (directory, catalogue, background)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from samplegen.common import Contact, Customer, add_months, cny, compose, load_table, on_day, rand_day, record

TENANT = "medtech-east"
START = date(2025, 11, 20)
END = date(2026, 11, 19)

REPS = {"浙江": "陈凯", "江苏": "刘婷", "上海": "王磊", "安徽": "王磊"}
CLERK = "赵敏"  # 商务内勤
SERVICE = "周雪"  # 客服
ENGINEER = "孙浩"  # 跟台工程师
MANAGER = "吴志远"  # 华东区销售经理

_H = load_table("medtech_hospitals.json")

# category -> (item name, unit, unit price CNY)
CATALOG: dict[str, list[tuple[str, str, int]]] = {
    "创伤钉板": [
        ("LCP锁定加压钢板", "块", 3800),
        ("PFNA股骨近端防旋髓内钉", "套", 12800),
        ("空心加压螺钉", "枚", 680),
        ("桡骨远端锁定板", "块", 4200),
        ("胫骨髓内钉", "套", 9600),
    ],
    "骨科耗材": [
        ("OsteoSet骨水泥", "盒", 1450),
        ("VacuDrain负压引流套件", "套", 520),
        ("一次性骨科手术包", "个", 380),
        ("可吸收止血纱布", "片", 260),
        ("动力系统磨钻头", "支", 890),
        ("脉冲冲洗枪", "把", 640),
    ],
    "脊柱内固定": [
        ("SpineFix Pro椎弓根螺钉系统", "套", 21500),
        ("颈椎前路钢板", "套", 15800),
        ("PEEK椎间融合器", "枚", 6800),
    ],
    "关节假体": [
        ("ArcoHip人工髋关节", "套", 36800),
        ("FlexKnee全膝关节假体", "套", 42500),
        ("双动股骨头", "套", 18600),
    ],
    "麻醉耗材": [
        ("VL-300可视喉镜片", "片", 95),
        ("一次性喉罩", "个", 68),
        ("神经阻滞穿刺针", "支", 145),
        ("加强型气管导管", "根", 88),
    ],
    "检验试剂": [
        ("CLIA化学发光试剂盒（心肌标志物）", "盒", 2600),
        ("BG-800血气分析试剂包", "盒", 1850),
        ("质控品", "盒", 980),
    ],
    "介入耗材": [("PTCA球囊扩张导管", "根", 3200), ("压力延长管", "根", 120), ("造影导丝", "根", 460)],
}
DEPT_CATEGORIES = {
    "骨科": ["创伤钉板", "骨科耗材", "脊柱内固定"],
    "创伤骨科": ["创伤钉板", "骨科耗材"],
    "脊柱外科": ["脊柱内固定", "骨科耗材"],
    "关节外科": ["关节假体", "骨科耗材"],
    "骨伤科": ["创伤钉板", "骨科耗材"],
    "麻醉科": ["麻醉耗材"],
    "检验科": ["检验试剂"],
    "心内科": ["介入耗材"],
}
SURGERIES = {
    "骨科": ["髋部骨折内固定", "胫骨平台骨折切开复位", "腰椎后路融合", "肱骨近端骨折"],
    "创伤骨科": ["股骨粗隆间骨折PFNA", "踝关节骨折内固定", "锁骨骨折钢板"],
    "脊柱外科": ["腰椎融合", "颈椎前路减压融合", "脊柱侧弯矫形"],
    "关节外科": ["全髋置换", "全膝置换", "髋关节翻修"],
    "骨伤科": ["桡骨远端骨折", "跟骨骨折"],
    "麻醉科": ["困难气道插管", "神经阻滞麻醉"],
    "心内科": ["PCI", "冠脉造影"],
    "检验科": ["急诊心肌标志物检测"],
}
CITIES = {
    "浙江": ["杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "义乌"],
    "江苏": ["苏州", "南京", "无锡", "常州", "南通", "扬州", "徐州", "昆山"],
    "上海": ["上海"],
    "安徽": ["合肥", "芜湖"],
}
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六"]


def customers() -> list[Customer]:
    """Return the hospital directory."""
    out = []
    for row in _H:
        cid, name, aliases, region, segment, size = (
            row[k] for k in ("customer_id", "name", "aliases", "region", "segment", "size")
        )
        cs = [Contact(c["name"], c["title"], c["role"], c["dept"]) for c in row["contacts"]]
        depts = [c.dept for c in cs if c.dept in DEPT_CATEGORIES]
        out.append(
            Customer(
                cid,
                name,
                aliases,
                cs,
                region,
                segment,
                extra={"size": size, "depts": depts, "short": aliases[0]},
            )
        )
    return out


def items(rng: random.Random, category: str, scale: float = 1.0) -> tuple[str, int, str]:
    """Return an item list text, its amount and the main item name."""
    catalog = CATALOG[category]
    chosen = rng.sample(catalog, rng.randint(1, min(3, len(catalog))))
    parts, total = [], 0
    for name, unit, price in chosen:
        base = max(
            1, round(rng.choice((2, 4, 6, 8, 10, 12, 20, 30)) * scale * (2000 / max(price, 400)) ** 0.5)
        )
        parts.append(f"{name}×{base}{unit}")
        total += base * price
    sep = rng.choice(("、", "，", "; ", " + "))
    return sep.join(parts), total, chosen[0][0]


def gtin(rng: random.Random) -> str:
    """Return a 14-digit UDI-DI (GTIN-14) look-alike (not personal data)."""
    return "0" + "69" + "".join(str(rng.randint(0, 9)) for _ in range(11))


def lot(rng: random.Random) -> str:
    """Return a manufacturer lot number."""
    return (
        rng.choice(("LOT ", "批号", "批号 "))
        + f"{rng.choice((25, 26))}{rng.randint(1, 12):02d}{rng.randint(1000, 9999)}"
    )


class Numbers:
    """Hand out order, quote and ticket numbers that grow with the date and never repeat."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def _make(self, rng: random.Random, d: date, fmt: str, scale: int) -> str:
        doy = (d - date(d.year, 1, 1)).days + 1
        while True:
            n = doy * scale + rng.randint(0, scale - 1)
            s = fmt.format(y=d.year, yy=d.year % 100, m=d.month, n=n)
            if s not in self.used:
                self.used.add(s)
                return s

    def order(self, rng: random.Random, d: date) -> str:
        """Return an order number such as MT2610-0873."""
        return self._make(rng, d, "MT{yy:02d}{m:02d}-{n:04d}", 3)

    def quote(self, rng: random.Random, d: date) -> str:
        """Return a quote number such as QT-2026-0871."""
        return self._make(rng, d, "QT-{y}-{n:04d}", 3)

    def ticket(self, rng: random.Random, d: date) -> str:
        """Return a ticket number such as TK-2026-01234."""
        return self._make(rng, d, "TK-{y}-{n:05d}", 4)


def order_text(
    rng: random.Random, h: Customer, dept: str, contact: Contact, no: str, its: str, amount: int, d: date
) -> str:
    """Write an order record body."""
    money = cny(rng, amount)
    surgery = rng.choice(SURGERIES.get(dept, ["常规手术"]))
    short = h.extra["short"]
    due = d + timedelta(days=rng.randint(1, 5))
    core = rng.choice(
        [
            f"{short}{dept}本月订单已录入，单号{no}：{its}，合计{money}。",
            f"收到{dept}{contact.name}报的备货需求：{its}。按挂网价开票，含税{money}，单号{no}。",
            f"{contact.name}微信发来下周手术排期，{rng.randint(3, 9)}台{surgery}，需要补货（{its}），"
            f"已转内勤下单{no}。",
            f"{h.name}院内审批走完，订单{no}生效。明细：{its}；金额{money}。",
            f"{no}｜{its}｜{money}｜送{rng.choice(['手术室二级库', '中心库房', '骨科病区', '耗材库'])}。",
            f"{dept}补货：{its}。总价{money}，订单号{no}，{due.month}月{due.day}日前送到。",
        ]
    )
    opt = [
        "两票制，发票由我司直接开给医院。",
        f"已安排{ENGINEER}{rng.choice(WEEKDAYS)}跟台。",
        f"要求{due.month}月{due.day}日前送到。",
        f"其中{rng.randint(1, 3)}套是之前借用的备货转销售。",
        "付款按合同约定的180天账期。",
        f"科室反馈上一批{rng.choice(['钢板', '螺钉', '器械包', '耗材'])}用着顺手，没有不良事件上报。",
        f"UDI-DI {gtin(rng)}已随货扫码。",
        f"{lot(rng)}，效期到{d.year + 2}年{rng.randint(1, 12)}月。",
        "设备科要求随货附检验报告和合格证。",
        f"比上个月多出{rng.randint(2, 12)}台手术的量。",
        f"货号{rng.choice(('13', '15', '18'))}{rng.randint(10000000, 99999999)}的规格这次缺货，"
        "先用替代规格。",
    ]
    if "前送到" in core:
        opt = [o for o in opt if "前送到" not in o]
    return compose(rng, [core], opt, 1, 4)


def quote_text(
    rng: random.Random,
    h: Customer,
    dept: str,
    contact: Contact,
    no: str,
    its: str,
    amount: int,
    status: str,
    category: str,
) -> str:
    """Write a non-rejected quote record body."""
    money = cny(rng, amount)
    if status == "accepted":
        core = rng.choice(
            [
                f"{no}报价{money}，{contact.name}已签字确认，设备科下一步走合同。",
                f"{category}年度报价（{no}）通过科室论证会，{its}，成交价{money}。",
                f"{contact.name}同意按{money}执行，报价单{no}转合同，开票信息已核对。",
                f"报价{no}：{its}，合计{money}。医院接受，按阳光平台挂网价下浮{rng.randint(1, 5)}%成交。",
            ]
        )
    else:
        core = rng.choice(
            [
                f"向{contact.name}提交{category}报价{no}，{money}，有效期30天，等设备科论证会排期。",
                f"报价{no}已发{dept}：{its}，总价{money}。{contact.name}说要和设备科一起看。",
                f"{short_name(h)}{dept}询价，已出报价{no}（{money}），等待回复。",
            ]
        )
    opt = [
        "报价均不高于阳光采购平台挂网价。",
        "含配送和跟台服务。",
        f"付款周期{rng.choice([90, 120, 180])}天。",
        f"附了{rng.choice(['注册证', '授权书', '检测报告'])}复印件。",
        f"{contact.name}问能否加送{rng.choice(['一套工具包', '两场术式培训', '备货周转库存'])}，"
        f"已请示{MANAGER}。",
    ]
    return compose(rng, [core], opt, 1, 3)


def short_name(h: Customer) -> str:
    """Return the hospital's usual short name."""
    return str(h.extra["short"])


def call_text(
    rng: random.Random, h: Customer, dept: str, contact: Contact, d: date, exclude: set[str]
) -> tuple[str, str, str, list[str]]:
    """Return (text, direction, subject, tags) of a call."""
    surgery = rng.choice(SURGERIES.get(dept, ["常规手术"]))
    cat = rng.choice(DEPT_CATEGORIES.get(dept, ["骨科耗材"]))
    item = rng.choice(CATALOG[cat])[0]
    topics = ["跟台", "回款", "挂网", "新品", "质量", "资质", "排期"]
    topic = rng.choice([t for t in topics if t not in exclude])
    if topic == "跟台":
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"{contact.name}来电，{rng.choice(WEEKDAYS)}有{rng.randint(2, 5)}台{surgery}，"
                        "要工程师跟台并带全套工具。",
                        f"{contact.name}电话确认明早第一台{surgery}的跟台，器械包今晚送到消毒供应中心。",
                    ]
                )
            ],
            [
                f"已和{ENGINEER}确认可以到场。",
                "提醒对方提前把病人影像发过来备型号。",
                f"对方要求带{rng.choice(['两套', '一套备用'])}工具。",
            ],
            1,
            3,
        )
        return text, "inbound", "跟台安排", ["跟台"]
    if topic == "回款":
        m = (d.month - 3 - 1) % 12 + 1
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"打给{contact.name}催{m}月的回款，对方说发票已经入账，"
                        f"预计{rng.randint(2, 6)}周内付。",
                        f"跟{contact.name}对账，{m}月还有{cny(rng, rng.randint(3, 40) * 10000)}未付，"
                        "财务排在下一批。",
                    ]
                )
            ],
            ["没有争议发票。", "对方提到医院今年资金比较紧。", "已在系统更新预计回款日期。"],
            1,
            3,
        )
        return text, "outbound", "回款跟进", ["回款"]
    if topic == "挂网":
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"{contact.name}问{item}在阳光采购平台上的挂网状态，告诉他已挂网，可以直接勾选交易。",
                        f"{contact.name}来电确认{item}的挂网价有没有调整，说医院系统里价格对不上。",
                    ]
                )
            ],
            ["答应下班前把平台截图发过去。", "平台价格已按最新联动价更新。", "让内勤核对了医保耗材编码。"],
            1,
            3,
        )
        return text, rng.choice(["inbound", "outbound"]), "挂网咨询", ["挂网"]
    if topic == "新品":
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"电话给{contact.name}介绍{item}的新规格，对方有兴趣，约了下周科室会。",
                        f"{contact.name}主动问起{item}，想了解和现在用的产品有什么区别。",
                    ]
                )
            ],
            ["先发了产品手册。", "对方希望看到临床数据。", f"{rng.choice(WEEKDAYS)}下午可以去科室。"],
            1,
            3,
        )
        return text, rng.choice(["outbound", "inbound"]), "新品介绍", ["新品"]
    if topic == "质量":
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"{contact.name}反映一枚{item}术中"
                        f"{rng.choice(['拧入时滑丝', '包装破损', '标签与实物规格不符'])}，要求出具质检报告。",
                        f"{contact.name}来电说上批{item}有{rng.randint(1, 3)}件外包装受潮，要求换货。",
                    ]
                )
            ],
            ["已登记并上报厂家质量部。", "答应48小时内给书面答复。", "暂未造成不良后果。"],
            1,
            3,
        )
        return text, "inbound", "质量反馈", ["质量"]
    if topic == "资质":
        text = compose(
            rng,
            [
                rng.choice(
                    [
                        f"{contact.name}要补我司医疗器械经营许可证和厂家授权书复印件。",
                        f"{contact.name}提醒{item}的注册证下个月到期，要新证才能继续采购。",
                    ]
                )
            ],
            ["下周前盖章寄过去。", "已找厂家要延续注册受理通知书。", "电子版先发了。"],
            1,
            3,
        )
        return text, "inbound", "资质文件", ["资质"]
    text = compose(
        rng,
        [
            rng.choice(
                [
                    f"和{contact.name}确认下月手术排期，大概{rng.randint(20, 60)}台{surgery}。",
                    f"{contact.name}说科室下个月有{rng.randint(1, 3)}位医生外出进修，手术量会降一点。",
                ]
            )
        ],
        ["按这个量提前备货。", "备货计划已发给内勤。"],
        1,
        2,
    )
    return text, "outbound", "手术排期", ["排期"]


def meeting_text(rng: random.Random, h: Customer, dept: str, contact: Contact) -> tuple[str, str, list[str]]:
    """Return (text, subject, tags) of a meeting."""
    cat = rng.choice(DEPT_CATEGORIES.get(dept, ["骨科耗材"]))
    item = rng.choice(CATALOG[cat])[0]
    kind = rng.randint(0, 3)
    if kind == 0:
        text = compose(
            rng,
            [f"在{dept}做了{item}的科室会，{rng.randint(8, 25)}人参加，{contact.name}主持。"],
            [
                f"提问集中在{rng.choice(['术中操作步骤', '价格', '和现有产品的兼容性', '术后随访数据'])}。",
                "会后两位医生要了样品。",
                "下次安排术式培训。",
                f"{contact.name}希望我们提供病例对照资料。",
            ],
            2,
            4,
        )
        return text, "科室会", ["科室会"]
    if kind == 1:
        text = compose(
            rng,
            [f"与{contact.name}谈明年{cat}的供货安排。"],
            [
                "对方希望配送时效压缩到4小时以内。",
                "谈到了带量采购后的非中选品种用量。",
                "要求每季度对账一次。",
                "价格维持现有挂网价，不再单独议价。",
            ],
            2,
            4,
        )
        return text, "供货洽谈", ["洽谈"]
    if kind == 2:
        text = compose(
            rng,
            [f"组织{dept}{rng.randint(4, 10)}位医生参加{item}操作培训。"],
            [
                "厂家讲师现场演示。",
                "年轻医生反馈手感不错。",
                f"{contact.name}要求再安排一次模型操作。",
            ],
            2,
            3,
        )
        return text, "术式培训", ["培训"]
    text = compose(
        rng,
        [f"年度业务回顾：{dept}今年在我们这里的采购以{cat}为主。"],
        [
            "对配送和跟台服务总体满意。",
            "提出发票开具偶尔延迟。",
            "明年计划新开日间手术病房。",
        ],
        2,
        3,
    )
    return text, "年度回顾", ["回顾"]


def visit_text(
    rng: random.Random, h: Customer, dept: str, contact: Contact, comp_ok: bool
) -> tuple[str, list[str], dict[str, Any]]:
    """Return (text, tags, fields) of a visit note."""
    leads = [
        f"{contact.name}今天门诊，只聊了十分钟。",
        f"下午去{dept}拜访{contact.name}。",
        f"在{short_name(h)}{dept}办公室见到{contact.name}。",
        f"送资料顺便拜访{contact.name}。",
    ]
    obs = [
        f"{dept}新来了{rng.randint(1, 2)}位副主任医师，手术量在往上走。",
        "科室在准备等级医院复审，最近比较忙。",
        f"护士站反映器械包清点清单字太小，{ENGINEER}会改版。",
        "设备科最近在清理长期不用的备货，需要我们配合盘点。",
        "医院今年在推耗材SPD院内物流，要求供应商对接接口。",
        f"{contact.name}对上次培训评价不错，想让年轻医生再来一次。",
        "科室耗材占比被医务处点名，要控费。",
    ]
    fields: dict[str, Any] = {"visit_type": "拜访"}
    tags = ["拜访"]
    core = [rng.choice(leads)]
    if comp_ok and rng.random() < 0.35:
        comp = rng.choice(["康骨医疗", "瑞迈特"])
        core.append(f"看到{comp}的代表也在科室，听说在谈{rng.choice(['创伤', '耗材', '脊柱'])}产品。")
        fields["competitor"] = comp
        tags.append("竞品")
    if rng.random() < 0.4 and dept in SURGERIES and dept not in ("检验科", "麻醉科"):
        vol = rng.randint(60, 320)
        core.append(f"{dept}上月手术{vol}台左右。")
        fields["surgery_volume_monthly"] = [{"month": "", "volume": vol}]
    body = compose(rng, core, obs, 2, 4)
    return body, tags, fields


def ticket_text(
    rng: random.Random, h: Customer, dept: str, contact: Contact, exclude: set[str]
) -> tuple[str, str, list[str], str]:
    """Return (text, subject, tags, kind) of a ticket."""
    cat = rng.choice(DEPT_CATEGORIES.get(dept, ["骨科耗材"]))
    item = rng.choice(CATALOG[cat])[0]
    kinds = ["缺件", "延误", "发票", "效期"]
    kind = rng.choice([k for k in kinds if k not in exclude])
    if kind == "缺件":
        return (
            compose(
                rng,
                [
                    f"{contact.name}投诉："
                    f"跟台时发现{item}器械盒少了{rng.choice(['一把导向器', '两枚备用螺钉', '扭力扳手'])}，"
                    f"手术推迟{rng.randint(10, 40)}分钟。"
                ],
                [
                    "已派人送补。",
                    "要求下次出库双人核对。",
                    "客服已致歉。",
                ],
                1,
                3,
            ),
            "器械缺件",
            ["投诉", "缺件"],
            kind,
        )
    if kind == "延误":
        return (
            compose(
                rng,
                [f"{dept}反映{item}配送晚了{rng.randint(1, 3)}天，影响了择期手术安排。"],
                ["原因是物流中转仓调拨延迟。", "已改为直发。", "承诺补偿一次免费加急配送。"],
                1,
                3,
            ),
            "配送延误",
            ["投诉", "配送"],
            kind,
        )
    if kind == "发票":
        return (
            compose(
                rng,
                [
                    rng.choice(
                        [
                            f"设备科说{item}的发票税号开错了，要求红冲重开。",
                            "医院财务退回两张发票，商品名称和挂网名称不一致。",
                        ]
                    )
                ],
                ["财务已重开。", "提醒开票模板更新医院新名称。"],
                1,
                3,
            ),
            "发票问题",
            ["发票"],
            kind,
        )
    return (
        compose(
            rng,
            [f"{contact.name}发现库里{item}有{rng.randint(2, 10)}件近效期（不足6个月），要求退换。"],
            ["已安排换货。", "按合同近效期产品可退。"],
            1,
            3,
        ),
        "近效期退换",
        ["退换货"],
        kind,
    )


def background(
    rng: random.Random,
    hospitals: list[Customer],
    numbers: Numbers,
    skip: set[str],
    reserved: set[str],
    exclude_topics: dict[str, set[str]],
) -> list[dict[str, Any]]:
    """Return background records for every hospital not in ``skip``.

    Args:
        rng: Random source.
        hospitals: The directory.
        numbers: Order, quote and ticket number source.
        skip: Hospitals whose records are fully scripted.
        reserved: Contact names used only in scripted records.
        exclude_topics: Per hospital, call/ticket topics that only scripted records may cover.
    """
    out: list[dict[str, Any]] = []
    for h in hospitals:
        if h.customer_id in skip:
            continue
        size = int(h.extra["size"])
        depts = h.extra["depts"] or ["骨科"]
        rep = REPS[h.region]
        clinical = [c for c in h.contacts if c.dept in DEPT_CATEGORIES and c.name not in reserved]
        buyers = [c for c in h.contacts if c.role == "procurement"]
        excl = exclude_topics.get(h.customer_id, set())
        if not clinical:
            clinical = [c for c in h.contacts if c.name not in reserved]
        months = sorted(rng.sample(range(12), {3: 7, 2: 5, 1: 3}[size]))
        for mi in months:
            d = rand_day(rng, add_months(START, mi), add_months(START, mi) + timedelta(days=27))
            d = min(d, END)
            c = rng.choice(clinical)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            cat = rng.choice(DEPT_CATEGORIES[dept])
            its, amount, _ = items(rng, cat, size)
            no = numbers.order(rng, d)
            out.append(
                record(
                    h,
                    "order",
                    on_day(rng, d),
                    rng.choice(["inbound", "internal"]),
                    order_text(rng, h, dept, c, no, its, amount, d),
                    author=rng.choice([rep, CLERK]),
                    contact=c.name,
                    subject=f"订单 {no}",
                    amount=amount,
                    currency="CNY",
                    product=cat,
                    department=dept,
                    tags=["订单"],
                    fields={"order_no": no},
                )
            )
        for _ in range(rng.randint(1, 2)):
            d = rand_day(rng, START, END - timedelta(days=3))
            c = rng.choice(clinical)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            cat = rng.choice(DEPT_CATEGORIES[dept])
            its, amount, _ = items(rng, cat, size * 3)
            no = numbers.quote(rng, d)
            status = "pending" if (END - d).days < 40 else "accepted"
            out.append(
                record(
                    h,
                    "quote",
                    on_day(rng, d),
                    "outbound",
                    quote_text(rng, h, dept, c, no, its, amount, status, cat),
                    author=rep,
                    contact=c.name,
                    subject=f"{cat}报价 {no}",
                    amount=amount,
                    currency="CNY",
                    product=cat,
                    department=dept,
                    tags=["报价"],
                    fields={"quote_no": no, "quote_status": status},
                )
            )
        for _ in range(rng.randint(2, 2 + size)):
            d = rand_day(rng, START, END)
            c = rng.choice(clinical + buyers)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            text, direction, subject, tags = call_text(rng, h, dept, c, d, excl)
            out.append(
                record(
                    h,
                    "call",
                    on_day(rng, d),
                    direction,
                    text,
                    author=rep,
                    contact=c.name,
                    subject=subject,
                    department=dept,
                    tags=tags,
                )
            )
        for _ in range(rng.randint(0, size)):
            d = rand_day(rng, START, END)
            c = rng.choice(clinical)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            text, subject, tags = meeting_text(rng, h, dept, c)
            out.append(
                record(
                    h,
                    "meeting",
                    on_day(rng, d, start=9, end=17),
                    "outbound",
                    text,
                    author=rep,
                    contact=c.name,
                    subject=subject,
                    department=dept,
                    tags=tags,
                )
            )
        for _ in range(rng.randint(1, 1 + size)):
            d = rand_day(rng, START, END)
            c = rng.choice(clinical)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            text, tags, fields = visit_text(rng, h, dept, c, comp_ok="competitor" not in excl)
            if "surgery_volume_monthly" in fields:
                prev = add_months(d, -1)
                fields["surgery_volume_monthly"][0]["month"] = f"{prev.year}-{prev.month:02d}"
            out.append(
                record(
                    h,
                    "note",
                    on_day(rng, d),
                    "internal",
                    text,
                    author=rep,
                    contact=c.name,
                    subject="拜访记录",
                    department=dept,
                    tags=tags,
                    fields=fields,
                )
            )
        for _ in range(rng.randint(0, 1 + size // 2)):
            d = rand_day(rng, START, END)
            c = rng.choice(clinical)
            dept = c.dept if c.dept in DEPT_CATEGORIES else rng.choice(depts)
            text, subject, tags, kind = ticket_text(rng, h, dept, c, excl)
            tno = numbers.ticket(rng, d)
            status = "open" if (END - d).days < 10 else "resolved"
            out.append(
                record(
                    h,
                    "ticket",
                    on_day(rng, d),
                    "inbound",
                    text,
                    author=SERVICE,
                    contact=c.name,
                    subject=subject,
                    department=dept,
                    tags=tags,
                    fields={
                        "ticket_no": tno,
                        "status": status,
                        "priority": rng.choice(["high", "medium", "low"]),
                        "issue": kind,
                    },
                )
            )
    return out
