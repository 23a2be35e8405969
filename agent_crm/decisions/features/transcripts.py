"""Chat transcripts: the customer's own turns of a record holding both sides of a conversation."""

from __future__ import annotations

import re

CUSTOMER_SPEAKERS = frozenset({"customer", "client", "buyer", "客户", "顾客", "买家", "家长"})
"""Speaker labels of the customer's turns in a chat transcript."""
_TURN = re.compile(r"^\s*([^\s:：,，。.!?！？][^:：\n,，。!?！？]{0,23})[:：]\s*(.*)$")


def _is_customer(speaker: str, contact: str | None) -> bool:
    low = speaker.strip().lower()
    if low in CUSTOMER_SPEAKERS:
        return True
    if not contact:
        return False
    name = contact.strip().lower()
    return low == name or low in name.split() or (len(low) >= 2 and name.startswith(low))


def customer_turns(text: str, contact: str | None) -> str:
    """Return the customer's turns of a transcript, or ``text`` itself when it is not one.

    A transcript has turns from at least two speakers (``Emma: ...`` / ``Priya: ...``, ``王女士：...``); the
    customer speaks as ``Customer``/``客户`` or under the contact's name. Lines without a speaker continue the
    previous turn; lines before the first turn (the subject) are kept. When no turn is the customer's, the
    whole text is returned (we cannot tell who said what).
    """
    if "\n" not in text or (":" not in text and "：" not in text):
        return text
    lines = text.split("\n")
    speakers: list[str | None] = []
    current: str | None = None
    for line in lines:
        m = _TURN.match(line)
        current = m.group(1) if m else current
        speakers.append(current)
    named = {sp for sp in speakers if sp is not None}
    if len(named) < 2:
        return text
    mine = {sp for sp in named if _is_customer(sp, contact)}
    if not mine:
        return text
    return "\n".join(line for line, sp in zip(lines, speakers, strict=True) if sp is None or sp in mine)
