"""A local fake of Slack: the Web API methods the bot calls, private file downloads and uploads,
and a Socket Mode websocket, on 127.0.0.1 (a free port), so no test reaches slack.com.

    async with FakeSlack(users={"U1": "alice"}, usergroups={"S1": ["U1"]}) as slack:
        config = {"slack": {"bot_token": slack.bot_token, "api_base_url": slack.api_url, ...}}
        event = slack.user_message("C1", "U1", "<@U0BOT> restart web")   # a message as Slack stores it
        ...
        await slack.wait_for(lambda: slack.calls_of("chat.update"), what="a card edit")

Web API (`POST /api/{method}`, form-encoded or JSON, token as `Authorization: Bearer` or a
`token` field): `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`,
`conversations.replies`, `reactions.add` / `.remove`, `users.info`, `usergroups.users.list`,
`assistant.threads.setStatus`, `files.getUploadURLExternal`, `files.completeUploadExternal`,
`files.info`, `apps.connections.open`. Answers have Slack's documented shapes; failures are
`{"ok": false, "error": "<code>"}` with Slack's codes (`not_authed`, `invalid_auth`,
`not_allowed_token_type`, `channel_not_found`, `message_not_found`, `already_reacted`,
`no_reaction`, `user_not_found`, `no_such_subteam`, `invalid_blocks`, `msg_too_long`,
`no_text`, `file_not_found`). The fake checks Slack's Block Kit limits (50 blocks, 3,000
characters per section text, 40,000 per message), so a card that breaks them fails as it would,
and reads every block and chunk through slack_sdk's own models (`Block.parse`, `Chunk.parse` and
their validators): a type or field the SDK would not build is `invalid_blocks` / `invalid_chunks`.

Streaming (`chat.startStream` / `chat.appendStream` / `chat.stopStream`, JSON bodies as slack_sdk's
`chat_stream()` sends them): refused with `streaming_refusal` (default `unknown_method`, as a
workspace without the feature answers; set it to None to stream). A stream is a message in the
thread whose `chunks` grow and whose `text` is its markdown so far; chunks are checked against the
shapes of slack_sdk's `Chunk` classes (`markdown_text` ≤ 12,000 characters; `task_update` with
`id`, `title`, a status among pending / in_progress / complete / error, `sources` of `url`
elements), else `invalid_chunks` (the fake's own code). Outside a DM a stream needs
`recipient_team_id` and `recipient_user_id` (`invalid_arguments`). A stream not stopped within
`stream_time_limit` seconds is closed by the fake, and appending to (or stopping) a closed stream
answers `message_not_in_streaming_state`; `chat.update` on a message still streaming answers
`streaming_state_conflict` (the fake's own code). `streams` keeps each stream by ts.

Modals: `views.open` takes a `trigger_id` the fake handed out (`trigger_ids`, one modal each;
else `invalid_trigger_id`) and a `modal` view (title and buttons ≤ 24 characters), kept in
`modals`.

Agent entry points: `assistant.threads.setSuggestedPrompts` (1–4 `{title, message}`, kept in
`suggested_prompts` by (channel, thread)) and `views.publish` (a `home` view of at most 100
blocks, kept in `home_views` by user).

`assistant.threads.setStatus` succeeds only in threads listed in `assistant_threads`
(channel, thread_ts); elsewhere it answers `ok:false` with `not_an_assistant_thread`, the fake's
own code (the adapter treats any refusal the same way).

Every call is recorded (`calls`, `calls_of(method)`), answered or not. Switches:
`rate_limit(method, times, retry_after)` answers the next calls with HTTP 429 and `Retry-After`;
`fail(method, error, times)` answers `ok:false`. Failure modes of the connection:
`close_sockets()` drops the Socket Mode connections; `revoke_tokens()` makes every call with the
bot's tokens answer `token_revoked` and drops the connections (`restore_tokens()` undoes it).

Files: `add_file(name, data, mimetype)` returns the file object an event carries; its
`url_private_download` serves the bytes only with the bot token as bearer, and otherwise answers
like Slack does, with an HTML sign-in page and status 200. Uploads (`upload_url` of
`files.getUploadURLExternal`) keep the bytes in `uploads`.

Socket Mode: `apps.connections.open` (app token only) returns `ws://…/link/?ticket=…`; the
socket sends `{"type": "hello"}`, `send_envelope(kind, payload)` pushes an envelope and
`wait_ack(envelope_id)` waits for the client's `{"envelope_id": …}`; `refresh_connections()`
sends `{"type": "disconnect", "reason": "refresh_requested"}` as Slack does before it recycles a
connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.messages.chunk import Chunk

from tests.fakes.serving import serve_on_loopback
from tests.polling import eventually

TEAM_ID = "T0FAKETEAM"
BOT_USER_ID = "U0BOT00001"
BOT_ID = "B0BOT00001"
APP_ID = "A0APP00001"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_MESSAGE_CHARS = 40_000
JSON_ARGS = ("blocks", "attachments", "files", "loading_messages", "chunks", "prompts", "view")
CHUNK_TYPES = {"markdown_text", "plan_update", "task_update", "blocks"}
TASK_STATUSES = {"pending", "in_progress", "complete", "error"}
MAX_MARKDOWN_TEXT = 12_000


@dataclass
class Call:
    """One Web API request as it arrived, and what the fake answered."""

    method: str
    args: dict[str, Any]
    token: str
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


class SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class FakeSlack:
    def __init__(self, *, users: dict[str, str] | None = None, usergroups: dict[str, list[str]] | None = None,
                 bot_token: str = "xoxb-fake-bot-token", app_token: str = "xapp-1-fake-app-token",
                 bot_name: str = "chatops", team: str = "Fake Team",
                 streaming_refusal: str | None = "unknown_method", stream_time_limit: float = 300.0) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_name = bot_name
        self.team = team
        self.bot_user_id = BOT_USER_ID
        self.users = {BOT_USER_ID: bot_name, **(users or {})}
        self.usergroups = {group: list(members) for group, members in (usergroups or {}).items()}
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel → messages, in posting order
        self.ephemeral: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.downloads: list[tuple[str, bool]] = []  # (file id, authorised)
        self.uploads: dict[str, dict[str, Any]] = {}
        self.assistant_threads: set[tuple[str, str]] = set()
        self.streaming_refusal = streaming_refusal
        self.stream_time_limit = stream_time_limit
        self.streams: dict[str, dict[str, Any]] = {}  # ts → {"channel", "started", "state", "chunks", "args"}
        self.home_views: dict[str, dict[str, Any]] = {}  # user id → the Home tab view last published
        self.modals: list[dict[str, Any]] = []  # views.open: {"trigger_id", "view", "id"}
        self.trigger_ids: set[str] = set()  # handed out with clicks; each opens one modal
        self.suggested_prompts: dict[tuple[str, str], list[dict[str, str]]] = {}  # (channel, thread_ts) → prompts
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections_opened = 0
        self.base_url = ""
        self.api_url = ""
        self._rate_limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._ack_events: dict[str, asyncio.Event] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._revoked: set[str] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads some methods (users.info) with GET
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/link/", self._socket)
        self._runner, port = await serve_on_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what tests set up and read -----------------------------------------------------------

    def next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n * 100:06d}"

    def user_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None,
                     files: list[dict[str, Any]] | None = None, channel_type: str | None = None) -> dict[str, Any]:
        """A person's message, stored as Slack would; returns its `message` event (no envelope)."""
        ts = self.next_ts()
        event: dict[str, Any] = {
            "type": "message", "user": user, "text": text, "ts": ts, "team": TEAM_ID, "channel": channel,
            "event_ts": ts, "client_msg_id": f"{secrets.token_hex(4)}-{secrets.token_hex(2)}",
            "channel_type": channel_type or {"D": "im", "G": "group"}.get(channel[:1], "channel"),
            "blocks": [{"type": "rich_text", "block_id": secrets.token_hex(2),
                        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self._parent_user(channel, thread_ts)
        if files:
            event["subtype"] = "file_share"
            event["files"] = files
            event["upload"] = False
            event["display_as_bot"] = False
        self.messages.setdefault(channel, []).append({k: v for k, v in event.items() if k != "channel_type"})
        return event

    def add_file(self, name: str, data: bytes, mimetype: str, *, user: str = "") -> dict[str, Any]:
        """A file as a message event's `files[]` entry carries it (served with the bearer check)."""
        file_id = f"F{next(self._ids):09d}"
        now = int(time.time())
        kind = mimetype.split("/", 1)[0]
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        item: dict[str, Any] = {
            "id": file_id, "created": now, "timestamp": now, "name": name, "title": name, "mimetype": mimetype,
            "filetype": filetype, "pretty_type": filetype.upper(), "user": user, "user_team": TEAM_ID,
            "editable": False, "size": len(data), "mode": "hosted", "is_external": False, "external_type": "",
            "is_public": True, "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/{name}",
            "url_private_download": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/download/{name}",
            "permalink": f"https://fake-team.slack.com/files/{user}/{file_id}/{name}",
            "permalink_public": f"https://slack-files.com/{TEAM_ID}-{file_id}-{secrets.token_hex(5)}",
            "has_rich_preview": False, "file_access": "visible",
        }
        if kind == "audio" or kind == "video":
            item.update({"subtype": "slack_audio" if kind == "audio" else "slack_video", "duration_ms": 0,
                         "transcription": {"status": "none"}, "media_display_type": kind})
        if kind == "image":
            item.update({"original_w": 0, "original_h": 0, "is_starred": False})
        self.files[file_id] = item
        self.file_bytes[file_id] = data
        return item

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After: retry_after`."""
        self._rate_limits[method] = [retry_after] * times

    def fail(self, method: str, error: str, *, times: int | None = None) -> None:
        """Calls of `method` answer `ok:false` with `error` (the next `times`, or all)."""
        self._failures[method] = [error] * times if times is not None else [error, ...]

    # --- failure modes ------------------------------------------------------------------------

    async def close_sockets(self) -> None:
        """Drop every Socket Mode connection from the server side, without a `disconnect` notice
        (a network failure, a load balancer restart)."""
        for socket in list(self._sockets):
            await socket.close(code=1011, message=b"closed by the fake")

    async def revoke_tokens(self) -> None:
        """The app is uninstalled or its tokens revoked: every call with them answers
        `token_revoked`, and the live connections close."""
        self._revoked = {self.bot_token, self.app_token}
        await self.close_sockets()

    def restore_tokens(self) -> None:
        self._revoked = set()

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    def calls_of(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [call for call in self.calls if call.method == method and (call.ok or not ok_only)]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The messages of a thread, parent first, as `conversations.replies` returns them."""
        return [m for m in self.messages.get(channel, []) if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def bot_replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.thread(channel, thread_ts) if m.get("bot_id") == BOT_ID]

    async def wait_for(self, condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "a condition") -> Any:
        """Poll `condition` (plain or async) until it is truthy; fail after `timeout` seconds."""
        return await eventually(condition, timeout=timeout, what=what)

    # --- Socket Mode ----------------------------------------------------------------------------

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0,
                            envelope_id: str | None = None, to: int = -1) -> str:
        """Push an envelope (`events_api`, `interactive`, `slash_commands`) to the connected app:
        on the newest connection, or on connection `to` (in the order they opened) when several
        replicas hold one each, as Slack spreads envelopes over an app's connections."""
        await self.wait_for(lambda: len(self._sockets) > (to if to >= 0 else -1 - to),
                            what="a Socket Mode connection")
        envelope_id = envelope_id or f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        self._ack_events[envelope_id] = asyncio.Event()
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": kind,
                    "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            envelope.update({"retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""})
        await self._sockets[to].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_ack(self, envelope_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        event = self._ack_events[envelope_id]
        await asyncio.wait_for(event.wait(), timeout)
        return self.acks[envelope_id]

    async def refresh_connections(self) -> None:
        """Ask the client to reconnect, as Slack does before recycling a connection."""
        for socket in list(self._sockets):
            await socket.send_str(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                              "debug_info": {"host": "fake-slack"}}))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": len(self._sockets),
                                          "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                                          "connection_info": {"app_id": APP_ID}}))
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                envelope_id = data.get("envelope_id")
                if envelope_id:
                    self.acks[envelope_id] = data
                    self._ack_events.setdefault(envelope_id, asyncio.Event()).set()
        finally:
            self._sockets.remove(socket)
        return socket

    # --- files ------------------------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].split("-", 1)[-1]
        authorised = request.headers.get("Authorization") == f"Bearer {self.bot_token}"
        self.downloads.append((file_id, authorised))
        if not authorised:  # what Slack does: a sign-in page, not an error status
            return web.Response(text="<!DOCTYPE html><html><body>Sign in to Slack</body></html>",
                                content_type="text/html")
        if file_id not in self.file_bytes:
            return web.Response(status=404, text="file not found")
        item = self.files[file_id]
        return web.Response(body=self.file_bytes[file_id], content_type=item["mimetype"])

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="upload url not found")
        self.uploads[file_id]["data"] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[file_id]['data'])}")

    # --- the Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.pop("token", "")
        args.pop("token", None)
        call = Call(method=method, args=args, token=token)
        self.calls.append(call)
        limits = self._rate_limits.get(method)
        if limits:
            retry_after = limits.pop(0)
            call.status, call.response = 429, {"ok": False, "error": "ratelimited"}
            return web.json_response(call.response, status=429, headers={"Retry-After": str(retry_after)})
        try:
            self._check_token(method, token)
            failure = self._failures.get(method)
            if failure:
                error = failure[0]
                if len(failure) == 1 or failure[1] is not ...:
                    failure.pop(0)
                raise SlackError(error)
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method")
            call.response = {"ok": True, **handler(args)}
        except SlackError as exc:
            call.response = {"ok": False, "error": exc.code}
        return web.json_response(call.response)

    def _check_token(self, method: str, token: str) -> None:
        if not token:
            raise SlackError("not_authed")
        if token in self._revoked:
            raise SlackError("token_revoked")
        if method == "apps.connections.open":
            if token.startswith("xoxb-"):
                raise SlackError("not_allowed_token_type")
            if token != self.app_token:
                raise SlackError("invalid_auth")
            return
        if token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        if token != self.bot_token:
            raise SlackError("invalid_auth")

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {"user": BOT_USER_ID, "type": "message", "ts": ts, "bot_id": BOT_ID, "app_id": APP_ID,
                   "text": args.get("text", ""), "team": TEAM_ID,
                   "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": self.bot_name, "deleted": False,
                                   "team_id": TEAM_ID}}
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        if args.get("attachments"):  # legacy attachments (a coloured bar), each with its own blocks
            message["attachments"] = args["attachments"]
        return message

    def _channel(self, args: dict[str, Any], key: str = "channel") -> str:
        channel = str(args.get(key) or "")
        if not channel or channel[:1] not in "CDG":
            raise SlackError("channel_not_found")
        return channel

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        _check_content(args)
        ts = self.next_ts()
        message = self._bot_message(args, ts)
        if args.get("thread_ts"):
            if self.message(channel, str(args["thread_ts"])) is None:
                raise SlackError("thread_not_found")
            message["thread_ts"] = str(args["thread_ts"])
            message["parent_user_id"] = self._parent_user(channel, str(args["thread_ts"]))
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self.message(channel, str(args.get("ts", "")))
        if message is None:
            raise SlackError("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        stream = self.streams.get(message["ts"])
        if stream is not None and stream["state"] == "streaming":
            raise SlackError("streaming_state_conflict")
        _check_content(args)
        message["text"] = args.get("text", message["text"])
        if "blocks" in args:
            message["blocks"] = args["blocks"]
        if "attachments" in args:
            message["attachments"] = args["attachments"]
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": message}

    # --- streaming ----------------------------------------------------------------------------------

    def _chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.streaming_refusal:
            raise SlackError(self.streaming_refusal)
        channel = self._channel(args)
        thread_ts = str(args.get("thread_ts") or "")
        if not thread_ts or self.message(channel, thread_ts) is None:
            raise SlackError("thread_not_found")
        if not channel.startswith("D") and not (args.get("recipient_team_id") and args.get("recipient_user_id")):
            raise SlackError("invalid_arguments")
        if args.get("task_display_mode") not in (None, "timeline", "plan"):
            raise SlackError("invalid_arguments")
        chunks = _check_chunks(args)
        ts = self.next_ts()
        message = self._bot_message({"text": ""}, ts)
        message.update(thread_ts=thread_ts, parent_user_id=self._parent_user(channel, thread_ts), chunks=[])
        self.messages.setdefault(channel, []).append(message)
        self.streams[ts] = {"channel": channel, "started": time.monotonic(), "state": "streaming", "args": args}
        _apply_chunks(message, chunks)
        return {"channel": channel, "ts": ts}

    def _streaming(self, args: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        channel = self._channel(args)
        ts = str(args.get("ts") or "")
        message = self.message(channel, ts)
        if message is None:
            raise SlackError("message_not_found")
        stream = self.streams.get(ts)
        if stream is None or stream["channel"] != channel:
            raise SlackError("message_not_in_streaming_state")
        if stream["state"] == "streaming" and time.monotonic() - stream["started"] > self.stream_time_limit:
            stream["state"] = "timed_out"
        if stream["state"] != "streaming":
            raise SlackError("message_not_in_streaming_state")
        return channel, message, stream

    def _chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, message, _ = self._streaming(args)
        chunks = _check_chunks(args)
        if not chunks:
            raise SlackError("invalid_arguments")
        _apply_chunks(message, chunks)
        return {"channel": channel, "ts": message["ts"]}

    def _chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, message, stream = self._streaming(args)
        chunks = _check_chunks(args)
        if args.get("blocks"):
            _check_content({"blocks": args["blocks"]})
            message["blocks"] = args["blocks"]
        _apply_chunks(message, chunks)
        stream["state"] = "stopped"
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if args.get("user") not in self.users:
            raise SlackError("user_not_found")
        _check_content(args)
        ts = self.next_ts()
        self.ephemeral.append({"channel": channel, "user": args["user"], "text": args.get("text", ""),
                               "thread_ts": args.get("thread_ts"), "ts": ts})
        return {"message_ts": ts}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        messages = self.thread(channel, str(args.get("ts", "")))
        if not messages:
            raise SlackError("thread_not_found")
        return {"messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._reacted_message(args)
        reaction = next((r for r in message.setdefault("reactions", []) if r["name"] == args.get("name")), None)
        if reaction is not None and BOT_USER_ID in reaction["users"]:
            raise SlackError("already_reacted")
        if reaction is None:
            reaction = {"name": args.get("name"), "users": [], "count": 0}
            message["reactions"].append(reaction)
        reaction["users"].append(BOT_USER_ID)
        reaction["count"] += 1
        return {}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._reacted_message(args)
        reactions = message.get("reactions", [])
        reaction = next((r for r in reactions if r["name"] == args.get("name")), None)
        if reaction is None or BOT_USER_ID not in reaction["users"]:
            raise SlackError("no_reaction")
        reaction["users"].remove(BOT_USER_ID)
        reaction["count"] -= 1
        if not reaction["users"]:
            reactions.remove(reaction)
        return {}

    def _reacted_message(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("name"):
            raise SlackError("invalid_name")
        message = self.message(self._channel(args), str(args.get("timestamp", "")))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def reactions_on(self, channel: str, ts: str) -> list[str]:
        message = self.message(channel, ts) or {}
        return [r["name"] for r in message.get("reactions", []) if BOT_USER_ID in r["users"]]

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        if user_id not in self.users:
            raise SlackError("user_not_found")
        name = self.users[user_id]
        return {"user": {
            "id": user_id, "team_id": TEAM_ID, "name": name.lower().replace(" ", "."), "deleted": False,
            "real_name": name.title(), "tz": "Europe/Berlin", "tz_label": "Central European Time",
            "tz_offset": 3600, "is_admin": False, "is_owner": False, "is_bot": user_id == BOT_USER_ID,
            "is_app_user": False, "updated": 1_700_000_000,
            "profile": {"real_name": name.title(), "display_name": name, "real_name_normalized": name.title(),
                        "display_name_normalized": name, "team": TEAM_ID, "image_48": "https://a.slack-edge.com/x.png"},
        }}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://fake-team.slack.com/", "team": self.team, "user": self.bot_name, "team_id": TEAM_ID,
                "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, "channel_id")
        if (channel, str(args.get("thread_ts", ""))) not in self.assistant_threads:
            raise SlackError("not_an_assistant_thread")
        return {}

    def _assistant_threads_setSuggestedPrompts(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, "channel_id")
        thread_ts = str(args.get("thread_ts") or "")
        prompts = args.get("prompts")
        if isinstance(prompts, str):
            prompts = json.loads(prompts)
        if not thread_ts or not isinstance(prompts, list) or not 1 <= len(prompts) <= 4 or any(
                not (isinstance(p, dict) and p.get("title") and p.get("message")) for p in prompts):
            raise SlackError("invalid_arguments")
        self.suggested_prompts[(channel, thread_ts)] = prompts
        return {}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = str(args.get("trigger_id") or "")
        if trigger_id not in self.trigger_ids:
            raise SlackError("invalid_trigger_id")  # unknown, used already, or expired (3 s)
        self.trigger_ids.discard(trigger_id)
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        for key in ("title", "submit", "close"):
            if len(((view.get(key) or {}).get("text")) or "") > 24:  # Slack's limit on a modal's title and buttons
                raise SlackError("invalid_arguments")
        _check_blocks_with_the_sdk(view.get("blocks") or [])
        too_big = len(view.get("blocks") or []) > 100 or len(view.get("private_metadata") or "") > 3000
        if not view.get("title") or too_big:
            raise SlackError("invalid_arguments")
        opened = {"trigger_id": trigger_id, "view": view, "id": f"V{secrets.token_hex(5).upper()}"}
        self.modals.append(opened)
        return {"view": {"id": opened["id"], "team_id": TEAM_ID, **view}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if user not in self.users:
            raise SlackError("invalid_arguments")
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        blocks = view.get("blocks") or []
        if len(blocks) > 100:  # a Home tab holds up to 100 blocks
            raise SlackError("invalid_blocks")
        _check_blocks_with_the_sdk(blocks)
        self.home_views[user] = view
        return {"view": {"id": f"V{secrets.token_hex(5).upper()}", "team_id": TEAM_ID, **view}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self.connections_opened += 1
        ws_base = self.base_url.replace("http://", "ws://")
        return {"url": f"{ws_base}/link/?ticket={secrets.token_hex(16)}&app_id={APP_ID}"}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):09d}"
        self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        completed = []
        for entry in args.get("files") or []:
            upload = self.uploads.get(entry.get("id"))
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found")
            upload.update({"title": entry.get("title"), "channel": args.get("channel_id"),
                           "thread_ts": args.get("thread_ts"), "comment": args.get("initial_comment")})
            completed.append({"id": entry["id"], "title": entry.get("title") or upload["filename"],
                              "name": upload["filename"], "size": len(upload["data"])})
        if not completed:
            raise SlackError("invalid_arguments")
        channel = args.get("channel_id")
        if channel:
            message = self._bot_message({"text": args.get("initial_comment") or ""}, self.next_ts())
            message["files"] = completed
            if args.get("thread_ts"):
                message["thread_ts"] = str(args["thread_ts"])
            self.messages.setdefault(str(channel), []).append(message)
        return {"files": completed}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        item = self.files.get(str(args.get("file", "")))
        if item is None:
            raise SlackError("file_not_found")
        return {"file": item}

    def _parent_user(self, channel: str, thread_ts: str) -> str:
        parent = self.message(channel, thread_ts)
        return parent.get("user", "") if parent else ""


async def _arguments(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        args: dict[str, Any] = dict(request.query)
    elif request.content_type == "application/json":
        body = await request.read()
        args = json.loads(body) if body else {}
    else:
        args = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        args.update(request.query)
    for key in JSON_ARGS:  # form-encoded calls carry these as JSON strings
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


def _check_chunks(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The chunks of a streaming call (and its `markdown_text`, as one more chunk), checked
    against the shapes of slack_sdk's `MarkdownTextChunk`, `PlanUpdateChunk`, `TaskUpdateChunk`."""
    chunks = list(args.get("chunks") or [])
    if args.get("markdown_text"):
        chunks.insert(0, {"type": "markdown_text", "text": args["markdown_text"]})
    for chunk in chunks:
        kind = chunk.get("type") if isinstance(chunk, dict) else None
        if kind not in CHUNK_TYPES or Chunk.parse(chunk) is None:  # as slack_sdk's own models read it
            raise SlackError("invalid_chunks")
        if kind == "markdown_text" and not (isinstance(chunk.get("text"), str)
                                            and 0 < len(chunk["text"]) <= MAX_MARKDOWN_TEXT):
            raise SlackError("invalid_chunks")
        if kind == "plan_update" and not chunk.get("title"):
            raise SlackError("invalid_chunks")
        if kind == "task_update":
            if not (chunk.get("id") and chunk.get("title") and chunk.get("status") in TASK_STATUSES):
                raise SlackError("invalid_chunks")
            for source in chunk.get("sources") or []:
                if source.get("type") != "url" or not str(source.get("url", "")).startswith(("http://", "https://")) \
                        or not source.get("text"):
                    raise SlackError("invalid_chunks")
        if kind == "blocks":
            _check_content({"blocks": chunk.get("blocks") or []})
    return chunks


def _apply_chunks(message: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
    """What a streaming message shows: its markdown so far as `text`, every chunk in `chunks`,
    and each task's latest state in `tasks` (by id, in first-seen order)."""
    for chunk in chunks:
        message["chunks"].append(chunk)
        if chunk["type"] == "markdown_text":
            message["text"] += chunk["text"]
        elif chunk["type"] == "plan_update":
            message["plan_title"] = chunk["title"]
        elif chunk["type"] == "task_update":
            message.setdefault("tasks", {})[chunk["id"]] = {**message.get("tasks", {}).get(chunk["id"], {}), **chunk}


def _check_blocks_with_the_sdk(blocks: list[dict[str, Any]]) -> None:
    """Each block as slack_sdk's own model reads it: an unknown type, or a field its validators
    refuse (lengths, required fields), is refused here as Slack would refuse it."""
    for block in blocks:
        try:
            model = Block.parse(block)
            if model is None:
                raise SlackError("invalid_blocks")
            model.to_dict()  # runs the model's validators
        except SlackObjectFormationError:
            raise SlackError("invalid_blocks") from None


def _check_content(args: dict[str, Any]) -> None:
    blocks = args.get("blocks") or []
    _check_blocks_with_the_sdk(blocks)
    for attachment in args.get("attachments") or []:
        _check_blocks_with_the_sdk(attachment.get("blocks") or [])
    text = str(args.get("text") or "")
    if not text and not blocks:
        raise SlackError("no_text")
    if len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks")
    total = len(text)
    for block in blocks:
        section = block.get("text") if isinstance(block.get("text"), dict) else None
        if block.get("type") == "section" and section:
            if len(section.get("text", "")) > MAX_SECTION_TEXT:
                raise SlackError("invalid_blocks")
            total += len(section.get("text", ""))
        for element in block.get("elements") or ():
            if element.get("type") == "button" and (len(element.get("value", "")) > 2000
                                                    or len(element.get("action_id", "")) > 255):
                raise SlackError("invalid_blocks")
    if total > MAX_MESSAGE_CHARS:
        raise SlackError("msg_too_long")
