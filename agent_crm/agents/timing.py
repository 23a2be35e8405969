"""Node wrapper recording each node's wall time into the graph path."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

NodeFn = Callable[..., dict[str, Any]]


def timed(name: str) -> Callable[[NodeFn], NodeFn]:
    """Wrap a node so its update appends ``{"node": name, "ms": elapsed}`` to ``path``."""

    def wrap(fn: NodeFn) -> NodeFn:
        @functools.wraps(fn)
        def node(*args: Any, **kwargs: Any) -> dict[str, Any]:
            start = time.perf_counter()
            update = fn(*args, **kwargs)
            ms = round((time.perf_counter() - start) * 1000, 3)
            return {**update, "path": [{"node": name, "ms": ms}]}

        return node

    return wrap
