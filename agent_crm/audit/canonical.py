"""Canonical JSON: the one byte encoding that audit hashes are computed over.

Rules (stable across processes, platforms and Python versions):

- object keys sorted, no insignificant whitespace (separators ``","`` and ``":"``), UTF-8 (no ``\\u``
  escapes for non-ASCII text);
- floats rounded to 12 decimal places and written with ``repr`` (shortest round-trip form), ``-0.0``
  written as ``0.0``; NaN and infinities are rejected; integers stay integers, booleans stay booleans;
- datetimes in ISO 8601 UTC (naive datetimes are taken as UTC), dates in ISO 8601;
- tuples and lists as arrays, sets and frozensets as arrays sorted by their canonical encoding;
- pydantic models through ``model_dump(mode="json")``, dataclasses through their fields, enums through their
  value, ``Decimal`` and ``Path`` as strings;
- object keys must be strings (an int key would make ``{1: ..}`` and ``{"1": ..}`` collide).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from agent_crm.errors import InputError

FLOAT_DECIMALS = 12
"""Decimal places floats are rounded to before encoding."""


def _float(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        raise InputError(f"canonical JSON cannot encode the float {x!r}")
    r = round(x, FLOAT_DECIMALS)
    return 0.0 if r == 0 else r


def _normalise(obj: Any) -> Any:
    """Turn ``obj`` into plain JSON values (dict, list, str, int, float, bool, None) by the module rules."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, Enum):
        return _normalise(obj.value)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return _float(obj)
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise InputError(f"canonical JSON needs string object keys, got {type(key).__name__} {key!r}")
            out[str(key)] = _normalise(value)
        return out
    if isinstance(obj, list | tuple):
        return [_normalise(v) for v in obj]
    if isinstance(obj, set | frozenset):
        items = [_normalise(v) for v in obj]
        return sorted(items, key=lambda v: _dump(v))
    if isinstance(obj, datetime):
        dt = obj if obj.tzinfo is not None else obj.replace(tzinfo=UTC)
        return dt.astimezone(UTC).isoformat()
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Decimal | PurePath):
        return str(obj)
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump):
        return _normalise(model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _normalise({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    raise InputError(f"canonical JSON cannot encode a value of type {type(obj).__name__}")


def _dump(normalised: Any) -> bytes:
    return json.dumps(
        normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_json(obj: Any) -> bytes:
    """Encode ``obj`` as canonical JSON bytes (see the module docstring for the rules).

    Args:
        obj: a JSON-like value, possibly holding datetimes, tuples, sets, enums, dataclasses or pydantic
            models.

    Returns:
        UTF-8 bytes; equal inputs give byte-identical outputs.

    Raises:
        InputError: the value holds NaN/infinity, a non-string object key, or a type with no JSON form.
    """
    return _dump(_normalise(obj))


def sha256_hex(data: bytes) -> str:
    """Return the lower-case hex SHA-256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()
