"""Showing that the bot is working on a thread, the best way this workspace allows.

First choice: `assistant.threads.setStatus` (the "is working on it…" line under an assistant
thread). It answers `ok:false` where the app is not an assistant or the thread is not an assistant
thread; after one refusal in a channel it is not tried there again. Otherwise a 👀 reaction on
the message being worked on, replaced by ✅ when done, or ❌ when the work failed. Every call may
fail (`already_reacted`, `no_reaction`, a missing scope, a deleted message): that is logged and
never stops the work.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack.client import error_of

log = logging.getLogger("chatops.slack.status")
WORKING_TEXT = "is working on it…"
WORKING_REACTION = "eyes"
DONE_REACTION = "white_check_mark"
FAILED_REACTION = "x"


class WorkingStatus:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._no_assistant: set[str] = set()  # channels where setStatus was refused

    @contextlib.asynccontextmanager
    async def working(self, channel: str, thread_ts: str, message_ts: str, *, done: bool = True) -> AsyncIterator[None]:
        """Show the status for the duration of the block (the work's own errors pass through);
        `done=False` leaves no ✅ behind (a click: the card itself shows the outcome)."""
        assistant = await self._set_assistant_status(channel, thread_ts, WORKING_TEXT)
        if not assistant:
            await self._react(True, channel, message_ts, WORKING_REACTION)
        failed = True
        try:
            yield
            failed = False
        finally:
            if assistant:
                await self._set_assistant_status(channel, thread_ts, "")
            else:
                await self._react(False, channel, message_ts, WORKING_REACTION)
                if done or failed:
                    await self._react(True, channel, message_ts, FAILED_REACTION if failed else DONE_REACTION)

    async def _set_assistant_status(self, channel: str, thread_ts: str, text: str) -> bool:
        if channel in self._no_assistant:
            return False
        try:
            await self.client.assistant_threads_setStatus(channel_id=channel, thread_ts=thread_ts, status=text)
            return True
        except SlackApiError as exc:
            log.debug("assistant.threads.setStatus refused in %s: %s", channel, error_of(exc))
            self._no_assistant.add(channel)
        except Exception as exc:
            log.warning("assistant.threads.setStatus failed: %s", exc)
        return False

    async def _react(self, add: bool, channel: str, timestamp: str, name: str) -> None:
        method = "reactions.add" if add else "reactions.remove"
        call = self.client.reactions_add if add else self.client.reactions_remove
        try:
            await call(channel=channel, timestamp=timestamp, name=name)
        except SlackApiError as exc:
            error = error_of(exc)
            if error not in ("already_reacted", "no_reaction"):
                log.warning("%s failed: %s", method, error)
        except Exception as exc:
            log.warning("%s failed: %s", method, exc)
