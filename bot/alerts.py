"""Alerts in: a notification from Alertmanager or Grafana becomes messages in its group's thread.

The environment speaks through the same door as people: a group's first notification, and every
alert that starts firing, is an inbound message handed to `Hub.handle`, so it is stored,
de-duplicated, planned, reviewed and approved like any other. Its sender is a requester who can
approve nothing (platform `alert`: no decision from any adapter carries that identity, and it holds
no role); the alert itself is a data part (`bot.alert_cards`), so every step it suggests waits for
one click. Only a route with `diagnose = "auto"` confirms read-only steps at once, as the
requester may confirm its own tainted read steps, and only when every host they reach is the
alert's own `instance` or in the route's `allow_hosts`: a label cannot make the bot fetch an
attacker's URL. Repeats add nothing; resolutions are the bot's own words in the same thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from chatops.bot.agent.policy import LOCAL
from chatops.bot.alert_cards import alert_message, head_card, link_lines, resolved_message
from chatops.bot.alert_changes import GroupChange, compare, firing_for
from chatops.bot.alert_payloads import Alert, AlertNotification
from chatops.bot.alert_routes import route_for
from chatops.bot.config import AlertRouteConfig
from chatops.bot.model import AnswerEvent, Decision, Inbound, PlanStatus, Risk, Step, ThreadRef, UserRef, utcnow
from chatops.bot.thread_context import matcher_text, shared_labels

if TYPE_CHECKING:
    from chatops.bot.hub import Hub

log = logging.getLogger("chatops.alerts")

ALERT_PLATFORM = "alert"  # the requester of an alert's messages: never a decider
AUTO_SOURCE = "alerts:diagnose=auto"
CHAT_SURFACES = ("slack", "discord")  # where a route may also send a group (`slack_channel`, `discord_channel`)
LINK_PLATFORM, LINK_KIND = "alert", "group_of_thread"  # a chat thread → its group (see storage/alert_groups.py)
MAX_QUEUED_TURNS = 100  # alert turns waiting for the planner beyond this are posted undiagnosed
PLANNING_AT_ONCE = 4


@dataclass(frozen=True)
class AlertThread:
    """What the webhook answers for one group."""

    id: str
    group_key: str
    status: str
    new: bool


def alert_requester(sender: UserRef, source: str) -> UserRef:
    """The requester of a group's messages, on a platform no decision comes from: the sender's
    token name, or the source's name for the token-less loopback operator."""
    name = source if sender.platform == LOCAL else (sender.name or sender.id)
    return UserRef(platform=ALERT_PLATFORM, id=name, name=name if name == source else f"{name} ({source})")


def opener_key(source: str, group_key: str) -> str:
    """The key of a group's chat threads (`bot.thread_openers`)."""
    return f"alert:{source}:{group_key}"


def surface_channels(route: AlertRouteConfig) -> list[tuple[str, str]]:
    """The chat channels a route sends its groups to, as (platform, channel)."""
    return [(platform, channel) for platform, channel in (("slack", route.slack_channel),
                                                          ("discord", route.discord_channel)) if channel]


def thread_name(source: str, group_key: str) -> str:
    return "a" + hashlib.sha256(f"{source}\n{group_key}".encode()).hexdigest()[:16]


