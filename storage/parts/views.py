"""Read models for thread viewers (web chat, API), over `storage.views`."""

from __future__ import annotations

from typing import Any

from chatops.storage import alert_groups, views
from chatops.storage.dialect import POSTGRESQL
from chatops.storage.operations import reads
from chatops.storage.parts import in_server
from chatops.storage.parts.part import Part


class Views(Part):
    """Read models for thread viewers (web chat, API), over `storage.views`."""

    @reads
    def list_threads(self, *, platform: str, channel: str | None = None, limit: int = 50,
                     before: str | None = None, decided_by: str | None = None) -> list[dict[str, Any]]:
        return views.list_threads(self.db, platform=platform, channel=channel, limit=limit, before=before,
                                  decided_by=decided_by)

    @reads
    def thread_view(self, thread_id: str, *, limit: int = 50, before: str | None = None,
                    with_alert: bool = False) -> dict[str, Any] | None:
        """The thread as a viewer shows it; `with_alert` adds its alert group (or None) as
        `alert`, read in the same operation (on PostgreSQL: the same transaction and snapshot; the
        newest page, a reply's, in one statement: `storage/pg_functions.py`)."""
        if self.dialect is POSTGRESQL and not before:
            return in_server.thread_view(self, thread_id, limit=limit, with_alert=with_alert)
        view = views.thread_view(self.db, thread_id, limit=limit, before=before)
        if with_alert and view is not None:
            view["alert"] = alert_groups.of_thread(self.db, thread_id)
        return view

    @reads
    def plan_view(self, plan_id: str) -> dict[str, Any] | None:
        return views.plan_view(self.db, plan_id)
