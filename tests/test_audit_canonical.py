"""Canonical JSON: the byte encoding every audit hash is computed over."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agent_crm.audit.canonical import canonical_json, sha256_hex
from agent_crm.errors import InputError
from agent_crm.types import Factor


def test_golden_bytes_sorted_compact_utf8() -> None:
    """Keys are sorted, separators compact and non-ASCII text written as UTF-8, not escaped."""
    assert canonical_json({"b": 1, "a": [1.0, 2.5, "中"], "c": None, "d": True}) == (
        '{"a":[1.0,2.5,"中"],"b":1,"c":null,"d":true}'.encode()
    )


def test_key_order_of_input_does_not_matter() -> None:
    """Two dicts with the same items in different insertion order encode identically."""
    a = {"x": {"q": 1, "p": 2}, "y": [3]}
    b = {"y": [3], "x": {"p": 2, "q": 1}}
    assert canonical_json(a) == canonical_json(b)


def test_floats_rounded_deterministically() -> None:
    """Float noise below 12 decimals vanishes, -0.0 becomes 0.0 and integers stay integers."""
    assert canonical_json(0.1 + 0.2) == b"0.3"
    assert canonical_json(-0.0) == b"0.0"
    assert canonical_json(1e-13) == b"0.0"
    assert canonical_json(3) == b"3"
    assert canonical_json(2.0) == b"2.0"
    assert canonical_json({"w": 62.123456789012345}) == b'{"w":62.123456789012}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_floats_rejected(bad: float) -> None:
    """NaN and infinities have no canonical form and raise InputError."""
    with pytest.raises(InputError):
        canonical_json({"x": bad})


def test_datetimes_in_utc() -> None:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC."""
    cst = timezone(timedelta(hours=8))
    aware = datetime(2025, 3, 1, 20, 0, tzinfo=cst)
    naive = datetime(2025, 3, 1, 12, 0)
    assert canonical_json(aware) == b'"2025-03-01T12:00:00+00:00"'
    assert canonical_json(naive) == canonical_json(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


def test_tuples_sets_enums_dataclasses() -> None:
    """Tuples encode as lists, sets sorted, enums by value and dataclasses by their fields."""

    class Colour(enum.Enum):
        RED = "red"

    @dataclasses.dataclass
    class Point:
        x: int
        y: tuple[int, ...]

    assert canonical_json((1, 2)) == canonical_json([1, 2])
    assert canonical_json({3, 1, 2}) == b"[1,2,3]"
    assert canonical_json(Colour.RED) == b'"red"'
    assert canonical_json(Point(1, (2, 3))) == b'{"x":1,"y":[2,3]}'


def test_pydantic_models_dumped_in_json_mode() -> None:
    """A pydantic model encodes like its model_dump(mode='json') dict."""
    f = Factor(name="recency", weight=62.5, direction="positive", evidence=("r1", "r2"))
    assert canonical_json(f) == canonical_json(f.model_dump(mode="json"))
    assert b'"evidence":["r1","r2"]' in canonical_json(f)


def test_non_string_keys_rejected() -> None:
    """Integer keys would collide with their string form and raise InputError."""
    with pytest.raises(InputError):
        canonical_json({1: "a"})


def test_unknown_types_rejected() -> None:
    """Objects with no JSON form (bytes, arbitrary objects) raise InputError."""
    with pytest.raises(InputError):
        canonical_json({"b": b"raw"})
    with pytest.raises(InputError):
        canonical_json(object())


def test_sha256_hex_known_vector() -> None:
    """sha256_hex matches the FIPS 180-2 test vector for 'abc'."""
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
