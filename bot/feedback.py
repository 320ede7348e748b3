"""What people said about the bot's answers (the 👍 / 👎 under an answer), kept in the audit log.

An answer's feedback is an audit entry of kind `feedback.positive` or `feedback.negative`, with
who gave it, the thread and the plan the answer concluded, and (clipped) the answer itself, so
`chatops audit --kind feedback` shows the team where the bot was wrong. Adapters reach it through
`Hub.feedback`; they never see the store.
"""

from __future__ import annotations

from typing import Any, Protocol

from chatops.bot.model import ThreadRef, UserRef

ANSWER_CHARS = 500


class AuditLog(Protocol):
    async def append_audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
                           step_id: str = "", detail: Any = None) -> None: ...


class Feedback:
    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    async def record(self, thread: ThreadRef, user: UserRef, *, positive: bool, plan_id: str = "",
                     answer: str = "", source: str = "") -> None:
        """One person's verdict on one answer; a second click is a second entry (minds change)."""
        detail = {"verdict": "positive" if positive else "negative", "source": source or thread.platform}
        if answer:
            detail["answer"] = answer[:ANSWER_CHARS]
        await self._audit.append_audit("feedback.positive" if positive else "feedback.negative", actor=user.key,
                                       thread_id=thread.id, plan_id=plan_id, detail=detail)
