"""Tenant ``shopglobal``: a cross-border apparel and home-goods shop (buyers, catalogue, background)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from samplegen.common import (
    UTC,
    Contact,
    Customer,
    compose,
    digits_not_luhn,
    load_table,
    on_day,
    rand_day,
    record,
)

AGENTS = ["Mia Chen (Support)", "Daniel Wu (Support)", "Priya Nair (Support)"]
LEAD = "Sara Lopez (Support Lead)"
OPS = "Kevin Zhao (Ops Manager)"
SOURCING = "刘洋（采购）"

# sku stem -> (product name, USD price, colours)
CATALOG: dict[str, tuple[str, float, list[str]]] = {
    "SKU-TS-0042": ("Classic Organic Cotton Tee", 24.0, ["BL", "BK", "WH"]),
    "SKU-HD-0107": ("Heavyweight Fleece Hoodie", 58.0, ["GR", "BK", "GN"]),
    "SKU-DR-0215": ("Linen Wrap Dress", 72.0, ["RD", "BL"]),
    "SKU-YL-0020": ("High-Rise Yoga Leggings", 39.0, ["BK", "GR"]),
    "SKU-BD-0311": ("Stonewashed Linen Duvet Cover", 129.0, ["WH", "GR"]),
    "SKU-TW-0056": ("Waffle Bath Towel Set", 45.0, ["WH", "BL"]),
    "SKU-MG-0088": ("Stoneware Mug Set of 4", 42.0, ["WH", "GN"]),
    "SKU-BG-0130": ("Canvas Tote Bag", 29.0, ["BK", "GN"]),
}
COLOURS = {"BL": "blue", "BK": "black", "WH": "white", "GR": "grey", "GN": "green", "RD": "red"}
CARRIERS = {"US": ["USPS", "UPS"], "EU": ["DHL eCommerce", "PostNL"], "SEA": ["J&T Express", "Ninja Van"]}

_B = load_table("shopglobal_buyers.json")


def _slug(name: str) -> str:
    base = (
        name.lower()
        .replace("llc", "")
        .replace("pte ltd", "")
        .replace(" ab", "")
        .replace("s.l.", "")
        .replace("co.", "")
    )
    for a, b in (("é", "e"), ("á", "a"), ("í", "i"), ("ó", "o"), ("'", ""), (".", "")):
        base = base.replace(a, b)
    return "sg-" + "-".join(base.split())


def customers() -> list[Customer]:
    """Return the buyer directory."""
    out = []
    for row in _B:
        name, region, country, segment, buyer = (
            row[k] for k in ("name", "region", "country", "segment", "buyer")
        )
        if buyer:
            contacts = [Contact(buyer, "Purchasing Manager", "buyer")]
            aliases = [
                name.replace(" LLC", "")
                .replace(" AB", "")
                .replace(" Pte Ltd", "")
                .replace(" S.L.", "")
                .replace(" Co.", "")
            ]
        else:
            first, last = name.split(" ", 1)
            contacts = [Contact(name, "Customer", "buyer")]
            aliases = [f"{first} {last[0]}."]
        out.append(
            Customer(
                _slug(name),
                name,
                aliases,
                contacts,
                region,
                segment,
                extra={"country": country, "currency": "EUR" if region == "EU" else "USD"},
            )
        )
    return out


class OrderNumbers:
    """Hand out SO-2026-NNNNNN numbers growing with the date (900 + 12 × day-of-year + 0..11)."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)

    def __call__(self, rng: random.Random, d: date) -> str:
        doy = (d - date(d.year, 1, 1)).days + 1
        while True:
            s = f"SO-{d.year}-{900 + doy * 12 + rng.randint(0, 11):06d}"
            if s not in self.used:
                self.used.add(s)
                return s


class Counter:
    """Hand out unique numbered ids with a prefix."""

    def __init__(self, fmt: str, start: int) -> None:
        self.fmt, self.n = fmt, start

    def __call__(self, rng: random.Random) -> str:
        self.n += rng.randint(1, 23)
        return self.fmt.format(self.n)


def money(c: Customer, usd: float) -> tuple[float, str, str]:
    """Return (amount, currency, display) in the customer's currency."""
    cur = str(c.extra["currency"])
    amount = round(usd * (0.92 if cur == "EUR" else 1.0), 2)
    return amount, cur, (f"€{amount:,.2f}" if cur == "EUR" else f"${amount:,.2f}")


