"""A local fake of Discord for tests: one aiohttp server on 127.0.0.1 (a free port) serving the
REST API under `/api/v10`, the gateway websocket at `/gateway`, and attachment downloads (the CDN)
at `/attachments/…`. It speaks Discord's wire formats, so discord.py's own HTTP client, gateway
and parsers run unchanged against it; payloads start from the samples in
`tests/discord/payloads/*.json` and only ids, text and attachments are filled in.

    async with FakeDiscord() as discord_fake:
        config.discord.api_base_url = discord_fake.api_base_url
        config.discord.gateway_url = discord_fake.gateway_url
        ...                                   # start the bot
        message = await discord_fake.say(ALICE, "<@bot> is web1 up?")
        interaction_id = await discord_fake.click(plan_message_id, custom_id, BOB)

What it enforces, as Discord does: the bot token on REST and in IDENTIFY; message limits
(2,000 characters of content, 10 embeds, 4,096 per description, 256 per title, 25 fields, 6,000
per embed in all); one thread per message (400, code 160004); an interaction callback within
3 s (10062) and only once (40060); no follow-up before the callback (10015). Ephemeral
interaction responses (flag 64) are kept apart from the channel's public messages. Everything
the bot asked for is recorded in `calls`, everything it sent on the gateway in `gateway_frames`.

One session per bot: a new gateway connection closes the one still open (counted in
`displaced`), so two processes that both connect keep knocking each other off.

Failure modes: `send_malformed()` (an event discord.py cannot parse), `close_socket(code)` (the
connection dropped by the server), `revoke_token()` / `restore_token()` (401 on REST and close
code 4004 on the gateway, as after a token reset).

Gateway: HELLO (with `heartbeat_interval`), IDENTIFY → READY + GUILD_CREATE, HEARTBEAT → ACK,
RESUME → the missed events again + RESUMED. `reconnect()` sends op 7 RECONNECT, after which
discord.py resumes on READY's `resume_gateway_url`; `replay_from` makes the next RESUME replay
from an earlier sequence, as Discord does when it has not seen the client's progress, so a test
can deliver an event the bot has already processed a second time.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.serving import serve_on_loopback

PAYLOADS = Path(__file__).resolve().parent.parent / "discord" / "payloads"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
IS_VOICE_MESSAGE = 1 << 13
MESSAGE_CONTENT_INTENT = 1 << 15

BOT_ID = "1300000000000000001"
GUILD_ID = "1300000000000000100"
CHANNEL_ID = "1300000000000000200"
ONCALL_ROLE = "1300000000000000300"
TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEt.bm90LWEtcmVhbC10b2tlbi1qdXN0LWZvci10ZXN0cw"


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of a sample payload (`tests/discord/payloads/<name>.json`)."""
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Person:
    """A Discord user and, in the guild, their roles."""

    id: str
    name: str
    roles: tuple[str, ...] = ()
    bot: bool = False

    def user(self) -> dict[str, Any]:
        return {"username": self.name, "public_flags": 0, "primary_guild": None, "id": self.id,
                "global_name": self.name.title(), "discriminator": "0", "collectibles": None, "clan": None,
                "avatar_decoration_data": None, "avatar": None, **({"bot": True} if self.bot else {})}

    def member(self, *, with_user: bool = False, permissions: bool = False) -> dict[str, Any]:
        member: dict[str, Any] = {"roles": list(self.roles), "premium_since": None, "pending": False, "nick": None,
                                  "mute": False, "joined_at": "2025-01-10T10:05:00.000000+00:00", "flags": 0,
                                  "deaf": False, "communication_disabled_until": None, "banner": None,
                                  "avatar": None}
        if with_user:
            member["user"] = self.user()
        if permissions:
            member["permissions"] = "2248473465835073"
        return member


BOT = Person(BOT_ID, "chatops", ("1300000000000000301",), bot=True)


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any = None  # the JSON body (or multipart `payload_json`)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 200


@dataclass
class Interaction:
    id: str
    token: str
    user: Person
    channel_id: str
    created: float
    message_id: str | None = None
    callback: dict[str, Any] | None = None
    original_id: str | None = None
    modal: dict[str, Any] | None = None  # the modal this interaction was answered with


@dataclass
class Sent:
    """What one REST request carried."""

    body: Any
    files: list[tuple[str, bytes]]
    query: dict[str, str]


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # exactly `application/json`: discord.py reads a body as JSON only then (json_response adds a charset)
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json",
                        headers=headers)


