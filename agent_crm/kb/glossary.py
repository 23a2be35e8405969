"""Bilingual CRM glossary: dictionary-based cross-lingual expansion of lexical queries.

An English question over Chinese records (or the reverse) shares no BM25 tokens with them; the dense side helps
but multilingual-e5-small's cross-lingual matching is weaker than its monolingual one. Expanding the lexical query
with the glossary's translations of the CRM terms it contains ("overdue repayment" → 逾期 还款) lets the lexical side
contribute again. Terms are domain vocabulary (sales, service, credit, education, e-commerce), not tenant data.
"""

from __future__ import annotations

import functools
import re

# english term(s) = chinese term(s); '|' separates synonyms on either side
_PAIRS = """
quote|quotation|offer = 报价|报价单
reject|rejected|turn down|turned down|declined|refused = 拒绝|拒签|退回|未通过
price|pricing|expensive|too high = 价格|价格偏高|贵
discount = 折扣|优惠
competitor|rival = 竞品|竞争对手
procurement|tender|bidding = 采购|招标|集采|带量采购
volume-based procurement = 带量采购|集采
registration certificate|certificate = 注册证|资质
qualification = 资质
orthopedic|orthopaedic = 骨科
consumables = 耗材
spine|spinal = 脊柱
trauma = 创伤
joint = 关节
surgery|surgical|operation = 手术
hospital = 医院
department = 科室
director = 主任
doctor = 医生|医师
nurse = 护士
order = 订单|订货
delivery|shipping|shipment = 配送|发货|物流|到货
late|delayed|delay = 延迟|延误|晚到
missing = 缺件|缺少|少了
instrument = 器械
complaint|complain|complained = 投诉|不满
refund = 退款|退费
return|returned|returns = 退货|退回
damaged|broken = 破损|损坏
follow up|follow-up = 跟进|回访
visit = 拜访|上门
meeting = 会议|会面
contract = 合同
renewal|renew = 续费|续报|续约
decline renewal = 不续费|放弃续报
class|course|lesson = 课程|班|课
summer = 暑期|暑假
autumn|fall = 秋季
math|maths = 数学
english = 英语
teacher = 老师
parent|mom|mother|dad|father = 家长|妈妈|爸爸
too hard|too difficult|difficult = 太难|难度|跟不上
loan = 贷款|经营贷
credit = 授信|信贷|额度
credit limit = 额度|授信额度
repayment|repay|installment = 还款|还贷
overdue|late payment|past due = 逾期|逾期还款
on time = 按时
cash flow|turnover|revenue = 流水|营业额|现金流
pos|card payment|qr payment = POS|收单|扫码
supermarket|store|shop = 超市|门店|商店
farm = 养殖场|农场
pig = 生猪|猪
fish|fishery = 渔场|鱼塘
guarantee|guarantor = 担保|担保人
collateral|mortgage = 抵押|抵押物
risk = 风险
review|assessment = 审查|评估|调查
application|apply = 申请
interest = 利息
customer = 客户
churn|lose|leaving = 流失|流失风险
satisfaction|satisfied = 满意度|满意
ticket = 工单
urgent = 紧急|加急
"""


@functools.lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern[str], dict[str, str], re.Pattern[str], dict[str, str]]:
    en_to_zh: dict[str, str] = {}
    zh_to_en: dict[str, str] = {}
    for line in _PAIRS.strip().splitlines():
        left, right = (part.strip() for part in line.split("="))
        ens, zhs = left.split("|"), right.split("|")
        for en in ens:
            en_to_zh[en.lower()] = " ".join(zhs)
        for zh in zhs:
            zh_to_en.setdefault(zh, " ".join(ens))
    en_keys = sorted(en_to_zh, key=len, reverse=True)
    zh_keys = sorted(zh_to_en, key=len, reverse=True)
    en_re = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in en_keys) + r")\b", re.IGNORECASE)
    zh_re = re.compile("|".join(re.escape(k) for k in zh_keys))
    return en_re, en_to_zh, zh_re, zh_to_en


def expand_query(query: str) -> str:
    """Return the query followed by the glossary translations of the CRM terms it contains (deduplicated)."""
    en_re, en_to_zh, zh_re, zh_to_en = _table()
    extra: list[str] = []
    for m in en_re.finditer(query):
        extra.append(en_to_zh[m.group(0).lower()])
    for m in zh_re.finditer(query):
        extra.append(zh_to_en[m.group(0)])
    words = list(dict.fromkeys(w for chunk in extra for w in chunk.split()))
    return f"{query} {' '.join(words)}" if words else query
