"""Tenant ``eduspring``: an education company's summer classes and renewals (Chinese with some English)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from samplegen.common import Contact, Customer, compose, load_table, on_day, rand_day, record

ADVISORS = {"滨江校区": "周静", "西湖校区": "赵琳", "萧山校区": "吴倩"}

# course -> (teacher, how parents address the teacher, summer price, autumn price, topics)
COURSES: dict[str, tuple[str, str, int, int, list[str]]] = {
    "数学思维班": (
        "孙涛",
        "孙老师",
        3280,
        4680,
        ["鸡兔同笼", "植树问题", "找规律", "数独入门", "图形面积", "倒推法"],
    ),
    "少儿英语Phonics班": (
        "Emily Carter",
        "Emily老师",
        3580,
        4980,
        ["sh/ch字母组合", "短元音a和e", "CVC单词拼读", "Phonics绘本共读", "magic e"],
    ),
    "Scratch编程班": (
        "何宇",
        "何老师",
        2980,
        4280,
        ["角色移动和坐标", "循环积木", "接苹果小游戏", "广播和消息", "变量计分"],
    ),
    "KET英语冲刺班": (
        "杨帆",
        "杨老师",
        4280,
        5980,
        ["阅读Part 3", "听力Part 4", "写作：回复邮件", "口语Part 2", "词汇：交通出行"],
    ),
    "硬笔书法班": (
        "钱慧",
        "钱老师",
        1980,
        2880,
        ["横竖笔画", "三点水偏旁", "左右结构", "古诗临写", "撇捺舒展"],
    ),
    "科学实验班": (
        "马骁",
        "马老师",
        2580,
        3680,
        ["火山喷发实验", "彩虹与折射", "浮力小船", "静电跳舞", "植物的蒸腾"],
    ),
}
GRADES = ["小学一年级", "小学二年级", "小学三年级", "小学四年级", "小学五年级", "小学六年级"]

_F = load_table("eduspring_families.json")

PERFORMANCE = [
    "上课很专注，抢着回答问题",
    "前半节有点走神，后半节跟上了",
    "作品完成得很完整",
    "和同桌配合得很好",
    "举手次数比上周多了",
    "书写比第一节课工整多了",
    "遇到难题没有放弃，自己想出了第二种方法",
    "今天有点累，话不多",
    "课堂小测全对",
    "愿意上台分享自己的想法",
]
HOMEWORK = {
    "数学思维班": ["把练习册第{n}页做完", "用今天的方法再做两道题", "把错题抄到错题本上"],
    "少儿英语Phonics班": ["每天读10分钟绘本", "跟读今天的单词卡", "听今天的儿歌音频"],
    "Scratch编程班": ["给今天的小游戏再加一个关卡", "把作品发给爸爸妈妈玩一玩", "想一想怎么让角色跳起来"],
    "KET英语冲刺班": ["复习今天的{n}个单词", "完成一篇阅读练习", "写一封60词的邮件"],
    "硬笔书法班": ["练两张字帖", "每天写10个字，注意坐姿", "把今天的古诗抄一遍"],
    "科学实验班": ["试着给家人讲一遍今天的实验", "下节课带一个空塑料瓶", "观察家里的植物并画下来"],
}
PARENT_CHATS = [
    "{teacher}好，{child}明天要去医院复查，请个假，能安排补课吗？",
    "今天能不能五点前下课？我们要赶高铁。",
    "{teacher}，作业本落在教室了，明天来拿可以吗？",
    "请问这期的发票什么时候能开？抬头写公司的。",
    "{child}回家说今天的课特别好玩，谢谢老师！",
    "下周三台风天还上课吗？",
    "请问教材需要另外买吗？",
    "孩子说想换到靠窗的位置，能调一下吗？",
]
DECLINE_REASONS = [
    ("秋季周末要上学校的足球队训练，时间排不开", "时间冲突"),
    ("孩子说不太想学了，想换个兴趣班", "兴趣"),
    ("爷爷奶奶回老家，没人接送", "接送"),
    ("学校作业太多，周中实在挤不出时间", "学业负担"),
    ("打算先停一学期，寒假再看", "暂缓"),
]


def customers() -> list[Customer]:
    """Return the family directory (customer = student, contacts = parents)."""
    out = []
    for row in _F:
        cid, child, parent, rel, campus, grade, courses = (
            row[k] for k in ("customer_id", "student", "parent", "relation", "campus", "grade", "courses")
        )
        aliases = [child[1:], f"{child}家长"]
        out.append(
            Customer(
                cid,
                child,
                aliases,
                [Contact(parent, rel, "parent")],
                campus,
                grade,
                extra={"courses": courses, "parent": parent},
            )
        )
    return out


class PayNumbers:
    """Hand out payment numbers PAY-ES-2026-<5 digits> growing with time."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, rng: random.Random, d: date) -> str:
        doy = (d - date(d.year, 1, 1)).days + 1
        while True:
            s = f"PAY-ES-{d.year}-{doy * 40 + rng.randint(0, 39):05d}"
            if s not in self.used:
                self.used.add(s)
                return s