def tracking(rng: random.Random, carrier: str) -> str:
    """Return a carrier tracking number (never personal data)."""
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "USPS":
        return "9400" + "".join(str(rng.randint(0, 9)) for _ in range(18))
    if carrier.startswith("DHL"):
        return "GM" + digits_not_luhn(rng, 16, "52")
    if carrier == "PostNL":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
        return f"3S{letters}{rng.randint(10**8, 10**9 - 1)}"
    return f"{'JT' if carrier.startswith('J') else 'NV'}{rng.randint(10**11, 10**12 - 1)}"


def pick_items(rng: random.Random, wholesale: bool, avoid: set[str]) -> list[tuple[str, str, int, float]]:
    """Return [(sku, product name, qty, unit USD)]."""
    stems = [s for s in CATALOG if s not in avoid]
    out = []
    for stem in rng.sample(stems, rng.randint(1, 3 if not wholesale else 2)):
        name, price, colours = CATALOG[stem]
        sku = f"{stem}-{rng.choice(colours)}"
        qty = rng.randint(20, 150) if wholesale else rng.choice((1, 1, 1, 2, 2, 3))
        out.append((sku, name, qty, price * (0.55 if wholesale else 1.0)))
    return out


def order_record(
    rng: random.Random,
    c: Customer,
    d: date,
    no: str,
    its: list[tuple[str, str, int, float]],
    express: bool = False,
) -> dict[str, Any]:
    """Return an order record."""
    total = sum(q * p for _, _, q, p in its) + (0 if len(its) > 1 or c.segment == "wholesale" else 4.95)
    amount, cur, shown = money(c, total)
    carrier = rng.choice(CARRIERS[c.region])
    item_txt = ", ".join(f"{q}× {n} ({s})" for s, n, q, _ in its)
    wholesale = c.segment == "wholesale"
    method = (
        "bank transfer (net 30)"
        if wholesale
        else rng.choice(
            ["Visa", "Mastercard", "PayPal", "Apple Pay", "Klarna" if c.region == "EU" else "Amex"]
        )
    )
    weight = sum(q for _, _, q, _ in its) * 0.35 + 0.2
    core = rng.choice(
        [
            f"Order {no} placed: {item_txt}. Total {shown}, paid via {method}.",
            f"New order {no} — {item_txt}. {shown} charged to {method}.",
            f"{no} | {item_txt} | {shown} | {carrier}.",
            f"{c.name} ordered {item_txt} ({no}), {shown}.",
        ]
    )
    opt = [
        f"Ships {carrier}{' Express' if express else ''} to {c.extra['country']}.",
        "" if wholesale else "Gift wrap requested.",
        "" if wholesale else "Discount code WELCOME10 applied.",
        "Customer note: please no invoice in the box."
        if not wholesale
        else "Pallet delivery, tail-lift needed.",
        "Split shipment: second parcel leaves the warehouse in 3 days." if len(its) > 1 else "",
        f"Order weight {weight:.1f} kg.",
    ]
    text = compose(rng, [core], [o for o in opt if o], 1, 3, sep=" ")
    return record(
        c,
        "order",
        on_day(rng, d, UTC, 1, 22),
        "inbound",
        text,
        author="Shopify",
        contact=c.contacts[0].name,
        subject=f"Order {no}",
        amount=amount,
        currency=cur,
        product=its[0][1],
        department="Sales",
        tags=["order"] + (["wholesale"] if c.segment == "wholesale" else []),
        fields={
            "order_no": no,
            "sku": its[0][0],
            "skus": [s for s, _, _, _ in its],
            "status": "delivered" if (date(2026, 11, 19) - d).days > 14 else "shipped",
            "carrier": carrier,
            "country": c.extra["country"],
        },
    )


