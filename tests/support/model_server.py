"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.

The server is real HTTP (FastAPI served by uvicorn in a background thread), so LiteLLM's own OpenAI client
path is exercised end to end. Each test scripts replies per model name (text, JSON, HTTP errors, delays,
malformed bodies) and reads back every request body the server received.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from agent_crm.tokens import count_tokens

STREAM_PIECE_CHARS = 6
"""Characters per streamed delta."""


@dataclass(frozen=True)
class Reply:
    """One scripted reply of the server."""

    kind: str = "text"
    """``text`` (a completion), ``error`` (an HTTP error status), ``malformed`` (200, body not JSON) or
    ``cut`` (a stream that breaks off after half of the text)."""
    text: str = ""
    """Assistant text (``text``) or error message (``error``)."""
    status: int = 200
    """HTTP status of an ``error`` reply."""
    delay: float = 0.0
    """Seconds to wait before answering (drives client timeouts)."""

    @classmethod
    def of_text(cls, text: str, *, delay: float = 0.0) -> Reply:
        """Reply with this assistant text."""
        return cls("text", text, 200, delay)

    @classmethod
    def of_json(cls, obj: Any, *, fenced: bool = False, delay: float = 0.0) -> Reply:
        """Reply with this object as JSON text (optionally inside a ```json fence)."""
        body = json.dumps(obj, ensure_ascii=False)
        return cls("text", f"```json\n{body}\n```" if fenced else body, 200, delay)

    @classmethod
    def of_error(cls, status: int, message: str = "scripted failure", *, delay: float = 0.0) -> Reply:
        """Reply with an OpenAI-style error object and this HTTP status."""
        return cls("error", message, status, delay)

    @classmethod
    def malformed(cls) -> Reply:
        """Reply 200 with a body that is not JSON."""
        return cls("malformed", "{not json", 200, 0.0)

    @classmethod
    def cut(cls, text: str) -> Reply:
        """Stream the first half of ``text`` and then drop the connection (non-stream: same as text)."""
        return cls("cut", text, 200, 0.0)

    @classmethod
    def after(cls, seconds: float, then: Reply | str = "late reply") -> Reply:
        """Sleep ``seconds`` and then give ``then`` (a Reply or a text)."""
        base = then if isinstance(then, Reply) else cls.of_text(then)
        return cls(base.kind, base.text, base.status, seconds)


@dataclass(frozen=True)
class Received:
    """One request the server received."""

    model: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def stream(self) -> bool:
        """Whether the client asked for a streamed answer."""
        return bool(self.body.get("stream"))

    def text(self) -> str:
        """Return every message content of the request joined by newlines (to search for leaked values)."""
        return "\n".join(_content_text(m.get("content")) for m in self.body.get("messages", []))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


@dataclass
class _Script:
    lock: threading.Lock = field(default_factory=threading.Lock)
    queues: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[str, Reply] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def next_reply(self, model: str) -> Reply:
        with self.lock:
            queue = self.queues.get(model)
            if queue:
                return queue.popleft()
            return self.defaults.get(model) or Reply.of_text(f"[{model}] ok")


