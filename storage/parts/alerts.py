"""Alert groups as last seen, each with its thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatops.storage import alert_groups
from chatops.storage.operations import reads, ts, writes
from chatops.storage.parts.part import Part


class AlertGroups(Part):
    """Alert groups as last seen, each with its thread."""

    @writes
    def restore_alert_group(self, source: str, group_key: str, row: dict[str, Any] | None) -> None:
        """Put a group back as it was read (`alert_group`), or forget it when it was new: what a
        notification stored ahead of its message is undone when the message could not be posted."""
        if row is None:
            alert_groups.delete(self.db, source, group_key)
        else:
            alert_groups.save(self.db, source=source, group_key=group_key, thread_id=row["thread_id"],
                              status=row["status"], alerts=row["alerts"], fired_at=row["fired_at"],
                              resolved_at=row["resolved_at"], now=row["updated_at"])

    @reads
    def alert_group(self, source: str, group_key: str) -> dict[str, Any] | None:
        return alert_groups.get(self.db, source, group_key)

    @reads
    def alert_of_thread(self, thread_id: str) -> dict[str, Any] | None:
        return alert_groups.of_thread(self.db, thread_id)

    @writes
    def save_alert_group(self, *, source: str, group_key: str, thread_id: str, status: str,
                         alerts: list[dict[str, Any]], fired_at: datetime | None, resolved_at: datetime | None,
                         title: str | None = None) -> None:
        """The group's state as last seen (and, the first time, its thread's title), in one transaction."""
        alert_groups.save(self.db, source=source, group_key=group_key, thread_id=thread_id, status=status,
                          alerts=alerts, fired_at=ts(fired_at) if fired_at else None,
                          resolved_at=ts(resolved_at) if resolved_at else None, now=ts())
        if title:
            alert_groups.set_title(self.db, thread_id, title)