REVIEWS = {
    "SKU-TS-0042": [
        (5, "Soft, thick cotton and the colour is exactly like the photos."),
        (4, "Nice tee, a bit long for me."),
        (5, "Third one I've bought. Holds up well in the wash."),
        (4, "Good basic tee, neckline keeps its shape."),
        (3, "Fine for the price, nothing special."),
        (5, "My husband stole mine, ordering another."),
    ],
    "SKU-HD-0107": [
        (5, "Proper heavyweight hoodie, super warm."),
        (4, "Great hoodie, sleeves slightly long."),
        (3, "Good quality but the hood is smaller than I expected."),
        (5, "Wore it all winter, no pilling."),
        (4, "Cosy. The green is more olive than in the pictures, still like it."),
    ],
    "SKU-DR-0215": [
        (5, "Beautiful dress, wore it to a wedding and got compliments."),
        (4, "Lovely linen, wrinkles easily."),
        (5, "Flattering wrap, pockets are a bonus."),
        (3, "Pretty but the tie is quite short."),
    ],
    "SKU-YL-0020": [
        (5, "Comfortable for long yoga sessions, pocket fits my phone."),
        (4, "Good fit, waistband stays up."),
        (4, "Nice fabric, a little warm for hot yoga."),
        (5, "Best leggings I own for running errands."),
    ],
    "SKU-BD-0311": [
        (5, "The white duvet cover feels lived-in from day one, love it."),
        (4, "Nice weight, buttons a bit fiddly."),
        (5, "Sleeps cool in summer, worth the price."),
        (4, "Lovely texture, came quite creased."),
    ],
    "SKU-TW-0056": [
        (5, "Absorbent and dries fast."),
        (3, "Nice towels but thinner than expected."),
        (4, "Good value set."),
        (5, "The waffle texture is great, softer after a few washes."),
    ],
    "SKU-MG-0088": [
        (5, "Gorgeous glaze, perfect size for lattes."),
        (4, "Nice mugs, handle is a little small."),
        (5, "Each one is slightly different, which I love."),
        (4, "Heavy and solid, microwave safe as promised."),
    ],
    "SKU-BG-0130": [
        (5, "Sturdy tote, fits my laptop."),
        (4, "Good bag, strap could be longer."),
        (2, "Stitching on one handle came loose after a month."),
        (5, "Inner pocket is handy, use it daily."),
    ],
}


def review(rng: random.Random, c: Customer, d: date, no: str, sku: str) -> dict[str, Any]:
    """Return a product review."""
    stem = sku.rsplit("-", 1)[0]
    rating, body = rng.choice(REVIEWS[stem])
    if stem == "SKU-BD-0311" and sku.endswith("GR"):
        rating, body = 5, "Lovely soft shade, washed it twice already."
    extra = rng.choice(
        [
            "",
            "",
            " Shipping was quick.",
            " Would buy again.",
            f" Got it in {COLOURS[sku[-2:]]}.",
            " Packaging was neat.",
            " Arrived earlier than expected.",
            " Fits true to size for me."
            if stem in ("SKU-HD-0107", "SKU-DR-0215", "SKU-YL-0020")
            else " Good value.",
        ]
    )
    return record(
        c,
        "review",
        on_day(rng, d, UTC, 1, 22),
        "inbound",
        body + extra,
        author=c.contacts[0].name,
        contact=c.contacts[0].name,
        subject=f"{rating}★ {CATALOG[stem][0]}",
        product=CATALOG[stem][0],
        department="Sales",
        tags=["review"],
        fields={"order_no": no, "sku": sku, "rating": rating},
    )