def payment(
    rng: random.Random,
    f: Customer,
    course: str,
    d: date,
    amount: int,
    no: str,
    season: str,
    renewal: str | None = None,
) -> dict[str, Any]:
    """Return a tuition payment record."""
    parent = str(f.extra["parent"])
    method = rng.choice(["微信支付", "支付宝", "POS刷卡", "对公转账"])
    core = rng.choice(
        [
            f"{parent}缴纳{season}{course}学费{amount}元（{method}），单号{no}。",
            f"收款：{f.name} {season}{course}，{amount}元，{method}，{no}。",
            f"{f.name}{season}{course}报名成功，实收{amount}元，收据号{no}。",
        ]
    )
    opt = ["含教材费。", "老生续报立减200元已抵扣。", "已拉进班级群。", "发票已开。", "早鸟价9折。"]
    fields: dict[str, Any] = {"course": course, "payment_no": no, "season": season, "method": method}
    if renewal:
        fields["renewal_status"] = renewal
    return record(
        f,
        "payment",
        on_day(rng, d),
        "inbound",
        compose(rng, [core], opt, 1, 2),
        author=ADVISORS[f.region],
        contact=parent,
        subject=f"缴费 {no}",
        amount=amount,
        currency="CNY",
        product=course,
        department=f.region,
        tags=["缴费"] + (["续报"] if renewal else []),
        fields=fields,
    )


def feedback(rng: random.Random, f: Customer, course: str, d: date, lesson: int) -> dict[str, Any]:
    """Return a teacher's after-class feedback."""
    teacher, _, _, _, topics = COURSES[course]
    topic = rng.choice(topics)
    perf = rng.choice(PERFORMANCE)
    hw = rng.choice(HOMEWORK[course]).replace("{n}", str(rng.randint(3, 12)))
    style = rng.randint(0, 2)
    if style == 0:
        text = f"第{lesson}次课：{topic}。{f.name}{perf}。课后请{hw}。"
    elif style == 1:
        text = compose(
            rng,
            [f"{f.extra['parent']}您好，今天我们学了{topic}，{f.name[1:]}{perf}。"],
            [f"建议{hw}。", "有问题随时群里问我。", "整体状态不错，继续保持。"],
            2,
            3,
        )
    else:
        text = f"【课堂反馈】{course} 第{lesson}讲 {topic}\n表现：{perf}\n作业：{hw}"
    if course == "少儿英语Phonics班" and rng.random() < 0.5:
        text += rng.choice([" Great job today!", " Keep reading every day.", " Super star of the day ⭐"])
    return record(
        f,
        rng.choice(["chat", "note"]),
        on_day(rng, d, start=16, end=21),
        "outbound",
        text,
        author=teacher,
        contact=str(f.extra["parent"]),
        subject="课堂反馈",
        product=course,
        department=f.region,
        tags=["课堂反馈"],
        fields={"course": course, "lesson": lesson},
    )


