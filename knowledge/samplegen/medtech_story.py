"""Tenant ``medtech-east``: the scripted story (张主任 rejects the 骨科耗材 quote), distractors, queries."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from samplegen import medtech as m
from samplegen.common import Customer, Query, TenantData, at, cny, on_day, record
from samplegen.docs import MEDTECH_DOCS
from samplegen.pii import sprinkle_zh

HZ_VOLUME = [268, 279, 271, 246, 290, 301, 309, 318, 326, 334, 347, 361]  # 2025-11 .. 2026-10
HZ_MONTHS = [f"{2025 + (10 + i) // 12}-{(10 + i) % 12 + 1:02d}" for i in range(12)]


def _vol(a: int, b: int) -> list[dict[str, Any]]:
    return [{"month": HZ_MONTHS[i], "volume": HZ_VOLUME[i]} for i in range(a, b)]


def hz_story(rng: random.Random, h: Customer, nums: m.Numbers) -> dict[str, Any]:
    """Return the scripted records of 杭州市第一人民医院, keyed by role (lists for repeated ones)."""
    rep = "陈凯"
    r: dict[str, Any] = {"orders": [], "volume": [], "kanggu": []}
    scale = 1.0
    cats = [
        "创伤钉板",
        "骨科耗材",
        "创伤钉板",
        "骨科耗材",
        "脊柱内固定",
        "骨科耗材",
        "创伤钉板",
        "骨科耗材",
        "脊柱内固定",
        "创伤钉板",
        "骨科耗材",
        "创伤钉板",
        "骨科耗材",
    ]
    for i, cat in enumerate(cats):
        y, mo = (2025, 11 + i) if i < 2 else (2026, i - 1)
        d = date(y, mo, rng.randint(18, 26)) if i < 12 else date(2026, 11, 3)
        c = h.contact(rng.choice(["王护士长", "张主任", "钱医生", "王护士长"]))
        its, amount, _ = m.items(rng, cat, 2.2 * scale)
        no = nums.order(rng, d)
        rec = record(
            h,
            "order",
            on_day(rng, d),
            rng.choice(["inbound", "internal"]),
            m.order_text(rng, h, "骨科", c, no, its, amount, d),
            author=rng.choice([rep, m.CLERK]),
            contact=c.name,
            subject=f"订单 {no}",
            amount=amount,
            currency="CNY",
            product=cat,
            department="骨科",
            tags=["订单"],
            fields={"order_no": no},
        )
        r["orders"].append(rec)
        scale += 0.05
    aug = r["orders"][9]
    r["ticket_aug"] = record(
        h,
        "ticket",
        at(2026, 8, 27, 16, 40),
        "inbound",
        f"王护士长投诉：订单{aug['fields']['order_no']}的PFNA器械包到手术室后清点少了一把近端瞄准臂，"
        "第二台手术推迟了25分钟。孙浩从库房取了备用件送过去，张主任当场没说什么，"
        "但护士长要求以后出库双人复核并拍照留档。",
        author=m.SERVICE,
        contact="王护士长",
        subject="器械缺件（PFNA）",
        department="骨科",
        tags=["投诉", "缺件"],
        fields={
            "ticket_no": nums.ticket(rng, date(2026, 8, 27)),
            "status": "resolved",
            "priority": "high",
            "issue": "缺件",
            "order_no": aug["fields"]["order_no"],
        },
    )
    r["volume"] = [
        record(
            h,
            "note",
            at(2026, 1, 12, 15, 20),
            "internal",
            "拜访张主任。骨科去年11月手术268台、12月279台，比前年同期多了一成多，主要是老年髋部骨折病人增加。"
            "张主任说床位已经不够用，打算申请加一个病区。",
            author=rep,
            contact="张主任",
            subject="拜访记录",
            department="骨科",
            tags=["拜访", "手术量"],
            fields={"visit_type": "拜访", "surgery_volume_monthly": _vol(0, 2)},
        ),
        record(
            h,
            "note",
            at(2026, 4, 8, 11, 5),
            "internal",
            "一季度骨科手术量：1月271台，2月过年掉到246台，3月回到290台。王护士长说3月起周末也开急诊择期，"
            "钉板和骨水泥消耗都在涨，让我们把安全库存从两周提到三周。",
            author=rep,
            contact="王护士长",
            subject="科室手术量",
            department="骨科",
            tags=["手术量"],
            fields={"surgery_volume_monthly": _vol(2, 5)},
        ),
        record(
            h,
            "note",
            at(2026, 7, 9, 17, 30),
            "internal",
            "骨科日间手术中心6月开张。4—6月手术量分别是301、309、318台，连着涨。张主任提到明年想把关节和脊柱"
            "拆成两个亚专科组，耗材需求结构会变。",
            author=rep,
            contact="张主任",
            subject="拜访记录：日间手术中心",
            department="骨科",
            tags=["拜访", "手术量"],
            fields={"visit_type": "拜访", "surgery_volume_monthly": _vol(5, 8)},
        ),
        record(
            h,
            "note",
            at(2026, 11, 5, 9, 40),
            "internal",
            "骨科10月手术361台，7—10月依次为326、334、347、361，已经连续一年往上走，同比增长约三成。"
            "按这个量，明年骨科耗材年用量保守估计比今年多25%以上。",
            author=rep,
            contact="王护士长",
            subject="骨科手术量月报（7—10月）",
            department="骨科",
            tags=["手术量", "月报"],
            fields={"surgery_volume_monthly": _vol(8, 12)},
        ),
    ]
    r["kanggu"] = [
        record(
            h,
            "note",
            at(2026, 6, 19, 14, 10),
            "internal",
            "竞品动态：康骨医疗在省里骨科创伤类带量采购中选，6月起在杭州一院骨科铺货。"
            "他们的代表每周去科室两次，"
            "还给年轻医生办了一场病例分享会。目前科室的钉板还是以我们为主。",
            author=rep,
            subject="竞品动态：康骨医疗",
            department="骨科",
            tags=["竞品"],
            fields={"competitor": "康骨医疗"},
        ),
        record(
            h,
            "note",
            at(2026, 9, 24, 18, 5),
            "internal",
            "钱医生私下说，康骨医疗的中选产品价格比我们挂网价低一截，设备科已经在统计非中选品种的用量占比。"
            "康骨的跟台工程师只有两个人，急诊经常到不了，这是我们目前的优势。",
            author=rep,
            contact="钱医生",
            subject="拜访记录",
            department="骨科",
            tags=["拜访", "竞品"],
            fields={"visit_type": "拜访", "competitor": "康骨医疗"},
        ),
    ]
    r["orthomax"] = record(
        h,
        "note",
        at(2026, 10, 15, 16, 0),
        "internal",
        "OrthoMax在杭州一院关节组做髋关节假体试用，给了十套寄售，说是配合明年关节亚专科的建设。张主任没表态，"
        "我们的ArcoHip目前用量不大。",
        author=rep,
        contact="张主任",
        subject="竞品动态：OrthoMax",
        department="骨科",
        tags=["竞品"],
        fields={"competitor": "OrthoMax"},
    )
    qno = nums.quote(rng, date(2026, 10, 28))
    r["qno"] = qno
    amount = 1286400
    r["email_quote"] = record(
        h,
        "email",
        at(2026, 10, 28, 10, 12),
        "outbound",
        f"张主任、陈科长：附件是2027年度骨科耗材供货报价{qno}，含骨水泥、负压引流、一次性手术包、止血材料等"
        f"共46个品规，合计{cny(rng, amount)}，价格全部不高于阳光采购平台挂网价，含跟台和24小时急诊配送。"
        "有问题随时联系我。",
        author=rep,
        contact="张主任",
        subject=f"2027年度骨科耗材报价 {qno}",
        amount=amount,
        currency="CNY",
        product="骨科耗材",
        department="骨科",
        tags=["报价"],
        fields={"quote_no": qno},
    )
    r["meeting"] = record(
        h,
        "meeting",
        at(2026, 11, 6, 14, 30),
        "outbound",
        "和张主任、设备科陈科长当面过了一遍年度报价。张主任先问我们有没有产品进了这次带量采购中选目录，"
        "我说骨水泥和引流套件没有中选。陈科长说医院要先完成中选产品的约定采购量，非中选的只能少量补充，"
        "还提到康骨医疗已经按中选价报过来了。张主任让我们回去想想价格还有没有空间。",
        author=rep,
        contact="张主任",
        subject="年度报价沟通会",
        product="骨科耗材",
        department="骨科",
        tags=["报价", "集采"],
        fields={"quote_no": qno, "competitor": "康骨医疗"},
    )
    r["rejected"] = record(
        h,
        "quote",
        at(2026, 11, 13, 15, 40),
        "inbound",
        f"张主任电话告知，2027年度骨科耗材报价（{qno}）科室不采用。主要两点："
        "一是我们的综合报价比康骨医疗高出约12%，"
        "康骨中选后直接按中选价供货；二是医院执行带量采购，非中选产品用量要压到30%以内，"
        "设备科不会为非中选品种单独议价。"
        "张主任也说了，产品质量和跟台服务他们是认可的，卡在价格和政策上。",
        author=rep,
        contact="张主任",
        subject=f"骨科耗材报价未通过 {qno}",
        amount=amount,
        currency="CNY",
        product="骨科耗材",
        department="骨科",
        tags=["报价", "拒绝", "集采", "价格异议"],
        fields={
            "quote_no": qno,
            "quote_status": "rejected",
            "objection": "price",
            "objections": ["price", "procurement_policy"],
            "competitor": "康骨医疗",
            "competitor_price_gap_pct": 12,
            "policy": "带量采购",
        },
    )
    r["call_sbk"] = record(
        h,
        "call",
        at(2026, 11, 14, 10, 20),
        "outbound",
        "打给设备科陈科长了解细节。他说医院所有耗材必须在省阳光采购平台挂网交易，挂网价是上限，"
        "不接受线下另签价格；"
        "带量采购品种年底要考核完成率；两票制下必须由生产企业到我们、我们到医院各开一次票，不能再过第三方。"
        "他建议我们如果有中选规格，就按中选价重新报。",
        author=rep,
        contact="陈科长",
        subject="设备科解释挂网与两票制",
        department="设备科",
        tags=["集采", "挂网", "两票制"],
    )
    r["plan"] = record(
        h,
        "note",
        at(2026, 11, 17, 19, 10),
        "internal",
        f"跟{m.MANAGER}复盘杭州一院丢单：1）向厂家申请骨水泥和引流套件的特价支持，争取价差控制在5%以内；"
        "2）把中选规格单独拆出来按中选价重报；3）突出跟台响应，康骨医疗急诊到场慢；4）下周约张主任再谈一次，"
        "带上手术量增长的数据。",
        author=rep,
        subject="杭州一院报价复盘与下一步",
        product="骨科耗材",
        department="销售部",
        tags=["复盘", "价格异议"],
        fields={"quote_no": qno},
    )
    r["chat"] = record(
        h,
        "chat",
        at(2026, 11, 18, 20, 45),
        "outbound",
        "陈凯：张主任好，报价的事我们内部重新核了一遍，想下周占用您十分钟当面汇报。张主任：下周三下午吧，"
        "门诊结束以后。",
        author=rep,
        contact="张主任",
        subject="微信",
        department="骨科",
        tags=["微信", "预约"],
    )
    r["misc"] = [
        record(
            h,
            "call",
            at(2026, 3, 3, 8, 50),
            "inbound",
            "王护士长来电，周四有4台髋部骨折，要PFNA全套和两把备用导向器，孙浩跟台。",
            author=rep,
            contact="王护士长",
            subject="跟台安排",
            department="骨科",
            tags=["跟台"],
        ),
        record(
            h,
            "meeting",
            at(2026, 3, 20, 14, 0),
            "outbound",
            "在骨科做了PFNA术式培训，12位医生参加，张主任开场。钱医生问了髓内钉远端锁定的技巧，"
            "厂家讲师现场演示。",
            author=rep,
            contact="张主任",
            subject="术式培训",
            department="骨科",
            tags=["培训"],
        ),
        record(
            h,
            "meeting",
            at(2025, 12, 16, 15, 0),
            "outbound",
            "年度回顾：骨科全年从我们这里采购以创伤钉板和耗材为主，张主任对配送和跟台都满意，"
            "只提了发票偶尔晚到。",
            author=rep,
            contact="张主任",
            subject="年度回顾",
            department="骨科",
            tags=["回顾"],
        ),
        record(
            h,
            "call",
            at(2026, 5, 21, 16, 30),
            "outbound",
            "和陈科长对一季度账，还有两张发票没挂账，他让财务核对后一起付。",
            author=rep,
            contact="陈科长",
            subject="回款跟进",
            department="设备科",
            tags=["回款"],
        ),
        record(
            h,
            "call",
            at(2026, 9, 2, 11, 15),
            "inbound",
            "钱医生问SpineFix Pro有没有长尾螺钉的规格，科室下个月想开展微创经皮固定。已发产品手册。",
            author=rep,
            contact="钱医生",
            subject="新品咨询",
            product="脊柱内固定",
            department="骨科",
            tags=["新品"],
        ),
    ]
    return r


def planted(rng: random.Random, hs: dict[str, Customer], nums: m.Numbers) -> dict[str, Any]:
    """Return scripted records at other hospitals: distractor rejections, 李主任 and 张医生 cases."""
    p: dict[str, Any] = {}

    def quote(
        cid: str,
        when: tuple[int, int, int, int, int],
        contact: str,
        dept: str,
        cat: str,
        amount: int,
        text: str,
        objection: str,
        competitor: str | None,
        subject: str,
    ) -> dict[str, Any]:
        h = hs[cid]
        d = date(*when[:3])
        no = nums.quote(rng, d)
        fields: dict[str, Any] = {
            "quote_no": no,
            "quote_status": "rejected",
            "objection": objection,
            "objections": [objection],
        }
        if competitor:
            fields["competitor"] = competitor
        return record(
            h,
            "quote",
            at(*when),
            "inbound",
            text.format(no=no),
            author=m.REPS[h.region],
            contact=contact,
            subject=subject.format(no=no),
            amount=amount,
            currency="CNY",
            product=cat,
            department=dept,
            tags=["报价", "拒绝"],
            fields=fields,
        )

    p["nb_quote"] = quote(
        "nb-second-hospital",
        (2026, 11, 10, 16, 20),
        "孙主任",
        "骨科",
        "骨科耗材",
        684000,
        "宁波二院骨科耗材报价{no}没通过。孙主任说瑞迈特报得比我们低，科室今年控费压力大，只能选便宜的。",
        "price",
        "瑞迈特",
        "骨科耗材报价结果 {no}",
    )
    p["nb_call"] = record(
        hs["nb-second-hospital"],
        "call",
        at(2026, 11, 11, 9, 30),
        "outbound",
        "问了采购中心徐科长，瑞迈特同类骨水泥和引流套件的报价比我们低8%左右，"
        "另外承诺免费提供两台脉冲冲洗设备。",
        author="陈凯",
        contact="徐科长",
        subject="报价落选原因",
        product="骨科耗材",
        department="采购中心",
        tags=["竞品", "价格异议"],
        fields={"competitor": "瑞迈特"},
    )
    p["sz_meeting"] = record(
        hs["sz-univ-second-hospital"],
        "meeting",
        at(2026, 9, 16, 13, 30),
        "outbound",
        "SpineFix Pro科室会，李主任主持。李主任认可螺钉的把持力和工具手感，但提出科室开展的长节段矫形需要"
        "5.5mm长尾螺钉，问我们什么时候能拿到这个规格的注册证。",
        author="刘婷",
        contact="李主任",
        subject="SpineFix Pro科室会",
        product="脊柱内固定",
        department="脊柱外科",
        tags=["科室会"],
    )
    p["sz_quote"] = quote(
        "sz-univ-second-hospital",
        (2026, 10, 22, 10, 0),
        "李主任",
        "脊柱外科",
        "脊柱内固定",
        1032000,
        "苏大附二院脊柱内固定报价{no}被退回。设备处审核时发现SpineFix "
        "Pro的注册证规格型号里没有李主任要的长尾螺钉，"
        "资质不全不能上会。李主任的意思是等新规格获批后再报。",
        "qualification",
        None,
        "脊柱内固定报价退回 {no}",
    )
    p["ks_quote"] = quote(
        "ks-first-hospital",
        (2026, 8, 20, 15, 10),
        "周主任",
        "麻醉科",
        "麻醉耗材",
        86500,
        "昆山一院麻醉科报价{no}未通过：一次性喉罩的儿童型号不在注册证范围内，周主任说资质补齐之前没法采购，"
        "成人型号先按原供应商走。",
        "qualification",
        None,
        "麻醉耗材报价 {no}",
    )
    p["jx_quote"] = quote(
        "jx-first-hospital",
        (2026, 9, 8, 11, 0),
        "褚主任",
        "关节外科",
        "关节假体",
        1580000,
        "嘉兴一院关节假体报价{no}落选。医院执行国家人工关节集采，中选品牌是OrthoMax，"
        "褚主任说非中选的ArcoHip和FlexKnee"
        "只能在翻修等特殊病例里用，量很小。",
        "procurement_policy",
        "OrthoMax",
        "关节假体报价结果 {no}",
    )
    p["pj_meeting"] = record(
        hs["sh-pujiang-hospital"],
        "meeting",
        at(2026, 7, 22, 15, 0),
        "outbound",
        "和唐主任聊FlexKnee的使用情况。唐主任透露OrthoMax正在关节外科做膝关节假体的竞品试用，"
        "承诺全程跟台加术后随访系统，"
        "科室年轻医生反馈还不错。我们要尽快把随访数据整理出来。",
        author="王磊",
        contact="唐主任",
        subject="关节外科沟通",
        product="关节假体",
        department="关节外科",
        tags=["竞品"],
        fields={"competitor": "OrthoMax"},
    )
    p["other_rejected"] = [
        quote(
            "hf-first-hospital",
            (2026, 10, 9, 14, 0),
            "汪主任",
            "创伤骨科",
            "创伤钉板",
            452000,
            "合肥一院创伤钉板报价{no}没谈下来，汪主任说康骨医疗的锁定钢板便宜不少，医院让选价低的。",
            "price",
            "康骨医疗",
            "创伤钉板报价 {no}",
        ),
        quote(
            "cz-first-hospital",
            (2026, 6, 15, 10, 30),
            "恽主任",
            "检验科",
            "检验试剂",
            238000,
            "常州一院检验科化学发光试剂报价{no}暂缓：恽主任说今年试剂预算已经用完，明年一季度再议。",
            "budget",
            None,
            "检验试剂报价 {no}",
        ),
        quote(
            "yz-yunhe-hospital",
            (2026, 5, 12, 9, 45),
            "仇主任",
            "骨科",
            "骨科耗材",
            126000,
            "运河医院骨科报价{no}没中，仇主任担心我们在扬州没有仓库，急诊备货跟不上，还是用本地配送商。",
            "delivery",
            None,
            "骨科耗材报价 {no}",
        ),
        quote(
            "xz-central-hospital",
            (2026, 4, 17, 16, 0),
            "刘主任",
            "脊柱外科",
            "脊柱内固定",
            890000,
            "徐州中心医院脊柱报价{no}未采纳。刘主任团队用惯了瑞迈特的器械，工具和术式都熟，不想换。",
            "clinical_preference",
            "瑞迈特",
            "脊柱内固定报价 {no}",
        ),
    ]
    sx = hs["sx-peoples-hospital"]
    p["zhang_doctor"] = [
        record(
            sx,
            "call",
            at(2026, 10, 21, 18, 20),
            "inbound",
            "张医生来电，明天上午两台股骨粗隆间骨折要用PFNA，需要跟台工程师7点半到手术室，"
            "顺便带一套加长主钉。",
            author="陈凯",
            contact="张医生",
            subject="跟台安排",
            product="创伤钉板",
            department="创伤骨科",
            tags=["跟台"],
        ),
        record(
            sx,
            "call",
            at(2026, 11, 4, 21, 5),
            "inbound",
            "张医生问周末急诊能不能安排人跟台，他这周末值班。已跟孙浩确认周六周日都能到。",
            author="陈凯",
            contact="张医生",
            subject="周末急诊跟台",
            department="创伤骨科",
            tags=["跟台", "急诊"],
        ),
    ]
    wz = hs["wz-central-hospital"]
    p["wz"] = [
        record(
            wz,
            "ticket",
            at(2026, 11, 2, 9, 15),
            "inbound",
            "李主任投诉：检验科的CLIA化学发光试剂（心肌标志物）晚到了3天，急诊肌钙蛋白差点断供，"
            "临时从兄弟医院借了两盒。"
            "要求说明原因并保证下批准时。",
            author=m.SERVICE,
            contact="李主任",
            subject="试剂配送延误",
            product="检验试剂",
            department="检验科",
            tags=["投诉", "配送"],
            fields={
                "ticket_no": nums.ticket(rng, date(2026, 11, 2)),
                "status": "resolved",
                "priority": "high",
                "issue": "延误",
            },
        ),
        record(
            wz,
            "call",
            at(2026, 11, 3, 14, 0),
            "outbound",
            "回电李主任说明：冷链车在温州中转仓故障，导致试剂晚到。已改为从杭州仓直发，"
            "并把检验科的安全库存提到10天。",
            author="陈凯",
            contact="李主任",
            subject="延误说明",
            product="检验试剂",
            department="检验科",
            tags=["配送"],
        ),
        record(
            wz,
            "meeting",
            at(2026, 5, 26, 10, 0),
            "outbound",
            "在检验科跟李主任过了BG-800血气分析试剂的使用量，李主任希望改成按测试数结算。",
            author="陈凯",
            contact="李主任",
            subject="检验科沟通",
            product="检验试剂",
            department="检验科",
            tags=["洽谈"],
        ),
    ]
    return p


def build(rng: random.Random) -> TenantData:
    """Generate the medtech-east tenant."""
    hospitals = m.customers()
    hs = {h.customer_id: h for h in hospitals}
    nums = m.Numbers()
    story = hz_story(rng, hs["hz-first-hospital"], nums)
    plant = planted(rng, hs, nums)
    bg = m.background(
        rng,
        hospitals,
        nums,
        skip={"hz-first-hospital"},
        reserved={"张医生", "李主任"},
        exclude_topics={"wz-central-hospital": {"延误"}},
    )
    records: list[dict[str, Any]] = []
    for v in list(story.values()) + list(plant.values()):
        if isinstance(v, dict):
            records.append(v)
        elif isinstance(v, list):
            records.extend(v)
    records.extend(bg)
    sprinkle_zh(rng, records, "medtech", protect={id(story["rejected"])})
    hz_id = "hz-first-hospital"
    recent_orders = [o for o in story["orders"] if o["timestamp"] >= at(2026, 8, 20, 0, 0)]
    kanggu = [r for r in records if r["customer_id"] == hz_id and "康骨" in r["text"]]
    orthomax = [r for r in records if "OrthoMax" in r["text"]]
    qualification = [r for r in records if r["fields"].get("objection") == "qualification"]
    aug_order = story["orders"][9]
    q = [
        Query("zh", "张主任为什么拒绝骨科耗材报价", [story["rejected"], story["meeting"]], "paraphrase"),
        Query("zh", "杭州一院骨科最近三个月下了哪些订单", recent_orders, "keyword", {"customer_id": hz_id}),
        Query("zh", "杭一骨科手术量这一年的变化趋势", story["volume"], "paraphrase"),
        Query(
            "zh", "康骨医疗在杭州市第一人民医院的竞品动态", kanggu, "cross_channel", {"customer_id": hz_id}
        ),
        Query(
            "zh", f"报价单{story['qno']}的处理结果", [story["email_quote"], story["rejected"]], "identifier"
        ),
        Query(
            "zh", "宁波二院的骨科耗材报价为什么没通过", [plant["nb_quote"], plant["nb_call"]], "paraphrase"
        ),
        Query(
            "zh",
            "苏大附二院李主任对脊柱内固定产品有什么意见",
            [plant["sz_quote"], plant["sz_meeting"]],
            "paraphrase",
        ),
        Query("zh", "绍兴人医张医生的跟台安排", plant["zhang_doctor"], "keyword"),
        Query("zh", "哪些医院因为注册证或资质不全没有采购我们的产品", qualification, "paraphrase"),
        Query("zh", "温州中心医院检验科试剂配送延误的投诉和处理", plant["wz"][:2], "cross_channel"),
        Query("zh", "设备科陈科长怎么解释挂网价和两票制的要求", [story["call_sbk"]], "paraphrase"),
        Query(
            "zh",
            "杭州一院丢单以后下一步怎么打",
            [story["plan"], story["chat"]],
            "paraphrase",
            {"customer_id": hz_id},
        ),
        Query(
            "en",
            "Why did Director Zhang at Hangzhou First People's Hospital turn down our orthopedic consumables "
            "quote?",
            [story["rejected"], story["meeting"]],
            "paraphrase",
        ),
        Query(
            "en", "Where is OrthoMax competing with us on hip and knee implants?", orthomax, "cross_channel"
        ),
        Query(
            "en",
            "SpineFix Pro quote sent back because the registration certificate lacks the long-tail screws",
            [plant["sz_quote"]],
            "paraphrase",
        ),
        Query(
            "en",
            f"missing instrument complaint on order {aug_order['fields']['order_no']}",
            [story["ticket_aug"], aug_order],
            "identifier",
        ),
    ]
    return TenantData("medtech-east", "med", hospitals, records, MEDTECH_DOCS, q)
