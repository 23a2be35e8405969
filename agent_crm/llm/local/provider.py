"""The local reasoner as the LiteLLM custom provider ``local/crm-reasoner`` (this package's litellm importer).

Register it with::

    litellm.custom_provider_map = [{"provider": PROVIDER, "custom_handler": LocalReasonerLLM()}]

and call ``litellm.completion(model="local/crm-reasoner", messages=..., response_format=...)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from agent_crm.offline import ensure_offline_env

ensure_offline_env()

import litellm  # noqa: E402  (the offline environment must be set first)
from litellm.types.utils import GenericStreamingChunk  # noqa: E402

from agent_crm.llm.context import message_text  # noqa: E402
from agent_crm.llm.local.language import is_cjk  # noqa: E402
from agent_crm.llm.local.protocol import reason  # noqa: E402
from agent_crm.tokens import count_tokens  # noqa: E402

PROVIDER = "local"
"""LiteLLM provider name."""
MODEL_NAME = "crm-reasoner"
"""Model name under the provider."""
MODEL_ID = f"{PROVIDER}/{MODEL_NAME}"
"""Full LiteLLM model id."""
VERSION = "1.0.0"
"""Version of the reasoner's behaviour (bump when outputs change)."""

STREAM_WORDS = 3
"""Latin words per stream chunk."""
STREAM_CJK = 4
"""CJK characters per stream chunk."""


def stream_pieces(text: str) -> list[str]:
    """Split text into stream pieces of a few words or CJK characters; the pieces concatenate to ``text``."""
    pieces: list[str] = []
    current = ""
    words = 0
    cjk = 0
    for i, ch in enumerate(text):
        current += ch
        if is_cjk(ch):
            cjk += 1
        elif ch.isspace() and i > 0 and not text[i - 1].isspace():
            words += 1
        if ch == "\n" or cjk >= STREAM_CJK or words >= STREAM_WORDS:
            pieces.append(current)
            current, words, cjk = "", 0, 0
    if current:
        pieces.append(current)
    return pieces


def _prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(f"{m.get('role', '')}: {message_text(m)}" for m in messages if isinstance(m, Mapping))


def _usage(messages: Sequence[Mapping[str, Any]], text: str) -> dict[str, int]:
    prompt = count_tokens(_prompt_text(messages))
    completion = count_tokens(text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _response_format(optional_params: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> Any:
    if optional_params and optional_params.get("response_format") is not None:
        return optional_params["response_format"]
    return kwargs.get("response_format")


class LocalReasonerLLM(litellm.CustomLLM):
    """Built-in deterministic CRM reasoner served through LiteLLM (sync, async, streaming)."""

    def _run(
        self, messages: list[Any], optional_params: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
    ) -> str:
        return reason(messages, _response_format(optional_params, kwargs))

    def _response(
        self,
        messages: list[Any],
        model_response: Any,
        optional_params: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> litellm.ModelResponse:
        text = self._run(messages, optional_params, kwargs)
        response = (
            model_response if isinstance(model_response, litellm.ModelResponse) else litellm.ModelResponse()
        )
        response.choices[0].message.content = text  # type: ignore[union-attr]
        response.choices[0].finish_reason = "stop"
        response.model = MODEL_ID
        response.system_fingerprint = f"{MODEL_ID}@{VERSION}"
        usage = _usage(messages, text)
        response.usage = litellm.Usage(  # type: ignore[attr-defined]
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            total_tokens=usage["total_tokens"],
        )
        return response

    def completion(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        *args: Any,
        model_response: Any = None,
        optional_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> litellm.ModelResponse:
        """Answer a chat completion request with the local reasoner."""
        return self._response(messages, model_response, optional_params, kwargs)

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        *args: Any,
        model_response: Any = None,
        optional_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> litellm.ModelResponse:
        """Answer a chat completion request asynchronously (the reasoner is CPU-light and runs inline)."""
        return self._response(messages, model_response, optional_params, kwargs)

    def _chunks(
        self, messages: list[Any], optional_params: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
    ) -> list[GenericStreamingChunk]:
        text = self._run(messages, optional_params, kwargs)
        pieces = stream_pieces(text) or [""]
        usage = _usage(messages, text)
        chunks: list[GenericStreamingChunk] = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            chunks.append(
                {
                    "text": piece,
                    "tool_use": None,
                    "is_finished": last,
                    "finish_reason": "stop" if last else "",
                    "usage": usage if last else None,  # type: ignore[typeddict-item]
                    "index": 0,
                }
            )
        return chunks

    def streaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        *args: Any,
        optional_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[GenericStreamingChunk]:
        """Stream the reply in pieces of a few words or CJK characters; usage rides on the final chunk."""
        yield from self._chunks(messages, optional_params, kwargs)

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        *args: Any,
        optional_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenericStreamingChunk]:
        """Stream the reply asynchronously (same pieces as ``streaming``)."""
        for chunk in self._chunks(messages, optional_params, kwargs):
            yield chunk


def provider_entry() -> dict[str, Any]:
    """Return the ``litellm.custom_provider_map`` entry of the local reasoner."""
    return {"provider": PROVIDER, "custom_handler": LocalReasonerLLM()}