def parent_chat(rng: random.Random, f: Customer, course: str, d: date) -> dict[str, Any]:
    """Return an inbound WeChat message from a parent."""
    _, addressed, _, _, _ = COURSES[course]
    msg = rng.choice(PARENT_CHATS).format(teacher=addressed, child=f.name[1:])
    reply = rng.choice(["好的，已登记。", "可以的，我跟老师说一下。", "收到～", "没问题，明天前台给您。", ""])
    text = f"{f.extra['parent']}：{msg}" + (f"\n{ADVISORS[f.region]}：{reply}" if reply else "")
    return record(
        f,
        "chat",
        on_day(rng, d, start=8, end=22),
        "inbound",
        text,
        author=str(f.extra["parent"]),
        contact=str(f.extra["parent"]),
        subject="微信",
        product=course,
        department=f.region,
        tags=["微信"],
        fields={"course": course},
    )


def report(rng: random.Random, f: Customer, course: str, d: date, attended: int) -> dict[str, Any]:
    """Return a mid-course learning report with the attendance rate."""
    rate = round(attended / 15, 2)
    parts = [f"{f.name}《{course}》学习报告：15次课出勤{attended}次（{rate:.0%}）。"]
    if rate >= 0.85:
        parts.append(
            rng.choice(
                ["课堂参与度高，测评成绩在班里中上。", "作业完成率百分之百。", "进步明显，尤其是课堂表达。"]
            )
        )
    elif rate >= 0.7:
        parts.append(rng.choice(["有几次请假，补课都按时来了。", "整体跟得上，个别知识点需要巩固。"]))
    else:
        parts.append(rng.choice(["缺课偏多，建议家长关注出勤。", "有两次没请假直接缺席，已提醒家长。"]))
    return record(
        f,
        "note",
        on_day(rng, d),
        "outbound",
        "".join(parts),
        author=ADVISORS[f.region],
        contact=str(f.extra["parent"]),
        subject="学习报告",
        product=course,
        department=f.region,
        tags=["学习报告"],
        fields={"course": course, "attendance_rate": rate},
    )


def reminder(
    rng: random.Random, f: Customer, course: str, d: date, autumn: int, season: str = "秋季"
) -> dict[str, Any]:
    """Return a renewal reminder."""
    parent = str(f.extra["parent"])
    text = rng.choice(
        [
            f"{parent}您好，{season}{course}本周五截止早鸟价，老生续报再减200元，{f.name[1:]}这期进步挺明显，"
            "要不要先帮您留个名额？",
            f"提醒：{f.name}{season}{course}开始续报了，原价{autumn}元，老生早鸟价9折。"
            "时间有周六上午和周日下午两个班。",
            f"{parent}，{season}班排课出来了，{f.name[1:]}原来的老师继续带，需要续报的话回复1，我帮您锁位。",
        ]
    )
    if season == "寒假":
        text = rng.choice(
            [
                f"{parent}您好，寒假{course}早鸟报名开始了，老生9折，1月下旬开课，每天上午两小时，共8天。",
                f"寒假班预告：{course}1月25日开课，{f.name[1:]}是老生可以优先选时间，11月底前报名有早鸟价。",
            ]
        )
    channel = rng.choice(["chat", "chat", "call"])
    if channel == "call":
        text = f"电话联系{parent}做续报提醒，" + rng.choice(
            ["对方说回去和孩子爸爸商量。", "对方让把课表发微信。", "对方在开会，约了晚上再打。"]
        )
    return record(
        f,
        channel,
        on_day(rng, d),
        "outbound",
        text,
        author=ADVISORS[f.region],
        contact=parent,
        subject="续报提醒",
        product=course,
        department=f.region,
        tags=["续报提醒"],
        fields={"course": course, "renewal_status": "pending"},
    )


def outcome_declined(rng: random.Random, f: Customer, course: str, d: date) -> dict[str, Any]:
    """Return a declined renewal note."""
    parent = str(f.extra["parent"])
    reason, code = rng.choice(DECLINE_REASONS)
    text = rng.choice(
        [
            f"{parent}回复秋季先不续了：{reason}。已标记未续报。",
            f"回访{parent}，{f.name}{course}秋季不报，原因是{reason}。",
            f"{parent}：老师，{reason}，这学期就先不报了，谢谢。",
        ]
    )
    return record(
        f,
        rng.choice(["chat", "call"]),
        on_day(rng, d),
        "inbound",
        text,
        author=ADVISORS[f.region],
        contact=parent,
        subject="续报结果",
        product=course,
        department=f.region,
        tags=["续报", "未续报"],
        fields={"course": course, "renewal_status": "declined", "decline_reason": code},
    )


