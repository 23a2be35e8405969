"""Tenant ``eduspring``: scripted families (a declined renewal, refunds, KET difficulty), and the queries."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from samplegen import eduspring as es
from samplegen.common import Customer, Query, TenantData, at, record
from samplegen.docs import EDUSPRING_DOCS
from samplegen.pii import sprinkle_zh


def _r(
    f: Customer,
    channel: str,
    when: tuple[int, int, int, int, int],
    direction: str,
    text: str,
    author: str,
    subject: str,
    course: str,
    tags: list[str],
    **fields: Any,
) -> dict[str, Any]:
    return record(
        f,
        channel,
        at(*when),
        direction,
        text,
        author=author,
        contact=str(f.extra["parent"]),
        subject=subject,
        product=course,
        department=f.region,
        tags=tags,
        fields={"course": course, **fields},
    )


def story(rng: random.Random, fs: dict[str, Customer], pays: es.PayNumbers) -> dict[str, Any]:
    """Return the scripted records keyed by role."""
    s: dict[str, Any] = {}
    math, phonics, scratch, ket, calli = (
        "数学思维班",
        "少儿英语Phonics班",
        "Scratch编程班",
        "KET英语冲刺班",
        "硬笔书法班",
    )

    w = fs["es-wang-zihan"]
    s["wang_misc"] = [
        es.payment(rng, w, math, date(2026, 6, 3), 3280, pays(rng, date(2026, 6, 3)), "暑期"),
        es.feedback(rng, w, math, date(2026, 7, 15), 3),
        _r(
            w,
            "chat",
            (2026, 7, 30, 19, 40),
            "outbound",
            "王女士您好，今天讲倒推法，子涵做出了全班只有三个人做出来的那道压轴题，思路讲得特别清楚。"
            "回家可以让她给您讲讲。",
            "孙涛",
            "课堂反馈",
            math,
            ["课堂反馈"],
            lesson=8,
        ),
        es.report(rng, w, math, date(2026, 8, 9), 14),
        _r(
            w,
            "call",
            (2026, 8, 26, 19, 0),
            "outbound",
            "暑期满意度回访：王女士打4分，说孙老师讲得好，就是秋季的时间不太合适。",
            "周静",
            "满意度回访",
            math,
            ["满意度"],
            satisfaction=4,
        ),
        _r(
            w,
            "chat",
            (2026, 8, 14, 12, 10),
            "outbound",
            "王女士您好，秋季数学思维班开始续报了，子涵这期出勤14次、课堂表现很好，老生早鸟价减200，"
            "周六上午和周日下午两个班，"
            "需要帮您留位吗？",
            "周静",
            "续报提醒",
            math,
            ["续报提醒"],
            renewal_status="pending",
        ),
    ]
    s["wang_decline"] = [
        _r(
            w,
            "call",
            (2026, 8, 22, 18, 30),
            "inbound",
            "王女士来电说秋季数学周六上午的班和子涵的游泳课撞了，周日下午班已经满员；"
            "另外秋季4680元比暑期贵不少，家里还报了英语，"
            "预算有点紧。问能不能插到周日班或者多给点优惠。已帮她排周日班候补。",
            "周静",
            "续报沟通",
            math,
            ["续报"],
            renewal_status="pending",
            objections=["schedule_conflict", "price"],
        ),
        _r(
            w,
            "chat",
            (2026, 9, 2, 21, 15),
            "inbound",
            "王女士：周老师，周日班还是没位置的话，我们这学期就先不报了，寒假再看吧。谢谢您一直帮忙问。",
            "王女士",
            "微信",
            math,
            ["微信", "未续报"],
            renewal_status="declined",
            decline_reason="时间冲突",
        ),
        _r(
            w,
            "note",
            (2026, 9, 3, 10, 0),
            "internal",
            "王子涵秋季数学未续报：主因时间冲突（周六上午游泳，周日班满），次因价格。出勤93%，满意度4分，"
            "属于可挽回的客户，"
            "寒假班开放报名时优先联系，可以推周日班。",
            "周静",
            "续报结果",
            math,
            ["续报", "未续报"],
            renewal_status="declined",
            attendance_rate=0.93,
            satisfaction=4,
        ),
    ]

    li = fs["es-li-muyang"]
    pay_p = es.payment(
        rng, li, phonics, date(2026, 8, 19), 4780, pays(rng, date(2026, 8, 19)), "秋季", "renewed"
    )
    pay_c = es.payment(rng, li, calli, date(2026, 8, 19), 2580, pays(rng, date(2026, 8, 19)), "秋季")
    pay_c["text"] += "与Phonics两科联报优惠300元。"
    s["li_renew"] = [
        _r(
            li,
            "chat",
            (2026, 8, 18, 20, 5),
            "inbound",
            "王女士：赵老师，沐阳秋季Phonics继续报，另外想加一门书法，有联报优惠吗？\n赵琳：两科联报再减300，"
            "书法周日上午有位置。"
            "\n王女士：好的，明天过来交费。",
            "王女士",
            "微信",
            phonics,
            ["微信", "续报"],
            renewal_status="renewed",
        ),
        pay_p,
        pay_c,
    ]
    s["li_misc"] = [
        es.payment(rng, li, phonics, date(2026, 6, 10), 3580, pays(rng, date(2026, 6, 10)), "暑期"),
        es.feedback(rng, li, phonics, date(2026, 7, 21), 5),
        es.feedback(rng, li, phonics, date(2026, 8, 4), 10),
    ]

    c = fs["es-chen-yinuo"]
    s["chen_misc"] = [
        es.payment(rng, c, phonics, date(2026, 6, 5), 3580, pays(rng, date(2026, 6, 5)), "暑期"),
        es.feedback(rng, c, phonics, date(2026, 7, 9), 2),
        _r(
            c,
            "chat",
            (2026, 7, 20, 17, 50),
            "inbound",
            "陈先生：今天怎么换老师了？Emily老师不带了吗？之前群里一点通知都没有。",
            "陈先生",
            "微信",
            phonics,
            ["微信", "投诉"],
        ),
    ]
    s["chen_refund"] = [
        _r(
            c,
            "ticket",
            (2026, 7, 22, 10, 30),
            "inbound",
            "陈先生申请退费：Phonics班从第6次课起外教Emily Carter调去其他校区，改由中教代课，"
            "事先没有通知家长。"
            "陈先生要求退剩余9次课的费用。",
            "周静",
            "退费申请",
            phonics,
            ["退费"],
            refund_reason="teacher_change",
            status="approved",
        ),
        _r(
            c,
            "note",
            (2026, 7, 24, 15, 0),
            "internal",
            "陈一诺退费审批：属于机构原因（更换主讲老师未提前通知），剩余9次课全额退2148元，"
            "另送一次外教体验课。校区主管已批，"
            "财务5个工作日内原路退回。",
            "周静",
            "退费审批",
            phonics,
            ["退费"],
            refund_amount=2148,
        ),
    ]

    lf = fs["es-liu-siyuan"]
    autumn_no = pays(rng, date(2026, 8, 25))
    s["liu_pay"] = es.payment(rng, lf, math, date(2026, 8, 25), 4480, autumn_no, "秋季", "renewed")
    s["liu_misc"] = [
        es.payment(rng, lf, math, date(2026, 6, 12), 3280, pays(rng, date(2026, 6, 12)), "暑期"),
        es.report(rng, lf, math, date(2026, 8, 8), 13),
    ]
    s["liu_refund"] = _r(
        lf,
        "ticket",
        (2026, 10, 10, 11, 20),
        "inbound",
        f"刘女士申请退秋季数学班剩余课时（缴费单号{autumn_no}）：家里11月搬去上海。已上6次课（共20次），"
        "课时消耗不足1/3，按剩余14次退费并扣教材费。",
        "吴倩",
        "退费申请",
        math,
        ["退费"],
        refund_reason="relocation",
        status="approved",
    )

    z = fs["es-zhao-zimo"]
    s["zhao_pay"] = es.payment(rng, z, scratch, date(2026, 6, 8), 2980, pays(rng, date(2026, 6, 8)), "暑期")
    s["zhao_cancel"] = [
        _r(
            z,
            "chat",
            (2026, 6, 30, 16, 0),
            "outbound",
            "赵先生您好，很抱歉，西湖校区暑期Scratch编程入门周二晚上的班只报了3个人，不够开班，只能取消。"
            "可以转到周六上午班，"
            "或者全额退费，您看哪种合适？",
            "赵琳",
            "开班通知",
            scratch,
            ["开班", "取消"],
        ),
        _r(
            z,
            "ticket",
            (2026, 7, 2, 9, 45),
            "inbound",
            "赵先生选择退费，周六上午孩子要上游泳课。按机构原因（班级人数不足取消）全额退2980元。",
            "赵琳",
            "退费申请",
            scratch,
            ["退费"],
            refund_reason="class_cancelled",
            status="approved",
        ),
    ]

    sk = fs["es-sun-kexin"]
    s["sun_misc"] = [
        es.payment(rng, sk, calli, date(2026, 6, 15), 1980, pays(rng, date(2026, 6, 15)), "暑期")
    ]
    s["sun_refund"] = _r(
        sk,
        "ticket",
        (2026, 7, 18, 14, 10),
        "inbound",
        "孙女士申请退书法班：可欣上了3次课说手疼，不想学了。已上3/15，不足1/3，按剩余12次退费，扣资料费80元。",
        "周静",
        "退费申请",
        calli,
        ["退费"],
        refund_reason="lost_interest",
        status="approved",
    )

    zy = fs["es-zhou-yutong"]
    wu = fs["es-wu-haoran"]
    s["ket_hard"] = [
        _r(
            zy,
            "chat",
            (2026, 7, 25, 22, 40),
            "inbound",
            "周女士：杨老师，雨桐说阅读Part 3的文章太长看不懂，每天作业要写到十一点，"
            "这个班对她来说是不是太难了？",
            "周女士",
            "微信",
            ket,
            ["微信"],
        ),
        _r(
            wu,
            "call",
            (2026, 8, 3, 12, 30),
            "inbound",
            "吴先生打来说浩然在冲刺班吃力，听力基本听不懂，孩子压力很大，问能不能转到基础班。已转告杨老师，"
            "先安排一次摸底测试。",
            "吴倩",
            "课程咨询",
            ket,
            ["咨询"],
        ),
    ]
    s["ket_misc"] = [
        es.payment(rng, zy, ket, date(2026, 6, 2), 4280, pays(rng, date(2026, 6, 2)), "暑期"),
        es.payment(rng, wu, ket, date(2026, 6, 20), 4280, pays(rng, date(2026, 6, 20)), "暑期"),
        es.report(rng, zy, ket, date(2026, 8, 10), 12),
        _r(
            zy,
            "chat",
            (2026, 8, 28, 20, 0),
            "inbound",
            "周女士：秋季先不报KET了，打算先把基础打牢，谢谢杨老师。",
            "周女士",
            "续报结果",
            ket,
            ["未续报"],
            renewal_status="declined",
            decline_reason="难度",
        ),
        _r(
            wu,
            "note",
            (2026, 8, 12, 17, 0),
            "internal",
            "吴浩然摸底测试后建议秋季转KET基础班，家长同意，待缴费。",
            "吴倩",
            "转班",
            ket,
            ["转班"],
            renewal_status="pending",
        ),
    ]
    return s


def build(rng: random.Random) -> TenantData:
    """Generate the eduspring tenant."""
    fams = es.customers()
    fs = {f.customer_id: f for f in fams}
    pays = es.PayNumbers()
    s = story(rng, fs, pays)
    scripted = {
        "es-wang-zihan",
        "es-li-muyang",
        "es-chen-yinuo",
        "es-liu-siyuan",
        "es-zhao-zimo",
        "es-sun-kexin",
        "es-zhou-yutong",
        "es-wu-haoran",
    }
    records: list[dict[str, Any]] = []
    for v in s.values():
        records.extend(v if isinstance(v, list) else [v])
    records += es.background(rng, fams, pays, scripted)
    sprinkle_zh(rng, records, "eduspring", protect={id(r) for r in s["wang_decline"]})
    refunds = [s["chen_refund"][0], s["liu_refund"], s["zhao_cancel"][1], s["sun_refund"]]
    q = [
        Query("zh", "王子涵妈妈为什么不续报数学思维班", s["wang_decline"], "paraphrase"),
        Query(
            "zh", "王女士秋季为什么没续报", s["wang_decline"], "paraphrase", {"customer_id": "es-wang-zihan"}
        ),
        Query("zh", "哪些家长申请过退费", refunds, "keyword"),
        Query("zh", "陈一诺换外教以后退费是怎么处理的", s["chen_refund"], "cross_channel"),
        Query("zh", "赵子墨的编程班为什么取消了", s["zhao_cancel"], "paraphrase"),
        Query("zh", "哪些家长觉得KET冲刺班太难孩子跟不上", s["ket_hard"], "paraphrase"),
        Query("zh", "李沐阳秋季续报了哪些课", s["li_renew"], "cross_channel"),
        Query(
            "zh",
            f"缴费单{s['liu_pay']['fields']['payment_no']}是哪门课，后来退了吗",
            [s["liu_pay"], s["liu_refund"]],
            "identifier",
        ),
        Query(
            "en",
            "Why did Wang Zihan's mom decline the autumn math class renewal?",
            s["wang_decline"],
            "paraphrase",
        ),
        Query(
            "en",
            "refund request after the Phonics teacher was replaced without notice",
            s["chen_refund"],
            "paraphrase",
        ),
        Query(
            "en",
            "Which parents said the KET prep class was too hard for their child?",
            s["ket_hard"],
            "paraphrase",
        ),
    ]
    return TenantData("eduspring", "edu", fams, records, EDUSPRING_DOCS, q)
