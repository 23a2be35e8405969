"""OpenAI-compatible chat completions and model list, answered by the tenant's assistant (``CRM.ask``).

Point any OpenAI client at ``http://host:port/v1`` with an agent_crm API key. The tenant is the key's. The
last user message is the question; the reply's ``choices[0].message.content`` is the decision's answer, and
the whole structured Decision (factors, citations, scripts, audit id, model) rides along in an extra top-level
``agent_crm`` field (in the final chunk when streaming).

Conversation continuity comes from the thread, not from replaying ``messages``: the thread is the
``X-Thread-Id`` header, else the ``user`` field (hashed), else a new thread per request; earlier messages of
the body are not re-read (the assistant's memory of the thread is its checkpoint). Thread ids are namespaced
by the key's tenant (``<tenant>:t:<X-Thread-Id>``, ``<tenant>:u:<hash of user>``, ``<tenant>:r:<random>``);
the response echoes the caller-facing id in ``X-Thread-Id`` and the full one in
``agent_crm.details.thread_id`` (the id the approval route takes).

``temperature``, ``max_tokens`` and other sampling parameters are accepted for compatibility; the models file
sets them per alias.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent_crm.access import KeyInfo, Permission
from agent_crm.api import sse
from agent_crm.api.deps import key_with, run_blocking
from agent_crm.api.errors import APIError
from agent_crm.service import CRM
from agent_crm.types import Decision

router = APIRouter(tags=["openai"])

DEFAULT_MODEL = "agent-crm"
"""The model name that means "the tenant's default alias"."""
_THREAD_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ContentPart(BaseModel):
    """One part of a multi-part message content (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content or [] if p.type in ("text", "input_text"))


class StreamOptions(BaseModel):
    """OpenAI ``stream_options``."""

    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat-completions request body (unknown extra fields are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=128, description="A models-file alias, or 'agent-crm'.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=256, description="End-user id; continues their thread.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1, le=1, description="Only one choice is produced.")


def thread_for(tenant: str, header: str | None, user: str | None) -> tuple[str, str]:
    """Return ``(caller-facing id, namespaced thread id)`` for a request."""
    if header is not None:
        raw = header.strip()
        if not _THREAD_RE.fullmatch(raw):
            raise APIError(422, "X-Thread-Id: use 1-128 letters, digits, '.', '_', ':' or '-'",
                           code="invalid_value", param="X-Thread-Id")
        return raw, f"{tenant}:t:{raw}"
    if user:
        digest = hashlib.sha256(f"{tenant}\x00{user}".encode()).hexdigest()[:32]
        return f"user-{digest}", f"{tenant}:u:{digest}"
    raw = uuid.uuid4().hex
    return raw, f"{tenant}:r:{raw}"


def _question(body: ChatCompletionRequest) -> str:
    for msg in reversed(body.messages):
        if msg.role == "user":
            text = msg.text().strip()
            if text:
                return text
            break
    raise APIError(422, "messages: the last user message must have text content", code="invalid_value",
                   param="messages")


def _usage(question: str, answer: str) -> dict[str, int]:
    from agent_crm.tokens import count_tokens

    prompt, completion = count_tokens(question), count_tokens(answer)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _resolve_alias(crm: CRM, key: KeyInfo, requested: str) -> tuple[str | None, str]:
    """Return ``(alias passed to CRM.ask, model name reported)``; 404 for unknown or not allowed aliases."""
    if requested == DEFAULT_MODEL:
        alias = crm.models.current
        if not key.may_use(alias):
            raise APIError(404, f"model {requested!r} ({alias}) is not available to this key",
                           code="model_not_found", param="model")
        return None, alias
    if requested not in crm.models.aliases() or not key.may_use(requested):
        raise APIError(404, f"model {requested!r} does not exist or is not available to this key",
                       code="model_not_found", param="model")
    return requested, requested


def _answer(crm: CRM, key: KeyInfo, body: ChatCompletionRequest, question: str,
            thread_id: str) -> tuple[Decision, str, dict[str, int]]:
    alias, reported = _resolve_alias(crm, key, body.model)
    decision = crm.ask(question, thread_id=thread_id, model=alias, actor=key.actor)
    return decision, reported, _usage(question, decision.answer)


@router.post("/v1/chat/completions", summary="OpenAI-compatible chat completion (streaming or not)")
async def chat_completions(
    body: ChatCompletionRequest,
    request: Request,
    key: KeyInfo = Depends(key_with(Permission.CHAT)),
    x_thread_id: str | None = Header(default=None, description="Conversation thread to continue."),
) -> Any:
    """Answer the last user message with an attributed, audited decision.

    With ``stream: true`` the answer is sent as OpenAI ``chat.completion.chunk`` events. The decision is
    computed first (the local backend takes tens of milliseconds; a remote model the time of its call) and
    its answer is then streamed in pieces, so a backend failure is still a proper 502/504 status rather than
    an error in the middle of a stream, and a client that disconnects mid-stream leaves a complete audit
    record behind.
    """
    question = _question(body)
    caller_thread, thread_id = thread_for(key.tenant, x_thread_id, body.user)
    crm = request.app.state.crms.get(key.tenant)
    decision, model, usage = await run_blocking(request, _answer, crm, key, body, question, thread_id)
    payload = decision.model_dump(mode="json")
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    headers = {"X-Thread-Id": caller_thread}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = sse.completion_events(completion_id, created, model, decision.answer, payload,
                                       usage if include_usage else None)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return JSONResponse({
        "id": completion_id, "object": "chat.completion", "created": created, "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "logprobs": None, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": decision.answer, "refusal": None}}],
        "usage": usage,
        "agent_crm": payload,
    }, headers=headers)


@router.get("/v1/models", summary="Model aliases this key may use (OpenAI list format)")
async def list_models(
    request: Request, key: KeyInfo = Depends(key_with(Permission.MODELS))
) -> dict[str, Any]:
    """List ``agent-crm`` (the tenant's default alias) and the models file's aliases the key may use."""

    def aliases() -> list[str]:
        from agent_crm.tenant_runtime import gateway_for

        return list(gateway_for(request.app.state.settings).registry.aliases())

    names = [DEFAULT_MODEL, *(a for a in await run_blocking(request, aliases) if key.may_use(a))]
    return {"object": "list",
            "data": [{"id": n, "object": "model", "created": 0, "owned_by": "agent_crm"} for n in names]}
