"""Threads the environment opens in a chat channel: the card a thread hangs from, and who posts it.

A person starts a Slack or Discord thread by writing in a channel; an alert group or a schedule
has nobody to do that. So the chat adapters lend the hub an opener (`ThreadOpeners.add`): given a
channel and a `HeadCard`, it posts the card as a new message, makes it a thread, and says which
`ThreadRef` that is; later it edits the card in place (an alert resolved: its colour and title).
From then on the thread is an ordinary conversation: messages handed to `Hub.handle` there are
planned, and the adapter shows the plan cards with Approve / Deny under the head card, as for
any thread. Where the card went is kept in storage (`platform_refs`), so a restart, or another
replica, finds the thread and edits the card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from chatops.bot.model import ThreadRef

log = logging.getLogger("chatops.openers")

State = Literal["firing", "resolved", "problem", "ok"]
HEAD_CARD = "head_card"  # platform_refs kind: key → {"thread": ThreadRef as dict, "card": the adapter's ref}


@dataclass(frozen=True)
class HeadCard:
    """The message a thread opened by the environment hangs from."""

    title: str  # "🔔 QueueTooDeep: The queue is 50 deep" (a resolved card's title says so)
    text: str  # the alert for people, or what a schedule checks
    state: State  # the card's colour: firing/problem red, resolved/ok green
    alert_actions: bool = False  # Silence 1h and Acknowledge buttons (an alert's card)


class Opener(Protocol):
    """What a chat adapter lends: post a card in a channel as a new thread, and edit it later."""

    async def open(self, channel: str, card: HeadCard) -> tuple[ThreadRef, dict[str, Any]]:
        """Post `card` in `channel` and start a thread from it: the thread, and where the card is."""

    async def update(self, ref: dict[str, Any], card: HeadCard) -> None:
        """Redraw the card where `open` put it."""


class KeptRefs(Protocol):
    async def ref_of(self, platform: str, kind: str, key: str) -> dict[str, Any] | None: ...
    async def remember_ref(self, platform: str, kind: str, key: str, ref: dict[str, Any]) -> None: ...


class ThreadOpeners:
    """The openers of the running chat adapters, by platform, and the threads they opened, by key
    (`alert:<source>:<group key>`, `schedule:<name>`)."""

    def __init__(self, refs: KeptRefs) -> None:
        self._refs = refs
        self._openers: dict[str, Opener] = {}

    def add(self, platform: str, opener: Opener) -> None:
        self._openers[platform] = opener

    def remove(self, platform: str) -> None:
        self._openers.pop(platform, None)

    def serves(self, platform: str) -> bool:
        return platform in self._openers

    async def thread(self, platform: str, key: str) -> ThreadRef | None:
        """The thread opened for `key` on `platform` before, if any."""
        kept = await self._refs.ref_of(platform, HEAD_CARD, key)
        return ThreadRef.model_validate(kept["thread"]) if kept else None

    async def open(self, platform: str, channel: str, key: str, card: HeadCard) -> ThreadRef | None:
        """The thread for `key` on `platform`: the one opened before, or a new one in `channel`
        (None, and a warning, when no adapter of that platform runs here or it could not post)."""
        known = await self.thread(platform, key)
        if known is not None:
            return known
        opener = self._openers.get(platform)
        if opener is None:
            log.warning("no %s adapter runs here: %s has no %s thread (channel %s)", platform, key, platform, channel)
            return None
        try:
            thread, ref = await opener.open(channel, card)
        except Exception as exc:  # the platform refused (no access to the channel, …): the others go on
            log.warning("could not open a %s thread in %s for %s: %s", platform, channel, key, exc)
            return None
        await self._refs.remember_ref(platform, HEAD_CARD, key, {"thread": thread.model_dump(), "card": ref})
        return thread

    async def update(self, platform: str, key: str, card: HeadCard) -> None:
        """Redraw the head card of `key`'s thread on `platform` (nothing when there is none)."""
        kept = await self._refs.ref_of(platform, HEAD_CARD, key)
        opener = self._openers.get(platform)
        if kept is None or opener is None:
            return
        try:
            await opener.update(kept["card"], card)
        except Exception as exc:
            log.warning("could not update the %s card of %s: %s", platform, key, exc)
