"""Value types of one model call: its options and plan, each attempt along the chain, the result, streams."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from agent_crm.errors import BackendError, InputError
from agent_crm.llm.registry import IN_PROCESS_REGION, ModelSpec
from agent_crm.llm.schema import response_format, schema_validator
from agent_crm.tokens import count_tokens

# Attempt kinds: checked before calling (no request is sent) ...
KIND_REGION = "region"
KIND_CONTEXT_WINDOW = "context_window"
KIND_MISSING_KEY = "missing_key"
KIND_UNAVAILABLE = "unavailable"
# ... and failures of a call.
KIND_TIMEOUT = "timeout"
KIND_SERVER_ERROR = "server_error"
KIND_RATE_LIMIT = "rate_limit"
KIND_CONNECTION = "connection"
KIND_INVALID_OUTPUT = "invalid_output"
KIND_AUTH = "auth"
KIND_BAD_REQUEST = "bad_request"
KIND_ERROR = "error"

SKIP_KINDS = frozenset({KIND_REGION, KIND_CONTEXT_WINDOW, KIND_MISSING_KEY, KIND_UNAVAILABLE})
"""Kinds decided before calling: the backend never saw the request."""
FALLBACK_KINDS = SKIP_KINDS | {
    KIND_TIMEOUT, KIND_SERVER_ERROR, KIND_RATE_LIMIT, KIND_CONNECTION, KIND_INVALID_OUTPUT,
}
"""Kinds after which the next alias of the chain is tried. Others (auth, bad request) stop the chain: they are
configuration or request mistakes that a fallback would hide."""


class CallOptions(TypedDict, total=False):
    """Keyword options of ``Gateway.complete``, ``acomplete``, ``stream`` and ``astream``."""

    alias: str | None
    """Alias to try first (default: the registry's default); its fallbacks follow."""
    response_schema: Mapping[str, Any] | None
    """JSON schema the reply must satisfy: sent as ``response_format``, parsed into ``result.data``; a reply
    that is not JSON or does not match fails over to the next alias."""
    max_tokens: int | None
    """Completion budget (capped by the alias's ``max_output_tokens``)."""
    timeout: float | None
    """Seconds per attempt (default: the alias's timeout, else the gateway's)."""
    metadata: Mapping[str, Any] | None
    """Passed to LiteLLM callbacks; never sent to the backend, never logged here."""
    allowed_regions: Collection[str] | None
    """Regions this request may go to, intersected with the gateway's (``local`` is always allowed)."""


OPTION_NAMES = frozenset(CallOptions.__annotations__)


def _content_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) else ""


