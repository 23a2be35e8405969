"""The one door to model backends: every call goes through LiteLLM here, along a chain of fallback aliases.

A request is filtered once (PII redaction happens in ``request_filters``), then each alias of the chain is
tried in order. Aliases are skipped without a call when their region is not allowed, the prompt does not fit
their context window, or their API key is not set; they fail over on timeouts, 5xx, rate limits, connection
errors and structured output that does not match the schema. Auth and bad-request errors stop the chain (a
fallback would hide them).
This module (with ``agent_crm.llm.local``) is the only importer of litellm, and imports it lazily.
"""

from __future__ import annotations

import functools
import importlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Unpack

from agent_crm.llm import results as r
from agent_crm.llm.registry import ModelRegistry, ModelSpec
from agent_crm.llm.results import (
    AsyncStreamHandle,
    Attempt,
    CallOptions,
    CallPlan,
    LLMResult,
    ModelBackendError,
    ResultSink,
    StreamHandle,
    StreamParts,
    Usage,
)
from agent_crm.llm.schema import StructuredOutputError, parse_structured
from agent_crm.logs import get_logger
from agent_crm.offline import ensure_offline_env

_log = get_logger("llm.gateway")

DEFAULT_TIMEOUT_S = 30.0
"""Per-call timeout when neither the call nor the alias sets one."""
BUILTIN_PROVIDERS: Mapping[str, tuple[str, str]] = {
    "local": ("agent_crm.llm.local.provider", "LocalReasonerLLM"),
}
"""Providers registered on first use: provider -> (module, litellm.CustomLLM class)."""

MessageFilter = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
"""A request filter: messages in, messages out (a new list; the PII enforcement point)."""


_providers: dict[str, Any] = {}
_providers_lock = threading.Lock()
_unpriced: set[str] = set()


@functools.cache
def _litellm() -> Any:
    ensure_offline_env()
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def register_provider(provider: str, handler: Any) -> None:
    """Register a ``litellm.CustomLLM`` instance as ``provider`` (idempotent; a new handler replaces it)."""
    lt = _litellm()
    with _providers_lock:
        if _providers.get(provider) is handler:
            return
        entries = [e for e in lt.custom_provider_map if e.get("provider") != provider]
        lt.custom_provider_map = [*entries, {"provider": provider, "custom_handler": handler}]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()
        _providers[provider] = handler


def _ensure_provider(provider: str) -> str | None:
    """Register a built-in provider on first use (again if the map was replaced); say why it is unusable."""
    handler = _providers.get(provider)
    if handler is not None:
        if not any(e.get("custom_handler") is handler for e in _litellm().custom_provider_map):
            _providers.pop(provider, None)
            register_provider(provider, handler)
        return None
    if provider not in BUILTIN_PROVIDERS:
        return None
    module_name, class_name = BUILTIN_PROVIDERS[provider]
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, class_name)()
    except (ImportError, AttributeError) as exc:
        return f"built-in provider '{provider}' cannot be loaded ({exc.__class__.__name__})"
    register_provider(getattr(module, "PROVIDER", provider), handler)
    return None if provider in _providers else f"{module_name}.PROVIDER is not '{provider}'"


def _classify(exc: BaseException) -> str:
    _litellm()
    import httpx
    from litellm import exceptions as lt

    inner = getattr(exc, "original_exception", None)
    if isinstance(exc, lt.MidStreamFallbackError) and isinstance(inner, BaseException):
        exc = inner

    if isinstance(exc, StructuredOutputError):
        return r.KIND_INVALID_OUTPUT
    if isinstance(exc, lt.Timeout | httpx.TimeoutException | TimeoutError):
        return r.KIND_TIMEOUT
    if isinstance(exc, lt.ContextWindowExceededError):
        return r.KIND_CONTEXT_WINDOW
    if isinstance(exc, lt.RateLimitError):
        return r.KIND_RATE_LIMIT
    if isinstance(exc, lt.AuthenticationError | lt.PermissionDeniedError):
        return r.KIND_AUTH
    if isinstance(exc, lt.APIConnectionError | httpx.TransportError | ConnectionError):
        return r.KIND_CONNECTION
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return r.KIND_SERVER_ERROR
    if isinstance(status, int) and 400 <= status < 500:
        return r.KIND_BAD_REQUEST
    return r.KIND_ERROR


def _reason(exc: BaseException, spec: ModelSpec) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    key = spec.params.resolve_api_key()
    if key:
        text = text.replace(key, "***")
    return text[:240]