def bg_return(rng: random.Random, c: Customer, d: date, no: str, sku: str, rma: str) -> dict[str, Any] | None:
    """Return a background return (reasons restricted so the planted stories stay unique)."""
    stem = sku.rsplit("-", 1)[0]
    reasons = ["size", "changed mind", "damaged", "not as described"]
    if stem in ("SKU-BD-0311", "SKU-TW-0056", "SKU-MG-0088", "SKU-BG-0130"):
        reasons.remove("size")
    if stem in ("SKU-MG-0088",):
        reasons.remove("damaged")
    if stem == "SKU-YL-0020":
        reasons.remove("not as described")
    if sku == "SKU-TS-0042-BL" and "size" in reasons:
        reasons.remove("size")
    if c.region != "EU" and rng.random() < 0.25:
        reasons.append("late delivery")
    reason = rng.choice(reasons)
    name = CATALOG[stem][0]
    texts = {
        "size": [
            f"The {name} is too tight across the shoulders, can I swap for one size up?",
            f"Ordered M, fits like an L. Returning the {name} for a smaller size.",
            f"Size chart said S would fit, it doesn't. Exchange please ({sku}).",
        ],
        "changed mind": [
            f"Changed my mind about the {name}, still unopened. How do I send it back?",
            f"Bought the {name} as a gift but they already have one. Return please.",
        ],
        "damaged": [
            f"The {name} arrived with a tear near the seam.",
            f"Parcel was soaked, {name} has a water stain that won't come out.",
        ],
        "not as described": [
            f"The {name} colour is much darker than on the website.",
            f"Listing said 100% linen, the label on my {name} says linen/cotton blend.",
        ],
        "late delivery": [
            f"The {name} arrived three weeks late, the occasion has passed. I'd like to return it.",
            "Package took almost a month, I don't need it anymore.",
        ],
    }
    status = rng.choice(["approved", "refunded", "exchanged" if reason == "size" else "refunded"])
    text = rng.choice(texts[reason]) + rng.choice(["", f" Order {no}.", f" ({no})", " Photos attached."])
    return record(
        c,
        "return",
        on_day(rng, d, UTC, 1, 22),
        "inbound",
        text,
        author=c.contacts[0].name,
        contact=c.contacts[0].name,
        subject=f"Return request {rma}",
        product=name,
        department="Support",
        tags=["return", reason.replace(" ", "_")],
        fields={"order_no": no, "sku": sku, "return_reason": reason, "status": status, "rma": rma},
    )


TICKET_TOPICS = {
    "where": (
        "Where is my order?",
        [
            "Tracking for {no} hasn't moved in {n} days.",
            "It's been {n} days since I ordered ({no}), any update?",
        ],
    ),
    "coupon": (
        "Discount code not working",
        [
            "Code AUTUMN15 says expired but your email says it runs till Sunday.",
            "Tried WELCOME10 at checkout, nothing happens.",
        ],
    ),
    "invoice": (
        "Invoice request",
        ["Could you send a VAT invoice for {no}?", "Need a receipt with my company name for {no}."],
    ),
    "payment": (
        "Payment failed",
        [
            "Card declined twice at checkout though my bank says all fine.",
            "PayPal keeps timing out on the payment step.",
        ],
    ),
    "product": (
        "Product question",
        ["Is the {p} pre-shrunk?", "Does the {p} come in XXL?", "Can the {p} go in the dishwasher?"],
    ),
}


def bg_ticket(rng: random.Random, c: Customer, d: date, no: str, p: str, tno: str) -> dict[str, Any]:
    """Return a background support ticket."""
    topics = list(TICKET_TOPICS)
    if c.region == "EU":
        topics.remove("where")
    key = rng.choice(topics)
    subject, bodies = TICKET_TOPICS[key]
    body = rng.choice(bodies).format(no=no, n=rng.randint(6, 15), p=p)
    status = rng.choice(["closed", "closed", "open"])
    if status == "closed":
        agent = rng.choice(AGENTS).split(" (")[0]
        reply = rng.choice(
            [
                f"\n{agent}: sorted, sent the details by email.",
                f"\n{agent}: done - closed after the customer confirmed.",
                f"\n{agent}: resolved, customer happy.",
            ]
        )
    else:
        reply = rng.choice(
            ["", "\nAgent replied within 2h, waiting on customer."]
            + (["\nWaiting for warehouse check."] if key in ("where", "product") else [])
        )
    return record(
        c,
        "ticket",
        on_day(rng, d, UTC, 1, 22),
        "inbound",
        body + reply,
        author=c.contacts[0].name,
        contact=c.contacts[0].name,
        subject=subject,
        department="Support",
        tags=["ticket", key],
        fields={
            "ticket_no": tno,
            "status": status,
            "priority": rng.choice(["low", "normal", "normal", "high"]),
            "topic": key,
            "order_no": no,
        },
    )


CHAT_Q = [
    (
        "Hi! Between M and L for the {p}, I'm 178 cm and usually wear M in Uniqlo?",
        "I'd go M, it's a relaxed fit.",
    ),
    ("Will the {p} be restocked in green?", "Yes, new batch expected in about two weeks."),
    ("Do you ship to {country}?", "We do, standard delivery is in our shipping FAQ."),
    ("Is there a student discount?", "Not at the moment, but newsletter sign-up gives 10% off."),
    (
        "Can I add a second item to my order {no}? It hasn't shipped yet",
        "Done, I've merged it and sent you a new total.",
    ),
    ("What's the fabric weight of the {p}?", "It's 280 gsm."),
]


