"""Bilingual (zh + en) term lists of the decision features, grouped by category.

Each category maps to ``(chinese_terms, english_terms)``. A term may belong to several categories
(``退款`` is both a billing and a returns word). English terms are matched on word boundaries in
lower-cased text; Chinese terms are matched as substrings. Matching, negation and caching live in
:mod:`agent_crm.decisions.textmatch`.
"""

from __future__ import annotations

Terms = tuple[tuple[str, ...], tuple[str, ...]]


def _t(zh: str, en: str) -> Terms:
    """Build a category from space-separated Chinese terms and ``|``-separated English terms."""
    return tuple(zh.split()), tuple(t.strip() for t in en.split("|") if t.strip())


SENTIMENT_POSITIVE = _t(
    "满意 很好 不错 感谢 谢谢 认可 好评 喜欢 顺利 高兴 点赞 专业 及时 放心 推荐 愿意 期待 "
    "合作愉快 没问题 没有问题 解决了 很棒 赞赏 信任 靠谱",
    "happy|satisfied|great|excellent|thanks|thank you|appreciate|appreciated|pleased|love|"
    "good|helpful|recommend|smooth|resolved|impressed|glad|no problem|perfect",
)
SENTIMENT_NEGATIVE = _t(
    "不满 不满意 失望 生气 愤怒 投诉 差评 糟糕 太差 很差 垃圾 无法接受 不能接受 拖延 没人理 "
    "敷衍 欺骗 恶劣 抱怨 着急 担心 不靠谱 后悔 气愤 忍无可忍 受够 强烈不满 态度恶劣",
    "unhappy|disappointed|disappointing|angry|furious|frustrated|frustrating|terrible|awful|"
    "worst|unacceptable|ridiculous|poor|bad|useless|annoyed|upset|waste|scam|complaint|"
    "horrible|fed up|never again|worried|terrible service|poor quality|past your sla|no reply|still nothing|"
    "chargeback|not acceptable|smashed|crushed|never arrived|half-empty",
)
COMPLAINT = _t(
    "投诉 举报 差评 维权 曝光 12315 消协 不满 强烈不满 态度差 态度恶劣 服务差",
    "complaint|complain|complained|complaining|escalate|escalated|escalates|escalating|escalation|"
    "unacceptable|not acceptable|legal action|lawyer|rude|terrible service|past your sla|missed your sla|"
    "wrong shipment|chargeback|formal complaint|third email|still no reply|no reply",
)
URGENCY = _t(
    "紧急 加急 尽快 马上 立刻 立即 十万火急 停机 停产 无法使用 用不了 影响手术 今天必须 急需 "
    "着急 很急 急用 严重",
    "urgent|urgently|asap|immediately|critical|emergency|outage|as soon as possible|right away|right now",
)
COMPETITOR = _t(
    "竞品 竞争对手 友商 别家 选择了别家 其他厂家 其他品牌 其他供应商 另一家 别的厂家 别的供应商 国产替代",
    "competitor|competitors|competing vendor|another vendor|other vendor|other vendors|"
    "other supplier|alternative vendor|rival",
)
QUOTE = _t(
    "报价 报价单 询价 投标 议价 报价高 报价偏高 报价太高 报价更低", "quote|quotation|proposal|bid|offer"
)
REJECT = _t(
    "拒绝 不接受 没有接受 未接受 未中标 落标 没中标 选择了别家 选了其他 选择了其他 不采购 否决",
    "rejected|reject|declined|decline|turned down|lost the deal|went with|not accept|"
    "did not accept|passed on",
)

OBJECTIONS: dict[str, Terms] = {
    "price": _t(
        "太贵 偏贵 较贵 很贵 贵了 价格高 价格偏高 价格太高 报价高 报价偏高 报价太高 成本高 降价 "
        "更便宜 便宜 折扣 优惠 价格压力 价格没有优势 低价 性价比低 报价更低 价格更低",
        "too expensive|expensive|price is high|high price|too high|cheaper|lower price|discount|"
        "over budget|costs too much|pricey|costly|price objection",
    ),
    "procurement_policy": _t(
        "集采 带量采购 集中采购 招标 招采 挂网 医保控费 两票制 采购政策 准入 进院",
        "volume-based procurement|vbp|centralized procurement|tender|procurement policy|"
        "purchasing policy|formulary",
    ),
    "qualification": _t(
        "资质 注册证 认证 资格 许可证 临床数据 证据不足",
        "certification|certified|qualification|license|registration|accreditation|clinical evidence",
    ),
    "timing": _t(
        "暂不考虑 以后再说 明年再说 再等等 暂缓 时机不对",
        "not now|revisit next year|bad timing|put on hold|on hold",
    ),
    "need": _t(
        "不需要 用不上 没需求 没有需求 不感兴趣",
        "no need|don't need|do not need|not interested",
    ),
    "incumbent": _t(
        "已有供应商 现有供应商 长期合作的供应商 已经在用",
        "already have a supplier|current supplier|existing vendor|already using",
    ),
}

