"""`DiscordAdapter`: connects the bot to Discord and the hub to Discord threads.

Messages become `Inbound`s handled in background tasks (the typing indicator on while the hub
works), Approve / Deny clicks become `Decision`s, and the hub's events are shown by the
`ThreadWriter`. Every turn and decision runs in a task the adapter keeps, so `stop()` can cancel
and await them.

Discord allows one gateway session per bot, and several replicas may share one database: the
session belongs to whichever replica holds the lease `discord:<application id>` (`Leadership`).
The others stand by, logged in for REST only (their hub's cards and answers still reach Discord),
and the first to find the lease free connects; a leader that loses the lease disconnects. A
single replica takes the lease at once, so a one-process install behaves as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import discord
from pydantic import SecretStr

from chatops.adapters.discord.catch_up import catch_up, catch_up_window, channels_to_read
from chatops.adapters.discord.client import ChatopsClient
from chatops.adapters.discord.conversations import (
    ARCHIVE_AFTER_MINUTES,
    Conversations,
    dm_thread,
    guild_thread,
    in_scope,
    is_thread,
    request_text,
    thread_name,
)
from chatops.adapters.discord.embeds import MESSAGE_LIMIT, clip
from chatops.adapters.discord.endpoints import use_endpoints
from chatops.adapters.discord.files import AttachmentDownloads, attachment_of
from chatops.adapters.discord.head_cards import DiscordThreads
from chatops.adapters.discord.interactions import NO_CHANNEL
from chatops.adapters.discord.people import PLATFORM, user_ref
from chatops.adapters.discord.replies import ThreadWriter
from chatops.adapters.discord.views import DenyReasonModal
from chatops.adapters.leadership import Leadership
from chatops.adapters.supervision import FAILURES_BEFORE_DOWN, Backoff
from chatops.bot.alerts import acknowledge, may_act_on_alert, silence_request
from chatops.bot.faults import StorageUnavailable
from chatops.bot.health import AdapterState
from chatops.bot.model import Decision, DecisionEvent, Inbound, ThreadRef
from chatops.bot.next_steps import follow_ups
from chatops.bot.runtime import Runtime

log = logging.getLogger("chatops.discord")

T = TypeVar("T")
START_TIMEOUT = 60.0
STOP_GRACE_SECONDS = 5.0


class DiscordAdapter:
    name = "discord"

    def __init__(self, runtime: Runtime, *, guild_ready_timeout: float = 2.0) -> None:
        self.config = runtime.config
        self.health = runtime.health
        self._stopping = False
        self._failures = 0
        self._backoff = Backoff()
        self.hub = runtime.hub
        self.store = runtime.store
        self.guild_ready_timeout = guild_ready_timeout
        self.client: ChatopsClient | None = None
        self.writer: ThreadWriter | None = None
        self.conversations = Conversations(self.config.discord, self.hub.cards)
        self.downloads = AttachmentDownloads()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._restore_endpoints = None
        self.leadership: Leadership | None = None  # the gateway lease, once logged in
        self._leading = False  # this replica holds a gateway session (or is getting one)
        self._catch_up_due = False  # it took the gateway over: read what was sent meanwhile

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in (REST: every replica can then post and edit in Discord threads), and connect the
        gateway if this process holds the bot's gateway lease; otherwise stand by until it can."""
        token = self.config.discord.token
        if token is None:
            raise ValueError("no Discord token: set CHATOPS_DISCORD_TOKEN (or [discord] token)")
        self._restore_endpoints = use_endpoints(self.config.discord)
        self.client = ChatopsClient(self, guild_ready_timeout=self.guild_ready_timeout)
        self.writer = ThreadWriter(self.client, self.hub.cards)
        # listening before connecting: discord.py delivers messages and clicks before it is "ready"
        self.hub.add_sink(self.writer.deliver)
        self.hub.openers.add(PLATFORM, DiscordThreads(self.client))  # alerts' and schedules' threads
        self.hub.add_fetcher(PLATFORM, self.downloads.fetch)
        self.health.report(self.name, AdapterState.starting)
        try:
            await self.client.login(token.get_secret_value())
            self.leadership = Leadership(self.store, gateway_lease_name(self.client.application_id, token),
                                         seconds=self.store.lease_seconds, on_elected=self._lead,
                                         on_deposed=self._stand_by)
            if await self.leadership.try_hold():
                self._leading = True
                await self._connect_first()
                self.leadership.leading = True
            else:
                await self._stand_by()
            self.leadership.start()
        except BaseException:
            self.health.report(self.name, AdapterState.down, "could not connect")
            await self.stop()
            raise
        log.info("discord: %s", self.describe())

    async def _connect_first(self) -> None:
        """Connect the gateway and wait until it is ready (or say why it could not be)."""
        assert self.client is not None
        first = asyncio.create_task(self.client.connect(reconnect=True), name="chatops-discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({ready, first}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if first in done:
                first.result()  # raises why the gateway connection ended
                raise RuntimeError("the Discord gateway connection closed during start-up")
            first.cancel()
            raise TimeoutError(f"Discord did not get ready within {START_TIMEOUT:.0f} s")
        self._runner = asyncio.create_task(self._supervise(first), name="chatops-discord-supervisor")

    async def _lead(self) -> None:
        """This replica took the gateway lease (the leader stopped or died): connect. The
        supervisor keeps the connection up from here, as after a start that connected at once."""
        assert self.client is not None
        self.health.report(self.name, AdapterState.starting, "took over the gateway lease; connecting")
        self._leading = True
        self._catch_up_due = True  # messages sent while no replica listened are read once connected
        connection = asyncio.create_task(self.client.connect(reconnect=True), name="chatops-discord-gateway")
        self._runner = asyncio.create_task(self._supervise(connection), name="chatops-discord-supervisor")

    async def _stand_by(self) -> None:
        """Another replica holds the gateway lease (or took it from this one): no gateway session
        here, only a fresh client logged in for REST, so this replica's cards and answers still
        reach Discord. Healthy: `/healthz` shows `standby`, and `chatops run` keeps running."""
        was_leading, self._leading = self._leading, False
        await self._end_supervision(self._fresh_client() if was_leading else None)
        if was_leading:
            log.warning("discord: lost the gateway lease %s; disconnected, standing by", self.leadership.name)
        self.health.report(self.name, AdapterState.standby, self._standby_detail())

    async def _end_supervision(self, closing: Coroutine[Any, Any, None] | None) -> None:
        """Stop the supervisor and close its client (`closing`). Cancelling alone is not enough:
        on Python 3.11 `asyncio.wait_for` (inside discord.py's reconnect) can swallow a
        cancellation that arrives as a reconnect completes, and the connection loop then runs on;
        found when a deposed leader kept resuming its session. Closing the client ends that loop
        for sure, and the supervisor then sees this replica is not leading (or is stopping)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
        if closing is not None:
            await closing
        if runner is not None:
            await asyncio.wait({runner}, timeout=STOP_GRACE_SECONDS)

    def _standby_detail(self) -> str:
        return (f"another replica holds the gateway (lease {self.leadership.name}); this one takes over "
                f"within about {self.leadership.seconds:.0f} s if it stops")

    async def stop(self) -> None:
        self._stopping = True
        if self.leadership is not None:
            await self.leadership.stop()  # no change of role while stopping
        if self._tasks:  # running turns and plans get a few seconds (their cards still update), then cancelled
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.writer is not None:
            self.hub.remove_sink(self.writer.deliver)
            self.hub.openers.remove(PLATFORM)
        self.hub.remove_fetcher(PLATFORM)
        await self._end_supervision(self.client.close() if self.client is not None else None)
        if self.leadership is not None:  # released once disconnected: a standby connects at its next try
            await self.leadership.release()
        self.health.report(self.name, AdapterState.stopped)
        await self.downloads.close()
        if self._restore_endpoints is not None:
            self._restore_endpoints()
            self._restore_endpoints = None

    # --- supervision: the connection is kept up, or reported down ------------------------------

    def connected(self) -> None:
        """READY or RESUMED: the gateway is live again."""
        if not self._leading:  # a late event of the connection this replica gave up
            return
        self._failures = 0
        self._backoff.reset()
        self.health.report(self.name, AdapterState.up)
        if self._catch_up_due:
            self._catch_up_due = False
            self._spawn(self._catch_up(), name="discord-catch-up")

    async def _catch_up(self) -> None:
        """Answer what was posted during the failover gap (see `adapters/discord/catch_up.py`)."""
        assert self.client is not None
        seconds = catch_up_window(self.store.lease_seconds)
        since = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="microseconds")
        try:
            threads = await self.hub.cards.active_threads(PLATFORM, since)
            channels = channels_to_read(self.client, self.config.discord.channels, self.config.discord.guilds,
                                        threads)
            handed = await catch_up(self.client, channels, seconds, self.on_message)
        except Exception:  # a failed catch-up must not take the adapter down
            log.exception("discord: catching up after taking over the gateway failed")
            return
        log.info("discord: caught up after taking over the gateway: %d message(s) from the last %.0f s "
                 "in %d channel(s) handed on (those already answered are dropped)", handed, seconds, len(channels))

    def disconnected(self) -> None:
        """discord.py lost the connection and is reconnecting by itself."""
        if not self._stopping and self._leading:
            self.health.report(self.name, AdapterState.reconnecting, "the gateway connection dropped")

    async def _supervise(self, connection: asyncio.Task[None]) -> None:
        """discord.py reconnects on its own after ordinary drops; its `connect()` ends only on what
        it will not retry (a revoked token: close code 4004, intents not allowed, a gateway outage).
        Then the client is closed, cleared and logged in again with backoff; the adapter is
        `reconnecting` meanwhile and `down` once the failures repeat or the token is refused."""
        assert self.client is not None and self.config.discord.token is not None
        while True:
            try:
                await connection
                why = "the gateway connection closed"
                fatal = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                why = f"the gateway connection ended: {_describe(exc)}"
                fatal = _is_fatal(exc)
            if self._stopping or not self._leading:
                return
            self._failures += 1
            delay = self._backoff.next()
            down = fatal or self._failures >= FAILURES_BEFORE_DOWN
            self.health.report(self.name, AdapterState.down if down else AdapterState.reconnecting,
                               f"{why}; retrying in {delay:.0f} s")
            log.error("discord: %s; retrying in %.1f s", why, delay)
            await asyncio.sleep(delay)
            connection = asyncio.create_task(self._connect_again(), name="chatops-discord-gateway")

    async def _connect_again(self) -> None:
        await self._fresh_client()
        assert self.client is not None
        await self.client.connect(reconnect=True)

    async def _fresh_client(self) -> None:
        """A new client (a closed discord.py client is not meant to be reopened), logged in again."""
        assert self.client is not None and self.writer is not None and self.config.discord.token is not None
        await self.client.close()
        self.client = ChatopsClient(self, guild_ready_timeout=self.guild_ready_timeout)
        self.writer.client = self.client
        await self.client.login(self.config.discord.token.get_secret_value())

    def describe(self) -> str:
        client = self.client
        status = self.health.snapshot().get(self.name)
        if status is not None and status.state in (AdapterState.down, AdapterState.reconnecting,
                                                   AdapterState.standby):
            return f"{status.state.value}: {status.detail}"
        if client is None or client.user is None:
            return "not connected"
        scope = ", ".join(g.name for g in client.guilds) or "no server yet (invite it: chatops discord-invite)"
        channels = f"; channels {', '.join(self.config.discord.channels)}" if self.config.discord.channels else ""
        return f"logged in as {client.user} (id {client.user.id}), in {scope}{channels}; mention it or DM it"

    # --- background work ----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("discord: %s failed", task.get_name(), exc_info=task.exception())

    @contextlib.asynccontextmanager
    async def _typing(self, channel_id: int) -> AsyncIterator[None]:
        """The typing indicator while the hub works; a failure to show it is not the turn's."""
        assert self.client is not None
        typing = self.client.get_partial_messageable(channel_id).typing()
        try:
            await typing.__aenter__()
        except discord.HTTPException as exc:
            log.info("no typing indicator in %s: %s", channel_id, exc)
            yield
            return
        try:
            yield
        finally:
            await typing.__aexit__(None, None, None)

    async def _run_turn(self, inbound: Inbound) -> None:
        try:
            async with self._typing(int(inbound.thread.thread)):
                await self.hub.handle(inbound)
        except StorageUnavailable as exc:  # the hub has said so in the thread
            log.error("discord: message %s not handled: %s", inbound.event_id, exc)
        except Exception as exc:
            log.exception("discord: the turn for message %s failed", inbound.event_id)
            await self._apologise(inbound.thread, exc)

    async def _apologise(self, thread: ThreadRef, exc: Exception) -> None:
        assert self.client is not None
        with contextlib.suppress(discord.HTTPException):
            await self.client.get_partial_messageable(int(thread.thread)).send(
                f"❌ Sorry, something went wrong while handling that ({type(exc).__name__}). Nothing more was run.")

    # --- messages, commands and clicks --------------------------------------------------------

    def on_message(self, message: discord.Message) -> None:
        """From `on_message`: everything after the quick checks happens in a task."""
        if message.author.bot:
            return
        self._spawn(self._answer(message), name=f"discord-message-{message.id}")

    async def _answer(self, message: discord.Message) -> None:
        assert self.client is not None and self.client.user is not None
        thread = await self.conversations.thread_for(message, self.client.user)
        if thread is None:
            return
        inbound = Inbound(event_id=str(message.id), thread=thread, user=user_ref(message.author),
                          text=request_text(message, self.client.user.id),
                          attachments=[attachment_of(item) for item in message.attachments])
        await self._run_turn(inbound)

    async def on_ops_command(self, interaction: discord.Interaction, request: str) -> None:
        """`/ops <request>`: echo the request (the thread starts from that message), then a turn."""
        if interaction.channel is None and not await self._find_channel(interaction):
            await interaction.response.send_message(NO_CHANNEL, ephemeral=True)
            return
        channel_id = interaction.channel_id or 0
        parent_id = getattr(interaction.channel, "parent_id", None)
        if not in_scope(self.config.discord, interaction.guild_id, channel_id, parent_id):
            await interaction.response.send_message("I do not listen in this channel.", ephemeral=True)
            return
        echo = clip(f"{interaction.user.mention} asked: {request}", MESSAGE_LIMIT)
        response = await interaction.response.send_message(echo)
        if interaction.guild_id is None:
            thread = dm_thread(channel_id)
        elif is_thread(interaction.channel):
            thread = guild_thread(interaction.guild_id, channel_id)
        else:
            message = response.resource if isinstance(response.resource, discord.Message) \
                else await interaction.original_response()
            try:
                started = await message.create_thread(name=thread_name(request),
                                                      auto_archive_duration=ARCHIVE_AFTER_MINUTES)
                thread = guild_thread(interaction.guild_id, started.id)
            except discord.HTTPException as exc:  # e.g. no Create Public Threads here: answer in place
                log.warning("no thread for /ops in channel %s: %s", channel_id, exc)
                thread = guild_thread(interaction.guild_id, channel_id)
        inbound = Inbound(event_id=str(interaction.id), thread=thread, user=user_ref(interaction.user), text=request)
        self._spawn(self._run_turn(inbound), name=f"discord-command-{interaction.id}")

    async def on_next_step(self, interaction: discord.Interaction, index: int) -> None:
        """An answer's next-step button: the request it offers, read back from the answer it sits
        under, is said in the thread as the clicker's (echoed, as `/ops` is) and planned like any
        typed message: approvals and tool roles apply to the clicker as to anyone."""
        message = interaction.message
        offers = follow_ups(message.content if message is not None else "", self.hub.registry)
        if index >= len(offers) or interaction.channel_id is None:
            await interaction.response.send_message("That next step is no longer on offer here: type it instead.",
                                                    ephemeral=True)
            return
        request = offers[index].request
        echo = clip(f"↪ {interaction.user.mention}: `{request.replace('`', '')}`", MESSAGE_LIMIT)
        await interaction.response.send_message(echo)
        thread = dm_thread(interaction.channel_id) if interaction.guild_id is None \
            else guild_thread(interaction.guild_id, interaction.channel_id)
        inbound = Inbound(event_id=f"discord-click:{interaction.id}", thread=thread, user=user_ref(interaction.user),
                          text=request)
        self._spawn(self._run_turn(inbound), name=f"discord-next-step-{interaction.id}")

    async def on_alert_action(self, interaction: discord.Interaction, *, silence: bool) -> None:
        """Silence 1h / Acknowledge on an alert's card: its thread is the one started from the
        card (the same id). On-call people only (those who may approve, as in the web chat); a
        silence is a write step that then waits for an approval like any other."""
        user = user_ref(interaction.user)
        message = interaction.message
        if message is None or interaction.guild_id is None:
            await interaction.response.send_message("This button works on an alert's card only.", ephemeral=True)
            return
        if not may_act_on_alert(self.hub, user):
            await interaction.response.send_message("Only on-call people (those who may approve) can acknowledge "
                                                    "or silence an alert.", ephemeral=True)
            return
        thread = guild_thread(interaction.guild_id, message.id)
        if not silence:
            await interaction.response.defer()
            await acknowledge(self.hub, thread, user)
            return
        try:
            inbound = await silence_request(self.hub, thread, user, "1h")
        except LookupError as exc:
            await interaction.response.send_message(f"No silence: {exc}.", ephemeral=True)
            return
        await interaction.response.defer()
        self._spawn(self._run_turn(inbound), name=f"discord-silence-{interaction.id}")

    async def _find_channel(self, interaction: discord.Interaction) -> bool:
        """An interaction that came with `channel_id` but no `channel` object (as in Discord's own
        example): the channel from the cache, else fetched by id, set on the interaction so its
        response and the thread started from it know where they are."""
        assert self.client is not None
        channel_id = self.client.raw_channels.take(interaction.id)
        if channel_id is None:
            return False
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.HTTPException as exc:
                log.warning("discord: no channel %s for /ops: %s", channel_id, exc)
                return False
        interaction.channel = channel  # type: ignore[assignment]
        return True

    async def _decide(self, decision: Decision, channel_id: int | None) -> DecisionEvent:
        """`hub.decide`, with the typing indicator on once the hub has accepted an approval (the
        plan is about to run), not for a refusal or a denial."""
        settled, run = await self.hub.begin_decision(decision)
        if channel_id is not None and decision.approve and settled.accepted:
            async with self._typing(channel_id):
                return await run
        return await run

    async def on_decision_click(self, interaction: discord.Interaction, plan_id: str, approve: bool) -> None:
        """Approve / Deny: acknowledge within Discord's 3 s, then decide (which runs an approved
        plan); a refusal is told to the clicker alone. Deny from someone who may deny first asks
        why, in a modal (`on_deny_reason` follows)."""
        if not approve:
            plan = await self.hub.cards.plan(plan_id)
            if plan is not None and self.hub.policy.may_decide(user_ref(interaction.user), plan, approve=False).allowed:
                await interaction.response.send_modal(DenyReasonModal(plan_id, plan.goal, interaction.id))
                return
        await self._decide_click(interaction, plan_id, approve)

    async def on_step_choice(self, interaction: discord.Interaction, plan_id: str, steps: list[str]) -> None:
        """"Approve only…": the chosen waiting steps are approved, the others skipped."""
        await self._decide_click(interaction, plan_id, True, steps=steps)

    async def on_deny_reason(self, interaction: discord.Interaction, plan_id: str, reason: str) -> None:
        """The deny modal was submitted: deny, with its reason."""
        await self._decide_click(interaction, plan_id, False, note=reason)

    async def _decide_click(self, interaction: discord.Interaction, plan_id: str, approve: bool, *,
                            note: str = "", steps: list[str] | None = None) -> None:
        await interaction.response.defer()  # "deferred update": nothing shown, the card edits follow
        decision = Decision(plan_id=plan_id, approve=approve, user=user_ref(interaction.user), source="discord",
                            note=note, steps=steps)
        outcome = await self._spawn(self._decide(decision, interaction.channel_id),
                                    name=f"discord-decision-{interaction.id}")
        if not outcome.accepted:
            verb = "approve" if approve else "deny"
            await interaction.followup.send(f"You cannot {verb} this plan: {outcome.reason}.", ephemeral=True)


def gateway_lease_name(application_id: int | None, token: SecretStr) -> str:
    """The lease for the bot's one gateway session: per application (a bot has one), or per token
    when the application is unknown; a hash, never the token itself, goes into the database."""
    if application_id:
        return f"discord:{application_id}"
    return "discord:token-" + hashlib.sha256(token.get_secret_value().encode()).hexdigest()[:16]


FATAL_CLOSE_CODES = {4004, 4010, 4011, 4012, 4013, 4014}  # bad token, sharding, API version, intents


def _is_fatal(exc: BaseException) -> bool:
    """Errors that another attempt with the same settings cannot fix on its own."""
    if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(exc, discord.ConnectionClosed) and exc.code in FATAL_CLOSE_CODES


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == 4004:
            return "Discord refused the token (close code 4004: authentication failed)"
        return f"closed with code {exc.code} ({exc.reason or 'no reason given'})"
    if isinstance(exc, discord.LoginFailure):
        return f"Discord refused the token ({exc})"
    return f"{type(exc).__name__}: {exc}"