def bg_chat(rng: random.Random, c: Customer, d: date, no: str, p: str) -> dict[str, Any]:
    """Return a background live chat."""
    apparel = any(w in p for w in ("Tee", "Hoodie", "Dress", "Leggings"))
    q, a = rng.choice([qa for qa in CHAT_Q if apparel or not ("M and L" in qa[0] or "fabric" in qa[0])])
    if "fabric weight" in q and "Tee" not in p and "Hoodie" not in p:
        a = rng.choice(["It's a mid-weight linen, about 180 gsm.", "Around 220 gsm, soft but not sheer."])
    agent = rng.choice(AGENTS)
    text = f"Customer: {q.format(p=p, no=no, country=c.extra['country'])}\n{agent.split(' (')[0]}: {a}"
    if rng.random() < 0.3:
        text += "\nCustomer: " + rng.choice(["Great, thanks!", "Perfect 👍", "ok ty", "Thanks, that helps."])
    return record(
        c,
        "chat",
        on_day(rng, d, UTC, 1, 22),
        "inbound",
        text,
        author=agent,
        contact=c.contacts[0].name,
        subject="Live chat",
        department="Support",
        tags=["chat"],
        fields={"order_no": no},
    )


def bg_email(rng: random.Random, c: Customer, d: date, no: str, carrier: str) -> dict[str, Any]:
    """Return an outbound shipping e-mail."""
    tr = tracking(rng, carrier)
    text = rng.choice(
        [
            f"Your order {no} has shipped with {carrier}. Tracking: {tr}.",
            f"Hi {c.contacts[0].name.split(' ')[0]}, good news — {no} is on its way ({carrier} {tr}).",
            f"Dispatch confirmation for {no}: handed to {carrier}, tracking {tr}, estimated delivery in "
            f"{rng.randint(5, 12)} business days.",
        ]
    )
    return record(
        c,
        "email",
        on_day(rng, d, UTC, 1, 22),
        "outbound",
        text,
        author="ShopGlobal Notifications",
        contact=c.contacts[0].name,
        subject=f"Your order {no} has shipped",
        department="Logistics",
        tags=["shipping"],
        fields={"order_no": no, "carrier": carrier, "tracking_no": tr},
    )


def background(
    rng: random.Random,
    cs: list[Customer],
    orders: OrderNumbers,
    rmas: Counter,
    tickets: Counter,
    skip: set[str],
) -> list[dict[str, Any]]:
    """Return background records for every buyer (scripted buyers get fewer)."""
    out: list[dict[str, Any]] = []
    for c in cs:
        wholesale = c.segment == "wholesale"
        n = rng.randint(1, 2) if c.customer_id in skip else rng.randint(2, 3 if not wholesale else 4)
        for _ in range(n):
            d = rand_day(rng, date(2026, 1, 10), date(2026, 11, 12))
            no = orders(rng, d)
            its = pick_items(rng, wholesale, set())
            o = order_record(rng, c, d, no, its)
            out.append(o)
            sku, name = its[0][0], its[0][1]
            ship = d + timedelta(days=rng.randint(1, 3))
            if ship <= date(2026, 11, 18) and rng.random() < 0.35:
                out.append(bg_email(rng, c, ship, no, o["fields"]["carrier"]))
            later = d + timedelta(days=rng.randint(9, 25))
            if later > date(2026, 11, 18):
                continue
            roll = rng.random()
            if roll < 0.28:
                out.append(review(rng, c, later, no, sku))
            elif roll < 0.38 and c.customer_id not in skip:
                r = bg_return(rng, c, later, no, sku, rmas(rng))
                if r:
                    out.append(r)
            if rng.random() < 0.3:
                out.append(bg_ticket(rng, c, later - timedelta(days=4), no, name, tickets(rng)))
            if rng.random() < 0.35:
                out.append(bg_chat(rng, c, d - timedelta(days=rng.randint(0, 2)), no, name))
    return out