def survey(rng: random.Random, f: Customer, course: str, d: date, score: int) -> dict[str, Any]:
    """Return a satisfaction survey note."""
    parent = str(f.extra["parent"])
    comment = {
        5: ["老师特别用心", "孩子每次都盼着上课", "反馈很及时"],
        4: ["整体满意，希望作业少一点", "老师不错，教室有点热"],
        3: ["一般，上课时间有点晚", "停车不方便"],
        2: ["换过一次老师，孩子不太适应"],
        1: ["不满意"],
    }[score]
    text = rng.choice(
        [
            f"暑期满意度回访：{parent}打{score}分，说{rng.choice(comment)}。",
            f"{f.name}家长回访，满意度{score}/5。{rng.choice(comment)}。",
        ]
    )
    return record(
        f,
        "call",
        on_day(rng, d),
        "outbound",
        text,
        author=ADVISORS[f.region],
        contact=parent,
        subject="满意度回访",
        product=course,
        department=f.region,
        tags=["满意度"],
        fields={"course": course, "satisfaction": score},
    )


def background(
    rng: random.Random, fams: list[Customer], pays: PayNumbers, skip: set[str]
) -> list[dict[str, Any]]:
    """Return records for families outside the scripted stories."""
    out: list[dict[str, Any]] = []
    for f in fams:
        if f.customer_id in skip:
            continue
        for course in f.extra["courses"]:
            _, _, summer, autumn, _ = COURSES[course]
            d = rand_day(rng, date(2026, 5, 20), date(2026, 6, 28))
            out.append(payment(rng, f, course, d, summer, pays(rng, d), "暑期"))
            attended = rng.choice((9, 10, 11, 12, 13, 13, 14, 14, 15, 15))
            lessons = sorted(rng.sample(range(2, 15), rng.randint(1, 2)))
            for lesson in lessons:
                out.append(feedback(rng, f, course, date(2026, 7, 6) + timedelta(days=lesson * 3), lesson))
            if rng.random() < 0.6:
                out.append(parent_chat(rng, f, course, rand_day(rng, date(2026, 7, 6), date(2026, 8, 20))))
            out.append(report(rng, f, course, rand_day(rng, date(2026, 8, 6), date(2026, 8, 12)), attended))
            out.append(reminder(rng, f, course, rand_day(rng, date(2026, 8, 12), date(2026, 8, 20)), autumn))
            score = min(5, max(2, round(rng.gauss(4.1, 0.8))))
            if rng.random() < 0.55:
                out.append(survey(rng, f, course, rand_day(rng, date(2026, 8, 24), date(2026, 9, 6)), score))
            p_renew = 0.25 + 0.5 * (attended / 15) + 0.05 * (score - 3)
            roll = rng.random()
            when = rand_day(rng, date(2026, 8, 20), date(2026, 9, 8))
            if roll < p_renew:
                out.append(payment(rng, f, course, when, autumn - 200, pays(rng, when), "秋季", "renewed"))
                out.append(
                    feedback(
                        rng,
                        f,
                        course,
                        rand_day(rng, date(2026, 9, 20), date(2026, 11, 15)),
                        rng.randint(3, 10),
                    )
                )
                if rng.random() < 0.5:
                    out.append(
                        reminder(
                            rng,
                            f,
                            course,
                            rand_day(rng, date(2026, 11, 8), date(2026, 11, 19)),
                            int(autumn * 0.45),
                            "寒假",
                        )
                    )
            elif roll < p_renew + 0.15:
                out.append(
                    record(
                        f,
                        "call",
                        on_day(rng, when),
                        "outbound",
                        f"续报回访：{f.extra['parent']}说还在考虑，"
                        f"{rng.choice(['想先看看学校课表', '等孩子开学适应一下', '和别的机构比较一下'])}。",
                        author=ADVISORS[f.region],
                        contact=str(f.extra["parent"]),
                        subject="续报回访",
                        product=course,
                        department=f.region,
                        tags=["续报"],
                        fields={"course": course, "renewal_status": "pending"},
                    )
                )
            else:
                out.append(outcome_declined(rng, f, course, when))
    return out