class ScriptedModelServer:
    """OpenAI-compatible server with per-model scripted replies and a log of received requests."""

    def __init__(self) -> None:
        self._script = _Script()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> ScriptedModelServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread until ``stop``."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self._script),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("scripted model server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    # ---- scripting -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL for OpenAI clients (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, model: str, *replies: Reply | str) -> None:
        """Queue replies for requests naming ``model`` (strings are text replies), each used once."""
        queued = [r if isinstance(r, Reply) else Reply.of_text(r) for r in replies]
        with self._script.lock:
            self._script.queues[model].extend(queued)

    def set_default(self, model: str, reply: Reply | str) -> None:
        """Give ``model`` this reply whenever its queue is empty (otherwise ``[model] ok``)."""
        with self._script.lock:
            self._script.defaults[model] = reply if isinstance(reply, Reply) else Reply.of_text(reply)

    def reset(self) -> None:
        """Forget every scripted reply, default and received request."""
        with self._script.lock:
            self._script.queues.clear()
            self._script.defaults.clear()
            self._script.received.clear()

    @property
    def requests(self) -> list[Received]:
        """Requests received so far (a copy, oldest first)."""
        with self._script.lock:
            return list(self._script.received)

    def requests_for(self, model: str) -> list[Received]:
        """Requests received so far that named ``model``."""
        return [r for r in self.requests if r.model == model]

    def entry(
        self,
        alias: str,
        model: str = "scripted",
        *,
        region: str = "cn",
        timeout: float = 2.0,
        fallbacks: Sequence[str] = (),
        context_window: int | None = 32000,
        version: str | None = None,
        api_key: str = "sk-test",
        **params: Any,
    ) -> dict[str, Any]:
        """Return one models-file entry whose alias points at this server as ``openai/<model>``."""
        info: dict[str, Any] = {"region": region}
        if context_window is not None:
            info["context_window"] = context_window
        if version is not None:
            info["version"] = version
        entry: dict[str, Any] = {
            "model_name": alias,
            "litellm_params": {
                "model": f"openai/{model}",
                "api_base": self.url,
                "api_key": api_key,
                "timeout": timeout,
                **params,
            },
            "model_info": info,
        }
        if fallbacks:
            entry["fallbacks"] = list(fallbacks)
        return entry


def write_models_file(path: Path, entries: Iterable[Mapping[str, Any]], default: str | None = None) -> Path:
    """Write a models YAML file (``default`` + ``models``) and return its path."""
    doc: dict[str, Any] = {}
    if default is not None:
        doc["default"] = default
    doc["models"] = [dict(e) for e in entries]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ---- the app -------------------------------------------------------------------------
def _usage(body: Mapping[str, Any], text: str) -> dict[str, int]:
    prompt = sum(count_tokens(_content_text(m.get("content"))) + 4 for m in body.get("messages", [])) + 3
    completion = count_tokens(text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(model: str, text: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage,
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None, usage: dict[str, int] | None) -> str:
    choices = [] if usage is not None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    obj = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": choices,
        "usage": usage,
    }
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


class _DroppedStream(Exception):
    """Raised inside a streamed body to make the server drop the connection mid-answer."""


async def _sse(
    model: str, text: str, usage: dict[str, int] | None, *, cut: bool = False
) -> AsyncIterator[str]:
    yield _chunk(model, {"role": "assistant", "content": ""}, None, None)
    for i in range(0, len(text), STREAM_PIECE_CHARS):
        if cut and i >= len(text) // 2:
            raise _DroppedStream("scripted connection drop")
        yield _chunk(model, {"content": text[i : i + STREAM_PIECE_CHARS]}, None, None)
        await asyncio.sleep(0)
    yield _chunk(model, {}, "stop", None)
    if usage is not None:
        yield _chunk(model, {}, None, usage)
    yield "data: [DONE]\n\n"


def build_app(script: _Script) -> FastAPI:
    """Build the FastAPI app answering from ``script``."""
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        with script.lock:
            names = sorted(set(script.queues) | set(script.defaults) | {"scripted"})
        return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "tests"} for n in names]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        model = str(body.get("model", ""))
        with script.lock:
            script.received.append(Received(model, body, dict(request.headers)))
        reply = script.next_reply(model)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.kind == "error":
            err = {"error": {"message": reply.text, "type": "scripted_error", "code": str(reply.status)}}
            return JSONResponse(err, status_code=reply.status)
        if reply.kind == "malformed":
            return Response(reply.text, media_type="application/json")
        if body.get("stream"):
            wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            usage = _usage(body, reply.text) if wants_usage else None
            stream = _sse(model, reply.text, usage, cut=reply.kind == "cut")
            return StreamingResponse(stream, media_type="text/event-stream")
        return JSONResponse(_completion(model, reply.text, _usage(body, reply.text)))

    return app
