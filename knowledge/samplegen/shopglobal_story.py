"""Tenant ``shopglobal``: scripted cases and the queries.

Damaged mugs on SO-2026-004512, EU late deliveries, a small-running tee, a fading duvet batch, a wholesale
mix-up, a chargeback threat, address changes, ...
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from samplegen import shopglobal as sg
from samplegen.common import UTC, Customer, Query, TenantData, add_pii, at, cn_mobile, fmt_mobile, record
from samplegen.docs import SHOPGLOBAL_DOCS
from samplegen.pii import en_planters, sprinkle


def _at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> Any:
    return at(y, m, d, hh, mm, UTC)


def _order(rng: random.Random, c: Customer, d: date, no: str, its: list[tuple[str, int]]) -> dict[str, Any]:
    items = []
    for sku, qty in its:
        name, price, _ = sg.CATALOG[sku.rsplit("-", 1)[0]]
        items.append((sku, name, qty, price * (0.55 if c.segment == "wholesale" else 1.0)))
    return sg.order_record(rng, c, d, no, items)


def _rec(
    c: Customer,
    channel: str,
    when: Any,
    direction: str,
    text: str,
    author: str,
    subject: str,
    tags: list[str],
    product: str | None = None,
    dept: str = "Support",
    **fields: Any,
) -> dict[str, Any]:
    return record(
        c,
        channel,
        when,
        direction,
        text,
        author=author,
        contact=c.contacts[0].name,
        subject=subject,
        product=product,
        department=dept,
        tags=tags,
        fields=fields,
    )


def story(
    rng: random.Random,
    cs: dict[str, Customer],
    orders: sg.OrderNumbers,
    rmas: sg.Counter,
    tickets: sg.Counter,
) -> dict[str, Any]:
    """Return the scripted records keyed by role."""
    s: dict[str, Any] = {}
    mug, tee, duvet = "Stoneware Mug Set of 4", "Classic Organic Cotton Tee", "Stonewashed Linen Duvet Cover"

    emma = cs["sg-emma-schulz"]
    no = "SO-2026-004512"
    s["emma_order"] = _order(
        rng, emma, date(2026, 10, 28), no, [("SKU-MG-0088-WH", 2), ("SKU-TW-0056-WH", 1)]
    )
    s["emma_ship"] = sg.bg_email(rng, emma, date(2026, 10, 30), no, s["emma_order"]["fields"]["carrier"])
    t_emma = tickets(rng)
    s["emma_case"] = [
        _rec(
            emma,
            "chat",
            _at(2026, 11, 7, 18, 20),
            "inbound",
            f"Emma: Hi, my parcel for {no} arrived today and two of the mugs are smashed, one corner of the "
            "box was "
            "completely crushed. Photos attached.\nPriya: I'm so sorry, Emma! I've opened a case for you. "
            "You don't "
            "need to send the broken ones back.",
            "Priya Nair (Support)",
            "Live chat",
            ["chat", "damaged"],
            mug,
            order_no=no,
            sku="SKU-MG-0088-WH",
        ),
        _rec(
            emma,
            "ticket",
            _at(2026, 11, 8, 8, 5),
            "inbound",
            f"Damaged in transit on {no}: 2 of 8 mugs (SKU-MG-0088-WH) broken, outer carton crushed (DHL). "
            "Photos "
            "on file. Item value under the 25 EUR no-return threshold, so no return label needed. Customer "
            "prefers "
            "a replacement over a refund.",
            "Priya Nair (Support)",
            "Broken mugs on delivery",
            ["ticket", "damaged"],
            mug,
            ticket_no=t_emma,
            status="pending_replacement",
            priority="normal",
            order_no=no,
            sku="SKU-MG-0088-WH",
        ),
        _rec(
            emma,
            "return",
            _at(2026, 11, 9, 9, 30),
            "inbound",
            f"Return/claim for order {no}: reason damaged (2 mugs broken in transit). Resolution: "
            "replacement set, "
            "keep the damaged items.",
            "Priya Nair (Support)",
            f"Return request {rmas(rng)}",
            ["return", "damaged"],
            mug,
            order_no=no,
            sku="SKU-MG-0088-WH",
            return_reason="damaged",
            status="approved",
            resolution="replacement",
        ),
    ]
    rep_track = sg.tracking(rng, "DHL eCommerce")
    s["emma_replacement"] = _rec(
        emma,
        "email",
        _at(2026, 11, 12, 14, 45),
        "outbound",
        "Hi Emma, your replacement Stoneware Mug Set (SKU-MG-0088-WH) left our warehouse today with DHL, "
        "tracking "
        f"{rep_track}. No need to return the broken mugs, just dispose of them safely. Sorry again for the "
        "trouble "
        f"with order {no}.",
        "Priya Nair (Support)",
        f"Replacement for {no} is on its way",
        ["email", "replacement"],
        mug,
        order_no=no,
        tracking_no=rep_track,
    )
    s["emma_pack"] = _rec(
        emma,
        "note",
        _at(2026, 11, 13, 3, 10),
        "internal",
        "包装供应商确认：SKU-MG-0088 从11月20日起改用加厚蜂窝纸隔板和五层外箱。"
        "近两周欧洲线已有3起马克杯破损。",
        sg.SOURCING,
        "包装改进",
        ["supplier", "packaging"],
        mug,
        dept="Sourcing",
    )

    ava = cs["sg-ava-johnson"]
    ava_no = "SO-2026-004397"
    s["ava_order"] = _order(rng, ava, date(2026, 10, 18), ava_no, [("SKU-MG-0088-GN", 1)])
    s["ava_case"] = [
        _rec(
            ava,
            "chat",
            _at(2026, 10, 27, 22, 10),
            "inbound",
            "Ava: One of the green mugs came with the handle snapped off :( \nDaniel: Ugh, sorry! Send me a "
            "photo and "
            "I'll sort a refund for that piece.",
            "Daniel Wu (Support)",
            "Live chat",
            ["chat", "damaged"],
            mug,
            order_no=ava_no,
            sku="SKU-MG-0088-GN",
        ),
        _rec(
            ava,
            "return",
            _at(2026, 10, 28, 15, 0),
            "inbound",
            f"Claim on {ava_no}: 1 mug arrived with a broken handle. Partial refund of $10.50, no return "
            "required.",
            "Daniel Wu (Support)",
            f"Return request {rmas(rng)}",
            ["return", "damaged"],
            mug,
            order_no=ava_no,
            sku="SKU-MG-0088-GN",
            return_reason="damaged",
            status="refunded",
        ),
    ]

    hannah, lim = cs["sg-hannah-wagner"], cs["sg-lim-wei-ming"]
    h_no = "SO-2026-004521"
    s["hannah_order"] = _order(rng, hannah, date(2026, 10, 28), h_no, [("SKU-HD-0107-BK", 1)])
    lim_no = orders(rng, date(2026, 8, 11))
    s["lim_order"] = _order(
        rng, lim, date(2026, 8, 11), lim_no, [("SKU-DR-0215-RD", 1), ("SKU-BG-0130-GN", 1)]
    )
    s["address"] = [
        _rec(
            hannah,
            "chat",
            _at(2026, 10, 31, 9, 40),
            "inbound",
            f"Hannah: I moved flats last week and forgot to update my address, {h_no} already shipped. Can "
            "you "
            "redirect it?\nMia: It's with DHL now, so I've asked them to reroute; if that fails it comes "
            "back to us and "
            "we'll resend for free.",
            "Mia Chen (Support)",
            "Live chat",
            ["chat", "address_change"],
            order_no=h_no,
        ),
        _rec(
            lim,
            "email",
            _at(2026, 8, 13, 2, 15),
            "inbound",
            f"Hello, order {lim_no} was dispatched yesterday but I typed the wrong unit number. It should be "
            "#12-07, "
            "not #12-70. Can the courier deliver to the right unit?",
            "Lim Wei Ming",
            "Wrong address on my order",
            ["email", "address_change"],
            order_no=lim_no,
        ),
    ]

    late: list[dict[str, Any]] = []
    liam, sofia, nordic, lucas = (
        cs["sg-liam-oconnor"],
        cs["sg-sofia-rossi"],
        cs["sg-nordic-threads"],
        cs["sg-lucas-dubois"],
    )
    n1 = orders(rng, date(2026, 9, 8))
    n2 = orders(rng, date(2026, 8, 20))
    n3 = orders(rng, date(2026, 9, 25))
    n4 = orders(rng, date(2026, 9, 6))
    s["late_orders"] = [
        _order(rng, liam, date(2026, 9, 8), n1, [("SKU-HD-0107-GN", 1)]),
        _order(rng, sofia, date(2026, 8, 20), n2, [("SKU-DR-0215-BL", 1)]),
        _order(rng, nordic, date(2026, 9, 25), n3, [("SKU-BG-0130-BK", 80), ("SKU-TW-0056-WH", 40)]),
        _order(rng, lucas, date(2026, 9, 6), n4, [("SKU-TW-0056-BL", 2)]),
    ]
    late.append(
        _rec(
            liam,
            "ticket",
            _at(2026, 10, 2, 20, 0),
            "inbound",
            f"It's been 24 days since I ordered ({n1}) and DHL has shown 'in transit' since 12 September. "
            "Your "
            "site promised 8-14 business days. Starting to think it's lost.",
            "Liam O'Connor",
            "Order never arrived",
            ["ticket", "late_delivery"],
            ticket_no=tickets(rng),
            status="closed",
            priority="high",
            topic="where",
            order_no=n1,
        )
    )
    late.append(
        _rec(
            sofia,
            "email",
            _at(2026, 9, 15, 7, 30),
            "inbound",
            f"Buongiorno, my dress ({n2}) still hasn't arrived after more than three weeks. Tracking has "
            "been "
            "stuck at the Milan sorting centre for 9 days. I needed it for a wedding this Saturday.",
            "Sofia Rossi",
            "Where is my dress?",
            ["email", "late_delivery"],
            order_no=n2,
        )
    )
    late.append(
        _rec(
            nordic,
            "email",
            _at(2026, 10, 20, 11, 0),
            "inbound",
            f"Our wholesale order {n3} was supposed to arrive before our store relaunch on 15 October. It "
            "came "
            "on the 19th, two weeks past your SLA, and we relaunched with half-empty shelves. We expect a "
            "discount on this one.",
            "Karin Holm",
            "Late wholesale delivery",
            ["email", "late_delivery", "wholesale"],
            order_no=n3,
        )
    )
    late.append(
        record(
            lucas,
            "review",
            _at(2026, 10, 5, 16, 25),
            "inbound",
            "Nice soft towels but they took almost four weeks to reach Lyon, nobody answered my emails "
            "about it.",
            author="Lucas Dubois",
            contact="Lucas Dubois",
            subject="2★ Waffle Bath Towel Set",
            product="Waffle Bath Towel Set",
            department="Sales",
            tags=["review", "late_delivery"],
            fields={"order_no": n4, "sku": "SKU-TW-0056-BL", "rating": 2},
        )
    )
    s["late_eu"] = late

    noah, jonas, tan, olivia = (
        cs["sg-noah-williams"],
        cs["sg-jonas-becker"],
        cs["sg-tan-jia-hui"],
        cs["sg-olivia-davis"],
    )
    tn = [
        orders(rng, date(2026, 9, 10)),
        orders(rng, date(2026, 9, 18)),
        orders(rng, date(2026, 9, 28)),
        orders(rng, date(2026, 5, 30)),
    ]
    s["tee_orders"] = [
        _order(rng, noah, date(2026, 9, 10), tn[0], [("SKU-TS-0042-BL", 2)]),
        _order(rng, jonas, date(2026, 9, 18), tn[1], [("SKU-TS-0042-BL", 1)]),
        _order(rng, tan, date(2026, 9, 28), tn[2], [("SKU-TS-0042-BL", 1), ("SKU-YL-0020-BK", 1)]),
        _order(rng, olivia, date(2026, 5, 30), tn[3], [("SKU-TS-0042-WH", 1)]),
    ]

    def tee_return(c: Customer, when: Any, no: str, sku: str, text: str, status: str) -> dict[str, Any]:
        return _rec(
            c,
            "return",
            when,
            "inbound",
            text,
            c.contacts[0].name,
            f"Return request {rmas(rng)}",
            ["return", "size"],
            tee,
            order_no=no,
            sku=sku,
            return_reason="size",
            status=status,
        )

    s["tee_small"] = [
        tee_return(
            noah,
            _at(2026, 9, 22, 1, 30),
            tn[0],
            "SKU-TS-0042-BL",
            "Ordered my usual L in the blue tee (SKU-TS-0042-BL) and it fits like an M. Both shirts. Can I "
            "exchange for XL?",
            "exchanged",
        ),
        tee_return(
            jonas,
            _at(2026, 10, 3, 12, 0),
            tn[1],
            "SKU-TS-0042-BL",
            f"Das blaue T-Shirt fällt mindestens eine Nummer kleiner aus. Please exchange {tn[1]} "
            "for size L.",
            "exchanged",
        ),
        tee_return(
            tan,
            _at(2026, 10, 11, 6, 40),
            tn[2],
            "SKU-TS-0042-BL",
            "The blue tee is too tight around the chest even though I followed the size chart. Could I get "
            "an "
            "XL instead? The leggings are fine.",
            "exchanged",
        ),
    ]
    s["tan_exchange"] = _rec(
        tan,
        "email",
        _at(2026, 10, 12, 3, 0),
        "outbound",
        f"Hi Jia Hui, your XL blue tee is on its way as an exchange for {tn[2]}. Keep the M and "
        "pass it on to someone — no need to send it back.",
        "Mia Chen (Support)",
        f"Exchange for {tn[2]}",
        ["email", "exchange"],
        tee,
        order_no=tn[2],
        sku="SKU-TS-0042-BL",
    )
    s["tee_white"] = tee_return(
        olivia,
        _at(2026, 6, 15, 17, 0),
        tn[3],
        "SKU-TS-0042-WH",
        "White tee is a little roomy, could I swap it for an S?",
        "exchanged",
    )
    s["tee_supplier"] = [
        _rec(
            noah,
            "note",
            _at(2026, 10, 8, 2, 0),
            "internal",
            "供应商回复：SKU-TS-0042 九月批次（蓝色BL）换了新纸样，胸围比标准小约2厘米，整体偏小半码到一码。"
            "已要求十月批次恢复旧纸样，"
            "库存的蓝色M、L码在详情页加提示“偏小，建议选大一码”。",
            sg.SOURCING,
            "供应商反馈：T恤版型",
            ["supplier", "sizing"],
            tee,
            dept="Sourcing",
            sku="SKU-TS-0042-BL",
        ),
        _rec(
            jonas,
            "note",
            _at(2026, 10, 20, 6, 30),
            "internal",
            "质检抽查：SKU-TS-0042-BL 深圳仓库存120件，抽20件量胸围，平均比尺码表小1.8厘米，"
            "已全部贴“偏小”标签再发货。",
            sg.SOURCING,
            "质检记录",
            ["supplier", "qc"],
            tee,
            dept="Sourcing",
            sku="SKU-TS-0042-BL",
        ),
    ]

    lena, mia, siti = cs["sg-lena-fischer"], cs["sg-mia-thomas"], cs["sg-siti-rahmah"]
    dn = [orders(rng, date(2026, 9, 12)), orders(rng, date(2026, 9, 16)), orders(rng, date(2026, 9, 24))]
    s["duvet_orders"] = [
        _order(rng, lena, date(2026, 9, 12), dn[0], [("SKU-BD-0311-GR", 1)]),
        _order(rng, mia, date(2026, 9, 16), dn[1], [("SKU-BD-0311-GR", 1)]),
        _order(rng, siti, date(2026, 9, 24), dn[2], [("SKU-BD-0311-GR", 1), ("SKU-TW-0056-WH", 1)]),
    ]
    s["duvet_fade"] = [
        record(
            lena,
            "review",
            _at(2026, 9, 28, 19, 0),
            "inbound",
            "The grey duvet cover faded to a blotchy green-grey after the very first wash at 40°. For this "
            "price I "
            "expected better.",
            author="Lena Fischer",
            contact="Lena Fischer",
            subject=f"1★ {duvet}",
            product=duvet,
            department="Sales",
            tags=["review"],
            fields={"order_no": dn[0], "sku": "SKU-BD-0311-GR", "rating": 1},
        ),
        record(
            mia,
            "review",
            _at(2026, 10, 6, 23, 15),
            "inbound",
            "Pretty at first but the colour washed out unevenly, now it looks streaky. Followed the care "
            "label.",
            author="Mia Thomas",
            contact="Mia Thomas",
            subject=f"2★ {duvet}",
            product=duvet,
            department="Sales",
            tags=["review"],
            fields={"order_no": dn[1], "sku": "SKU-BD-0311-GR", "rating": 2},
        ),
        _rec(
            siti,
            "ticket",
            _at(2026, 10, 14, 4, 20),
            "inbound",
            "Is it normal that the grey linen cover lost so much dye? After one wash it is patchy and the "
            "water was "
            "grey.",
            "Siti Rahmah",
            "Colour coming off",
            ["ticket", "quality"],
            duvet,
            ticket_no=tickets(rng),
            status="closed",
            priority="normal",
            topic="quality",
            order_no=dn[2],
            sku="SKU-BD-0311-GR",
        ),
    ]
    s["duvet_supplier"] = _rec(
        lena,
        "note",
        _at(2026, 10, 16, 2, 45),
        "internal",
        "染厂反馈：SKU-BD-0311-GR 8月染色批次（缸号D2608-17）固色工序温度不够，色牢度只有2-3级。"
        "该批次已下架，"
        "已售订单主动联系退换。",
        sg.SOURCING,
        "供应商反馈：染色批次",
        ["supplier", "quality"],
        duvet,
        dept="Sourcing",
        sku="SKU-BD-0311-GR",
    )

    w_no = "SO-2026-003870"
    s["nordic_order"] = _order(
        rng, nordic, date(2026, 9, 4), w_no, [("SKU-TS-0042-BK", 200), ("SKU-HD-0107-GR", 120)]
    )
    s["nordic_case"] = [
        _rec(
            nordic,
            "ticket",
            _at(2026, 9, 21, 8, 10),
            "inbound",
            "Karin Holm: we received 120 hoodies in green (SKU-HD-0107-GN) instead of grey (SKU-HD-0107-GR) "
            "on "
            f"{w_no}. We can't sell green in the autumn window. Escalated to Tier 2.",
            "Sara Lopez (Support Lead)",
            "Wrong colour in wholesale order",
            ["ticket", "wholesale", "escalation"],
            ticket_no=tickets(rng),
            status="escalated",
            priority="high",
            topic="wrong_item",
            order_no=w_no,
        ),
        _rec(
            nordic,
            "email",
            _at(2026, 9, 23, 9, 0),
            "outbound",
            "Dear Karin, apologies — this was a picking error at our Shenzhen warehouse. We are "
            "air-shipping 120 grey "
            f"hoodies at our cost this week and issuing a 10% credit note (CN-2026-0142) on {w_no}. You can "
            "keep the "
            "green ones and sell them at your discretion, or return them on our label.",
            sg.OPS,
            f"{w_no}: replacement and credit note",
            ["email", "wholesale", "escalation"],
            order_no=w_no,
        ),
    ]

    carter = cs["sg-carter-martinez"]
    c_no = orders(rng, date(2026, 7, 20))
    s["carter_order"] = _order(rng, carter, date(2026, 7, 20), c_no, [("SKU-HD-0107-BK", 1)])
    s["chargeback"] = [
        _rec(
            carter,
            "ticket",
            _at(2026, 8, 14, 21, 0),
            "inbound",
            f"Third email with no reply about my refund for {c_no}. I returned the hoodie on July 30 and UPS "
            "shows it "
            "delivered to you. If I don't hear back by Friday I'm filing a chargeback with my bank.",
            "Carter Martinez",
            "Refund not received",
            ["ticket", "refund", "chargeback_risk"],
            ticket_no=tickets(rng),
            status="closed",
            priority="high",
            topic="refund",
            order_no=c_no,
        ),
        _rec(
            carter,
            "chat",
            _at(2026, 8, 15, 15, 30),
            "inbound",
            "Carter: Still nothing. Do I need to open a dispute with Amex?\nSara: No need — the refund of "
            "$62.95 was "
            "issued this morning, you'll see it in 3-5 days. Sorry it took this long.",
            sg.LEAD,
            "Live chat",
            ["chat", "refund", "chargeback_risk"],
            order_no=c_no,
        ),
    ]

    maria = cs["sg-maria-santos"]
    m_no = orders(rng, date(2026, 10, 20))
    s["maria_order"] = _order(rng, maria, date(2026, 10, 20), m_no, [("SKU-YL-0020-GR", 2)])
    s["maria_case"] = [
        _rec(
            maria,
            "chat",
            _at(2026, 11, 3, 5, 0),
            "inbound",
            f"Maria: hi po, tracking for {m_no} hasn't updated since Oct 24, stuck at the Pasay hub.\nMia: "
            "Checking "
            "with J&T now, I'll email you by tomorrow.",
            "Mia Chen (Support)",
            "Live chat",
            ["chat", "tracking"],
            order_no=m_no,
        ),
        _rec(
            maria,
            "ticket",
            _at(2026, 11, 4, 2, 30),
            "inbound",
            f"Carrier escalation: {m_no} no scan for 10 days at J&T Pasay. Trace opened with J&T, resend "
            "approved if "
            "not found within 3 days.",
            "Mia Chen (Support)",
            "Parcel stuck at hub",
            ["ticket", "tracking"],
            ticket_no=tickets(rng),
            status="open",
            priority="normal",
            topic="where",
            order_no=m_no,
        ),
    ]

    bloom = cs["sg-bloom-boutique"]
    s["bloom"] = [
        _rec(
            bloom,
            "email",
            _at(2026, 7, 8, 16, 0),
            "inbound",
            "Hi there, we'd like to stock your organic tees and canvas totes for the holiday season, roughly "
            "300+ "
            "units across colours. What kind of volume pricing can you offer?",
            "Rachel Kim",
            "Wholesale pricing",
            ["email", "wholesale"],
            dept="Sales",
        ),
        _rec(
            bloom,
            "email",
            _at(2026, 7, 9, 3, 30),
            "outbound",
            "Hi Rachel, thanks for reaching out! For 300-499 units we can do 42% off retail, 500+ gets 45% "
            "off, with "
            "free DDP shipping on orders over $5,000. I've attached the line sheet.",
            sg.LEAD,
            "Re: Wholesale pricing",
            ["email", "wholesale"],
            dept="Sales",
        ),
    ]

    sophia, zofia = cs["sg-sophia-wilson"], cs["sg-zofia-kowalska"]
    ln = [orders(rng, date(2026, 6, 8)), orders(rng, date(2026, 7, 15))]
    s["leg_orders"] = [
        _order(rng, sophia, date(2026, 6, 8), ln[0], [("SKU-YL-0020-BK", 1)]),
        _order(rng, zofia, date(2026, 7, 15), ln[1], [("SKU-YL-0020-BK", 2)]),
    ]
    s["see_through"] = [
        _rec(
            sophia,
            "return",
            _at(2026, 6, 20, 18, 0),
            "inbound",
            "The black leggings go see-through when I squat. The listing literally says squat-proof. "
            "Returning them.",
            "Sophia Wilson",
            f"Return request {rmas(rng)}",
            ["return"],
            "High-Rise Yoga Leggings",
            order_no=ln[0],
            sku="SKU-YL-0020-BK",
            return_reason="not as described",
            status="refunded",
        ),
        _rec(
            zofia,
            "return",
            _at(2026, 7, 30, 9, 0),
            "inbound",
            f"Leggings from {ln[1]} are quite sheer in daylight, not what the product photos suggest. I'd "
            "like a "
            "refund for both pairs.",
            "Zofia Kowalska",
            f"Return request {rmas(rng)}",
            ["return"],
            "High-Rise Yoga Leggings",
            order_no=ln[1],
            sku="SKU-YL-0020-BK",
            return_reason="not as described",
            status="refunded",
        ),
    ]

    grayson = cs["sg-grayson-lewis"]
    g_no = orders(rng, date(2026, 5, 10))
    s["grayson_order"] = _order(rng, grayson, date(2026, 5, 10), g_no, [("SKU-DR-0215-BL", 1)])
    s["double"] = [
        _rec(
            grayson,
            "ticket",
            _at(2026, 5, 11, 14, 0),
            "inbound",
            f"I was charged twice for {g_no} — two identical $76.95 charges on my Visa statement.",
            "Grayson Lewis",
            "Charged twice",
            ["ticket", "payment"],
            ticket_no=tickets(rng),
            status="closed",
            priority="high",
            topic="payment",
            order_no=g_no,
        ),
        _rec(
            grayson,
            "email",
            _at(2026, 5, 12, 1, 0),
            "outbound",
            f"Hi Grayson, the second charge on {g_no} was a duplicate authorisation from the payment gateway;"
            " we have "
            "voided it and it should disappear from your statement within 5 business days.",
            "Daniel Wu (Support)",
            f"Re: Charged twice ({g_no})",
            ["email", "payment"],
            order_no=g_no,
        ),
    ]

    casa = cs["sg-casa-lino"]
    cl_no = orders(rng, date(2026, 3, 30))
    s["casa_order"] = _order(rng, casa, date(2026, 3, 30), cl_no, [("SKU-BD-0311-WH", 40)])
    s["casa_vat"] = _rec(
        casa,
        "email",
        _at(2026, 4, 7, 8, 45),
        "inbound",
        f"Hola, please reissue the invoice for {cl_no} with our VAT number ESB12345678 and the registered "
        "address "
        "(Calle de Alcalá 120, Madrid). Our accountant can't book it otherwise.",
        "Pablo Ruiz",
        "Invoice with VAT number",
        ["email", "invoice", "wholesale"],
        order_no=cl_no,
    )
    return s


SCRIPTED = {
    "sg-emma-schulz",
    "sg-ava-johnson",
    "sg-hannah-wagner",
    "sg-lim-wei-ming",
    "sg-liam-oconnor",
    "sg-sofia-rossi",
    "sg-nordic-threads",
    "sg-lucas-dubois",
    "sg-noah-williams",
    "sg-jonas-becker",
    "sg-tan-jia-hui",
    "sg-olivia-davis",
    "sg-lena-fischer",
    "sg-mia-thomas",
    "sg-siti-rahmah",
    "sg-carter-martinez",
    "sg-maria-santos",
    "sg-bloom-boutique",
    "sg-sophia-wilson",
    "sg-zofia-kowalska",
    "sg-grayson-lewis",
    "sg-casa-lino",
}


def build(rng: random.Random) -> TenantData:
    """Generate the shopglobal tenant."""
    buyers = sg.customers()
    cs = {c.customer_id: c for c in buyers}
    orders = sg.OrderNumbers({"SO-2026-004512", "SO-2026-004397", "SO-2026-004521", "SO-2026-003870"})
    rmas = sg.Counter("RMA-26-{:04d}", 100)
    tickets = sg.Counter("TCK-2026-{:05d}", 1200)
    s = story(rng, cs, orders, rmas, tickets)
    records: list[dict[str, Any]] = []
    for v in s.values():
        records.extend(v if isinstance(v, list) else [v])
    records += sg.background(rng, buyers, orders, rmas, tickets, SCRIPTED)
    mob = fmt_mobile(rng, cn_mobile(rng))
    add_pii(s["tee_supplier"][0], f"工厂跟单王姐电话{mob}。", [("PHONE", mob)])
    sprinkle(rng, records, en_planters(), sep=" ")
    emma_case = s["emma_case"] + [s["emma_replacement"]]
    q = [
        Query("en", "return request for SO-2026-004512 damaged item", emma_case, "cross_channel"),
        Query("en", "which customers complained about late delivery in EU", s["late_eu"], "paraphrase"),
        Query(
            "en", "customers who returned SKU-TS-0042-BL because it runs small", s["tee_small"], "identifier"
        ),
        Query(
            "en",
            "complaints that the grey linen duvet cover loses its colour after washing",
            s["duvet_fade"],
            "paraphrase",
        ),
        Query(
            "en",
            "Nordic Threads got the wrong hoodie colour in their wholesale order",
            s["nordic_case"],
            "cross_channel",
        ),
        Query(
            "en",
            "customer threatening to file a chargeback over a missing refund",
            s["chargeback"],
            "paraphrase",
        ),
        Query(
            "en",
            f"where is order {s['maria_order']['fields']['order_no']}, tracking not updating",
            s["maria_case"],
            "identifier",
        ),
        Query("en", "did Bloom Boutique ask us for volume pricing", s["bloom"], "paraphrase"),
        Query("en", "leggings returned because they are see-through", s["see_through"], "paraphrase"),
        Query(
            "en",
            "customer wants to change the delivery address after the parcel already shipped",
            s["address"],
            "paraphrase",
        ),
        Query("en", "status of order SO-2026-003870", [s["nordic_order"]] + s["nordic_case"], "identifier"),
        Query("en", "damaged mugs reported by a US customer", s["ava_case"], "paraphrase"),
        Query(
            "en",
            "when did the replacement for Emma's broken mugs ship",
            [s["emma_replacement"]],
            "paraphrase",
            {"customer_id": "sg-emma-schulz"},
        ),
        Query("en", "customer charged twice for the same order", s["double"], "paraphrase"),
        Query(
            "en",
            "Tan Jia Hui exchange of the blue tee for a bigger size",
            [s["tee_small"][2], s["tan_exchange"]],
            "cross_channel",
        ),
        Query("en", "Casa Lino needs an invoice with their VAT number", [s["casa_vat"]], "keyword"),
        Query("zh", "供应商关于T恤版型偏小的说明", s["tee_supplier"], "paraphrase"),
        Query("zh", "SKU-BD-0311-GR 染色批次出了什么问题", [s["duvet_supplier"]], "identifier"),
    ]
    return TenantData("shopglobal", "shop", buyers, records, SHOPGLOBAL_DOCS, q)
