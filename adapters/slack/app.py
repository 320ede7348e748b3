"""`SlackAdapter`: slack-bolt's `AsyncApp` wired to the hub, served over Socket Mode or HTTP.

Every listener acknowledges first and hands the work to a background task (kept in `_tasks`,
awaited or cancelled in `stop()`): a turn or an approved plan can take minutes, and Slack wants
its answer within 3 s or it retries and shows the user an error. `process_before_response=True`
makes Bolt return the listener's ack as soon as the listener returns, which it does at once.

Triggers: an `app_mention`; any message in a DM with the bot; any message in a thread the bot is
already part of (a thread storage knows). The bot's own messages, other bots' and message
subtypes that are not a person talking (edits, deletions, joins) are ignored (`events.py`).
Button clicks become `Decision`s; a refused one is answered to the clicker alone
(`chat.postEphemeral`). What the hub shows goes out through `Delivery` (the hub sink).

Modes: `slack.mode = "socket"` connects out with the app token (`apps.connections.open`, then the
websocket); `"http"` serves `/slack/events` on `slack.listen` for both events and clicks, each
request checked against the signing secret by Bolt (bad signature or a timestamp older than
5 minutes: 401).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from chatops.adapters.slack import events
from chatops.adapters.slack.cards import APPROVE_ACTION, DENY_ACTION, FEEDBACK_ACTION, NEXT_STEP_ACTION, chosen_steps
from chatops.adapters.slack.client import error_of, web_client
from chatops.adapters.slack.delivery import Delivery
from chatops.adapters.slack.deny_reason import CALLBACK_ID as DENY_CALLBACK
from chatops.adapters.slack.deny_reason import ClickedCard, deny_modal, submitted_reason
from chatops.adapters.slack.files import SlackFiles, complete_files
from chatops.adapters.slack.head_cards import ACKNOWLEDGE_ACTION, SILENCE_ACTION, SlackThreads
from chatops.adapters.slack.home import home_view
from chatops.adapters.slack.manifest import suggested_prompts
from chatops.adapters.slack.people import People, configured_groups
from chatops.adapters.slack.status import WorkingStatus
from chatops.adapters.supervision import FAILURES_BEFORE_DOWN
from chatops.bot.alerts import acknowledge, may_act_on_alert, silence_request
from chatops.bot.faults import StorageUnavailable
from chatops.bot.health import AdapterState
from chatops.bot.model import Decision, Inbound, ThreadRef
from chatops.bot.runtime import Runtime

log = logging.getLogger("chatops.slack")
PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
SEEN_LIMIT = 10_000  # message keys remembered in memory (storage remembers them all)
STOP_GRACE_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 30.0
WATCH_SECONDS = 2.0  # how often the Socket Mode connection's health is checked
REFUSED_TOKEN = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"}
COMMAND_HELP = ("I do not take slash commands ({command}). Mention me (<@{bot}>) with what you need, "
                "in a channel I am in or in a DM, and I will plan it and ask before changing anything.")
SHORTCUT_HELP = "Shortcuts do nothing here yet: mention me (<@{bot}>) with what you need, in a thread or a DM."


class SlackStartError(RuntimeError):
    """The adapter cannot start: the reason names the setting or token to fix."""


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise SlackStartError(f"slack.listen must be HOST:PORT, not {listen!r}")
    return host.strip("[]"), int(port)


class SlackAdapter:
    name = "slack"

    def __init__(self, runtime: Runtime) -> None:
        self.config = runtime.config
        self.slack = runtime.config.slack
        self.hub = runtime.hub
        if self.slack.bot_token is None:
            raise SlackStartError("slack.bot_token is not set (or CHATOPS_SLACK_BOT_TOKEN)")
        if self.slack.mode == "http" and self.slack.signing_secret is None:
            raise SlackStartError("HTTP mode needs slack.signing_secret (or CHATOPS_SLACK_SIGNING_SECRET)")
        if self.slack.mode == "socket" and self.slack.app_token is None:
            raise SlackStartError("Socket Mode needs slack.app_token, an xapp-… token with connections:write "
                                  "(or CHATOPS_SLACK_APP_TOKEN)")
        self.client = web_client(self.slack)
        secret = self.slack.signing_secret.get_secret_value() if self.slack.signing_secret else ""
        self.app = AsyncApp(client=self.client, signing_secret=secret, process_before_response=True,
                            request_verification_enabled=bool(secret), name="chatops", logger=log)
        self.people = People(self.client, configured_groups(self.config))
        self.files = SlackFiles(self.slack.bot_token.get_secret_value(), self.slack.api_base_url)
        self.status = WorkingStatus(self.client)
        self.delivery = Delivery(self.client, runtime.hub.cards, streaming=self.slack.streaming)
        self.bot_user_id = ""
        self.bot_name = ""
        self.team = ""
        self.url = ""  # HTTP mode: where Slack must post, once listening
        self._tasks: set[asyncio.Task[Any]] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._admission = asyncio.Lock()
        self.health = runtime.health
        self._watcher: asyncio.Task[None] | None = None
        self._register()

    # --- listeners: ack, then a task ---------------------------------------------------------------

    def _register(self) -> None:
        app = self.app

        @app.event("app_mention")
        async def on_mention(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._message(event, mentioned=True), "slack-mention")

        @app.event("message")
        async def on_message(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            if events.is_from_a_person(event, bot_user_id=self.bot_user_id):
                self._spawn(self._message(event, mentioned=False), "slack-message")

        @app.action(APPROVE_ACTION)
        async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._click(body, action), "slack-click")

        @app.action(DENY_ACTION)
        async def on_deny_click(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._ask_why(body, action), "slack-deny")

        @app.view(DENY_CALLBACK)
        async def on_deny_reason(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()  # the modal closes; the denial follows in the thread
            self._spawn(self._deny_with_reason(body, view), "slack-deny-reason")

        @app.action(FEEDBACK_ACTION)
        async def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._feedback(body, action), "slack-feedback")

        @app.action(ACKNOWLEDGE_ACTION)
        async def on_acknowledge(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._alert_action(body, silence=False), name="slack-alert-acknowledge")

        @app.action(SILENCE_ACTION)
        async def on_silence(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._alert_action(body, silence=True), name="slack-alert-silence")

        @app.action(re.compile(re.escape(NEXT_STEP_ACTION) + r"\.\d+"))
        async def on_next_step(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._next_step(body, action), name="slack-next-step")

        @app.command(re.compile(".*"))
        async def on_slash_command(ack: Any, command: dict[str, Any]) -> None:
            # the bot has no slash command of its own; one added in the app settings gets a
            # short answer instead of Slack's "failed with the error dispatch_failed"
            await ack(text=COMMAND_HELP.format(bot=self.bot_user_id, command=command.get("command", "")))

        @app.shortcut(re.compile(".*"))
        async def on_shortcut(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            channel = (body.get("channel") or {}).get("id", "")
            user = (body.get("user") or {}).get("id", "")
            if channel and user:  # a message shortcut: tell the clicker privately how to ask
                thread_ts = (body.get("message") or {}).get("thread_ts") or (body.get("message") or {}).get("ts", "")
                self._spawn(self._ephemeral(channel, user, thread_ts, SHORTCUT_HELP.format(bot=self.bot_user_id)),
                            "slack-shortcut")

        @app.event("app_home_opened")
        async def on_home_opened(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            if event.get("tab", "home") == "home" and event.get("user"):
                self._spawn(self._publish_home(event["user"]), "slack-home")

        @app.event("assistant_thread_started")
        async def on_assistant_thread_started(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._assistant_thread_started(event), "slack-assistant-thread")

        @app.event(re.compile(".*"))
        async def on_other_event(ack: Any) -> None:
            await ack()  # subscribed but not for us (e.g. assistant_thread_started): no retries, please

        @app.action(re.compile(".*"))
        async def on_other_action(ack: Any) -> None:
            await ack()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(self._admitted(work), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def _admitted(self, work: Coroutine[Any, Any, None]) -> None:
        """Start queued work one piece per event-loop turn, so that acks arriving in a burst are
        not queued behind the start of every turn they accepted."""
        try:
            async with self._admission:
                await asyncio.sleep(0)
        except BaseException:
            work.close()
            raise
        await work

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack %s failed", task.get_name(), exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until the work started by the events received so far is done (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _first_delivery(self, key: str) -> bool:
        """In-process de-duplication, checked and marked with no await in between; storage
        de-duplicates again (across restarts) when the hub records the message."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        return True

    # --- the work -------------------------------------------------------------------------------

    async def _message(self, event: dict[str, Any], *, mentioned: bool) -> None:
        if not events.is_from_a_person(event, bot_user_id=self.bot_user_id):
            return
        thread = events.thread_of(event)
        if not (mentioned or events.is_direct_message(event) or await self._in_known_thread(event)):
            return  # a channel message that is not for the bot
        if not self._first_delivery(events.delivery_key(event)):
            return
        try:
            self.delivery.streams.asked(thread, event["user"])  # a stream's recipient outside a DM
            async with self.status.working(thread.channel, thread.thread, event["ts"]):
                user = await self.people.user(event["user"])
                event = await complete_files(self.client, event)
                await self.hub.handle(events.inbound_of(event, user, bot_user_id=self.bot_user_id))
        except StorageUnavailable:  # the hub has said so in the thread; a redelivery may try again
            log.error("a Slack message could not be stored")
            self._seen.pop(events.delivery_key(event), None)
        except Exception as exc:
            log.exception("a Slack message could not be handled")
            self._seen.pop(events.delivery_key(event), None)  # a redelivery may try again
            await self._say(thread.channel, thread.thread, f"❌ Sorry, something went wrong while handling that "
                                                           f"({type(exc).__name__}). Nothing more was run.")

    async def _in_known_thread(self, event: dict[str, Any]) -> bool:
        return bool(event.get("thread_ts")) and await self.hub.cards.knows_thread(events.thread_of(event).id)

    async def _clicked(self, body: dict[str, Any], action: dict[str, Any]) -> ClickedCard | None:
        """Which plan a button is for, and where its card is (a Home tab click has no channel)."""
        plan_id = str(action.get("value") or "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        card_ts = container.get("message_ts") or message.get("ts", "")
        thread_ts = container.get("thread_ts") or message.get("thread_ts") or card_ts
        from_home = container.get("type") == "view"
        if from_home and plan_id:  # a click on the Home tab: the plan's card is where it was posted
            ref = await self.hub.cards.where("slack", plan_id) or {}
            channel, card_ts = ref.get("channel", ""), ref.get("ts", "")
            thread_ts = ref.get("thread_ts") or card_ts
        if not (plan_id and (body.get("user") or {}).get("id") and channel):
            log.warning("a plan button click without a plan, a user or a channel was ignored")
            return None
        return ClickedCard(plan_id=plan_id, channel=channel, card_ts=card_ts, thread_ts=thread_ts,
                           from_home=from_home)

    async def _click(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        where = await self._clicked(body, action)
        if where is not None:
            await self._decide(where, body["user"]["id"], approve=action.get("action_id") == APPROVE_ACTION,
                               steps=chosen_steps(body))

    async def _ask_why(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Deny: a modal asks why (optional), unless the clicker may not deny or it cannot open."""
        where = await self._clicked(body, action)
        if where is None:
            return
        user_id = body["user"]["id"]
        plan = await self.hub.cards.plan(where.plan_id)
        user = await self.people.user(user_id)
        if plan is None or not self.hub.policy.may_decide(user, plan, approve=False).allowed \
                or not body.get("trigger_id"):
            await self._decide(where, user_id, approve=False)  # refused (privately) or decided as before
            return
        try:
            await self.client.views_open(trigger_id=body["trigger_id"], view=deny_modal(plan, where))
        except SlackApiError as exc:
            log.info("no modal for a denial (%s): denied without a reason", error_of(exc))
            await self._decide(where, user_id, approve=False)

    async def _deny_with_reason(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        where = ClickedCard.loads(view.get("private_metadata", ""))
        user_id = (body.get("user") or {}).get("id", "")
        if where is None or not user_id:
            log.warning("a denial modal without its plan or user was ignored")
            return
        await self._decide(where, user_id, approve=False, note=submitted_reason(view))

    async def _decide(self, where: ClickedCard, user_id: str, *, approve: bool, note: str = "",
                      steps: list[str] | None = None) -> None:
        plan_id, channel, card_ts, thread_ts, from_home = (where.plan_id, where.channel, where.card_ts,
                                                            where.thread_ts, where.from_home)
        await self.delivery.adopt_card(plan_id, channel=channel, ts=card_ts, thread_ts=thread_ts)
        user = await self.people.user(user_id)
        decision = Decision(plan_id=plan_id, approve=approve, user=user, source="slack", note=note,
                            steps=steps if approve else None)
        settled, run = await self.hub.begin_decision(decision)
        if settled.accepted:  # only an accepted click shows activity
            async with self.status.working(channel, thread_ts, card_ts, done=False):
                outcome = await run
        else:
            outcome = await run
        if not outcome.accepted:
            verb = "approval" if approve else "denial"
            await self._ephemeral(channel, user_id, thread_ts, f"Your {verb} was not applied: {outcome.reason}.")
        if from_home:
            await self._publish_home(user_id)

    async def _feedback(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """👍 / 👎 under an answer: kept with the thread in the audit log (`chatops audit --kind feedback`)."""
        verdict, _, plan_id = str(action.get("value") or "").partition(":")
        user_id = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        thread_ts = container.get("thread_ts") or message.get("thread_ts") or container.get("message_ts", "")
        if verdict not in ("positive", "negative") or not (user_id and channel and thread_ts):
            log.warning("a feedback click without a verdict, a user or a thread was ignored")
            return
        user = await self.people.user(user_id)
        await self.hub.feedback.record(ThreadRef(platform="slack", channel=channel, thread=thread_ts), user,
                                       positive=verdict == "positive", plan_id=plan_id,
                                       answer=str(message.get("text") or ""), source="slack")

    async def _next_step(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A next step's button: its request, said in the thread as the clicker's own message
        (shown as "↪ @who: …", since the bot cannot post as them), is a turn like any typed one."""
        request = str(action.get("value") or "").strip()
        user_id = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        thread_ts = container.get("thread_ts") or message.get("thread_ts") or container.get("message_ts", "")
        click = str(action.get("action_ts") or body.get("trigger_id") or "")
        if not (request.startswith("!") and user_id and channel and thread_ts and click):
            log.warning("a next-step click without a request, a user, a thread or a time was ignored")
            return
        key = f"slack-click:{channel}:{click}"
        if not self._first_delivery(key):
            return
        thread = ThreadRef(platform=PLATFORM, channel=channel, thread=thread_ts)
        await self._say(channel, thread_ts, f"↪ <@{user_id}>: `{request.replace('`', '')}`")
        try:
            async with self.status.working(channel, thread_ts, container.get("message_ts") or thread_ts, done=False):
                user = await self.people.user(user_id)
                await self.hub.handle(Inbound(event_id=key, thread=thread, user=user, text=request))
        except Exception as exc:
            log.exception("a next-step click could not be handled")
            await self._say(channel, thread_ts, f"❌ Sorry, something went wrong while handling that "
                                                f"({type(exc).__name__}). Nothing more was run.")

    async def _alert_action(self, body: dict[str, Any], *, silence: bool) -> None:
        """Silence 1h / Acknowledge on an alert's card: the card is its thread's first message, so
        the click names the thread. On-call people only (those who may approve, as in the web
        chat); a silence is a write step that then waits for an approval like any other."""
        user_id = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        card_ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
        if not (user_id and channel and card_ts):
            log.warning("an alert card click without a user, a channel or a card was ignored")
            return
        thread = ThreadRef(platform=PLATFORM, channel=channel, thread=card_ts)
        user = await self.people.user(user_id)
        if not may_act_on_alert(self.hub, user):
            await self._ephemeral(channel, user_id, card_ts, "Only on-call people (those who may approve) can "
                                                             "acknowledge or silence an alert.")
            return
        if not silence:
            await acknowledge(self.hub, thread, user)
            return
        try:
            inbound = await silence_request(self.hub, thread, user, "1h")
        except LookupError as exc:
            await self._ephemeral(channel, user_id, card_ts, f"No silence: {exc}.")
            return
        await self.hub.handle(inbound)

    async def _publish_home(self, user_id: str) -> None:
        """The Home tab for `user_id`: the plans they may decide now, and recent threads."""
        user = await self.people.user(user_id)
        waiting = [plan for plan in await self.hub.cards.waiting("slack")
                   if self.hub.policy.may_decide(user, plan, approve=True).allowed]
        threads = await self.hub.cards.recent_threads("slack")
        view = home_view(waiting, threads, self.hub.cards.who_may_approve)
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("could not publish the Home tab for %s: %s", user_id, error_of(exc))

    async def _assistant_thread_started(self, event: dict[str, Any]) -> None:
        """A new assistant (or agent view) thread: offer prompts from the configured tools."""
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id", ""), thread.get("thread_ts", "")
        prompts = suggested_prompts(self.hub.tools_for(await self.people.user(thread["user_id"]))
                                    if thread.get("user_id") else self.hub.registry.specs())
        if not (channel and thread_ts and prompts):
            return
        try:
            await self.client.assistant_threads_setSuggestedPrompts(channel_id=channel, thread_ts=thread_ts,
                                                                    prompts=prompts)
        except SlackApiError as exc:
            log.warning("could not suggest prompts in %s: %s", channel, error_of(exc))

    async def _say(self, channel: str, thread_ts: str, text: str) -> None:
        try:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except Exception as exc:  # Slack itself may be what failed
            log.warning("could not post in %s: %s", channel, exc)

    async def _ephemeral(self, channel: str, user_id: str, thread_ts: str, text: str) -> None:
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user_id, thread_ts=thread_ts, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s privately: %s", user_id, error_of(exc))

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.health.report(self.name, AdapterState.starting)
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            raise SlackStartError(f"Slack refused the bot token (auth.test: {error_of(exc)})") from None
        self.bot_user_id = auth.get("user_id") or ""
        self.bot_name = auth.get("user") or ""
        self.team = auth.get("team") or ""
        self.delivery.streams.team_id = auth.get("team_id") or ""
        self.hub.add_sink(self.delivery)
        self.hub.openers.add(PLATFORM, SlackThreads(self.client))  # alerts' and schedules' threads
        self.hub.add_fetcher(PLATFORM, self.files.fetch)
        try:
            if self.slack.mode == "socket":
                await self._connect_socket()
                self._watcher = asyncio.create_task(self._watch_socket(), name="chatops-slack-watcher")
            else:
                await self._listen_http()
        except BaseException:
            self.health.report(self.name, AdapterState.down, "could not connect")
            await self.stop()
            raise
        self.health.report(self.name, AdapterState.up)

    async def _connect_socket(self) -> None:
        assert self.slack.app_token is not None
        app_token = self.slack.app_token.get_secret_value()
        try:  # checked here so that a wrong token fails the start instead of retrying forever
            opened = await self.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            raise SlackStartError(f"Slack refused the app token (apps.connections.open: "
                                  f"{error_of(exc)}); it needs the connections:write scope") from None
        self._socket = AsyncSocketModeHandler(self.app, app_token=app_token, web_client=self.client)
        self._socket.client.wss_uri = opened["url"]
        await asyncio.wait_for(self._socket.connect_async(), CONNECT_TIMEOUT_SECONDS)

    async def _watch_socket(self) -> None:
        """slack-sdk reconnects a dropped Socket Mode connection by itself (at once after a close,
        within its ping interval otherwise), but says nothing when it cannot: a revoked token
        fails every attempt in a log line. This watches the connection and reports it: `up`,
        `reconnecting`, or `down` once it stays down or Slack refuses a token."""
        assert self._socket is not None and self.slack.app_token is not None
        failures = 0
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                connected = await self._socket.client.is_connected()
            except Exception:
                connected = False
            if connected:
                failures = 0
                self.health.report(self.name, AdapterState.up)
                continue
            failures += 1
            refused = await self._refused_token()
            if refused:
                self.health.report(self.name, AdapterState.down, refused)
            elif failures >= FAILURES_BEFORE_DOWN:
                self.health.report(self.name, AdapterState.down, "the Socket Mode connection stays closed")
            else:
                self.health.report(self.name, AdapterState.reconnecting, "the Socket Mode connection dropped")

    async def _refused_token(self) -> str:
        """Why Slack refuses one of the bot's tokens now ("" when both are accepted or Slack
        cannot be reached to say)."""
        assert self.slack.app_token is not None
        app_token = self.slack.app_token.get_secret_value()
        checks = (("bot token", "auth.test", self.client.auth_test),
                  ("app token", "apps.connections.open",
                   lambda: self.client.apps_connections_open(app_token=app_token)))
        for name, method, call in checks:
            try:
                await call()
            except SlackApiError as exc:
                if error_of(exc) in REFUSED_TOKEN:
                    return f"Slack refused the {name} ({method}: {error_of(exc)})"
            except Exception:
                return ""
        return ""

    async def _listen_http(self) -> None:
        host, port = parse_listen(self.slack.listen)
        self._runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise SlackStartError(f"cannot listen on {self.slack.listen} (slack.listen): {exc.strerror}") from None
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{host if host not in ('0.0.0.0', '::') else bound_host}:{bound_port}{EVENTS_PATH}"

    @property
    def port(self) -> int:
        return self._runner.addresses[0][1] if self._runner and self._runner.addresses else 0

    async def stop(self) -> None:
        """Stop taking events, let running work finish (a few seconds), cancel the rest."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        self.health.report(self.name, AdapterState.stopped)
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.hub.remove_sink(self.delivery)
        self.hub.openers.remove(PLATFORM)
        await self.files.close()

    def describe(self) -> str:
        status = self.health.snapshot().get(self.name)
        if status is not None and status.state in (AdapterState.down, AdapterState.reconnecting):
            return f"{status.state.value}: {status.detail}"
        if self.slack.mode == "socket":
            if self._socket is None:
                return "Socket Mode, not connected"
            return f"Socket Mode, connected as @{self.bot_name} ({self.bot_user_id}) in {self.team}"
        if self._runner is None:
            return f"HTTP mode, not listening (slack.listen = {self.slack.listen})"
        return (f"HTTP mode: Slack posts events and clicks to {self.url} (behind your proxy) "
                f"as @{self.bot_name} ({self.bot_user_id}) in {self.team}")
