"""Read models for thread viewers (web chat, API), over `storage.views`."""

from __future__ import annotations

from typing import Any

from chatops.storage import views
from chatops.storage.operations import reads
from chatops.storage.parts.part import Part


class Views(Part):
    """Read models for thread viewers (web chat, API), over `storage.views`."""

    @reads
    def list_threads(self, *, platform: str, channel: str | None = None, limit: int = 50,
                     before: str | None = None, decided_by: str | None = None) -> list[dict[str, Any]]:
        return views.list_threads(self.db, platform=platform, channel=channel, limit=limit, before=before,
                                  decided_by=decided_by)

    @reads
    def thread_view(self, thread_id: str, *, limit: int = 50, before: str | None = None) -> dict[str, Any] | None:
        return views.thread_view(self.db, thread_id, limit=limit, before=before)

    @reads
    def plan_view(self, plan_id: str) -> dict[str, Any] | None:
        return views.plan_view(self.db, plan_id)