def count_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Count prompt tokens as chat models do: content tokens + 4 per message + 3 to prime the reply."""
    return 3 + sum(4 + count_tokens(text) if (text := _content_text(m)) else 4 for m in messages)


def prompt_token_bound(messages: Sequence[Mapping[str, Any]]) -> int:
    """Return an upper bound of ``count_prompt_tokens`` without tokenizing (a BPE token covers >= 1 byte)."""
    return 3 + sum(4 + len(_content_text(m).encode("utf-8")) for m in messages)


@dataclass(slots=True)
class CallPlan:
    """One request after filtering: its messages, alias chain and limits, and the checks made per alias."""

    messages: list[dict[str, Any]]
    """Messages after the request filters (what every backend receives)."""
    chain: list[ModelSpec]
    """Aliases to try, in order."""
    validator: Any = None
    """jsonschema validator of the response schema, if any."""
    response_format: dict[str, Any] | None = None
    """``response_format`` sent to backends."""
    max_tokens: int | None = None
    """Requested completion budget."""
    timeout: float | None = None
    """Requested per-attempt timeout."""
    metadata: dict[str, Any] | None = None
    """LiteLLM metadata."""
    regions: frozenset[str] | None = None
    """Allowed regions (None = any)."""
    started: float = field(default_factory=time.perf_counter)
    """``perf_counter`` at the start of the request."""
    prompt_tokens: int | None = None
    """Prompt tokens, counted on first need."""

    @classmethod
    def build(
        cls,
        messages: Sequence[Mapping[str, Any]],
        options: CallOptions,
        resolve_chain: Callable[[str | None], list[ModelSpec]],
        filters: Sequence[Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = (),
        regions: frozenset[str] | None = None,
    ) -> CallPlan:
        """Validate a request, apply the filters once, resolve the alias chain; raise InputError/TypeError."""
        unknown = set(options) - OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown gateway option(s): {', '.join(sorted(unknown))}")
        if isinstance(messages, str | bytes) or not isinstance(messages, Sequence) or not messages:
            raise InputError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
        msgs = [dict(m) for m in messages]
        for apply in filters:
            msgs = list(apply(msgs))
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise InputError(f"messages[{i}] must be a dict with a string 'role'")
        max_tokens, timeout = options.get("max_tokens"), options.get("timeout")
        if max_tokens is not None and (isinstance(max_tokens, bool) or max_tokens < 1):
            raise InputError("max_tokens must be a positive integer")
        if timeout is not None and timeout <= 0:
            raise InputError("timeout must be positive")
        wanted = options.get("allowed_regions")
        if wanted is not None:
            regions = frozenset(wanted) if regions is None else regions & frozenset(wanted)
        schema, metadata = options.get("response_schema"), options.get("metadata")
        return cls(
            messages=msgs,
            chain=resolve_chain(options.get("alias")),
            validator=schema_validator(schema) if schema is not None else None,
            response_format=response_format(schema) if schema is not None else None,
            max_tokens=max_tokens,
            timeout=timeout,
            metadata=dict(metadata) if metadata else None,
            regions=regions,
        )

    def count_prompt(self) -> int:
        """Return the prompt's token count (counted once)."""
        if self.prompt_tokens is None:
            self.prompt_tokens = count_prompt_tokens(self.messages)
        return self.prompt_tokens

    def max_tokens_for(self, spec: ModelSpec) -> int | None:
        """Return the completion budget for ``spec``: requested or the alias's, capped by its output limit."""
        wanted = self.max_tokens or spec.params.max_tokens
        cap = spec.max_output_tokens
        return min(wanted, cap) if wanted and cap else wanted or cap

    def precheck(self, spec: ModelSpec) -> tuple[str, str] | None:
        """Return ``(kind, reason)`` when ``spec`` must be skipped without a call (region, window, key)."""
        if self.regions is not None and spec.region != IN_PROCESS_REGION and spec.region not in self.regions:
            return KIND_REGION, f"region '{spec.region}' not in allowed regions {sorted(self.regions)}"
        if spec.context_window is not None:
            budget = self.max_tokens_for(spec) or 0
            fits_surely = prompt_token_bound(self.messages) + budget <= spec.context_window
            if not fits_surely and self.count_prompt() + budget > spec.context_window:
                need = f"prompt {self.count_prompt()} + max_tokens {budget} tokens"
                return KIND_CONTEXT_WINDOW, f"{need} exceed the context window {spec.context_window}"
        env = spec.params.api_key_env()
        if env is not None and not os.environ.get(env):
            return KIND_MISSING_KEY, f"environment variable {env} is not set"
        return None