def alert_body(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The thread body's `alert` field from a stored group."""
    if row is None:
        return None
    keys = ("fingerprint", "status", "labels", "annotations", "starts_at", "ends_at", "generator_url")
    return {"source": row["source"], "group_key": row["group_key"], "status": row["status"],
            "alerts": [{key: alert.get(key) for key in keys} for alert in row["alerts"]]}


def instance_hosts(alerts: list[Alert]) -> set[str]:
    """The hosts named by the alerts' own `instance` labels (`host:port`, a bare host, or a URL)."""
    hosts = set()
    for alert in alerts:
        instance = alert.labels.get("instance", "").strip()
        if not instance:
            continue
        host = urlsplit(instance if "://" in instance else f"//{instance}").hostname
        if host:
            hosts.add(host.lower())
    return hosts


def fired_expression(alerts: list[Alert]) -> tuple[str, Any] | None:
    """The PromQL that fired (Prometheus' `g0.expr` in the generator URL) and the earliest start."""
    for alert in alerts:
        found = parse_qs(urlsplit(alert.generator_url).query).get("g0.expr")
        if found and found[0].strip():
            starts = [a.starts_at for a in alerts if a.starts_at]
            return found[0].strip(), (min(starts) if starts else None)
    return None


def chart_step(expression: str, started: Any) -> Step:
    """`prometheus_query` of the expression that fired over the last hour, the alert's start
    marked: a check drawn from the alert's data (its generator URL), so it waits for a click."""
    args = {"query": expression, "range": "1h"}
    if started is not None:
        args["mark"] = started.isoformat()
    return Step(tool="prometheus_query", args=args,
                reason="the query that fired, charted over the last hour with the alert's start marked — from "
                       "the alert's generator URL (Prometheus' g0.expr)",
                provenance="uses values from the alert's generator URL (g0.expr); waits for an approval")


async def resumed_chart_steps(store: Any, thread: ThreadRef, registry: Any) -> list[Step]:
    """The chart step of an alert's diagnosis again, for a turn a crash cut short before it was
    planned: read from the thread's stored alert group, as the desk first drew it."""
    if "prometheus_query" not in registry:
        return []
    row = await store.alert_of_thread(thread.id)
    if not row:
        return []
    alerts = [Alert.model_validate(item) for item in row.get("alerts") or []]
    fired = fired_expression([a for a in alerts if a.status == "firing"] or alerts)
    return [chart_step(*fired)] if fired is not None else []


def step_hosts(args: dict[str, Any]) -> set[str]:
    """The hosts a step's arguments reach: URLs' hosts and `host`-like values."""
    hosts = set()
    for name, value in args.items():
        if not isinstance(value, str) or not value:
            continue
        if "://" in value:
            host = urlsplit(value).hostname
            if host:
                hosts.add(host.lower())
        elif name in ("host", "hostname", "target", "address", "name", "domain"):
            hosts.add(value.lower().strip("[]"))
    return hosts


class AlertDesk:
    """Receives notifications, one group at a time, and hands what changed to the hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        # one notification of a group at a time, in this process (the lock and how many use it);
        # across replicas the hub's de-duplication by event id keeps a group's message single
        self._group_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._planning = asyncio.Semaphore(PLANNING_AT_ONCE)
        self._in_flight = 0  # alert turns planning (at most PLANNING_AT_ONCE) or waiting to plan
        # the storm bound: alert turns waiting for the planner beyond this are posted undiagnosed
        # (alerts are not counted by the per-requester plan rate: this is their bound)
        self.queue_bound = MAX_QUEUED_TURNS
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def config(self):
        return self.hub.config.alerts

    async def receive(self, notification: AlertNotification, *, sender: UserRef, thread: ThreadRef) -> AlertThread:
        """Apply one notification; `thread` is where a new group's thread goes. Returns once what
        changed is stored (an alert's message has its plan or answer on show)."""
        key = f"{notification.source}\n{notification.group_key}"
        lock, users = self._group_locks.get(key, (asyncio.Lock(), 0))
        self._group_locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._receive(notification, sender=sender, proposed=thread)
        finally:
            lock, users = self._group_locks[key]
            if users == 1:  # nobody else holds or waits for it: forget it (groups come and go)
                del self._group_locks[key]
            else:
                self._group_locks[key] = (lock, users - 1)

    async def _receive(self, notification: AlertNotification, *, sender: UserRef, proposed: ThreadRef) -> AlertThread:
        stored = await self.store.alert_group(notification.source, notification.group_key)
        thread = await self.store.thread_ref(stored["thread_id"]) if stored else None
        if stored and thread is None:  # stored, but its message never made it (a crash in between): anew
            stored = None
        change = compare(notification, stored)
        labels = notification.common_labels or (notification.alerts[0].labels if notification.alerts else {})
        route = route_for({**notification.group_labels, **labels}, self.config.routes)
        key = opener_key(notification.source, notification.group_key)
        if not change.changed:
            return AlertThread(id=(thread or proposed).id, group_key=notification.group_key, status=change.status,
                               new=change.new_group)
        if thread is None:  # a new group: its threads, where the route sends it
            threads = await self._open_threads(notification, change, route, proposed, key)
        else:  # its threads so far, and one in a routed channel it has none in yet (that adapter was down)
            known = [thread, *[t for t in await self._surface_threads(key) if t.id != thread.id]]
            opened = [t for t in await self._chat_threads(notification, change, route, key)
                      if t.id not in {k.id for k in known}]
            threads = [*known, *opened]
        primary = threads[0]
        answer = AlertThread(id=primary.id, group_key=notification.group_key, status=change.status,
                             new=change.new_group)
        requester = alert_requester(sender, notification.source)
        now = utcnow()
        # the group is stored before its message: the thread is an alert's thread from its first
        # moment, so on-call people read it (and silence or acknowledge it) while it is planned
        await self._save(notification, change, stored, primary, now, titled=False)
        try:
            for each in threads:
                await self._post(notification, change, stored, each, requester, route, now)
        except Exception:
            await self.store.restore_alert_group(notification.source, notification.group_key, stored)
            raise
        await self._save(notification, change, stored, primary, now)
        if change.resolved or (change.fired and not change.new_group):  # the cards' colour and title
            card = head_card(notification.source, change.alerts, change.status, shown=self.config.shown_alerts)
            for each in threads:
                await self.hub.openers.update(each.platform, key, card)
        return answer

    async def _open_threads(self, notification: AlertNotification, change: GroupChange, route: AlertRouteConfig,
                            proposed: ThreadRef, key: str) -> list[ThreadRef]:
        """A new group's threads: the web chat's (`web = true`), then a Slack and a Discord thread
        hanging from the alert card when the route names their channels. With none of them (web
        off and no chat thread could be opened), the web chat's all the same: an alert is never lost."""
        threads = [proposed] if route.web else []
        threads += await self._chat_threads(notification, change, route, key)
        return threads or [proposed]

    async def _chat_threads(self, notification: AlertNotification, change: GroupChange, route: AlertRouteConfig,
                            key: str) -> list[ThreadRef]:
        """The group's thread in each chat channel the route names: the one opened before, or a
        new one under the alert card (linked to the group, so the thread finds its alert)."""
        card = head_card(notification.source, change.alerts, change.status, shown=self.config.shown_alerts)
        threads = []
        for platform, channel in surface_channels(route):
            opened = await self.hub.openers.open(platform, channel, key, card)
            if opened is not None:
                await self.store.remember_ref(LINK_PLATFORM, LINK_KIND, opened.id,
                                              {"source": notification.source, "group_key": notification.group_key})
                threads.append(opened)
        return threads

    async def _surface_threads(self, key: str) -> list[ThreadRef]:
        """The chat threads a group was given when it first fired."""
        found = [await self.hub.openers.thread(platform, key) for platform in CHAT_SURFACES]
        return [thread for thread in found if thread is not None]

    async def _post(self, notification: AlertNotification, change: GroupChange, stored: dict[str, Any] | None,
                    thread: ThreadRef, requester: UserRef, route: AlertRouteConfig, now: datetime) -> None:
        """What changed, in one of the group's threads: the alerts that fired (planned), the ones
        that resolved."""
        if change.fired or change.new_group:
            shown = change.fired or change.alerts
            heading = "" if change.new_group else (
                "Firing again:" if change.was_firing is False else "New alert(s) in this group:")
            skip = None
            if change.status == "resolved":
                skip = "Not planned: it had resolved before it reached me."
            elif not change.new_group and change.was_firing and await self._diagnosis_waits(thread, requester):
                skip = "Not planned again: the diagnosis above still waits for a decision."
            if heading and thread.platform in CHAT_SURFACES:  # a chat shows the card, not the message: say it
                names = ", ".join(dict.fromkeys(alert.name for alert in shown))
                await self.hub.notice(thread, f"🔔 {heading} {names}", "warning")
            await self._post_alerts(notification, shown, thread, requester, route, heading, skip=skip)
        if change.resolved:
            fired_at = _parse(stored.get("fired_at")) if stored else None
            text = resolved_message(change.resolved, whole_group=change.status == "resolved",
                                    fired_for=firing_for(change.resolved, fired_at, now))
            await self._say(thread, text)

    async def _save(self, notification: AlertNotification, change: GroupChange, stored: dict[str, Any] | None,
                    thread: ThreadRef, now: datetime, *, titled: bool = True) -> None:
        fired_at = _parse(stored.get("fired_at")) if stored else None
        resolved_at = _parse(stored.get("resolved_at")) if stored else None
        if change.status == "firing" and (fired_at is None or not change.was_firing):
            starts = [a.starts_at for a in change.fired if a.starts_at]
            fired_at, resolved_at = (min(starts) if starts else now), None
        if change.status == "resolved" and change.was_firing:
            resolved_at = now
        title = None
        if titled and change.new_group and change.alerts:
            first = change.alerts[0]
            summary = first.annotations.get("summary") or first.annotations.get("description") or ""
            title = f"🔔 {first.name}" + (f": {summary}" if summary else "")
        await self.store.save_alert_group(
            source=notification.source, group_key=notification.group_key, thread_id=thread.id,
            status=change.status, alerts=[a.model_dump(mode="json") for a in change.alerts], fired_at=fired_at,
            resolved_at=resolved_at, title=" ".join(title.split())[:120] if title else None)

    # --- the alert's message: a turn like any other ----------------------------------------------

    async def _diagnosis_waits(self, thread: ThreadRef, requester: UserRef) -> bool:
        """Whether the group's diagnosis still waits for a decision: a storm of new alerts in a
        firing group is then listed, not planned again (500 fingerprints are not 500 plans)."""
        return any(plan.status is PlanStatus.proposed and plan.requester is not None
                   and plan.requester.key == requester.key
                   for plan in await self.store.thread_plans(thread.id, limit=3))

    async def _post_alerts(self, notification: AlertNotification, alerts: list[Alert], thread: ThreadRef,
                           requester: UserRef, route: AlertRouteConfig, heading: str, *,
                           skip: str | None = None) -> None:
        """The alerts' message: a turn through the hub (planned), or the bot's own message when
        the route says `diagnose = "off"`, `skip` says why not, or the planner's queue is full."""
        text = alert_message(notification, alerts, shown=self.config.shown_alerts, heading=heading)
        links = "\n".join(link_lines(alerts, self.config.shown_alerts))

        if route.diagnose == "off" or skip or self._in_flight >= PLANNING_AT_ONCE + self.queue_bound:
            note = "" if route.diagnose == "off" else f"\n({skip})" if skip else (
                "\n(Not diagnosed: too many alerts are waiting for the planner right now. "
                "Ask “what is wrong here?” in this thread to plan checks.)")
            await self._say(thread, text + (f"\n🔗 {links}" if links else "") + note)
            return
        identity = "\n".join(sorted(f"{a.fingerprint}@{a.starts_at}" for a in alerts))
        event_id = "alert:" + hashlib.sha256(f"{notification.source}\n{notification.group_key}\n{identity}"
                                             .encode()).hexdigest()[:32]
        fired = fired_expression([a for a in alerts if a.status == "firing"] or alerts)
        charts = [chart_step(*fired)] if fired is not None and "prometheus_query" in self.hub.registry else []
        inbound = Inbound(event_id=event_id, thread=thread, user=requester, text=text, data_steps=charts)
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def settle() -> None:
            if not settled.done():
                settled.set_result(None)

        self._in_flight += 1  # at once, so the next notification of this burst counts it
        turn = self._spawn(self._turn(inbound, route, alerts, settle))
        await asyncio.wait({turn, settled}, return_when=asyncio.FIRST_COMPLETED)
        if turn.done() and turn.exception() is not None:
            raise turn.exception()  # type: ignore[misc]
        if links:
            await self.hub.notice(thread, f"🔗 Links of this alert:\n{links}")

    async def _turn(self, inbound: Inbound, route: AlertRouteConfig, alerts: list[Alert],
                    settle: Callable[[], None]) -> None:
        """One alert turn: in flight from its spawning (`_post_alerts`) until its planning ends."""
        try:
            async with self._planning:
                await self.hub.handle(inbound, on_settled=settle)
        finally:
            self._in_flight -= 1
            settle()
        if route.diagnose == "auto":
            await self._confirm_reads(inbound, route, alerts)

    async def _confirm_reads(self, inbound: Inbound, route: AlertRouteConfig, alerts: list[Alert]) -> None:
        """`diagnose = "auto"`: confirm, as the requester, the proposed plans whose steps are all
        read-only and reach only the alert's own hosts or the route's `allow_hosts`."""
        allowed = instance_hosts(alerts) | {host.lower() for host in route.allow_hosts}
        for plan in await self.store.thread_plans(inbound.thread.id, limit=3):
            if plan.status is not PlanStatus.proposed or plan.requester is None \
                    or plan.requester.key != inbound.user.key:
                continue
            writes = [s.tool for s in plan.steps if s.risk is not Risk.read]
            strangers = sorted({h for s in plan.steps for h in step_hosts(s.args)} - allowed)
            if writes or strangers:
                why = (f"{', '.join(writes)} changes something" if writes else
                       f"{', '.join(strangers)} is neither the alert's instance nor in the route's allow_hosts")
                await self.hub.notice(inbound.thread, f"Not run at once (diagnose = \"auto\"): {why}; "
                                                      "it waits for an approval.", "info")
                continue
            await self.hub.decide(Decision(plan_id=plan.id, approve=True, user=inbound.user, source=AUTO_SOURCE))

    async def _say(self, thread: ThreadRef, text: str) -> None:
        """The bot's own message in the thread (a resolution, an undiagnosed alert)."""
        text = self.hub.redactor.text(text) or ""
        await self.store.record_bot_message(thread, text)
        await self.hub.emit(thread, AnswerEvent(thread=thread.id, text=text))

    # --- acting on an alert: acknowledge, silence ---------------------------------------------------

    async def acknowledge(self, thread: ThreadRef, user: UserRef) -> str:
        return await acknowledge(self.hub, thread, user)

    async def silence(self, thread: ThreadRef, user: UserRef, duration: str) -> None:
        """Ask, as `user`, for a silence of the thread's alert group (see `silence_request`)."""
        inbound = await silence_request(self.hub, thread, user, duration)
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def settle() -> None:
            if not settled.done():
                settled.set_result(None)

        turn = self._spawn(self.hub.handle(inbound, on_settled=settle))
        await asyncio.wait({turn, settled}, return_when=asyncio.FIRST_COMPLETED)
        if turn.done() and turn.exception() is not None:
            raise turn.exception()  # type: ignore[misc]

    # --- background work ---------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("an alert's turn failed: %s", task.exception())

    async def drain(self, timeout: float) -> None:
        """Let alert turns finish (or cancel them after `timeout`)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# --- acting on an alert, from any surface (the web's endpoints, Slack's and Discord's buttons) -----


def may_act_on_alert(hub: Hub, user: UserRef) -> bool:
    """Who may acknowledge an alert or ask for its silence from a chat card: the people who may
    approve (on-call), as in the web chat, where they are the ones who read an alert's thread."""
    roles = set(hub.config.policy.approve_write) | set(hub.config.policy.approve_danger)
    return hub.policy.is_local_operator(user) or bool(hub.policy.roles_of(user) & roles)


async def acknowledge(hub: Hub, thread: ThreadRef, user: UserRef) -> str:
    """"Acknowledged by X at T": kept in the audit log (the report's time to acknowledge) and
    shown in the thread."""
    text = f"👀 Acknowledged by {user.label()} at {utcnow().strftime('%Y-%m-%d %H:%M:%S UTC')}"
    await hub.store.append_audit("alert.acknowledged", actor=user.key, thread_id=thread.id, detail={"text": text})
    await hub.notice(thread, text)
    return text


async def silence_request(hub: Hub, thread: ThreadRef, user: UserRef, duration: str) -> Inbound:
    """`user`'s request for a silence of the thread's alert group: `silence_alert` with the labels
    every alert of the group shares, for `duration`. A write step: handed to the hub, it waits for
    an approval like any other. Raises LookupError when the thread is no alert's or silences are
    not configured."""
    row = await hub.store.alert_of_thread(thread.id)
    if row is None:
        raise LookupError("this thread was not opened by an alert")
    if "silence_alert" not in hub.registry:
        raise LookupError("silences need [alerts] alertmanager_url")
    shared = shared_labels(row["alerts"])
    if not shared:
        raise LookupError("the alerts of this group share no label to silence them by")
    matchers = matcher_text(shared)
    text = " ".join(["!silence_alert", shlex.quote(f"matchers={matchers}"), shlex.quote(f"duration={duration}"),
                     shlex.quote(f"comment=asked by {user.label()}")])
    return Inbound(event_id=f"silence:{thread.id}:{user.key}:{utcnow().isoformat()}", thread=thread, user=user,
                   text=text)
