"""A local fake of an OpenAI-compatible server (aiohttp on 127.0.0.1, a free port), speaking the
real wire format of `POST /v1/chat/completions`, plain JSON or, when the request says
`"stream": true`, server-sent events, and `GET /v1/models`. It records every request body so a
test can check what really arrived (`image_parts` decodes the images a request carried).

    async with FakeOpenAI(lambda body: "a terminal showing …") as server:
        model = openai_compatible("vision", server.base_url, "key")
        ...
    assert server.image_parts(server.requests[0]) == [("image/png", png_bytes)]

`reply(body)` (plain or async) returns what the assistant says:

- a `str`: the message's text;
- a `dict` with `"choices"`: the whole response body, sent as it is;
- another `dict`: the assistant message itself, e.g. `{"content": None, "tool_calls": [...]}`
  (`finish_reason` becomes "tool_calls" when it has any);
- an aiohttp `web.StreamResponse`: sent as it is (an error status, a broken body, …).

`delay` seconds pass before every reply (to test timeouts); an async `reply` can also sleep.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.serving import serve_on_loopback

ReplyValue = str | dict[str, Any] | web.StreamResponse
Reply = Callable[[dict[str, Any]], ReplyValue | Awaitable[ReplyValue]]


class FakeOpenAI:
    def __init__(self, reply: Reply, *, delay: float = 0.0, model: str = "fake-model") -> None:
        self.reply = reply
        self.delay = delay
        self.model = model
        self.requests: list[dict[str, Any]] = []  # every request body, in arrival order
        self.headers: list[dict[str, str]] = []
        self.base_url = ""  # "http://127.0.0.1:<port>/v1" once started
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)  # base64 images are large
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        # a reply held back by `delay` for a client that already gave up is not waited for on close
        self._runner, port = await serve_on_loopback(app, shutdown_timeout=0.1)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what arrived -------------------------------------------------------------------------

    @staticmethod
    def image_parts(request: dict[str, Any]) -> list[tuple[str, bytes]]:
        """(media type, decoded bytes) of every `image_url` part with a base64 `data:` URL."""
        found = []
        for message in request.get("messages", []):
            content = message.get("content")
            for part in content if isinstance(content, list) else []:
                if part.get("type") != "image_url":
                    continue
                url = part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
                header, _, payload = url.partition(",")
                if header.startswith("data:") and header.endswith(";base64"):
                    found.append((header[len("data:"):-len(";base64")], base64.b64decode(payload)))
        return found

    @staticmethod
    def text_of(request: dict[str, Any]) -> str:
        """Every text the request carried (system, instructions and user parts), one per line."""
        texts = []
        for message in request.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            for part in content if isinstance(content, list) else []:
                if part.get("type") == "text":
                    texts.append(part["text"])
        return "\n".join(texts)

    # --- handlers -----------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}]})

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "the body is not JSON")
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.reply(body)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, web.StreamResponse):
            return answer
        completion = self._completion(body, answer)
        if body.get("stream"):
            return await self._stream(request, body, completion)
        return web.json_response(completion)

    def _completion(self, body: dict[str, Any], answer: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(answer, dict) and "choices" in answer:
            return answer
        message: dict[str, Any] = {"role": "assistant", "content": answer} if isinstance(answer, str) \
            else {"role": "assistant", "content": None, **answer}
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        prompt_tokens = max(1, len(json.dumps(body.get("messages", []))) // 4)
        completion_tokens = max(1, len(json.dumps(message)) // 4)
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", self.model), "system_fingerprint": "fake",
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }

    async def _stream(self, request: web.Request, body: dict[str, Any],
                      completion: dict[str, Any]) -> web.StreamResponse:
        """The same completion as `chat.completion.chunk` events: the role, the text, the tool
        calls (one chunk each), the finish reason, the usage when asked for, then [DONE]."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        base = {key: completion[key] for key in ("id", "created", "model") if key in completion}
        base["object"] = "chat.completion.chunk"
        choice = completion["choices"][0]
        message = choice.get("message", {})

        async def send(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                     **extra}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        if message.get("content"):
            await send({"content": message["content"]})
        for index, call in enumerate(message.get("tool_calls") or []):
            await send({"tool_calls": [{"index": index, "id": call.get("id", f"call_{index}"), "type": "function",
                                        "function": call["function"]}]})
        await send({}, choice.get("finish_reason", "stop"))
        if (body.get("stream_options") or {}).get("include_usage") and "usage" in completion:
            await response.write(f"data: {json.dumps({**base, 'choices': [], 'usage': completion['usage']})}\n\n"
                                 .encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error", "code": None}},
                             status=status)


def error_reply(status: int = 500, message: str = "internal error") -> web.Response:
    """A reply in OpenAI's error format, for `reply` to return."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return web.json_response({"error": {"message": message, "type": kind, "code": None}}, status=status)
