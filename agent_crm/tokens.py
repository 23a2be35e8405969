"""Token counting and truncation with tiktoken, using the encodings shipped inside litellm (never downloaded)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from agent_crm.offline import ensure_offline_env

if TYPE_CHECKING:
    import tiktoken

DEFAULT_ENCODING = "cl100k_base"


@functools.lru_cache(maxsize=4)
def encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return a cached tiktoken encoding, loaded from the offline cache."""
    ensure_offline_env()
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = DEFAULT_ENCODING) -> int:
    """Count the tokens of ``text``."""
    return len(encoding(name).encode(text, disallowed_special=()))


def truncate(text: str, max_tokens: int, name: str = DEFAULT_ENCODING) -> str:
    """Cut ``text`` to at most ``max_tokens`` tokens."""
    enc = encoding(name)
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return enc.decode(ids[:max_tokens])
