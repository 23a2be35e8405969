"""Search filters shared by the dense and the lexical side of retrieval (no I/O, no engines)."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from agent_crm.types import Chunk


def epoch_seconds(moment: datetime) -> int:
    """Return whole epoch seconds (floor) of a datetime; a naive datetime is taken as UTC.

    Args:
        moment: the datetime to convert.

    Returns:
        Seconds since 1970-01-01 UTC, rounded down.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor(moment.timestamp())


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search to one customer, some channels, a time window and tags.

    Every condition that is set must hold (AND). Time bounds are inclusive and compared at one-second
    resolution (``epoch_seconds``), identically on both retrieval sides. ``tags`` must all be on a chunk.
    """

    customer_id: str | None = None
    """Only chunks of this customer."""
    channel: str | tuple[str, ...] | None = None
    """One channel or any of several channels (lower-case, e.g. ``email`` or ``("email", "call")``; an empty
    tuple means no channel condition)."""
    since: datetime | None = None
    """Only chunks at or after this time."""
    until: datetime | None = None
    """Only chunks at or before this time."""
    tags: tuple[str, ...] = ()
    """Tags that must all be on the chunk."""

    def __post_init__(self) -> None:
        if isinstance(self.tags, str):
            object.__setattr__(self, "tags", (self.tags,))
        elif not isinstance(self.tags, tuple):
            object.__setattr__(self, "tags", tuple(self.tags))
        if self.channel is not None and not isinstance(self.channel, str):
            chans = tuple(self.channel)
            object.__setattr__(self, "channel", chans or None)

    @property
    def channels(self) -> tuple[str, ...]:
        """Return the channel condition as a tuple (empty when no channel filter is set)."""
        if self.channel is None:
            return ()
        if isinstance(self.channel, str):
            return (self.channel,)
        return self.channel

    @property
    def since_ts(self) -> int | None:
        """Return the lower time bound in epoch seconds, or None."""
        return None if self.since is None else epoch_seconds(self.since)

    @property
    def until_ts(self) -> int | None:
        """Return the upper time bound in epoch seconds, or None."""
        return None if self.until is None else epoch_seconds(self.until)

    @property
    def is_empty(self) -> bool:
        """Return True when no condition is set."""
        return (
            self.customer_id is None
            and self.channel is None
            and self.since is None
            and self.until is None
            and not self.tags
        )

    def matches_fields(
        self, customer_id: str, channel: str, ts: int, tags: tuple[str, ...] | list[str]
    ) -> bool:
        """Return True when a chunk with these fields passes every condition.

        Args:
            customer_id: the chunk's customer id.
            channel: the chunk's channel.
            ts: the chunk's time in epoch seconds (``epoch_seconds``).
            tags: the chunk's tags.
        """
        if self.customer_id is not None and customer_id != self.customer_id:
            return False
        chans = self.channels
        if self.channel is not None and channel not in chans:
            return False
        lo, hi = self.since_ts, self.until_ts
        if lo is not None and ts < lo:
            return False
        if hi is not None and ts > hi:
            return False
        return all(t in tags for t in self.tags)

    def matches(self, chunk: Chunk) -> bool:
        """Return True when the chunk passes every condition."""
        return self.matches_fields(
            chunk.customer_id, chunk.channel, epoch_seconds(chunk.timestamp), chunk.tags
        )


class FilterColumns:
    """Filter fields of indexed chunks by position (customer/channel codes, epoch seconds) for numpy masks."""

    def __init__(self) -> None:
        self.cust, self.chan, self.ts = array("i"), array("i"), array("q")

    def add(self, chunk: Chunk | None, codes: dict[str, int]) -> None:
        """Append one position (None: a placeholder that matches no customer or channel)."""
        if chunk is None:
            self.cust.append(-2)
            self.chan.append(-2)
            self.ts.append(0)
            return
        self.cust.append(codes.setdefault("c:" + chunk.customer_id, len(codes)))
        self.chan.append(codes.setdefault("h:" + chunk.channel, len(codes)))
        self.ts.append(epoch_seconds(chunk.timestamp))

    def take(self, positions: np.ndarray) -> FilterColumns:
        """Return the columns of these positions only, renumbered from 0."""
        out = FilterColumns()
        out.cust = array("i", np.frombuffer(self.cust, dtype=np.int32)[positions].tobytes())
        out.chan = array("i", np.frombuffer(self.chan, dtype=np.int32)[positions].tobytes())
        out.ts = array("q", np.frombuffer(self.ts, dtype=np.int64)[positions].tobytes())
        return out

    def mask(self, cand: np.ndarray, f: SearchFilters, codes: dict[str, int]) -> np.ndarray:
        """Return which candidate positions pass the customer, channel and time conditions (not tags)."""
        keep = np.ones(cand.size, dtype=bool)
        if f.customer_id is not None:
            keep &= np.frombuffer(self.cust, dtype=np.int32)[cand] == codes.get("c:" + f.customer_id, -1)
        if f.channel is not None:
            chan = np.frombuffer(self.chan, dtype=np.int32)[cand]
            any_of = np.zeros(cand.size, dtype=bool)
            for ch in f.channels:  # a few equality tests beat np.isin's sort
                any_of |= chan == codes.get("h:" + ch, -1)
            keep &= any_of
        ts = np.frombuffer(self.ts, dtype=np.int64)[cand]
        if f.since_ts is not None:
            keep &= ts >= f.since_ts
        if f.until_ts is not None:
            keep &= ts <= f.until_ts
        return keep


def positions_in(cand: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
    """Return the candidates that are among ``positions`` (both index arrays below ``size``)."""
    member = np.zeros(size, dtype=bool)
    member[positions] = True
    return cand[member[cand]]


def top_candidates(scores: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
    """Return the candidates scoring at least the k-th best score (ties are kept; the caller cuts at k)."""
    if cand.size > k:
        cutoff = np.partition(scores[cand], cand.size - k)[cand.size - k]
        cand = cand[scores[cand] >= cutoff]
    return cand