QUEUES: dict[str, Terms] = {
    "billing": _t(
        "发票 账单 扣费 收费 多扣 重复扣款 扣款 付款 支付 对账 退款 申请退款 费用 退费 手续费 扣了两次",
        "invoice|billing|bill|charge|charged|double charged|overcharged|payment|refund|refunds|refunded|"
        "receipt|subscription|fee|fees|card declined|payment failed|chargeback",
    ),
    "technical": _t(
        "故障 报错 错误 无法登录 登录不了 打不开 崩溃 死机 闪退 无法使用 用不了 不能用 坏了 失灵 "
        "异常 安装 升级 系统",
        "bug|error|crash|crashes|login|log in|not working|broken|outage|install|upgrade|"
        "configure|api|timeout|failed",
    ),
    "returns": _t(
        "退货 退换 换货 寄回 退款 尺码不对 不合适 大小不合适 质量问题 有瑕疵 破损 与描述不符 申请退款 "
        "退费 退课 掉色 褪色 缩水 起球 开线 发错 错发 货不对板",
        "return|returns|returned|exchange|rma|send back|refund|refunds|wrong size|defective|damaged|"
        "broken on arrival|return request|poor quality|wrong item|wrong colour|wrong color|wrong shipment|"
        "lost dye|colour coming off|color coming off|faded|shrunk|after one wash|fell apart|"
        "replacement",
    ),
    "logistics": _t(
        "物流 快递 发货 配送 送货 到货 没收到 未收到 还没到 延迟 运单 签收 丢件 催单 延误 晚到 缺件 中转",
        "shipping|delivery|delivered|courier|tracking|shipment|package|parcel|late delivery|"
        "not received|lost package|dispatch|in transit|never arrived|hasn't arrived|has not arrived|"
        "hasn't moved|where is my order|lost in transit|delayed",
    ),
    "complaints": _t(
        "投诉 不满 强烈不满 差评 举报 态度差 态度恶劣 服务差 欺骗 维权 12315",
        "complaint|complain|unacceptable|rude|escalate|escalated|escalation|terrible service|lawyer|"
        "past your sla|chargeback|formal complaint",
    ),
    "sales": _t(
        "报价 询价 购买 采购 价格 折扣 优惠 合同 试用 演示 方案",
        "quote|quotation|pricing|price|purchase|buy|discount|demo|trial|contract|proposal",
    ),
}

RETURN_EVENT = _t(
    "退货 退换 换货 寄回 申请退款 七天无理由",
    "return|returns|returned|rma|exchange|send back|sent back|return request",
)
RETURN_REASONS: dict[str, Terms] = {
    "quality": _t("质量问题 质量差 有瑕疵 次品 做工差", "defective|poor quality|faulty"),
    "size": _t(
        "尺码 尺码不对 尺寸不对 大小不合适 偏大 偏小 不合身",
        "wrong size|too small|too big|doesn't fit|does not fit",
    ),
    "damaged": _t("破损 损坏 碎了 压坏", "damaged|cracked|broken on arrival"),
    "not_as_described": _t(
        "与描述不符 货不对板 色差 发错",
        "not as described|wrong item|different from the picture",
    ),
    "late": _t("太慢 迟迟 延误", "arrived late|too late"),
    "changed_mind": _t("不想要了 七天无理由", "changed my mind|no longer needed"),
}