class Gateway:
    """Model calls by alias with fallbacks, filters, region and context-window checks, usage and cost."""

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        request_filters: Sequence[MessageFilter] = (),
        allowed_regions: Collection[str] | None = None,
        default_timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Call models named in ``registry``.

        Args:
            registry: aliases and their fallbacks (hot-reloaded).
            request_filters: applied in order, once per request, to the messages before any backend sees them.
            allowed_regions: regions any request may be sent to (None = any); ``local`` is always allowed.
            default_timeout: seconds per call when neither the call nor the alias sets a timeout.
        """
        self.registry = registry
        self._filters = tuple(request_filters)
        self._regions = frozenset(allowed_regions) if allowed_regions is not None else None
        self._default_timeout = default_timeout

    def warm_up(self) -> None:
        """Load LiteLLM, the tokenizer and the registry's built-in providers now (else on first use)."""
        _litellm()
        from agent_crm.tokens import encoding

        encoding()
        for alias in self.registry.aliases():
            _ensure_provider(self.registry.get(alias).provider)

    # ---- one request -------------------------------------------------------------------------------
    def _prepare(self, messages: Sequence[Mapping[str, Any]], options: CallOptions) -> CallPlan:
        return CallPlan.build(messages, options, self.registry.resolve_chain, self._filters, self._regions)

    @staticmethod
    def _skipped(req: CallPlan, spec: ModelSpec, attempts: list[Attempt]) -> bool:
        skip = req.precheck(spec)
        if skip is None and (missing := _ensure_provider(spec.provider)) is not None:
            skip = (r.KIND_UNAVAILABLE, missing)
        if skip is None:
            return False
        attempts.append(Attempt(spec.alias, spec.model, False, skip[0], skip[1], 0.0))
        _log.warning("llm_attempt_skipped", alias=spec.alias, model=spec.model, kind=skip[0])
        return True

    def _kwargs(self, req: CallPlan, spec: ModelSpec, *, stream: bool = False) -> dict[str, Any]:
        p = spec.params
        kw: dict[str, Any] = {**p.extra, "model": spec.model, "messages": req.messages, "num_retries": 0,
                              "timeout": req.timeout or p.timeout or self._default_timeout}
        optional = {"api_base": p.api_base, "api_key": p.resolve_api_key(), "temperature": p.temperature,
                    "max_tokens": req.max_tokens_for(spec), "response_format": req.response_format,
                    "metadata": req.metadata}
        kw.update((k, v) for k, v in optional.items() if v is not None)
        if stream:
            kw["stream"] = True
            kw["stream_options"] = {"include_usage": True}
        return kw

    def _failed(
        self, spec: ModelSpec, exc: Exception, t0: float, attempts: list[Attempt], *, partial: bool = False
    ) -> None:
        kind = _classify(exc)
        latency = (time.perf_counter() - t0) * 1000
        attempts.append(Attempt(spec.alias, spec.model, False, kind, _reason(exc, spec), round(latency, 3)))
        _log.warning("llm_attempt_failed", alias=spec.alias, model=spec.model, kind=kind,
                     error=exc.__class__.__name__, latency_ms=round(latency, 1))
        if partial:
            reason = "the stream failed after part of the answer was sent"
            raise ModelBackendError(attempts, reason=reason) from exc
        if kind not in r.FALLBACK_KINDS:
            raise ModelBackendError(attempts, reason=f"model call failed ({kind}, not retried)") from exc

    @staticmethod
    def _exhausted(attempts: list[Attempt]) -> ModelBackendError:
        _log.error("llm_all_failed", attempts=[(a.alias, a.error_kind) for a in attempts])
        return ModelBackendError(attempts)

    @staticmethod
    def _cost(spec: ModelSpec, usage: Usage, response: Any) -> float:
        if spec.has_costs:
            return (usage.prompt_tokens * (spec.input_cost_per_1k or 0.0)
                    + usage.completion_tokens * (spec.output_cost_per_1k or 0.0)) / 1000
        if spec.provider in _providers or spec.model in _unpriced:
            return 0.0
        lt = _litellm()
        try:
            if response is not None:
                return float(lt.completion_cost(completion_response=response) or 0.0)
            prompt_cost, completion_cost = lt.cost_per_token(
                model=spec.model, prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
            return float(prompt_cost + completion_cost)
        except Exception:  # not in LiteLLM's price map
            _unpriced.add(spec.model)
            return 0.0

    def _result(
        self, req: CallPlan, spec: ModelSpec, text: str, raw_usage: Any, reported_model: str | None,
        response: Any, t0: float, attempts: list[Attempt],
    ) -> LLMResult:
        data = parse_structured(text, req.validator) if req.validator is not None else None
        usage = Usage.from_report(raw_usage, req.count_prompt, text)
        now = time.perf_counter()
        attempts.append(Attempt(spec.alias, spec.model, True, None, None, round((now - t0) * 1000, 3)))
        latency = round((now - req.started) * 1000, 3)
        _log.debug("llm_call", alias=spec.alias, model=spec.model, latency_ms=latency,
                   prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                   attempts=len(attempts))
        return LLMResult(
            text=text, data=data, alias=spec.alias, model=spec.model,
            model_version=spec.version or reported_model or spec.name, region=spec.region, usage=usage,
            cost_usd=self._cost(spec, usage, response), latency_ms=latency, attempts=tuple(attempts),
        )

    def _answer(
        self, req: CallPlan, spec: ModelSpec, resp: Any, t0: float, attempts: list[Attempt]
    ) -> LLMResult:
        text = (resp.choices[0].message.content or "") if resp.choices else ""
        return self._result(req, spec, text, getattr(resp, "usage", None), getattr(resp, "model", None),
                            resp, t0, attempts)

    # ---- public API --------------------------------------------------------------------------------
    def complete(self, messages: Sequence[Mapping[str, Any]], **options: Unpack[CallOptions]) -> LLMResult:
        """Answer ``messages`` with ``alias`` (default: the registry's default) or its fallbacks.

        Args:
            messages: OpenAI-style chat messages (filtered by ``request_filters`` before any backend).
            **options: see ``CallOptions`` (alias, response_schema, max_tokens, timeout, metadata,
                allowed_regions).

        Raises:
            ModelBackendError: (a BackendError) no alias answered; ``.attempts`` says why for each.
            NotFoundError: unknown alias. InputError: malformed messages or schema.
        """
        lt = _litellm()
        req = self._prepare(messages, options)
        attempts: list[Attempt] = []
        for spec in req.chain:
            if self._skipped(req, spec, attempts):
                continue
            t0 = time.perf_counter()
            try:
                return self._answer(req, spec, lt.completion(**self._kwargs(req, spec)), t0, attempts)
            except Exception as exc:
                self._failed(spec, exc, t0, attempts)
        raise self._exhausted(attempts)

    async def acomplete(
        self, messages: Sequence[Mapping[str, Any]], **options: Unpack[CallOptions]
    ) -> LLMResult:
        """Async twin of ``complete``."""
        lt = _litellm()
        req = self._prepare(messages, options)
        attempts: list[Attempt] = []
        for spec in req.chain:
            if self._skipped(req, spec, attempts):
                continue
            t0 = time.perf_counter()
            try:
                return self._answer(req, spec, await lt.acompletion(**self._kwargs(req, spec)), t0, attempts)
            except Exception as exc:
                self._failed(spec, exc, t0, attempts)
        raise self._exhausted(attempts)

    def stream(self, messages: Sequence[Mapping[str, Any]], **options: Unpack[CallOptions]) -> StreamHandle:
        """Stream the answer: iterate the handle for text deltas, then read ``handle.result``.

        Options as ``complete``. Fallback happens while nothing has been given to the caller; a failure after
        the first delta raises ModelBackendError. With a response schema the reply is validated before any
        delta is given out (so an invalid reply can still fail over).
        """
        req = self._prepare(messages, options)
        return StreamHandle(lambda sink: self._deltas(req, sink))

    def astream(
        self, messages: Sequence[Mapping[str, Any]], **options: Unpack[CallOptions]
    ) -> AsyncStreamHandle:
        """Async twin of ``stream``: ``async for delta in handle``, then ``handle.result``."""
        req = self._prepare(messages, options)
        return AsyncStreamHandle(lambda sink: self._adeltas(req, sink))

    def _deltas(self, req: CallPlan, sink: ResultSink) -> Iterator[str]:
        lt = _litellm()
        req.started = time.perf_counter()
        attempts: list[Attempt] = []
        for spec in req.chain:
            if self._skipped(req, spec, attempts):
                continue
            t0, acc, sent, stream = time.perf_counter(), StreamParts(), False, None
            try:
                stream = lt.completion(**self._kwargs(req, spec, stream=True))
                for chunk in stream:
                    delta = acc.add(chunk)
                    if delta and req.validator is None:
                        sent = True
                        yield delta
                result = self._result(req, spec, acc.text, acc.usage, acc.model, None, t0, attempts)
            except Exception as exc:
                self._failed(spec, exc, t0, attempts, partial=sent)
                continue
            finally:
                if (close := getattr(stream, "close", None)) is not None:
                    close()
            if req.validator is not None:
                yield from acc.parts
            sink(result)
            return
        raise self._exhausted(attempts)

    async def _adeltas(self, req: CallPlan, sink: ResultSink) -> AsyncIterator[str]:
        lt = _litellm()
        req.started = time.perf_counter()
        attempts: list[Attempt] = []
        for spec in req.chain:
            if self._skipped(req, spec, attempts):
                continue
            t0, acc, sent, stream = time.perf_counter(), StreamParts(), False, None
            try:
                stream = await lt.acompletion(**self._kwargs(req, spec, stream=True))
                async for chunk in stream:
                    delta = acc.add(chunk)
                    if delta and req.validator is None:
                        sent = True
                        yield delta
                result = self._result(req, spec, acc.text, acc.usage, acc.model, None, t0, attempts)
            except Exception as exc:
                self._failed(spec, exc, t0, attempts, partial=sent)
                continue
            finally:
                if (aclose := getattr(stream, "aclose", None)) is not None:
                    await aclose()
            if req.validator is not None:
                for part in acc.parts:
                    yield part
            sink(result)
            return
        raise self._exhausted(attempts)