class FakeDiscord:
    def __init__(self, *, token: str = TOKEN, heartbeat_interval: int = 1000, callback_deadline: float = 3.0,
                 message_content_enabled: bool = True) -> None:
        self.token = token
        self.message_content_enabled = message_content_enabled  # the portal switch for the privileged intent
        self.heartbeat_interval = heartbeat_interval
        self.callback_deadline = callback_deadline
        self.bot = BOT
        self.calls: list[Call] = []
        self.gateway_frames: list[dict[str, Any]] = []  # everything the bot sent on the gateway
        self.delivered: list[dict[str, Any]] = []  # every dispatch frame written to the bot's socket
        self.messages: dict[str, dict[str, Any]] = {}  # public messages by id
        self.history_reads: list[str] = []  # channels read with GET /channels/{id}/messages
        self.ephemeral: list[dict[str, Any]] = []  # ephemeral interaction messages, with "visible_to"
        self.channels: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, Interaction] = {}
        self.cdn: dict[str, tuple[bytes, str]] = {}  # path → (bytes, content type)
        self.cdn_downloads: list[str] = []
        self.cdn_chunked: set[str] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id → registered commands
        self.connections = 0
        self.displaced = 0  # live sessions closed because another connection identified or resumed
        self.resumes: list[dict[str, Any]] = []
        self.replay_from: int | None = None
        self.thread_permission = True  # False: the bot lacks Create Public Threads (403, 50013)
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._ids = itertools.count(1)
        self._sequence = 0
        self._history: list[dict[str, Any]] = []  # dispatched frames, for RESUME
        self._session_id = secrets.token_hex(16)
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.guild = payload("guild_create")["d"]
        for channel in self.guild["channels"]:
            self.channels[channel["id"]] = channel

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{path:.*}", self._cdn)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- ids, users, channels -----------------------------------------------------------------

    def snowflake(self) -> str:
        return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF))

    def dm_channel(self, person: Person) -> str:
        for channel in self.channels.values():
            if channel["type"] == 1 and channel["recipients"][0]["id"] == person.id:
                return channel["id"]
        channel_id = self.snowflake()
        self.channels[channel_id] = {"id": channel_id, "type": 1, "last_message_id": None, "flags": 0,
                                     "recipients": [person.user()]}
        return channel_id

    def add_text_channel(self, name: str) -> str:
        """Another text channel in the server (in GUILD_CREATE when the bot connects after this)."""
        channel = copy.deepcopy(self.channels[CHANNEL_ID])
        channel.update(id=self.snowflake(), name=name, position=len(self.channels))
        self.channels[channel["id"]] = channel
        return channel["id"]

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    def bot_messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages_in(channel_id) if m["author"]["id"] == self.bot.id]

    def ephemeral_for(self, person: Person) -> list[dict[str, Any]]:
        return [m for m in self.ephemeral if m["visible_to"] == person.id]

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.fullmatch(c.path)]

    def rate_limit_once(self, method: str, pattern: str, retry_after: float = 0.05) -> None:
        """The next matching REST call gets Discord's 429 (with `Via` and a JSON `retry_after`)."""
        self._rate_limits.append((method, re.compile(pattern), retry_after))

    # --- what users do ------------------------------------------------------------------------

    def upload(self, channel_id: str, filename: str, data: bytes, content_type: str, *, chunked: bool = False,
               **extra: Any) -> dict[str, Any]:
        """An attachment as Discord describes it, its bytes served from the fake CDN (`chunked`:
        without a Content-Length, so only counting while streaming can stop an oversized one)."""
        attachment_id = self.snowflake()
        path = f"{channel_id}/{attachment_id}/{filename}"
        self.cdn[path] = (data, content_type)
        if chunked:
            self.cdn_chunked.add(path)
        signature = "?ex=6781c2a0&is=67807120&hm=" + secrets.token_hex(8)
        sample = payload("attachment_image") if content_type.startswith("image/") else {}
        attachment = {**sample, "id": attachment_id, "filename": filename, "size": len(data),
                      "url": f"{self.base}/attachments/{path}{signature}",
                      "proxy_url": f"{self.base}/attachments/{path}{signature}", "content_type": content_type,
                      "content_scan_version": 1}
        attachment.update(extra)
        return attachment

    def voice_message(self, channel_id: str, data: bytes, *, seconds: float) -> dict[str, Any]:
        sample = payload("message_create_voice")["d"]["attachments"][0]
        return self.upload(channel_id, "voice-message.ogg", data, "audio/ogg", waveform=sample["waveform"],
                           duration_secs=seconds)

    async def say(self, author: Person, content: str, *, channel_id: str = CHANNEL_ID,
                  attachments: list[dict[str, Any]] | None = None, flags: int = 0,
                  message_id: str | None = None) -> dict[str, Any]:
        """A user posts a message: stored, and MESSAGE_CREATE dispatched to the bot."""
        channel = self.channels[str(channel_id)]
        if channel["type"] == 1:
            data = payload("message_create_dm")["d"]
        elif flags & IS_VOICE_MESSAGE:
            data = payload("message_create_voice")["d"]
        else:
            data = payload("message_create_mention")["d"]
        data.update(id=message_id or self.snowflake(), channel_id=str(channel_id), content=content,
                    author=author.user(), timestamp=now_iso(), flags=flags, attachments=attachments or [],
                    channel_type=channel["type"], nonce=self.snowflake())
        if channel["type"] != 1:
            data.update(guild_id=GUILD_ID, member=author.member())
            mentioned = [self.bot] if f"<@{self.bot.id}>" in content else []
            data["mentions"] = [{**p.user(), "member": p.member()} for p in mentioned]
        self.messages[data["id"]] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def redeliver(self, message: dict[str, Any]) -> None:
        """The same MESSAGE_CREATE once more (Discord can deliver an event twice)."""
        await self.dispatch("MESSAGE_CREATE", copy.deepcopy(message))

    async def click(self, message_id: str, custom_id: str, person: Person) -> str:
        """A user clicks a button that is on a message now (as Discord only offers those)."""
        message = self.messages[str(message_id)]
        custom_ids = [c.get("custom_id") for c in walk_components(message.get("components") or [])
                      if c.get("type") == 2 and not c.get("disabled")]
        if custom_id not in custom_ids:
            raise AssertionError(f"no button {custom_id!r} on message {message_id}: {custom_ids}")
        data = payload("interaction_create_button")["d"]
        data.update(data={"custom_id": custom_id, "component_type": 2, "id": 2},
                    message=copy.deepcopy(message), channel=self._interaction_channel(message["channel_id"]))
        return await self._interact(data, person, message["channel_id"], message_id=message["id"])

    async def choose(self, message_id: str, custom_id: str, values: list[str], person: Person) -> str:
        """A user picks `values` in a select menu on a message (checked against its options and
        its min / max, as Discord's client does)."""
        message = self.messages[str(message_id)]
        menu = next((c for c in walk_components(message.get("components") or [])
                     if c.get("type") == 3 and c.get("custom_id") == custom_id), None)
        if menu is None:
            raise AssertionError(f"no select menu {custom_id!r} on message {message_id}")
        offered = [option["value"] for option in menu.get("options") or []]
        if not set(values) <= set(offered) or not menu.get("min_values", 1) <= len(values) <= menu.get("max_values", 1):
            raise AssertionError(f"{values} cannot be chosen from {offered}")
        data = payload("interaction_create_button")["d"]
        data.update(data={"custom_id": custom_id, "component_type": 3, "values": list(values), "id": menu.get("id", 0)},
                    message=copy.deepcopy(message), channel=self._interaction_channel(message["channel_id"]))
        return await self._interact(data, person, message["channel_id"], message_id=message["id"])

    async def submit_modal(self, interaction_id: str, person: Person, values: dict[str, str]) -> str:
        """The person submits the modal that answered their click: a MODAL_SUBMIT interaction with
        each text input's value (`values`: custom_id → text), inside its label as Discord sends it."""
        opened = self.interactions[interaction_id]
        if opened.modal is None:
            raise AssertionError(f"interaction {interaction_id} was not answered with a modal")
        components = []
        for number, label in enumerate(opened.modal.get("components") or [], 1):
            inner = label.get("component") or (label.get("components") or [{}])[0]
            submitted = {"type": 4, "id": inner.get("id", number * 2), "custom_id": inner["custom_id"],
                         "value": values.get(inner["custom_id"], "")}
            components.append({"type": 18, "id": label.get("id", number * 2 - 1), "component": submitted}
                              if label.get("type") == 18 else {"type": 1, "components": [submitted]})
        data = payload("interaction_create_button")["d"]
        message = self.messages[opened.message_id] if opened.message_id else None
        data.update(type=5, data={"custom_id": opened.modal["custom_id"], "components": components},
                    channel=self._interaction_channel(opened.channel_id))
        if message is not None:
            data["message"] = copy.deepcopy(message)
        else:
            data.pop("message", None)
        return await self._interact(data, person, opened.channel_id, message_id=opened.message_id)

    async def slash(self, person: Person, request: str, *, channel_id: str = CHANNEL_ID) -> str:
        data = payload("interaction_create_command")["d"]
        data["data"]["options"][0]["value"] = request
        data["channel"] = self._interaction_channel(channel_id)
        return await self._interact(data, person, channel_id)

    async def slash_documented(self, person: Person, request: str, *, channel_id: str = CHANNEL_ID,
                               drop: tuple[str, ...] = ()) -> str:
        """`/ops` as Discord's documentation shows an application command interaction: `channel_id`
        without a `channel` object, and none of the fields discord.py's parser reads as required
        (`version`, `application_id`, `attachment_size_limit`). `drop` removes more keys."""
        data = payload("interaction_create_command_documented")
        data.pop("_source")
        data["data"] = {"options": [{"type": 3, "name": "request", "value": request}], "type": 1, "name": "ops",
                        "id": self.snowflake()}
        interaction = Interaction(id=self.snowflake(), token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(24),
                                  user=person, channel_id=str(channel_id), created=time.monotonic())
        self.interactions[interaction.id] = interaction
        data.update(id=interaction.id, token=interaction.token, channel_id=str(channel_id))
        member = data["member"]
        member.update(roles=list(person.roles))
        member["user"].update(id=person.id, username=person.name, discriminator="0")
        channel = self.channels[str(channel_id)]
        if channel.get("guild_id"):
            data["guild_id"] = channel["guild_id"]
        else:  # a DM: `user` instead of `member`, no guild
            data.pop("guild_id")
            data.pop("guild_locale")
            data["user"] = data.pop("member")["user"]
        for key in drop:
            data.pop(key, None)
        await self.dispatch("INTERACTION_CREATE", data)
        return interaction.id

    async def _interact(self, data: dict[str, Any], person: Person, channel_id: str, *,
                        message_id: str | None = None) -> str:
        interaction = Interaction(id=self.snowflake(), token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(24),
                                  user=person, channel_id=str(channel_id), created=time.monotonic(),
                                  message_id=message_id)
        self.interactions[interaction.id] = interaction
        data.update(id=interaction.id, token=interaction.token, channel_id=str(channel_id),
                    member=person.member(with_user=True, permissions=True), application_id=self.bot.id)
        channel = self.channels[str(channel_id)]
        if channel["type"] == 1:  # a DM: `user` instead of `member`, no guild
            for key in ("member", "guild_id", "guild", "guild_locale"):
                data.pop(key, None)
            data.update(user=person.user(), context=1, authorizing_integration_owners={"1": person.id})
            data["data"].pop("guild_id", None)
        await self.dispatch("INTERACTION_CREATE", data)
        return interaction.id

    def _interaction_channel(self, channel_id: str) -> dict[str, Any]:
        channel = copy.deepcopy(self.channels[str(channel_id)])
        channel["permissions"] = "2248473465835073"
        return channel

    # --- the gateway --------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        self._history.append(frame)
        if self._ws is not None and not self._ws.closed:
            await self._send(self._ws, frame)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if frame.get("op") == 0:
            self.delivered.append(frame)
        await ws.send_str(json.dumps(frame))

    def deliveries_of(self, event: str, object_id: str) -> int:
        """How many times the bot was sent `event` about the object with that id."""
        return sum(1 for f in self.delivered if f["t"] == event and f["d"].get("id") == object_id)

    async def reconnect(self, *, replay_from: int | None = None) -> None:
        """Ask the bot to reconnect (op 7); it resumes, and gets what it missed (or, with
        `replay_from`, every event after that sequence)."""
        self.replay_from = replay_from
        if self._ws is not None:
            await self._ws.send_str(json.dumps({"op": 7, "d": None}))

    async def invalidate_session(self) -> None:
        """Invalidate the bot's session (op 9, not resumable): it identifies again and gets a new
        READY, as after a gateway restart on Discord's side."""
        if self._ws is not None:
            await self._ws.send_str(json.dumps({"op": 9, "d": False}))

    @property
    def session_open(self) -> bool:
        """Whether a bot holds a gateway connection now."""
        return self._ws is not None and not self._ws.closed

    def last_sequence(self) -> int:
        return self._sequence

    # --- failure modes ------------------------------------------------------------------------

    async def send_malformed(self, event: str = "INTERACTION_CREATE") -> None:
        """An event discord.py cannot parse: an interaction without the `version` field (as when
        Discord changes a payload), the KeyError that used to end the whole connection."""
        await self.dispatch(event, {"id": self.snowflake(), "type": 3, "token": "aW50ZXJhY3Rpb24",
                                    "application_id": self.bot.id, "channel_id": CHANNEL_ID})

    async def close_socket(self, code: int = 1011) -> None:
        """Close the bot's gateway socket from the server side (a network drop, a restart on
        Discord's side); the client may reconnect and resume."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=code, message=b"closed by the fake")

    async def revoke_token(self) -> None:
        """The bot's token is reset in the developer portal: REST answers 401 and the gateway
        closes the live connection with 4004 (authentication failed), as Discord does."""
        self.token = "revoked." + secrets.token_urlsafe(16)
        await self.close_socket(4004)

    def restore_token(self, token: str = TOKEN) -> None:
        self.token = token

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        previous, self._ws = self._ws, ws
        if previous is not None and not previous.closed:  # one session per bot: the newest wins
            self.displaced += 1
            await previous.close()
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval,
                                                       "_trace": ["[\"gateway-prd-fake\",{\"micros\":0.0}]"]}}))
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.gateway_frames.append(frame)
            op = frame.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                if frame["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                if frame["d"].get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content_enabled:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                await self._ready(ws)
            elif op == 6:
                await self._resume(ws, frame["d"])
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = payload("ready")["d"]
        ready.update(user=self.bot.user() | {"verified": True, "mfa_enabled": False, "flags": 0, "email": None},
                     session_id=self._session_id, resume_gateway_url=self.gateway_url,
                     guilds=[{"unavailable": True, "id": GUILD_ID}], application={"id": self.bot.id, "flags": 565248})
        await self.dispatch("READY", ready)
        guild = copy.deepcopy(self.guild)
        guild["channels"] = [c for c in self.channels.values() if c.get("guild_id") == GUILD_ID and c["type"] != 11]
        guild["threads"] = [c for c in self.channels.values() if c["type"] == 11]
        guild["members"] = [self.bot.member(with_user=True)]
        await self.dispatch("GUILD_CREATE", guild)

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        if data.get("session_id") != self._session_id or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        since = self.replay_from if self.replay_from is not None else int(data.get("seq") or 0)
        self.replay_from = None
        for frame in [f for f in self._history if f["s"] > since]:
            await self._send(ws, frame)
        self._sequence += 1
        await self._send(ws, {"op": 0, "t": "RESUMED", "s": self._sequence, "d": {"_trace": []}})

    # --- the CDN ------------------------------------------------------------------------------

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        self.cdn_downloads.append(path)
        if path not in self.cdn:
            return web.Response(status=404, text="Not Found")
        data, content_type = self.cdn[path]
        response = web.StreamResponse(headers={"Content-Type": content_type})
        if path in self.cdn_chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(data)
        await response.prepare(request)
        try:
            for start in range(0, len(data), 4 * 1024):
                await response.write(data[start:start + 4 * 1024])
                await asyncio.sleep(0)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client stopped reading
        return response

    # --- REST ---------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body, files = await self._read_body(request)
        call = Call(request.method, path, dict(request.query), body, files)
        self.calls.append(call)
        for index, (method, pattern, retry_after) in enumerate(self._rate_limits):
            if method == request.method and pattern.fullmatch(path):
                del self._rate_limits[index]
                call.status = 429
                return json_response({"message": "You are being rate limited.", "retry_after": retry_after,
                                      "global": False}, 429,
                                     headers={"Via": "1.1 google", "X-RateLimit-Scope": "user",
                                              "Retry-After": "1", "X-RateLimit-Remaining": "0",
                                              "X-RateLimit-Reset-After": str(retry_after)})
        if not path.startswith(("/interactions/", "/webhooks/")) and \
                request.headers.get("Authorization") != f"Bot {self.token}":
            call.status = 401
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            status, data = await self._route(request.method, path, body, files, dict(request.query))
        except DiscordError as exc:
            call.status = exc.status
            return json_response({"message": exc.message, "code": exc.code}, exc.status)
        call.status = status
        if status == 204:
            return web.Response(status=204)
        return json_response(data, status)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            body, files = None, []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append((part.filename or part.name or "", bytes(await part.read())))
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    async def _route(self, method: str, path: str, body: Any, files: list[tuple[str, bytes]],
                     query: dict[str, str]) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/users/@me", lambda sent: (200, self.bot.user() | {"verified": True, "mfa_enabled": False,
                                                                         "flags": 0, "email": None})),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/gateway", lambda sent: (200, {"url": self.gateway_url})),
            ("GET", r"/gateway/bot", lambda sent: (200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("GET", r"/channels/(\d+)/messages", self._list_messages),
            ("GET", r"/channels/(\d+)", lambda sent, channel_id: (200, self._channel(channel_id))),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/typing", self._typing),
            ("PUT", r"/applications/(\d+)/commands", lambda sent, app: self._commands("global", sent.body)),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands",
             lambda sent, app, guild: self._commands(guild, sent.body)),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/@original", self._original),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/@original", self._edit_original),
        ]
        sent = Sent(body, files, query)
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                result = handler(sent, *match.groups())
                return await result if asyncio.iscoroutine(result) else result
        raise DiscordError(404, 0, "404: Not Found")

    def _application(self, sent: Sent) -> tuple[int, Any]:
        application = payload("application")
        application.update(id=self.bot.id)
        application["bot"].update(id=self.bot.id, username=self.bot.name)
        return 200, application

    def _message(self, channel_id: str, body: dict[str, Any], author: Person, files: list[tuple[str, bytes]],
                 *, flags: int = 0) -> dict[str, Any]:
        check_message_limits(body, files)
        channel = self.channels[channel_id]
        attachments = []
        for name, data in files:
            uploaded = self.upload(channel_id, name, data, "text/plain; charset=utf-8"
                                   if name.endswith(".txt") else "application/octet-stream")
            attachments.append(uploaded)
        message = payload("message_create_mention")["d"]
        message.update(id=self.snowflake(), channel_id=channel_id, author=author.user(),
                       content=body.get("content") or "", embeds=body.get("embeds") or [],
                       components=body.get("components") or [], attachments=attachments, mentions=[],
                       timestamp=now_iso(), flags=flags | int(body.get("flags") or 0), channel_type=channel["type"],
                       nonce=body.get("nonce"))
        message.pop("member", None)
        if channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        else:
            message.pop("guild_id", None)
        return message

    def _channel(self, channel_id: str) -> dict[str, Any]:
        if channel_id not in self.channels:
            raise DiscordError(404, 10003, "Unknown Channel")
        return self.channels[channel_id]

    async def _create_message(self, sent: Sent, channel_id: str) -> tuple[int, Any]:
        self._channel(channel_id)
        body = sent.body or {}
        if not (body.get("content") or body.get("embeds") or sent.files or body.get("components")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        message = self._message(channel_id, sent.body or {}, self.bot, sent.files)
        self.messages[message["id"]] = message
        await self.dispatch("MESSAGE_CREATE", {**message, "member": self.bot.member()}
                            if message.get("guild_id") else message)
        return 200, message

    async def _edit_message(self, sent: Sent, channel_id: str, message_id: str) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        if message["author"]["id"] != self.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = sent.body or {}
        check_message_limits({**{k: message.get(k) for k in ("content", "embeds")}, **body}, sent.files)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = now_iso()
        return 200, message

    def _list_messages(self, sent: Sent, channel_id: str) -> tuple[int, Any]:
        """`GET /channels/{id}/messages?after=&limit=`: as Discord, the `limit` messages right after
        `after`, newest first (discord.py reverses them for `oldest_first`)."""
        self._channel(channel_id)
        after = int(sent.query.get("after", "0"))
        limit = min(int(sent.query.get("limit", "50")), 100)
        later = sorted((m for m in self.messages.values() if m["channel_id"] == channel_id and int(m["id"]) > after),
                       key=lambda m: int(m["id"]))[:limit]
        self.history_reads.append(channel_id)
        return 200, list(reversed(later))

    def _get_message(self, sent: Sent, channel_id: str, message_id: str) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        return 200, message

    async def _create_thread(self, sent: Sent, channel_id: str, message_id: str) -> tuple[int, Any]:
        parent = self._channel(channel_id)
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        if not self.thread_permission:
            raise DiscordError(403, 50013, "Missing Permissions")
        if message_id in self.channels:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        name = (sent.body or {}).get("name", "")
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body (name: must be between 1 and 100 in length)")
        thread = payload("thread_create")["d"]
        thread.update(id=message_id, parent_id=channel_id, guild_id=parent["guild_id"], owner_id=self.bot.id,
                      name=name, last_message_id=None)
        thread["thread_metadata"].update(auto_archive_duration=(sent.body or {}).get("auto_archive_duration", 1440),
                                         create_timestamp=now_iso(), archive_timestamp=now_iso())
        thread["member"].update(id=message_id, user_id=self.bot.id, join_timestamp=now_iso())
        stored = {k: v for k, v in thread.items() if k not in ("newly_created", "member")}
        self.channels[message_id] = stored
        message["thread"] = stored
        await self.dispatch("THREAD_CREATE", thread)
        return 201, stored

    def _typing(self, sent: Sent, channel_id: str) -> tuple[int, Any]:
        self._channel(channel_id)
        return 204, None

    def _commands(self, scope: str, body: Any) -> tuple[int, Any]:
        registered = []
        for command in body or []:
            registered.append({"id": self.snowflake(), "application_id": self.bot.id, "version": self.snowflake(),
                               "default_member_permissions": None, "type": command.get("type", 1),
                               "name": command["name"], "description": command.get("description", ""),
                               "options": command.get("options", []), "nsfw": command.get("nsfw", False),
                               "contexts": command.get("contexts"), "integration_types": [0],
                               **({"guild_id": scope} if scope != "global" else {})})
        self.commands[scope] = registered
        return 200, registered

    def _interaction(self, interaction_id: str, token: str) -> Interaction:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return interaction

    def _by_token(self, token: str) -> Interaction:
        for interaction in self.interactions.values():
            if interaction.token == token:
                return interaction
        raise DiscordError(404, 10015, "Unknown Webhook")

    async def _callback(self, sent: Sent, interaction_id: str, token: str) -> tuple[int, Any]:
        interaction = self._interaction(interaction_id, token)
        if interaction.callback is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.created > self.callback_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        body = sent.body or {}
        interaction.callback = body
        kind = body.get("type")
        data = body.get("data") or {}
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        message = None
        if kind in (4, 5):  # a message (or "thinking…") answering the interaction
            message = self._message(interaction.channel_id, data if kind == 4 else {}, self.bot, sent.files,
                                    flags=(1 << 7) if kind == 5 else 0)
            message["interaction_metadata"] = {"id": interaction.id, "type": 2, "user": interaction.user.user(),
                                               "authorizing_integration_owners": {"0": GUILD_ID}}
            interaction.original_id = message["id"]
            self._keep(message, interaction, ephemeral)
        elif kind == 7 and interaction.message_id:  # update the clicked message
            message = self.messages[interaction.message_id]
            for key in ("content", "embeds", "components"):
                if key in data:
                    message[key] = data[key]
        elif kind == 6 and interaction.message_id:
            message = self.messages[interaction.message_id]
        elif kind == 9:  # a modal: shown to the clicker, who may submit it (`submit_modal`)
            problems = modal_problems(data)
            if problems:
                interaction.callback = None
                raise DiscordError(400, 50035, "Invalid Form Body: " + "; ".join(problems))
            interaction.modal = data
        result: dict[str, Any] = {"interaction": {
            "id": interaction.id, "type": 3 if interaction.message_id else 2,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": kind == 5, "response_message_ephemeral": ephemeral}}
        if message is not None:
            result["resource"] = {"type": kind, "message": message}
        return (200, result) if sent.query.get("with_response") in ("1", "true", "True") else (204, None)

    def _keep(self, message: dict[str, Any], interaction: Interaction, ephemeral: bool) -> None:
        if ephemeral:
            self.ephemeral.append({**message, "visible_to": interaction.user.id})
        else:
            self.messages[message["id"]] = message

    def _followup(self, sent: Sent, application_id: str, token: str) -> tuple[int, Any]:
        interaction = self._by_token(token)
        if interaction.callback is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        body = sent.body or {}
        message = self._message(interaction.channel_id, body, self.bot, sent.files)
        message["webhook_id"] = application_id
        self._keep(message, interaction, bool(int(body.get("flags") or 0) & EPHEMERAL))
        return 200, message

    def _original(self, sent: Sent, application_id: str, token: str) -> tuple[int, Any]:
        interaction = self._by_token(token)
        if interaction.original_id is None:
            raise DiscordError(404, 10008, "Unknown Message")
        for message in [*self.messages.values(), *self.ephemeral]:
            if message["id"] == interaction.original_id:
                return 200, message
        raise DiscordError(404, 10008, "Unknown Message")

    def _edit_original(self, sent: Sent, application_id: str, token: str) -> tuple[int, Any]:
        interaction = self._by_token(token)
        if interaction.original_id is None:
            raise DiscordError(404, 10008, "Unknown Message")
        status, message = self._original(sent, application_id, token)
        check_message_limits({**message, **(sent.body or {})}, sent.files)
        message.update({k: v for k, v in (sent.body or {}).items() if k in ("content", "embeds", "components")})
        message["flags"] = int(message.get("flags") or 0) & ~(1 << 7)  # no longer "thinking"
        return status, message


def check_message_limits(body: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
    """Discord's limits on a message: refuse what Discord would refuse (400, code 50035)."""
    problems = []
    content = body.get("content") or ""
    if len(content) > 2000:
        problems.append("content: Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("embeds: Must be 10 or fewer in length.")
    for index, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        if len(title) > 256:
            problems.append(f"embeds.{index}.title: Must be 256 or fewer in length.")
        if len(description) > 4096:
            problems.append(f"embeds.{index}.description: Must be 4096 or fewer in length.")
        if len(fields) > 25:
            problems.append(f"embeds.{index}.fields: Must be 25 or fewer in length.")
        for number, item in enumerate(fields):
            if not item.get("name") or len(item["name"]) > 256:
                problems.append(f"embeds.{index}.fields.{number}.name: Must be between 1 and 256 in length.")
            if not item.get("value") or len(item["value"]) > 1024:
                problems.append(f"embeds.{index}.fields.{number}.value: Must be between 1 and 1024 in length.")
        if len(footer) > 2048:
            problems.append(f"embeds.{index}.footer.text: Must be 2048 or fewer in length.")
        total = len(title) + len(description) + len(footer) + len(author) + sum(
            len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
        if total > 6000:
            problems.append(f"embeds.{index}: Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    flags = int(body.get("flags") or 0)
    if flags & COMPONENTS_V2:
        problems.extend(components_v2_problems(body))
    else:
        for row in components:
            if row.get("type", 1) != 1:
                problems.append("components: only action rows are allowed without IS_COMPONENTS_V2")
    for component in walk_components(components):
        if component.get("type") == 1 and len(component.get("components") or []) > 5:
            problems.append("components: an action row holds at most 5 buttons")
        if len(component.get("custom_id") or "") > 100:
            problems.append("components: custom_id must be 100 or fewer in length")
    if problems:
        raise DiscordError(400, 50035, "Invalid Form Body: " + "; ".join(problems))


COMPONENTS_V2 = 1 << 15  # message flag IS_COMPONENTS_V2
V2_LIMIT_COMPONENTS = 40
V2_LIMIT_TEXT = 4000
TOP_LEVEL_V2 = {1, 9, 10, 12, 13, 14, 17}  # action row, section, text display, gallery, file, separator, container


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component, nested ones included (rows, sections and their accessory, containers)."""
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        found.extend(walk_components(component.get("components") or []))
        if isinstance(component.get("accessory"), dict):
            found.extend(walk_components([component["accessory"]]))
    return found


def components_v2_problems(body: dict[str, Any]) -> list[str]:
    """Discord's documented rules for a message with IS_COMPONENTS_V2: no content or embeds, at
    most 40 components (nested ones count), 4,000 characters across text displays, a section of
    1 to 3 text displays with an accessory, unique component ids."""
    problems = []
    if body.get("content"):
        problems.append("content: cannot be sent with IS_COMPONENTS_V2")
    if body.get("embeds"):
        problems.append("embeds: cannot be sent with IS_COMPONENTS_V2")
    components = body.get("components") or []
    every = walk_components(components)
    if not components:
        problems.append("components: a message with IS_COMPONENTS_V2 needs at least one")
    if len(every) > V2_LIMIT_COMPONENTS:
        problems.append(f"components: {len(every)} components, more than {V2_LIMIT_COMPONENTS}")
    text = sum(len(c.get("content") or "") for c in every if c.get("type") == 10)
    if text > V2_LIMIT_TEXT:
        problems.append(f"components: {text} characters of text, more than {V2_LIMIT_TEXT}")
    for component in components:
        if component.get("type") not in TOP_LEVEL_V2:
            problems.append(f"components: type {component.get('type')} cannot be at the top level")
    for component in every:
        if component.get("type") == 9:
            texts = component.get("components") or []
            if not 1 <= len(texts) <= 3 or any(t.get("type") != 10 for t in texts):
                problems.append("components: a section holds 1 to 3 text displays")
            if (component.get("accessory") or {}).get("type") not in (2, 11):
                problems.append("components: a section needs a button or thumbnail accessory")
    ids = [c["id"] for c in every if c.get("id") is not None]
    if len(ids) != len(set(ids)):
        problems.append("components: ids must be unique")
    return problems


def modal_problems(data: dict[str, Any]) -> list[str]:
    """Discord's rules for a modal: a custom_id and a title (≤ 45), 1 to 5 components, each a label
    (≤ 45 characters) around one text input (or an action row with one), text inputs' max ≤ 4000."""
    problems = []
    if not data.get("custom_id") or len(data["custom_id"]) > 100:
        problems.append("custom_id: must be between 1 and 100 in length")
    if not data.get("title") or len(data["title"]) > 45:
        problems.append("title: must be between 1 and 45 in length")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append("components: must be between 1 and 5 in length")
    for component in components:
        inner = component.get("component") if component.get("type") == 18 else (component.get("components") or [{}])[0]
        if component.get("type") == 18 and not 1 <= len(component.get("label") or "") <= 45:
            problems.append("components: a label's text must be between 1 and 45 in length")
        if (inner or {}).get("type") == 4 and int(inner.get("max_length") or 4000) > 4000:
            problems.append("components: a text input's max_length must be 4000 or less")
    return problems
