"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from chatops.storage import views
from chatops.storage.operations import reads, writes
from chatops.storage.parts.part import Part


class AuditLog(Part):
    """The append-only audit log."""

    @writes
    def append_audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
                     step_id: str = "", detail: Any = None) -> None:
        self._audit(kind, actor=actor, thread_id=thread_id, plan_id=plan_id, step_id=step_id, detail=detail)

    @reads
    def audit_log(self, limit: int = 50, *, thread: str | None = None, user: str | None = None,
                  tool: str | None = None, kind: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries matching the filters, oldest first (see
        `views.audit_entries`); `since` is an ISO timestamp."""
        return views.audit_entries(self.db, limit=limit, thread=thread, user=user, tool=tool, kind=kind,
                                   since=since)