BUDGET = _t(
    "预算 经费 资金已批 资金到位 专项资金 已立项 拨款",
    "budget|budgeted|funding|funds approved|allocated|approved spend",
)
BUDGET_NEGATIVE = _t(
    "没有预算 没预算 预算不足 预算不够 预算紧张 预算被砍 无预算 缺少经费 经费不足",
    "no budget|budget cut|budget cuts|over budget|budget freeze|lack of funding|no funding",
)
AUTHORITY_HIGH = _t(
    "院长 副院长 总经理 总监 董事长 老板 负责人 采购负责人 决策人 拍板 签字权 厂长 创始人 董事",
    "ceo|cfo|coo|cto|owner|founder|president|vp|vice president|director|head of|general manager|"
    "partner|decision maker|decision-maker|sign off|signs off",
)
AUTHORITY_MID = _t(
    "主任 科长 处长 经理 主管 部长 护士长",
    "manager|chief|supervisor|head nurse|team lead",
)
AUTHORITY_LOW = _t(
    "助理 专员 护士 医生 工程师 文员 实习 做不了主 需要领导批准 需要院长批准",
    "assistant|coordinator|intern|engineer|analyst|staff|not the decision maker|needs approval|need approval",
)
NEED = _t(
    "需要 需求 急需 想要 希望 痛点 困扰 瓶颈 效率低 有兴趣 感兴趣 想了解",
    "need|needs|interested in|looking for|pain point|struggle|struggling|require|requirement|"
    "want to|bottleneck",
)
TIMELINE_NEAR = _t(
    "下月 下个月 本月 这个月 本季度 这个季度 下季度 年底前 月底 尽快 近期 下周 本周 两周内 一个月内 马上",
    "next month|this month|this quarter|next quarter|next week|this week|asap|q1|q2|q3|q4|"
    "by the end of|end of month|within two weeks|within a month|soon|as soon as possible",
)
TIMELINE_VAGUE = _t(
    "明年 今年 以后 将来 下半年 未来",
    "next year|later this year|sometime|eventually|in the future",
)
TIMELINE_NONE = _t(
    "没有时间表 不急 暂不 暂缓 无限期",
    "no timeline|no rush|not now|on hold|put on hold|indefinitely",
)
RENEW_OFFER = _t(
    "早鸟 续报提醒 续费提醒 续约提醒 老生续报 老生优惠 开始续报 报名开始",
    "early bird|early-bird|renewal reminder|renewal offer|renewal notice|renewal window|renew now",
)
"""Our renewal offers and reminders (an open renewal window, not the customer's intent)."""
RELOCATION = _t(
    "搬家 搬去 搬到外地 搬往 迁往 迁居 移居 搬离",
    "relocate|relocated|relocates|relocating|relocation|moving away|moved away|moving abroad|moved abroad|"
    "leaving the area|leaving town|emigrating|emigrated",
)
"""The customer is moving away (out of the service area)."""
OUR_FAULT = _t(
    "冲正 致歉 道歉 核实属实 我行原因 我方原因 我司原因 机构原因 公司原因 系统原因 系统故障 批扣重复 重复扣款 "
    "多扣 已退还 退还 我们的失误 很抱歉 非常抱歉",
    "apologise|apologize|apologised|apologized|apologies|our error|our mistake|our fault|reversed|"
    "reversal|picking error|on our side|at our cost|sorry for the trouble|we are sorry|we're sorry",
)
"""We acknowledged our own error (reversed, refunded, apologised): the complaint is about us, not the customer."""
INCIDENT = _t(
    "延误 晚到 晚了 缺件 少了 破损 损坏 碎了 故障 断供 停机 影响了手术 影响手术 影响了择期 发错 错发 漏发 "
    "质量问题 受潮 无法使用",
    "delayed|delivery delay|damaged|broken|smashed|crushed|defective|faulty|never arrived|lost in transit|"
    "lost package|lost parcel|lost dye|missing item|missing items|missing part|missing parts|is missing|"
    "are missing|wrong item|wrong colour|wrong color|wrong shipment|not working|outage|cracked|leaking|"
    "past your sla",
)
"""Service failures the customer reports (delays, damage, defects, missing items)."""
RENEW_POSITIVE = _t(
    "续费 续报 续约 续班 续课 续签 继续学 继续上",
    "renew|renewal|renewed|re-enroll|re-enrol|sign up again|extend the contract",
)
RENEW_NEGATIVE = _t(
    "不续 不再续 不报 不续报 未续报 退费 退课 停课 转校 不想学 不学了 取消合同 解约",
    "cancel|cancellation|not renew|won't renew|will not renew|quit|drop out|unsubscribe|"
    "terminate the contract",
)


def all_categories() -> dict[str, Terms]:
    """Return every category name with its terms (the single source the matcher compiles)."""
    cats: dict[str, Terms] = {
        "sent_pos": SENTIMENT_POSITIVE,
        "sent_neg": SENTIMENT_NEGATIVE,
        "complaint": COMPLAINT,
        "urgency": URGENCY,
        "competitor": COMPETITOR,
        "quote": QUOTE,
        "reject": REJECT,
        "return": RETURN_EVENT,
        "budget": BUDGET,
        "budget_neg": BUDGET_NEGATIVE,
        "auth_high": AUTHORITY_HIGH,
        "auth_mid": AUTHORITY_MID,
        "auth_low": AUTHORITY_LOW,
        "need": NEED,
        "time_near": TIMELINE_NEAR,
        "time_vague": TIMELINE_VAGUE,
        "time_none": TIMELINE_NONE,
        "renew_pos": RENEW_POSITIVE,
        "renew_neg": RENEW_NEGATIVE,
        "renew_offer": RENEW_OFFER,
        "relocation": RELOCATION,
        "our_fault": OUR_FAULT,
        "incident": INCIDENT,
    }
    cats.update({f"obj_{k}": v for k, v in OBJECTIONS.items()})
    cats.update({f"q_{k}": v for k, v in QUEUES.items()})
    cats.update({f"ret_{k}": v for k, v in RETURN_REASONS.items()})
    return cats


OBJECTION_CATEGORIES: tuple[str, ...] = tuple(OBJECTIONS)
QUEUE_NAMES: tuple[str, ...] = ("complaints", "returns", "billing", "technical", "logistics", "sales")
"""Queues in tie-break order (an escalation outranks a sales question on equal evidence)."""
RETURN_REASON_NAMES: tuple[str, ...] = tuple(RETURN_REASONS)

NEGATION_ZH = "不没无未别非"
"""Single characters that negate a Chinese term when they appear just before it."""
NOT_NEGATING_ZH: tuple[str, ...] = _t("非常 不过 不仅 不断 不少 无论 未来 不错 别人 别家", "")[0]
"""Bigrams starting with a negation character that do not negate (非常 = very, 不过 = but, ...)."""
NEGATION_EN: frozenset[str] = frozenset({"not", "no", "never", "without", "hardly", "barely", "nor"})
"""English words that negate a term among the three words before it (plus any word ending in n't)."""