@dataclass(frozen=True)
class Usage:
    """Token usage of one answered call."""

    prompt_tokens: int = 0
    """Tokens of the prompt as the backend counted them."""
    completion_tokens: int = 0
    """Tokens of the reply."""
    total_tokens: int = 0
    """Both (as the backend reported; prompt + completion when it did not)."""

    @property
    def total(self) -> int:
        """Alias of ``total_tokens``."""
        return self.total_tokens

    @classmethod
    def from_report(cls, raw: Any, count_prompt: Callable[[], int], text: str) -> Usage:
        """Read a backend's usage report; count the tokens here when it gave none."""
        prompt = getattr(raw, "prompt_tokens", None)
        completion = getattr(raw, "completion_tokens", None)
        if not isinstance(prompt, int) or not isinstance(completion, int):
            prompt, completion = count_prompt(), count_tokens(text)
            return cls(prompt, completion, prompt + completion)
        total = getattr(raw, "total_tokens", None)
        return cls(prompt, completion, total if isinstance(total, int) else prompt + completion)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One alias tried for a request: answered, skipped before calling, or failed."""

    alias: str
    """Alias tried."""
    model: str
    """Its LiteLLM model id."""
    ok: bool
    """Whether this attempt produced the result."""
    error_kind: str | None = None
    """Why it did not (one of the ``KIND_*`` values)."""
    error_message: str | None = None
    """Short reason, free of keys and message contents."""
    latency_ms: float = 0.0
    """Time spent on this attempt (0 when skipped)."""

    @property
    def skipped(self) -> bool:
        """Whether the attempt was decided before any request was sent."""
        return self.error_kind in SKIP_KINDS


@dataclass(frozen=True, slots=True)
class LLMResult:
    """The answer of a model call, with where it came from and what it cost."""

    text: str
    """Reply text exactly as the backend gave it (for structured output, ``data`` holds the parsed JSON)."""
    data: Any
    """Parsed and validated JSON when a response schema was given, else None."""
    alias: str
    """Alias that answered (a fallback when the requested one failed)."""
    model: str
    """LiteLLM model id ``provider/model`` that answered."""
    model_version: str
    """Version declared in the models file, else the model the backend reported."""
    region: str
    """Region of the backend that answered."""
    usage: Usage
    """Token usage."""
    cost_usd: float
    """Cost in USD (models file prices, else LiteLLM's price map, else 0.0)."""
    latency_ms: float
    """Wall time of the whole request, all attempts included."""
    attempts: tuple[Attempt, ...]
    """Every alias tried, in order; the last one is the answer."""

    @property
    def fell_back(self) -> bool:
        """Whether an alias other than the first one answered."""
        return len(self.attempts) > 1

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (for audit records and API responses)."""
        return asdict(self)


class ModelBackendError(BackendError):
    """Every alias of the chain failed (or one failed in a way no fallback should hide)."""

    def __init__(self, attempts: Sequence[Attempt], *, reason: str = "all model backends failed") -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        listing = "; ".join(
            f"{a.alias} ({a.model}): {a.error_kind}" + (f" - {a.error_message}" if a.error_message else "")
            for a in self.attempts
        )
        super().__init__(f"{reason}: {listing}" if listing else reason)


ResultSink = Callable[[LLMResult], None]


@dataclass
class StreamParts:
    """What a stream delivered so far: text deltas, the last usage report and the model it named."""

    parts: list[str] = field(default_factory=list)
    """Text deltas in order."""
    usage: Any = None
    """Last usage object seen (the final chunk carries it when usage was requested)."""
    model: str | None = None
    """Model the backend reported."""

    def add(self, chunk: Any) -> str:
        """Take one OpenAI-style stream chunk; return its text delta ("" when it has none)."""
        self.model = self.model or getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        choices = getattr(chunk, "choices", None)
        delta = (getattr(getattr(choices[0], "delta", None), "content", None) if choices else None) or ""
        if delta:
            self.parts.append(delta)
        return delta

    @property
    def text(self) -> str:
        """All deltas joined."""
        return "".join(self.parts)


class _ResultSlot:
    """What both stream handles share: the final result, set by the delta generator before it ends."""

    _result: LLMResult | None = None
    _started: bool = False

    def _set_result(self, result: LLMResult) -> None:
        self._result = result

    @property
    def done(self) -> bool:
        """Whether the stream ended with a result."""
        return self._result is not None

    @property
    def result(self) -> LLMResult:
        """The final result; raise RuntimeError before the stream is exhausted."""
        if self._result is None:
            raise RuntimeError("the stream has not finished; iterate it to the end first")
        return self._result


class StreamHandle(_ResultSlot):
    """Text deltas of a streamed answer; once iterated to the end, ``result`` holds the LLMResult."""

    def __init__(self, make: Callable[[ResultSink], Iterator[str]]) -> None:
        """Wrap ``make(sink)``, deltas that call ``sink`` with the result before they end."""
        self._result: LLMResult | None = None
        self._deltas = make(self._set_result)
        self._started = False

    def __iter__(self) -> Iterator[str]:
        """Yield text deltas (a stream can be consumed once)."""
        if self._started:
            raise RuntimeError("this stream has already been consumed")
        self._started = True
        return self._deltas

    def collect(self) -> LLMResult:
        """Consume the remaining deltas and return the result."""
        deltas = self._deltas if self._started else iter(self)
        for _ in deltas:
            pass
        return self.result

    def close(self) -> None:
        """Stop the stream early and release the connection."""
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()


class AsyncStreamHandle(_ResultSlot):
    """Async twin of StreamHandle: ``async for delta in handle``, then ``handle.result``."""

    def __init__(self, make: Callable[[ResultSink], AsyncIterator[str]]) -> None:
        """Wrap ``make(sink)``, async deltas that call ``sink`` with the result before they end."""
        self._result: LLMResult | None = None
        self._deltas = make(self._set_result)
        self._started = False

    def __aiter__(self) -> AsyncIterator[str]:
        """Yield text deltas (a stream can be consumed once)."""
        if self._started:
            raise RuntimeError("this stream has already been consumed")
        self._started = True
        return self._deltas

    async def collect(self) -> LLMResult:
        """Consume the remaining deltas and return the result."""
        deltas = self._deltas if self._started else self.__aiter__()
        async for _ in deltas:
            pass
        return self.result

    async def aclose(self) -> None:
        """Stop the stream early and release the connection."""
        aclose = getattr(self._deltas, "aclose", None)
        if aclose is not None:
            await aclose()
