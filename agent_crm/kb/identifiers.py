"""Identifier-like tokens (order numbers, SKUs, ticket and loan ids): found in queries and structured fields."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[0-9])(?=[A-Za-z0-9-]*[A-Za-z-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+"
    r"|(?<![A-Za-z0-9])[A-Za-z]{1,4}[0-9]{4,}(?![A-Za-z0-9])"
)
"""SO-2026-003870, SKU-TS-0042-BL, MT2608-0708, QT-2026-0905, INV20260001 (letters and digits, joined by '-')."""

MAX_FIELD_IDENTIFIERS = 6


def field_identifiers(fields: Mapping[str, Any]) -> Iterator[str]:
    """Yield identifier-valued structured fields (``order_no``, ``sku``, ``ticket_no``, ...), sorted by key."""
    count = 0
    for key in sorted(fields):
        value = fields[key]
        if isinstance(value, str) and len(value) <= 40 and IDENTIFIER.fullmatch(value.strip()):
            yield value.strip()
            count += 1
            if count >= MAX_FIELD_IDENTIFIERS:
                return
